"""Writes on a team database (PostgreSQL): the same commands and SQLModel sessions as on a
book file, with the database keeping the same promises.

What a book file does with SQLite triggers, a team database does with PL/pgSQL ones, generated
from the very same triggers (the solo schema in memory, pg._solo_schema): the `_dirty` marks
behind the derived values (core/derive.py), the first e-mail and phone of a person's contacts,
the time a note was written. The journal behind `undo` is one generic trigger over
to_jsonb(OLD) and to_jsonb(NEW). So no write command has a second copy for PostgreSQL: a
command's ORM writes go through a psycopg engine, and the SQL it runs itself goes through
pg.translate() as the reads do.

What differs, because several sellers write at once and each sees only their own:
- `_dirty` is one table for everyone: each mark carries its transaction's id, and row-level
  security shows a transaction only its own marks. Marks, the journal and the derived values
  are made only inside a relcrm command (the session sets `relcrm.writing`); a seller writing
  with psql writes facts only.
- The journal is written by the database on the seller's behalf (a SECURITY DEFINER trigger):
  a seller can read their own changes, never write one. `_change` has a seller; `undo` takes
  back the seller's own latest change, with the rights of the journal (relcrm_revert), so that
  an account the seller added can go again although sellers may not delete accounts. It
  refuses, changing nothing, when a colleague has changed since what it would put back, or has
  come to depend on what it would delete (a seller's steps and deals do not cascade with a
  shared account); relcrm_revert journals nothing itself.
- An account's derived values (its last touch, deciders, due date) count every seller's
  people: they are recomputed by relcrm_settle_shared, which runs as the tables' owner, for
  the caller's own people and everyone at the accounts named, and writes derived columns only
  (sellers cannot write those of an account; a cadence it reads is checked by the database).
  A prospect's own values are computed with the seller's rights.
- Each command is one READ COMMITTED transaction; the accounts it recomputes are locked first,
  in id order, so two sellers at one account wait for each other instead of each computing from
  what the other has not committed yet.
- Ids are the database's: `add` and `import` write none (importing._Moved follows the ids
  given), a merge keeps the old id through relcrm_merged, and undo re-inserts with the owner's
  rights. The days off of shared workdays are laid by relcrm_days_off, and `delete --forget`
  erases from the journal through relcrm_forget.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from typing import Any, Iterator

from .errors import DatabaseError
from .i18n import _

WRITING = "relcrm.writing"  # set for the transaction of a relcrm write: triggers then act
CHANGE = "relcrm.change"  # the journal's open change of that transaction

# The commands that change a team database (the command path after `relcrm`). The others say
# they are not available there yet, and change nothing.
COMMANDS = frozenset({
    "add", "edit", "log", "call", "qualify", "snooze", "undo", "stage advance", "stage set",
    "step add", "step done", "step drop", "step move", "role", "kam advance", "kam set",
    "account add", "account step",
    "account edit", "deal add", "deal stage", "deal won", "deal lost", "deal reopen",
    "deal edit", "fact", "date add", "date drop", "account date", "config", "touch edit",
    "touch delete", "call edit", "occasion add", "occasion drop", "merge", "account merge",
    "delete", "account delete", "import", "sync", "sync setup"})
# What machinery() and pg.security() lay, by version: a team database readied by an older
# relcrm says so until `relcrm team init` lays them again (pg.installed). Any change to those
# statements bumps the number; the fingerprint (of the statements) is checked by a test so that
# no change goes without its bump. 1: writes (stop 23); 2: each seller's sync, --seller,
# indexes ordering NULL first as SQLite does.
MACHINERY = (2, "3bb5ede4d3")
# the commands whose own state (their phone sync's: never journaled) stays when they changed
# no record
KEEP_STATE = frozenset({"sync", "sync setup"})
# what a manager changes across the team (every seller's people at an account move with it),
# and takes back (undo reads the rows its change left, whoever's they are)
TEAM_WIDE = frozenset({"account merge", "account delete", "account edit", "undo"})

_TRIGGER = re.compile(
    r"CREATE TRIGGER (\w+)\s+AFTER (INSERT|UPDATE|DELETE)(?: OF ([\w, ]+?))? ON (\w+)\s*"
    r"(?:WHEN (.*?))?\s*BEGIN(.*)END\s*$", re.DOTALL | re.IGNORECASE)


def _pk(con: Any, table: str) -> list[str]:
    info = list(con.execute(f"PRAGMA table_info({table})"))
    return [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]


def _gate(kind: str) -> str:
    if kind == "data":  # a rule of the data: always, except while a book is moved in (COPY)
        return "coalesce(current_setting('relcrm.moving', true), '') <> 'on'"
    return f"current_setting('{WRITING}', true) = 'on'"


def triggers(con: Any) -> list[str]:
    """The solo schema's triggers, as PL/pgSQL functions and triggers."""
    from .pg import translate

    out = []
    for name, sql in con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                 "AND name NOT LIKE 'journal\\_%' ESCAPE '\\' ORDER BY name"):
        found = _TRIGGER.match(sql.strip())
        if found is None:
            raise RuntimeError(f"trigger {name} is not in a form team mode can read")
        _name, op, of, table, when, body = found.groups()
        statements = []
        for statement in (s.strip() for s in body.split(";")):
            if not statement:
                continue
            ignore = re.match(r"INSERT OR IGNORE INTO", statement, re.IGNORECASE)
            if ignore:
                statement = "INSERT INTO" + statement[ignore.end():] + " ON CONFLICT DO NOTHING"
            statement = re.sub(r"INTO _dirty (VALUES|SELECT)", r"INTO _dirty (kind, id) \1",
                               statement)
            statements.append(translate(statement) + ";")
        condition = _gate("marks" if name.startswith(("dirty_", "search_")) else "data")
        if when:
            condition += f" AND ({translate('SELECT ' + when)}) = 1"
        out.append(
            f"CREATE OR REPLACE FUNCTION relcrm_t_{name}() RETURNS trigger LANGUAGE plpgsql "
            f"SET search_path = public, pg_temp AS $f$\nBEGIN\n  IF {condition} THEN\n    "
            + "\n    ".join(statements) + "\n  END IF;\n  RETURN NULL;\nEND $f$")
        columns = f" OF {of.strip()}" if of else ""
        out.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        out.append(f"CREATE TRIGGER {name} AFTER {op.upper()}{columns} ON {table} FOR EACH ROW "
                   f"EXECUTE FUNCTION relcrm_t_{name}()")
    return out


JOURNAL = f"""
-- a row's number in the journal: its id, or for a row keyed otherwise (a tag, a link) a
-- number made from its key (the summary counts rows by it)
CREATE OR REPLACE FUNCTION relcrm_row(k jsonb) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce((k ->> 'id')::bigint, hashtextextended(k::text, 0)) $$;

CREATE OR REPLACE FUNCTION relcrm_journal() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $f$
DECLARE
  change bigint := nullif(current_setting('{CHANGE}', true), '')::bigint;
  o jsonb; n jsonb; k jsonb;
  keys text[] := TG_ARGV[0]::text[];
  derived text[] := TG_ARGV[1]::text[];
BEGIN
  IF change IS NULL OR coalesce(current_setting('{WRITING}', true), '') <> 'on' THEN
    RETURN NULL;
  END IF;
  -- only into a change of the seller's own, open in this transaction
  IF NOT EXISTS (SELECT 1 FROM _change WHERE id = change AND open = 1
                 AND seller = session_user) THEN
    RAISE EXCEPTION 'relcrm: change % is not an open change of %', change, session_user;
  END IF;
  IF TG_OP <> 'INSERT' THEN o := to_jsonb(OLD); END IF;
  IF TG_OP <> 'DELETE' THEN n := to_jsonb(NEW); END IF;
  SELECT jsonb_object_agg(c, coalesce(n, o) -> c) INTO k FROM unnest(keys) c;
  IF TG_OP = 'INSERT' THEN  -- with the row as added: undo checks no one changed it since
    INSERT INTO _journal (change_id, tbl, op, row_id, pk, new)
    VALUES (change, TG_TABLE_NAME, 'insert', relcrm_row(k), k::text, n::text);
  ELSIF TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM _journal WHERE change_id = change
                                     AND tbl = TG_TABLE_NAME AND pk = k::text
                                     AND op = 'insert') THEN
    -- a row this change added: undo deletes it anyway; its image follows what the change
    -- left in it
    UPDATE _journal SET new = n::text WHERE change_id = change AND tbl = TG_TABLE_NAME
      AND pk = k::text AND op = 'insert';
  ELSIF TG_OP = 'UPDATE' THEN
    -- nothing changed but derived values (settle recomputes them after an undo: a
    -- colleague's person at a shared account is not this change's to put back)
    IF NOT EXISTS (SELECT 1 FROM jsonb_each(o) e WHERE e.value IS DISTINCT FROM n -> e.key
                   AND e.key <> ALL(derived)) THEN
      RETURN NULL;
    END IF;
    INSERT INTO _journal (change_id, tbl, op, row_id, pk, old, new)
    VALUES (change, TG_TABLE_NAME, 'update', relcrm_row(k), k::text,
            (SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(o) e
             WHERE e.value IS DISTINCT FROM n -> e.key)::text,
            (SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(n) e
             WHERE e.value IS DISTINCT FROM o -> e.key)::text);
  ELSE
    INSERT INTO _journal (change_id, tbl, op, row_id, pk, old)
    VALUES (change, TG_TABLE_NAME, 'delete', relcrm_row(k), k::text, o::text);
  END IF;
  RETURN NULL;
END $f$;

CREATE OR REPLACE FUNCTION relcrm_where(pk text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT string_agg(format('%I = %L', e.key, e.value #>> '{{}}'), ' AND ')
  FROM jsonb_each(pk::jsonb) e $$;

-- merge: a merged person's old id stays theirs (`show OLDID`); no seller writes an id, so
-- the database writes this one, for two people of the seller's own
CREATE OR REPLACE FUNCTION relcrm_merged(old_id bigint, new_id bigint, old_name text,
                                         stamp text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
BEGIN
  IF (SELECT count(*) FROM prospect p WHERE p.id IN (old_id, new_id)
      AND p.seller = session_user) <> 2 OR old_id = new_id THEN
    RAISE EXCEPTION 'permission denied: % merges only two people of their own', session_user
      USING ERRCODE = '42501';
  END IF;
  INSERT INTO prospect_alias (id, prospect_id, name, merged_at)
  VALUES (old_id, new_id, old_name, stamp);
END $f$;

-- the team's days off, laid again when a seller changes workdays or country (shared
-- settings): the rows come from the holidays library on the seller's machine
CREATE OR REPLACE FUNCTION relcrm_days_off(days text) RETURNS void LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $f$
BEGIN
  -- a day, or a year built; a day off moves to a working day within the next five weeks
  IF EXISTS (SELECT 1 FROM jsonb_array_elements(days::jsonb) r WHERE NOT (
      (r ->> 0 ~ '^[0-9]{{4}}$' AND r ->> 1 = '' AND r ->> 2 = 'built')
      OR (r ->> 0 ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$'
          AND r ->> 1 ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$'
          AND (r ->> 1)::date > (r ->> 0)::date
          AND (r ->> 1)::date <= (r ->> 0)::date + 35))) THEN
    RAISE EXCEPTION 'not days off as relcrm builds them' USING ERRCODE = 'check_violation';
  END IF;
  DELETE FROM _day_off;
  INSERT INTO _day_off (day, next_workday, name)
  SELECT r ->> 0, r ->> 1, r ->> 2 FROM jsonb_array_elements(days::jsonb) r;
END $f$;

-- delete --forget: every trace of the people erased in this (open) change, out of the
-- seller's journal; the changes that held them cannot be undone any more, and their command
-- lines, which may name them, are blanked (core/people.py erase_from_journal on a book file)
CREATE OR REPLACE FUNCTION relcrm_forget(change bigint, people bigint[]) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE
  mine bigint[];
  touches bigint[];
  steps bigint[];
  erased bigint[];
BEGIN
  IF NOT EXISTS (SELECT 1 FROM _change WHERE id = change AND open = 1
                 AND seller = session_user) THEN
    RAISE EXCEPTION 'relcrm: change % is not an open change of %', change, session_user;
  END IF;
  mine := ARRAY(SELECT id FROM _change WHERE seller = session_user);
  -- they, and the people merged into them earlier (an alias's id was a person's)
  people := people || ARRAY(SELECT row_id FROM _journal WHERE change_id = change
                            AND tbl = 'prospect_alias');
  touches := ARRAY(SELECT row_id FROM _journal WHERE change_id = ANY(mine) AND tbl = 'touch'
                   AND (change_id = change OR (coalesce(old, new)::jsonb ->> 'prospect_id')
                                              ::bigint = ANY(people)));
  steps := ARRAY(SELECT row_id FROM _journal WHERE change_id = ANY(mine) AND tbl = 'step'
                 AND (change_id = change OR (coalesce(old, new)::jsonb ->> 'prospect_id')
                                            ::bigint = ANY(people)));
  erased := ARRAY(SELECT j.id FROM _journal j WHERE j.change_id = ANY(mine) AND (
    j.change_id = change
    -- the rows this change removed, wherever else the journal holds them
    OR EXISTS (SELECT 1 FROM _journal e WHERE e.change_id = change AND e.tbl = j.tbl
               AND e.pk = j.pk)
    OR (j.tbl = 'prospect' AND j.row_id = ANY(people))
    OR (coalesce(j.old, j.new)::jsonb ->> 'prospect_id')::bigint = ANY(people)
    OR (j.tbl = 'call_note' AND (coalesce(j.old, j.new)::jsonb ->> 'touch_id')::bigint
                                = ANY(touches))
    OR (j.tbl = 'step_change' AND (coalesce(j.old, j.new)::jsonb ->> 'step_id')::bigint
                                  = ANY(steps))));
  UPDATE _change SET command = '(a command about an erased person)',
    note = 'it was about an erased person'
  WHERE id IN (SELECT change_id FROM _journal WHERE id = ANY(erased)) OR id = change;
  DELETE FROM _journal WHERE id = ANY(erased);
  RETURN cardinality(erased);
END $f$;

-- an account renamed: its people's company follows, so a seller renames one where only
-- their own people are (a manager, seeing everyone's, renames any)
CREATE OR REPLACE FUNCTION relcrm_alone_at(account bigint) RETURNS void LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $f$
BEGIN
  IF current_setting('relcrm.team', true) = 'on'
     AND pg_has_role(session_user, (SELECT manager_group FROM _team), 'MEMBER') THEN
    RETURN;
  END IF;
  IF EXISTS (SELECT 1 FROM prospect p WHERE p.account_id = account
             AND p.seller <> session_user) THEN
    RAISE EXCEPTION 'colleagues'' people are at account %: a manager renames it', account
      USING ERRCODE = '42501';
  END IF;
END $f$;

"""


def _revert() -> str:
    """relcrm_revert(change): undo, with the journal's rights, of the seller's own change. It
    checks what `relcrm undo` checks (pgwrite.undo says why in the seller's language), so that
    calling it with psql can do no more: every row the change left is as it left it (but for
    derived values and updated_at), no row of a colleague's is put back or removed, and a
    shared row the change added goes only when nothing a colleague wrote refers to it."""
    import json as _json

    from .core.derive import DERIVED
    from .pg import OWNED

    skip = _json.dumps({t: [*cols, "updated_at"] for t, cols in DERIVED.items()})
    owned = ", ".join(f"'{t}'" for t in (*OWNED, "seller_setting"))
    return f"""
CREATE OR REPLACE FUNCTION relcrm_revert(change bigint) RETURNS void LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp SET "{CHANGE}" = '' AS $f$
DECLARE
  e record; cols text; k text; want jsonb; cur jsonb; tbl text; pk text;
  expect jsonb := '{{}}';
  skip jsonb := '{skip}';
  -- a manager's change may have changed everyone's (an account merged): theirs to undo
  manager boolean := pg_has_role(session_user, (SELECT manager_group FROM _team), 'MEMBER');
BEGIN
  IF NOT EXISTS (SELECT 1 FROM _change WHERE id = change AND open = 0
                 AND undone_at IS NULL AND seller = session_user) THEN
    RAISE EXCEPTION 'relcrm: change % is not a change of % to undo', change, session_user;
  END IF;
  -- what the change left: each row gone (null), or the values it wrote last
  FOR e IN SELECT * FROM _journal WHERE change_id = change ORDER BY id LOOP
    k := e.tbl || ' ' || e.pk;
    IF e.op = 'delete' THEN
      expect := expect || jsonb_build_object(k, 'null'::jsonb);
      IF e.tbl IN ({owned}) AND e.old::jsonb ->> 'seller' <> session_user AND NOT manager THEN
        RAISE EXCEPTION 'relcrm: % is a colleague''s', k USING ERRCODE = 'insufficient_privilege';
      END IF;
    ELSIF e.op = 'insert' THEN
      expect := expect || jsonb_build_object(k, coalesce(e.new::jsonb, '{{}}'::jsonb));
    ELSE
      expect := expect || jsonb_build_object(k, coalesce(nullif(expect -> k, 'null'::jsonb),
                                                         '{{}}'::jsonb) || e.new::jsonb);
    END IF;
  END LOOP;
  FOR k, want IN SELECT key, value FROM jsonb_each(expect) LOOP
    tbl := split_part(k, ' ', 1);
    pk := substr(k, length(tbl) + 2);
    EXECUTE format('SELECT to_jsonb(t) FROM %I t WHERE %s', tbl, relcrm_where(pk)) INTO cur;
    IF (cur IS NULL) <> (want = 'null'::jsonb) OR (cur IS NOT NULL AND EXISTS (
        SELECT 1 FROM jsonb_each(want) w WHERE cur -> w.key IS DISTINCT FROM w.value
        AND NOT coalesce(skip -> tbl, '[]'::jsonb) ? w.key)) THEN
      RAISE EXCEPTION 'relcrm: % was changed since', k USING ERRCODE = 'serialization_failure';
    END IF;
    IF cur IS NOT NULL AND tbl IN ({owned}) AND cur ->> 'seller' <> session_user
       AND NOT manager THEN
      RAISE EXCEPTION 'relcrm: % is a colleague''s', k USING ERRCODE = 'insufficient_privilege';
    END IF;
  END LOOP;
  SET CONSTRAINTS ALL DEFERRED;
  FOR e IN SELECT * FROM _journal WHERE change_id = change ORDER BY id DESC LOOP
    IF e.op = 'insert' AND e.tbl = 'important_date' AND EXISTS (
        SELECT 1 FROM touch t WHERE t.occasion_id = e.row_id AND t.seller <> session_user) THEN
      RAISE EXCEPTION 'a colleague''s touch greets important date %', e.row_id
        USING ERRCODE = 'foreign_key_violation';
    END IF;
    -- an account it added keeps what others hung on it since (its dates, KAM history,
    -- criteria): it stays
    IF e.op = 'insert' AND e.tbl = 'account' AND (
        EXISTS (SELECT 1 FROM important_date d WHERE d.account_id = e.row_id AND NOT EXISTS (
                  SELECT 1 FROM _journal j WHERE j.change_id = change AND j.op = 'insert'
                  AND j.tbl = 'important_date' AND j.row_id = d.id))
        OR EXISTS (SELECT 1 FROM kam_change c WHERE c.account_id = e.row_id AND NOT EXISTS (
                  SELECT 1 FROM _journal j WHERE j.change_id = change AND j.op = 'insert'
                  AND j.tbl = 'kam_change' AND j.row_id = c.id))
        OR EXISTS (SELECT 1 FROM account_criterion c WHERE c.account_id = e.row_id
                   AND NOT EXISTS (SELECT 1 FROM _journal j WHERE j.change_id = change
                   AND j.op = 'insert' AND j.tbl = 'account_criterion' AND j.pk =
                   jsonb_build_object('account_id', c.account_id, 'criterion',
                                      c.criterion)::text))) THEN
      RAISE EXCEPTION 'others refer to account %', e.row_id
        USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF e.op = 'insert' THEN
      EXECUTE format('DELETE FROM %I WHERE %s', e.tbl, relcrm_where(e.pk));
    ELSIF e.op = 'update' THEN
      SELECT string_agg(format('%I', c), ', ') INTO cols FROM jsonb_object_keys(e.old::jsonb) c;
      IF cols IS NOT NULL THEN
        EXECUTE format('UPDATE %I SET (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%I, '
                       '$1)) WHERE %s', e.tbl, cols, cols, e.tbl, relcrm_where(e.pk))
          USING e.old::jsonb;
      END IF;
    ELSE
      EXECUTE format('INSERT INTO %I SELECT * FROM jsonb_populate_record(NULL::%I, $1)',
                     e.tbl, e.tbl) USING e.old::jsonb;
    END IF;
  END LOOP;
  SET CONSTRAINTS ALL IMMEDIATE;  -- a row still referred to says so here, not at commit
  DELETE FROM _journal WHERE change_id = change;
END $f$"""


def _settle_shared() -> str:
    """relcrm_settle_shared(people, accounts): what a write changed that spans sellers, with
    the owner's rights: the accounts' derived values (all their people counted) and the care
    and due dates of everyone at them (which follow the account's last touch). Writes derived
    columns only. NULL arguments: everything (a setting or the days off changed).

    No deadlock between two sellers: the accounts are locked first, in id order, and not
    against the key-share locks a row referring to them takes (NO KEY UPDATE: two sellers
    adding people at one account both hold those); a person another transaction holds is
    skipped (SKIP LOCKED), since that transaction changed them and settles their account after
    this one commits, reading what it wrote."""
    from .core import derive
    from .pg import translate

    locked = "id IN (SELECT value FROM json_each(:locked))"
    accounts = "id IN (SELECT value FROM json_each(:accounts))"

    def body(where: str) -> str:
        out = [sql.format(where=locked) for sql in derive.VALUE_SQL] if where == derive.ALL \
            else []  # (the currency is a setting: everyone's deal values follow it)
        out.append(derive.ACCOUNT_FACTS_SQL.format(where=where))
        out += [sql.format(where=locked) for sql in (derive.CUSTOMER_SQL, derive.CARE_SQL,
                                                     derive.BOOKED_SQL, derive.DUE_SQL)]
        out.append(derive.ACCOUNT_DUE_SQL.format(where=where))
        return "\n    ".join(translate(s).replace("RELCRM_IDS(%(locked)s)", "locked")
                             .replace("%(accounts)s", "accounts") + ";" for s in out)

    return f"""
CREATE OR REPLACE FUNCTION relcrm_settle_shared(people text, accounts text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE
  locked bigint[];
BEGIN
  IF people IS NULL THEN
    PERFORM 1 FROM account ORDER BY id FOR NO KEY UPDATE;
    locked := ARRAY(SELECT id FROM prospect ORDER BY id FOR NO KEY UPDATE SKIP LOCKED);
    {body(derive.ALL)}
  ELSE
    -- each statement here reads afresh: once a second writer at the same account has its
    -- lock, it counts what the first committed
    PERFORM 1 FROM account WHERE id = ANY(relcrm_ids(accounts)) ORDER BY id
      FOR NO KEY UPDATE;
    -- the caller's own people (nobody asks for a colleague's) and everyone at the accounts
    locked := ARRAY(SELECT id FROM prospect WHERE (id = ANY(relcrm_ids(people))
                                                   AND seller = session_user)
                    OR account_id = ANY(relcrm_ids(accounts)) ORDER BY id
                    FOR NO KEY UPDATE SKIP LOCKED);
    {body(accounts)}
  END IF;
END $f$"""


def machinery(database: str) -> list[str]:
    """What a team database needs for writes (idempotent: run again by every team init)."""
    from .pg import _solo_schema, groups_for
    from .registry import TABLES

    from .core.derive import DERIVED

    con = _solo_schema()
    seller, manager = groups_for(database)
    both = f"{seller}, {manager}"
    mine = "seller = current_user"
    out = [
        'CREATE UNLOGGED TABLE IF NOT EXISTS _dirty (txn BIGINT NOT NULL DEFAULT '
        'txid_current(), kind TEXT COLLATE "C" NOT NULL, id BIGINT NOT NULL, '
        'PRIMARY KEY (txn, kind, id))',
        'CREATE TABLE IF NOT EXISTS _change (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY '
        'KEY, at TEXT COLLATE "C" NOT NULL, command TEXT COLLATE "C" NOT NULL, summary TEXT '
        'COLLATE "C", open BIGINT NOT NULL DEFAULT 0, undone_at TEXT COLLATE "C", note TEXT '
        'COLLATE "C", seller TEXT COLLATE "C" NOT NULL DEFAULT current_user REFERENCES '
        'seller (name))',
        "CREATE INDEX IF NOT EXISTS ix_change_seller ON _change (seller, id)",
        'CREATE TABLE IF NOT EXISTS _journal (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY '
        'KEY, change_id BIGINT NOT NULL REFERENCES _change (id) ON DELETE CASCADE, tbl TEXT '
        'COLLATE "C" NOT NULL, op TEXT COLLATE "C" NOT NULL, row_id BIGINT NOT NULL, pk TEXT '
        'COLLATE "C" NOT NULL, old TEXT, new TEXT)',
        "CREATE INDEX IF NOT EXISTS ix_journal_row ON _journal (change_id, tbl, pk)",
        # undo puts rows back in the reverse order they went, a child before its parent: the
        # foreign keys are checked at commit then (SET CONSTRAINTS in relcrm_revert)
        "DO $$ DECLARE r record; BEGIN FOR r IN SELECT conrelid::regclass AS t, conname FROM "
        "pg_constraint WHERE contype = 'f' AND NOT condeferrable AND connamespace = "
        "'public'::regnamespace LOOP EXECUTE format('ALTER TABLE %s ALTER CONSTRAINT %I "
        "DEFERRABLE INITIALLY IMMEDIATE', r.t, r.conname); END LOOP; END $$",
        # a step's calendar uid is unique among its seller's (an import of a colleague's
        # export would fail on theirs, and tell that they have it)
        "DROP INDEX IF EXISTS ix_step_uid",
        "CREATE UNIQUE INDEX ix_step_uid ON step (seller, uid)",
        # a seller's step or deal at a shared account never goes with it (an undo of the
        # account a colleague added, a manager's delete): the account stays while they do
        "DO $$ DECLARE r record; BEGIN FOR r IN SELECT conrelid::regclass AS t, conname, "
        "pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE contype = 'f' AND "
        "confdeltype = 'c' AND confrelid = 'account'::regclass AND conrelid IN "
        "('step'::regclass, 'deal'::regclass) LOOP EXECUTE format('ALTER TABLE %s DROP "
        "CONSTRAINT %I, ADD CONSTRAINT %I %s', r.t, r.conname, r.conname, "
        "replace(r.def, ' ON DELETE CASCADE', '')); END LOOP; END $$",
        JOURNAL, _revert(), _settle_shared(),
        "REVOKE ALL ON FUNCTION relcrm_journal(), relcrm_revert(bigint), "
        "relcrm_settle_shared(text, text), relcrm_merged(bigint, bigint, text, text), "
        "relcrm_days_off(text), relcrm_forget(bigint, bigint[]), relcrm_alone_at(bigint) "
        "FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION relcrm_revert(bigint), relcrm_settle_shared(text, text), "
        f"relcrm_merged(bigint, bigint, text, text), relcrm_days_off(text), "
        f"relcrm_forget(bigint, bigint[]), relcrm_alone_at(bigint) TO {both}",
        f"GRANT SELECT, INSERT, DELETE ON _dirty TO {both}",
        "ALTER TABLE _dirty ENABLE ROW LEVEL SECURITY",
        "DROP POLICY IF EXISTS own ON _dirty",
        f"CREATE POLICY own ON _dirty TO {both} USING (txn = txid_current()) "
        f"WITH CHECK (txn = txid_current())",
        # a seller opens, closes and forgets changes of their own; the journal is the
        # database's to write (relcrm_journal), the seller's to read
        f"GRANT SELECT, INSERT (at, command, open), UPDATE (summary, open, undone_at), DELETE "
        f"ON _change TO {both}",
        f"GRANT SELECT ON _journal TO {both}",
        "ALTER TABLE _change ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE _journal ENABLE ROW LEVEL SECURITY",
        "DROP POLICY IF EXISTS own ON _change",
        "DROP POLICY IF EXISTS own ON _journal",
        f"CREATE POLICY own ON _change TO {both} USING ({mine}) WITH CHECK ({mine})",
        f"CREATE POLICY own ON _journal TO {both} USING (EXISTS (SELECT 1 FROM _change c "
        f"WHERE c.id = change_id))",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {both}",
        # an account's derived values count every seller's people: only relcrm_settle_shared
        # writes them (a seller setting one would move a colleague's follow-up dates)
        "REVOKE UPDATE (" + ", ".join(DERIVED["account"]) + f") ON account FROM {both}",
        # a shared setting back to its default (config KEY --reset) is a delete
        f"GRANT DELETE ON setting TO {both}",
        # what the owner's computations read is what relcrm accepts: the times they count
        # from are times (a seller's psql could write anything into their own rows' text),
        "CREATE OR REPLACE FUNCTION relcrm_is_time(t text) RETURNS boolean LANGUAGE plpgsql "
        "IMMUTABLE AS $$ BEGIN RETURN t IS NULL OR (t ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}' AND "
        "t::timestamp IS NOT NULL); EXCEPTION WHEN others THEN RETURN false; END $$",
        *(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {table}_times, ADD CONSTRAINT "
          f"{table}_times CHECK (" + " AND ".join(f"relcrm_is_time({c})" for c in columns)
          + ") NOT VALID"
          for table, columns in (("prospect", ("created_at", "last_touch_at")),
                                 ("touch", ("at",)), ("kam_change", ("at",)),
                                 ("account", ("created_at",)))),
        # and a cadence is 1-365 days
        "ALTER TABLE setting DROP CONSTRAINT IF EXISTS setting_cadence",
        "ALTER TABLE setting ADD CONSTRAINT setting_cadence CHECK (CASE WHEN key LIKE "
        "'cadence.%' THEN CASE WHEN value ~ '^[0-9]{1,3}$' THEN value::int BETWEEN 1 AND 365 "
        "ELSE false END ELSE true END) NOT VALID",
    ]
    out += personal(both)
    from .pgsearch import statements

    out += statements(seller, manager)
    out += triggers(con)
    out.append(f"COMMENT ON TABLE _team IS 'relcrm machinery {MACHINERY[0]}'")
    for table in (*TABLES, "seller_setting"):
        keys = "{" + ",".join(_pk(con, table) if table in TABLES else PERSONAL[table]) + "}"
        derived = "{" + ",".join(DERIVED.get(table, ())) + "}"
        # named to fire before the foreign keys' cascades ("RI_..."): a deleted person is
        # journaled before the rows that go with them, as on a book file
        out.append(f'DROP TRIGGER IF EXISTS "Journal_{table}" ON {table}')
        out.append(f'CREATE TRIGGER "Journal_{table}" AFTER INSERT OR UPDATE OR DELETE ON '
                   f"{table} FOR EACH ROW EXECUTE FUNCTION relcrm_journal('{keys}', "
                   f"'{derived}')")
    return out


# Each seller's own: the settings that are theirs alone (phone sync: settings.PERSONAL) and
# the state of their phone sync (core/sync.py), by their keys. Only the seller sees and writes
# their rows (a manager too: a colleague's sync is not the team's); the settings are journaled
# (undo takes a change of them back), the sync state is machinery, as in a book file.
PERSONAL = {"seller_setting": ("seller", "key"), "_sync_item": ("seller", "uid"),
            "_sync_state": ("seller", "key")}


def personal(both: str) -> list[str]:
    """The tables of each seller's own settings and phone-sync state, and their security."""
    text = 'TEXT COLLATE "C"'
    columns = {
        "seller_setting": [f"key {text} NOT NULL", f"value {text} NOT NULL"],
        "_sync_item": [f"uid {text} NOT NULL", f"collection {text} NOT NULL",
                       f"kind {text} NOT NULL", "ref_id BIGINT NOT NULL", f"href {text}",
                       f"etag {text}", f"digest {text}", f"sent {text} NOT NULL DEFAULT '{{}}'"],
        "_sync_state": [f"key {text} NOT NULL", f"value {text} NOT NULL"]}
    out = []
    for table, keys in PERSONAL.items():
        names = ", ".join(c.split()[0] for c in columns[table])
        out += [f"CREATE TABLE IF NOT EXISTS {table} (seller {text} NOT NULL DEFAULT "
                f"current_user REFERENCES seller (name), " + ", ".join(columns[table])
                + f", PRIMARY KEY ({', '.join(keys)}))",
                # the seller is who writes: never chosen
                f"GRANT SELECT, INSERT ({names}), UPDATE ({names}), DELETE ON {table} TO {both}",
                f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
                f"DROP POLICY IF EXISTS own ON {table}",
                f"CREATE POLICY own ON {table} TO {both} USING (seller = current_user) "
                f"WITH CHECK (seller = current_user)"]
    # a seller's own settings are those settings.personal() names: no other overrides the team's
    out += ["ALTER TABLE seller_setting DROP CONSTRAINT IF EXISTS seller_setting_personal",
            "ALTER TABLE seller_setting ADD CONSTRAINT seller_setting_personal CHECK "
            "(key LIKE 'sync.%')"]
    return out


def fingerprint() -> str:
    """What machinery(), pg.security() and the indexes lay, in ten hex digits (MACHINERY's
    second half)."""
    import hashlib

    from .pg import _columns_of, _indexes, _solo_schema, security, tables

    con = _solo_schema()
    statements = machinery("relcrm") + security(
        "relcrm", {t: _columns_of(con, t) for t in tables()}) + list(
        _indexes(con, tables()).values())
    return hashlib.sha1("\n".join(statements).encode()).hexdigest()[:10]


# --------------------------------------------------------------------------- the session

def command_path() -> str:
    """The command being run, after `relcrm` ('step add')."""
    from typer._click.globals import get_current_context

    ctx = get_current_context(silent=True)
    if ctx is None:
        return ""
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


@contextmanager
def write_session(url: str, *, journal: bool = True) -> Iterator[Any]:
    """db.write_session on a team database: a SQLModel session on a psycopg engine, one
    READ COMMITTED transaction, journaled, derived values settled before commit. A command
    that changed nothing the seller typed is rolled back whole."""
    from . import pg

    name = command_path()
    if name not in COMMANDS:
        raise pg.not_yet()
    import psycopg
    from sqlalchemy.pool import StaticPool
    from sqlmodel import Session, create_engine

    raw = pg.raw_connect(url)
    try:
        pg._current(raw, url)
        pg.require_installed(raw, url)
        if not raw.execute("SELECT 1 FROM seller WHERE name = current_user").fetchone():
            # each change is a team member's (the journal, the seller of what it adds)
            raise DatabaseError(_("{name} is not in the team: relcrm's commands change the "
                                  "team database as one of its sellers or managers (relcrm "
                                  "team add-seller NAME)").format(name=raw.info.user))
    except psycopg.Error as exc:
        raw.close()
        raise DatabaseError(pg.describe(exc, url)) from None
    except BaseException:
        raw.close()
        raise
    raw.autocommit = False
    # a truth value is stored as the integer a book file holds (the team schema's columns are
    # BIGINT, as pg._column makes them): the ORM's True goes in as 1
    from psycopg.types.numeric import Int8Dumper

    raw.adapters.register_dumper(bool, Int8Dumper)
    con = pg.Connection(raw, url)
    _wide_integers()
    engine = create_engine("postgresql+psycopg://", creator=lambda: raw, poolclass=StaticPool)
    try:
        with Session(engine, expire_on_commit=False) as session:
            session.info["relcrm_con"] = con
            session.begin()
            session.connection()
            raw.execute(f"SELECT set_config('{WRITING}', 'on', true)")
            if name in TEAM_WIDE:  # a manager's policy then shows every seller's rows
                raw.execute(f"SELECT set_config('{pg.TEAM_SETTING}', 'on', true)")
            elif name in KEEP_STATE:  # a phone is its seller's own: a manager's too, even
                # when their connection asks for the team's (options=-c relcrm.team=on)
                raw.execute(f"SELECT set_config('{pg.TEAM_SETTING}', 'off', true)")
            change = begin(con) if journal else None
            try:
                yield session
                from .core.derive import settle_session

                settle_session(session)
                if change is not None and not end(con, change):
                    if name not in KEEP_STATE:
                        session.rollback()  # nothing the seller typed changed: as it was
                        return
                    # a sync that took nothing from the phone: no change left behind, and
                    # what it learnt of the server (its tokens, ETags) kept, as on a book file
                    con.raw.execute("DELETE FROM _change WHERE id = %s", (change,))
                session.commit()
            except psycopg.Error as exc:
                session.rollback()
                raise DatabaseError(pg.describe(exc, url)) from None
            except BaseException as exc:
                session.rollback()
                from sqlalchemy.exc import DBAPIError

                if isinstance(exc, DBAPIError) and isinstance(exc.orig, psycopg.Error):
                    raise DatabaseError(pg.describe(exc.orig, url)) from None
                raise
    finally:
        engine.dispose()
        raw.close()


_widened: list[bool] = []


def _wide_integers() -> None:
    """Every integer the ORM sends to PostgreSQL is a BIGINT, as every integer column of a
    team database is (a deal's value in thousandths passes 2^31 at 2.2 million)."""
    if _widened:
        return
    from sqlalchemy import Boolean, Integer
    from sqlalchemy.ext.compiler import compiles

    @compiles(Integer, "postgresql")
    @compiles(Boolean, "postgresql")  # a truth value is a BIGINT 0 or 1 there too
    def _bigint(type_: Any, compiler: Any, **kw: Any) -> str:
        return "BIGINT"

    _widened.append(True)


def begin(con: Any) -> int:
    """Open a change of the seller's for this transaction; their changes beyond undo.keep are
    forgotten."""
    from . import dates, db
    from .journal import keep

    limit = max(keep(con), 100)  # undo.keep is shared: no seller shortens another's
    con.raw.execute("DELETE FROM _change WHERE id IN (SELECT id FROM _change WHERE seller = "
                    "current_user ORDER BY id DESC OFFSET %s)", (max(limit - 1, 0),))
    change = con.raw.execute("INSERT INTO _change (at, command, open) VALUES (%s, %s, 1) "
                             "RETURNING id", (dates.iso(dates.now()), db.command)).fetchone()[0]
    con.raw.execute(f"SELECT set_config('{CHANGE}', %s, true)", (str(change),))
    return change


def end(con: Any, change: int) -> bool:
    """Close the change with its summary; False when nothing the seller typed changed (the
    caller rolls the transaction back)."""
    from .journal import summary

    text = summary(con, change)
    if text is None:
        if con.raw.execute("SELECT note FROM _change WHERE id = %s", (change,)).fetchone()[0]:
            # an erasure took its own entries: it stays done, and leaves no change behind
            con.raw.execute("DELETE FROM _change WHERE id = %s", (change,))
            return True
        return False
    con.raw.execute("UPDATE _change SET open = 0, summary = %s WHERE id = %s", (text, change))
    return True


def settle(con: Any) -> None:
    """derive.settle on a team database: the seller's own people with the seller's rights,
    then what spans sellers with the owner's (relcrm_settle_shared)."""
    from .core import derive

    rows = con.execute("SELECT kind, id FROM _dirty").fetchall()
    if not rows:
        return
    from . import workdays

    if workdays.ensure(con):  # a new year: the team's days off go on (everything is marked)
        rows = con.execute("SELECT kind, id FROM _dirty").fetchall()
    con.execute("DELETE FROM _dirty")
    notes = [i for kind, i in rows if kind == "s"]
    if notes:  # the notes a write changed: into the search index (pgsearch)
        from . import pgsearch

        pgsearch.refresh(con, notes)
        rows = [(kind, i) for kind, i in rows if kind != "s"]
        if not rows:
            return
    if any(kind == "all" for kind, _i in rows):
        derive._refresh_own(con, derive.ALL, derive.ALL, {})
        con.raw.execute("SELECT relcrm_settle_shared(NULL, NULL)")
        return
    people = sorted({i for kind, i in rows if kind == "p"})
    accounts = {i for kind, i in rows if kind == "a"}
    if people:
        accounts.update(i for (i,) in con.execute(
            "SELECT DISTINCT account_id FROM prospect WHERE account_id IS NOT NULL "
            "AND id IN (SELECT value FROM json_each(:ids))", {"ids": json.dumps(people)}))
    params = {"people": json.dumps(people), "accounts": json.dumps(sorted(accounts))}
    derive._refresh_own(con, "id IN (SELECT value FROM json_each(:people))",
                        "id IN (SELECT value FROM json_each(:accounts))", params)
    con.raw.execute("SELECT relcrm_settle_shared(%(people)s, %(accounts)s)", params)


def _where(pk: str) -> tuple[str, list[Any]]:
    keys = json.loads(pk)
    return " AND ".join(f"{k} = %s" for k in keys), list(keys.values())


def undo(con: Any, change: Any) -> Any:
    """journal.undo on a team database, for the change it picked (the seller's own latest):
    checked as on a book file (every row it left still as it left it), then put back by
    relcrm_revert."""
    from . import dates
    from .errors import UsageError
    from .i18n import dynamic
    from .registry import BY_TABLE

    entries = con.raw.execute("SELECT tbl, op, pk, old, new FROM _journal WHERE change_id = %s "
                              "ORDER BY id", (change.id,)).fetchall()
    from .core.derive import DERIVED

    def facts(table: str, image: str | None) -> dict:  # what a colleague's write would change
        skip = {*DERIVED.get(table, ()), "updated_at"}
        return {k: v for k, v in json.loads(image or "{}").items() if k not in skip}

    # what the change left: each row there or not, and the values it wrote last (a row it
    # added, whole: a colleague may have changed a shared row since)
    left: dict[tuple[str, str], dict | None] = {}
    for table, op, pk, _old, new in entries:
        key = (table, pk)
        if op == "delete":
            left[key] = None
        elif op == "insert":
            left[key] = facts(table, new)
        else:
            left[key] = {**(left.get(key) or {}), **facts(table, new)}
    for (table, pk), wrote in left.items():
        where, values = _where(pk)
        found = con.raw.execute(f"SELECT to_jsonb(t) FROM {table} t WHERE {where}",
                                values).fetchone()
        current = found[0] if found else None
        if (current is None) != (wrote is None) or any(
                current.get(c) != v for c, v in (wrote or {}).items()):
            entity = BY_TABLE[table if table in BY_TABLE else "setting"]  # seller_setting
            raise UsageError(_("cannot undo change #{id} ({command}): {record} #{row} was "
                               "changed since by a colleague, or outside relcrm; nothing was "
                               "undone").format(
                id=change.id, command=change.command, record=dynamic(entity.one),
                row=json.loads(pk).get("id", "?")))
    import psycopg

    try:
        with con.raw.transaction():  # a savepoint: a refusal leaves the session usable
            con.raw.execute("SELECT relcrm_revert(%s)", (change.id,))
            if any(table == "setting" for table, *_rest in entries):
                from . import workdays

                workdays.rebuild(con)  # the days off follow workdays and country back
    except psycopg.errors.ForeignKeyViolation:
        raise UsageError(_("cannot undo change #{id} ({command}): a colleague's records refer "
                           "to what it added since; nothing was undone").format(
            id=change.id, command=change.command)) from None
    except psycopg.errors.InsufficientPrivilege:  # a record handed to a colleague since
        raise UsageError(_("cannot undo change #{id} ({command}): a record it changed is a "
                           "colleague's now; nothing was undone").format(
            id=change.id, command=change.command)) from None
    change.undone_at = dates.iso(dates.now())
    con.raw.execute("UPDATE _change SET undone_at = %s WHERE id = %s",
                    (change.undone_at, change.id))
    return change
