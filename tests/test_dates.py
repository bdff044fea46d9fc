import datetime as dt

import pytest

from relcrm import dates
from relcrm.errors import UsageError

D = dt.date
T = dt.datetime
# TODAY (conftest) is Wednesday 2026-11-25.


@pytest.mark.parametrize("text, past, expected", [
    ("2026-11-30", False, D(2026, 11, 30)),
    ("2026-11-30T14:00", False, T(2026, 11, 30, 14, 0)),
    ("2026-11-30 14:05:09", False, T(2026, 11, 30, 14, 5, 9)),
    ("today", False, D(2026, 11, 25)),
    ("Tomorrow", False, D(2026, 11, 26)),
    ("yesterday", True, D(2026, 11, 24)),
    ("fri", False, D(2026, 11, 27)),
    ("friday", False, D(2026, 11, 27)),
    ("wed", False, D(2026, 11, 25)),  # today is Wednesday: the coming one is today
    ("next wed", False, D(2026, 12, 2)),
    ("next monday", False, D(2026, 11, 30)),
    ("mon", True, D(2026, 11, 23)),  # --at: the most recent Monday
    ("wed", True, D(2026, 11, 25)),
    ("last wed", True, D(2026, 11, 18)),
    ("last fri", False, D(2026, 11, 20)),
    ("in 3 days", False, D(2026, 11, 28)),
    ("in 2 weeks", False, D(2026, 12, 9)),
    ("in 1 month", False, D(2026, 12, 25)),
    ("2 weeks ago", True, D(2026, 11, 11)),
    ("+2w", False, D(2026, 12, 9)),
    ("+3d", False, D(2026, 11, 28)),
    ("+3", False, D(2026, 11, 28)),
    ("-1d", True, D(2026, 11, 24)),
    ("+1m", False, D(2026, 12, 25)),
    ("fri 14:00", False, T(2026, 11, 27, 14, 0)),
    ("tomorrow 9am", False, T(2026, 11, 26, 9, 0)),
    ("tomorrow at 9:30 pm", False, T(2026, 11, 26, 21, 30)),
    ("14:30", False, T(2026, 11, 25, 14, 30)),
    ("now", True, T(2026, 11, 25, 12, 0)),
])
def test_parse_when(text, past, expected):
    assert dates.parse_when(text, past=past) == expected


@pytest.mark.parametrize("text", [
    "", "   ", "someday", "2026-02-30", "2026-13-01", "0000-01-01", "99999-01-01",
    "in three days", "+2x", "fri 25:00", "next", "next blursday", "1899-12-31",
    "in 99999 years", "2026-11-30T14:00:00+99:00", "'; DROP TABLE prospect; --",
])
def test_parse_when_rejects_with_the_accepted_forms(text):
    with pytest.raises(UsageError) as err:
        dates.parse_when(text)
    assert "YYYY-MM-DD" in err.value.message or "range" in err.value.message


def test_today_is_fixed_by_the_environment(monkeypatch):
    monkeypatch.setenv("RELCRM_TODAY", "2027-01-03")
    assert dates.today() == D(2027, 1, 3)
    assert dates.now() == T(2027, 1, 3, 12, 0)
    monkeypatch.setenv("RELCRM_TODAY", "2027-01-03T08:15")
    assert dates.now() == T(2027, 1, 3, 8, 15)


def test_a_bad_fixed_today_is_a_usage_error(monkeypatch):
    monkeypatch.setenv("RELCRM_TODAY", "next week")
    with pytest.raises(UsageError, match="RELCRM_TODAY"):
        dates.today()


def test_frozen_overrides_the_clock():
    with dates.frozen(T(2020, 5, 1, 9, 30)):
        assert dates.now() == T(2020, 5, 1, 9, 30)
    assert dates.today() == D(2026, 11, 25)


def test_week_runs_monday_to_sunday():
    assert dates.week_end(D(2026, 11, 23)) == D(2026, 11, 29)
    assert dates.week_end(D(2026, 11, 29)) == D(2026, 11, 29)
    assert dates.week_end(D(2026, 11, 30)) == D(2026, 12, 6)


def test_display_forms():
    assert dates.show("2026-11-30") == "Mon 2026-11-30"
    assert dates.show("2026-11-30T14:05:00") == "Mon 2026-11-30 14:05"
    assert dates.show_day("2026-11-30T14:05:00") == "Mon 2026-11-30"
    assert dates.show(None) == ""
    assert dates.ago(D(2026, 11, 22), D(2026, 11, 25)) == "3 days ago"
    assert dates.ago(D(2026, 11, 26), D(2026, 11, 25)) == "tomorrow"


def test_at_time_takes_the_time_of_day_for_a_bare_date():
    assert dates.at_time(D(2026, 11, 20)) == T(2026, 11, 20, 12, 0)
    assert dates.at_time(T(2026, 11, 20, 8, 0)) == T(2026, 11, 20, 8, 0)
