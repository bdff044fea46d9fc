"""team: a book shared by a sales team on PostgreSQL (pg.py): create it, add sellers, move a
solo book in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..i18n import _, dynamic
from .common import FormatOpt, fmt

app = typer.Typer(help="A team's shared book on PostgreSQL: create it, add sellers, move a "
                  "solo book in.", no_args_is_help=True, rich_markup_mode=None)

UrlArg = Annotated[str, typer.Argument(metavar="URL", help="The team database: "
                                       "postgresql://USER@HOST[:PORT]/DATABASE.")]


def _say(text: str) -> None:
    """A line of the report, escaped: a URL or file name never acts on the terminal."""
    from ..render import escape

    print(escape(text))


def _url(given: str | None) -> str:
    from .. import db
    from ..errors import UsageError

    url = given or db.url()
    if not url:
        raise UsageError(_("no team database given: pass --db postgresql://USER@HOST/DATABASE "
                           "or set RELCRM_DB to such a URL"))
    if not db.is_team_url(url):
        raise UsageError(_("not a PostgreSQL URL: {url}; accepted: "
                           "postgresql://USER@HOST[:PORT]/DATABASE").format(url=url))
    return url


@app.command("init")
def init(url: UrlArg) -> None:
    """Create relcrm's tables, roles and row-level security in a PostgreSQL database (or
    upgrade them to this relcrm's schema)."""
    from .. import pg

    url = _url(url)
    result = pg.init(url)
    if result["created"]:
        _say(_("Created the team database at {url}: {tables} tables, schema version "
                "{version}, row-level security on.").format(
            url=pg.shown(url), tables=result["tables"], version=result["version"]))
        _say(_("Next: relcrm team add-seller NAME for each seller (--manager for a manager)."))
    elif result.get("applied"):
        _say(_("Upgraded the team database at {url} from schema version {old} to "
                "{version}.").format(url=pg.shown(url), old=result["from"],
                                     version=result["version"]))
    elif result.get("writes"):  # made by a relcrm that read a team database only
        _say(_("The team database at {url} takes changes now: relcrm's commands write to "
               "it, each undoable (schema version {version}).").format(
            url=pg.shown(url), version=result["version"]))
    else:
        _say(_("{url} is a team database already (schema version {version}); nothing "
                "changed.").format(url=pg.shown(url), version=result["version"]))


@app.command("add-seller")
def add_seller(
    name: Annotated[str, typer.Argument(help="The seller's PostgreSQL role name.")],
    manager: Annotated[bool, typer.Option("--manager", help="A manager: sees the whole "
                                          "team's records with --team.")] = False,
) -> None:
    """Add a seller: a PostgreSQL role that reads and writes only their own records."""
    from .. import pg

    url = _url(None)
    new = pg.add_seller(url, name, manager=manager)
    kind = _("manager") if manager else _("seller")
    if new:
        _say(_("Added {kind} {name} (a PostgreSQL role; give it a password with ALTER ROLE "
                "or a line in pg_hba.conf).").format(kind=kind, name=name))
    else:
        _say(_("{name} was a team member already; now a {kind}.").format(name=name, kind=kind))


@app.command("sellers")
def sellers(format_: FormatOpt = "table") -> None:
    """List the team's sellers and managers."""
    from .. import pg, render

    rows = pg.sellers(_url(None))
    if fmt(format_) != "table":
        render.machine(fmt(format_), ("name", "manager", "added_at"), rows)
        return
    render.table(rows, [
        render.Col(_("Seller"), "name", style="bold", no_wrap=True),
        render.Col(_("Manager"), lambda r: _("yes") if r["manager"] else ""),
        render.Col(_("Added"), "added_at", no_wrap=True)])


@app.command("import-book")
def import_book(
    file: Annotated[Path, typer.Argument(metavar="FILE.db", help="The solo book to move in.",
                                         dir_okay=False)],
    seller: Annotated[str, typer.Option("--seller", help="Whose records they become.")],
) -> None:
    """Move a solo book into the team database with all its history, as one seller's."""
    from .. import db, pg
    from ..errors import NotFound

    url = _url(None)
    if not file.exists():
        raise NotFound(_("no such book: {file}").format(file=file))
    report = pg.import_book(url, db.real_path(file), seller)
    _say(_("Moved {file} into {url} as {seller}'s records:").format(
        file=file, url=pg.shown(url), seller=seller))
    width = max(len(dynamic(r["entity"])) for r in report)
    for row in report:
        if not row["book"]:
            continue
        line = f"  {dynamic(row['entity']):<{width}}  " + _(
            "{count} in the book: {moved} moved").format(count=row["book"], moved=row["moved"])
        if row["joined"]:
            line += ", " + _("{joined} joined the team's").format(joined=row["joined"])
        if row["kept"]:
            line += ", " + _("{kept} kept the team's").format(kept=row["kept"])
        if row["own"]:
            line += ", " + _("{own} of them {seller}'s own (phone sync)").format(
                own=row["own"], seller=seller)
        if row["left"]:
            line += ", " + {
                "colleague": _("{left} of {seller}'s own (phone sync) left in the book: only "
                               "{seller} may set those (relcrm sync setup)"),
                "syncing": _("{left} of {seller}'s own (phone sync) left in the book: {seller} "
                             "syncs from the team database already"),
            }.get(row.get("why"), _("{left} of your own (phone sync) left in the book")).format(
                left=row["left"], seller=seller)
        _say(line)
    total = sum(r["book"] for r in report)
    _say(_("All {total} records accounted for; the book file was not changed.").format(
        total=total))
    if any(r.get("own") for r in report):
        _say(_("{seller}'s phone sync came along: their next relcrm sync, from the team "
               "database, puts its records on the phone in place of the book's. Sync from the "
               "team database only from now on: a sync from the book file would put the "
               "book's records back beside them.").format(seller=seller))
