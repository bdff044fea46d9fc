"""plan: the agenda of a day or a week, day by day, with a count per day."""

import datetime as dt
from typing import Annotated, Any, Optional

import typer

from .. import dates
from ..i18n import _, dynamic, ngettext
from .common import FormatOpt, SellerOpt, TeamOpt, complete_words, fmt, read, with_sellers
from .followups import stage, who


def plan(
    period: Annotated[Optional[str], typer.Argument(
        metavar="[PERIOD]", help="today (the default), tomorrow, week (the rest of this week), "
        "next-week, or one day: a WHEN such as fri, next mon, 2026-12-03, +3d.",
        autocompletion=complete_words(("today", "tomorrow", "week", "next-week")),
        show_default=False)] = None,
    days: Annotated[Optional[int], typer.Option(
        "--days", "-d", metavar="N", help="Today and the N days after it, instead of a PERIOD.",
        show_default=False)] = None,
    busy: Annotated[int, typer.Option(
        "--busy", metavar="N", help="Mark a day with more than N items as busy (0: never).")
    ] = 8,
    all_: Annotated[bool, typer.Option(
        "--all", "-a", help="Include disqualified prospects.")] = False,
    format_: FormatOpt = "table",
    team: TeamOpt = False,
    seller: SellerOpt = None,
) -> None:
    """The agenda of a period, day by day: appointments with their times, other steps,
    check-ins by cadence and key accounts, with a count per day, days off and busy days marked.

    Every day of the period is listed, empty ones too. Anything overdue is listed under today
    (when the period starts today). The items and their reasons are those of followups.
    """
    from .. import render
    from ..core import plan as core
    from ..errors import UsageError
    from ..methodology import APPOINTMENT_MINUTES

    kind = fmt(format_)
    if busy < 0:
        raise UsageError(_("--busy must be 0 (never) or more, not {busy}").format(busy=busy))
    today = dates.today()
    con = read(team, seller)
    team = team or seller is not None
    agenda = core.build(con, core.period(period, days, today), busy=busy,
                        include_disqualified=all_)
    columns = with_sellers(con, agenda.items, core.COLUMNS, team)  # --team: whose each one is
    if kind != "table":
        render.machine(kind, columns, agenda.items)
        return

    def when(row: dict[str, Any]) -> str:
        if row["days_overdue"]:
            return _("overdue since {day}").format(day=dates.show_day(row["due_on"]))
        if row["due_at"] and len(row["due_at"]) > 10:
            start = dates.from_iso(row["due_at"])
            end = start + dt.timedelta(minutes=row.get("minutes") or APPOINTMENT_MINUTES)
            return f"{start:%H:%M}–{end:%H:%M}"
        return ""

    def count_of(count: int, overdue: int) -> str:
        """'3 items (1 overdue)', 'nothing planned'."""
        if not count:
            return _("nothing planned")
        if overdue:
            return ngettext("{n} item ({overdue} overdue)", "{n} items ({overdue} overdue)",
                            count).format(n=count, overdue=overdue)
        return ngettext("{n} item", "{n} items", count).format(n=count)

    def heading(day: core.Day) -> tuple[str, Optional[str]]:
        name = (_("{day} (today)") if day.day == today else "{day}").format(
            day=dates.show_day(day.day))
        count = len(day.items)
        parts = [name, count_of(count, day.overdue)]
        if day.off:
            parts.append(_("day off: {why}").format(why=dynamic(day.off)))
        if day.busy:
            parts.append(_("busy: more than {n}").format(n=agenda.busy))
        return " — ".join(parts), ("bold red" if day.busy else "dim" if not count else "bold")

    items = agenda.items
    overdue = sum(day.overdue for day in agenda.days)
    total = count_of(len(items), overdue)
    render.sections([(*heading(day), day.items) for day in agenda.days], [
        render.Col(_("When"), when, style=lambda r: "bold red" if r["days_overdue"] else "cyan",
                   no_wrap=True),
        render.Col("#", "id", justify="right", style="dim"),
        render.Col(_("Prospect"), who, style="bold", no_wrap=True),
        *([render.Col(_("Seller"), lambda r: r["seller"] or "", no_wrap=True)] if team else []),
        render.Col(_("Company"), "company", max_width=24),
        render.Col(_("Stage"), stage, style="magenta"),
        render.Col(_("Why"), "why", style=lambda r: "yellow" if r["stalled"] else None),
    ], title=_("Plan for {period}: {total}").format(period=agenda.period, total=total))
