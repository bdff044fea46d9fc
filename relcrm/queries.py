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

# Column order of `list` and `export prospects` (documented in the README).
PROSPECT_COLUMNS = (
    "id", "name", "company", "title", "email", "phone", "url", "source", "tags", "value",
    "stage", "stage_since", "need", "budget", "authority", "qualification", "continuations",
    "last_touch_at", "next_at", "next_step", "next_set_at", "due_on", "note", "created_at",
    "updated_at",
)
_PROSPECT_SELECT = f"""
SELECT p.id, p.name, p.company, p.title, p.email, p.phone, p.url, p.source,
       {TAGS_SQL} AS tags, p.value, p.stage, p.stage_since, p.need, p.budget, p.authority,
       {QUAL_STATUS_SQL} AS qualification, p.continuations, p.last_touch_at, p.next_at,
       p.next_step, p.next_set_at, p.due_on, p.note, p.created_at, p.updated_at
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
    ref = ref.strip()
    if ref.lstrip("#").isdigit():
        number = int(ref.lstrip("#"))
        row = con.execute("SELECT id, name, company FROM prospect WHERE id = :id",
                          {"id": number}).fetchone() if number <= MAX_ID else None
        if row is None:
            raise NotFound(f"no prospect with id {ref.lstrip('#')}")
        return dict(row)
    key = fold(ref)
    if not key:
        raise NotFound("empty prospect reference; give an id or part of a name")
    for tier in _MATCH_TIERS:
        found = _rows(con.execute(
            f"SELECT id, name, company FROM prospect WHERE {tier} ORDER BY name_key, id "
            "LIMIT 11", {"key": key}))
        if len(found) == 1:
            return found[0]
        if found:
            shown = ", ".join(f"#{r['id']} {r['name']}" + (f" ({r['company']})" if r["company"]
                              else "") for r in found[:10])
            more = " and more" if len(found) > 10 else ""
            raise Ambiguous(f"{ref!r} matches several prospects: {shown}{more}; "
                            "use the id or more of the name")
    raise NotFound(f"no prospect matches {ref!r}; try `relcrm list --search` or an id")


def complete_names(con: sqlite3.Connection, incomplete: str,
                   limit: int = 50) -> list[tuple[str, str]]:
    """Shell completions for a REF: (value, help) pairs whose value starts with what was typed.

    Shells insert a completion as one word and Typer keeps only values that start with the
    typed text, so a value is the name with "_" for spaces, as typed ("Nguyễn_Văn_An") or
    folded ("nguyen_van_an"); the resolver folds "_" back to a space.
    """
    key = fold(incomplete)
    rows = con.execute(
        "SELECT name, company FROM prospect WHERE name_key >= :key AND name_key < :key || "
        "char(1114111) ORDER BY name_key LIMIT :limit", {"key": key, "limit": limit})
    out = []
    for name, company in rows:
        for value in ("_".join(name.split()), "_".join(fold(name).split())):
            if value.startswith(incomplete):
                out.append((value, name + (f" ({company})" if company else "")))
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
)
_FOLLOWUP_SQL = f"""
SELECT p.id, p.name, p.company, p.email, p.phone, p.stage, p.stage_since,
       {QUAL_STATUS_SQL} AS qualification, p.last_touch_at, p.next_at, p.next_step,
       p.continuations, p.value, p.due_on, p.created_at
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
    prospect: str  # the column that names the prospect, for REF filters
    order: str  # the row id: exports are in id order
    where: str = "1 = 1"


EXPORTS: dict[str, Export] = {
    "prospects": Export(PROSPECT_COLUMNS, _PROSPECT_SELECT, "p.updated_at", "p.id", "p.id"),
    "touches": Export(
        ("id", "prospect_id", "prospect", "kind", "at", "summary", "minutes", "outcome",
         "commitment", "next_at", "created_at", "seq"),
        "SELECT t.id, t.prospect_id, p.name AS prospect, t.kind, t.at, t.summary, t.minutes, "
        "t.outcome, t.commitment, t.next_at, t.created_at, t.seq "
        "FROM touch t JOIN prospect p ON p.id = t.prospect_id", "t.at", "t.prospect_id", "t.id"),
    "calls": Export(
        ("id", "prospect_id", "prospect", "at", "outcome", "commitment", "minutes", "summary")
        + SPIN_COLUMNS + ("next_at", "created_at", "seq"),
        "SELECT t.id, t.prospect_id, p.name AS prospect, t.at, t.outcome, t.commitment, "
        "t.minutes, t.summary, "
        + ", ".join(f"{_SPIN_AGG.format(kind=k)} AS {k}" for k in SPIN_COLUMNS)
        + ", t.next_at, t.created_at, t.seq FROM touch t JOIN prospect p ON p.id = t.prospect_id",
        "t.at", "t.prospect_id", "t.id", "t.outcome IS NOT NULL"),
    "stages": Export(
        ("id", "prospect_id", "prospect", "at", "from_stage", "to_stage", "reason", "seq"),
        "SELECT s.id, s.prospect_id, p.name AS prospect, s.at, s.from_stage, s.to_stage, "
        "s.reason, s.seq FROM stage_change s JOIN prospect p ON p.id = s.prospect_id",
        "s.at", "s.prospect_id", "s.id"),
    "qualifications": Export(
        ("id", "prospect_id", "prospect", "at", "criterion", "level", "note", "seq"),
        "SELECT q.id, q.prospect_id, p.name AS prospect, q.at, q.criterion, q.level, q.note, "
        "q.seq FROM qualification q JOIN prospect p ON p.id = q.prospect_id",
        "q.at", "q.prospect_id", "q.id"),
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
        sql += f" AND {spec.prospect} IN (SELECT value FROM json_each(:ids))"
        params["ids"] = json.dumps(prospect_ids)
    cursor = con.execute(f"{sql} ORDER BY {spec.order}", params)
    cursor.row_factory = None  # plain tuples: the fastest path for large exports
    return spec.columns, cursor
