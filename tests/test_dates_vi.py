"""WHEN the Vietnamese way: day-first numeric dates, Vietnamese day and weekday words with or
without accents, times after the day (14h, 2 giờ chiều), and one rule for "next WEEKDAY": the
given weekday of next week (weeks run Monday to Sunday)."""

import datetime as dt

import pytest

from relcrm import dates
from relcrm.errors import UsageError

D = dt.date
T = dt.datetime
MONDAY = D(2026, 11, 23)  # the week of TODAY (conftest): Wednesday 2026-11-25
WED = T(2026, 11, 25, 12, 0)
DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
VI_NAMES = ["thứ 2", "thứ 3", "thứ 4", "thứ 5", "thứ 6", "thứ 7", "chủ nhật"]


@pytest.fixture(autouse=True)
def default_order():
    """Each test starts with the default date order and no notices, and leaves them so."""
    dates.set_date_order(None)
    dates.NOTICES.clear()
    yield
    dates.set_date_order(None)
    dates.NOTICES.clear()


def on(day: D, hour: int = 12) -> T:
    return T(day.year, day.month, day.day, hour, 0)


def parse(text: str, *, past: bool = False, today: T = WED):
    with dates.frozen(today):
        return dates.parse_when(text, past=past)


def refusal(text: str, *, past: bool = False, today: T = WED) -> str:
    with pytest.raises(UsageError) as err, dates.frozen(today):
        dates.parse_when(text, past=past)
    message = err.value.message
    assert "\n" not in message
    return message


# -- Vietnamese words (today is Wednesday 2026-11-25) -------------------------------------------
VIETNAMESE = [
    ("hôm nay", False, D(2026, 11, 25)), ("hom nay", False, D(2026, 11, 25)),
    ("mai", False, D(2026, 11, 26)), ("ngày mai", False, D(2026, 11, 26)),
    ("mốt", False, D(2026, 11, 27)), ("ngày mốt", False, D(2026, 11, 27)),
    ("ngày kia", False, D(2026, 11, 27)),
    ("hôm qua", True, D(2026, 11, 24)), ("hôm kia", True, D(2026, 11, 23)),
    ("thứ 2", False, D(2026, 11, 30)), ("thứ 3", False, D(2026, 12, 1)),
    ("thứ 4", False, D(2026, 11, 25)),  # today is Wednesday: the coming one is today
    ("thứ 5", False, D(2026, 11, 26)), ("thứ 6", False, D(2026, 11, 27)),
    ("thứ 7", False, D(2026, 11, 28)),
    ("thứ hai", False, D(2026, 11, 30)), ("thứ ba", False, D(2026, 12, 1)),
    ("thứ tư", False, D(2026, 11, 25)), ("thứ năm", False, D(2026, 11, 26)),
    ("thứ sáu", False, D(2026, 11, 27)), ("thứ bảy", False, D(2026, 11, 28)),
    ("thu 6", False, D(2026, 11, 27)), ("thứ6", False, D(2026, 11, 27)),
    ("chủ nhật", False, D(2026, 11, 29)), ("chu nhat", False, D(2026, 11, 29)),
    ("CN", False, D(2026, 11, 29)),
    ("T2", False, D(2026, 11, 30)), ("T3", False, D(2026, 12, 1)), ("T4", False, D(2026, 11, 25)),
    ("T5", False, D(2026, 11, 26)), ("T6", False, D(2026, 11, 27)), ("T7", False, D(2026, 11, 28)),
    ("thứ 2", True, D(2026, 11, 23)),  # --at: the most recent Monday
    ("thứ 4", True, D(2026, 11, 25)), ("thứ 6", True, D(2026, 11, 20)),
    ("tuần sau", False, D(2026, 11, 30)), ("tuần tới", False, D(2026, 11, 30)),
    ("tuần trước", True, D(2026, 11, 16)),
    ("tháng sau", False, D(2026, 12, 25)), ("tháng tới", False, D(2026, 12, 25)),
    ("tháng trước", True, D(2026, 10, 25)),
    ("3 ngày nữa", False, D(2026, 11, 28)), ("3 ngày sau", False, D(2026, 11, 28)),
    ("sau 3 ngày", False, D(2026, 11, 28)), ("ba ngày nữa", False, D(2026, 11, 28)),
    ("2 tuần nữa", False, D(2026, 12, 9)), ("hai tuần nữa", False, D(2026, 12, 9)),
    ("1 tháng nữa", False, D(2026, 12, 25)), ("một tháng nữa", False, D(2026, 12, 25)),
    ("2 năm nữa", False, D(2028, 11, 25)),
    ("3 ngày trước", True, D(2026, 11, 22)), ("2 tuần trước", True, D(2026, 11, 11)),
    ("cách đây 2 tuần", True, D(2026, 11, 11)), ("1 tháng trước", True, D(2026, 10, 25)),
    ("thứ 6 tuần sau", False, D(2026, 12, 4)), ("thứ 2 tuần sau", False, D(2026, 11, 30)),
    ("T6 tuần tới", False, D(2026, 12, 4)), ("chủ nhật tuần sau", False, D(2026, 12, 6)),
    ("thứ 6 tuần này", False, D(2026, 11, 27)), ("thứ 2 tuần này", True, D(2026, 11, 23)),
    ("thứ 6 tuần trước", True, D(2026, 11, 20)), ("thứ 6 này", False, D(2026, 11, 27)),
    ("bây giờ", True, T(2026, 11, 25, 12, 0)),
]


@pytest.mark.parametrize("text, past, expected", VIETNAMESE)
def test_vietnamese_words(text, past, expected):
    assert parse(text, past=past) == expected


@pytest.mark.parametrize("text, past, expected", VIETNAMESE)
def test_vietnamese_words_without_accents_in_any_case(text, past, expected):
    from relcrm.text import fold

    assert parse(fold(text), past=past) == expected
    assert parse(text.upper(), past=past) == expected
    assert parse(f"  {fold(text).title()}  ", past=past) == expected


def test_the_month_ahead_keeps_the_day_or_takes_the_last_one():
    assert parse("tháng sau", today=T(2027, 1, 31, 12, 0)) == D(2027, 2, 28)
    assert parse("1 tháng nữa", today=T(2028, 1, 31, 12, 0)) == D(2028, 2, 29)


# -- next / this / bare WEEKDAY from every day of the week ---------------------------------------
WEEK = [(today, target) for today in range(7) for target in range(7)]


@pytest.mark.parametrize("today, target", WEEK)
def test_next_weekday_is_that_day_of_next_week(today, target):
    """The rule, from any day: "next X" is X of the week after this one (Monday to Sunday)."""
    now = on(MONDAY + dt.timedelta(days=today))
    expected = MONDAY + dt.timedelta(days=7 + target)
    assert parse(f"next {DAY_NAMES[target]}", today=now) == expected
    assert parse(f"next {DAY_NAMES[target]}", past=True, today=now) == expected
    assert parse(f"{VI_NAMES[target]} tuần sau", today=now) == expected
    assert parse(f"next {VI_NAMES[target]}", today=now) == expected


@pytest.mark.parametrize("today, target", WEEK)
def test_a_bare_or_this_weekday_is_the_coming_one_and_in_the_past_the_last_one(today, target):
    now = on(MONDAY + dt.timedelta(days=today))
    ahead = MONDAY + dt.timedelta(days=today + (target - today) % 7)
    back = MONDAY + dt.timedelta(days=today - (today - target) % 7)
    for name in (DAY_NAMES[target], VI_NAMES[target]):
        assert parse(name, today=now) == ahead  # --next: today included
        assert parse(name, past=True, today=now) == back  # --at: today included
        assert parse(f"this {name}", today=now) == ahead
    assert parse(f"{VI_NAMES[target]} tuần này", today=now) == MONDAY + dt.timedelta(days=target)
    assert parse(f"{VI_NAMES[target]} tuần trước", today=now) == MONDAY + dt.timedelta(
        days=target - 7)


def test_on_a_monday_next_tue_and_next_mon_are_both_next_week():
    """The old ambiguity: on a Monday "next tue" was tomorrow while "next mon" was a week on."""
    monday = on(MONDAY)
    assert parse("next tue", today=monday) == D(2026, 12, 1)
    assert parse("next mon", today=monday) == D(2026, 11, 30)
    assert parse("tue", today=monday) == D(2026, 11, 24)  # the coming Tuesday is tomorrow


# -- numeric dates --------------------------------------------------------------------------------
@pytest.mark.parametrize("text, past, expected", [
    ("15/12", False, D(2026, 12, 15)), ("15/12/2026", False, D(2026, 12, 15)),
    ("15-12-2026", False, D(2026, 12, 15)), ("15.12.2026", False, D(2026, 12, 15)),
    ("20/1/2027", False, D(2027, 1, 20)), ("ngày 15/12", False, D(2026, 12, 15)),
    ("ngày 15 tháng 12", False, D(2026, 12, 15)),
    ("15 tháng 12 năm 2027", False, D(2027, 12, 15)),
    ("2026/12/15", False, D(2026, 12, 15)), ("2026-1-5", False, D(2026, 1, 5)),
    ("25/11", False, D(2026, 11, 25)), ("25/11", True, D(2026, 11, 25)),  # today either way
    ("24/11", False, D(2027, 11, 24)),  # no year, --next: the next one on or after today
    ("24/11", True, D(2026, 11, 24)),
    ("15/12", True, D(2025, 12, 15)),  # no year, --at: the last one on or before today
    ("29/02", False, D(2028, 2, 29)), ("29/02", True, D(2024, 2, 29)),
    ("15/12 14h", False, T(2026, 12, 15, 14, 0)),
    ("15/12/2026 14:30", False, T(2026, 12, 15, 14, 30)),
    ("9h ngày 15/12", False, T(2026, 12, 15, 9, 0)),
])
def test_numeric_dates_are_day_first(text, past, expected):
    assert parse(text, past=past) == expected
    assert dates.NOTICES == []  # nothing here could be read the other way


def test_an_ambiguous_date_read_day_first_is_noticed_once():
    assert parse("03/04") == D(2027, 4, 3)
    assert parse("03/04") == D(2027, 4, 3)  # read again (the interactive call does): one notice
    assert parse("03/04/2027 9h") == T(2027, 4, 3, 9, 0)
    assert dates.take_notices() == [
        "read 03/04 as 3 April (day first; config date_order mdy for month first)",
        "read 03/04/2027 as 3 April 2027 (day first; config date_order mdy for month first)"]
    assert dates.NOTICES == []
    parse("05/05")  # the same either way
    parse("13/04")  # only one way
    assert dates.NOTICES == []


def test_a_chosen_date_order_is_followed_without_notices():
    dates.set_date_order("mdy")
    assert dates.DATE_ORDER == "mdy"
    assert parse("03/04") == D(2027, 3, 4)
    assert parse("12/15/2026") == D(2026, 12, 15)
    assert "no month 15 (month first" in refusal("15/12")
    dates.set_date_order("DMY")
    assert parse("03/04") == D(2027, 4, 3)
    assert dates.NOTICES == []  # chosen, so not a guess
    with pytest.raises(UsageError, match="use dmy .* or mdy"):
        dates.set_date_order("ymd")
    assert dates.DATE_ORDER == "dmy"


# -- times after (or before) the day --------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("14h", T(2026, 11, 25, 14, 0)), ("14h30", T(2026, 11, 25, 14, 30)),
    ("14g", T(2026, 11, 25, 14, 0)), ("9g", T(2026, 11, 25, 9, 0)),
    ("9g30", T(2026, 11, 25, 9, 30)), ("0h", T(2026, 11, 25, 0, 0)),
    ("9 giờ", T(2026, 11, 25, 9, 0)), ("9 giờ 30", T(2026, 11, 25, 9, 30)),
    ("9 giờ 30 phút", T(2026, 11, 25, 9, 30)), ("9 giờ rưỡi", T(2026, 11, 25, 9, 30)),
    ("9 giờ sáng", T(2026, 11, 25, 9, 0)), ("9h sáng", T(2026, 11, 25, 9, 0)),
    ("12 giờ trưa", T(2026, 11, 25, 12, 0)), ("1 giờ trưa", T(2026, 11, 25, 13, 0)),
    ("2 giờ chiều", T(2026, 11, 25, 14, 0)), ("2h30 chiều", T(2026, 11, 25, 14, 30)),
    ("14h chiều", T(2026, 11, 25, 14, 0)), ("8 giờ tối", T(2026, 11, 25, 20, 0)),
    ("8 GIO TOI", T(2026, 11, 25, 20, 0)), ("14:30", T(2026, 11, 25, 14, 30)),
    ("lúc 14h", T(2026, 11, 25, 14, 0)),
    ("thứ 6 14h", T(2026, 11, 27, 14, 0)), ("fri 14h", T(2026, 11, 27, 14, 0)),
    ("mai 9h", T(2026, 11, 26, 9, 0)), ("ngày mai lúc 9 giờ sáng", T(2026, 11, 26, 9, 0)),
    ("9h sáng mai", T(2026, 11, 26, 9, 0)), ("2 giờ chiều thứ 6", T(2026, 11, 27, 14, 0)),
    ("thứ 6 tuần sau 8 giờ tối", T(2026, 12, 4, 20, 0)),
    ("next fri 9g", T(2026, 12, 4, 9, 0)), ("T7 10h15", T(2026, 11, 28, 10, 15)),
    ("2026-11-30 14h", T(2026, 11, 30, 14, 0)),
    ("fri 14:00", T(2026, 11, 27, 14, 0)), ("tomorrow 9am", T(2026, 11, 26, 9, 0)),
])
def test_times_of_day(text, expected):
    assert parse(text) == expected


# -- refusals: one clear message ------------------------------------------------------------------
@pytest.mark.parametrize("text, reason", [
    ("31/02", "cannot read date '31/02': February has no day 31; use YYYY-MM-DD"),
    ("31/04/2027", "April has no day 31"),
    ("29/02/2027", "February 2027 has 28 days"),
    ("15/13", "there is no month 13 (day first: DD/MM; config date_order mdy for month first)"),
    ("12/15", "there is no month 15 (day first"),
    ("0/12", "there is no day 0"),
    ("15/12/26", "write the year in full (15/12/2026)"),
    ("2026-02-30", "February has no day 30"),
    ("15/12/1800", "out of range; years 1900-2999"),
    ("25h", "'25h' is out of range for a time of day; use 00:00-23:59"),
    ("thứ 6 24h", "'24h' is out of range for a time of day"),
    ("mai 9h60", "'9h60' is out of range"),
    ("thứ 6 14 giờ sáng", "'14 giờ sáng' is out of range for a time of day; sáng (morning) "
                          "takes 0-11"),
    ("3 giờ tối", "tối (evening) takes 5-11"),
    ("0 giờ chiều", "chiều (afternoon) takes 1-11"),
    ("fri 13pm", "'13pm' is out of range"),
    ("9am chiều", "give am/pm or sáng/chiều/tối, not both"),
    ("thứ 8", "cannot read date 'thứ 8'; use YYYY-MM-DD"),
    ("thứ 6 tới tới", "cannot read date"),
    ("tuần", "cannot read date"),
    ("3 ngày", "cannot read date"),
    ("ba ngày", "cannot read date"),
    ("mai 9", "cannot read date"),
])
def test_refusals_say_why_and_what_is_accepted(text, reason):
    message = refusal(text)
    assert reason in message
    if "time of day" not in message and "years" not in message:
        assert message.endswith(dates.WHEN_HELP)


def test_the_help_names_the_new_forms_and_the_rule():
    for form in ("DD/MM[/YYYY]", "next mon = Monday of next week", "thứ 6", "tuần sau",
                 "14h30", "2 giờ chiều"):
        assert form in dates.WHEN_HELP
    assert "next WEEKDAY" not in dates.WHEN_HELP
    assert "Friday of NEXT week" in dates.parse_when.__doc__


# -- through the CLI ------------------------------------------------------------------------------
def test_a_step_on_friday_at_two_pm_the_vietnamese_way(cli):
    cli.add("An")
    cli("step", "add", "an", "thứ 6 14h", "call")
    assert cli.one("SELECT due_at FROM step") == "2026-11-27T14:00:00"
    cli("step", "add", "an", "Thu 6 tuan sau 2 gio chieu", "demo")
    cli("step", "add", "an", "15/12", "quote")
    assert cli.sql("SELECT due_at FROM step ORDER BY id") == [
        ("2026-11-27T14:00:00",), ("2026-12-04T14:00:00",), ("2026-12-15",)]


def test_next_and_at_in_vietnamese(cli):
    cli.add("An", "--next", "mai 9h", "--next-step", "call")
    assert cli.one("SELECT due_at FROM step") == "2026-11-26T09:00:00"
    cli("log", "an", "call", "--at", "hôm qua 15h", "--next", "T2")
    assert cli.one("SELECT at FROM touch") == "2026-11-24T15:00:00"
    assert cli.sql("SELECT due_at FROM step ORDER BY id")[-1] == ("2026-11-30",)


def test_next_tue_on_a_monday_is_next_week(cli):
    monday = {"RELCRM_TODAY": "2026-11-23"}
    cli.add("An", env=monday)
    cli("step", "add", "an", "next tue", "demo", env=monday)
    cli("step", "add", "an", "tue", "call", env=monday)
    assert cli.sql("SELECT due_at, text FROM step ORDER BY id") == [
        ("2026-12-01", "demo"), ("2026-11-24", "call")]


def test_an_impossible_date_is_refused_in_one_line(cli):
    cli.add("An")
    cli.fails(2, "step", "add", "an", "31/02", "call", match="February has no day 31")
    cli.fails(2, "step", "add", "an", "thứ 6 25h", "call", match="'25h' is out of range")
