"""undo: take back the last command that changed the book; undo --list: the recent changes."""

from typing import Annotated, Optional

import typer

from .. import dates
from ..i18n import _
from .common import FormatOpt, QuietOpt, fmt, read

CHANGE_COLUMNS = ("id", "at", "command", "summary", "undone_at", "note")


def undo(
    list_: Annotated[bool, typer.Option(
        "--list", "-l", help="Show the recent changes instead (newest first).")] = False,
    limit: Annotated[Optional[int], typer.Option(
        "--limit", "-n", metavar="N", help="With --list: at most N changes (0 = all kept).",
        show_default=False)] = None,
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Take back the last command that changed the book, wholly: everything it wrote (an
    import, a merge, a call with its stage and follow-up changes). Run it again to take back
    the one before. `config undo.keep` sets how many changes are kept (default 100).

    Examples: relcrm undo; relcrm undo --list
    """
    from .. import db, journal, render
    from ..core.derive import session_con
    from ..errors import UsageError

    if limit is not None and not list_:  # undo takes back one change, never N
        raise UsageError(_("--limit goes with --list; undo takes back one change at a time"))
    if list_:
        limit = 20 if limit is None else limit
        if limit < 0:
            raise UsageError(_("--limit must be 0 (all) or more, not {limit}").format(
                limit=limit))
        there = db.url() is not None or db.db_path().exists()
        changes = journal.recent(read(), limit or 10_000) if there else []
        rows = [vars(c) for c in changes]
        kind = fmt(format_)
        if kind != "table":
            render.machine(kind, CHANGE_COLUMNS, rows)
            return
        render.table(rows, [
            render.Col("#", "id", justify="right", style="dim"),
            render.Col(_("When"), lambda r: dates.show(r["at"]), no_wrap=True),
            render.Col(_("Command"), "command", style="bold"),
            render.Col(_("Undone"), lambda r: r["note"] or dates.show(r["undone_at"])
                       if r["undone_at"] else "", style="yellow", no_wrap=True),
            render.Col(_("Changed"), lambda r: journal.summary_shown(r["summary"]) or ""),
        ], empty=_("No changes recorded yet."))
        return
    if db.url() is None and not db.db_path().exists():
        from ..errors import NotFound

        raise NotFound(_("nothing to undo: there is no book yet"))
    with db.write_session(journal=False) as session:
        change = journal.undo(session_con(session))
    record = {"id": change.id, "at": change.at, "command": change.command,
              "summary": change.summary, "undone_at": change.undone_at, "note": change.note}
    kind = fmt(format_)
    if quiet:
        print(change.id)
        return
    if kind != "table":
        render.machine(kind, CHANGE_COLUMNS, [record])
        return
    print(render.escape(_("Undid change #{id} ({at}): {command}; it had {summary}.").format(
        id=change.id, at=dates.show(change.at), command=change.command,
        summary=journal.summary_shown(change.summary))))
