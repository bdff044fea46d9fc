"""Important dates and occasions: when a person's birthday, an account's founding day, a giỗ on
a lunar day, or Tết falls next, and what the seller should do about it.

A date is a day and month, with a year when known, in the solar calendar or (lunar = 1) the
Vietnamese lunar calendar (âm lịch), recurring each year. Lunar dates are converted by the
lunar-vn library (Hồ Ngọc Đức's algorithm for UTC+7, the calendar Vietnam uses), never by a
table of our own. Vietnamese custom for a lunar anniversary that a year lacks: a day 30 in a
month of 29 days is kept on the 29th (the last day of that month); a date recorded in a leap
month (tháng nhuận) recurs in the ordinary month of that number. A 29 February recurs on 28
February in other years.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError
from ..i18n import N_, _, dynamic

FIRST_YEAR, LAST_YEAR = 1900, 2100  # lunar-vn's range
# suggested; any word the seller uses works
KINDS = (N_("birthday"), N_("anniversary"), N_("founding"))
LEAD_DAYS = 3  # config occasion.lead_days (and occasion.lead_days.KIND)
GIFT_LEAD_DAYS = 21  # config occasion.gift_lead_days
DONE_WINDOW = 45  # a greeting logged up to this many days before the day counts for it


@dataclass(frozen=True)
class DayOfYear:
    day: int
    month: int
    year: int | None
    lunar: bool
    note: str = ""  # what was adjusted when it was read, said to the seller


_SEP = r"[/.\-]"


def parse(text: str, *, lunar: bool = False) -> DayOfYear:
    """A date as a seller types it: 14/11, 14/11/1978, 1978-11-14, 14-11 (day first; a year of
    four digits first means ISO). Refused: an impossible day (31/02), a month above 12."""
    raw = " ".join(text.split()).lower()
    leap = False
    for word in (" nhuận", " nhuan", " leap"):
        if raw.endswith(word):
            raw, leap = raw[: -len(word)].strip(), True
    if leap and not lunar:
        raise UsageError(_("date {text!r}: only a lunar date can be in a leap month; add --lunar")
                         .format(text=text))
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", raw)
    if iso:
        year, month, day = (int(x) for x in iso.groups())
    else:
        found = re.fullmatch(rf"(\d{{1,2}}){_SEP}(\d{{1,2}})(?:{_SEP}(\d{{4}}))?", raw)
        if not found:
            raise UsageError(_("date {text!r} is not a date; use DAY/MONTH or DAY/MONTH/YEAR "
                               "(14/11, 14/11/1978) or YEAR-MONTH-DAY (1978-11-14)")
                             .format(text=text))
        day, month = int(found.group(1)), int(found.group(2))
        year = int(found.group(3)) if found.group(3) else None
    return check(day, month, year, lunar=lunar, leap=leap, shown=text)


def stored(day: Any, month: Any, year: Any, lunar: Any, what: str,
           quiet: bool = False) -> DayOfYear | None:
    """A date as the book holds it, checked as `check` checks a typed one: None, said once on
    stderr, when it is no day (a book written by another program; on a team database, a
    colleague's psql): the lists leave it out instead of failing for everyone."""
    try:
        if not all(isinstance(v, int) for v in (day, month)) or not (
                year is None or isinstance(year, int)) or lunar not in (0, 1):
            raise UsageError("")
        return check(day, month, year, lunar=bool(lunar))
    except UsageError:
        if not quiet and what not in _SAID:
            _SAID.add(what)
            from ..render import warn

            warn(_("{what} has no day relcrm can place ({day}/{month}{year}); it is left out "
                   "until it is fixed").format(what=what, day=day, month=month,
                                               year=f"/{year}" if year is not None else ""))
        return None


_SAID: set[str] = set()


def check(day: int, month: int, year: int | None, *, lunar: bool, leap: bool = False,
          shown: str | None = None) -> DayOfYear:
    shown = shown or f"{day}/{month}" + (f"/{year}" if year else "")
    if not 1 <= month <= 12:
        raise UsageError((_("date {shown!r}: there is no month {month} in the lunar calendar "
                            "either (months 1 to 12, some years with a leap month); months are "
                            "1 to 12") if lunar else
                          _("date {shown!r}: there is no month {month}; months are 1 to 12"))
                         .format(shown=shown, month=month))
    if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
        raise UsageError(_("date {shown!r}: the year must be {first} to {last}")
                         .format(shown=shown, first=FIRST_YEAR, last=LAST_YEAR))
    if lunar:
        if not 1 <= day <= 30:
            raise UsageError(_("date {shown!r}: a lunar month has 29 or 30 days")
                             .format(shown=shown))
        note = ""
        if year is not None:
            from lunar_vn import LunarDate, lunar_to_solar, solar_to_lunar

            if leap:
                try:
                    lunar_to_solar(LunarDate(min(day, 29), month, year, True))
                except ValueError:
                    raise UsageError(_("date {shown!r}: the lunar year {year} has no leap "
                                       "month {month}").format(shown=shown, year=year,
                                                               month=month)) from None
                note = _("recorded in the leap month {month} of {year}; as custom has it, it "
                         "recurs in the ordinary month {month}").format(month=month, year=year)
            elif day == 30:
                solar = lunar_to_solar(LunarDate(30, month, year))
                if solar_to_lunar(solar) != LunarDate(30, month, year):
                    raise UsageError(_("date {shown!r}: lunar month {month} of {year} has 29 "
                                       "days").format(shown=shown, month=month, year=year))
        elif leap:
            note = _("a leap month recurs, as custom has it, in the ordinary month {month}"
                     ).format(month=month)
        return DayOfYear(day, month, year, True, note)
    if leap:
        raise UsageError(_("date {shown!r}: only a lunar date can be in a leap month")
                         .format(shown=shown))
    longest = calendar.monthrange(year if year is not None else 2000, month)[1]
    if not 1 <= day <= longest:
        name = dynamic(calendar.month_name[month])
        raise UsageError((_("date {shown!r}: {month} has {days} days in {year}")
                          if year is not None and month == 2 else
                          _("date {shown!r}: {month} has {days} days"))
                         .format(shown=shown, month=name, days=longest, year=year))
    return DayOfYear(day, month, year, False)


def in_year(date: DayOfYear, year: int) -> tuple[dt.date, str]:
    """The solar day `date` falls on in `year` (for a lunar date: in lunar year `year`), and a
    note when custom moved it."""
    if not date.lunar:
        if date.month == 2 and date.day == 29 and not calendar.isleap(year):
            return dt.date(year, 2, 28), _("29/2 kept on 28/2 this year")
        return dt.date(year, date.month, date.day), ""
    from lunar_vn import LunarDate, lunar_to_solar, solar_to_lunar

    day, note = date.day, ""
    if day == 30:
        solar = lunar_to_solar(LunarDate(30, date.month, year))
        if solar_to_lunar(solar) != LunarDate(30, date.month, year):
            day, note = 29, _("lunar month {month} has 29 days this year: kept on the 29th"
                              ).format(month=date.month)
    return lunar_to_solar(LunarDate(day, date.month, year)), note


def next_on(date: DayOfYear, today: dt.date) -> tuple[dt.date, str]:
    """The first day on or after `today` that `date` falls on (solar), with any note."""
    for year in (today.year - 1, today.year, today.year + 1):  # lunar years start in Jan/Feb
        if not FIRST_YEAR <= year <= LAST_YEAR:
            continue
        day, note = in_year(date, year)
        if day >= today:
            return day, note
    return in_year(date, today.year + 2)


def show(date: DayOfYear) -> str:
    """14/11/1978, 14/11, 10/3 âm lịch."""
    text = f"{date.day}/{date.month}" + (f"/{date.year}" if date.year else "")
    return text + (" âm lịch" if date.lunar else "")


def years(date: DayOfYear, on: dt.date) -> int | None:
    """How many years `date` has recurred by its day `on` (a birthday: the age then)."""
    if date.year is None:
        return None
    if date.lunar:
        from lunar_vn import solar_to_lunar

        return solar_to_lunar(on).year - date.year
    return on.year - date.year


def may_fall(date: DayOfYear, first: dt.date, last: dt.date) -> bool:
    """Whether `date` can fall between first and last, without converting it: a lunar year
    begins between 21 January and 20 February, its months have 29 or 30 days and a leap
    month may come before; so lunar (month, day) lies within these bounds every year. Spares
    commands that show the next weeks from loading the lunar calendar when nothing lunar is
    near (followups, plan)."""
    if not date.lunar:
        return True
    for year in range(first.year - 1, last.year + 2):
        low = dt.date(year, 1, 21) + dt.timedelta(days=(date.month - 1) * 29 + date.day - 1)
        high = dt.date(year, 2, 20) + dt.timedelta(days=(date.month - 1) * 30 + date.day + 29)
        if low <= last and high >= first:
            return True
    return False


# the months' names, as an impossible day names them (calendar.month_name), for the catalog
MONTHS = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
          N_("July"), N_("August"), N_("September"), N_("October"), N_("November"),
          N_("December"))
