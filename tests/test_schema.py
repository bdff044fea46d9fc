"""The schema: migrations and models agree, queries run on the models' schema, files are safe."""

import os
import sqlite3
import stat

import pytest

from relcrm import db, migrations, queries
from relcrm.core import derive
from relcrm.errors import DatabaseError


def _schema(path) -> dict:
    """Tables, columns (name, affinity, notnull, pk), foreign keys and indexes of a file."""
    con = sqlite3.connect(path)

    def affinity(declared: str) -> str:
        declared = declared.upper()
        if "INT" in declared:
            return "INTEGER"
        if any(t in declared for t in ("CHAR", "CLOB", "TEXT")):
            return "TEXT"
        if any(t in declared for t in ("REAL", "FLOA", "DOUB")):
            return "REAL"
        return declared

    out = {}
    tables = [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' "
        "ESCAPE '\\' AND name NOT LIKE 'sqlite%' ORDER BY name")]
    for table in tables:
        cols = [(r[1], affinity(r[2]), r[3], r[5])
                for r in con.execute(f"PRAGMA table_info({table})")]
        fks = sorted((r[2], r[3], r[4], r[6]) for r in con.execute(
            f"PRAGMA foreign_key_list({table})"))
        indexes = {}
        for r in con.execute(f"PRAGMA index_list({table})"):
            if r[1].startswith("sqlite_autoindex"):
                continue
            info = [(c[2], c[3]) for c in con.execute(f"PRAGMA index_xinfo({r[1]})") if c[5]]
            sql = con.execute("SELECT sql FROM sqlite_master WHERE name = ?", (r[1],)).fetchone()[0]
            where = " ".join(sql.split(" WHERE ", 1)[1].split()) if " WHERE " in sql else None
            indexes[r[1]] = (info, r[2], where)
        out[table] = (cols, fks, indexes)
    con.close()
    return out


@pytest.fixture
def models_db(tmp_path):
    """A book whose schema was made by models.py (SQLModel create_all)."""
    from sqlmodel import SQLModel, create_engine

    from relcrm import models  # noqa: F401 - registers the tables

    path = tmp_path / "models.db"
    engine = create_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    return path


def test_migrations_and_models_make_the_same_schema(tmp_path, models_db):
    migrated = tmp_path / "migrated.db"
    db.connect(migrated).close()
    assert _schema(migrated) == _schema(models_db)


def test_every_table_of_the_schema_is_registered(tmp_path):
    """Restore, doctor, backup counts (and later undo, delete, merge) read the registry: a
    table missing from it would be forgotten by all of them."""
    from relcrm import registry

    path = tmp_path / "book.db"
    db.connect(path).close()
    tables = {r[0] for r in sqlite3.connect(path).execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'")}
    assert tables == set(registry.TABLES) | set(registry.INTERNAL) | set(registry.SEARCH)
    assert len(registry.TABLES) == len(set(registry.TABLES))
    for entity in registry.ENTITIES:
        assert entity.parent is None or entity.parent in registry.TABLES


def test_every_read_query_runs_on_the_models_schema(models_db):
    con = db._functions(sqlite3.connect(models_db))
    con.row_factory = sqlite3.Row
    con.execute("INSERT INTO prospect (id, name, name_key, created_at, updated_at, stage, "
                "stage_since, continuations, search_key, due_on) VALUES (1, 'An', 'an', "
                "'2026-11-01T10:00:00', '2026-11-01T10:00:00', 'attract', "
                "'2026-11-01T10:00:00', 0, 'an', '2026-11-01')")
    assert queries.resolve(con, "an")["id"] == 1
    assert queries.complete_names(con, "a") == [("an", "An")]
    con.execute("INSERT INTO account (id, name, name_key, is_key, created_at, updated_at) "
                "VALUES (1, 'Ánh Dương', 'anh duong', 1, '2026-11-01T10:00:00', "
                "'2026-11-01T10:00:00')")
    assert queries.complete_accounts(con, "an") == [("anh_duong", "Ánh Dương (key account)")]
    for sort in queries.SORTS:
        queries.list_prospects(con, tag="x", company="c", search="s", status="open",
                               sort=sort, limit=5)
    queries.list_prospects(con, stage="attract", include_lost=True)
    con.execute("UPDATE prospect SET care_on = due_on")
    rows, total = queries.care_due(con, "2026-11-29", limit=5)
    assert [r["id"] for r in rows] == [1] and total == 1
    queries.care_due(con, "2026-11-29", include_disqualified=True)
    assert queries.care_due(con, "2026-11-29", since="2026-11-02")[1] == 0  # plan's period
    con.execute("INSERT INTO step (id, prospect_id, kind, text, due_at, status, created_at, uid) "
                "VALUES (1, 1, 'call', 'x', '2026-11-27', 'open', '2026-11-01T10:00:00', 'u1')")
    rows, total = queries.steps_due(con, "2026-11-30", limit=5)
    assert [r["id"] for r in rows] == [1] and total == 1
    assert [r["id"] for r in queries.steps_due(con, "2026-11-30", since="2026-11-27")[0]] == [1]
    assert queries.steps_due(con, "2026-11-30", since="2026-11-28", limit=1)[1] == 0
    rows, total = queries.key_accounts_due(con, "2026-11-25", "2026-11-29", limit=5)
    assert [r["id"] for r in rows] == [1] and rows[0]["effective_due"] == "2026-11-25"
    assert queries.key_accounts_due(con, "2026-11-25", "2026-11-29", since="2026-11-26") == (
        [], 0)
    queries.step_list(con, prospect_id=1, closed=True)
    queries.step_list(con, account_id=1)
    queries.step(con, 1)
    queries.step_history(con, 1)
    assert [r[0] for r in con.execute(queries.STEPS_INVOLVING_SQL, {"id": 1})] == [1]
    queries.prospect(con, 1)
    queries.timeline(con, 1, limit=1)
    queries.call_notes(con, [1, 2])
    queries.stage_history(con, 1)
    for entity in queries.EXPORTS:
        for kw in ({}, {"since": "2026-01-01", "prospect_ids": [1]}):
            columns, rows = queries.export(con, entity, **kw)
            for row in rows:
                assert len(row) == len(columns)
    derive.refresh_all(con)


def test_followups_and_lists_use_indexes_not_scans(tmp_path):
    con = db.connect(tmp_path / "b.db")
    # the outer query only (parent 0): its order must come from the index
    plan = " ".join(r[3] for r in con.execute(
        "EXPLAIN QUERY PLAN " + queries._CARE_SQL.format(
            extra="AND " + queries.NOT_DISQUALIFIED_SQL) + " LIMIT 50", {"until": "2026-11-29"})
        if r[1] == 0)
    assert "USING INDEX ix_prospect_care" in plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan  # the index gives the order: no sort
    plan = " ".join(r[3] for r in con.execute(
        "EXPLAIN QUERY PLAN " + queries._STEP_DUE_SELECT + " WHERE s.status = 'open' AND "
        "s.due_at < :before ORDER BY s.due_at, s.id LIMIT 50", {"before": "2026-11-30"})
        if r[1] == 0)
    assert "USING INDEX ix_step_due" in plan and "TEMP B-TREE FOR ORDER BY" not in plan
    # plan's period (a lower bound too) reads the same indexes, as a range
    for sql, params, index in (
            (queries._CARE_SQL.format(extra="AND p.care_on >= :since"),
             {"until": "2026-12-06", "since": "2026-11-30"}, "ix_prospect_care"),
            (queries._STEP_DUE_SELECT + " WHERE s.status = 'open' AND s.due_at < :before AND "
             "s.due_at >= :since ORDER BY s.due_at, s.id",
             {"before": "2026-12-07", "since": "2026-11-30"}, "ix_step_due")):
        plan = " ".join(r[3] for r in con.execute("EXPLAIN QUERY PLAN " + sql, params)
                        if r[1] == 0)
        assert f"USING INDEX {index} (" in plan and ">? AND" in plan.replace(">=", ">"), plan
    # the count of all the open steps due reads indexes only: the date index, and the steps of
    # the few people left out, found by the partial index of them
    with pytest.MonkeyPatch.context() as patch:
        counts = []
        patch.setattr(queries, "_limited", lambda con, sql, params, limit, count: (
            counts.append((count, params)) or ([], 0)))
        queries.steps_due(con, "2026-11-30", limit=1)
        queries.steps_due(con, "2026-11-30", include_disqualified=True, limit=1)
    for (sql, params), index in zip(counts, ("ix_prospect_excluded", "ix_prospect_stage")):
        plan = [r[3] for r in con.execute("EXPLAIN QUERY PLAN " + sql, params)]
        people = [step for step in plan if step.startswith(("SCAN p", "SEARCH p"))]
        assert len(people) == 1 and f"INDEX {index} " in people[0], plan
        assert all("USING" in step for step in plan if step.startswith(("SCAN", "SEARCH"))
                   and step != "SCAN CONSTANT ROW"), plan
    plan = " ".join(r[3] for r in con.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM prospect p WHERE p.stage <> 'lost' "
        f"ORDER BY {queries.SORTS['name']} LIMIT 100"))
    assert "ix_prospect_name_key" in plan and "TEMP B-TREE" not in plan


def test_a_new_book_is_private_wal_and_versioned(tmp_path):
    path = tmp_path / "sub" / "book.db"
    con = db.connect(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert con.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert migrations.version(con) == migrations.LATEST
    ledger = con.execute("SELECT version, name FROM _migrations").fetchall()
    assert [tuple(r) for r in ledger] == [(v, n) for v, n, _ in migrations.MIGRATIONS]
    con.execute("BEGIN IMMEDIATE")
    con.execute("INSERT INTO prospect (name, name_key, created_at, updated_at, stage, "
                "stage_since, continuations, search_key) VALUES ('x', 'x', 'a', 'a', "
                "'attract', 'a', 0, 'x')")
    con.execute("COMMIT")
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            assert stat.S_IMODE(os.stat(side).st_mode) & 0o077 == 0
    con.close()


def test_reopening_does_not_migrate_again(tmp_path):
    path = tmp_path / "b.db"
    db.connect(path).close()
    con = db.connect(path)
    assert migrations.upgrade(con, path) == []
    assert con.execute("SELECT count(*) FROM _migrations").fetchone()[0] == len(
        migrations.MIGRATIONS)


def test_a_newer_book_is_refused_and_left_untouched(tmp_path, cli):
    path = tmp_path / "book.db"
    db.connect(path).close()
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {migrations.LATEST + 1}")
    con.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="newer"):
        db.connect(path)
    result = cli.run("list")
    assert result.code == 1 and "newer than this relcrm" in result.err
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path, cli):
    (tmp_path / "book.db").write_bytes(b"this is not sqlite" * 100)
    result = cli.run("list")
    assert result.code == 1
    assert "not a relcrm book" in result.err and "Traceback" not in result.err


def test_a_folder_as_the_book_is_a_clear_error(tmp_path, cli):
    result = cli.run("--db", str(tmp_path), "list")
    assert result.code == 2 and "is a directory" in result.err
    assert "(see: relcrm --help)" in result.err
    result = cli.run("list", env={"RELCRM_DB": str(tmp_path)})
    assert result.code == 1 and "is a folder" in result.err


def test_reading_a_missing_book_does_not_create_it(tmp_path, cli):
    assert "No prospects yet" in cli("list").out
    cli("followups")
    cli("export")
    cli.fails(1, "show", "an", match="no prospect matches")
    assert not (tmp_path / "book.db").exists()
    cli.add("An")
    assert (tmp_path / "book.db").exists()
