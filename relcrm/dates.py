"""The one clock, and WHEN parsing.

Every "what day is it" in relcrm asks `today()` or `now()`. The environment variable
RELCRM_TODAY fixes them (YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS]); tests and the README use it, so
nothing depends on the real date, weekday or hour. With only a date, the time is fixed at noon.

WHEN values are read by `parse_when`: ISO dates and times, day-first numeric dates (15/12,
15.12.2026; month first after set_date_order("mdy")), today/tomorrow/yesterday/now, weekday names
(fri, next monday, last tue), "in 3 days", "2 weeks ago", "+2w", "-3d", and the same in
Vietnamese with or without accents (mai, thứ 6, T7, CN, tuần sau, 3 ngày nữa), each optionally
with a time ("fri 14:00", "tomorrow 9am", "thứ 6 14h", "mai 9 giờ sáng"). "next fri" is the
Friday of next week (weeks run Monday to Sunday). python-dateutil does the ISO parsing and the
month arithmetic; it is imported only when a WHEN is read.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from contextlib import contextmanager
from typing import Iterator

from .errors import UsageError
from .i18n import N_, _, dynamic
from .text import fold


class _lazy:  # noqa: N801 - stands for re.compile
    """A regular expression compiled the first time it is used: most commands read no date
    (compiling the dozen below at import cost every command ~2.5 ms)."""

    __slots__ = ("pattern", "compiled")

    def __init__(self, pattern: str) -> None:
        self.pattern, self.compiled = pattern, None

    def __getattr__(self, name: str):
        if self.compiled is None:
            self.compiled = re.compile(self.pattern)
        return getattr(self.compiled, name)

ENV_TODAY = "RELCRM_TODAY"
WHEN_HELP = N_("YYYY-MM-DD[ HH:MM], DD/MM[/YYYY], today, tomorrow, yesterday, a weekday (fri, "
             "last tue; next mon = Monday of next week), 'in 3 days', '2 weeks ago', +2w, -3d, "
             "mai, thứ 6, T7, tuần sau, '3 ngày nữa'; a time may follow (14:30, 9am, 14h30, "
             "2 giờ chiều)")
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
            raise UsageError(_("{name}={value!r} is not a date; use YYYY-MM-DD "
                               "or YYYY-MM-DDTHH:MM").format(name=ENV_TODAY,
                                                             value=fixed)) from None
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            raise UsageError(_("{name}={value!r} is out of range; years {low}-{high} only")
                             .format(name=ENV_TODAY, value=fixed, low=MIN_YEAR, high=MAX_YEAR))
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


# Vietnamese weekdays as a date shows them: T2 (thứ hai) .. T7, CN (chủ nhật)
_VI_WEEKDAYS = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")


def _vietnamese() -> bool:
    from .i18n import current

    return current() == "vi"


def show(value: str | dt.date | dt.datetime | None) -> str:
    """Display form: 'Mon 2026-11-30', with ' 14:00' when a time of day matters; in
    Vietnamese 'T2 30/11/2026 14:00'."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = from_iso(value)
    if isinstance(value, dt.datetime):
        if _vietnamese():
            return f"{show_day(value)} {value:%H:%M}"
        return value.strftime("%a %Y-%m-%d %H:%M")
    return show_day(value)


def show_day(value: str | dt.date | dt.datetime | None) -> str:
    """Display form without the time: 'Mon 2026-11-30' (Vietnamese: 'T2 30/11/2026')."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = from_iso(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    if _vietnamese():
        return f"{_VI_WEEKDAYS[value.weekday()]} {value:%d/%m/%Y}"
    return value.strftime("%a %Y-%m-%d")


def ago(day: dt.date, ref: dt.date) -> str:
    """'today', 'yesterday', '3 days ago', 'tomorrow', 'in 4 days' (in the language relcrm
    speaks: 'hôm nay', 'hôm qua', '3 ngày trước', 'mai', '4 ngày nữa')."""
    days = (ref - day).days
    if days == 0:
        return _("today")
    if days == 1:
        return _("yesterday")
    if days == -1:
        return _("tomorrow")
    return (_("{n} days ago") if days > 0 else _("in {n} days")).format(n=abs(days))


# -- WHEN parsing ------------------------------------------------------------------------------
# Text is folded first (relcrm.text.fold: lower case, accents off, đ -> d), so "Thứ Sáu",
# "thu sau" and "THỨ 6" read alike; the tables below hold folded words only.
_WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}
# thứ 2 .. thứ 7 (thu 6), thứ hai .. thứ bảy, T2 .. T7, chủ nhật / CN
_VI_WEEKDAY = _lazy(r"thu\s*(?P<n>[2-7])|thu\s+(?P<name>hai|ba|tu|nam|sau|bay)|t(?P<t>[2-7])"
                         r"|chu\s*nhat|cn")
_VI_WEEKDAY_NAMES = {"hai": 0, "ba": 1, "tu": 2, "nam": 3, "sau": 4, "bay": 5}
_NOW = ("now", "bay gio", "ngay bay gio")
_DAYS = {"": 0, "today": 0, "hom nay": 0, "tomorrow": 1, "mai": 1, "ngay mai": 1,
         "mot": 2, "ngay mot": 2, "ngay kia": 2, "yesterday": -1, "hom qua": -1, "hom kia": -2}
_UNITS = {"d": "days", "day": "days", "days": "days", "w": "weeks", "week": "weeks",
          "weeks": "weeks", "m": "months", "month": "months", "months": "months",
          "y": "years", "year": "years", "years": "years",
          "ngay": "days", "tuan": "weeks", "thang": "months", "nam": "years"}
_OFFSET = _lazy(r"(?P<sign>[+-])\s*(?P<n>\d{1,4})\s*(?P<unit>[a-z]*)")
_IN = _lazy(r"in\s+(?P<n>\d{1,4})\s*(?P<unit>[a-z]+)")
_AGO = _lazy(r"(?P<n>\d{1,4})\s*(?P<unit>[a-z]+)\s+ago")
_VI_NUMBERS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6, "bay": 7,
               "tam": 8, "chin": 9, "muoi": 10}
_VI_N = r"(?P<n>\d{1,4}|" + "|".join(_VI_NUMBERS) + r")\s+(?P<unit>ngay|tuan|thang|nam)"
_VI_OFFSETS = (  # 3 ngày nữa, 3 ngày sau, sau 3 ngày; 2 tuần trước, cách đây 2 tuần
    (_lazy(_VI_N + r"\s+(?:nua|sau)"), 1), (_lazy(r"sau\s+" + _VI_N + r"(?:\s+nua)?"), 1),
    (_lazy(_VI_N + r"\s+truoc"), -1), (_lazy(r"cach\s+day\s+" + _VI_N), -1),
)
# 15/12, 15-12-2026, 15.12.2026, ngày 15/12 (day first unless DATE_ORDER is "mdy")
_NUMERIC = _lazy(r"(?:ngay\s+)?(?P<shown>(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})"
                      r"(?:(?P=sep)(?P<y>\d{1,4}))?)")
_YMD = _lazy(r"(?P<y>\d{4})(?P<sep>[/.-])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})")
_VI_LONG = _lazy(  # ngày 15 tháng 12 (năm 2026)
    r"(?:ngay\s+)?(?P<d>\d{1,2})\s+thang\s+(?P<m>\d{1,2})(?:\s+(?:nam\s+)?(?P<y>\d{1,4}))?")
_ISO_MOMENT = _lazy(r"\d{4}-\d{2}-\d{2}(?:t.*|\s\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                         r"(?:z|[+-]\d{2}(?::?\d{2})?)?)")
_MONTHS = ("", N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
           N_("July"), N_("August"), N_("September"), N_("October"), N_("November"),
           N_("December"))
# A time of day: 14:30, 9am, 9:30 pm; 14h, 14h30, 9g, 9 giờ (30), 9 giờ rưỡi; each may end in
# sáng/trưa/chiều/tối (2 giờ chiều = 14:00).
_CLOCK = (r"(?:(?P<eh>\d{1,2})(?::(?P<em>\d{2})(?::(?P<es>\d{2}))?)?\s*(?P<ampm>am|pm)"
          r"|(?P<ch>\d{1,2}):(?P<cm>\d{2})(?::(?P<cs>\d{2}))?"
          r"|(?P<vh>\d{1,2})\s*(?:[hg](?:(?P<vm>\d{2})(?:\s*(?:phut|ph|p))?)?"
          r"|gio(?:\s+(?P<vm2>\d{1,2})(?:\s*phut)?)?)(?:\s*(?P<half>ruoi))?)"
          r"(?:\s+(?P<period>sang|trua|chieu|toi))?")
_TRAILING_TIME = _lazy(r"(?:^|\s)(?:(?:at|luc|vao\s+luc)\s+)?(?P<clock>" + _CLOCK + r")$")
_LEADING_TIME = _lazy(r"(?:(?:at|luc|vao\s+luc)\s+)?(?P<clock>" + _CLOCK + r")\s+(?P<rest>.+)")
_CLOCK_RANGE = N_("use 00:00-23:59 (14:30, 14h30, 9 giờ), or 1-12 with am/pm (9am, 2pm), or with "
                "sáng/chiều/tối (9 giờ sáng, 2 giờ chiều, 8 giờ tối)")
_PERIODS = {  # hours accepted with each part of the day, and what they mean
    "sang": (N_("sáng (morning) takes 0-11"), {h: h for h in range(12)}),
    "trua": (N_("trưa (midday) takes 11-12 and 1-2"),
             {11: 11, 12: 12, 1: 13, 2: 14, 13: 13, 14: 14}),
    "chieu": (N_("chiều (afternoon) takes 1-11 and 12-23"),
              {**{h: h + 12 for h in range(1, 12)}, **{h: h for h in range(12, 24)}}),
    "toi": (N_("tối (evening) takes 5-11 and 17-23"),
            {**{h: h + 12 for h in range(5, 12)}, **{h: h for h in range(17, 24)}}),
}

# How a numeric date with two small numbers (03/04) is read: "dmy" (3 April, the Vietnamese
# way) or "mdy" (March 4). The CLI sets it from `config date_order` with set_date_order.
DATE_ORDER = "dmy"
_order_chosen = False
# What parse_when read in a way the user may not have meant ("read 03/04 as 3 April ..."), for
# the caller to show (or take_notices() to show and clear). parse_when never prints.
NOTICES: list[str] = []


def set_date_order(order: str | None) -> None:
    """Read numeric dates day first ("dmy", 15/12) or month first ("mdy", 12/15). None goes
    back to the default (day first, with a notice when a date could be read either way)."""
    global DATE_ORDER, _order_chosen
    if order is None:
        DATE_ORDER, _order_chosen = "dmy", False
        return
    key = str(order).strip().lower()
    if key not in ("dmy", "mdy"):
        raise UsageError(_("date order {order!r} is not known; use dmy (15/12 is 15 December) "
                           "or mdy (12/15 is 15 December)").format(order=order))
    DATE_ORDER, _order_chosen = key, True


def take_notices() -> list[str]:
    """The notices gathered so far, oldest first; the list is emptied."""
    taken = list(NOTICES)
    NOTICES.clear()
    return taken


class _Refused(Exception):
    """A WHEN that looks like a date but is not one; `detail` says why."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class _BadClock(Exception):
    """A time of day out of range; `span` is where it is in the folded text."""

    def __init__(self, span: tuple[int, int], detail: str) -> None:
        super().__init__(detail)
        self.span, self.detail = span, detail


class _YearOutOfRange(Exception):
    pass


def parse_when(text: str, *, past: bool = False) -> dt.date | dt.datetime:
    """A date (no time given) or a datetime from a WHEN string.

    Accepted, in any case and with or without Vietnamese accents:
    - ISO: 2026-12-15, 2026-12-15 14:30, 2026-12-15T14:30:00+07:00; also 2026/12/15.
    - Numeric, day first: 15/12, 15/12/2026, 15-12-2026, 15.12.2026, ngày 15 tháng 12 [năm
      2026]; month first only after set_date_order("mdy"). Without a year, the next such day
      on or after today (for --at, past=True: the last one on or before today). An ambiguous
      date (03/04) read day first by default, with no order chosen, adds a notice to NOTICES.
    - Days: now, today, tomorrow, yesterday; bây giờ, hôm nay, mai / ngày mai, mốt / ngày mốt
      / ngày kia, hôm qua, hôm kia; tuần sau / tuần tới (Monday of next week), tuần trước
      (Monday of last week), tháng sau / tháng tới / tháng trước (the same day a month on/back).
    - Weekdays: mon..sun, thứ 2..thứ 7 (thu 6), thứ hai..thứ bảy, T2..T7, chủ nhật / CN.
      A bare weekday is, for --next, the coming one (today included); for --at (past=True) the
      most recent one (today included). "this fri" / "coming fri" / "thứ 6 này": the coming one,
      today included. "next fri" / "thứ 6 tuần sau" / "thứ 6 tuần tới": the Friday of NEXT week
      (weeks run Monday to Sunday), whatever today is: on a Monday "next tue" is 8 days on, as
      "next mon" is 7. "thứ 6 tuần này" / "thứ 6 tuần trước": the Friday of this / last week.
      "last fri": the most recent Friday before today (on a Friday, a week ago).
    - Offsets: in 3 days, 2 weeks ago, +2w, -3d, +1m; 3 ngày nữa / 3 ngày sau / sau 3 ngày,
      2 tuần trước / cách đây 2 tuần (ngày, tuần, tháng, năm; numbers 1-10 also in words).
    - A time after (or, the Vietnamese way, before) the day: 14:30, 9am, 9:30 pm, at 9am;
      14h, 14h30, 14g, 9g30, 9 giờ, 9 giờ 30, 9 giờ rưỡi, lúc 9h, with sáng / trưa / chiều /
      tối (2 giờ chiều = 14:00, 8 giờ tối = 20:00). Alone it is today: "14h", "thứ 6 14h",
      "mai 9h", "9h sáng mai".
    Raises UsageError naming the accepted forms (or why a date or time cannot be).
    """
    words: list[str] = []  # folded words, each with the word of `text` it came from
    origin: list[int] = []
    given = text.replace("_", " ").split()
    for index, word in enumerate(given):
        for part in fold(word).split():
            words.append(part)
            origin.append(index)
    raw = " ".join(words)
    if not raw:
        raise UsageError(_("empty date; use {forms}").format(forms=dynamic(WHEN_HELP)))
    notes: list[str] = []
    try:
        value = _parse(raw, past, notes)
    except UsageError:
        raise
    except _Refused as refused:
        raise UsageError(_("cannot read date {text!r}: {detail}; use {forms}").format(
            text=text, detail=refused.detail, forms=dynamic(WHEN_HELP))) from None
    except _BadClock as bad:
        first = len(raw[: bad.span[0]].split())
        count = len(raw[bad.span[0]: bad.span[1]].split())
        picked = sorted(set(origin[first: first + count]))
        shown = " ".join(given[i] for i in picked) if picked else raw[bad.span[0]: bad.span[1]]
        raise UsageError(_("{shown!r} is out of range for a time of day; {detail}").format(
            shown=shown, detail=bad.detail)) from None
    except _YearOutOfRange:
        value = dt.date(1, 1, 1)  # refused as out of range below
    except (ValueError, OverflowError, TypeError):
        value = None
    if value is None:
        raise UsageError(_("cannot read date {text!r}; use {forms}").format(
            text=text, forms=dynamic(WHEN_HELP)))
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise UsageError(_("date {text!r} is out of range; years {low}-{high} only").format(
            text=text, low=MIN_YEAR, high=MAX_YEAR))
    for note in notes:
        if note not in NOTICES:  # once per text, however often it is read
            NOTICES.append(note)
    return value


def _parse(raw: str, past: bool, notes: list[str] | None = None) -> dt.date | dt.datetime | None:
    """`raw` is folded (relcrm.text.fold) and single-spaced."""
    if raw in _NOW:
        return now()
    if _ISO_MOMENT.fullmatch(raw):  # ISO date-time; a date alone is read below
        from dateutil import parser

        if re.search(r"[t ]24:", raw):
            return None  # 24:00 is not a time of day here (dateutil reads it as next midnight)
        value = parser.isoparse(raw.upper())
        if value.tzinfo is not None:
            value = value.astimezone().replace(tzinfo=None)
        return value.replace(microsecond=0)

    base = today()
    day_part, clock = _split_time(raw)
    day = _day(day_part, past, base, notes if notes is not None else [])
    if day is None:
        return None
    if clock is None:
        return day
    return dt.datetime.combine(day, clock)


def _day(text: str, past: bool, base: dt.date, notes: list[str]) -> dt.date | None:
    from dateutil.relativedelta import relativedelta

    if text in _DAYS:
        return base + dt.timedelta(days=_DAYS[text])
    monday = base - dt.timedelta(days=base.weekday())
    if text in ("tuan sau", "tuan toi"):
        return monday + dt.timedelta(days=7)
    if text == "tuan truoc":
        return monday - dt.timedelta(days=7)
    if text in ("thang sau", "thang toi", "thang truoc"):
        return base + relativedelta(months=-1 if text.endswith("truoc") else 1)

    weekday = _weekday_phrase(text, past, base, monday)
    if weekday is not None:
        return weekday

    match = _YMD.fullmatch(text)
    if match:
        return _calendar_day(int(match["d"]), int(match["m"]), match["y"], past, base)
    match = _VI_LONG.fullmatch(text)
    if match:
        return _calendar_day(int(match["d"]), int(match["m"]), match["y"], past, base)
    match = _NUMERIC.fullmatch(text)
    if match:
        first, second = int(match["a"]), int(match["b"])
        day, month = (second, first) if DATE_ORDER == "mdy" else (first, second)
        value = _calendar_day(day, month, match["y"], past, base)
        if DATE_ORDER != "mdy" and not _order_chosen and first <= 12 and second <= 12 \
                and first != second:
            if match["y"]:
                note = _("read {shown} as {day} {month} {year} (day first; config date_order mdy "
                         "for month first)")
            else:
                note = _("read {shown} as {day} {month} (day first; config date_order mdy for "
                         "month first)")
            notes.append(note.format(shown=match["shown"], day=day, month=dynamic(_MONTHS[month]),
                                     year=value.year))
        return value

    for pattern, sign in ((_OFFSET, None), (_IN, 1), (_AGO, -1)) + _VI_OFFSETS:
        match = pattern.fullmatch(text)
        if match:
            unit = _UNITS.get(match["unit"] or "d")
            if unit is None:
                return None
            count = _VI_NUMBERS.get(match["n"]) or int(match["n"])
            count *= sign or (1 if match["sign"] == "+" else -1)
            return base + relativedelta(**{unit: count})
    return None


def _weekday(word: str) -> int | None:
    """0 (Monday) .. 6 (Sunday) for a weekday name, English or Vietnamese (folded)."""
    if word in _WEEKDAYS:
        return _WEEKDAYS[word]
    match = _VI_WEEKDAY.fullmatch(word)
    if not match:
        return None
    digit = match["n"] or match["t"]
    if digit:
        return int(digit) - 2  # thứ 2 is Monday
    return _VI_WEEKDAY_NAMES[match["name"]] if match["name"] else 6


def _weekday_phrase(text: str, past: bool, base: dt.date, monday: dt.date) -> dt.date | None:
    """fri, next fri, last fri, this fri, thứ 6, thứ 6 tuần sau ... (see parse_when)."""
    which, name = ("last" if past else "this"), text
    bare = True
    first, _, rest = text.partition(" ")
    if first in ("this", "coming", "next", "last") and rest:
        which, name, bare = ("this" if first == "coming" else first), rest, False
    else:
        for suffix, meaning in ((" tuan sau", "next"), (" tuan toi", "next"),
                                (" tuan nay", "this week"), (" tuan truoc", "last week"),
                                (" nay", "this")):
            if text.endswith(suffix):
                which, name, bare = meaning, text[: -len(suffix)], False
                break
    target = _weekday(name)
    if target is None:
        return None
    if which == "this":  # the coming one, today included
        return base + dt.timedelta(days=(target - base.weekday()) % 7)
    if which == "next":  # the one of next week
        return monday + dt.timedelta(days=7 + target)
    if which == "this week":
        return monday + dt.timedelta(days=target)
    if which == "last week":
        return monday + dt.timedelta(days=target - 7)
    # last: a bare weekday in the past includes today; "last fri" on a Friday is a week ago
    back = (base.weekday() - target) % 7
    return base - dt.timedelta(days=back if bare else (back or 7))


def _calendar_day(day: int, month: int, year: str | None, past: bool,
                  base: dt.date) -> dt.date:
    """The date day/month[/year]; without a year the next one on or after `base` (past: the
    last one on or before it). Refuses impossible dates, saying why."""
    if not 1 <= month <= 12:
        order = (_("month first: MM/DD; config date_order dmy for day first")
                 if DATE_ORDER == "mdy"
                 else _("day first: DD/MM; config date_order mdy for month first"))
        raise _Refused(_("there is no month {month} ({order})").format(month=month, order=order))
    longest = 29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31
    if not 1 <= day <= longest:
        raise _Refused(_("{month} has no day {day}").format(month=dynamic(_MONTHS[month]), day=day)
                       if day else _("there is no day 0"))
    if year is not None:
        if len(year) != 4:
            raise _Refused(_("write the year in full ({day}/{month}/{year})").format(
                day=day, month=month, year=base.year))
        if not MIN_YEAR <= int(year) <= MAX_YEAR:
            raise _YearOutOfRange()
        try:
            return dt.date(int(year), month, day)
        except ValueError:
            raise _Refused(_("{month} {year} has 28 days").format(
                month=dynamic(_MONTHS[month]), year=year)) from None
    step = -1 if past else 1
    for years in range(9):  # 29 February comes back within 8 years
        try:
            value = dt.date(base.year + step * years, month, day)
        except ValueError:
            continue
        if (value <= base) if past else (value >= base):
            return value
    raise _YearOutOfRange()  # pragma: no cover - only at the ends of the calendar


def _split_time(raw: str) -> tuple[str, dt.time | None]:
    """Split a time of day ("14:00", "9am", "at 9:30 pm", "14h30", "2 giờ chiều") off the end
    of a day expression, or else off its start ("9h sáng mai")."""
    match = _TRAILING_TIME.search(raw)
    if match:
        return raw[: match.start()].strip(), _clock(match)
    match = _LEADING_TIME.fullmatch(raw)
    if match:
        return match["rest"], _clock(match)
    return raw, None


def _clock(match: re.Match) -> dt.time:
    span = match.span("clock")
    period = match["period"]
    if match["ampm"]:
        hour, minute, second = int(match["eh"]), int(match["em"] or 0), int(match["es"] or 0)
        if period:
            raise _Refused(_("give am/pm or sáng/chiều/tối, not both"))
        if not 1 <= hour <= 12:
            raise _BadClock(span, _("use 00:00-23:59, or 1-12 with am/pm (9am, 2pm)"))
        hour = hour % 12 + (12 if match["ampm"] == "pm" else 0)
    elif match["ch"]:
        hour, minute, second = int(match["ch"]), int(match["cm"]), int(match["cs"] or 0)
    else:
        hour, second = int(match["vh"]), 0
        minute = int(match["vm"] or match["vm2"] or 0)
        if match["half"]:
            if match["vm"] or match["vm2"]:
                raise _Refused(_("give minutes or rưỡi (half past), not both"))
            minute = 30
    if hour > 23 or minute > 59 or second > 59:
        raise _BadClock(span, dynamic(_CLOCK_RANGE))
    if period:
        detail, hours = _PERIODS[period]
        if hour not in hours:
            raise _BadClock(span, "; ".join((dynamic(detail), dynamic(_CLOCK_RANGE))))
        hour = hours[hour]
    return dt.time(hour, minute, second)


def at_time(value: dt.date | dt.datetime) -> dt.datetime:
    """A moment for --at: a bare date takes the current time of day (as `date -d` does)."""
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, now().time())


def to_day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
