"""Steps (several open per person and per account), snooze, revisit, cadence, config: issue 10.

Today is Wednesday 2026-11-25 (conftest); this week runs to Sunday 2026-11-29.
"""

import json

import pytest

ON = lambda day: {"RELCRM_TODAY": day}  # noqa: E731


def due(cli, *args, **kw):
    return json.loads(cli("followups", "-f", "json", *args, **kw).out)


@pytest.fixture
def minh(cli):
    cli.add("Nguyễn Văn An", "--company", "Minh Phát", env=ON("2026-11-02"))
    cli.add("Trần Thị Bình", "--company", "Minh Phát", env=ON("2026-11-02"))
    cli.add("Lê Văn Cường", "--company", "Minh Phát", env=ON("2026-11-02"))
    cli.add("Outsider", "--company", "Khác", env=ON("2026-11-02"))
    cli.add("Freelancer", env=ON("2026-11-02"))
    cli("role", "an", "decider")
    return cli


def test_several_open_steps_per_person_listed_by_date(minh):
    out = minh("step", "add", "an", "fri", "quote by Friday", "--kind", "email").out
    assert out == "Added step #1 email Fri 2026-11-27 with Nguyễn Văn An: quote by Friday.\n"
    minh("step", "add", "an", "thu 14:00", "demo at their plant", "--kind", "demo")
    minh("step", "add", "an", "2027-01-28", "Tết gift")
    rows = json.loads(minh("step", "list", "an", "-f", "json").out)
    assert [(r["id"], r["due_at"], r["kind"]) for r in rows] == [
        (2, "2026-11-26T14:00:00", "demo"), (1, "2026-11-27", "email"),
        (3, "2027-01-28", "todo")]
    table = minh("step", "list").out.splitlines()
    assert table[0].split() == ["#", "Due", "Kind", "With", "Step"]
    assert table[1].split()[:5] == ["2", "Thu", "2026-11-26", "14:00", "demo"]
    assert minh.one("SELECT next_at, next_step FROM prospect WHERE id = 1") == (
        "2026-11-26T14:00:00", "demo at their plant")


def test_done_move_drop_and_the_history_of_a_step(minh):
    minh("step", "add", "an", "fri", "quote")
    minh("step", "add", "an", "thu 10:00", "call back")
    out = minh("step", "move", "2", "mon 9:00", "--note", "they asked").out
    assert out == ("Moved step #2 from Thu 2026-11-26 10:00 to Mon 2026-11-30 09:00 (todo "
                   "with Nguyễn Văn An: call back).\n")
    assert minh("step", "done", "1", "--note", "sent v2").out == \
        "Done: step #1 todo Fri 2026-11-27 with Nguyễn Văn An: quote.\n"
    assert minh("step", "drop", "2", "--reason", "no longer needed").out.startswith(
        "Dropped: step #2")
    history = json.loads(minh("step", "history", "2", "-f", "json").out)
    assert [(h["action"], h["from_due"], h["to_due"], h["note"]) for h in history] == [
        ("added", None, "2026-11-26T10:00:00", None),
        ("moved", "2026-11-26T10:00:00", "2026-11-30T09:00:00", "they asked"),
        ("dropped", "2026-11-30T09:00:00", None, "no longer needed")]
    closed = json.loads(minh("step", "list", "--done", "-f", "json").out)
    assert [(r["id"], r["status"], r["note"]) for r in closed] == [
        (2, "dropped", "no longer needed"), (1, "done", "sent v2")]
    assert json.loads(minh("step", "list", "-f", "json").out) == []
    timeline = minh("show", "an").out
    assert "step   dropped #2: call back (no longer needed)" in timeline
    assert "step   moved #2 Thu 2026-11-26 10:00 → Mon 2026-11-30 09:00: call back " \
           "(they asked)" in timeline


def test_an_account_step_with_people_and_with_the_whole_account(minh):
    out = minh("account", "step", "minh", "thu 9:00", "site survey", "--kind", "visit",
               "--with", "an", "--with", "binh").out
    assert out == ("Added step #1 visit Thu 2026-11-26 09:00 with Minh Phát (Nguyễn Văn An, "
                   "Trần Thị Bình): site survey.\n")
    minh("account", "step", "minh", "2026-12-10", "year-end dinner", "--kind", "meeting")
    assert [r["id"] for r in json.loads(minh("step", "list", "cuong", "-f", "json").out)] == [2]
    assert [r["id"] for r in json.loads(minh("step", "list", "binh", "-f", "json").out)] == [1, 2]
    rows = [r for r in due(minh) if r["step_ids"] == [1]]
    assert len(rows) == 1, "one line for one meeting with two people"
    assert rows[0]["subject"] == "account" and rows[0]["name"] == "Nguyễn Văn An, Trần Thị Bình"
    assert rows[0]["why"] == ("visit with Minh Phát (Nguyễn Văn An, Trần Thị Bình) due Thu "
                              "2026-11-26 09:00: site survey")
    table = minh("followups").out
    assert "Thu 2026-11-26 09:00" in table
    assert minh("step", "list", "--account", "minh", "-f", "csv").lines[0] == (
        "id,prospect_id,prospect,account_id,account,people,kind,text,due_at,minutes,status,"
        "created_at,closed_at,note,uid")


def test_a_step_on_a_day_off_keeps_its_date_and_says_so(minh):
    result = minh("step", "add", "an", "sun", "call from home")
    assert result.err == ("note: Sun 2026-11-29 is not a working day (Sunday); the step keeps "
                          "the date you chose\n")
    assert minh.one("SELECT due_at FROM step") == "2026-11-29"
    result = minh("step", "add", "an", "2027-02-08", "Tết visit", env=ON("2027-01-15"))
    assert "is not a working day (Third Day of Lunar New Year)" in result.err


def test_log_with_several_people_counts_for_each(minh):
    out = minh("log", "an", "meeting", "site survey", "--with", "binh", "--with", "cuong").out
    assert out.startswith("Logged meeting #1 with Nguyễn Văn An, Trần Thị Bình, Lê Văn Cường "
                          "(Wed 2026-11-25 12:00).")
    assert minh.sql("SELECT name, last_touch_at FROM prospect WHERE id <= 3 ORDER BY id") == [
        ("Nguyễn Văn An", "2026-11-25T12:00:00"), ("Trần Thị Bình", "2026-11-25T12:00:00"),
        ("Lê Văn Cường", "2026-11-25T12:00:00")]
    assert minh.one("SELECT count(*) FROM touch") == 1, "one meeting, one touch"
    assert "meeting #1  site survey  (with Lê Văn Cường, Nguyễn Văn An)" in minh("show", "binh").out
    touches = json.loads(minh("export", "touches", "-f", "json").out)
    assert touches[0]["with_ids"] == [2, 3]


def test_secondary_people_ride_with_the_account_but_the_decider_does_not(minh):
    minh("log", "an", "call", env=ON("2026-11-16"))
    minh("log", "binh", "call", env=ON("2026-11-16"))
    minh("log", "an", "meeting", env=ON("2026-11-24"))  # only the decider, this week
    rows = {r["name"]: r for r in due(minh) if r["subject"] == "prospect"}
    # Bình (Attract, 3 days) was last touched 11-16, but someone at Minh Phát was touched on
    # 11-24: she rides with the account, so she is not cold
    assert rows["Trần Thị Bình"]["reason"] == "cadence"
    assert rows["Trần Thị Bình"]["due_on"] == "2026-11-27"
    assert rows["Trần Thị Bình"]["why"] == ("keep in touch: last touch with anyone at Minh Phát "
                                           "yesterday (Attract: every 3 days)")
    minh("log", "binh", "call", env=ON("2026-11-24"))
    minh("log", "an", "call", env=ON("2026-11-16T13:00"))
    minh("stage", "set", "an", "develop", env=ON("2026-11-02"))
    minh("log", "binh", "meeting", env=ON("2026-11-25"))
    rows = {r["name"]: r for r in due(minh, "--days", "14")}
    # the decider does not ride: his own last touch (11-24) and Develop's 14 days count
    assert rows["Nguyễn Văn An"]["due_on"] == "2026-12-08"


def test_the_cadence_is_a_floor_a_far_step_does_not_silence_it(minh):
    minh("stage", "set", "freelancer", "build", env=ON("2026-11-02"))
    minh("log", "freelancer", "call", env=ON("2026-11-02"))
    minh("step", "add", "freelancer", "2026-12-30", "visit in five weeks", env=ON("2026-11-02"))
    row = next(r for r in due(minh) if r["name"] == "Freelancer")
    assert (row["reason"], row["due_on"]) == ("cold", "2026-11-12")  # Build: every 10 days
    # a step after the cadence date does not make them warm: both lines show
    minh("step", "add", "freelancer", "fri", "call")
    rows = [r for r in due(minh) if r["name"] == "Freelancer"]
    assert [(r["reason"], r["due_on"]) for r in rows] == [("cold", "2026-11-12"),
                                                         ("next-step", "2026-11-27")]


def test_a_step_booked_within_the_cadence_means_not_cold(minh):
    minh("log", "outsider", "email", env=ON("2026-11-24"))
    minh("step", "add", "outsider", "thu", "follow up the email")
    rows = [r for r in due(minh) if r["name"] == "Outsider"]
    assert [(r["reason"], r["due_on"]) for r in rows] == [("next-step", "2026-11-26")]


def test_own_cadence_overrides_the_stage_and_shows_in_show(minh):
    minh("log", "outsider", "email", env=ON("2026-11-20"))
    assert minh("edit", "outsider", "--cadence", "21").out == \
        "Updated #4 Outsider. Cadence: every 21 days.\n"
    assert minh.one("SELECT cadence_days, due_on FROM prospect WHERE id = 4") == (
        21, "2026-12-11")
    assert "cadence        every 21 days (their own; Attract: every 3 days)" in \
        minh("show", "outsider").out
    minh("edit", "outsider", "--cadence", "stage")
    assert minh.one("SELECT cadence_days, due_on FROM prospect WHERE id = 4") == (
        None, "2026-11-23")


def test_snooze_moves_earlier_steps_and_brings_them_back_with_the_reason(minh):
    minh("log", "outsider", "email", env=ON("2026-11-20"))
    minh("step", "add", "outsider", "fri", "call back")
    out = minh("snooze", "outsider", "2026-12-14", "--reason", "back from holiday").out
    assert out == ("Snoozed #4 Outsider until Mon 2026-12-14 (back from holiday). Moved step "
                   "#1 (call back) to Mon 2026-12-14.\n")
    assert not [r for r in due(minh, "--days", "18") if r["name"] == "Outsider"]
    rows = [r for r in due(minh, env=ON("2026-12-14")) if r["name"] == "Outsider"]
    assert {r["reason"] for r in rows} == {"next-step"}  # the moved step is there that day
    minh("step", "done", "1", env=ON("2026-12-14"))
    row = next(r for r in due(minh, env=ON("2026-12-14")) if r["name"] == "Outsider")
    assert (row["reason"], row["why"]) == ("snoozed", "back from snooze: back from holiday")
    assert "snoozed        until Mon 2026-12-14: back from holiday" in minh("show", "4").out


def test_a_lost_relationship_comes_back_on_its_revisit_date(minh):
    out = minh("stage", "set", "outsider", "lost", "--reason", "revisit mid-2027",
               "--revisit", "2027-06-15").out
    assert out.endswith("Revisit on Tue 2027-06-15.\n")
    assert not [r for r in due(minh, "--days", "200") if r["name"] == "Outsider"]
    rows = [r for r in due(minh, env=ON("2027-06-15")) if r["name"] == "Outsider"]
    assert [(r["reason"], r["why"]) for r in rows] == [
        ("revisit", "revisit the lost relationship: revisit mid-2027")]
    minh("stage", "set", "outsider", "establish", env=ON("2027-06-15"))
    assert minh.one("SELECT stage FROM prospect WHERE id = 4") == "establish"


def test_config_lists_reads_sets_and_resets(cli):
    rows = json.loads(cli("config", "-f", "json").out)
    assert [r["key"] for r in rows][:3] == ["workdays", "country", "cadence.attract"]
    assert {r["key"]: r["value"] for r in rows}["workdays"] == "mon-fri"
    assert cli("config", "workdays").out == "mon-fri\n"
    cli.add("Sat", env=ON("2026-11-18"))
    cli("log", "sat", "call", env=ON("2026-11-25"))  # + 3 days: Saturday 2026-11-28
    assert cli.one("SELECT due_on FROM prospect") == "2026-11-30"
    assert cli("config", "workdays", "mon-sat").out == (
        "workdays = mon-sat (was mon-fri); follow-up dates recomputed.\n")
    assert cli.one("SELECT due_on FROM prospect") == "2026-11-28"
    assert cli("config", "cadence.attract", "5").out.startswith("cadence.attract = 5 (was 3)")
    assert cli.one("SELECT due_on FROM prospect") == "2026-11-30"
    cli("config", "cadence.attract", "--reset")
    assert cli("config", "cadence.attract").out == "3\n"
    cli("config", "country", "none")
    cli("config", "import.per_day", "5")
    assert cli.sql("SELECT key, value FROM setting ORDER BY key") == [
        ("country", "none"), ("import.per_day", "5"), ("workdays", "mon,tue,wed,thu,fri,sat")]


@pytest.mark.parametrize("args, code, match", [
    (["step", "add", "an", "yesterday", "x"], 2, "is in the past"),
    (["step", "add", "an", "fri", "x", "--kind", "lunch"], 2, "unknown step kind 'lunch'"),
    (["step", "add", "ghost", "fri", "x"], 1, "no prospect matches 'ghost'"),
    (["step", "done", "99"], 1, "no step with id 99"),
    (["step", "move", "99", "fri"], 1, "no step with id 99"),
    (["step", "drop", "abc"], 1, "no step with id abc"),
    (["step", "history", "99"], 1, "no step with id 99"),
    (["step", "move", "1", "yesterday"], 2, "is in the past"),
    (["stage", "set", "an", "build", "--revisit", "2027-01-01"], 2, "--revisit goes with"),
    (["stage", "set", "an", "lost", "--reason", "x", "--revisit", "yesterday"], 2,
     "give a date after today"),
    (["edit", "an", "--cadence", "0"], 2, "use 1 to 365"),
    (["edit", "an", "--cadence", "-3"], 2, "use 1 to 365"),
    (["edit", "an", "--cadence", "abc"], 2, "use 1 to 365"),
    (["snooze", "an", "yesterday"], 2, "give a later date"),
    (["snooze", "an", "today"], 2, "give a later date"),
    (["config", "colour", "blue"], 2, "unknown setting 'colour'; the settings are: workdays"),
    (["config", "workdays", "funday"], 2, "is not a list of weekdays"),
    (["config", "workdays", "fri-mon"], 2, "runs backwards"),
    (["config", "country", "XX"], 2, "has no public holiday calendar"),
    (["config", "cadence.build", "0"], 2, "from 1 to 365"),
    (["config", "import.per_day", "--", "-1"], 2, "from 0 to 10000"),
    (["config", "workdays", "mon-sat", "--reset"], 2, "not both"),
    (["account", "step", "minh", "fri", "x", "--with", "outsider"], 2,
     "at Khác, not at Minh Phát"),
    (["account", "step", "minh", "fri", "x", "--with", "freelancer"], 2,
     "at no account, not at Minh Phát"),
    (["account", "step", "minh", "fri", "x", "--with", "ghost"], 1, "no prospect matches"),
    (["account", "step", "nowhere", "fri", "x"], 1, "no account matches"),
    (["log", "an", "call", "--with", "an"], 2, "the person the touch is logged for"),
    (["log", "an", "call", "--done"], 2, "has no open step to close"),
])
def test_bad_input_is_one_line_and_changes_nothing(minh, args, code, match):
    minh("step", "add", "binh", "fri", "x")
    minh.fails(code, *args, match=match)


def test_a_calendar_entry_keeps_its_uid_when_the_step_moves(minh, tmp_path):
    from icalendar import Calendar

    minh("step", "add", "an", "thu 14:00", "demo", "--kind", "demo", "--minutes", "90")
    target = tmp_path / "f.ics"
    minh("followups", "--ics", str(target))
    first = {str(e["uid"]): e for e in Calendar.from_ical(target.read_bytes()).walk("VEVENT")}
    uid = f"relcrm-step-{minh.one('SELECT uid FROM step')}@relcrm"
    event = first[uid]
    assert event.decoded("dtstart").isoformat() == "2026-11-26T14:00:00"
    assert event.decoded("dtend").isoformat() == "2026-11-26T15:30:00"
    assert str(event["summary"]) == "Demo: Nguyễn Văn An (Minh Phát) — demo"
    minh("step", "move", "1", "fri 10:00")
    minh("followups", "--ics", str(target))
    moved = {str(e["uid"]): e for e in Calendar.from_ical(target.read_bytes()).walk("VEVENT")}
    assert moved[uid].decoded("dtstart").isoformat() == "2026-11-27T10:00:00"
    assert int(moved[uid]["sequence"]) == 1
    assert len([u for u in moved if u.startswith("relcrm-step-")]) == 1


def test_doctor_compares_derived_values_and_repairs_them(minh):
    minh("step", "add", "an", "fri", "x")
    assert "derived     ok" in minh("doctor").out
    con = __import__("sqlite3").connect(minh.path)
    con.execute("UPDATE prospect SET due_on = '2020-01-01', care_on = NULL WHERE id = 2")
    con.execute("UPDATE account SET last_touch_at = '2020-01-01' WHERE id = 1")
    con.commit()
    con.close()
    result = minh.run("doctor")
    assert result.code == 1
    assert ("derived     PROBLEM: stale values in 1 prospect (e.g. #2), 1 account (e.g. #1); "
            "relcrm doctor --repair rebuilds them") in result.out
    repaired = minh("doctor", "--repair")
    assert repaired.err == ("Repaired: derived values of 1 prospect rebuilt, derived values of "
                            "1 account rebuilt.\n")
    assert "verdict     healthy" in repaired.out


def test_the_v2_book_upgrades_each_next_step_into_an_open_step(cli):
    """Migration 3: every prospect's next step (date, text, when it was agreed) becomes an
    open step with its history; nothing else changes (test_safety checks every row)."""
    import shutil
    import sqlite3
    from pathlib import Path

    fixture = Path(__file__).parent / "fixtures" / "books" / "v2.db"
    shutil.copy(fixture, cli.path)
    before = sqlite3.connect(fixture).execute(
        "SELECT id, next_at, next_step, next_set_at FROM prospect WHERE next_at IS NOT NULL "
        "ORDER BY id").fetchall()
    assert before, "the v2 book has next steps to carry over"
    cli("list")  # opening it upgrades it
    steps = cli.sql("SELECT prospect_id, due_at, text, created_at, status, kind FROM step "
                    "ORDER BY prospect_id")
    assert steps == [(pid, due, text, set_at, "open", "todo")
                     for pid, due, text, set_at in before]
    assert cli.sql("SELECT step_id, action, to_due FROM step_change ORDER BY step_id") == [
        (n, "added", due) for n, (_, due, _, _) in enumerate(before, 1)]
    assert cli.sql("SELECT id, next_at, next_step FROM prospect WHERE next_at IS NOT NULL "
                   "ORDER BY id") == [(pid, due, text) for pid, due, text, _ in before]
    assert len({u for (u,) in cli.sql("SELECT uid FROM step")}) == len(before)


def test_an_account_merge_keeps_the_account_steps(minh):
    minh.add("Hà", "--company", "Minh Phat JSC")
    minh("account", "step", "jsc", "fri", "visit the other office")
    out = minh("account", "merge", "jsc", "minh phát").out
    assert "1 person and 1 step moved" in out
    assert minh.one("SELECT account_id, status FROM step") == (1, "open")
    assert [r["step_ids"] for r in due(minh) if r["subject"] == "account"] == [[1]]


# -- found in review: each fails on the code before its fix ---------------------------------------
def test_closing_an_account_step_brings_its_people_back_at_once(cli):
    for name in ("An", "Binh"):
        cli.add(name, "--company", "X", env=ON("2027-01-25"))
        cli("log", name, "call", env=ON("2027-01-25"))
    cli("account", "step", "x", "tue 9:00", "visit", "--with", "an", env=ON("2027-01-25"))
    cli("step", "drop", "1", env=ON("2027-01-25"))
    names = {r["name"] for r in due(cli, env=ON("2027-01-28"))}
    assert names == {"An", "Binh"}
    assert "derived     ok" in cli("doctor", env=ON("2027-01-28")).out
    cli("account", "step", "x", "wed 9:00", "site survey", env=ON("2027-01-25"))
    rows = due(cli, env=ON("2027-01-25"), *["--days", "3"])
    assert [r["reason"] for r in rows] == ["next-step"], "the whole account is booked"


def test_a_restored_book_takes_new_settings_and_restores_again(cli, tmp_path):
    cli.add("An")
    cli("config", "workdays", "mon-sat")
    cli("backup", str(tmp_path / "b.db"))
    cli("restore", str(tmp_path / "b.db"))
    cli("config", "workdays", "mon-fri")
    assert "verdict     healthy" in cli("doctor").out
    cli("backup", str(tmp_path / "b2.db"))
    cli("restore", str(tmp_path / "b2.db"))
    assert cli.one("SELECT count(*) FROM _dirty") == 0
    empty = tmp_path / "empty.db"
    cli("--db", str(empty), "config", "workdays", "mon-sat")
    cli("export", "all", "-f", "json", "-o", str(tmp_path / "all.json"))
    cli("--db", str(empty), "import", str(tmp_path / "all.json"))
    assert cli.one("SELECT value FROM setting WHERE key = 'workdays'") == "mon,tue,wed,thu,fri"


def test_steps_of_another_book_never_attach_to_whoever_has_the_same_id(cli, tmp_path):
    other = tmp_path / "other.db"
    cli("--db", str(other), "add", "An")
    cli("--db", str(other), "add", "Binh")
    cli("--db", str(other), "step", "add", "an", "fri", "demo for An")
    cli("--db", str(other), "log", "an", "meeting", "lunch", "--with", "binh")
    cli("--db", str(other), "export", "steps", "-o", str(tmp_path / "steps.csv"))
    cli("--db", str(other), "export", "touches", "-o", str(tmp_path / "touches.csv"))
    cli.add("Zed Totally Different")
    result = cli.run("import", str(tmp_path / "steps.csv"))
    assert result.code == 2 and "prospect #1 'An' is neither in the file nor in the book" \
        in result.err
    cli.add("An")
    cli("import", str(tmp_path / "touches.csv"))
    assert cli.one("SELECT prospect_id FROM touch") == 2  # An, by name
    assert cli.sql("SELECT * FROM touch_person") == [], "Binh is not in this book"
    assert cli.one("SELECT last_touch_at FROM prospect WHERE id = 1") is None


def test_a_failed_write_leaves_a_zero_byte_book_as_it_was(cli, tmp_path):
    empty = tmp_path / "z.db"
    empty.touch()
    for args in (["step", "done", "1"], ["snooze", "ghost", "+3d"], ["log", "x", "call"]):
        cli.run("--db", str(empty), *args)
        assert empty.read_bytes() == b"" and not list(tmp_path.glob("z.db-*")), args
    assert "an empty file: not a book yet" in cli("--db", str(empty), "doctor").out
    assert empty.read_bytes() == b""


def test_a_day_off_is_said_wherever_a_date_is_chosen(cli, tmp_path):
    tet = "2027-02-08"
    assert "is not a working day (Third Day of Lunar New Year)" in \
        cli("add", "An", "--next", tet, env=ON("2027-01-25")).err
    assert "is not a working day" in cli("edit", "an", "--next", "2027-01-31",
                                         env=ON("2027-01-25")).err
    assert "is not a working day" in cli("snooze", "an", "2027-02-07",
                                         env=ON("2027-01-25")).err
    path = tmp_path / "c.csv"
    path.write_text("Name\nBinh\n", encoding="utf-8")
    assert "is not a working day" in cli("import", path, "--next", tet,
                                         env=ON("2027-01-25")).err


def test_the_snooze_reason_shows_when_a_moved_step_brings_them_back(cli):
    cli.add("Khoa")
    cli("log", "khoa", "call")
    cli("step", "add", "khoa", "fri 10:00", "coffee", "--kind", "meeting")
    cli("snooze", "khoa", "2026-12-14", "--reason", "đi công tác")
    rows = due(cli, env=ON("2026-12-14"))
    assert [r["why"] for r in rows] == [
        "meeting due today 10:00: coffee; back from snooze: đi công tác"]


def test_the_first_contact_an_import_planned_closes_with_the_first_touch(cli, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("Name\nChâu\nDũng\n", encoding="utf-8")
    cli("import", path, "--per-day", "1")
    out = cli("log", "chau", "call", "hello").out
    assert "Done: step #1 (first contact, Wed 2026-11-25)." in out
    assert cli.sql("SELECT id, status, note FROM step ORDER BY id") == [
        (1, "done", "first contact made: call #1"), (2, "open", None)]
    cli("step", "add", "chau", "fri", "send the catalogue")
    cli("log", "chau", "email", "more")
    assert cli.one("SELECT status FROM step WHERE id = 3") == "open"  # a seller's step stays


def test_per_day_counts_what_earlier_imports_planned(cli, tmp_path):
    for name, rows in (("a.csv", 8), ("b.csv", 11)):
        path = tmp_path / name
        path.write_text("Name\n" + "".join(f"{name[0]}{i}\n" for i in range(rows)),
                        encoding="utf-8")
        cli("import", path)
    assert cli.sql("SELECT substr(due_at, 1, 10), count(*) FROM step GROUP BY 1") == [
        ("2026-11-25", 10), ("2026-11-26", 9)]


@pytest.mark.parametrize("args, match", [
    (["config", "workdays", "monkey-frisbee"], "is not a list of weekdays"),
    (["step", "add", "an", "fri", ""], "step cannot be empty"),
    (["account", "step", "minh", "fri", ""], "step cannot be empty"),
])
def test_more_values_that_are_refused(minh, args, match):
    minh.fails(2, *args, match=match)


def test_doctor_names_a_setting_another_program_broke(cli):
    cli.add("An")
    con = __import__("sqlite3").connect(cli.path)
    con.execute("INSERT INTO setting (key, value) VALUES ('workdays', 'funday')")
    con.commit()
    con.close()
    result = cli.run("doctor")
    assert result.code == 1 and "settings    PROBLEM: workdays = 'funday'" in result.out
    cli.fails(1, "followups", match="the book's setting workdays = 'funday' is not valid")
    cli("config", "workdays", "--reset")
    assert "verdict     healthy" in cli("doctor").out
