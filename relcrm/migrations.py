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
from .errors import DatabaseError, UsageError

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

M0003_STEPS = """
CREATE TABLE setting (
    key TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE step (
    id INTEGER NOT NULL PRIMARY KEY,
    prospect_id INTEGER REFERENCES prospect (id) ON DELETE CASCADE,
    account_id INTEGER REFERENCES account (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    text TEXT,
    due_at TEXT NOT NULL,
    minutes INTEGER,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    closed_at TEXT,
    note TEXT,
    uid TEXT NOT NULL
);
CREATE INDEX ix_step_prospect ON step (prospect_id, due_at) WHERE status = 'open';
CREATE INDEX ix_step_account ON step (account_id, due_at) WHERE status = 'open';
CREATE INDEX ix_step_due ON step (due_at) WHERE status = 'open';
CREATE UNIQUE INDEX ix_step_uid ON step (uid);

CREATE TABLE step_person (
    step_id INTEGER NOT NULL REFERENCES step (id) ON DELETE CASCADE,
    prospect_id INTEGER NOT NULL REFERENCES prospect (id) ON DELETE CASCADE,
    PRIMARY KEY (step_id, prospect_id)
);
CREATE INDEX ix_step_person_prospect ON step_person (prospect_id, step_id);

-- a touch with several people (log/call --with): the others it counts for
CREATE TABLE touch_person (
    touch_id INTEGER NOT NULL REFERENCES touch (id) ON DELETE CASCADE,
    prospect_id INTEGER NOT NULL REFERENCES prospect (id) ON DELETE CASCADE,
    PRIMARY KEY (touch_id, prospect_id)
);
CREATE INDEX ix_touch_person_prospect ON touch_person (prospect_id, touch_id);

CREATE TABLE step_change (
    id INTEGER NOT NULL PRIMARY KEY,
    step_id INTEGER NOT NULL REFERENCES step (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    from_due TEXT,
    to_due TEXT,
    note TEXT
);
CREATE INDEX ix_step_change_step ON step_change (step_id, at);

ALTER TABLE prospect ADD COLUMN cadence_days INTEGER;
ALTER TABLE prospect ADD COLUMN snoozed_until TEXT;
ALTER TABLE prospect ADD COLUMN snooze_reason TEXT;
ALTER TABLE prospect ADD COLUMN care_on TEXT;
ALTER TABLE stage_change ADD COLUMN revisit_on TEXT;
DROP INDEX ix_prospect_followup;
CREATE INDEX ix_prospect_care
    ON prospect (care_on, continuations DESC, value DESC, need, budget, authority)
    WHERE care_on IS NOT NULL;
CREATE INDEX ix_prospect_due ON prospect (due_on);

-- days off (weekends by the workdays setting, public holidays of the country): a cadence date
-- that falls on one moves to next_workday; rows of 4 characters mark the years built
CREATE TABLE _day_off (
    day TEXT NOT NULL PRIMARY KEY,
    next_workday TEXT NOT NULL,
    name TEXT
) WITHOUT ROWID;

-- what a write changed, noted by the database itself; derive.settle() recomputes the derived
-- values of these prospects and accounts before the write commits, and empties it
CREATE TABLE _dirty (
    kind TEXT NOT NULL,
    id INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;

-- every prospect's next step becomes an open step; its history starts with it
INSERT INTO step (prospect_id, kind, text, due_at, status, created_at, uid)
SELECT id, 'todo', next_step, next_at, 'open', coalesce(next_set_at, updated_at),
       lower(hex(randomblob(16)))
FROM prospect WHERE next_at IS NOT NULL ORDER BY id;
INSERT INTO step_change (step_id, at, action, to_due, note)
SELECT id, created_at, 'added', due_at, 'the next step, when steps came' FROM step ORDER BY id;

CREATE TRIGGER dirty_touch_insert AFTER INSERT ON touch BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', NEW.prospect_id);
END;
CREATE TRIGGER dirty_touch_update AFTER UPDATE ON touch BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', OLD.prospect_id), ('p', NEW.prospect_id);
END;
CREATE TRIGGER dirty_touch_delete AFTER DELETE ON touch BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', OLD.prospect_id);
END;
CREATE TRIGGER dirty_stage_insert AFTER INSERT ON stage_change BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', NEW.prospect_id);
END;
CREATE TRIGGER dirty_stage_update AFTER UPDATE ON stage_change BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', OLD.prospect_id), ('p', NEW.prospect_id);
END;
CREATE TRIGGER dirty_stage_delete AFTER DELETE ON stage_change BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', OLD.prospect_id);
END;
CREATE TRIGGER dirty_qualification_insert AFTER INSERT ON qualification BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', NEW.prospect_id);
END;
CREATE TRIGGER dirty_qualification_update AFTER UPDATE ON qualification BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', OLD.prospect_id), ('p', NEW.prospect_id);
END;
CREATE TRIGGER dirty_qualification_delete AFTER DELETE ON qualification BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', OLD.prospect_id);
END;
CREATE TRIGGER dirty_role_insert AFTER INSERT ON prospect_role BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', NEW.prospect_id);
END;
CREATE TRIGGER dirty_role_update AFTER UPDATE ON prospect_role BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', OLD.prospect_id), ('p', NEW.prospect_id);
END;
CREATE TRIGGER dirty_role_delete AFTER DELETE ON prospect_role BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', OLD.prospect_id);
END;
CREATE TRIGGER dirty_touch_person_insert AFTER INSERT ON touch_person BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', NEW.prospect_id);
END;
CREATE TRIGGER dirty_touch_person_update AFTER UPDATE ON touch_person BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', OLD.prospect_id), ('p', NEW.prospect_id);
END;
CREATE TRIGGER dirty_touch_person_delete AFTER DELETE ON touch_person BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', OLD.prospect_id);
END;
CREATE TRIGGER dirty_step_person_insert AFTER INSERT ON step_person BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', NEW.prospect_id);
END;
CREATE TRIGGER dirty_step_person_update AFTER UPDATE ON step_person BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', OLD.prospect_id), ('p', NEW.prospect_id);
END;
CREATE TRIGGER dirty_step_person_delete AFTER DELETE ON step_person BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', OLD.prospect_id);
END;
CREATE TRIGGER dirty_step_insert AFTER INSERT ON step BEGIN
    INSERT OR IGNORE INTO _dirty SELECT 'p', NEW.prospect_id WHERE NEW.prospect_id IS NOT NULL;
    INSERT OR IGNORE INTO _dirty SELECT 'a', NEW.account_id WHERE NEW.account_id IS NOT NULL;
END;
CREATE TRIGGER dirty_step_update AFTER UPDATE ON step BEGIN
    INSERT OR IGNORE INTO _dirty SELECT 'p', OLD.prospect_id WHERE OLD.prospect_id IS NOT NULL;
    INSERT OR IGNORE INTO _dirty SELECT 'a', OLD.account_id WHERE OLD.account_id IS NOT NULL;
    INSERT OR IGNORE INTO _dirty SELECT 'p', NEW.prospect_id WHERE NEW.prospect_id IS NOT NULL;
    INSERT OR IGNORE INTO _dirty SELECT 'a', NEW.account_id WHERE NEW.account_id IS NOT NULL;
END;
CREATE TRIGGER dirty_step_delete AFTER DELETE ON step BEGIN
    INSERT OR IGNORE INTO _dirty SELECT 'p', OLD.prospect_id WHERE OLD.prospect_id IS NOT NULL;
    INSERT OR IGNORE INTO _dirty SELECT 'a', OLD.account_id WHERE OLD.account_id IS NOT NULL;
END;
CREATE TRIGGER dirty_prospect_insert AFTER INSERT ON prospect BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', NEW.id);
    INSERT OR IGNORE INTO _dirty SELECT 'a', NEW.account_id WHERE NEW.account_id IS NOT NULL;
END;
CREATE TRIGGER dirty_prospect_update
AFTER UPDATE OF id, account_id, cadence_days, snoozed_until, created_at ON prospect BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', NEW.id);
    INSERT OR IGNORE INTO _dirty SELECT 'a', OLD.account_id WHERE OLD.account_id IS NOT NULL;
    INSERT OR IGNORE INTO _dirty SELECT 'a', NEW.account_id WHERE NEW.account_id IS NOT NULL;
END;
CREATE TRIGGER dirty_prospect_delete AFTER DELETE ON prospect BEGIN
    DELETE FROM _dirty WHERE kind = 'p' AND id = OLD.id;
    INSERT OR IGNORE INTO _dirty SELECT 'a', OLD.account_id WHERE OLD.account_id IS NOT NULL;
END;
CREATE TRIGGER dirty_account_insert AFTER INSERT ON account BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('a', NEW.id);
END;
CREATE TRIGGER dirty_account_update AFTER UPDATE OF id, is_key, created_at ON account BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('a', NEW.id);
END;
CREATE TRIGGER dirty_account_delete AFTER DELETE ON account BEGIN
    DELETE FROM _dirty WHERE kind = 'a' AND id = OLD.id;
END;
CREATE TRIGGER dirty_kam_insert AFTER INSERT ON kam_change BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('a', NEW.account_id);
END;
CREATE TRIGGER dirty_kam_update AFTER UPDATE ON kam_change BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('a', OLD.account_id), ('a', NEW.account_id);
END;
CREATE TRIGGER dirty_kam_delete AFTER DELETE ON kam_change BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('a', OLD.account_id);
END;
CREATE TRIGGER dirty_setting_insert AFTER INSERT ON setting BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('all', 0);
END;
CREATE TRIGGER dirty_setting_update AFTER UPDATE ON setting BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('all', 0);
END;
CREATE TRIGGER dirty_setting_delete AFTER DELETE ON setting BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('all', 0);
END;
CREATE TRIGGER dirty_day_off_insert AFTER INSERT ON _day_off BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('all', 0);
END;
CREATE TRIGGER dirty_day_off_delete AFTER DELETE ON _day_off BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('all', 0);
END
"""

M0004_CORRECTIONS = """
-- the change journal behind `relcrm undo` (journal.py installs the triggers that fill it)
CREATE TABLE _change (
    id INTEGER NOT NULL PRIMARY KEY,
    at TEXT NOT NULL,
    command TEXT NOT NULL,
    summary TEXT,
    open INTEGER NOT NULL DEFAULT 0,
    undone_at TEXT,
    note TEXT
);
CREATE INDEX ix_change_open ON _change (open) WHERE open = 1;
CREATE TABLE _journal (
    id INTEGER NOT NULL PRIMARY KEY,
    change_id INTEGER NOT NULL REFERENCES _change (id) ON DELETE CASCADE,
    tbl TEXT NOT NULL,
    op TEXT NOT NULL,
    row_id INTEGER NOT NULL,
    old TEXT,
    new TEXT
);
CREATE INDEX ix_journal_row ON _journal (change_id, tbl, row_id);

-- the id a person had before `relcrm merge` folded them into another (show OLDID still works)
CREATE TABLE prospect_alias (
    id INTEGER NOT NULL PRIMARY KEY,
    prospect_id INTEGER NOT NULL REFERENCES prospect (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    merged_at TEXT NOT NULL
);
CREATE INDEX ix_prospect_alias_prospect ON prospect_alias (prospect_id);

-- money: exact amounts, in thousandths of the currency's unit, with their currency (money.py);
-- the amounts of older books were typed for VND (the only currency they knew)
ALTER TABLE prospect ADD COLUMN value_milli INTEGER;
ALTER TABLE prospect ADD COLUMN value_currency TEXT;
UPDATE prospect SET value_milli = CAST(round(value * 1000) AS INTEGER), value_currency = 'VND'
    WHERE value IS NOT NULL;
DROP INDEX ix_prospect_care;
ALTER TABLE prospect DROP COLUMN value;
CREATE INDEX ix_prospect_care
    ON prospect (care_on, continuations DESC, value_milli DESC, need, budget, authority)
    WHERE care_on IS NOT NULL;
ALTER TABLE touch ADD COLUMN amount_milli INTEGER;
ALTER TABLE touch ADD COLUMN amount_currency TEXT;
UPDATE touch SET amount_milli = CAST(round(amount * 1000) AS INTEGER), amount_currency = 'VND'
    WHERE amount IS NOT NULL;
DROP INDEX ix_touch_orders;
ALTER TABLE touch DROP COLUMN amount;
CREATE INDEX ix_touch_orders ON touch (prospect_id, amount_milli)
    WHERE amount_milli IS NOT NULL;

-- a person's emails and phones, as typed and as compared (email_key, E.164); the first of each
-- kind is kept in prospect.email / prospect.phone by the triggers below
CREATE TABLE contact (
    id INTEGER NOT NULL PRIMARY KEY,
    prospect_id INTEGER NOT NULL REFERENCES prospect (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    key TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE UNIQUE INDEX ix_contact_person ON contact (prospect_id, kind, key);
CREATE INDEX ix_contact_key ON contact (kind, key);
CREATE TRIGGER contact_first_insert AFTER INSERT ON contact BEGIN
    UPDATE prospect SET email = (SELECT c.value FROM contact c WHERE c.prospect_id = prospect.id
                                 AND c.kind = 'email' ORDER BY c.position, c.id LIMIT 1),
                        phone = (SELECT c.value FROM contact c WHERE c.prospect_id = prospect.id
                                 AND c.kind = 'phone' ORDER BY c.position, c.id LIMIT 1)
    WHERE id = NEW.prospect_id;
END;
CREATE TRIGGER contact_first_update AFTER UPDATE ON contact BEGIN
    UPDATE prospect SET email = (SELECT c.value FROM contact c WHERE c.prospect_id = prospect.id
                                 AND c.kind = 'email' ORDER BY c.position, c.id LIMIT 1),
                        phone = (SELECT c.value FROM contact c WHERE c.prospect_id = prospect.id
                                 AND c.kind = 'phone' ORDER BY c.position, c.id LIMIT 1)
    WHERE id IN (OLD.prospect_id, NEW.prospect_id);
END;
CREATE TRIGGER contact_first_delete AFTER DELETE ON contact BEGIN
    UPDATE prospect SET email = (SELECT c.value FROM contact c WHERE c.prospect_id = prospect.id
                                 AND c.kind = 'email' ORDER BY c.position, c.id LIMIT 1),
                        phone = (SELECT c.value FROM contact c WHERE c.prospect_id = prospect.id
                                 AND c.kind = 'phone' ORDER BY c.position, c.id LIMIT 1)
    WHERE id = OLD.prospect_id;
END;

-- the matching key of the profile URL (identity.url_key), for the duplicate rule
ALTER TABLE prospect ADD COLUMN url_key TEXT;
CREATE INDEX ix_prospect_url_key ON prospect (url_key) WHERE url_key IS NOT NULL
"""

M0005_DEALS = """
-- deals (thương vụ): one sale in progress with an account, at a stage of the customer's buying
-- process (methodology.BUYING_STAGES), open until won or lost (with a reason)
CREATE TABLE deal (
    id INTEGER NOT NULL PRIMARY KEY,
    account_id INTEGER REFERENCES account (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    stage TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    value_milli INTEGER,
    currency TEXT,
    close_on TEXT,
    buy_class TEXT,
    won_milli INTEGER,
    won_currency TEXT,
    lost_reason TEXT,
    note TEXT,
    closed_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX ix_deal_status ON deal (status, stage);
CREATE INDEX ix_deal_account ON deal (account_id, status);
CREATE INDEX ix_deal_closed ON deal (closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX ix_deal_created ON deal (created_at);
CREATE TABLE deal_person (
    deal_id INTEGER NOT NULL REFERENCES deal (id) ON DELETE CASCADE,
    prospect_id INTEGER NOT NULL REFERENCES prospect (id) ON DELETE CASCADE,
    PRIMARY KEY (deal_id, prospect_id)
);
CREATE INDEX ix_deal_person_prospect ON deal_person (prospect_id, deal_id);
CREATE TABLE deal_change (
    id INTEGER NOT NULL PRIMARY KEY,
    deal_id INTEGER NOT NULL REFERENCES deal (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    from_stage TEXT,
    to_stage TEXT,
    reason TEXT,
    note TEXT,
    amount_milli INTEGER,
    currency TEXT
);
CREATE INDEX ix_deal_change_deal ON deal_change (deal_id, at);
CREATE INDEX ix_deal_change_at ON deal_change (at, action);
-- the deal an order won
ALTER TABLE touch ADD COLUMN deal_id INTEGER REFERENCES deal (id) ON DELETE SET NULL;
CREATE INDEX ix_touch_deal ON touch (deal_id) WHERE deal_id IS NOT NULL;
CREATE INDEX ix_touch_at ON touch (at);
-- a person's contacts newest first from the index alone (the review's care thinning), and the
-- orders before a moment (a customer at the time, repeat sales)
CREATE INDEX ix_touch_contact ON touch (prospect_id, at, kind);
CREATE INDEX ix_touch_order_at ON touch (prospect_id, at)
    WHERE outcome = 'order' OR (outcome IS NULL AND amount_milli IS NOT NULL);
-- the review reads a period's facts by date
CREATE INDEX ix_stage_change_at ON stage_change (at);
CREATE INDEX ix_step_change_at ON step_change (at, action);
CREATE INDEX ix_step_due_at ON step (due_at);
-- derived: a customer has a won deal or an order (a person: theirs, or their account's)
ALTER TABLE prospect ADD COLUMN customer INTEGER NOT NULL DEFAULT 0;
ALTER TABLE account ADD COLUMN customer INTEGER NOT NULL DEFAULT 0;
DROP INDEX ix_prospect_care;
CREATE INDEX ix_prospect_care
    ON prospect (care_on, continuations DESC, value_milli DESC, need, budget, authority,
                 customer)
    WHERE care_on IS NOT NULL;

CREATE TRIGGER dirty_deal_insert AFTER INSERT ON deal BEGIN
    INSERT OR IGNORE INTO _dirty SELECT 'a', NEW.account_id WHERE NEW.account_id IS NOT NULL;
END;
CREATE TRIGGER dirty_deal_update AFTER UPDATE ON deal BEGIN
    INSERT OR IGNORE INTO _dirty SELECT 'p', prospect_id FROM deal_person WHERE deal_id = NEW.id;
    INSERT OR IGNORE INTO _dirty SELECT 'a', OLD.account_id WHERE OLD.account_id IS NOT NULL;
    INSERT OR IGNORE INTO _dirty SELECT 'a', NEW.account_id WHERE NEW.account_id IS NOT NULL;
END;
CREATE TRIGGER dirty_deal_delete AFTER DELETE ON deal BEGIN
    INSERT OR IGNORE INTO _dirty SELECT 'a', OLD.account_id WHERE OLD.account_id IS NOT NULL;
END;
CREATE TRIGGER dirty_deal_person_insert AFTER INSERT ON deal_person BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', NEW.prospect_id);
END;
CREATE TRIGGER dirty_deal_person_update AFTER UPDATE ON deal_person BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', OLD.prospect_id), ('p', NEW.prospect_id);
END;
CREATE TRIGGER dirty_deal_person_delete AFTER DELETE ON deal_person BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('p', OLD.prospect_id);
END
"""


M0006_CARE = """
-- what the seller knows about a person beyond business (seed 001: social bonds)
CREATE TABLE fact (
    id INTEGER NOT NULL PRIMARY KEY,
    prospect_id INTEGER NOT NULL REFERENCES prospect (id) ON DELETE CASCADE,
    about TEXT NOT NULL,
    text TEXT NOT NULL,
    at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ix_fact_prospect ON fact (prospect_id, at);
-- a person's or an account's important dates (birthday, anniversary, founding, giỗ ...),
-- recurring each year on that solar day, or on that lunar day (âm lịch) when lunar = 1
CREATE TABLE important_date (
    id INTEGER NOT NULL PRIMARY KEY,
    prospect_id INTEGER REFERENCES prospect (id) ON DELETE CASCADE,
    account_id INTEGER REFERENCES account (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    month INTEGER NOT NULL,
    day INTEGER NOT NULL,
    year INTEGER,
    lunar INTEGER NOT NULL DEFAULT 0,
    note TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX ix_important_date_prospect ON important_date (prospect_id);
CREATE INDEX ix_important_date_account ON important_date (account_id);
-- the occasions the book greets its customers on; gifts = 1: followups announces the gift list
CREATE TABLE occasion (
    id INTEGER NOT NULL PRIMARY KEY,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    month INTEGER NOT NULL,
    day INTEGER NOT NULL,
    lunar INTEGER NOT NULL DEFAULT 0,
    gifts INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX ix_occasion_key ON occasion (key);
INSERT INTO occasion (key, name, month, day, lunar, gifts) VALUES
    ('tet', 'Tết Nguyên Đán', 1, 1, 1, 1),
    ('trung-thu', 'Tết Trung thu', 8, 15, 1, 1),
    ('8-3', 'Quốc tế Phụ nữ 8/3', 3, 8, 0, 0),
    ('20-10', 'Phụ nữ Việt Nam 20/10', 10, 20, 0, 0),
    ('20-11', 'Nhà giáo Việt Nam 20/11', 11, 20, 0, 0);
-- the greeting that marks a person's date done for the year
ALTER TABLE touch ADD COLUMN occasion_id INTEGER REFERENCES important_date (id)
    ON DELETE SET NULL;
CREATE INDEX ix_touch_occasion ON touch (occasion_id, at) WHERE occasion_id IS NOT NULL;
-- the customer type of seed 003 (methodology.CUSTOMER_TYPES)
ALTER TABLE prospect ADD COLUMN type TEXT;
-- when a profile's or an account's note was last written (search dates its hits by it); set
-- by a command's write (a change is open), not by undo, which puts the old time back itself
ALTER TABLE prospect ADD COLUMN note_at TEXT;
ALTER TABLE account ADD COLUMN note_at TEXT;
UPDATE prospect SET note_at = updated_at WHERE note IS NOT NULL;
UPDATE account SET note_at = updated_at WHERE note IS NOT NULL;
CREATE TRIGGER note_at_prospect_insert AFTER INSERT ON prospect
WHEN NEW.note IS NOT NULL AND NEW.note_at IS NULL BEGIN
    UPDATE prospect SET note_at = NEW.updated_at WHERE id = NEW.id;
END;
CREATE TRIGGER note_at_prospect_update AFTER UPDATE OF note ON prospect
WHEN NEW.note IS NOT OLD.note AND EXISTS (SELECT 1 FROM _change WHERE open = 1) BEGIN
    UPDATE prospect SET note_at = CASE WHEN NEW.note IS NULL THEN NULL ELSE NEW.updated_at END
    WHERE id = NEW.id;
END;
CREATE TRIGGER note_at_account_insert AFTER INSERT ON account
WHEN NEW.note IS NOT NULL AND NEW.note_at IS NULL BEGIN
    UPDATE account SET note_at = NEW.updated_at WHERE id = NEW.id;
END;
CREATE TRIGGER note_at_account_update AFTER UPDATE OF note ON account
WHEN NEW.note IS NOT OLD.note AND EXISTS (SELECT 1 FROM _change WHERE open = 1) BEGIN
    UPDATE account SET note_at = CASE WHEN NEW.note IS NULL THEN NULL ELSE NEW.updated_at END
    WHERE id = NEW.id;
END;
-- recall: every note the book holds, accents and case folded, in a full-text index; a row's
-- rowid is its source row's id * 8 + the source (0 judgement, 1 touch, 2 SPIN note, 3 step,
-- 4 fact, 5 prospect note, 6 account note, 7 deal) and `at` its date; the triggers mark what
-- a write changed and derive.settle re-indexes it in the same transaction
CREATE VIRTUAL TABLE _search USING fts5(body, at UNINDEXED,
                                       tokenize = 'unicode61 remove_diacritics 2',
                                       prefix = '2 3');
CREATE TRIGGER search_qualification_insert AFTER INSERT ON qualification BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', NEW.id * 8 + 0);
END;
CREATE TRIGGER search_qualification_update AFTER UPDATE OF note ON qualification BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', NEW.id * 8 + 0);
END;
CREATE TRIGGER search_qualification_delete AFTER DELETE ON qualification BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', OLD.id * 8 + 0);
END;
CREATE TRIGGER search_touch_insert AFTER INSERT ON touch BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', NEW.id * 8 + 1);
END;
CREATE TRIGGER search_touch_update AFTER UPDATE OF summary, commitment, at ON touch BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', NEW.id * 8 + 1);
    INSERT OR IGNORE INTO _dirty SELECT 's', id * 8 + 2 FROM call_note WHERE touch_id = NEW.id;
END;
CREATE TRIGGER search_touch_delete AFTER DELETE ON touch BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', OLD.id * 8 + 1);
END;
CREATE TRIGGER search_call_note_insert AFTER INSERT ON call_note BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', NEW.id * 8 + 2);
END;
CREATE TRIGGER search_call_note_update AFTER UPDATE OF text ON call_note BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', NEW.id * 8 + 2);
END;
CREATE TRIGGER search_call_note_delete AFTER DELETE ON call_note BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', OLD.id * 8 + 2);
END;
CREATE TRIGGER search_step_insert AFTER INSERT ON step BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', NEW.id * 8 + 3);
END;
CREATE TRIGGER search_step_update AFTER UPDATE OF text, note, due_at ON step BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', NEW.id * 8 + 3);
END;
CREATE TRIGGER search_step_delete AFTER DELETE ON step BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', OLD.id * 8 + 3);
END;
CREATE TRIGGER search_fact_insert AFTER INSERT ON fact BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', NEW.id * 8 + 4);
END;
CREATE TRIGGER search_fact_update AFTER UPDATE OF text ON fact BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', NEW.id * 8 + 4);
END;
CREATE TRIGGER search_fact_delete AFTER DELETE ON fact BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', OLD.id * 8 + 4);
END;
CREATE TRIGGER search_prospect_insert AFTER INSERT ON prospect BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', NEW.id * 8 + 5);
END;
CREATE TRIGGER search_prospect_update AFTER UPDATE OF note ON prospect BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', NEW.id * 8 + 5);
END;
CREATE TRIGGER search_prospect_delete AFTER DELETE ON prospect BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', OLD.id * 8 + 5);
END;
CREATE TRIGGER search_account_insert AFTER INSERT ON account BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', NEW.id * 8 + 6);
END;
CREATE TRIGGER search_account_update AFTER UPDATE OF note ON account BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', NEW.id * 8 + 6);
END;
CREATE TRIGGER search_account_delete AFTER DELETE ON account BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', OLD.id * 8 + 6);
END;
CREATE TRIGGER search_deal_insert AFTER INSERT ON deal BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', NEW.id * 8 + 7);
END;
CREATE TRIGGER search_deal_update AFTER UPDATE OF title, note ON deal BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', NEW.id * 8 + 7);
END;
CREATE TRIGGER search_deal_delete AFTER DELETE ON deal BEGIN
    INSERT OR IGNORE INTO _dirty VALUES ('s', OLD.id * 8 + 7);
END;
"""


M0007_EXCLUDED = """
-- the people follow-ups leave out (lost, disqualified), few in any book: the count of the open
-- steps due subtracts theirs from the count of the date index (queries.steps_due)
CREATE INDEX ix_prospect_excluded ON prospect (id)
    WHERE stage = 'lost' OR NOT (customer = 1 OR (coalesce(need, '') <> 'no' AND
          coalesce(budget, '') <> 'no' AND coalesce(authority, '') <> 'no'));
"""


M0008_SYNC = """
-- relcrm sync: each object relcrm keeps on the seller's CalDAV/CardDAV server, by the UID it
-- keeps for life: where it is, the server's ETag, a digest of what was last sent (NULL: send
-- it again) and the values the phone may change as last sent (JSON); and the server's sync
-- tokens. Machinery, not records: never journaled, counted or exported.
CREATE TABLE _sync_item (
    uid TEXT NOT NULL PRIMARY KEY,
    collection TEXT NOT NULL,
    kind TEXT NOT NULL,
    ref_id INTEGER NOT NULL,
    href TEXT,
    etag TEXT,
    digest TEXT,
    sent TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE _sync_state (
    key TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def _m0006_care(con: sqlite3.Connection) -> None:
    """Migration 6's data: every note already in the book goes into the search index."""
    from .core import search

    search.rebuild(con)


def _m0005_deals(con: sqlite3.Connection) -> None:
    """Migration 5's data: a prospect's value was the deal they were expected to bring; it
    becomes an open deal with them at their account, at the first buying stage (prospect.value
    is now the sum of their open deals, so every value reads as before)."""
    rows = con.execute("SELECT id, name, account_id, value_milli, value_currency, created_at, "
                       "updated_at FROM prospect WHERE value_milli IS NOT NULL "
                       "ORDER BY id").fetchall()
    for pid, name, account_id, milli, currency, created, updated in rows:
        deal = con.execute(
            "INSERT INTO deal (account_id, title, stage, status, value_milli, currency, "
            "created_at, updated_at) VALUES (?, ?, 'need', 'open', ?, ?, ?, ?)",
            (account_id, f"Deal with {name}", milli, currency, created, updated)).lastrowid
        con.execute("INSERT INTO deal_person (deal_id, prospect_id) VALUES (?, ?)", (deal, pid))
        con.execute("INSERT INTO deal_change (deal_id, at, action, to_stage, reason, "
                    "amount_milli, currency) VALUES (?, ?, 'opened', 'need', ?, ?, ?)",
                    (deal, created, f"the value of #{pid} before deals", milli, currency))


def _m0004_keys(con: sqlite3.Connection) -> None:
    """Migration 4's part that needs Python: every prospect's email and phone become their
    first contacts, with the keys the duplicate rule compares; their URL gets its key. A
    phone an older relcrm accepted that libphonenumber cannot read keeps its digits as key."""
    from . import identity

    rows = con.execute("SELECT id, email, phone, url FROM prospect").fetchall()
    for pid, email, phone, url in rows:
        if email:
            con.execute("INSERT INTO contact (prospect_id, kind, value, key, position) "
                        "VALUES (?, 'email', ?, ?, 1)", (pid, email, identity.email_key(email)))
        if phone:
            try:
                key = identity.phone(phone).key
            except UsageError:
                key = "?" + "".join(ch for ch in phone if ch.isdigit())
            con.execute("INSERT INTO contact (prospect_id, kind, value, key, position) "
                        "VALUES (?, 'phone', ?, ?, 1)", (pid, phone, key))
        if url:
            con.execute("UPDATE prospect SET url_key = ? WHERE id = ?",
                        (identity.url_key(url), pid))

M0009_TOUCH_SET_NULL = """
-- A touch's deal or greeted date deleted sets it to NULL through the foreign key. SQLite runs
-- the triggers of that UPDATE with the foreign key's own conflict policy (ABORT) instead of
-- their OR IGNORE, and the person marked twice in _dirty failed the whole command (`date drop`
-- of a greeted birthday, `delete` of someone with a deal). The mark is made without a conflict.
DROP TRIGGER dirty_touch_update;
CREATE TRIGGER dirty_touch_update AFTER UPDATE ON touch BEGIN
    INSERT OR IGNORE INTO _dirty SELECT 'p', v FROM (SELECT OLD.prospect_id AS v UNION
                                                     SELECT NEW.prospect_id)
    WHERE NOT EXISTS (SELECT 1 FROM _dirty d WHERE d.kind = 'p' AND d.id = v);
END;
"""


# (version, name, SQL script); versions are 1, 2, 3, ... in order.
MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "initial", M0001_INITIAL),
    (2, "accounts", M0002_ACCOUNTS),
    (3, "steps", M0003_STEPS),
    (4, "corrections", M0004_CORRECTIONS),
    (5, "deals", M0005_DEALS),
    (6, "care", M0006_CARE),
    (7, "excluded", M0007_EXCLUDED),
    (8, "sync", M0008_SYNC),
    (9, "touch_set_null", M0009_TOUCH_SET_NULL),
]
LATEST = MIGRATIONS[-1][0]
# the steps of a migration that need Python, run after its SQL in the same transaction
_AFTER = {4: _m0004_keys, 5: _m0005_deals, 6: _m0006_care}

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
        from .i18n import _

        if path is None:
            message = _("this database has schema version {version}, newer than this relcrm "
                        "knows ({latest}); upgrade relcrm (pip install -U relcrm). The file was "
                        "not changed.")
        else:
            message = _("{shown} has schema version {version}, newer than this relcrm knows "
                        "({latest}); upgrade relcrm (pip install -U relcrm). The file was not "
                        "changed.")
        raise DatabaseError(message.format(shown=path, version=current, latest=LATEST))
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
            if number in _AFTER:
                _AFTER[number](con)
            con.execute("INSERT INTO _migrations (version, name, applied_at) VALUES (?, ?, ?)",
                        (number, name, dates.iso(dates.now())))
            applied.append(number)
        if LATEST >= 4:  # the journal's triggers follow the schema; old images do not
            from . import journal

            journal.install(con)
            journal.clear(con)
        if current > 0:  # a book with records: its derived values follow this version's rules
            from . import workdays
            from .core import derive

            workdays.ensure(con)
            derive.refresh_all(con)
        con.execute(f"PRAGMA user_version = {LATEST}")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return applied


def _statements(script: str) -> list[str]:
    """Split a migration script into whole statements (a trigger's body holds several)."""
    statements, current = [], ""
    for part in script.split(";"):
        current += part + ";"
        if sqlite3.complete_statement(current):
            if current.strip(" \n;"):
                statements.append(current.strip())
            current = ""
    if current.strip(" \n;"):
        statements.append(current.strip())
    return statements
