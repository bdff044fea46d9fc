"""The read side: named SQL queries on a standard-library sqlite3 connection.

Read commands (followups, list, show, export, stage history, name completion) use only this
module and `db.connect()`, so they never import SQLAlchemy. Queries filter, sort, count and
limit in SQL, using the indexes declared in migrations.py. Each returns plain dicts whose keys
are the documented column names of the CSV/JSON output.

User input never becomes SQL text: filters are fixed fragments with named parameters.
tests/test_schema.py runs every query here against the schema built from models.py.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Iterator

from .errors import Ambiguous, NotFound
from .methodology import CRITERIA, DISQUALIFIED, OPEN, QUALIFIED
from .text import fold

_LEVELS = ", ".join(c.key for c in CRITERIA)
QUAL_STATUS_SQL = (
    f"CASE WHEN 'no' IN ({_LEVELS}) THEN '{DISQUALIFIED}' "
    f"WHEN {' AND '.join(f'{c.key} = {chr(39)}yes{chr(39)}' for c in CRITERIA)} "
    f"THEN '{QUALIFIED}' ELSE '{OPEN}' END")
NOT_DISQUALIFIED_SQL = " AND ".join(f"coalesce({c.key}, '') <> 'no'" for c in CRITERIA)
TAGS_SQL = ("(SELECT group_concat(name, ',') FROM "
            "(SELECT name FROM tag WHERE tag.prospect_id = p.id ORDER BY name))")
ROLES_SQL = ("(SELECT group_concat(role, ',') FROM "
             "(SELECT role FROM prospect_role r WHERE r.prospect_id = p.id ORDER BY role))")

# Column order of `list` and `export prospects` (documented in the README).
PROSPECT_COLUMNS = (
    "id", "name", "company", "title", "email", "phone", "url", "source", "tags", "value",
    "stage", "stage_since", "need", "budget", "authority", "qualification", "continuations",
    "last_touch_at", "next_at", "next_step", "next_set_at", "due_on", "note", "created_at",
    "updated_at", "account_id", "roles",
)
_PROSPECT_SELECT = f"""
SELECT p.id, p.name, p.company, p.title, p.email, p.phone, p.url, p.source,
       {TAGS_SQL} AS tags, p.value, p.stage, p.stage_since, p.need, p.budget, p.authority,
       {QUAL_STATUS_SQL} AS qualification, p.continuations, p.last_touch_at, p.next_at,
       p.next_step, p.next_set_at, p.due_on, p.note, p.created_at, p.updated_at,
       p.account_id, {ROLES_SQL} AS roles
FROM prospect p
"""


MAX_ID = 2**63 - 1  # SQLite's largest integer


def _rows(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    return [dict(row) for row in cursor]


def _limited(con: sqlite3.Connection, sql: str, params: dict[str, Any], limit: int | None,
             count_sql: str) -> tuple[list[dict[str, Any]], int]:
    """At most `limit` rows of `sql`, and how many there are in all (counted only when the
    limit cut the list short)."""
    if limit is not None and limit < MAX_ID:  # a limit beyond any table's size is no limit
        sql += " LIMIT :limit"
        params = {**params, "limit": limit}
    else:
        limit = None
    rows = _rows(con.execute(sql, params))
    total = len(rows)
    if limit is not None and total >= limit:
        total = con.execute(count_sql, params).fetchone()[0]
    return rows, total


# -- resolving a REF ---------------------------------------------------------------------------
_MATCH_TIERS = (
    "name_key = :key",  # the whole name
    "instr(' ' || name_key || ' ', ' ' || :key || ' ') > 0",  # whole words ("an", "van an")
    "instr(' ' || name_key, ' ' || :key) > 0",  # the start of words ("nguy", "ng v")
    "instr(name_key, :key) > 0",  # anywhere
)


def resolve(con: sqlite3.Connection, ref: str) -> dict[str, Any]:
    """The prospect a REF names: an id, or a unique part of the name (accents, case ignored).

    Names are tried in tiers, most exact first: the whole name, whole words, the start of
    words, anywhere. The first tier with any match decides: one match is the prospect, several
    are ambiguous. Raises NotFound (exit 1) or Ambiguous (exit 2, listing the candidates).
    """
    return _resolve(con, ref, "prospect", "SELECT id, name, company FROM prospect")


def resolve_account(con: sqlite3.Connection, ref: str) -> dict[str, Any]:
    """The account a REF names, by the same rules as a prospect's."""
    return _resolve(con, ref, "account", "SELECT id, name, industry AS company FROM account")


def _resolve(con: sqlite3.Connection, ref: str, noun: str, select: str) -> dict[str, Any]:
    ref = ref.strip()
    if ref.lstrip("#").isdigit():
        number = int(ref.lstrip("#"))
        row = con.execute(f"{select} WHERE id = :id", {"id": number}).fetchone() \
            if number <= MAX_ID else None
        if row is None:
            raise NotFound(f"no {noun} with id {ref.lstrip('#')}")
        return dict(row)
    key = fold(ref)
    if not key:
        raise NotFound(f"empty {noun} reference; give an id or part of a name")
    for tier in _MATCH_TIERS:
        found = _rows(con.execute(f"{select} WHERE {tier} ORDER BY name_key, id LIMIT 11",
                                  {"key": key}))
        if len(found) == 1:
            return found[0]
        if found:
            shown = ", ".join(f"#{r['id']} {r['name']}" + (f" ({r['company']})" if r["company"]
                              else "") for r in found[:10])
            more = " and more" if len(found) > 10 else ""
            raise Ambiguous(f"{ref!r} matches several {noun}s: {shown}{more}; "
                            "use the id or more of the name")
    hint = "relcrm list --search" if noun == "prospect" else "relcrm account list"
    raise NotFound(f"no {noun} matches {ref!r}; try `{hint}` or an id")


def complete_names(con: sqlite3.Connection, incomplete: str,
                   limit: int = 50) -> list[tuple[str, str]]:
    """Shell completions for a REF: (value, help) pairs whose value starts with what was typed.

    Shells insert a completion as one word and Typer keeps only values that start with the
    typed text, so a value is the name with "_" for spaces, as typed ("Nguyễn_Văn_An") or
    folded ("nguyen_van_an"); the resolver folds "_" back to a space.
    """
    return _completions(con.execute(
        "SELECT name, company FROM prospect WHERE name_key >= :key AND name_key < :key || "
        "char(1114111) ORDER BY name_key LIMIT :limit", {"key": fold(incomplete),
                                                        "limit": limit}), incomplete)


def complete_accounts(con: sqlite3.Connection, incomplete: str,
                      limit: int = 50) -> list[tuple[str, str]]:
    """Shell completions for an ACCOUNT or a company, as complete_names does for people."""
    return _completions(con.execute(
        "SELECT name, CASE WHEN is_key = 1 THEN 'key account' ELSE industry END FROM account "
        "WHERE name_key >= :key AND name_key < :key || char(1114111) ORDER BY name_key "
        "LIMIT :limit", {"key": fold(incomplete), "limit": limit}), incomplete)


def _completions(rows, incomplete: str) -> list[tuple[str, str]]:
    out = []
    for name, about in rows:
        for value in ("_".join(name.split()), "_".join(fold(name).split())):
            if value.startswith(incomplete):
                out.append((value, name + (f" ({about})" if about else "")))
                break
    return out


# -- list ----------------------------------------------------------------------------------------
SORTS = {
    "name": "p.name_key, p.id",
    "stage": "p.stage_since DESC, p.id",
    "last-touch": "p.last_touch_at IS NULL, p.last_touch_at DESC, p.id",
    "due": "p.due_on IS NULL, p.due_on, p.id",
    "value": "p.value IS NULL, p.value DESC, p.id",
    "created": "p.created_at DESC, p.id DESC",
}


def _list_where(stage: str | None, tag: str | None, company: str | None,
                search: str | None, status: str | None, include_lost: bool
                ) -> tuple[str, dict[str, Any]]:
    clauses, params = [], {}
    if stage:
        clauses.append("p.stage = :stage")
        params["stage"] = stage
    elif not include_lost:
        clauses.append("p.stage <> 'lost'")
    if tag:
        clauses.append("p.id IN (SELECT prospect_id FROM tag WHERE name = :tag)")
        params["tag"] = tag
    if company:
        clauses.append("instr(p.company_key, :company) > 0")
        params["company"] = fold(company)
    if search:
        clauses.append("(instr(p.search_key, :search) > 0 OR p.id IN "
                       "(SELECT prospect_id FROM tag WHERE instr(name, :search) > 0))")
        params["search"] = fold(search)
    if status:
        clauses.append(f"({QUAL_STATUS_SQL}) = :status")
        params["status"] = status
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def list_prospects(con: sqlite3.Connection, *, stage: str | None = None,
                   tag: str | None = None, company: str | None = None,
                   search: str | None = None, status: str | None = None,
                   include_lost: bool = False, sort: str = "name",
                   limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """Prospects matching the filters, sorted, at most `limit`; and how many match in all."""
    where, params = _list_where(stage, tag, company, search, status, include_lost)
    return _limited(con, f"{_PROSPECT_SELECT} {where} ORDER BY {SORTS[sort]}", params, limit,
                    f"SELECT count(*) FROM prospect p {where}")


# -- follow-ups ----------------------------------------------------------------------------------
FOLLOWUP_COLUMNS = (
    "id", "name", "company", "email", "phone", "stage", "stage_since", "qualification",
    "last_touch_at", "next_at", "next_step", "continuations", "value", "due_on", "created_at",
    "account_id",
)
_FOLLOWUP_SQL = f"""
SELECT p.id, p.name, p.company, p.email, p.phone, p.stage, p.stage_since,
       {QUAL_STATUS_SQL} AS qualification, p.last_touch_at, p.next_at, p.next_step,
       p.continuations, p.value, p.due_on, p.created_at, p.account_id
FROM prospect p INDEXED BY ix_prospect_followup
WHERE p.stage <> 'lost' AND p.due_on <= :until {{extra}}
ORDER BY p.due_on, p.continuations DESC, p.value DESC
"""


def followups(con: sqlite3.Connection, until: str, *, include_disqualified: bool = False,
              limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """Prospects whose follow-up date is on or before `until` (ISO date), most urgent first.

    Urgency: the earliest follow-up date first (the most overdue); on the same day, stalled
    sales (more continuations) first, then the larger deal. Returns the rows (at most `limit`)
    and how many are due in all.
    """
    extra = "" if include_disqualified else f"AND {NOT_DISQUALIFIED_SQL}"
    return _limited(con, _FOLLOWUP_SQL.format(extra=extra), {"until": until}, limit,
                    "SELECT count(*) FROM prospect p INDEXED BY ix_prospect_followup "
                    f"WHERE p.stage <> 'lost' AND p.due_on <= :until {extra}")


# -- show ------------------------------------------------------------------------------------------
def prospect(con: sqlite3.Connection, prospect_id: int) -> dict[str, Any]:
    row = con.execute(f"{_PROSPECT_SELECT} WHERE p.id = :id", {"id": prospect_id}).fetchone()
    if row is None:
        raise NotFound(f"no prospect with id {prospect_id}")
    return dict(row)


TIMELINE_COLUMNS = ("at", "event", "kind", "summary", "outcome", "commitment", "minutes",
                    "next_at", "detail", "ref")
_TIMELINE_SQL = """
SELECT at, event, kind, summary, outcome, commitment, minutes, next_at, detail, ref
FROM (
    SELECT t.at, CASE WHEN t.outcome IS NULL THEN 'touch' ELSE 'call' END AS event,
           t.kind, t.summary, t.outcome, t.commitment, t.minutes, t.next_at,
           NULL AS detail, t.id AS ref, t.seq
    FROM touch t WHERE t.prospect_id = :id
    UNION ALL
    SELECT s.at, 'stage', s.to_stage, s.reason, NULL, NULL, NULL, NULL, s.from_stage, s.id,
           s.seq
    FROM stage_change s WHERE s.prospect_id = :id
    UNION ALL
    SELECT q.at, 'qualify', q.criterion, q.note, NULL, NULL, NULL, NULL, q.level, q.id, q.seq
    FROM qualification q WHERE q.prospect_id = :id
)
ORDER BY at DESC, seq DESC, ref DESC
"""


def timeline(con: sqlite3.Connection, prospect_id: int,
             limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """Touches, calls, stage changes and judgements of one prospect, newest first."""
    return _limited(con, _TIMELINE_SQL, {"id": prospect_id}, limit,
                    "SELECT (SELECT count(*) FROM touch WHERE prospect_id = :id)"
                    " + (SELECT count(*) FROM stage_change WHERE prospect_id = :id)"
                    " + (SELECT count(*) FROM qualification WHERE prospect_id = :id)")


def call_notes(con: sqlite3.Connection, touch_ids: list[int]) -> dict[int, dict[str, list[str]]]:
    """SPIN notes of the given calls: {touch_id: {kind: [text, ...]}} in the order given."""
    notes: dict[int, dict[str, list[str]]] = {}
    if not touch_ids:
        return notes
    import json

    for row in con.execute(
            "SELECT touch_id, kind, text FROM call_note "
            "WHERE touch_id IN (SELECT value FROM json_each(:ids)) "
            "ORDER BY touch_id, kind, position", {"ids": json.dumps(touch_ids)}):
        notes.setdefault(row["touch_id"], {}).setdefault(row["kind"], []).append(row["text"])
    return notes


def stage_history(con: sqlite3.Connection, prospect_id: int) -> list[dict[str, Any]]:
    return _rows(con.execute(
        "SELECT at, from_stage, to_stage, reason FROM stage_change "
        "WHERE prospect_id = :id ORDER BY at, seq", {"id": prospect_id}))


# -- accounts ------------------------------------------------------------------------------------
_ORDERS = ("(SELECT {agg} FROM touch t JOIN prospect o ON o.id = t.prospect_id "
           "WHERE o.account_id = a.id AND t.amount IS NOT NULL "
           "AND coalesce(t.outcome, 'order') = 'order')")
ACCOUNT_COLUMNS = (
    "id", "name", "industry", "key", "kam_stage", "kam_since", "buy_class", "criteria",
    "people", "deciders", "last_touch_at", "orders", "order_value", "note", "created_at",
    "updated_at",
)
_ACCOUNT_SELECT = f"""
SELECT a.id, a.name, a.industry, a.is_key AS key, a.kam_stage, a.kam_since, a.buy_class,
       (SELECT group_concat(criterion, ',') FROM (SELECT criterion FROM account_criterion c
        WHERE c.account_id = a.id ORDER BY criterion)) AS criteria,
       (SELECT count(*) FROM prospect p WHERE p.account_id = a.id AND p.stage <> 'lost')
           AS people,
       a.deciders, a.last_touch_at,
       {_ORDERS.format(agg="count(*)")} AS orders,
       {_ORDERS.format(agg="sum(t.amount)")} AS order_value,
       a.note, a.created_at, a.updated_at
FROM account a
"""


def list_accounts(con: sqlite3.Connection, *, key_only: bool = False, kam: str | None = None,
                  search: str | None = None,
                  limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """Accounts, key ones first, then by name; `kam` keeps key accounts at that KAM stage,
    `search` those whose name contains it (folded: accents and case optional)."""
    clauses, params = [], {}
    if key_only or kam:
        clauses.append("a.is_key = 1")
    if kam:
        clauses.append("a.kam_stage = :kam")
        params["kam"] = kam
    if search is not None:
        clauses.append("instr(a.name_key, :search) > 0")
        params["search"] = fold(search)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return _limited(con, f"{_ACCOUNT_SELECT} {where} ORDER BY a.is_key DESC, a.name_key, a.id",
                    params, limit, f"SELECT count(*) FROM account a {where}")


def account(con: sqlite3.Connection, account_id: int) -> dict[str, Any]:
    row = con.execute(f"{_ACCOUNT_SELECT} WHERE a.id = :id", {"id": account_id}).fetchone()
    if row is None:
        raise NotFound(f"no account with id {account_id}")
    return dict(row)


def account_people(con: sqlite3.Connection, account_id: int) -> list[dict[str, Any]]:
    """The account's people with their roles (comma-separated, in the methodology's order)."""
    return _rows(con.execute(
        "SELECT p.id, p.name, p.title, p.email, p.phone, p.stage, p.last_touch_at, p.next_at, "
        "p.next_step, p.due_on, p.authority, "
        "(SELECT group_concat(role, ',') FROM prospect_role r WHERE r.prospect_id = p.id) "
        "AS roles FROM prospect p WHERE p.account_id = :id ORDER BY p.name_key, p.id",
        {"id": account_id}))


def kam_history(con: sqlite3.Connection, account_id: int) -> list[dict[str, Any]]:
    return _rows(con.execute(
        "SELECT at, from_stage, to_stage, reason FROM kam_change WHERE account_id = :id "
        "ORDER BY at, seq", {"id": account_id}))


def account_touches(con: sqlite3.Connection, account_id: int,
                    limit: int = 10) -> list[dict[str, Any]]:
    """The latest touches with anyone at the account, newest first."""
    return _rows(con.execute(
        "SELECT t.id, t.at, t.kind, t.summary, t.outcome, t.amount, p.id AS prospect_id, "
        "p.name AS prospect FROM touch t JOIN prospect p ON p.id = t.prospect_id "
        "WHERE p.account_id = :id ORDER BY t.at DESC, t.seq DESC LIMIT :limit",
        {"id": account_id, "limit": limit}))


_KEY_ACCOUNT = ("SELECT a.id, a.name, a.kam_stage, a.kam_since, a.last_touch_at, a.deciders, "
                "a.created_at, a.due_on FROM account a INDEXED BY {index} "
                "WHERE a.is_key = 1 AND {condition}")
_KEY_ACCOUNTS_DUE = (
    "SELECT *, CASE WHEN deciders = 0 AND (due_on IS NULL OR due_on > :today) THEN :today "
    "ELSE due_on END AS effective_due FROM ("
    + _KEY_ACCOUNT.format(index="ix_account_followup", condition="a.due_on <= :until")
    + " UNION "
    + _KEY_ACCOUNT.format(index="ix_account_no_decider",
                          condition="a.deciders = 0 AND coalesce(a.kam_stage, '') <> 'uncoupling'")
    + ")")


def key_accounts_due(con: sqlite3.Connection, today: str, until: str,
                     limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """Key accounts that need a follow-up by `until`: the KAM cadence comes round (due_on), or
    nobody there is known to be the decider. Most urgent first, at most `limit`; and how many
    in all. Both conditions are read from partial indexes of key accounts."""
    params = {"today": today, "until": until}
    return _limited(con, f"{_KEY_ACCOUNTS_DUE} ORDER BY effective_due, name", params, limit,
                    f"SELECT count(*) FROM ({_KEY_ACCOUNTS_DUE})")


CANDIDATE_COLUMNS = ("rank", "id", "name", "key", "kam_stage", "orders", "order_value",
                     "share", "cumulative_share", "in_80")


def order_values(con: sqlite3.Connection) -> list[dict[str, Any]]:
    """Accounts with recorded orders, by order value, largest first (orders are few: the
    partial index on touches with an amount finds them without reading the others)."""
    return _rows(con.execute(
        "SELECT a.id, a.name, a.is_key AS key, a.kam_stage, v.orders, v.order_value "
        "FROM (SELECT o.account_id, count(*) AS orders, sum(t.amount) AS order_value "
        "      FROM touch t INDEXED BY ix_touch_orders JOIN prospect o ON o.id = t.prospect_id"
        "      WHERE t.amount IS NOT NULL AND coalesce(t.outcome, 'order') = 'order' "
        "        AND o.account_id IS NOT NULL GROUP BY o.account_id) v "
        "JOIN account a ON a.id = v.account_id "
        "WHERE v.order_value > 0 ORDER BY v.order_value DESC, a.name_key"))


# -- export ----------------------------------------------------------------------------------------
SPIN_COLUMNS = ("situation", "problem", "implication", "need_payoff", "implied_need",
                "explicit_need")
_SPIN_AGG = ("(SELECT group_concat(text, char(10)) FROM (SELECT text FROM call_note n "
             "WHERE n.touch_id = t.id AND n.kind = '{kind}' ORDER BY position))")


@dataclass(frozen=True)
class Export:
    """One exportable entity: its columns (in order) and the SQL that yields them."""

    columns: tuple[str, ...]
    select: str  # SELECT ... FROM ... (no WHERE)
    when: str  # the column --since filters on
    prospect: str  # the rows of some prospects: a condition on {ids} (REF filters)
    order: str  # the row id: exports are in id order
    where: str = "1 = 1"


EXPORTS: dict[str, Export] = {
    "prospects": Export(PROSPECT_COLUMNS, _PROSPECT_SELECT, "p.updated_at", "p.id IN {ids}",
                        "p.id"),
    "touches": Export(
        ("id", "prospect_id", "prospect", "kind", "at", "summary", "minutes", "outcome",
         "commitment", "next_at", "created_at", "seq", "amount"),
        "SELECT t.id, t.prospect_id, p.name AS prospect, t.kind, t.at, t.summary, t.minutes, "
        "t.outcome, t.commitment, t.next_at, t.created_at, t.seq, t.amount "
        "FROM touch t JOIN prospect p ON p.id = t.prospect_id", "t.at",
        "t.prospect_id IN {ids}", "t.id"),
    "calls": Export(
        ("id", "prospect_id", "prospect", "at", "outcome", "commitment", "minutes", "summary")
        + SPIN_COLUMNS + ("next_at", "created_at", "seq", "amount"),
        "SELECT t.id, t.prospect_id, p.name AS prospect, t.at, t.outcome, t.commitment, "
        "t.minutes, t.summary, "
        + ", ".join(f"{_SPIN_AGG.format(kind=k)} AS {k}" for k in SPIN_COLUMNS)
        + ", t.next_at, t.created_at, t.seq, t.amount FROM touch t "
        "JOIN prospect p ON p.id = t.prospect_id",
        "t.at", "t.prospect_id IN {ids}", "t.id", "t.outcome IS NOT NULL"),
    "stages": Export(
        ("id", "prospect_id", "prospect", "at", "from_stage", "to_stage", "reason", "seq"),
        "SELECT s.id, s.prospect_id, p.name AS prospect, s.at, s.from_stage, s.to_stage, "
        "s.reason, s.seq FROM stage_change s JOIN prospect p ON p.id = s.prospect_id",
        "s.at", "s.prospect_id IN {ids}", "s.id"),
    "qualifications": Export(
        ("id", "prospect_id", "prospect", "at", "criterion", "level", "note", "seq"),
        "SELECT q.id, q.prospect_id, p.name AS prospect, q.at, q.criterion, q.level, q.note, "
        "q.seq FROM qualification q JOIN prospect p ON p.id = q.prospect_id",
        "q.at", "q.prospect_id IN {ids}", "q.id"),
    "accounts": Export(
        ("id", "name", "industry", "key", "kam_stage", "kam_since", "buy_class", "criteria",
         "note", "created_at", "updated_at"),
        "SELECT a.id, a.name, a.industry, a.is_key AS key, a.kam_stage, a.kam_since, "
        "a.buy_class, (SELECT group_concat(criterion, ',') FROM (SELECT criterion FROM "
        "account_criterion c WHERE c.account_id = a.id ORDER BY criterion)) AS criteria, "
        "a.note, a.created_at, a.updated_at FROM account a",
        "a.updated_at", "a.id IN (SELECT account_id FROM prospect WHERE id IN {ids})", "a.id"),
    "roles": Export(
        ("prospect_id", "prospect", "account_id", "role"),
        "SELECT r.prospect_id, p.name AS prospect, p.account_id, r.role "
        "FROM prospect_role r JOIN prospect p ON p.id = r.prospect_id",
        "p.updated_at", "r.prospect_id IN {ids}", "r.prospect_id, r.role"),
    "kam": Export(
        ("id", "account_id", "account", "at", "from_stage", "to_stage", "reason", "seq"),
        "SELECT k.id, k.account_id, a.name AS account, k.at, k.from_stage, k.to_stage, "
        "k.reason, k.seq FROM kam_change k JOIN account a ON a.id = k.account_id",
        "k.at", "k.account_id IN (SELECT account_id FROM prospect WHERE id IN {ids})", "k.id"),
}


def export(con: sqlite3.Connection, entity: str, *, since: str | None = None,
           prospect_ids: list[int] | None = None) -> tuple[tuple[str, ...], Iterator[tuple]]:
    """The columns and a row iterator (tuples, streamed) of one exportable entity, in id order;
    optionally only rows at or after `since` (ISO) and of the given prospects."""
    import json

    spec = EXPORTS[entity]
    sql, params = f"{spec.select} WHERE {spec.where}", {}
    if since is not None:
        sql += f" AND {spec.when} >= :since"
        params["since"] = since
    if prospect_ids is not None:
        sql += " AND " + spec.prospect.format(ids="(SELECT value FROM json_each(:ids))")
        params["ids"] = json.dumps(prospect_ids)
    cursor = con.execute(f"{sql} ORDER BY {spec.order}", params)
    cursor.row_factory = None  # plain tuples: the fastest path for large exports
    return spec.columns, cursor
