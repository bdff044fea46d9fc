"""Numbered schema migrations, applied in order when a book is opened.

The schema version is `PRAGMA user_version` (read in microseconds on every open) and each
applied migration is also recorded, with its time, in the `_migrations` table. A new book runs
every migration; an older one runs those it lacks, all in one transaction, after a backup copy
of the file is written next to it (`relcrm.db.bak-<old version>`). A book newer than this
program is refused and left untouched.

Migrations are plain SQL on the sqlite3 connection, so opening a book never imports SQLAlchemy.
`models.py` states the same schema for the write side; tests/test_schema.py checks the two agree.
Never edit a released migration: add a new one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from . import dates
from .errors import DatabaseError

M0001_INITIAL = """
CREATE TABLE prospect (
    id INTEGER NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    company TEXT,
    company_key TEXT,
    title TEXT,
    email TEXT,
    phone TEXT,
    url TEXT,
    source TEXT,
    value REAL,
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    next_at TEXT,
    next_step TEXT,
    next_set_at TEXT,
    stage TEXT NOT NULL,
    stage_since TEXT NOT NULL,
    need TEXT,
    budget TEXT,
    authority TEXT,
    last_touch_at TEXT,
    continuations INTEGER NOT NULL,
    due_on TEXT,
    search_key TEXT NOT NULL
);
CREATE INDEX ix_prospect_name_key ON prospect (name_key);
CREATE INDEX ix_prospect_company_key ON prospect (company_key);
CREATE INDEX ix_prospect_stage ON prospect (stage, name_key);
CREATE INDEX ix_prospect_followup
    ON prospect (due_on, continuations DESC, value DESC, need, budget, authority)
    WHERE stage <> 'lost';

CREATE TABLE tag (
    prospect_id INTEGER NOT NULL REFERENCES prospect (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (prospect_id, name)
);
CREATE INDEX ix_tag_name ON tag (name, prospect_id);

CREATE TABLE touch (
    id INTEGER NOT NULL PRIMARY KEY,
    prospect_id INTEGER NOT NULL REFERENCES prospect (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    summary TEXT,
    minutes INTEGER,
    outcome TEXT,
    commitment TEXT,
    next_at TEXT,
    created_at TEXT NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX ix_touch_prospect_at ON touch (prospect_id, at);

CREATE TABLE call_note (
    id INTEGER NOT NULL PRIMARY KEY,
    touch_id INTEGER NOT NULL REFERENCES touch (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    position INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX ix_call_note_touch ON call_note (touch_id, kind, position);

CREATE TABLE stage_change (
    id INTEGER NOT NULL PRIMARY KEY,
    prospect_id INTEGER NOT NULL REFERENCES prospect (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    from_stage TEXT,
    to_stage TEXT NOT NULL,
    reason TEXT,
    seq INTEGER NOT NULL
);
CREATE INDEX ix_stage_change_prospect_at ON stage_change (prospect_id, at);

CREATE TABLE qualification (
    id INTEGER NOT NULL PRIMARY KEY,
    prospect_id INTEGER NOT NULL REFERENCES prospect (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    criterion TEXT NOT NULL,
    level TEXT NOT NULL,
    note TEXT,
    seq INTEGER NOT NULL
);
CREATE INDEX ix_qualification_prospect ON qualification (prospect_id, criterion, at);
"""

M0002_ACCOUNTS = """
CREATE TABLE account (
    id INTEGER NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    industry TEXT,
    note TEXT,
    is_key BOOLEAN NOT NULL,
    buy_class TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    kam_stage TEXT,
    kam_since TEXT,
    last_touch_at TEXT,
    deciders INTEGER NOT NULL DEFAULT 0,
    due_on TEXT
);
CREATE UNIQUE INDEX ix_account_name_key ON account (name_key);
CREATE INDEX ix_account_key ON account (is_key, name_key);
CREATE INDEX ix_account_followup ON account (due_on) WHERE is_key = 1;
CREATE INDEX ix_account_no_decider ON account (deciders, due_on) WHERE is_key = 1;

CREATE TABLE account_criterion (
    account_id INTEGER NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    criterion TEXT NOT NULL,
    PRIMARY KEY (account_id, criterion)
);

CREATE TABLE kam_change (
    id INTEGER NOT NULL PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    from_stage TEXT,
    to_stage TEXT NOT NULL,
    reason TEXT,
    seq INTEGER NOT NULL
);
CREATE INDEX ix_kam_change_account_at ON kam_change (account_id, at);

CREATE TABLE prospect_role (
    prospect_id INTEGER NOT NULL REFERENCES prospect (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (prospect_id, role)
);
CREATE INDEX ix_prospect_role_role ON prospect_role (role, prospect_id);

ALTER TABLE prospect ADD COLUMN account_id INTEGER REFERENCES account (id);
CREATE INDEX ix_prospect_account ON prospect (account_id, stage, last_touch_at);
ALTER TABLE touch ADD COLUMN amount REAL;
CREATE INDEX ix_touch_orders ON touch (prospect_id, amount) WHERE amount IS NOT NULL;

-- every company a prospect names becomes an account (spelled as its first prospect spelled it)
INSERT INTO account (name, name_key, is_key, created_at, updated_at)
SELECT (SELECT p2.company FROM prospect p2 WHERE p2.company_key = p.company_key
        ORDER BY p2.id LIMIT 1),
       p.company_key, 0, min(p.created_at), min(p.created_at)
FROM prospect p WHERE p.company_key IS NOT NULL AND p.company_key <> ''
GROUP BY p.company_key ORDER BY min(p.id);
UPDATE prospect SET account_id = (SELECT a.id FROM account a WHERE a.name_key = prospect.company_key)
WHERE company_key IS NOT NULL AND company_key <> '';
UPDATE account SET last_touch_at = (SELECT max(p.last_touch_at) FROM prospect p
                                    WHERE p.account_id = account.id AND p.stage <> 'lost')
"""

# (version, name, SQL script); versions are 1, 2, 3, ... in order.
MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "initial", M0001_INITIAL),
    (2, "accounts", M0002_ACCOUNTS),
]
LATEST = MIGRATIONS[-1][0]

_LEDGER = """CREATE TABLE IF NOT EXISTS _migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"""


def version(con: sqlite3.Connection) -> int:
    return con.execute("PRAGMA user_version").fetchone()[0]


def upgrade(con: sqlite3.Connection, path: Path | None = None) -> list[int]:
    """Apply pending migrations in one transaction; returns the versions applied."""
    current = version(con)
    if current == LATEST:
        return []
    if current > LATEST:
        raise DatabaseError(
            f"{path or 'this database'} has schema version {current}, newer than this relcrm "
            f"knows ({LATEST}); upgrade relcrm (pip install -U relcrm). The file was not changed.")
    if current > 0 and path is not None:
        # A copy of the book as it was, made before the upgrade's transaction (a connection
        # that is writing cannot be the source of a backup), under a name no file has yet.
        from .maintenance import safety_copy

        safety_copy(con, path.with_name(f"{path.name}.bak-{current}"))
    con.execute("BEGIN IMMEDIATE")
    try:
        current = version(con)  # another process may have migrated while we waited
        applied = []
        con.execute(_LEDGER)
        for number, name, script in MIGRATIONS:
            if number <= current:
                continue
            for statement in _statements(script):
                con.execute(statement)
            con.execute("INSERT INTO _migrations (version, name, applied_at) VALUES (?, ?, ?)",
                        (number, name, dates.iso(dates.now())))
            applied.append(number)
        con.execute(f"PRAGMA user_version = {LATEST}")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return applied


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (our scripts hold no ';' inside strings)."""
    return [part.strip() for part in script.split(";") if part.strip()]
