"""search: every note the book holds, found without accents or case."""

from typing import Annotated

import typer

from .. import dates
from ..i18n import _, dynamic, ngettext
from .common import FormatOpt, fmt, read

COLUMNS = ("source", "what", "at", "prospect_id", "prospect", "account_id", "account",
           "snippet", "text", "rank")


def search(
    text: Annotated[str, typer.Argument(
        metavar="TEXT", help="Words to find (all of them; accents and case do not matter, and "
        "a word also finds longer words it starts).", show_default=False)],
    limit: Annotated[int, typer.Option(
        "--limit", "-l", metavar="N", help="At most N hits, the best first.")] = 20,
    format_: FormatOpt = "table",
) -> None:
    """Search every note: touches and their commitments, SPIN notes and needs, steps, personal
    facts, profile notes, account notes, judgements and deals. "do hang" finds "đổ hàng".

    Each hit shows whose it is, its date and the words found in their place; the best matches
    come first (SQLite full-text ranking, newest first among equals).
    """
    from .. import render
    from ..core import search as core
    from ..errors import UsageError

    kind = fmt(format_)
    if limit < 1:
        raise UsageError(_("--limit must be 1 or more, not {limit}").format(limit=limit))
    if not core._query(text):
        raise UsageError(_("nothing to search for in {text!r}; give a word or more").format(
            text=text))
    hits, total = core.find(read(), text, limit)
    rows = core.as_rows(hits, text)
    if kind != "table":
        render.machine(kind, COLUMNS, rows)
        return
    from rich.text import Text

    out = render.console()
    styled = out.is_terminal and out.color_system is not None

    def found(row: dict) -> Text:
        """The snippet, escaped piece by piece so that the found words keep their place."""
        shown, spans = core.snippet(row["text"], text)
        cell, done = Text(), 0
        for start, end in spans:
            if start < done:
                continue
            cell.append(render.escape(shown[done:start]))
            cell.append(render.escape(shown[start:end]), style="bold yellow" if styled else "")
            done = end
        cell.append(render.escape(shown[done:]))
        return cell

    def whose(row: dict) -> str:
        if row["prospect"] is not None:
            person = f"#{row['prospect_id']} {row['prospect']}"
            return person + (f" ({row['account']})" if row["account"] else "")
        return row["account"] or ""

    if not rows:
        render.emit(out, render.safe_text(_("Nothing found for {text!r}.").format(text=text)))
        return
    _table(rows, found, whose, total, text)


def what(row: dict) -> str:
    """What a hit is ("call (advance)", "step, done", "fact: family"): as the book's index
    words it in English, in Vietnamese word by word (keys the seller types stay)."""
    from ..i18n import N_, current
    from ..methodology import SPIN_BY_KEY

    text = row["what"] or ""
    if current() != "vi" or not text:
        return text
    if False:  # noqa: SIM108 - statuses of steps and deals, for the catalog
        N_("open"), N_("done"), N_("dropped"), N_("won"), N_("lost")
    source = row["source"]
    head, sep, rest = text.partition(": ")
    if source == "judgement" and sep:
        return _("judgement: {levels}").format(levels=rest)
    if source == "fact" and sep:
        return _("fact: {about}").format(about=dynamic(rest))
    head, sep, rest = text.partition(", ")
    if source == "step" and sep:
        return _("step, {status}").format(status=dynamic(rest))
    if source == "deal" and sep:
        return _("deal, {status}").format(status=dynamic(rest))
    if source == "SPIN note" and text in SPIN_BY_KEY:
        return SPIN_BY_KEY[text].vietnamese
    if source == "profile note":
        return _("profile note")
    if source == "account note":
        return _("account note")
    if source == "touch":
        kind, sep, outcome = text.partition(" (")
        return dynamic(kind) + (f" ({dynamic(outcome.rstrip(')'))})" if sep else "")
    return text


def _table(rows, found, whose, total, text) -> None:
    """The hits as a table: the snippet cell keeps its highlights (a rich Text, escaped)."""
    import sys

    from rich import box
    from rich.table import Table
    from rich.text import Text

    from .. import render

    out = render.console()
    human = render.is_tty(sys.stdout)
    styled = out.is_terminal and out.color_system is not None
    if human:  # the date, whose and what whole, the snippet at least 16 cells: else plain
        # lines, whole, for the terminal to wrap (never a cut date)
        need = sum(max((render.cell_width(text) for text in texts), default=0) for texts in (
            [dates.show(r["at"]) if r["at"] else "" for r in rows],
            [render.escape(whose(r)) for r in rows], [render.escape(what(r)) for r in rows]))
        if need + 16 + 9 > out.width:
            human, out.width = False, 10_000
    if total > len(rows):
        heading = ngettext("{shown} of {total} hit for {text!r}",
                           "{shown} of {total} hits for {text!r}", total)
    else:
        heading = ngettext("{total} hit for {text!r}", "{total} hits for {text!r}", total)
    heading = heading.format(shown=len(rows), total=total, text=text)
    grid = Table(title=render.safe_text(heading, "bold" if styled else ""),
                 box=box.SIMPLE_HEAD if human else None, header_style="bold" if styled else "",
                 show_edge=False, pad_edge=False, title_justify="left")
    if not human:
        grid.title.no_wrap, grid.title.overflow = True, "ignore"
    for header, wrap in ((_("When"), False), (_("Whose"), False), (_("What"), False),
                         (_("Found"), True)):
        grid.add_column(Text(header), no_wrap=not wrap or not human)
    for row in rows:
        grid.add_row(Text(dates.show(row["at"]) if row["at"] else "",
                          style="cyan" if styled else ""),
                     render.safe_text(whose(row), "bold" if styled else ""),
                     render.safe_text(what(row), "dim" if styled else ""),
                     found(row))
    render.emit(out, grid)
