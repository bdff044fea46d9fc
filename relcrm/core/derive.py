"""Derived values kept on `prospect` and `account` for fast queries, recomputed from the facts.

`followups` and `list` must filter and sort in SQL with indexes, so a few values that could be
derived at read time are stored. They are never edited directly, and no write path has to
remember them: the database notes what each write changed (triggers fill `_dirty` with the
prospects and accounts whose facts moved, or 'all' when a setting or the days off changed),
and `settle()` recomputes exactly those before the write commits (db.write_session calls it).
The same SQL rebuilds everything (`refresh_all`: migrations, doctor); tests check that the
stored values always equal a rebuild.

A prospect's derived values:
  stage, stage_since            the latest stage change
  need, budget, authority       the latest judgement of each (a decider counts as authority yes)
  last_touch_at, continuations  the last contact; continuation calls since the last decisive one
  next_at, next_step, next_set_at
                                the earliest open step involving them: their own steps, their
                                account's steps that name them, or name nobody (the whole
                                account)
  care_on                       the day they need care when nothing is booked for them:
                                  lost: the revisit date (if any);
                                  never contacted: the day they were added (contact them at
                                  once), unless a step involving them is booked;
                                  else last touch + cadence (their own, else the stage's setting
                                  or default), moved to the next working day; the last touch of
                                  a secondary person at an account (not its decider) is the
                                  account's (they ride with the account); none when a step
                                  involving them is booked on or before that day.
                                A snooze holds it back to the snooze date.
  due_on                        their follow-up date: the earlier of next_at and care_on (for
                                a lost relationship, its revisit date)
  value_milli, value_currency  the sum of the open deals they are in: those in the book's
                                currency when they have any, else those of the currency with
                                the largest sum (a deal's money stays in its own currency)
  customer                      1 when they have an order (a call with outcome order, a touch
                                with an amount) or a won deal, or their account is a customer
An account's: kam_stage, kam_since (the latest KAM change), last_touch_at and deciders (its
people who are not lost), customer (a won deal there, or an order by someone there), and for a
key account due_on: last touch + the KAM stage's cadence, moved to the next working day,
unless a step with the account or its people is booked by then.
"""

from __future__ import annotations

import json
import sqlite3

from ..methodology import (CRITERIA, DECIDER, FIRST_STAGE, KAM_STAGES, NON_CONTACT_KINDS,
                           STAGES)

_CONTACT = "kind NOT IN (%s)" % ", ".join(f"'{k}'" for k in sorted(NON_CONTACT_KINDS))


def _cadence(stage_sql: str, stages) -> str:
    """A stage's cadence in days: the book's setting, else relcrm's default."""
    default = "CASE %s %s END" % (stage_sql, " ".join(
        f"WHEN '{s.key}' THEN {s.cadence_days}" for s in stages))
    return (f"coalesce((SELECT CAST(value AS INTEGER) FROM setting "
            f"WHERE key = 'cadence.' || {stage_sql}), {default})")


def _workday(day_sql: str) -> str:
    """A date moved to the next working day when it is a day off (see workdays.py)."""
    return f"coalesce((SELECT next_workday FROM _day_off WHERE day = {day_sql}), {day_sql})"


_LATEST_STAGE = """(SELECT {col} FROM stage_change s WHERE s.prospect_id = prospect.id
                    ORDER BY s.at DESC, s.seq DESC LIMIT 1)"""
_LATEST_LEVEL = """(SELECT q.level FROM qualification q
                    WHERE q.prospect_id = prospect.id AND q.criterion = '{key}'
                    ORDER BY q.at DESC, q.seq DESC LIMIT 1)"""
# A decider in the decision-making unit counts as authority = yes unless judged otherwise.
_DECIDER = ("(SELECT 'yes' FROM prospect_role r WHERE r.prospect_id = prospect.id "
            f"AND r.role = '{DECIDER}')")
_LEVEL_SQL = {c.key: _LATEST_LEVEL.format(key=c.key) for c in CRITERIA}
_LEVEL_SQL["authority"] = f"coalesce({_LEVEL_SQL['authority']}, {_DECIDER})"

# The open steps involving the prospect, each three ways in by an index.
STEPS_OF_PROSPECT = """
    SELECT s.id, s.due_at, s.text, s.created_at FROM step s
    WHERE s.prospect_id = prospect.id AND s.status = 'open'
    UNION ALL
    SELECT s.id, s.due_at, s.text, s.created_at FROM step_person sp JOIN step s ON s.id = sp.step_id
    WHERE sp.prospect_id = prospect.id AND s.status = 'open'
    UNION ALL
    SELECT s.id, s.due_at, s.text, s.created_at FROM step s
    WHERE s.account_id = prospect.account_id AND s.status = 'open'
      AND NOT EXISTS (SELECT 1 FROM step_person sp WHERE sp.step_id = s.id)
"""
_NEXT = f"(SELECT {{col}} FROM ({STEPS_OF_PROSPECT}) ORDER BY due_at, id LIMIT 1)"

FACTS_SQL = f"""
UPDATE prospect SET
    stage = coalesce({_LATEST_STAGE.format(col="to_stage")}, '{FIRST_STAGE.key}'),
    stage_since = coalesce({_LATEST_STAGE.format(col="at")}, created_at),
    {", ".join(f"{key} = {sql}" for key, sql in _LEVEL_SQL.items())},
    last_touch_at = (SELECT max(at) FROM (
        SELECT t.at FROM touch t WHERE t.prospect_id = prospect.id AND t.{_CONTACT}
        UNION ALL
        SELECT t.at FROM touch_person tp JOIN touch t ON t.id = tp.touch_id
        WHERE tp.prospect_id = prospect.id AND t.{_CONTACT})),
    continuations = (  -- continuation calls with no decisive call (order, advance, no-sale) after
        SELECT count(*) FROM touch t
        WHERE t.prospect_id = prospect.id AND t.outcome = 'continuation'
          AND NOT EXISTS (
              SELECT 1 FROM touch t2
              WHERE t2.prospect_id = prospect.id AND t2.outcome IS NOT NULL
                AND t2.outcome <> 'continuation'
                AND (t2.at > t.at OR (t2.at = t.at AND t2.seq > t.seq)))),
    next_at = {_NEXT.format(col="due_at")},
    next_step = {_NEXT.format(col="text")},
    next_set_at = {_NEXT.format(col="created_at")}
WHERE {{where}}
"""

# an order: a call with outcome order, or another touch that brought an amount
ORDER_SQL = "(t.outcome = 'order' OR (t.outcome IS NULL AND t.amount_milli IS NOT NULL))"
_BOOK_CURRENCY = "coalesce((SELECT value FROM setting WHERE key = 'currency'), 'VND')"
# CROSS JOIN keeps SQLite from driving these from the index of open deals (every open deal
# read for each person, some 20 s on a 10,000-person book without ANALYZE statistics)
_OPEN_DEALS = ("FROM deal_person dp CROSS JOIN deal d ON d.id = dp.deal_id "
               "WHERE dp.prospect_id = prospect.id AND d.status = 'open' "
               "AND d.value_milli IS NOT NULL")
VALUE_SQL = [f"""
UPDATE prospect SET value_currency = (SELECT d.currency {_OPEN_DEALS} GROUP BY d.currency
    ORDER BY d.currency = {_BOOK_CURRENCY} DESC, sum(d.value_milli) DESC, d.currency LIMIT 1)
WHERE {{where}}
""", f"""
UPDATE prospect SET value_milli = (SELECT sum(d.value_milli) {_OPEN_DEALS}
                                   AND d.currency = prospect.value_currency)
WHERE {{where}}
"""]
CUSTOMER_SQL = f"""
UPDATE prospect SET customer = (
    EXISTS (SELECT 1 FROM touch t WHERE t.prospect_id = prospect.id AND {ORDER_SQL})
    OR EXISTS (SELECT 1 FROM deal_person dp CROSS JOIN deal d ON d.id = dp.deal_id
               WHERE dp.prospect_id = prospect.id AND d.status = 'won')
    OR coalesce((SELECT a.customer FROM account a WHERE a.id = prospect.account_id), 0))
WHERE {{where}}
"""

# The last touch a person's cadence counts from: their own, or, for someone at an account who
# is not its decider, the account's (anyone there) when it is later.
_BASE = f"""CASE WHEN account_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM prospect_role r WHERE r.prospect_id = prospect.id AND r.role = '{DECIDER}')
    THEN max(last_touch_at, coalesce((SELECT a.last_touch_at FROM account a
                                      WHERE a.id = prospect.account_id), last_touch_at))
    ELSE last_touch_at END"""
_CADENCE_DAY = (f"date(substr({_BASE}, 1, 10), '+' || coalesce(cadence_days, "
                f"{_cadence('stage', STAGES)}) || ' days')")
_REVISIT = """(SELECT s.revisit_on FROM stage_change s WHERE s.prospect_id = prospect.id
               ORDER BY s.at DESC, s.seq DESC LIMIT 1)"""
_CARE = f"""CASE
    WHEN stage = 'lost' THEN {_REVISIT}
    WHEN last_touch_at IS NULL THEN CASE WHEN next_at IS NULL THEN substr(created_at, 1, 10) END
    ELSE {_workday(_CADENCE_DAY)}
END"""
CARE_SQL = f"""
UPDATE prospect SET care_on = CASE
    WHEN stage <> 'lost' AND snoozed_until IS NOT NULL AND ({_CARE}) < snoozed_until
    THEN snoozed_until ELSE {_CARE} END
WHERE {{where}}
"""
# nothing to flag when a step involving them is booked on or before that day
BOOKED_SQL = """
UPDATE prospect SET care_on = NULL
WHERE ({where}) AND stage <> 'lost' AND care_on IS NOT NULL AND next_at IS NOT NULL
  AND substr(next_at, 1, 10) <= care_on
"""
DUE_SQL = """
UPDATE prospect SET due_on = CASE
    WHEN stage = 'lost' OR next_at IS NULL THEN care_on
    WHEN care_on IS NULL THEN substr(next_at, 1, 10)
    ELSE min(substr(next_at, 1, 10), care_on)
END
WHERE {where}
"""

# An account's derived values: its key-account stage (the latest KAM change), the last touch
# with anyone there and how many deciders it has (people not lost), and, for a key account
# still in a relationship, when someone there is next due for a touch by the KAM cadence.
_LATEST_KAM = """(SELECT {col} FROM kam_change k WHERE k.account_id = account.id
                  ORDER BY k.at DESC, k.seq DESC LIMIT 1)"""
# a key account with no KAM history yet (e.g. imported) counts as at the first KAM stage
_KAM_STAGE_SQL = f"coalesce(kam_stage, '{KAM_STAGES[0].key}')"
ACCOUNT_FACTS_SQL = f"""
UPDATE account SET
    kam_stage = {_LATEST_KAM.format(col="to_stage")},
    kam_since = {_LATEST_KAM.format(col="at")},
    last_touch_at = (SELECT max(p.last_touch_at) FROM prospect p
                     WHERE p.account_id = account.id AND p.stage <> 'lost'),
    deciders = (SELECT count(*) FROM prospect p JOIN prospect_role r ON r.prospect_id = p.id
                WHERE p.account_id = account.id AND p.stage <> 'lost'
                  AND r.role = '{DECIDER}'),
    customer = (EXISTS (SELECT 1 FROM deal d WHERE d.account_id = account.id
                        AND d.status = 'won')
                OR EXISTS (SELECT 1 FROM prospect p JOIN touch t ON t.prospect_id = p.id
                           WHERE p.account_id = account.id AND {ORDER_SQL}))
WHERE {{where}}
"""
_KAM_DAY = (f"date(substr(coalesce(last_touch_at, kam_since, created_at), 1, 10), "
            f"'+' || {_cadence(_KAM_STAGE_SQL, KAM_STAGES)} || ' days')")
_ACCOUNT_BOOKED = """(SELECT min(substr(s.due_at, 1, 10)) FROM step s
    WHERE s.status = 'open' AND (s.account_id = account.id OR s.prospect_id IN (
        SELECT p.id FROM prospect p WHERE p.account_id = account.id AND p.stage <> 'lost')))"""
ACCOUNT_DUE_SQL = f"""
UPDATE account SET due_on = CASE
    WHEN is_key = 1 AND {_KAM_STAGE_SQL} IN ({", ".join(f"'{s.key}'" for s in KAM_STAGES)})
         AND coalesce({_ACCOUNT_BOOKED} > {_workday(_KAM_DAY)}, 1)
    THEN {_workday(_KAM_DAY)}
END
WHERE {{where}}
"""

ONE = "id = :id"
MANY = "id IN (SELECT value FROM json_each(:ids))"
ALL = "1 = 1"



def statements(where: str) -> list[str]:
    """The UPDATEs that refresh the prospects selected by `where`, in order (their accounts'
    facts must be current for the care date: see settle)."""
    return [FACTS_SQL.format(where=where), *(sql.format(where=where) for sql in VALUE_SQL),
            CUSTOMER_SQL.format(where=where), CARE_SQL.format(where=where),
            BOOKED_SQL.format(where=where), DUE_SQL.format(where=where)]


def account_statements(where: str) -> list[str]:
    return [ACCOUNT_FACTS_SQL.format(where=where), ACCOUNT_DUE_SQL.format(where=where)]


def refresh_all(con: sqlite3.Connection) -> None:
    """Recompute every prospect's and account's derived values (in the caller's transaction)."""
    _refresh(con, ALL, ALL, {})
    con.execute("DELETE FROM _dirty")


def _refresh_own(con: sqlite3.Connection, people: str, accounts: str, params: dict) -> str:
    """A prospect's own facts and deal values: the first half of _refresh (a team database
    runs it with the seller's rights: pgwrite.settle). Returns the prospects it selected."""
    # the people of a changed account are refreshed whole: an account's step (and its people
    # named in it) moves their next step, and its last touch moves their care date
    everyone = people if people == ALL else (f"({people}) OR account_id IN (SELECT id FROM "
                                             f"account WHERE {accounts})")
    con.execute(FACTS_SQL.format(where=everyone), params)
    for sql in VALUE_SQL:
        con.execute(sql.format(where=everyone), params)
    return everyone


def _refresh(con: sqlite3.Connection, people: str, accounts: str, params: dict) -> None:
    everyone = _refresh_own(con, people, accounts, params)
    con.execute(ACCOUNT_FACTS_SQL.format(where=accounts), params)
    for sql in (CUSTOMER_SQL, CARE_SQL, BOOKED_SQL, DUE_SQL):
        con.execute(sql.format(where=everyone), params)
    con.execute(ACCOUNT_DUE_SQL.format(where=accounts), params)


def settle(con: sqlite3.Connection) -> None:
    """Recompute the derived values of everything the current write changed (`_dirty`), in
    its transaction, and empty `_dirty`. Called by db.write_session before every commit."""
    from ..db import on_team

    if on_team(con):  # a team database
        from .. import pgwrite

        pgwrite.settle(con)
        return
    rows = con.execute("SELECT kind, id FROM _dirty").fetchall()
    if not rows:
        return
    notes = [i for kind, i in rows if kind == "s"]
    if notes:  # the notes a write changed: into the search index (core/search.py)
        from . import search

        search.refresh(con, notes)
        con.execute("DELETE FROM _dirty WHERE kind = 's'")
        rows = [(kind, i) for kind, i in rows if kind != "s"]
        if not rows:
            return
    from .. import workdays

    workdays.ensure(con)  # may mark everything dirty (the days off were (re)built)
    kinds = {kind for kind, _ in con.execute("SELECT kind, id FROM _dirty WHERE kind = 'all'")}
    if kinds:
        refresh_all(con)
        return
    people = sorted({i for kind, i in rows if kind == "p"})
    accounts = {i for kind, i in rows if kind == "a"}
    if people:  # the accounts of the people changed (their old ones are in _dirty already)
        accounts.update(i for (i,) in con.execute(
            "SELECT DISTINCT account_id FROM prospect WHERE account_id IS NOT NULL "
            "AND id IN (SELECT value FROM json_each(:ids))", {"ids": json.dumps(people)}))
    _refresh(con, "id IN (SELECT value FROM json_each(:people))",
             "id IN (SELECT value FROM json_each(:accounts))",
             {"people": json.dumps(people), "accounts": json.dumps(sorted(accounts))})
    con.execute("DELETE FROM _dirty")


SEQ_SQL = """SELECT 1 + max(
    coalesce((SELECT max(seq) FROM touch WHERE prospect_id = :id), 0),
    coalesce((SELECT max(seq) FROM stage_change WHERE prospect_id = :id), 0),
    coalesce((SELECT max(seq) FROM qualification WHERE prospect_id = :id), 0))"""


def next_seq(session, prospect_id: int) -> int:
    """The next number in the order facts about a prospect are recorded.

    Touches, stage changes and judgements made in the same second (a script, or a fixed clock)
    would otherwise have no order between them; the timeline breaks ties with this.
    """
    session.flush()
    return session_con(session).execute(SEQ_SQL, {"id": prospect_id}).fetchone()[0]


def session_con(session) -> sqlite3.Connection:
    """The sqlite3 connection under a session (same transaction); on a team database, the
    pg.Connection that translates what is run on it (pgwrite.write_session)."""
    found = session.info.get("relcrm_con")
    if found is not None:
        session.connection()
        return found
    return session.connection().connection.dbapi_connection


def settle_session(session) -> None:
    """settle() for an ORM session: flush its pending writes, recompute, and reload the
    objects it holds, so that they show the new values (also after the session ends)."""
    from sqlalchemy.exc import InvalidRequestError

    session.flush()
    con = session_con(session)
    if con.execute("SELECT 1 FROM _dirty LIMIT 1").fetchone() is None:
        return
    settle(con)
    for obj in list(session.identity_map.values()):
        try:
            session.refresh(obj)
        except InvalidRequestError:  # deleted by the write: nothing to show
            session.expunge(obj)


def refresh(session, prospect_id: int):
    """Settle the session's changes now and return the prospect, reloaded."""
    from ..models import Prospect

    settle_session(session)
    return session.get(Prospect, prospect_id)


def refresh_account(session, account_id: int):
    """Settle the session's changes now and return the account, reloaded."""
    from ..models import Account

    settle_session(session)
    return session.get(Account, account_id)


KAM_SEQ_SQL = "SELECT 1 + coalesce(max(seq), 0) FROM kam_change WHERE account_id = :id"


# -- checking ------------------------------------------------------------------------------------
DERIVED = {
    "prospect": ("stage", "stage_since", "need", "budget", "authority", "last_touch_at",
                 "continuations", "next_at", "next_step", "next_set_at", "care_on", "due_on",
                 "value_milli", "value_currency", "customer"),
    "account": ("kam_stage", "kam_since", "last_touch_at", "deciders", "due_on", "customer"),
}


def stale(con: sqlite3.Connection) -> dict[str, list[int]]:
    """The records whose stored derived values differ from a rebuild: {table: [ids]}.
    Runs the rebuild in a savepoint and rolls it back, so nothing changes."""
    before = {table: {row[0]: row[1:] for row in con.execute(
        f"SELECT id, {', '.join(cols)} FROM {table}")} for table, cols in DERIVED.items()}
    con.execute("SAVEPOINT derive_check")
    try:
        refresh_all(con)
        after = {table: {row[0]: row[1:] for row in con.execute(
            f"SELECT id, {', '.join(cols)} FROM {table}")} for table, cols in DERIVED.items()}
    finally:
        con.execute("ROLLBACK TO derive_check")
        con.execute("RELEASE derive_check")
    return {table: sorted(i for i, values in after[table].items()
                          if before[table].get(i) != values) for table in DERIVED}
