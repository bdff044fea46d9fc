"""demo: a separate example book, dated relative to today, and its follow-ups."""

import json

import pytest


@pytest.mark.parametrize("today", ["2026-11-25", "2026-11-23", "2026-11-29", "2027-03-01"])
def test_demo_builds_a_separate_book_and_shows_followups(cli, tmp_path, today):
    env = {"RELCRM_TODAY": today}
    result = cli("demo", env=env)
    demo = tmp_path / "data" / "relcrm" / "demo.db"
    assert demo.exists() and not cli.path.exists(), "the seller's own book is not touched"
    assert f"Demo book with 10 prospects: {demo}" in result.err
    assert result.out.startswith("Follow-ups ")
    rows = json.loads(cli("--db", str(demo), "followups", "-f", "json", env=env).out)
    reasons = {r["reason"] for r in rows}
    assert {"overdue", "new", "cold", "next-step"} <= reasons
    assert any(r["stalled"] for r in rows)
    names = {r["name"] for r in rows}
    assert "Võ Thị Em" not in names and "Hoàng Thu Giang" not in names  # phantom, lost
    assert "Đặng Quốc Phong" not in names  # a customer in good standing


def test_demo_rebuilds_each_time_and_takes_a_path(cli, tmp_path):
    cli("demo")
    cli("demo")
    demo = tmp_path / "data" / "relcrm" / "demo.db"
    assert len(json.loads(cli("--db", str(demo), "list", "-f", "json", "--all").out)) == 10
    mine = tmp_path / "my-demo.db"
    cli("demo", "--path", str(mine))
    assert mine.exists()


def test_demo_refuses_to_overwrite_a_real_book(cli, tmp_path):
    cli.add("Precious")
    cli.fails(2, "demo", "--path", str(cli.path), match="is not a demo book")
    assert cli.one("SELECT name FROM prospect") == "Precious"
