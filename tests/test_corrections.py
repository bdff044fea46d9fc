"""Issue 11, through the CLI: undo, delete (and --forget), merge, touch/call edit, duplicates,
several emails and phones, exact money, TSV escaping.

Today is Wednesday 2026-11-25 (conftest). `state(cli)` is every table of the book but the
journal's machinery (_change, _journal, _dirty, _migrations): an undo must give it back
exactly, derived columns and rowids included.
"""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from relcrm.registry import TABLES

ON = lambda when: {"RELCRM_TODAY": when}  # noqa: E731
MACHINERY = ("_change", "_journal", "_dirty", "_migrations")


def state(cli) -> dict[str, list[tuple]]:
    """Every row of every table (rowid first), but the journal's own tables."""
    con = sqlite3.connect(cli.path)
    try:
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
        assert set(TABLES) | {"_day_off"} <= set(names)
        return {name: con.execute(f"SELECT * FROM {name} ORDER BY day").fetchall()
                if name == "_day_off"  # WITHOUT ROWID
                else con.execute(f"SELECT rowid, * FROM {name} ORDER BY rowid").fetchall()
                for name in names if name not in MACHINERY}
    finally:
        con.close()


def changes(cli) -> list[dict]:
    return json.loads(cli("undo", "--list", "-n", "0", "-f", "json").out)


def pending(cli) -> int:
    """How many changes undo could still take back."""
    return sum(1 for c in changes(cli) if c["undone_at"] is None)


def show(cli, ref) -> dict:
    return json.loads(cli("show", str(ref), "-f", "json", "-l", "0").out)


@pytest.fixture
def book(cli):
    """Three people at two spellings of one company (and one elsewhere), with calls, touches
    with others, steps (own and an account's), roles, tags, judgements and a stage."""
    cli.add("Nguyễn Văn An", "--company", "Minh Phát", "--email", "an@mp.vn", "--phone",
            "0912 345 678", "--tag", "vip", "--value", "68tr", "--note", "likes golf",
            env=ON("2026-11-02T09:00"))
    cli.add("Trần Thị Bình", "--company", "Minh Phat JSC", "--email", "binh@mp.vn",
            "--title", "CFO", env=ON("2026-11-02T09:05"))
    cli.add("Lê Văn Cường", "--company", "Hòa Bình", "--phone", "+84 90 111 2222",
            env=ON("2026-11-02T09:10"))
    cli("qualify", "an", "--need", "yes", "--budget", "partial", env=ON("2026-11-03T10:00"))
    cli("call", "an", "--situation", "2 plants", "--problem", "film tears", "-o",
        "continuation", env=ON("2026-11-04T10:00"))
    cli("log", "an", "meeting", "lunch", "--with", "bình", env=ON("2026-11-05T12:00"))
    cli("log", "cường", "email", "hello", "--amount", "5k", env=ON("2026-11-06T12:00"))
    cli("role", "an", "decider", env=ON("2026-11-06T13:00"))
    cli("role", "bình", "buyer", env=ON("2026-11-06T13:00"))
    cli("step", "add", "an", "2026-12-01", "send the quote", env=ON("2026-11-07T09:00"))
    cli("account", "step", "1", "2026-12-03", "site visit", "--with", "an",
        env=ON("2026-11-07T09:00"))
    cli("stage", "advance", "cường", "--reason", "met twice", env=ON("2026-11-08T09:00"))
    return cli


# -- undo -------------------------------------------------------------------------------------
def _contacts_csv(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("Name,Email,Company,Phone\n"
                    "Phạm Minh Dũng,dung@saigontech.vn,Sài Gòn Tech,0901 234 567\n"
                    "Võ Thị Em,em@donga.vn,Đông Á,\n"
                    "Nguyen Van An,AN@MP.VN,Minh Phát,\n", encoding="utf-8")
    return str(path)


UNDOABLE = {
    "import": lambda cli, tmp: ["import", _contacts_csv(tmp), "--tag", "fair"],
    "merge": lambda cli, tmp: ["merge", "2", "into", "1"],
    "merge --prefer source": lambda cli, tmp: ["merge", "1", "3", "--prefer", "source"],
    "delete": lambda cli, tmp: ["delete", "1", "--yes"],
    "call": lambda cli, tmp: ["call", "an", "-o", "advance", "--commitment", "trial run",
                              "--situation", "3 shifts", "--next", "fri", "--next-step",
                              "trial", "--done"],
    "stage advance": lambda cli, tmp: ["stage", "advance", "an", "--reason", "trusts us"],
    "account merge": lambda cli, tmp: ["account", "merge", "minh phat jsc", "minh phát"],
    "edit --note": lambda cli, tmp: ["edit", "an", "--note", "prefers Zalo", "--phone",
                                     "028 3822 1234", "--drop-email", "an@mp.vn", "--tag", "x"],
    "touch edit --prospect": lambda cli, tmp: ["touch", "edit", "2", "--prospect", "cường",
                                               "--text", "lunch with Cường"],
    "touch delete": lambda cli, tmp: ["touch", "delete", "1"],
    "call edit": lambda cli, tmp: ["call", "edit", "1", "--situation", "3 plants",
                                   "--situation", "night shift", "-o", "advance",
                                   "--commitment", "trial"],
    "config workdays": lambda cli, tmp: ["config", "workdays", "mon-sat"],
    "config currency": lambda cli, tmp: ["config", "currency", "USD"],
    "snooze": lambda cli, tmp: ["snooze", "an", "2026-12-24", "--reason", "after Tết"],
    "account delete": lambda cli, tmp: ["account", "delete", "empty"],
    "qualify": lambda cli, tmp: ["qualify", "bình", "--authority", "yes"],
}


@pytest.mark.parametrize("name", list(UNDOABLE))
def test_undo_restores_the_book_exactly_after(book, tmp_path, name):
    if name == "account delete":
        book("account", "edit", "1", "--key")  # an account with no people: made by a typo
        book.add("Typo", "--company", "Empty Co")
        book("delete", "typo", "--yes")
        book("account", "edit", "empty", "--criterion", "price", "--key")
    args = UNDOABLE[name](book, tmp_path)
    before = state(book)
    listed = len(changes(book))
    book(*args, env=ON("2026-11-25T15:30"))
    assert state(book) != before, "the command changed nothing"
    latest = changes(book)[0]
    assert len(changes(book)) == listed + 1 and latest["undone_at"] is None
    assert latest["command"].startswith("relcrm " + args[0])
    out = book("undo", env=ON("2026-11-25T16:00")).out
    assert out.startswith(f"Undid change #{latest['id']} (Wed 2026-11-25 15:30): relcrm ")
    assert out.endswith(f"; it had {latest['summary']}.\n")
    assert state(book) == before
    assert changes(book)[0]["undone_at"] == "2026-11-25T16:00:00"


def test_undo_again_takes_back_the_one_before_until_the_original(book, tmp_path):
    before = state(book)
    commands = [["import", _contacts_csv(tmp_path)], ["merge", "2", "into", "1"],
                ["call", "1", "-o", "advance", "--commitment", "trial", "--next", "fri"],
                ["touch", "edit", "1", "--prospect", "3"], ["delete", "3", "--yes"],
                ["config", "cadence.build", "4"], ["stage", "advance", "1"],
                ["snooze", "1", "+5d"], ["edit", "1", "--note", "new note"]]
    for args in commands:
        book(*args)
    undone = []
    for _ in commands:
        undone.append(book("undo").out)
    assert [re.match(r"Undid change #\d+ \([^)]*\): relcrm (\S+)", o).group(1)
            for o in undone] == [args[0] for args in reversed(commands)]
    assert state(book) == before


def test_undo_list_shows_when_command_and_summary(book):
    book("log", "an", "email", "price list", env=ON("2026-11-25T10:00"))
    book("edit", "bình", "--title", "CEO", env=ON("2026-11-25T10:05"))
    book("undo", env=ON("2026-11-25T10:10"))
    rows = changes(book)
    assert list(rows[0]) == ["id", "at", "command", "summary", "undone_at", "note"]
    assert [(r["at"], r["command"], r["summary"], r["undone_at"]) for r in rows[:2]] == [
        ("2026-11-25T10:05:00", "relcrm edit 'bình' --title CEO", "changed 1 prospect",
         "2026-11-25T10:10:00"),
        ("2026-11-25T10:00:00", "relcrm log an email 'price list'", "added 1 touch", None)]
    table = book("undo", "--list").lines
    assert table[0].split() == ["#", "When", "Command", "Undone", "Changed"]
    assert "relcrm edit 'bình' --title CEO" in table[1] and "Wed 2026-11-25 10:10" in table[1]
    assert "relcrm log an email 'price list'" in table[2] and "added 1 touch" in table[2]
    assert len(book("undo", "--list", "-n", "1").lines) == 2
    assert len(changes(book)) == 14  # every write of the book fixture, and these two
    book("undo", "--list", "-f", "csv")
    book.fails(2, "undo", "--list", "--limit", "-1", match="--limit")


def test_a_command_that_changed_nothing_is_not_a_change(book):
    listed = changes(book)
    book("edit", "an", "--title", "")  # it had none
    book("list")
    book("role", "an", "decider")  # already
    assert changes(book) == listed


def test_the_summary_counts_rows_not_journal_entries(book):
    book("touch", "edit", "2", "--prospect", "cường", "--minutes", "30", "--text", "x")
    assert changes(book)[0]["summary"] == "changed 1 touch"


def test_nothing_to_undo(cli):
    cli.fails(1, "undo", match="nothing to undo")
    cli.add("An")
    cli("undo")
    cli.fails(1, "undo", match="nothing to undo")
    assert cli.sql("SELECT count(*) FROM prospect") == [(0,)]


@pytest.mark.parametrize("outside", [
    "UPDATE prospect SET note = 'typed in DB Browser' WHERE id = 1",
    "DELETE FROM tag WHERE prospect_id = 1 AND name = 'x'",
    "UPDATE tag SET name = 'y' WHERE name = 'x'",
])
def test_undo_refuses_when_a_row_it_left_was_changed_outside(book, outside):
    book("edit", "an", "--note", "prefers Zalo", "--tag", "x")
    con = sqlite3.connect(book.path)
    con.execute(outside)
    con.commit()
    con.close()
    book.fails(2, "undo", match="cannot undo change #")
    assert book.one("SELECT undone_at FROM _change ORDER BY id DESC LIMIT 1") is None


def test_undo_leaves_alone_a_row_changed_outside_that_it_did_not_write(book):
    book("edit", "an", "--note", "prefers Zalo")
    con = sqlite3.connect(book.path)
    con.execute("UPDATE prospect SET title = 'Boss' WHERE id = 3")
    con.commit()
    con.close()
    book("undo")
    assert book.one("SELECT note, (SELECT title FROM prospect WHERE id = 3) FROM prospect "
                    "WHERE id = 1") == ("likes golf", "Boss")


def test_undo_keep_keeps_only_the_last(book):
    book("config", "undo.keep", "2")
    book("log", "an", "email", "one")
    book("log", "an", "email", "two")
    book("log", "an", "email", "three")
    assert [c["command"] for c in changes(book)] == ["relcrm log an email three",
                                                    "relcrm log an email two"]
    book("undo")
    book("undo")
    book.fails(1, "undo", match="nothing to undo")
    assert [r[0] for r in book.sql("SELECT summary FROM touch ORDER BY id")] == [
        None, "lunch", "hello", "one"]
    assert book("config", "undo.keep").out.strip() == "2"
    assert book.one("SELECT count(DISTINCT change_id) FROM _journal") == 0


def test_undo_keep_is_100_by_default(cli):
    assert cli("config", "undo.keep").out.strip() == "100"
    for n in range(103):
        cli("config", "cadence.build", str(n % 5 + 2))
    assert len(changes(cli)) == 100
