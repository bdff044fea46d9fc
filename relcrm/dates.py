"""The one clock, and WHEN parsing.

Every "what day is it" in relcrm asks `today()` or `now()`. The environment variable
RELCRM_TODAY fixes them (YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS]); tests and the README use it, so
nothing depends on the real date, weekday or hour. With only a date, the time is fixed at noon.

WHEN values are read by `parse_when`: ISO dates and times, today/tomorrow/yesterday/now,
weekday names (fri, next monday, last tue), "in 3 days", "2 weeks ago", "+2w", "-3d", each
optionally followed by a time ("fri 14:00", "tomorrow 9am"). python-dateutil does the ISO and
time parsing and the calendar arithmetic; it is imported only when a WHEN is read.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from contextlib import contextmanager
from typing import Iterator

from .errors import UsageError

ENV_TODAY = "RELCRM_TODAY"
WHEN_HELP = ("YYYY-MM-DD[ HH:MM], today, tomorrow, yesterday, a weekday (fri, next mon, "
             "last tue), 'in 3 days', '2 weeks ago', +2w, -3d")
MIN_YEAR, MAX_YEAR = 1900, 2999
_frozen: dt.datetime | None = None


@contextmanager
def frozen(moment: dt.datetime) -> Iterator[None]:
    """Within the block, `now()` is `moment` (used to build dated example data)."""
    global _frozen
    before, _frozen = _frozen, moment.replace(microsecond=0)
    try:
        yield
    finally:
        _frozen = before


def now() -> dt.datetime:
    """The current local time, to the second (fixed by RELCRM_TODAY when set)."""
    if _frozen is not None:
        return _frozen
    fixed = os.environ.get(ENV_TODAY, "").strip()
    if fixed:
        try:
            if len(fixed) == 10:
                value = dt.datetime.combine(dt.date.fromisoformat(fixed), dt.time(12, 0))
            else:
                value = dt.datetime.fromisoformat(fixed).replace(microsecond=0, tzinfo=None)
        except ValueError:
            raise UsageError(f"{ENV_TODAY}={fixed!r} is not a date; use YYYY-MM-DD "
                             "or YYYY-MM-DDTHH:MM") from None
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            raise UsageError(f"{ENV_TODAY}={fixed!r} is out of range; years {MIN_YEAR}-"
                             f"{MAX_YEAR} only")
        return value
    return dt.datetime.now().replace(microsecond=0)


def today() -> dt.date:
    return now().date()


def week_end(day: dt.date) -> dt.date:
    """The Sunday that ends `day`'s week (weeks run Monday to Sunday)."""
    return day + dt.timedelta(days=6 - day.weekday())


# -- storage and display ---------------------------------------------------------------------
def iso(value: dt.date | dt.datetime) -> str:
    """Storage form: YYYY-MM-DD for a date, YYYY-MM-DDTHH:MM:SS for a time."""
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0, tzinfo=None).isoformat(timespec="seconds")
    return value.isoformat()


def from_iso(text: str) -> dt.date | dt.datetime:
    return dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)


def show(value: str | dt.date | dt.datetime | None) -> str:
    """Display form: 'Mon 2026-11-30', with ' 14:00' when a time of day matters."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = from_iso(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%a %Y-%m-%d %H:%M")
    return value.strftime("%a %Y-%m-%d")


def show_day(value: str | dt.date | dt.datetime | None) -> str:
    """Display form without the time: 'Mon 2026-11-30'."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = from_iso(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.strftime("%a %Y-%m-%d")


def ago(day: dt.date, ref: dt.date) -> str:
    """'today', 'yesterday', '3 days ago', 'tomorrow', 'in 4 days'."""
    days = (ref - day).days
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days == -1:
        return "tomorrow"
    return f"{days} days ago" if days > 0 else f"in {-days} days"


# -- WHEN parsing ------------------------------------------------------------------------------
_WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}
_UNITS = {"d": "days", "day": "days", "days": "days", "w": "weeks", "week": "weeks",
          "weeks": "weeks", "m": "months", "month": "months", "months": "months",
          "y": "years", "year": "years", "years": "years"}
_OFFSET = re.compile(r"(?P<sign>[+-])\s*(?P<n>\d{1,4})\s*(?P<unit>[a-z]*)")
_IN = re.compile(r"in\s+(?P<n>\d{1,4})\s*(?P<unit>[a-z]+)")
_AGO = re.compile(r"(?P<n>\d{1,4})\s*(?P<unit>[a-z]+)\s+ago")


def parse_when(text: str, *, past: bool = False) -> dt.date | dt.datetime:
    """A date (no time given) or a datetime from a WHEN string.

    `past` says which way a bare weekday points: for --at (when something happened) "fri" is
    the most recent Friday, today included; for --next it is the coming Friday, today included.
    Raises UsageError naming the accepted forms.
    """
    raw = " ".join(text.strip().lower().split())
    if not raw:
        raise UsageError(f"empty date; use {WHEN_HELP}")
    try:
        value = _parse(raw, past)
    except UsageError:
        raise
    except (ValueError, OverflowError, TypeError):
        value = None
    if value is None:
        raise UsageError(f"cannot read date {text!r}; use {WHEN_HELP}")
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise UsageError(f"date {text!r} is out of range; years {MIN_YEAR}-{MAX_YEAR} only")
    return value


def _parse(raw: str, past: bool) -> dt.date | dt.datetime | None:
    from dateutil import parser
    from dateutil.relativedelta import relativedelta

    if raw == "now":
        return now()
    if re.match(r"\d{4}-\d{2}-\d{2}", raw):  # ISO date or date-time
        if re.search(r"[t ]24:", raw):
            return None  # 24:00 is not a time of day here (dateutil reads it as next midnight)
        value = parser.isoparse(raw.upper())
        if value.tzinfo is not None:
            value = value.astimezone().replace(tzinfo=None)
        if len(raw) == 10:
            return value.date()
        return value.replace(microsecond=0)

    base = today()
    day_part, time_part = _split_time(raw)
    day: dt.date | None = None
    words = day_part.split()
    if day_part in ("", "today"):
        day = base
    elif day_part == "tomorrow":
        day = base + dt.timedelta(days=1)
    elif day_part == "yesterday":
        day = base - dt.timedelta(days=1)
    elif len(words) in (1, 2) and words[-1] in _WEEKDAYS:
        target = _WEEKDAYS[words[-1]]
        which = words[0] if len(words) == 2 else ("last" if past else "this")
        if which in ("this", "coming"):
            day = base + dt.timedelta(days=(target - base.weekday()) % 7)
        elif which == "next":
            day = base + dt.timedelta(days=(target - base.weekday()) % 7 or 7)
        elif which == "last":
            # a bare weekday in the past includes today; "last fri" on a Friday is a week ago
            back = (base.weekday() - target) % 7
            day = base - dt.timedelta(days=back if len(words) == 1 else (back or 7))
    else:
        for pattern, sign in ((_OFFSET, None), (_IN, 1), (_AGO, -1)):
            match = pattern.fullmatch(day_part)
            if match:
                unit = _UNITS.get(match["unit"] or "d")
                if unit is None:
                    return None
                n = int(match["n"]) * (sign or (1 if match["sign"] == "+" else -1))
                day = base + relativedelta(**{unit: n})
                break
    if day is None:
        return None
    if time_part is None:
        return day
    clock = parser.parse(time_part, default=dt.datetime.combine(day, dt.time()))
    if clock.date() != day:
        return None
    return clock.replace(microsecond=0, tzinfo=None)


_TIME = re.compile(r"(?:^|\s)(?:at\s+)?(\d{1,2}(?::\d{2}){0,2}\s*(?:am|pm)?|\d{1,2}\s*(?:am|pm))$")


def _split_time(raw: str) -> tuple[str, str | None]:
    """Split a trailing clock time ("14:00", "9am", "at 9:30 pm") off a day expression."""
    match = _TIME.search(raw)
    if not match:
        return raw, None
    clock = match.group(1)
    if ":" not in clock and not clock.endswith(("am", "pm")):
        return raw, None  # a bare number is not a time ("+3" stays an offset)
    hour = int(re.match(r"\d+", clock).group())
    if hour > 23 or (clock.endswith(("am", "pm")) and not 1 <= hour <= 12):
        raise UsageError(f"{clock!r} is out of range for a time of day; use 00:00-23:59, or "
                         "1-12 with am/pm (9am, 2pm)")
    return raw[: match.start()].strip(), clock


def at_time(value: dt.date | dt.datetime) -> dt.datetime:
    """A moment for --at: a bare date takes the current time of day (as `date -d` does)."""
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, now().time())


def to_day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
