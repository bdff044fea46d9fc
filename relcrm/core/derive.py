"""Derived values kept on `prospect` for fast queries, recomputed from the facts.

`followups` and `list` must filter and sort in SQL with indexes, so a few values that could be
derived at read time are stored: the current stage and since when, the current need/budget/
authority levels, the last contact, the run of continuation calls, and the follow-up date
(`due_on`). They are facts' consequences, never edited directly: every write that adds a fact
calls `refresh()` for the prospects it touched, in the same transaction. The same SQL rebuilds
them in bulk (bench data, imports), and tests check that the stored values equal a rebuild.

The follow-up date, in order of precedence:
  1. a scheduled next step (`next_at`): its date;
  2. never contacted: the day the prospect was added (domain.md §2: contact them at once);
  3. otherwise: last contact + the stage's cadence.
Lost relationships have none.
"""

from __future__ import annotations

from ..methodology import CRITERIA, DECIDER, FIRST_STAGE, KAM_STAGES, NON_CONTACT_KINDS, STAGES

_CONTACT = "kind NOT IN (%s)" % ", ".join(f"'{k}'" for k in sorted(NON_CONTACT_KINDS))
CADENCE_SQL = "CASE stage %s END" % " ".join(
    f"WHEN '{s.key}' THEN {s.cadence_days}" for s in STAGES)

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

FACTS_SQL = f"""
UPDATE prospect SET
    stage = coalesce({_LATEST_STAGE.format(col="to_stage")}, '{FIRST_STAGE.key}'),
    stage_since = coalesce({_LATEST_STAGE.format(col="at")}, created_at),
    {", ".join(f"{key} = {sql}" for key, sql in _LEVEL_SQL.items())},
    last_touch_at = (SELECT max(t.at) FROM touch t
                     WHERE t.prospect_id = prospect.id AND t.{_CONTACT}),
    continuations = (  -- continuation calls with no decisive call (order, advance, no-sale) after
        SELECT count(*) FROM touch t
        WHERE t.prospect_id = prospect.id AND t.outcome = 'continuation'
          AND NOT EXISTS (
              SELECT 1 FROM touch t2
              WHERE t2.prospect_id = prospect.id AND t2.outcome IS NOT NULL
                AND t2.outcome <> 'continuation'
                AND (t2.at > t.at OR (t2.at = t.at AND t2.seq > t.seq))))
WHERE {{where}}
"""

DUE_SQL = f"""
UPDATE prospect SET due_on = CASE
    WHEN stage = 'lost' THEN NULL
    WHEN next_at IS NOT NULL THEN substr(next_at, 1, 10)
    WHEN last_touch_at IS NULL THEN substr(created_at, 1, 10)
    ELSE date(last_touch_at, '+' || {CADENCE_SQL} || ' days')
END
WHERE {{where}}
"""

ONE = "id = :id"
MANY = "id IN (SELECT value FROM json_each(:ids))"
ALL = "1 = 1"


def statements(where: str) -> list[str]:
    """The two UPDATEs that refresh the prospects selected by `where`, in order."""
    return [FACTS_SQL.format(where=where), DUE_SQL.format(where=where)]


SEQ_SQL = """SELECT 1 + max(
    coalesce((SELECT max(seq) FROM touch WHERE prospect_id = :id), 0),
    coalesce((SELECT max(seq) FROM stage_change WHERE prospect_id = :id), 0),
    coalesce((SELECT max(seq) FROM qualification WHERE prospect_id = :id), 0))"""


def next_seq(session, prospect_id: int) -> int:
    """The next number in the order facts about a prospect are recorded.

    Touches, stage changes and judgements made in the same second (a script, or a fixed clock)
    would otherwise have no order between them; the timeline breaks ties with this.
    """
    from sqlalchemy import text

    session.flush()
    return session.execute(text(SEQ_SQL), {"id": prospect_id}).scalar_one()


def refresh(session, prospect_id: int):
    """Recompute one prospect's derived values inside the session's transaction.

    Returns the prospect, reloaded so that its attributes show the new values.
    """
    from sqlalchemy import text

    from ..models import Prospect

    session.flush()
    for sql in statements(ONE) + account_statements(ACCOUNT_OF_PROSPECT):
        session.execute(text(sql), {"id": prospect_id})
    prospect = session.get(Prospect, prospect_id)
    session.refresh(prospect)
    return prospect


def refresh_all(con) -> None:
    """Recompute every prospect's and account's derived values on a sqlite3 connection."""
    for sql in statements(ALL) + account_statements(ALL):
        con.execute(sql)


# An account's derived values: its key-account stage (the latest KAM change), the last touch
# with anyone there and how many deciders it has (people not lost), and, for a key account
# still in a relationship, when someone there is next due for a touch by the KAM cadence.
_LATEST_KAM = """(SELECT {col} FROM kam_change k WHERE k.account_id = account.id
                  ORDER BY k.at DESC, k.seq DESC LIMIT 1)"""
# a key account with no KAM history yet (e.g. imported) counts as at the first KAM stage
_KAM_STAGE_SQL = f"coalesce(kam_stage, '{KAM_STAGES[0].key}')"
KAM_CADENCE_SQL = f"CASE {_KAM_STAGE_SQL} %s END" % " ".join(
    f"WHEN '{s.key}' THEN {s.cadence_days}" for s in KAM_STAGES)
ACCOUNT_FACTS_SQL = f"""
UPDATE account SET
    kam_stage = {_LATEST_KAM.format(col="to_stage")},
    kam_since = {_LATEST_KAM.format(col="at")},
    last_touch_at = (SELECT max(p.last_touch_at) FROM prospect p
                     WHERE p.account_id = account.id AND p.stage <> 'lost'),
    deciders = (SELECT count(*) FROM prospect p JOIN prospect_role r ON r.prospect_id = p.id
                WHERE p.account_id = account.id AND p.stage <> 'lost'
                  AND r.role = '{DECIDER}')
WHERE {{where}}
"""
ACCOUNT_DUE_SQL = f"""
UPDATE account SET due_on = CASE
    WHEN is_key = 1 AND {_KAM_STAGE_SQL} IN ({", ".join(f"'{s.key}'" for s in KAM_STAGES)})
    THEN date(substr(coalesce(last_touch_at, kam_since, created_at), 1, 10),
              '+' || {KAM_CADENCE_SQL} || ' days')
END
WHERE {{where}}
"""
ACCOUNT_OF_PROSPECT = "id = (SELECT account_id FROM prospect WHERE id = :id)"
ACCOUNTS_OF_PROSPECTS = ("id IN (SELECT account_id FROM prospect "
                         "WHERE id IN (SELECT value FROM json_each(:ids)))")


def account_statements(where: str) -> list[str]:
    """The two UPDATEs that refresh the accounts selected by `where`, in order."""
    return [ACCOUNT_FACTS_SQL.format(where=where), ACCOUNT_DUE_SQL.format(where=where)]


KAM_SEQ_SQL = "SELECT 1 + coalesce(max(seq), 0) FROM kam_change WHERE account_id = :id"


def refresh_account(session, account_id: int):
    """Recompute an account's derived values in the session's transaction; returns it reloaded."""
    from sqlalchemy import text

    from ..models import Account

    session.flush()
    for sql in account_statements(ONE):
        session.execute(text(sql), {"id": account_id})
    account = session.get(Account, account_id)
    session.refresh(account)
    return account
