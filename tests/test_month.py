"""A month of selling as dated scenarios (RELCRM_TODAY moves forward): the five ways follow-ups
lost a seller's trust (issue 10) do not happen again.

November 2026: Monday the 2nd is the first day; Tết 2027 falls on Saturday 2027-02-06.
"""

import datetime as dt
import json

import holidays
import pytest

ON = lambda day: {"RELCRM_TODAY": day}  # noqa: E731


def lines(cli, day, *args):
    return json.loads(cli("followups", "-f", "json", *args, env=ON(day)).out)


def reasons(cli, day, name, *args):
    return [r["reason"] for r in lines(cli, day, *args) if r["name"] == name]


@pytest.fixture
def steel(cli):
    """Đại Phát Steel: a CEO (decider) on a 900,000,000 deal, two of his people."""
    monday = ON("2026-11-02T08:00")
    cli.add("Phạm Quang Minh", "--company", "Đại Phát Steel", "--title", "CEO", "--value",
            "900,000,000", env=monday)
    cli.add("Trần Thu Hằng", "--company", "Đại Phát Steel", "--title", "CFO", env=monday)
    cli.add("Lê Văn Kho", "--company", "Đại Phát Steel", "--title", "Warehouse", env=monday)
    cli("role", "minh", "decider", env=monday)
    cli("role", "kho", "user", env=monday)
    for who in ("minh", "hang", "kho"):
        cli("stage", "set", who, "develop", "--reason", "met at the fair", env=monday)
        cli("log", who, "meeting", "met at the fair", env=monday)
    return cli


def test_a_birthday_message_leaves_the_ceo_meeting_open(steel):
    steel("step", "add", "minh", "tue 10:00", "meeting with the CEO", "--kind", "meeting",
          env=ON("2026-11-02T09:00"))
    steel("log", "minh", "message", "happy birthday!", env=ON("2026-11-02T18:00"))
    assert steel.one("SELECT status FROM step") == "open"
    first = lines(steel, "2026-11-03T08:00", "--days", "0")[0]
    assert (first["name"], first["due_at"], first["reason"]) == (
        "Phạm Quang Minh", "2026-11-03T10:00:00", "next-step")
    table = steel("followups", env=ON("2026-11-03T08:00")).out
    assert "Tue 2026-11-03 10:00" in table or "today 10:00" in table
    steel("log", "minh", "meeting", "CEO meeting: pilot agreed", "--done",
          env=ON("2026-11-03T11:00"))
    assert steel.one("SELECT status FROM step") == "done"


def test_a_meeting_with_three_people_is_one_command_and_nobody_goes_cold(steel):
    steel("account", "step", "dai phat", "thu 9:00", "site survey", "--kind", "visit",
          env=ON("2026-11-02T10:00"))
    steel("log", "minh", "visit", "site survey", "--with", "hang", "--with", "kho", "--done",
          "1", env=ON("2026-11-05T11:00"))
    assert steel.one("SELECT count(*) FROM touch WHERE summary = 'site survey'") == 1
    for day in ("2026-11-09", "2026-11-10", "2026-11-11", "2026-11-12", "2026-11-13"):
        assert "cold" not in {r["reason"] for r in lines(steel, day)}, day
    # the warehouse user rides with the account while his directors are met every week
    for week in range(1, 5):
        day = (dt.date(2026, 11, 5) + dt.timedelta(weeks=week)).isoformat()
        steel("log", "minh", "meeting", "weekly review", "--with", "hang", env=ON(day))
        assert "cold" not in reasons(steel, day, "Lê Văn Kho"), day
    assert steel.one("SELECT last_touch_at FROM prospect WHERE name = 'Lê Văn Kho'") == \
        "2026-11-05T11:00:00"


def test_a_step_five_weeks_out_does_not_silence_the_cadence(steel):
    steel("step", "add", "hang", "2026-12-07", "visit after their audit",
          env=ON("2026-11-02T10:00"))
    # Develop: every 14 days from Monday the 2nd: Monday the 16th
    assert reasons(steel, "2026-11-16", "Trần Thu Hằng") == ["cadence"]
    assert reasons(steel, "2026-11-18", "Trần Thu Hằng") == ["cold"]
    assert reasons(steel, "2026-12-07", "Trần Thu Hằng", "--days", "0") == ["cold",
                                                                          "next-step"]


def test_a_lost_prospect_returns_on_its_revisit_date(steel):
    steel.add("Đỗ Văn Hoãn", env=ON("2026-11-02"))
    steel("stage", "set", "hoan", "lost", "--reason", "postponed to mid-2027", "--revisit",
          "2027-06-15", env=ON("2026-11-04"))
    for day in ("2026-11-30", "2027-01-15", "2027-06-14"):
        assert reasons(steel, day, "Đỗ Văn Hoãn", "--days", "0") == [], day
    assert reasons(steel, "2027-06-15", "Đỗ Văn Hoãn", "--days", "0") == ["revisit"]


def test_31_imported_contacts_are_spread_at_10_a_day_over_working_days(cli, tmp_path):
    path = tmp_path / "fair.csv"
    path.write_text("Name,Company\n" + "".join(f"Khách {i:02},Công ty {i}\n" for i in range(31)),
                    encoding="utf-8")
    out = cli("import", path, env=ON("2026-11-05")).out  # a Thursday
    assert ("first contact planned for 10 a day over 4 working days, Thu 2026-11-05 to Tue "
            "2026-11-10") in out
    days = cli.sql("SELECT substr(due_at, 1, 10), count(*) FROM step GROUP BY 1 ORDER BY 1")
    assert days == [("2026-11-05", 10), ("2026-11-06", 10), ("2026-11-09", 10),
                    ("2026-11-10", 1)]
    order = [r[0] for r in cli.sql("SELECT p.name FROM step s JOIN prospect p "
                                   "ON p.id = s.prospect_id ORDER BY s.due_at, s.id")]
    assert order == [f"Khách {i:02}" for i in range(31)], "in file order"
    assert len(lines(cli, "2026-11-05", "--days", "0")) == 10
    assert len([r for r in lines(cli, "2026-11-09", "--days", "0")
                if r["due_on"] == "2026-11-09"]) == 10
    again = tmp_path / "more.csv"
    again.write_text("Name\nA\nB\n", encoding="utf-8")
    cli("import", again, "--per-day", "0", env=ON("2026-11-05"))
    assert {r["reason"] for r in lines(cli, "2026-11-05", "--days", "0")
            if r["name"] in ("A", "B")} == {"new"}


@pytest.mark.slow  # over 2 s: the full run (CI) has it
def test_no_cadence_date_falls_on_a_sunday_or_on_tet(cli):
    off = holidays.country_holidays("VN", years=[2027])
    start = dt.date(2027, 1, 18)
    for i in range(28):
        day = (start + dt.timedelta(days=i)).isoformat()
        cli.add(f"P{i}", env=ON(day))
        cli("log", f"P{i}", "call", env=ON(day))  # Attract: 3 days later
    for i in range(7):
        cli.add(f"Q{i}", env=ON("2027-01-04"))
        cli("stage", "set", f"Q{i}", "establish", env=ON("2027-01-04"))
        day = (dt.date(2027, 1, 26) + dt.timedelta(days=i)).isoformat()
        cli("log", f"Q{i}", "visit", env=ON(day))  # + 7 days: into Tết week
    dues = [dt.date.fromisoformat(d) for (d,) in cli.sql("SELECT care_on FROM prospect")]
    assert len(dues) == 35
    for due in dues:
        assert due.weekday() != 6 and due.weekday() != 5, due
        assert due not in off, (due, off.get(due))
    tet = cli.sql("SELECT care_on FROM prospect WHERE name = 'Q5'")[0][0]
    assert tet == "2027-02-11"  # 02-07 is Tết's second day; the holiday runs to the 10th


def test_tet_and_sundays_as_the_seller_sets_them(cli):
    cli("config", "workdays", "mon-sat")
    cli("config", "country", "none")
    cli.add("Sat", env=ON("2026-11-18"))
    cli("log", "sat", "call", env=ON("2026-11-25"))
    assert cli.one("SELECT care_on FROM prospect") == "2026-11-28"  # a Saturday now works
    cli("log", "sat", "call", env=ON("2027-02-03"))  # + 3 = Saturday 02-06, Tết, no holidays
    assert cli.one("SELECT care_on FROM prospect") == "2027-02-06"
    cli("config", "country", "VN", env=ON("2027-02-03"))
    assert cli.one("SELECT care_on FROM prospect") == "2027-02-11"
