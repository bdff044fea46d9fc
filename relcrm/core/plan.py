"""The plan: a period's agenda, day by day (`relcrm plan`).

Every item is a line of core/followups.py (the same rules, reasons and sentences), put on the
day it is due; nothing here decides who is due. On each day: appointments in time order, other
steps, care lines (never contacted, cold, cadence, back from a snooze, revisit), key accounts.
Lines overdue before the period appear under its first day, and only when that day is today
(a plan for tomorrow or next week shows what falls due then, not what is late now); they come
first, oldest first. Every day of the period is listed, items or not, with its day off (a
weekend day, a public holiday: the book's `workdays` and `country`) and whether it is busy
(more than `busy` items).

Items come from SOURCES, each a function (con, today, first, last, include_disqualified) ->
lines with a `due_on` (ISO date) and a `_class` (followups' classes); GROUP orders the classes of
one day. Occasions are one more source: people's and accounts' dates (birthdays,
anniversaries, giỗ) and the book's occasions (Tết ...), each on its own day.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from .. import dates, workdays
from ..errors import UsageError
from ..i18n import N_, _, dynamic, ngettext
from . import followups

# csv/json columns: the day an item is on, followups' columns, then the step's length
COLUMNS = ("day",) + followups.COLUMNS + ("minutes",)
KEYWORDS = ("today", "tomorrow", "week", "next-week")
PERIOD_HELP = N_("today, tomorrow, week, next-week, or one day (WHEN: fri, next mon, "
                 "2026-12-03, +3d)")
MAX_DAYS = 366
BUSY = 8  # a day with more items than this is marked busy
# the order of the classes of lines on one day (followups.urgency orders within a class)
GROUP = {"appointment": 0, "step": 1, "new": 2, "cold": 2, "cadence": 2, "account": 3,
         "occasion": 4}


@dataclass
class Period:
    first: dt.date
    last: dt.date
    # "today", "this week", "today and the next 3 days" (in the language spoken); None: a WHEN
    name: str | None = None

    def __str__(self) -> str:
        span = (dates.show_day(self.first) if self.first == self.last
                else _("{first} to {last}").format(first=dates.show_day(self.first),
                                                    last=dates.show_day(self.last)))
        return f"{self.name}, {span}" if self.name else span


def period(text: str | None, days: int | None, today: dt.date) -> Period:
    """The days a PERIOD (or --days N: today and the N days after it) covers; never a day
    before today (followups shows what is late)."""
    if days is not None:
        if text is not None:
            raise UsageError(_("give a PERIOD or --days N, not both"))
        if not 0 <= days <= MAX_DAYS:
            raise UsageError(_("--days must be between 0 and {most}, not {days}")
                             .format(most=MAX_DAYS, days=days))
        name = (_("today") if days == 0
                else ngettext("today and the next {n} day", "today and the next {n} days", days)
                .format(n=days))
        return Period(today, today + dt.timedelta(days=days), name)
    from ..text import fold

    key = "-".join(fold(text or "today").split())
    key = {"hom-nay": "today", "mai": "tomorrow", "ngay-mai": "tomorrow", "tuan-nay": "week",
           "tuan-sau": "next-week", "tuan-toi": "next-week"}.get(key, key)
    if key == "today":
        return Period(today, today, _("today"))
    if key == "tomorrow":
        tomorrow = today + dt.timedelta(days=1)
        return Period(tomorrow, tomorrow, _("tomorrow"))
    if key in ("week", "this-week"):
        return Period(today, dates.week_end(today), _("this week"))
    if key == "next-week":
        monday = dates.week_end(today) + dt.timedelta(days=1)
        return Period(monday, monday + dt.timedelta(days=6), _("next week"))
    try:
        day = dates.to_day(dates.parse_when(text or ""))
    except UsageError:
        raise UsageError(_("cannot read period {text!r}; use {periods}")
                         .format(text=text, periods=dynamic(PERIOD_HELP))) from None
    if day < today:
        raise UsageError(_("{day} has passed: plan looks ahead from today "
                           "(relcrm followups shows what is overdue)")
                         .format(day=dates.show_day(day)))
    return Period(day, day, _("today") if day == today else None)


@dataclass
class Day:
    day: dt.date
    off: str | None  # why it is a day off (a holiday's name, or the weekday), or None
    items: list[dict[str, Any]] = field(default_factory=list)
    busy: bool = False

    @property
    def overdue(self) -> int:
        return sum(1 for item in self.items if item["days_overdue"])


@dataclass
class Plan:
    today: dt.date
    period: Period
    days: list[Day]
    busy: int

    @property
    def items(self) -> list[dict[str, Any]]:
        return [item for day in self.days for item in day.items]


def _followup_lines(con: sqlite3.Connection, today: dt.date, first: dt.date, last: dt.date,
                    include_disqualified: bool) -> list[dict[str, Any]]:
    """Steps, care and key accounts: followups' lines due first..last (and the overdue ones
    when the period starts today)."""
    rows, _total = followups.lines(con, today, last, since=None if first <= today else first,
                                   include_disqualified=include_disqualified, occasions=False)
    return rows


def _occasion_lines(con: sqlite3.Connection, today: dt.date, first: dt.date, last: dt.date,
                    include_disqualified: bool) -> list[dict[str, Any]]:
    """People's and accounts' dates on their day, and the book's occasions (Tết ...)."""
    from . import care

    start = max(first, today)
    rows = care.date_lines(con, start, last, on_their_day=True)
    for occasion in care.occasion_rows(con, start, last):
        rows.append({"due_on": occasion["next_on"], "reason": "occasion",
                     "why": (_("{occasion} ({date}): gift list: relcrm occasion gifts {key}")
                             if occasion["gifts"] else "{occasion} ({date})")
                     .format(occasion=occasion["name"], date=occasion["date"],
                             key=occasion["key"]),
                     "stalled": False, "days_overdue": 0, "id": None, "name": None,
                     "company": None, "email": None, "phone": None, "stage": None,
                     "stage_since": None, "qualification": None, "last_touch_at": None,
                     "next_at": None, "next_step": None, "continuations": 0, "value": None,
                     "currency": None, "created_at": None, "account_id": None,
                     "subject": "occasion", "step_ids": None, "due_at": None, "kind": None,
                     "_class": "occasion"})
    return rows


Source = Callable[[sqlite3.Connection, dt.date, dt.date, dt.date, bool], list[dict[str, Any]]]
SOURCES: tuple[Source, ...] = (_followup_lines, _occasion_lines)


def _order(item: dict[str, Any]) -> tuple:
    """Overdue lines first (oldest first, as followups orders them), then the day's own by
    GROUP, each group as followups orders it (appointments by time)."""
    if item["days_overdue"]:
        return (0, 0, followups.urgency(item))
    return (1, GROUP[item["_class"]], followups.urgency(item))


def build(con: sqlite3.Connection, period: Period, *, busy: int = BUSY,
          include_disqualified: bool = False,
          sources: Sequence[Source] = SOURCES) -> Plan:
    """The period's days, each with its items in order (see the module doc)."""
    today = dates.today()
    off = workdays.off_days(con, period.first, period.last)
    days, day = {}, period.first
    while day <= period.last:
        days[day] = Day(day, off.get(day))
        day += dt.timedelta(days=1)
    for source in sources:
        for item in source(con, today, period.first, period.last, include_disqualified):
            on = max(dt.date.fromisoformat(item["due_on"]), period.first)
            item["day"] = on.isoformat()
            days[on].items.append(item)
    for entry in days.values():
        entry.items.sort(key=_order)
        entry.busy = busy > 0 and len(entry.items) > busy
    return Plan(today, period, list(days.values()), busy)
