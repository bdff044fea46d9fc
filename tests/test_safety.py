"""Never lose the book: migrations with backups, backup/restore, doctor, private files."""

import json
import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from relcrm import db, migrations
from relcrm.core import derive

BOOKS = sorted((Path(__file__).parent / "fixtures" / "books").glob("v*.db"),
               key=lambda p: int(p.stem[1:]))


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def files(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in path.parent.glob(path.name + "*")}


def rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, by table, in rowid order (what an upgrade must keep)."""
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'")]
        out = {}
        for table in tables:
            columns = [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
            rowid = con.execute("SELECT sql FROM sqlite_master WHERE name = ?",
                                (table,)).fetchone()[0].upper().find("WITHOUT ROWID") < 0
            out[table] = (columns, con.execute(
                f"SELECT {', '.join(columns)} FROM {table} "
                f"ORDER BY {'rowid' if rowid else ', '.join(columns)}").fetchall())
        return out
    finally:
        con.close()


# -- schema versions -----------------------------------------------------------------------------
def test_there_is_a_fixture_book_for_every_released_version():
    assert [int(p.stem[1:]) for p in BOOKS] == list(range(1, migrations.LATEST + 1))


def _milli(value):
    return None if value is None else round(value * 1000)


# columns a migration gave a new form: (table, old column) -> (new column, old value -> new)
CONVERTED = {("prospect", "value"): ("value_milli", _milli),
             ("touch", "amount"): ("amount_milli", _milli)}
CURRENCIES = {"prospect": {"value": ("value_currency", "VND")},
              "touch": {"amount": ("amount_currency", "VND")}}


@pytest.mark.parametrize("fixture", BOOKS, ids=lambda p: p.stem)
def test_every_released_book_upgrades_with_every_row_intact(cli, fixture):
    shutil.copy(fixture, cli.path)
    before = rows(cli.path)
    old_version = int(fixture.stem[1:])
    assert "Nguyễn Văn An" in cli("list", "--all").out
    after = rows(cli.path)
    con = sqlite3.connect(cli.path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == migrations.LATEST
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    con.close()
    for table, (columns, old_rows) in before.items():
        new_columns, new_rows = after[table]
        if table == "_migrations":
            assert new_rows[:len(old_rows)] == old_rows
            continue
        if table.startswith("_"):  # machinery (days off, pending recomputation): rebuilt
            continue
        # facts are kept exactly; derived values follow the new version's rules (a rebuild);
        # a column a migration converted holds the same value in its new form
        facts = [c for c in columns if c not in derive.DERIVED.get(table, ())]
        kept = [new_columns.index(CONVERTED.get((table, c), (c,))[0]) for c in facts]
        old = [columns.index(c) for c in facts]
        convert = [CONVERTED.get((table, c), (c, lambda v: v))[1] for c in facts]
        assert [tuple(r[i] for i in kept) for r in new_rows] == \
            [tuple(f(r[i]) for i, f in zip(old, convert)) for r in old_rows], table
        for column, (currency, code) in CURRENCIES.get(table, {}).items():
            if column in columns:  # an amount of an older book is in VND, the only currency
                index, amounts = new_columns.index(currency), columns.index(column)
                assert [r[index] for r in new_rows] == \
                    [None if r[amounts] is None else code for r in old_rows], table
    if old_version < 4:  # every email and phone became the person's first contact
        con = sqlite3.connect(cli.path)
        old_prospects = before["prospect"]
        for kind in ("email", "phone"):
            at = old_prospects[0].index(kind)
            expected = sorted((r[0], r[at]) for r in old_prospects[1] if r[at])
            assert con.execute("SELECT prospect_id, value FROM contact WHERE kind = ? "
                               "ORDER BY prospect_id, value", (kind,)).fetchall() == expected
        con.close()
    con = sqlite3.connect(cli.path)
    assert derive.stale(con) == {"prospect": [], "account": []}
    con.close()
    if old_version < migrations.LATEST:
        backup = cli.path.with_name(f"book.db.bak-{old_version}")
        assert rows(backup) == before and mode(backup) == 0o600


@pytest.fixture
def next_version(monkeypatch):
    """Pretend this program has a migration 2 (or N+1), to exercise the upgrade path."""
    def install(script: str):
        number = migrations.LATEST + 1
        monkeypatch.setattr(migrations, "MIGRATIONS",
                            migrations.MIGRATIONS + [(number, "test", script)])
        monkeypatch.setattr(migrations, "LATEST", number)
        return number
    return install


def test_an_upgrade_backs_up_first_and_runs_in_one_transaction(cli, next_version):
    cli.add("Nguyễn Văn An", "--company", "Minh Phát")
    before = rows(cli.path)
    old = migrations.LATEST
    new = next_version("ALTER TABLE prospect ADD COLUMN nickname TEXT;\n"
                       "UPDATE prospect SET nickname = 'An'")
    assert "Nguyễn Văn An" in cli("list").out
    backup = cli.path.with_name(f"book.db.bak-{old}")
    assert rows(backup) == before and mode(backup) == 0o600
    assert cli.one("PRAGMA user_version") == new
    assert cli.one("SELECT nickname FROM prospect") == "An"
    assert cli.sql("SELECT version, name FROM _migrations ORDER BY version")[-1] == (new, "test")


def test_a_failing_upgrade_changes_nothing(cli, next_version):
    cli.add("An")
    before = files(cli.path)
    next_version("ALTER TABLE prospect ADD COLUMN nickname TEXT;\nTHIS IS NOT SQL")
    result = cli.run("list")
    assert result.code == 1 and "database error" in result.err
    after = files(cli.path)
    assert after.pop(f"book.db.bak-{migrations.LATEST - 1}", None) is not None
    assert after == before
    con = sqlite3.connect(cli.path)
    assert "nickname" not in [r[1] for r in con.execute("PRAGMA table_info(prospect)")]


# -- backup / restore ----------------------------------------------------------------------------
def test_backup_to_the_default_place_a_file_or_a_folder(cli, tmp_path):
    cli.add("An")
    out = cli("backup").out
    made = tmp_path / "backups" / "book-2026-11-25-120000.db"
    assert out == f"Backed up {cli.path} to {made} ({made.stat().st_size:,} bytes).\n"
    assert mode(made) == 0o600 and mode(made.parent) == 0o700
    assert rows(made)["prospect"] == rows(cli.path)["prospect"]
    named = tmp_path / "copy.db"
    record = json.loads(cli("backup", str(named), "-f", "json").out)[0]
    assert record["backup"] == str(named) and mode(named) == 0o600
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    cli("backup", str(folder))
    assert (folder / "book-2026-11-25-120000.db").exists()


def test_backup_is_consistent_while_another_connection_writes(cli, tmp_path):
    cli.add("Committed")
    writer = sqlite3.connect(cli.path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE prospect SET name = 'Uncommitted'")
    try:
        cli("backup", str(tmp_path / "live.db"))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    con = sqlite3.connect(tmp_path / "live.db")
    assert con.execute("SELECT name FROM prospect").fetchall() == [("Committed",)]
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize("args, code, match", [
    (["backup"], 1, "there is no book at"),
    (["backup", "/no/such/folder/x.db"], 2, "does not exist"),
    (["backup", "BOOK"], 2, "cannot overwrite the book itself"),
])
def test_backup_refuses(cli, tmp_path, args, code, match):
    if args != ["backup"]:
        cli.add("An")
    args = [str(cli.path) if a == "BOOK" else a for a in args]
    cli.fails(code, *args, match=match)


def test_restore_replaces_the_book_and_keeps_the_old_one(cli, tmp_path):
    cli.add("Original")
    cli("backup", str(tmp_path / "b.db"))
    cli.add("Added Later")
    out = cli("restore", str(tmp_path / "b.db")).out
    aside = tmp_path / "book.db.before-restore-2026-11-25-120000"
    assert out == (f"Restored {cli.path} from {tmp_path / 'b.db'}: 1 prospect, 0 touches "
                   f"(schema version {migrations.LATEST}). The previous book is kept at "
                   f"{aside}.\n")
    assert [r["name"] for r in json.loads(cli("list", "-f", "json").out)] == ["Original"]
    assert sorted(r[0] for r in sqlite3.connect(aside).execute(
        "SELECT name FROM prospect")) == ["Added Later", "Original"]
    assert mode(cli.path) == 0o600 and mode(aside) == 0o600
    cli.add("After Restore")  # the restored book works normally
    assert not list(tmp_path.glob(".book.db*"))


def test_restore_into_a_missing_book(cli, tmp_path):
    shutil.copy(BOOKS[-1], tmp_path / "old.db")
    cli("restore", str(tmp_path / "old.db"))
    assert "Nguyễn Văn An" in cli("list").out


def test_restore_refuses_bad_files_and_changes_nothing(cli, tmp_path):
    cli.add("Precious")
    before = files(cli.path)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"SQLite format 3\x00" + os.urandom(4000))
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.commit()
    newer = tmp_path / "newer.db"
    cli("backup", str(newer))
    con = sqlite3.connect(newer)
    con.execute(f"PRAGMA user_version = {migrations.LATEST + 1}")
    con.close()
    damaged = tmp_path / "damaged.db"
    cli("backup", str(damaged))
    con = sqlite3.connect(damaged)
    root = con.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'stage_change'").fetchone()[0]
    size = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    data = bytearray(damaged.read_bytes())
    start = (root - 1) * size
    data[start:start + 12] = b"\x0d\x00\x00\xff\xff\xff\x00\x00\x00\x00\x00\x00"  # bad cells
    damaged.write_bytes(bytes(data))
    for path, match in ((tmp_path / "missing.db", "no file"), (garbage, "not a relcrm book"),
                        (other, "not a relcrm book"), (newer, "newer than this relcrm"),
                        (damaged, "is damaged")):
        cli.fails(2, "restore", str(path), match=match)
        assert files(cli.path) == before


def test_a_restore_that_cannot_take_the_lock_changes_nothing_and_leaves_no_copy(
        cli, tmp_path, monkeypatch):
    from relcrm import maintenance

    cli.add("Precious")
    cli("backup", str(tmp_path / "b.db"))
    monkeypatch.setattr(maintenance, "BUSY_TIMEOUT_S", 0.2)
    monkeypatch.setattr(db, "BUSY_TIMEOUT_S", 0.2)
    writer = sqlite3.connect(cli.path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another relcrm in the middle of a write
    try:
        before = files(cli.path)
        cli.fails(1, "restore", str(tmp_path / "b.db"), match="the book is in use")
        assert files(cli.path) == before
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert sorted(p.name for p in tmp_path.glob(".*")) == []


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_copies_left_by_a_killed_backup_or_restore_are_reported_and_removed(cli, tmp_path):
    cli.add("An")
    cli("backup")
    dead, alive = _dead_pid(), os.getpid()
    stray = [tmp_path / f".book.db.restore-{dead}",
             tmp_path / f".book.db.restore-{dead}.tmp-{dead}",
             tmp_path / "backups" / f".book-2026-11-25-120000.db.tmp-{dead}"]
    running = tmp_path / f".book.db.restore-{alive}"  # a restore still at work: not touched
    unrelated = tmp_path / ".book.db.notes-12"
    for path in stray + [running, unrelated]:
        path.write_bytes(b"half a copy")
    out = cli("doctor").out
    assert ("leftovers   3 half-made copies from a backup, restore or export that was stopped, "
            f"e.g. {tmp_path}/.book.db.restore-{dead}; the next relcrm backup removes them\n"
            "verdict     healthy") in out
    assert json.loads(cli("doctor", "-f", "json").out)[0]["leftovers"] == 3
    cli("backup")
    assert not any(p.exists() for p in stray)
    assert running.exists() and unrelated.exists()
    assert "leftovers" not in cli("doctor").out


# -- doctor and privacy ----------------------------------------------------------------------------
def test_doctor_reports_a_healthy_book(cli, tmp_path):
    assert "not created yet" in cli("doctor").out
    cli.add("An")
    cli("backup")
    out = cli("doctor").out
    for expected in (f"book        {cli.path}", "privacy     -rw------- ok", "schema      version "
                     f"{migrations.LATEST} of {migrations.LATEST}", "integrity   ok",
                     "links       ok", "records     1 prospect, 0 tags, 0 touches",
                     "0 accounts, 0 roles, 0 KAM changes",
                     "backups     1, newest",
                     "verdict     healthy"):
        assert expected in out, expected
    record = json.loads(cli("doctor", "-f", "json").out)[0]
    assert record["ok"] is True and record["prospect_rows"] == 1


def test_doctor_finds_damage_and_exits_1(cli):
    cli.add("An")
    con = sqlite3.connect(cli.path)
    con.execute("PRAGMA foreign_keys = OFF")
    con.execute("INSERT INTO touch (prospect_id, kind, at, created_at, seq) "
                "VALUES (999, 'email', '2026-11-25T12:00:00', '2026-11-25T12:00:00', 1)")
    con.commit()
    con.close()
    result = cli.run("doctor")
    assert result.code == 1
    assert "links       PROBLEM: 1 records point at missing ones" in result.out


def test_a_shared_book_gets_a_one_line_warning(cli):
    cli.add("An")
    os.chmod(cli.path, 0o644)
    db._warned.clear()
    result = cli("list")
    assert result.err == (f"relcrm: warning: {cli.path} can be read by other users (mode 644); "
                          f"make it private: chmod 600 {cli.path}\n")
    result = cli.run("doctor")
    assert result.code == 1 and "PROBLEM: others can read it" in result.out
    os.chmod(cli.path, 0o600)


def test_restore_over_a_book_whose_touches_name_deals(cli, tmp_path):
    """Emptying the book for a restore deleted deals while touches still named them: the SET
    NULL that followed ran the touches' triggers under its own conflict rule and the restore
    failed (UNIQUE constraint failed: _dirty.kind, _dirty.id); found on the demo book."""
    cli.add("Nguyễn Văn An", "--company", "Minh Phát")
    cli.add("Trần Thị Bình", "--company", "Minh Phát")
    cli("deal", "add", "Minh Phát", "Packaging line", "--value", "450,000,000", "--with", "1")
    cli("call", "1", "--outcome", "order", "--commitment", "PO 1", "--amount", "450,000,000",
        "--deal", "1")
    cli("log", "2", "email", "sent the catalogue")
    cli("backup", str(tmp_path / "b.db"))
    before = cli("export", "all", "--format", "jsonl").out
    assert cli("restore", str(tmp_path / "b.db")).code == 0
    assert cli("export", "all", "--format", "jsonl").out == before
    assert cli.one("SELECT deal_id FROM touch WHERE prospect_id = 1") == 1
