"""Failures that are not the user's fault still end in one line, and writes are atomic."""

import sqlite3

import pytest

from relcrm import db


def test_a_bug_is_one_line_with_exit_70(cli, monkeypatch):
    from relcrm.core import prospects

    def broken(session, details, *rest):
        raise RuntimeError("boom")

    monkeypatch.setattr(prospects, "create", broken)
    result = cli.fails(70, "add", "An", match="internal error (RuntimeError: boom)")
    assert "RELCRM_DEBUG=1" in result.err


def test_relcrm_debug_shows_the_real_exception(cli, monkeypatch):
    from relcrm.core import prospects

    monkeypatch.setattr(prospects, "create", lambda s, d, *rest: 1 / 0)
    monkeypatch.setenv("RELCRM_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        cli.run("add", "An")


def test_a_failure_inside_a_write_rolls_everything_back(cli, monkeypatch):
    """The prospect row is inserted, then the tags fail: nothing of it may remain."""
    cli.add("Existing")
    before = cli.dump()
    from relcrm.core import derive

    def fail_after_inserts(session, prospect_id):
        session.flush()
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(derive, "refresh", fail_after_inserts)
    result = cli.run("add", "New Person", "--tag", "x")
    assert result.code == 70 and cli.dump() == before
    result = cli.run("log", "existing", "email")
    assert result.code == 70 and cli.dump() == before


def test_a_locked_book_is_a_clear_message(cli, monkeypatch):
    cli.add("An")
    monkeypatch.setattr(db, "BUSY_TIMEOUT_S", 0.2)
    other = sqlite3.connect(cli.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        result = cli.run("log", "an", "email")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert result.code == 1
    assert result.err == ("relcrm: error: the database is busy (another relcrm is writing to "
                          "it); try again\n")
    assert cli.one("SELECT count(*) FROM touch") == 0


def test_db_option_wins_over_the_environment(cli, tmp_path):
    other = tmp_path / "other.db"
    cli("--db", str(other), "add", "Elsewhere")
    assert not cli.path.exists()
    assert "Elsewhere" in cli("--db", str(other), "list").out
    assert "No prospects yet" in cli("list").out  # the next command is back on RELCRM_DB


def test_the_default_book_lives_in_the_data_folder(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("RELCRM_DB")
    cli("add", "An")
    book = tmp_path / "data" / "relcrm" / "relcrm.db"
    assert book.exists() and oct(book.stat().st_mode & 0o777) == "0o600"


def test_huge_numbers_are_not_a_crash(cli):
    cli.add("An")
    huge = "9" * 30
    assert "An" in cli("list", "--limit", huge).out
    assert "An" in cli("followups", "--limit", huge).out
    assert "Timeline" in cli("show", "an", "--limit", huge).out
    cli.fails(1, "show", huge, match=f"no prospect with id {huge}")
    cli.fails(2, "log", "an", "email", "--minutes", huge, match="minutes must be between")
    cli.fails(2, "followups", "--days", huge, match="--days must be between")


@pytest.mark.parametrize("bad", ["\ud800", "a\x00b"])
def test_arguments_that_are_not_text(cli, bad):
    cli.add("An")
    cli.fails(2, "show", bad, match="argument 2 is not valid text")
    cli.fails(2, "add", "X", "--note", bad, match="argument 4 is not valid text")
