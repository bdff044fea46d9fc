"""Working days: which days are off (the `workdays` setting and the country's public holidays),
and the next working day after a date.

Public holidays come from the `holidays` package (it knows Vietnam's, lunar Tết included);
nothing here is a hand-kept table. The days off of a few years around today are kept in the
book (`_day_off`, each with its next working day) so that the follow-up SQL can move a cadence
date off a Sunday or a holiday with one indexed look-up; they are rebuilt when `workdays` or
`country` change, and extended as the years pass (only by writes: a read never writes).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from functools import lru_cache

from . import dates, settings

YEARS_BEFORE, YEARS_AFTER = 1, 4  # the years built around today's
EXTEND_WITHIN = 2  # rebuild when fewer years than this are left ahead


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS_VI = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


@lru_cache(maxsize=16)
def holidays_of(country: str, first: int, last: int,
                language: str = "en_US") -> dict[dt.date, str]:
    """The country's public holidays in the years first..last (none for "none"), named in
    `language` when the holidays package has it (English is what the book keeps)."""
    if country == "none":
        return {}
    import holidays

    try:
        calendar = holidays.country_holidays(country, years=range(first, last + 1))
        if language in (calendar.supported_languages or ()):
            calendar = holidays.country_holidays(country, years=range(first, last + 1),
                                                 language=language)  # never the machine's
        return dict(calendar.items())
    except (NotImplementedError, KeyError, AttributeError):
        from .errors import DatabaseError
        from .i18n import _

        raise DatabaseError(_("the book's setting country = {country!r} is not a country with "
                              "public holidays here; set it again (relcrm config country VN) or "
                              "to none").format(country=country)) from None


def _days_off(workdays: set[int], country: str, first: int,
              last: int) -> list[tuple[str, str, str]]:
    """(day, next working day, why) for every day off in the years first..last."""
    public = holidays_of(country, first, last + 1)
    names = WEEKDAYS

    def off(day: dt.date) -> str | None:
        if day in public:
            return public[day]
        return None if day.weekday() in workdays else names[day.weekday()]

    rows = []
    day, end = dt.date(first, 1, 1), dt.date(last, 12, 31)
    while day <= end:
        why = off(day)
        if why is not None:
            after = day + dt.timedelta(days=1)
            for _ in range(60):  # a run of days off is never this long
                if off(after) is None:
                    break
                after += dt.timedelta(days=1)
            rows.append((day.isoformat(), after.isoformat(), why))
        day += dt.timedelta(days=1)
    return rows


def rebuild(con: sqlite3.Connection, today: dt.date | None = None) -> None:
    """Build the days off of the years around today from the settings (in the caller's
    transaction). The follow-up dates that depend on them are marked for recomputation by the
    database (a trigger on _day_off)."""
    today = today or dates.today()
    first, last = today.year - YEARS_BEFORE, today.year + YEARS_AFTER
    workdays = settings.workday_numbers(settings.get(con, "workdays"))
    country = settings.get(con, "country")
    rows = [*_days_off(workdays, country, first, last),
            *((str(year), "", "built") for year in range(first, last + 1))]
    from .db import on_team

    if on_team(con):  # a team database's days off are the team's:
        import json  # the database lays them (relcrm_days_off), as it keeps the journal

        con.execute("SELECT relcrm_days_off(?)", (json.dumps([list(r) for r in rows]),))
        return
    con.execute("DELETE FROM _day_off")
    con.executemany("INSERT INTO _day_off (day, next_workday, name) VALUES (?, ?, ?)", rows)


def ensure(con: sqlite3.Connection, today: dt.date | None = None) -> bool:
    """Build or extend the days off when today's years are not covered; True if it did."""
    today = today or dates.today()
    row = con.execute("SELECT min(day), max(day) FROM _day_off WHERE length(day) = 4").fetchone()
    if row[0] is not None and int(row[0]) <= today.year and \
            int(row[1]) >= today.year + EXTEND_WITHIN:
        return False
    rebuild(con, today)
    return True


def day_off(con: sqlite3.Connection, day: dt.date) -> str | None:
    """Why `day` is not a working day (a holiday's name, or the weekday), or None."""
    row = con.execute("SELECT name FROM _day_off WHERE day = ?", (day.isoformat(),)).fetchone()
    return row[0] if row is not None else None


def next_workday(con: sqlite3.Connection, day: dt.date) -> dt.date:
    row = con.execute("SELECT next_workday FROM _day_off WHERE day = ?",
                      (day.isoformat(),)).fetchone()
    return dt.date.fromisoformat(row[0]) if row is not None else day


def working_days(con: sqlite3.Connection, start: dt.date):
    """Working days from `start` on (start included when it is one), endlessly: by the book's
    settings and the holidays library, reading nothing but the settings (a dry run may ask)."""
    workdays = settings.workday_numbers(settings.get(con, "workdays"))
    country = settings.get(con, "country")
    day = start
    while True:
        public = holidays_of(country, day.year, day.year)
        if day.weekday() in workdays and day not in public:
            yield day
        day += dt.timedelta(days=1)


_NAMES = WEEKDAYS


def shown(con: sqlite3.Connection, day: dt.date, why: str | None) -> str | None:
    """Why a day is off, in the language relcrm speaks: the book keeps it in English (the
    weekday, or the holiday's English name); in Vietnamese, thứ Bảy, Chủ nhật, or the
    holiday's Vietnamese name from the holidays package (Tết Nguyên Đán)."""
    from .i18n import current

    if why is None or current() != "vi":
        return why
    if why in WEEKDAYS:
        return WEEKDAYS_VI[WEEKDAYS.index(why)]
    country = settings.get(con, "country")
    try:
        return holidays_of(country, day.year, day.year, "vi").get(day, why)
    except Exception:  # noqa: BLE001 - a name to show: the English one will do
        return why


def off_reason(con: sqlite3.Connection, day: dt.date) -> str | None:
    """Why `day` is not a working day by the book's settings (a holiday's name, or the
    weekday), or None, in the language relcrm speaks; reads only the settings (a dry run
    may ask)."""
    workdays = settings.workday_numbers(settings.get(con, "workdays"))
    public = holidays_of(settings.get(con, "country"), day.year, day.year)
    if day in public:
        return shown(con, day, public[day])
    return None if day.weekday() in workdays else shown(con, day, _NAMES[day.weekday()])


def off_days(con: sqlite3.Connection, first: dt.date, last: dt.date) -> dict[dt.date, str]:
    """The days off in first..last, each with why (as off_reason says it): read from the days
    off kept in the book when they cover those years (one indexed read, no holidays library),
    else worked out from the settings."""
    years = {str(year) for year in range(first.year, last.year + 1)}
    built = {row[0] for row in con.execute(
        "SELECT day FROM _day_off WHERE day BETWEEN ? AND ? AND length(day) = 4",
        (str(first.year), str(last.year)))}
    if built >= years:
        return {day: shown(con, day, name) for day, name in (
            (dt.date.fromisoformat(day), name) for day, name in con.execute(
                "SELECT day, name FROM _day_off WHERE day BETWEEN ? AND ? AND length(day) = 10",
                (first.isoformat(), last.isoformat())))}
    workdays = settings.workday_numbers(settings.get(con, "workdays"))
    public = holidays_of(settings.get(con, "country"), first.year, last.year)
    off, day = {}, first
    while day <= last:
        if day in public:
            off[day] = shown(con, day, public[day])
        elif day.weekday() not in workdays:
            off[day] = shown(con, day, _NAMES[day.weekday()])
        day += dt.timedelta(days=1)
    return off
