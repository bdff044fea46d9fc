"""Options and helpers shared by the command modules. Light imports only."""

from __future__ import annotations

import enum
import sqlite3
from pathlib import Path
from typing import Annotated, Any, Callable, Optional, Sequence

import typer

from .. import dates
from ..methodology import ALL_STAGES, LEVELS, OUTCOMES, TOUCH_KINDS


def _choices(name: str, values: Sequence[str]) -> type[enum.Enum]:
    """A str Enum of the methodology's values, for Typer choices (help, completion, checks)."""
    return enum.Enum(name, {v.replace("-", "_"): v for v in values}, type=str)  # type: ignore


Format = _choices("Format", ("table", "csv", "tsv", "json"))
Level = _choices("Level", LEVELS)
Outcome = _choices("Outcome", [o.key for o in OUTCOMES])
Kind = _choices("Kind", TOUCH_KINDS)


def _complete_from_book(query: str):
    """A TAB completer that reads names with queries.<query> (sqlite3, no SQLAlchemy) and
    never creates a book."""

    def complete(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
        try:
            from .. import db, queries

            root = ctx.find_root().params.get("db") if ctx else None
            url = root if db.is_team_url(root) else None if root else db.url()
            if url:  # a team database: the names the seller may read
                from .. import pg

                con = pg.connect(url)
            else:
                path = Path(root) if root else db.db_path()
                if not path.is_file():
                    return []
                con = db.connect(path, migrate=False)
            try:
                return getattr(queries, query)(con, incomplete)
            finally:
                con.close()
        except Exception:  # completion must never print a traceback into the shell
            return []

    return complete


complete_refs = _complete_from_book("complete_names")
complete_accounts = _complete_from_book("complete_accounts")


def complete_words(words: Sequence[str]):
    """A TAB completer for a fixed set of words (stages, roles ...)."""
    def complete(incomplete: str) -> list[str]:
        return [w for w in words if w.startswith(incomplete.lower())]
    return complete


_complete_stages = complete_words([s.key for s in ALL_STAGES])


FormatOpt = Annotated[Format, typer.Option(  # type: ignore[valid-type]
    "--format", "-f", case_sensitive=False,
    help="table on a terminal; csv, tsv or json for scripts.")]
QuietOpt = Annotated[bool, typer.Option(
    "--quiet", "-q", help="Print only the id of what was written (nothing else on stdout).")]
RefArg = Annotated[str, typer.Argument(
    metavar="REF", help="A prospect id, or a unique part of the name (accents optional).",
    autocompletion=complete_refs, show_default=False)]
WhenOpt = Annotated[Optional[str], typer.Option(
    "--next", metavar="WHEN", help=f"Schedule the next step. WHEN: {dates.WHEN_HELP}.",
    show_default=False)]
AtOpt = Annotated[Optional[str], typer.Option(
    "--at", metavar="WHEN", help="When it happened (default: now).", show_default=False)]
NextStepOpt = Annotated[Optional[str], typer.Option(
    "--next-step", metavar="TEXT", help="What the next step is (with --next).",
    show_default=False)]
StageArg = Annotated[str, typer.Argument(
    metavar="STAGE", help="1-7, a key (attract ... loyal, lost) or a name (Tạo dựng).",
    autocompletion=_complete_stages, show_default=False)]


def when(text: str | None, *, past: bool = False):
    """Parse an optional WHEN option value (None stays None)."""
    return None if text is None else dates.parse_when(text, past=past)


def fmt(value: Any) -> str:
    return value.value if isinstance(value, enum.Enum) else str(value)


def settled(session) -> sqlite3.Connection:
    """The connection of a write session with its derived values recomputed: a write command
    reads the record it reports here, inside its transaction, so that a restore or another
    writer committing right after it cannot change what it says it did."""
    from ..core.derive import session_con, settle_session

    settle_session(session)
    return session_con(session)


def read(team: bool = False, seller: str | None = None) -> sqlite3.Connection:
    """A read connection to the book in use (a missing book reads as empty, and is not made).
    With `team` (--team), a team database shows every seller's records (to a manager); with
    `seller` (--seller NAME), one seller's."""
    from .. import db

    if (team or seller is not None) and db.url() is None:
        from ..errors import UsageError
        from ..i18n import _

        raise UsageError(_("--team is for a team database (--db postgresql://...); this book "
                           "is one seller's") if seller is None else _(
            "--seller is for a team database (--db postgresql://...); this book is one "
            "seller's"))
    con = db.connect(create=False)
    if team or seller is not None:
        from .. import pg

        pg.use_team(con, "--team" if seller is None else "--seller")  # type: ignore[arg-type]
        if seller is not None:
            pg.only_seller(con, seller)  # type: ignore[arg-type]
    return con


def with_sellers(con: Any, rows: list[dict[str, Any]], columns: tuple[str, ...],
                 team: bool) -> tuple[str, ...]:
    """With --team: each row's seller (whose prospect it is, by its id; an account's row has
    none), and `columns` with a seller column; without, `columns` as they are."""
    if not team:
        return columns
    from .. import pg

    owners = pg.sellers_of(con, sorted({r["id"] for r in rows if r.get("id") is not None}))
    for row in rows:
        row["seller"] = owners.get(row.get("id"))
    return columns + ("seller",)


TeamOpt = Annotated[bool, typer.Option(
    "--team", help="On a team database: the whole team's records, not only yours (managers).")]
SellerOpt = Annotated[Optional[str], typer.Option(
    "--seller", metavar="NAME", help="On a team database: one seller's records (managers; "
    "with the Seller column of --team).", show_default=False)]


def is_quiet() -> bool:
    """Whether the running command was given --quiet. Each write command declares QuietOpt;
    the functions that print its result ask here instead of having it passed down."""
    from typer._click.globals import get_current_context

    ctx = get_current_context(silent=True)
    return bool(ctx is not None and ctx.params.get("quiet"))


def emit_record(format_: Any, columns: Sequence[str], record: dict[str, Any],
                message: Callable[[], str]) -> None:
    """A write command's result: a sentence for people, or the record for scripts; with
    --quiet only the record's id (notes and warnings still go to stderr)."""
    from .. import render

    if is_quiet():
        print(record["id"])
        return
    kind = fmt(format_)
    if kind == "table":
        print(render.escape(message()))
    else:
        render.machine(kind, columns, [record])


def money(value: int | float | str | None, currency: str | None = None,
          book: str | None = None, *, column: bool = False) -> str:
    """An amount as read from the book (SQL money(): exact) for people: grouped, with the
    currency's decimals (450,000,000; 12,500.50), and its code when it is not the book's
    currency `book` (config currency; read from the book when not given).

    In Vietnamese, as CLDR writes it (450.000.000 ₫); in a table `column` on a terminal
    narrower than WIDE columns, a million or more is written short the Vietnamese way
    (1,2 tỷ; 450 triệu; the currency shown only when it is not the book's), so that the
    amount fits whole. Exact everywhere else: `show`, and every pipe and export."""
    if value is None or value == "":
        return ""
    from decimal import Decimal

    from .. import i18n, render
    from .. import money as amounts

    code = currency or book_currency()
    amount = amounts.Amount(int(Decimal(str(value)) * amounts.SCALE), code)
    if i18n.current() == "vi":  # as CLDR vi writes it (money.format, checked against Babel)
        if column and amount.milli >= 1_000_000 * amounts.SCALE and render.narrow():
            shown = amounts.compact(amount, "vi")
            if code != (book or book_currency()):
                shown += amounts.NBSP + amounts.lookup_currency(code).symbol
            return shown
        return amounts.format(amount, locale="vi", symbol=True)
    shown = amounts.format(amount)
    if code != (book or book_currency()):
        shown += amounts.NBSP + code
    return shown


_book_currency: list[str] = []


def book_currency() -> str:
    """The book's currency (config currency), read once per command."""
    if not _book_currency:
        from .. import settings

        _book_currency.append(settings.get(read(), "currency"))
    return _book_currency[0]
