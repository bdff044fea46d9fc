"""plan: the agenda of a period, day by day (today is Wed 2026-11-25; this week runs to Sun
2026-11-29, next week is Mon 2026-11-30 .. Sun 2026-12-06). One book is built for the module
and copied into each test's own book."""

import csv
import io
import json
import os
import re
import sqlite3

import pytest

from conftest import Cli
from relcrm import db

DAY = "2026-11-25"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A small book with something on most days of this week and the next."""
    path = tmp_path_factory.mktemp("plan") / "book.db"
    base = {"RELCRM_DB": str(path), "XDG_DATA_HOME": str(path.parent / "data"),
            "HOME": str(path.parent / "home"), "NO_COLOR": None}
    db.select(None)
    book = Cli(path)

    def run(*args, on=DAY):
        book(*args, env={**base, "RELCRM_TODAY": on})

    def add(name, *args, on=DAY):
        run("add", name, "--quiet", *args, on=on)

    # overdue: a step since Mon 11-23, and someone never contacted since Fri 11-20
    add("Late", "--company", "Lê Gia", on="2026-11-18")
    run("log", "late", "call", "--next", "2026-11-23", "--next-step", "revised quote",
        on="2026-11-20")
    add("Old", on="2026-11-20")
    # today: an appointment, a step, a new prospect, a key account without a decider
    add("Nguyễn Văn An", "--company", "Minh Phát", "--next", "today 15:00",
        "--next-step", "call back")
    run("step", "add", "an", "today", "send the catalogue")
    add("Fresh")
    run("account", "edit", "minh phat", "--key")
    # Thursday: two appointments added out of order (one 90 minutes), and a step
    add("Bình", "--company", "Hòa Bình", "--next", "thu", "--next-step", "intro call")
    run("step", "add", "binh", "thu 14:00", "demo", "--kind", "demo", "--minutes", "90")
    run("step", "add", "binh", "thu 9:00", "call about pricing", "--kind", "call")
    # Friday: a cadence check-in, an account meeting, and a disqualified prospect's step
    add("Warm", on="2026-11-20")
    run("log", "warm", "message", on="2026-11-24")
    run("account", "step", "minh", "fri 10:00", "site survey", "--kind", "visit",
        "--with", "an", "--minutes", "120")
    add("Phantom", "--next", "fri")
    run("qualify", "phantom", "--budget", "no")
    # next week: back from a snooze on Wed, a key account's cadence on Thu, a revisit on Fri
    add("Away", "--next", "tomorrow")
    run("snooze", "away", "2026-12-02", "--reason", "travelling")
    add("Hà", "--company", "Sao Mai", on="2026-09-01")
    run("role", "ha", "decider", on="2026-09-01")
    run("stage", "set", "ha", "loyal", on="2026-09-01")
    run("account", "edit", "sao mai", "--key", on="2026-09-01")
    run("log", "ha", "visit", on="2026-11-12")
    add("Gone", on="2026-06-01")
    run("stage", "set", "gone", "lost", "--reason", "chose a rival", "--revisit", "2026-12-04")
    # New Year's Day
    run("step", "add", "ha", "2027-01-01", "New Year wishes", "--kind", "message")
    db.select(None)
    return path


@pytest.fixture
def cli(built, tmp_path):
    """The built book, copied into this test's book."""
    source, target = sqlite3.connect(built), sqlite3.connect(tmp_path / "book.db")
    source.backup(target)
    source.close(), target.close()
    os.chmod(tmp_path / "book.db", 0o600)  # as relcrm makes a book: private
    return Cli(tmp_path / "book.db")


WEEK = """\
Plan for this week, Wed 2026-11-25 to Sun 2026-11-29: 11 items (2 overdue)
Wed 2026-11-25 (today) — 6 items (2 overdue)
  overdue since Fri 2026-11-20  2  Old                       Attract  never contacted, added Fri 2026-11-20 (5 days ago): contact at once
  overdue since Mon 2026-11-23  1  Late           Lê Gia     Attract  next step overdue since Mon 2026-11-23 (2 days): revised quote
  15:00–16:00                   3  Nguyễn Văn An  Minh Phát  Attract  first contact due today 15:00: call back
                                3  Nguyễn Văn An  Minh Phát  Attract  first contact due today: send the catalogue
                                4  Fresh                     Attract  never contacted, added Wed 2026-11-25 (today): contact at once
                                   (key account)  Minh Phát  Pre-KAM  no known decider: map the buying centre (relcrm role REF decider)
Thu 2026-11-26 — 3 items
  09:00–10:00                   5  Bình           Hòa Bình   Attract  call due Thu 2026-11-26 09:00: call about pricing
  14:00–15:30                   5  Bình           Hòa Bình   Attract  demo due Thu 2026-11-26 14:00: demo
                                5  Bình           Hòa Bình   Attract  first contact due Thu 2026-11-26: intro call
Fri 2026-11-27 — 2 items
  10:00–12:00                      Nguyễn Văn An  Minh Phát  Pre-KAM  visit with Minh Phát (Nguyễn Văn An) due Fri 2026-11-27 10:00: site survey
                                6  Warm                      Attract  keep in touch: last touch yesterday (Attract: every 3 days)
Sat 2026-11-28 — nothing planned — day off: Saturday
Sun 2026-11-29 — nothing planned — day off: Sunday
"""  # noqa: E501

NEXT_WEEK = """\
Plan for next week, Mon 2026-11-30 to Sun 2026-12-06: 3 items
Mon 2026-11-30 — nothing planned
Tue 2026-12-01 — nothing planned
Wed 2026-12-02 — 1 item
   8  Away                    Attract  first contact due Wed 2026-12-02: first contact; back from snooze: travelling
Thu 2026-12-03 — 1 item
      (key account)  Sao Mai  Pre-KAM  key account: touch someone there by Thu 2026-12-03 (Pre-KAM: every 21 days)
Fri 2026-12-04 — 1 item
  10  Gone                    Lost     revisit the lost relationship: chose a rival
Sat 2026-12-05 — nothing planned — day off: Saturday
Sun 2026-12-06 — nothing planned — day off: Sunday
"""  # noqa: E501


def headings(out: str) -> list[str]:
    return [line for line in out.splitlines() if re.match(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ", line)]


def test_the_week_day_by_day(cli):
    """Overdue first under today, then appointments by time, steps, care, key accounts; the
    days off of the weekend listed, empty."""
    assert cli("plan", "week").out == WEEK
    assert cli("plan", "this-week").out == WEEK


def test_next_week_shows_what_falls_due_then_and_nothing_overdue(cli):
    """Back from a snooze, a key account's cadence, a revisit; the empty days too."""
    assert cli("plan", "next-week").out == NEXT_WEEK
    assert cli("plan", "next week").out == NEXT_WEEK


def test_today_is_the_default(cli):
    out = cli("plan").out
    assert out == cli("plan", "today").out == cli("plan", "wed").out
    lines = out.splitlines()
    assert lines[0] == "Plan for today, Wed 2026-11-25: 6 items (2 overdue)"
    assert lines[1:] == WEEK.splitlines()[1:8]
    assert cli("plan", "--days", "0").out == out


def test_tomorrow_has_its_own_items_only(cli):
    assert cli("plan", "tomorrow").lines == [
        "Plan for tomorrow, Thu 2026-11-26: 3 items",
        "Thu 2026-11-26 — 3 items",
        "  09:00–10:00  5  Bình  Hòa Bình  Attract  call due Thu 2026-11-26 09:00: "
        "call about pricing",
        "  14:00–15:30  5  Bình  Hòa Bình  Attract  demo due Thu 2026-11-26 14:00: demo",
        "               5  Bình  Hòa Bình  Attract  first contact due Thu 2026-11-26: intro call",
    ]


def test_one_day_by_when(cli):
    friday = cli("plan", "fri").out
    assert friday == cli("plan", "2026-11-27").out == cli("plan", "+2d").out
    assert friday.splitlines()[:2] == ["Plan for Fri 2026-11-27: 2 items",
                                       "Fri 2026-11-27 — 2 items"]
    assert cli("plan", "fri 16:00").out == friday  # the day of a WHEN with a time
    # a public holiday of the book's country (VN by default), and Tết
    assert cli("plan", "2027-01-01").lines == [
        "Plan for Fri 2027-01-01: 1 item",
        "Fri 2027-01-01 — 1 item — day off: New Year's Day",
        "  9  Hà  Sao Mai  Loyal  message due Fri 2027-01-01: New Year wishes"]
    assert cli("plan", "2027-02-08").lines == [
        "Plan for Mon 2027-02-08: nothing planned",
        "Mon 2027-02-08 — nothing planned — day off: Third Day of Lunar New Year"]


def test_days_off_follow_the_books_settings(cli):
    cli("config", "country", "none")
    assert cli("plan", "2027-01-01").lines[1] == "Fri 2027-01-01 — 1 item"
    cli("config", "workdays", "mon-sat")
    assert headings(cli("plan", "week").out)[-2:] == [
        "Sat 2026-11-28 — nothing planned", "Sun 2026-11-29 — nothing planned — day off: Sunday"]


def test_days_ahead(cli):
    out = cli("plan", "--days", "2").out
    assert out.splitlines()[0] == ("Plan for today and the next 2 days, Wed 2026-11-25 to "
                                   "Fri 2026-11-27: 11 items (2 overdue)")
    assert out.splitlines()[1:] == WEEK.splitlines()[1:-2]
    assert len(headings(cli("plan", "-d", "13").out)) == 14


def test_busy_days_are_marked(cli):
    assert headings(cli("plan", "week", "--busy", "2").out)[:3] == [
        "Wed 2026-11-25 (today) — 6 items (2 overdue) — busy: more than 2",
        "Thu 2026-11-26 — 3 items — busy: more than 2",
        "Fri 2026-11-27 — 2 items"]
    assert "busy" not in cli("plan", "week").out  # more than 8
    assert "busy" not in cli("plan", "week", "--busy", "0").out  # never


def test_disqualified_prospects_only_with_all(cli):
    assert "Phantom" not in cli("plan", "fri").out
    out = cli("plan", "fri", "--all").out
    assert out.splitlines()[1] == "Fri 2026-11-27 — 3 items"
    assert "  7  Phantom" in out


def test_csv_tsv_and_json_have_a_row_per_item_with_its_day(cli):
    from relcrm.core.followups import COLUMNS as FOLLOWUP_COLUMNS

    rows = json.loads(cli("plan", "week", "-f", "json").out)
    header = ["day", *FOLLOWUP_COLUMNS, "minutes"]
    assert header[:6] == ["day", "due_on", "reason", "why", "stalled", "days_overdue"]
    assert all(list(row) == header for row in rows) and len(rows) == 11
    assert [(r["day"], r["due_on"], r["reason"], r["name"] or r["company"]) for r in rows] == [
        ("2026-11-25", "2026-11-20", "new", "Old"),
        ("2026-11-25", "2026-11-23", "overdue", "Late"),
        ("2026-11-25", "2026-11-25", "next-step", "Nguyễn Văn An"),
        ("2026-11-25", "2026-11-25", "next-step", "Nguyễn Văn An"),
        ("2026-11-25", "2026-11-25", "new", "Fresh"),
        ("2026-11-25", "2026-11-25", "no-decider", "Minh Phát"),
        ("2026-11-26", "2026-11-26", "next-step", "Bình"),
        ("2026-11-26", "2026-11-26", "next-step", "Bình"),
        ("2026-11-26", "2026-11-26", "next-step", "Bình"),
        ("2026-11-27", "2026-11-27", "next-step", "Nguyễn Văn An"),
        ("2026-11-27", "2026-11-27", "cadence", "Warm")]
    assert [r["minutes"] for r in rows[6:8]] == [None, 90]
    assert rows[1]["days_overdue"] == 2 and rows[1]["stalled"] is False
    table = list(csv.reader(io.StringIO(cli("plan", "week", "-f", "csv").out)))
    assert table[0] == header and len(table) == 12 and table[2][3] == rows[1]["why"]
    tsv = cli("plan", "week", "-f", "tsv").lines
    assert tsv[0].split("\t") == header and len(tsv) == 12
    assert json.loads(cli("plan", "sat", "-f", "json").out) == []  # an empty day: no rows


def test_plain_when_piped_and_escaped_everywhere(cli, monkeypatch):
    from relcrm import render

    cli.add("[bold]Bold[/bold] [link=https://evil.example]x[/link]", "--next", "tomorrow",
            "--next-step", "[red]quote[/red]")
    out = cli("plan", "tomorrow").out
    assert "\x1b" not in out
    assert "[bold]Bold[/bold] [link=https://evil.example]x[/link]" in out
    assert "first contact due Thu 2026-11-26: [red]quote[/red]" in out
    con = sqlite3.connect(cli.path)  # a control character, as an old book may hold it
    con.execute("UPDATE step SET text = text || ?", ("\x1b[2J",))
    con.commit(), con.close()
    out = cli("plan", "tomorrow").out
    assert "\x1b" not in out and "[red]quote[/red]\\x1b[2J" in out
    assert "\x1b[2J" in cli("plan", "tomorrow", "-f", "csv").out  # exact in a pipe
    monkeypatch.setattr(render, "is_tty", lambda stream: True)
    monkeypatch.setenv("COLUMNS", "300")
    coloured = cli("plan", "week").out
    assert "\x1b[" in coloured and "\x1b[2J" not in coloured  # rich's colours only
    monkeypatch.setenv("NO_COLOR", "1")
    plain = cli("plan", "week").out
    assert "\x1b" not in plain and "Thu 2026-11-26 — 4 items" in plain
    assert "\x1b" not in cli("plan", "week", "-f", "json").out  # escaped on a terminal


@pytest.mark.parametrize("args, match", [
    (["bogus"], "cannot read period 'bogus'; use today, tomorrow, week, next-week, or one day"),
    (["2026-13-01"], "cannot read period '2026-13-01'"),
    (["yesterday"], "Tue 2026-11-24 has passed: plan looks ahead from today"),
    (["last mon"], "Mon 2026-11-23 has passed"),
    (["week", "--days", "3"], "give a PERIOD or --days N, not both"),
    (["--days", "367"], "--days must be between 0 and 366"),
    (["--days", "soon"], "Invalid value for '--days'"),
    (["--busy", "-1"], "--busy must be 0 (never) or more"),
    (["--format", "yaml"], "Invalid value for '--format'"),
    (["today", "tomorrow"], "unexpected extra argument"),
])
def test_bad_input_is_one_line_and_changes_nothing(cli, args, match):
    cli.fails(2, "plan", *args, match=match)


def test_a_missing_book_plans_nothing_and_is_not_created(cli, tmp_path):
    missing = tmp_path / "none.db"
    out = cli("--db", str(missing), "plan", "week").out
    assert out.splitlines()[:2] == [
        "Plan for this week, Wed 2026-11-25 to Sun 2026-11-29: nothing planned",
        "Wed 2026-11-25 (today) — nothing planned"]
    assert not missing.exists()


def test_days_off_read_from_the_book_equal_the_holidays_library(built):
    """plan reads the days off kept in the book when they cover the period, and asks the
    holidays library otherwise: both say the same."""
    import datetime as dt

    from relcrm import workdays

    con = db.connect(built, create=False)
    for first, last in ((dt.date(2026, 11, 23), dt.date(2027, 2, 28)),  # kept in the book
                        (dt.date(2035, 1, 1), dt.date(2035, 2, 28))):  # beyond them
        expected, day = {}, first
        while day <= last:
            if workdays.off_reason(con, day):
                expected[day] = workdays.off_reason(con, day)
            day += dt.timedelta(days=1)
        assert workdays.off_days(con, first, last) == expected
    assert workdays.off_days(con, dt.date(2027, 2, 6), dt.date(2027, 2, 6)) == {
        dt.date(2027, 2, 6): "Lunar New Year"}
    con.close()
