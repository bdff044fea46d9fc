"""followups: who is due this week (Mon 2026-11-23 .. Sun 2026-11-29), why, most urgent first."""

import csv
import io
import json

import pytest

ON = lambda day: {"RELCRM_TODAY": day}  # noqa: E731


def due(cli, *args, **kw):
    return {r["name"]: r for r in json.loads(cli("followups", "-f", "json", *args, **kw).out)}


def test_a_new_prospect_is_due_today(cli):
    cli.add("Fresh")
    row = due(cli)["Fresh"]
    assert (row["due_on"], row["reason"], row["days_overdue"]) == ("2026-11-25", "new", 0)
    assert row["why"] == "never contacted, added Wed 2026-11-25 (today): contact at once"


def test_never_contacted_for_days_is_overdue(cli):
    cli.add("Forgotten", env=ON("2026-11-20"))
    row = due(cli)["Forgotten"]
    assert (row["due_on"], row["reason"], row["days_overdue"]) == ("2026-11-20", "new", 5)
    assert "added Fri 2026-11-20 (5 days ago)" in row["why"]


def test_scheduled_next_steps_in_and_beyond_the_week(cli):
    cli.add("Friday", "--next", "fri", "--next-step", "send quote")
    cli.add("Monday", "--next", "next mon")
    rows = due(cli)
    assert "Monday" not in rows
    assert rows["Friday"]["reason"] == "next-step"
    assert rows["Friday"]["why"] == "first contact due Fri 2026-11-27: send quote"
    assert "Monday" in due(cli, "--days", "5")
    assert "Friday" not in due(cli, "--days", "0")


def test_an_overdue_next_step(cli):
    cli.add("Late", env=ON("2026-11-18"))
    cli("log", "late", "call", "--next", "2026-11-23", "--next-step", "revised quote",
        env=ON("2026-11-20"))
    row = due(cli)["Late"]
    assert (row["reason"], row["days_overdue"]) == ("overdue", 2)
    assert row["why"] == "next step overdue since Mon 2026-11-23 (2 days): revised quote"


def test_gone_cold_and_cadence_follow_the_stage(cli):
    cli.add("Cold", env=ON("2026-11-01"))
    cli("stage", "set", "cold", "establish", env=ON("2026-11-01"))
    cli("log", "cold", "email", env=ON("2026-11-10"))
    cli.add("Warm", env=ON("2026-11-20"))
    cli("log", "warm", "message", env=ON("2026-11-24"))
    cli.add("Customer", env=ON("2026-06-01"))
    cli("stage", "set", "customer", "maintain", env=ON("2026-06-01"))
    cli("log", "customer", "visit", env=ON("2026-11-20"))
    rows = due(cli)
    assert rows["Cold"]["reason"] == "cold" and rows["Cold"]["due_on"] == "2026-11-17"
    assert rows["Cold"]["why"] == "gone cold: no touch for 15 days (Establish: every 7 days)"
    assert rows["Warm"]["reason"] == "cadence" and rows["Warm"]["due_on"] == "2026-11-27"
    assert rows["Warm"]["why"] == "keep in touch: last touch yesterday (Attract: every 3 days)"
    assert "Customer" not in rows  # Maintain: every 30 days
    # 2026-11-20 + 30 days is Sunday 2026-12-20: a cadence date moves to the next working day
    assert "Customer" not in due(cli, "--days", "25")
    assert due(cli, "--days", "26")["Customer"]["due_on"] == "2026-12-21"


def test_most_urgent_first_and_stalled_before_others_on_the_same_day(cli):
    cli.add("Today plain", "--value", "100")
    cli.add("Today big", "--value", "900")
    cli.add("Today stalled")
    cli("call", "today stalled", "-o", "continuation")
    cli("call", "today stalled", "-o", "continuation", env=ON("2026-11-25T13:00"))
    cli("log", "today stalled", "note", "x", env=ON("2026-11-20"))
    cli.add("Stalled step")
    cli("call", "stalled step", "-o", "continuation")
    cli("call", "stalled step", "-o", "continuation", "--next", "today")
    cli.add("Plain step", "--next", "today")
    cli.add("Meeting", "--next", "today 15:00")
    cli.add("Early meeting", "--next", "today 09:00")
    cli.add("Oldest", env=ON("2026-11-10"))
    cli.add("Friday", "--next", "fri")
    names = [r["name"] for r in json.loads(cli("followups", "-f", "json").out)]
    assert names == ["Oldest", "Early meeting", "Meeting", "Stalled step", "Plain step",
                     "Today big", "Today plain", "Friday"]
    # touched today at Attract (3 days): Saturday, a day off, so Monday
    assert due(cli, "--days", "5")["Today stalled"]["due_on"] == "2026-11-30"
    row = due(cli)["Stalled step"]
    assert row["stalled"] is True and row["continuations"] == 2
    assert row["why"].endswith("stalled: 2 continuations in a row, no advance; propose a "
                               "commitment")


def test_disqualified_only_with_all_and_lost_never(cli):
    cli.add("Phantom")
    cli("qualify", "phantom", "--budget", "no")
    cli.add("Gone")
    cli("stage", "set", "gone", "lost", "--reason", "closed down")
    assert due(cli) == {}
    assert set(due(cli, "--all")) == {"Phantom"}


def test_a_touch_closes_no_step_unless_done_is_given(cli):
    cli.add("An", "--next", "fri", "--next-step", "intro call")
    cli("log", "an", "note", "read their website")  # a note is not contact
    assert due(cli)["An"]["reason"] == "next-step"
    out = cli("log", "an", "message", "happy birthday", env=ON("2026-11-26")).out
    assert "Done" not in out
    assert cli.one("SELECT status FROM step") == "open"
    assert due(cli, env=ON("2026-11-26"))["An"]["why"] == \
        "next step due Fri 2026-11-27: intro call"
    out = cli("log", "an", "call", "intro done", "--done", env=ON("2026-11-26")).out
    assert "Done: step #1 (intro call, Fri 2026-11-27)." in out
    assert "Next follow-up by cadence: Sun 2026-11-29." not in out
    assert "Next follow-up by cadence: Mon 2026-11-30." in out  # 26 + 3 is a Sunday
    assert cli.one("SELECT next_at, next_step, due_on FROM prospect") == (
        None, None, "2026-11-30")
    assert cli.one("SELECT status, note FROM step") == ("done", "call #3")


def test_done_with_an_id_and_its_refusals(cli):
    cli.add("An", "--next", "fri", "--next-step", "quote")
    cli("step", "add", "an", "next tue", "demo")
    cli.add("Bob", "--next", "fri")
    out = cli("log", "an", "call", "--done", "2").out
    assert "Done: step #2 (demo, Tue 2026-12-01)." in out
    assert cli.sql("SELECT id, status FROM step ORDER BY id") == [
        (1, "open"), (2, "done"), (3, "open")]
    cli.fails(2, "log", "an", "call", "--done", "3", match="step #3 is not with An")
    cli.fails(2, "log", "an", "call", "--done", "2", match="done already")
    cli.fails(1, "log", "an", "call", "--done", "99", match="no step with id 99")
    cli.fails(2, "log", "an", "note", "x", "--done", match="not a contact")


def test_a_new_next_adds_a_step_and_keeps_the_old_one(cli):
    cli.add("An", "--next", "fri")
    cli("log", "an", "call", "--next", "next tue", "--next-step", "demo")
    assert cli.one("SELECT next_at, next_step FROM prospect") == ("2026-11-27", None)
    assert cli.sql("SELECT due_at, text, status FROM step ORDER BY id") == [
        ("2026-11-27", None, "open"), ("2026-12-01", "demo", "open")]


def test_the_table_explains_each_row(cli):
    cli.add("Nguyễn Văn An", "--company", "Minh Phát")
    cli.add("Bình", "--next", "fri")
    out = cli("followups").out
    lines = out.splitlines()
    assert lines[0] == "Follow-ups Wed 2026-11-25: 2 due this week, to Sun 2026-11-29"
    assert lines[1].split() == ["Due", "#", "Prospect", "Company", "Stage", "Why"]
    assert lines[2].startswith("today") and "Nguyễn Văn An" in lines[2]
    assert "contact at once" in lines[2]
    assert lines[3].startswith("Fri 2026-11-27") and "first contact due Fri 2026-11-27" in lines[3]


def test_overdue_rows_show_how_late(cli):
    cli.add("Late", env=ON("2026-11-20"))
    assert cli("followups").lines[2].startswith("Fri 2026-11-20 +5d")


def test_nothing_due_says_so(cli):
    out = cli("followups").out
    assert out.startswith("Nobody needs follow-up this week, to Sun 2026-11-29.")


def test_on_sunday_the_week_is_just_today(cli):
    cli.add("Monday", "--next", "2026-11-30")
    sunday = ON("2026-11-29")
    assert due(cli, env=sunday) == {}
    assert "to Sun 2026-11-29" in cli("followups", env=sunday).out
    assert "Monday" in due(cli, "--days", "1", env=sunday)


def test_the_table_is_limited_to_the_most_urgent(cli):
    for i in range(3):
        cli.add(f"P{i}")
    out = cli("followups", "--limit", "2").out
    assert "2 most urgent of 3 shown; --limit 0 shows all" in out
    assert "3 due this week" in out
    assert len(json.loads(cli("followups", "-f", "json").out)) == 3  # scripts get all


def test_json_and_csv_share_the_documented_columns(cli):
    cli.add("An", "--email", "an@x.vn", "--phone", "0901 234 567")
    header = cli("followups", "-f", "csv").lines[0].split(",")
    assert header == ["due_on", "reason", "why", "stalled", "days_overdue", "id", "name",
                      "company", "email", "phone", "stage", "stage_since", "qualification",
                      "last_touch_at", "next_at", "next_step", "continuations", "value",
                      "created_at", "account_id", "subject", "step_ids", "due_at", "kind",
                      "currency"]
    row = json.loads(cli("followups", "-f", "json").out)[0]
    assert list(row) == header and row["email"] == "an@x.vn" and row["stalled"] is False
    rows = list(csv.reader(io.StringIO(cli("followups", "-f", "csv").out)))
    assert rows[1][3] == "false" and rows[1][2] == row["why"]


@pytest.mark.parametrize("args, match", [
    (["--days", "-1"], "--days must be between 0 and 3660"),
    (["--days", "soon"], "Invalid value for '--days'"),
    (["--limit", "-3"], "--limit must be 0"),
    (["--format", "yaml"], "Invalid value for '--format'"),
])
def test_followups_rejects_bad_input(cli, args, match):
    cli.add("An")
    cli.fails(2, "followups", *args, match=match)
