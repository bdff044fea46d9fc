"""followups: who needs follow-up this week, most urgent first, and why."""

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from .. import dates
from ..methodology import KAM_BY_KEY, STAGE_BY_KEY
from .common import FormatOpt, SellerOpt, TeamOpt, fmt, read, with_sellers


def stage(row: dict[str, Any]) -> str:
    """A follow-up line's stage for people: the prospect's, or a key account's KAM stage."""
    from ..core.followups import stage_name

    if not row["stage"]:
        return ""
    if row["subject"] == "account":
        return stage_name(KAM_BY_KEY[row["stage"]])
    return stage_name(STAGE_BY_KEY[row["stage"]])


def who(row: dict[str, Any]) -> str:
    """Whom a follow-up line is about: the prospect, an account step's people, or a key
    account as a whole."""
    if row["subject"] == "occasion":
        return ""
    if row["subject"] != "account":
        return row["name"]
    from ..i18n import _

    if row["reason"] == "occasion":
        return _("(account)")
    if row["step_ids"]:
        return row["name"] or _("(whole account)")
    return _("(key account)")


def followups(
    days: Annotated[Optional[int], typer.Option(
        "--days", "-d", metavar="N", help="Look N days ahead instead of to the end of this week "
        "(0 = today and overdue only).", show_default=False)] = None,
    all_: Annotated[bool, typer.Option(
        "--all", "-a", help="Include disqualified prospects.")] = False,
    limit: Annotated[Optional[int], typer.Option(
        "--limit", "-l", metavar="N", help="At most N rows (default: 50 in a table, all otherwise; "
        "0 = all).", show_default=False)] = None,
    ics: Annotated[Optional[Path], typer.Option(
        "--ics", metavar="FILE", dir_okay=False, help="Write them as an iCalendar file for "
        "your calendar (all-day events; overdue ones today) instead of printing them.",
        show_default=False)] = None,
    todo: Annotated[bool, typer.Option(
        "--todo", help="With --ics: to-dos due on the follow-up date instead of events.")
    ] = False,
    format_: FormatOpt = "table",
    team: TeamOpt = False,
    seller: SellerOpt = None,
) -> None:
    """Who needs follow-up this week (Monday to Sunday, and anything overdue), and why.

    Reasons: an overdue or due next step, never contacted (contact new prospects at once),
    gone cold (no touch for longer than the stage's cadence), the cadence coming round;
    stalled sales (2+ continuations in a row) are flagged.
    """
    from .. import render
    from ..core import followups as core
    from ..errors import UsageError

    from ..i18n import _, ngettext

    kind = fmt(format_)
    if limit is not None and limit < 0:
        raise UsageError(_("--limit must be 0 (all) or more, not {limit}").format(limit=limit))
    if todo and ics is None:
        raise UsageError(_("--todo goes with --ics FILE"))
    stdout = ics is not None and str(ics) == "-"  # --ics -: the calendar on standard output
    if ics is not None and not stdout:
        from .. import files

        files.check_output(ics.expanduser(), what="calendar")
    if limit is None:
        limit = 50 if kind == "table" and ics is None else 0
    con = read(team, seller)
    team = team or seller is not None
    due = core.due(con, days=days, include_disqualified=all_, limit=limit or None)
    columns = with_sellers(con, due.rows, core.COLUMNS, team)  # --team: whose each one is
    if ics is not None:
        from ..formats import ics as calendar
        from .transfer import _write

        data = calendar.write(due.rows, due.today, todo=todo).decode("utf-8")
        _write(None if stdout else ics.expanduser(), lambda out: out.write(data))
        if stdout:
            return
        count = len(due.rows)
        render.note((ngettext("Wrote {n:,} follow-up to {file} as to-dos.",
                              "Wrote {n:,} follow-ups to {file} as to-dos.", count) if todo
                     else ngettext("Wrote {n:,} follow-up to {file} as events.",
                                   "Wrote {n:,} follow-ups to {file} as events.", count)
                     ).format(n=count, file=ics))
        return
    if kind != "table":
        render.machine(kind, columns, due.rows)
        return

    today = due.today
    period = (_("this week, to {day}") if days is None else _("to {day}")).format(
        day=dates.show(due.until))
    title = _("Follow-ups {today}: {count} due {period}").format(
        today=dates.show(today), count=due.total, period=period)
    caption = None
    if due.total > len(due.rows):
        caption = _("{shown} most urgent of {total} shown; --limit 0 shows all").format(
            shown=len(due.rows), total=due.total)

    def due_text(row) -> str:
        day = dates.from_iso(row["due_on"])
        clock = f" {row['due_at'][11:16]}" if row["due_at"] and len(row["due_at"]) > 10 else ""
        if row["days_overdue"]:
            return f"{dates.show_day(day)}{clock} " + _("+{n}d").format(n=row["days_overdue"])
        return (_("today") if day == today else dates.show_day(day)) + clock

    def due_style(row) -> Optional[str]:
        return "bold red" if row["days_overdue"] else (
            "yellow" if row["due_on"] == dates.iso(today) else None)

    render.table(due.rows, [
        render.Col(_("Due"), due_text, style=due_style, no_wrap=True),
        render.Col("#", "id", justify="right", style="dim"),
        render.Col(_("Prospect"), who, style="bold"),  # a name may wrap; the id may not
        *([render.Col(_("Seller"), lambda r: r["seller"] or "", no_wrap=True)] if team else []),
        render.Col(_("Company"), "company", max_width=24, drop=2),
        render.Col(_("Stage"), stage, style="magenta", no_wrap=True, drop=1),
        render.Col(_("Why"), "why", style=lambda r: "yellow" if r["stalled"] else None),
    ], title=title, caption=caption,
        empty=_("Nobody needs follow-up {period}. Add prospects with `relcrm add`, or look "
                "further with --days.").format(period=period))
