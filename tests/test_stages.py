"""stage list / advance / set / history through the CLI."""

import json

import pytest

from relcrm.methodology import STAGES, resolve_stage, qualification_status
from relcrm.errors import UsageError


def test_stage_list_shows_the_seven_stages_and_cadences(cli):
    out = cli("stage", "list").out
    lines = out.splitlines()
    assert lines[0].split() == ["#", "Key", "Stage", "Vietnamese", "Touch", "every", "Focus"]
    for stage, line in zip(STAGES, lines[1:8]):
        assert line.split()[:3] == [str(stage.number), stage.key, stage.name]
        assert stage.vietnamese in line and f"{stage.cadence_days} days" in line
    assert "lost" in lines[8]
    rows = json.loads(cli("stage", "list", "-f", "json").out)
    assert [(r["key"], r["cadence_days"]) for r in rows][:7] == [
        ("attract", 3), ("establish", 7), ("build", 10), ("develop", 14), ("maintain", 30),
        ("consolidate", 45), ("loyal", 60)]


def test_stage_list_needs_no_book(cli, tmp_path):
    cli("stage", "list")
    assert not (tmp_path / "book.db").exists()


def test_advance_walks_the_stages_and_refuses_at_loyal(cli):
    cli.add("An")
    out = cli("stage", "advance", "an", "--reason", "first meeting").out
    assert out == ("#1 An: Attract → Establish (Thiết lập). Touch every 7 days; next follow-up "
                   "Wed 2026-11-25.\n")
    for _ in range(5):
        cli("stage", "advance", "an")
    assert cli.one("SELECT stage FROM prospect") == "loyal"
    cli.fails(2, "stage", "advance", "an", match="already at Loyal (stage 7), the last stage")


@pytest.mark.parametrize("stage, key", [
    ("4", "develop"), ("build", "build"), ("Maintain", "maintain"), ("Củng cố", "consolidate"),
    ("cung co", "consolidate"), ("TRUNG THÀNH", "loyal"),
])
def test_set_accepts_number_key_or_name(cli, stage, key):
    cli.add("An")
    cli("stage", "set", "an", stage)
    assert cli.one("SELECT stage FROM prospect") == key


def test_lost_needs_a_reason_and_can_be_reopened(cli):
    cli.add("An")
    cli.fails(2, "stage", "set", "an", "lost", match="needs --reason")
    cli("stage", "set", "an", "lost", "--reason", "went with a competitor")
    assert cli.one("SELECT stage, due_on FROM prospect") == ("lost", None)
    cli.fails(2, "stage", "advance", "an", match="is lost; reopen with")
    cli("stage", "set", "an", "establish", "--reason", "new buyer there")
    assert cli.one("SELECT stage FROM prospect") == "establish"


def test_history_keeps_every_change_with_date_and_reason(cli):
    cli.add("An")
    cli("stage", "advance", "an", "--reason", "met", env={"RELCRM_TODAY": "2026-11-26"})
    cli("stage", "set", "an", "5", "--reason", "first order", env={"RELCRM_TODAY": "2026-11-28"})
    rows = json.loads(cli("stage", "history", "an", "-f", "json").out)
    assert [(r["from_stage"], r["to_stage"], r["reason"], r["days"]) for r in rows] == [
        (None, "attract", "added", 1), ("attract", "establish", "met", 2),
        ("establish", "maintain", "first order", -3)]  # today (11-25) is before the last change
    out = cli("stage", "history", "an").out
    assert out.splitlines()[0] == "#1 An: stage history"
    assert "Attract    Establish" in out and "first order" in out


def test_days_in_stage_counts_from_the_change(cli):
    cli.add("An", env={"RELCRM_TODAY": "2026-11-01"})
    cli("stage", "advance", "an", env={"RELCRM_TODAY": "2026-11-05"})
    assert "20 days in stage (since Thu 2026-11-05)" in cli("show", "an").out


@pytest.mark.parametrize("args, code, match", [
    (["stage", "set", "an", "9"], 2, "unknown stage '9'"),
    (["stage", "set", "an", "closing"], 2, "use a number 1-7 or one of: attract"),
    (["stage", "set", "an", "attract"], 2, "already at Attract"),
    (["stage", "set", "ghost", "build"], 1, "no prospect matches"),
    (["stage", "advance", "ghost"], 1, "no prospect matches"),
    (["stage", "history", "ghost"], 1, "no prospect matches"),
    (["stage", "set", "an"], 2, "Missing argument 'STAGE'"),
    (["stage", "fly", "an"], 2, "No such command 'fly'"),
])
def test_stage_commands_reject_bad_input(cli, args, code, match):
    cli.add("An")
    cli.fails(code, *args, match=match)


def test_resolve_stage_direct():
    assert resolve_stage("7").key == "loyal"
    assert resolve_stage("lost").key == "lost"
    with pytest.raises(UsageError):
        resolve_stage("0")


@pytest.mark.slow  # a property test: the full suite (CI) runs it
def test_qualification_status_in_python_and_sql_agree(cli):
    """The status rule is stated twice (Python for show, SQL for list filters): same answers."""
    levels = ("yes", "partial", "no", "unknown", None)
    combos = [(n, b, a) for n in levels for b in levels for a in levels]
    for i, (n, b, a) in enumerate(combos):
        pid = cli.add(f"P{i}")
        args = [f"--{k}={v}" for k, v in zip(("need", "budget", "authority"), (n, b, a)) if v]
        if args:
            cli("qualify", str(pid), *args)
    listed = {r["id"]: r["qualification"]
              for r in json.loads(cli("list", "-f", "json", "--limit", "0").out)}
    for i, (n, b, a) in enumerate(combos):
        expected, _ = qualification_status({"need": n, "budget": b, "authority": a})
        assert listed[i + 1] == expected, (n, b, a)
