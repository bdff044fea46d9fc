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
from .i18n import _
from .methodology import (ALL_STAGES, BUYING_STAGES, CRITERIA, CUSTOMER, DISQUALIFIED, OPEN,
                          QUALIFIED)
from .text import fold

_LEVELS = ", ".join(c.key for c in CRITERIA)
# a customer (a won deal or an order, theirs or their account's) is past qualifying: the order
# proved need, budget and authority
QUAL_STATUS_SQL = (
    f"CASE WHEN p.customer = 1 THEN '{CUSTOMER}' WHEN 'no' IN ({_LEVELS}) THEN '{DISQUALIFIED}' "
    f"WHEN {' AND '.join(f'{c.key} = {chr(39)}yes{chr(39)}' for c in CRITERIA)} "
    f"THEN '{QUALIFIED}' ELSE '{OPEN}' END")
NOT_DISQUALIFIED_SQL = ("(p.customer = 1 OR ("
                        + " AND ".join(f"coalesce({c.key}, '') <> 'no'" for c in CRITERIA)
                        + "))")
# the people follow-ups leave out, as the partial index ix_prospect_excluded (models.py) says it
# word for word: SQLite reads that index only for a query that names its condition
EXCLUDED_SQL = ("stage = 'lost' OR NOT (customer = 1 OR (coalesce(need, '') <> 'no' AND "
                "coalesce(budget, '') <> 'no' AND coalesce(authority, '') <> 'no'))")
TAGS_SQL = ("(SELECT group_concat(name, ',') FROM "
            "(SELECT name FROM tag WHERE tag.prospect_id = p.id ORDER BY name))")
ROLES_SQL = ("(SELECT group_concat(role, ',') FROM "
             "(SELECT role FROM prospect_role r WHERE r.prospect_id = p.id ORDER BY role))")

# Column order of `list` and `export prospects` (documented in the README).
PROSPECT_COLUMNS = (
    "id", "name", "company", "title", "email", "phone", "url", "source", "tags", "value",
    "stage", "stage_since", "need", "budget", "authority", "qualification", "continuations",
    "last_touch_at", "next_at", "next_step", "next_set_at", "due_on", "note", "created_at",
    "updated_at", "account_id", "roles", "cadence_days", "snoozed_until", "snooze_reason",
    "currency", "emails", "phones", "customer", "type", "note_at", "revisit_on",
)
# a prospect's emails or phones, first first, " ::: " between (Google Contacts' way: a phone
# may hold a comma before its extension)
CONTACTS_SQL = ("(SELECT group_concat(value, ' ::: ') FROM (SELECT value FROM contact c "
                "WHERE c.prospect_id = p.id AND c.kind = '{kind}' ORDER BY position, id))")
_PROSPECT_SELECT = f"""
SELECT p.id, p.name, p.company, p.title, p.email, p.phone, p.url, p.source,
       {TAGS_SQL} AS tags, money(p.value_milli) AS value, p.stage, p.stage_since, p.need,
       p.budget, p.authority,
       {QUAL_STATUS_SQL} AS qualification, p.continuations, p.last_touch_at, p.next_at,
       p.next_step, p.next_set_at, p.due_on, p.note, p.created_at, p.updated_at,
       p.account_id, {ROLES_SQL} AS roles, p.cadence_days, p.snoozed_until, p.snooze_reason,
       p.value_currency AS currency, {CONTACTS_SQL.format(kind="email")} AS emails,
       {CONTACTS_SQL.format(kind="phone")} AS phones, p.customer, p.type, p.note_at,
       CASE WHEN p.stage = 'lost' THEN (SELECT s.revisit_on FROM stage_change s
            WHERE s.prospect_id = p.id ORDER BY s.at DESC, s.seq DESC LIMIT 1) END AS revisit_on
FROM prospect p
"""


MAX_ID = 2**63 - 1  # SQLite's largest integer


# Names of several people (a step's, a deal's, who else was at a touch): selected as a JSON
# array (a name may hold ", "), read as a Listed: "An, Bình" in csv, tsv and tables, as before,
# and an array of the exact names in JSON.
_NAME_LISTS = ("people", "with_names")


def _record(row: sqlite3.Row) -> dict[str, Any]:
    record = dict(row)
    for key in _NAME_LISTS:
        value = record.get(key)
        if isinstance(value, str) and value.startswith("["):
            import json

            from .render import Listed

            record[key] = Listed(json.loads(value), ", ")
    return record


def _rows(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    return [_record(row) for row in cursor]


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
    found = _resolve(con, ref, "prospect", "SELECT id, name, company FROM prospect",
                     alias="SELECT p.id, p.name, p.company, a.id AS merged_from, "
                           "a.name AS merged_name FROM prospect_alias a JOIN prospect p "
                           "ON p.id = a.prospect_id")
    return found


def resolve_account(con: sqlite3.Connection, ref: str) -> dict[str, Any]:
    """The account a REF names, by the same rules as a prospect's."""
    return _resolve(con, ref, "account", "SELECT id, name, industry AS company FROM account")


def _resolve(con: sqlite3.Connection, ref: str, noun: str, select: str,
             alias: str | None = None) -> dict[str, Any]:
    ref = ref.strip()
    if ref.lstrip("#").isdigit():
        number = int(ref.lstrip("#"))
        row = con.execute(f"{select} WHERE id = :id", {"id": number}).fetchone() \
            if number <= MAX_ID else None
        if row is None and alias is not None and number <= MAX_ID:
            row = con.execute(f"{alias} WHERE a.id = :id", {"id": number}).fetchone()
        if row is None:
            message = (_("no prospect with id {id}") if noun == "prospect"
                       else _("no account with id {id}"))
            raise NotFound(message.format(id=ref.lstrip("#")))
        return dict(row)
    key = fold(ref)
    if not key:
        raise NotFound(_("empty prospect reference; give an id or part of a name")
                       if noun == "prospect"
                       else _("empty account reference; give an id or part of a name"))
    for tier in _MATCH_TIERS:
        found = _rows(con.execute(f"{select} WHERE {tier} ORDER BY name_key, id LIMIT 11",
                                  {"key": key}))
        if len(found) == 1:
            return found[0]
        if found:
            shown = ", ".join(f"#{r['id']} {r['name']}" + (f" ({r['company']})" if r["company"]
                              else "") for r in found[:10])
            if noun == "prospect":
                message = (_("{ref!r} matches several prospects: {shown} and more; use the id "
                             "or more of the name") if len(found) > 10
                           else _("{ref!r} matches several prospects: {shown}; use the id or "
                                  "more of the name"))
            else:
                message = (_("{ref!r} matches several accounts: {shown} and more; use the id "
                             "or more of the name") if len(found) > 10
                           else _("{ref!r} matches several accounts: {shown}; use the id or "
                                  "more of the name"))
            raise Ambiguous(message.format(ref=ref, shown=shown))
    near = _closest(con, select, key)
    if near:
        shown = ", ".join(f"#{r['id']} {r['name']}" for r in near)
        message = (_("no prospect matches {ref!r}; did you mean {shown}?") if noun == "prospect"
                   else _("no account matches {ref!r}; did you mean {shown}?"))
        raise NotFound(message.format(ref=ref, shown=shown))
    if noun == "prospect":
        raise NotFound(_("no prospect matches {ref!r}; try `relcrm list --search` or an id")
                       .format(ref=ref))
    raise NotFound(_("no account matches {ref!r}; try `relcrm account list` or an id")
                   .format(ref=ref))


def _closest(con: sqlite3.Connection, select: str, key: str,
             count: int = 3) -> list[dict[str, Any]]:
    """The names closest to a REF that matched none (a typo: 'nguen', 'cuongg'), accents and
    case ignored: the whole name or any of its words within difflib's similarity 0.75."""
    from difflib import SequenceMatcher

    scored = []
    matcher = SequenceMatcher(autojunk=False)
    matcher.set_seq2(key)
    for row in con.execute(f"{select.replace('SELECT ', 'SELECT name_key, ', 1)} ORDER BY id"):
        best = 0.0
        for candidate in (row[0], *row[0].split()):
            matcher.set_seq1(candidate)
            if matcher.real_quick_ratio() >= 0.75 and matcher.quick_ratio() >= 0.75:
                best = max(best, matcher.ratio())
        if best >= 0.75:
            scored.append((-best, row[1], dict(row)))
    return [record for _score, _id, record in sorted(scored, key=lambda s: s[:2])[:count]]


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
    "value": "p.value_milli IS NULL, p.value_milli DESC, p.id",
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
                       "(SELECT prospect_id FROM tag WHERE instr(name, :search) > 0) OR p.id IN "
                       "(SELECT prospect_id FROM contact WHERE instr(lower(value), :search) > 0 "
                       "OR instr(key, :search) > 0))")
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
    "account_id", "currency",
)
_CARE_SQL = f"""
SELECT p.id, p.name, p.company, p.email, p.phone, p.stage, p.stage_since,
       {QUAL_STATUS_SQL} AS qualification, p.last_touch_at, p.next_at, p.next_step,
       p.continuations, money(p.value_milli) AS value, p.value_currency AS currency,
       p.care_on AS due_on, p.created_at, p.account_id,
       p.cadence_days, p.snoozed_until, p.snooze_reason,
       CASE WHEN p.stage = 'lost' THEN (SELECT s.reason FROM stage_change s
            WHERE s.prospect_id = p.id ORDER BY s.at DESC, s.seq DESC LIMIT 1) END AS lost_reason,
       CASE WHEN p.account_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM prospect_role r
            WHERE r.prospect_id = p.id AND r.role = 'decider')
            THEN (SELECT a.last_touch_at FROM account a WHERE a.id = p.account_id)
            END AS account_touch_at
FROM prospect p INDEXED BY ix_prospect_care
WHERE p.care_on <= :until {{extra}}
ORDER BY p.care_on, p.continuations DESC, p.value_milli DESC
"""


def care_due(con: sqlite3.Connection, until: str, *, since: str | None = None,
             include_disqualified: bool = False,
             limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """Prospects who need care (first contact, cadence, back from a snooze, a revisit) on or
    before `until` (ISO date; on or after `since` when given) with nothing booked for them
    before, most urgent first: the earliest date, then stalled sales, then the larger deal; at
    most `limit`, and how many."""
    extra = "" if include_disqualified else f"AND {NOT_DISQUALIFIED_SQL}"
    params = {"until": until}
    if since is not None:
        extra = f"AND p.care_on >= :since {extra}"
        params["since"] = since
    return _limited(con, _CARE_SQL.format(extra=extra), params, limit,
                    "SELECT count(*) FROM prospect p INDEXED BY ix_prospect_care "
                    f"WHERE p.care_on <= :until {extra}")


STEP_COLUMNS = ("id", "prospect_id", "prospect", "account_id", "account", "people", "kind",
                "text", "due_at", "minutes", "status", "created_at", "closed_at", "note", "uid")
_STEP_SELECT = """
SELECT s.id, s.prospect_id, p.name AS prospect, coalesce(s.account_id, p.account_id)
           AS account_id, a.name AS account,
       (SELECT nullif(json_group_array(name), '[]') FROM (SELECT o.name FROM step_person sp
        JOIN prospect o ON o.id = sp.prospect_id
        WHERE sp.step_id = s.id ORDER BY o.name_key)) AS people,
       s.kind, s.text, s.due_at, s.minutes, s.status, s.created_at, s.closed_at, s.note, s.uid,
       (SELECT count(*) FROM step_change c WHERE c.step_id = s.id AND c.action = 'moved')
           AS sequence
FROM step s
LEFT JOIN prospect p ON p.id = s.prospect_id
LEFT JOIN account a ON a.id = coalesce(s.account_id, p.account_id)
"""
# The open steps that involve one prospect (:id): their own, their account's that name them,
# and their account's that name nobody (the whole account).
STEPS_INVOLVING_SQL = """
SELECT id, due_at FROM (
    SELECT s.id, s.due_at FROM step s WHERE s.prospect_id = :id AND s.status = 'open'
    UNION
    SELECT s.id, s.due_at FROM step_person sp JOIN step s ON s.id = sp.step_id
    WHERE sp.prospect_id = :id AND s.status = 'open'
    UNION
    SELECT s.id, s.due_at FROM step s JOIN prospect me ON me.id = :id
    WHERE s.account_id = me.account_id AND s.status = 'open'
      AND NOT EXISTS (SELECT 1 FROM step_person sp WHERE sp.step_id = s.id))
"""


_STEP_DUE_SELECT = _STEP_SELECT.replace("FROM step s", f"""
     , p.email, p.phone, p.stage, p.stage_since, {QUAL_STATUS_SQL} AS qualification,
       p.last_touch_at, p.continuations, money(p.value_milli) AS value,
       p.value_currency AS currency, p.created_at AS prospect_created_at,
       p.snoozed_until, p.snooze_reason, a.kam_stage, a.is_key
FROM step s INDEXED BY ix_step_due""", 1)


def steps_due(con: sqlite3.Connection, before: str, *, since: str | None = None,
              include_disqualified: bool = False,
              limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """Open steps due before `before` (an ISO date: the day after the window; on or after the
    ISO date `since` when given) whose person is not lost (nor disqualified, unless asked),
    earliest first; at most `limit`, and how many."""
    extra = "" if include_disqualified else f"AND {NOT_DISQUALIFIED_SQL}"
    params = {"before": before}
    after = ""
    if since is not None:
        after, params["since"] = "AND s.due_at >= :since ", since
    where = (f"WHERE s.status = 'open' AND s.due_at < :before {after}AND "
             f"(s.prospect_id IS NULL OR (p.stage <> 'lost' {extra}))")
    sql = f"{_STEP_DUE_SELECT} {where} ORDER BY s.due_at, s.id"
    if since is not None:  # a period: a range of the index on dates, each step's person read
        count = (f"SELECT count(*) FROM step s INDEXED BY ix_step_due "
                 f"LEFT JOIN prospect p ON p.id = s.prospect_id {where}")
    else:  # all of them (every overdue step too): the date index counts them without reading
        # a row, less the steps of the few people left out, found by their own index
        left_out = ("p.stage = 'lost'", "ix_prospect_stage") if include_disqualified else (
            f"({EXCLUDED_SQL})", "ix_prospect_excluded")
        count = ("SELECT (SELECT count(*) FROM step s INDEXED BY ix_step_due WHERE "
                 "s.status = 'open' AND s.due_at < :before) - (SELECT count(*) FROM prospect p "
                 f"INDEXED BY {left_out[1]} JOIN step s INDEXED BY ix_step_prospect ON "
                 f"s.prospect_id = p.id WHERE {left_out[0]} AND s.status = 'open' AND "
                 "s.due_at < :before)")
    return _limited(con, sql, params, limit, count)


def step_list(con: sqlite3.Connection, *, prospect_id: int | None = None,
              account_id: int | None = None, closed: bool = False,
              limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """Steps by date: open ones (earliest first), or with `closed` the done and dropped ones
    (latest closed first); of one prospect (those involving them), or of one account (its own
    and its people's)."""
    clauses, params = ["s.status <> 'open'" if closed else "s.status = 'open'"], {}
    if prospect_id is not None:
        clauses.append("(s.prospect_id = :pid OR s.id IN (SELECT step_id FROM step_person "
                       "WHERE prospect_id = :pid) OR (s.account_id = (SELECT account_id FROM "
                       "prospect WHERE id = :pid) AND NOT EXISTS (SELECT 1 FROM step_person sp "
                       "WHERE sp.step_id = s.id)))")
        params["pid"] = prospect_id
    if account_id is not None:
        clauses.append("(s.account_id = :aid OR p.account_id = :aid)")
        params["aid"] = account_id
        if not closed:  # found by the indexes of open steps: the account's, its people's
            clauses.append("s.id IN (SELECT s2.id FROM step s2 INDEXED BY ix_step_account "
                           "WHERE s2.account_id = :aid AND s2.status = 'open' UNION ALL "
                           "SELECT s2.id FROM prospect p2 INDEXED BY ix_prospect_account "
                           "JOIN step s2 INDEXED BY ix_step_prospect ON s2.prospect_id = p2.id "
                           "WHERE p2.account_id = :aid AND s2.status = 'open')")
    where = "WHERE " + " AND ".join(clauses)
    order = "s.closed_at DESC, s.id DESC" if closed else "s.due_at, s.id"
    return _limited(con, f"{_STEP_SELECT} {where} ORDER BY {order}", params, limit,
                    f"SELECT count(*) FROM step s LEFT JOIN prospect p ON p.id = s.prospect_id "
                    f"{where}")


def step(con: sqlite3.Connection, step_id: int) -> dict[str, Any]:
    row = con.execute(f"{_STEP_SELECT} WHERE s.id = :id", {"id": step_id}).fetchone()
    if row is None:
        raise NotFound(_("no step with id {id}").format(id=step_id))
    return _record(row)


def step_history(con: sqlite3.Connection, step_id: int) -> list[dict[str, Any]]:
    return _rows(con.execute(
        "SELECT at, action, from_due, to_due, note FROM step_change WHERE step_id = :id "
        "ORDER BY at, id", {"id": step_id}))


# -- show ------------------------------------------------------------------------------------------
def prospect(con: sqlite3.Connection, prospect_id: int) -> dict[str, Any]:
    row = con.execute(f"{_PROSPECT_SELECT} WHERE p.id = :id", {"id": prospect_id}).fetchone()
    if row is None:
        raise NotFound(_("no prospect with id {id}").format(id=prospect_id))
    return dict(row)


def aliases(con: sqlite3.Connection, prospect_id: int) -> list[dict[str, Any]]:
    """The ids of records merged into this prospect (`show OLDID` still finds them)."""
    return _rows(con.execute("SELECT id, name, merged_at FROM prospect_alias "
                             "WHERE prospect_id = ? ORDER BY id", (prospect_id,)))


TIMELINE_COLUMNS = ("at", "event", "kind", "summary", "outcome", "commitment", "minutes",
                    "next_at", "detail", "ref", "with_names", "amount", "currency")
_TIMELINE_SQL = """
SELECT at, event, kind, summary, outcome, commitment, minutes, next_at, detail, ref, with_names,
       amount, currency
FROM (
    SELECT t.at, CASE WHEN t.outcome IS NULL THEN 'touch' ELSE 'call' END AS event,
           t.kind, t.summary, t.outcome, t.commitment, t.minutes, t.next_at,
           NULL AS detail, t.id AS ref, t.seq, 0 AS tie,
           (SELECT nullif(json_group_array(name), '[]') FROM (SELECT o.name FROM prospect o
            WHERE o.id <> :id AND (o.id = t.prospect_id OR o.id IN (
                SELECT tp.prospect_id FROM touch_person tp WHERE tp.touch_id = t.id))
            ORDER BY o.name_key)) AS with_names,
           money(t.amount_milli) AS amount, t.amount_currency AS currency
    FROM touch t WHERE t.prospect_id = :id
        OR t.id IN (SELECT touch_id FROM touch_person WHERE prospect_id = :id)
    UNION ALL
    SELECT s.at, 'stage', s.to_stage, s.reason, NULL, NULL, NULL, s.revisit_on, s.from_stage,
           s.id, s.seq, 0, NULL, NULL, NULL
    FROM stage_change s WHERE s.prospect_id = :id
    UNION ALL
    SELECT q.at, 'qualify', q.criterion, q.note, NULL, NULL, NULL, NULL, q.level, q.id, q.seq,
           0, NULL, NULL, NULL
    FROM qualification q WHERE q.prospect_id = :id
    UNION ALL
    SELECT c.at, 'step', c.action, s.text, c.note, s.kind, NULL, c.to_due, c.from_due, s.id,
           0, c.id, NULL, NULL, NULL
    FROM step_change c JOIN step s ON s.id = c.step_id
    WHERE s.prospect_id = :id OR s.id IN (SELECT step_id FROM step_person
                                          WHERE prospect_id = :id)
)
ORDER BY at DESC, seq DESC, tie DESC, ref DESC
"""


def timeline(con: sqlite3.Connection, prospect_id: int,
             limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """Touches (theirs and those they were with), calls, stage changes, judgements and what
    happened to their steps, newest first."""
    return _limited(con, _TIMELINE_SQL, {"id": prospect_id}, limit,
                    "SELECT (SELECT count(*) FROM touch WHERE prospect_id = :id)"
                    " + (SELECT count(*) FROM touch_person WHERE prospect_id = :id)"
                    " + (SELECT count(*) FROM stage_change WHERE prospect_id = :id)"
                    " + (SELECT count(*) FROM qualification WHERE prospect_id = :id)"
                    " + (SELECT count(*) FROM step_change c JOIN step s ON s.id = c.step_id "
                    "WHERE s.prospect_id = :id OR s.id IN (SELECT step_id FROM step_person "
                    "WHERE prospect_id = :id))")


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
# the book's currency (config currency): order values are summed in it
BOOK_CURRENCY_SQL = "coalesce((SELECT value FROM setting WHERE key = 'currency'), 'VND')"
_ORDERS = ("(SELECT {agg} FROM touch t JOIN prospect o ON o.id = t.prospect_id "
           "WHERE o.account_id = a.id AND t.amount_milli IS NOT NULL "
           "AND coalesce(t.outcome, 'order') = 'order'{more})")
ACCOUNT_COLUMNS = (
    "id", "name", "industry", "key", "kam_stage", "kam_since", "buy_class", "criteria",
    "people", "deciders", "last_touch_at", "orders", "order_value", "note", "created_at",
    "updated_at", "order_currency",
)
_ACCOUNT_SELECT = f"""
SELECT a.id, a.name, a.industry, a.is_key AS key, a.kam_stage, a.kam_since, a.buy_class,
       (SELECT group_concat(criterion, ',') FROM (SELECT criterion FROM account_criterion c
        WHERE c.account_id = a.id ORDER BY criterion)) AS criteria,
       (SELECT count(*) FROM prospect p WHERE p.account_id = a.id AND p.stage <> 'lost')
           AS people,
       a.deciders, a.last_touch_at,
       {_ORDERS.format(agg="count(*)", more="")} AS orders,
       money({_ORDERS.format(agg="sum(t.amount_milli)",
                             more=f" AND t.amount_currency = {BOOK_CURRENCY_SQL}")})
           AS order_value, {BOOK_CURRENCY_SQL} AS order_currency,
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
        raise NotFound(_("no account with id {id}").format(id=account_id))
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
        "SELECT t.id, t.at, t.kind, t.summary, t.outcome, money(t.amount_milli) AS amount, "
        "t.amount_currency AS currency, p.id AS prospect_id, "
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


def key_accounts_due(con: sqlite3.Connection, today: str, until: str, *,
                     since: str | None = None,
                     limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """Key accounts that need a follow-up by `until`: the KAM cadence comes round (due_on), or
    nobody there is known to be the decider (due today). With `since`, only those due on or
    after it. Most urgent first, at most `limit`; and how many in all. Both conditions are read
    from partial indexes of key accounts."""
    params = {"today": today, "until": until}
    sql = _KEY_ACCOUNTS_DUE
    if since is not None:
        sql = f"SELECT * FROM ({sql}) WHERE effective_due >= :since"
        params["since"] = since
    return _limited(con, f"{sql} ORDER BY effective_due, name", params, limit,
                    f"SELECT count(*) FROM ({sql})")


CANDIDATE_COLUMNS = ("rank", "id", "name", "key", "kam_stage", "orders", "order_value",
                     "share", "cumulative_share", "in_80", "currency")


def order_values(con: sqlite3.Connection) -> list[dict[str, Any]]:
    """Accounts with recorded orders, by order value, largest first (orders are few: the
    partial index on touches with an amount finds them without reading the others)."""
    return _rows(con.execute(
        "SELECT a.id, a.name, a.is_key AS key, a.kam_stage, v.orders, v.milli AS order_milli, "
        f"money(v.milli) AS order_value, {BOOK_CURRENCY_SQL} AS currency "
        "FROM (SELECT o.account_id, count(*) AS orders, sum(t.amount_milli) AS milli "
        "      FROM touch t INDEXED BY ix_touch_orders JOIN prospect o ON o.id = t.prospect_id"
        "      WHERE t.amount_milli IS NOT NULL AND coalesce(t.outcome, 'order') = 'order' "
        f"        AND t.amount_currency = {BOOK_CURRENCY_SQL} "
        "        AND o.account_id IS NOT NULL GROUP BY o.account_id) v "
        "JOIN account a ON a.id = v.account_id "
        "WHERE v.milli > 0 ORDER BY v.milli DESC, a.name_key"))


def orders_elsewhere(con: sqlite3.Connection) -> list[dict[str, Any]]:
    """Orders of accounts in a currency other than the book's, by currency: they are not in
    the order-value ranking (there is no exchange rate in the book)."""
    return _rows(con.execute(
        "SELECT t.amount_currency AS currency, count(*) AS orders, "
        "money(sum(t.amount_milli)) AS value FROM touch t INDEXED BY ix_touch_orders "
        "JOIN prospect o ON o.id = t.prospect_id "
        "WHERE t.amount_milli IS NOT NULL AND coalesce(t.outcome, 'order') = 'order' "
        f"AND o.account_id IS NOT NULL AND t.amount_currency <> {BOOK_CURRENCY_SQL} "
        "GROUP BY t.amount_currency ORDER BY t.amount_currency"))


# -- deals ---------------------------------------------------------------------------------------
_BUYING_ORDER = "CASE d.stage " + " ".join(
    f"WHEN '{b.key}' THEN {b.number}" for b in BUYING_STAGES) + " ELSE 0 END"
DEAL_EXPORT_COLUMNS = (
    "id", "account_id", "account", "title", "stage", "status", "value", "currency", "close_on",
    "buy_class", "people_ids", "won_amount", "won_currency", "lost_reason", "note", "closed_at",
    "created_at", "updated_at")
_DEAL_PEOPLE_IDS = ("(SELECT group_concat(prospect_id, ',') FROM (SELECT prospect_id FROM "
                    "deal_person dp WHERE dp.deal_id = d.id ORDER BY prospect_id))")
_DEAL_SELECT = f"""
SELECT d.id, d.account_id, a.name AS account, d.title, d.stage, d.status,
       money(d.value_milli) AS value, d.currency, d.close_on, d.buy_class,
       {_DEAL_PEOPLE_IDS} AS people_ids, money(d.won_milli) AS won_amount, d.won_currency,
       d.lost_reason, d.note, d.closed_at, d.created_at, d.updated_at
FROM deal d LEFT JOIN account a ON a.id = d.account_id
"""
# `deal list` and `deal show`: the export's columns, the people by name, and how long it is
# open (or was, until it closed)
DEAL_COLUMNS = DEAL_EXPORT_COLUMNS + ("people", "age_days")
_DEAL_LIST_SELECT = _DEAL_SELECT.replace("\nFROM deal d", """,
       (SELECT nullif(json_group_array(name), '[]') FROM (SELECT o.name FROM deal_person dp
        JOIN prospect o ON o.id = dp.prospect_id WHERE dp.deal_id = d.id
        ORDER BY o.name_key)) AS people,
       CAST(julianday(coalesce(substr(d.closed_at, 1, 10), :today))
            - julianday(substr(d.created_at, 1, 10)) AS INTEGER) AS age_days
FROM deal d""", 1)


def deal_list(con: sqlite3.Connection, today: str, *, status: str | None = "open",
              account_id: int | None = None, prospect_id: int | None = None,
              limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """Deals, open ones by the customer's buying stage (furthest first) then expected close;
    closed ones latest first."""
    clauses, params = [], {"today": today}
    if status:
        clauses.append("d.status = :status")
        params["status"] = status
    if account_id is not None:
        clauses.append("d.account_id = :account")
        params["account"] = account_id
    if prospect_id is not None:
        clauses.append("d.id IN (SELECT deal_id FROM deal_person WHERE prospect_id = :pid)")
        params["pid"] = prospect_id
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    order = ("d.status = 'open' DESC, coalesce(d.closed_at, '') DESC, "
             f"{_BUYING_ORDER} DESC, d.close_on IS NULL, d.close_on, d.id")
    return _limited(con, f"{_DEAL_LIST_SELECT} {where} ORDER BY {order}", params, limit,
                    f"SELECT count(*) FROM deal d {where}")


def deal(con: sqlite3.Connection, deal_id: int, today: str) -> dict[str, Any]:
    row = con.execute(f"{_DEAL_LIST_SELECT} WHERE d.id = :id", {"id": deal_id,
                                                               "today": today}).fetchone()
    if row is None:
        raise NotFound(_("no deal with id {id}; see them with relcrm deal list").format(id=deal_id))
    return _record(row)


_PROBABILITY = ("coalesce((SELECT CAST(g.value AS INTEGER) FROM setting g WHERE g.key = "
                "'deal.probability.' || d.stage), CASE d.stage " + " ".join(
                    f"WHEN '{b.key}' THEN {b.probability}" for b in BUYING_STAGES)
                + " ELSE 0 END)")


def pipeline_deals(con: sqlite3.Connection, today: str) -> list[dict[str, Any]]:
    """Open deals by the customer's buying stage and currency: how many, their value, the value
    weighted by the stage's probability (config deal.probability.STAGE), the stage's
    probability and the deals' average age in days (from the index on status and stage)."""
    return _rows(con.execute(
        f"SELECT d.stage, d.currency, count(*) AS deals, sum(d.value_milli) AS value_milli, "
        f"sum(d.value_milli * {_PROBABILITY}) / 100 AS weighted_milli, "
        f"max({_PROBABILITY}) AS probability, "
        "round(avg(julianday(:today) - julianday(substr(d.created_at, 1, 10))), 1) AS age_days "
        "FROM deal d INDEXED BY ix_deal_status WHERE d.status = 'open' "
        f"GROUP BY d.stage, d.currency ORDER BY {_BUYING_ORDER}, d.currency IS NULL, "
        "d.currency", {"today": today}))


def relationship_funnel(con: sqlite3.Connection) -> list[dict[str, Any]]:
    """People at each relationship stage: how many, how many are customers, and the value of
    their open deals in each currency (a deal with two people there counts for each)."""
    return _rows(con.execute(
        "SELECT p.stage, p.value_currency AS currency, count(*) AS people, "
        "sum(p.customer) AS customers, sum(p.value_milli) AS value_milli "
        "FROM prospect p INDEXED BY ix_prospect_stage GROUP BY p.stage, p.value_currency "
        "ORDER BY CASE p.stage " + " ".join(f"WHEN '{st.key}' THEN {st.number or 99}"
                                            for st in ALL_STAGES)
        + " END, p.value_currency IS NULL, p.value_currency"))


def deal_history(con: sqlite3.Connection, deal_id: int) -> list[dict[str, Any]]:
    return _rows(con.execute(
        "SELECT id, at, action, from_stage, to_stage, reason, note, money(amount_milli) AS "
        "amount, currency FROM deal_change WHERE deal_id = ? ORDER BY at, id", (deal_id,)))


# -- export ----------------------------------------------------------------------------------------
_WITH_IDS = ("(SELECT group_concat(prospect_id, ',') FROM (SELECT prospect_id FROM touch_person "
             "tp WHERE tp.touch_id = t.id ORDER BY prospect_id)) AS with_ids")
SPIN_COLUMNS = ("situation", "problem", "implication", "need_payoff", "implied_need",
                "explicit_need")
# a call's notes of one kind, as a JSON array (a note may span lines): Export.notes makes them
# one note a line in a csv/tsv cell, an array in JSON
_SPIN_AGG = ("(SELECT nullif(json_group_array(text), '[]') FROM (SELECT text FROM call_note n "
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
    # columns are only ever added at the end: an export made by an older relcrm has the first
    # `first` of them at least (those of the version that introduced the entity)
    first: int = 0
    notes: tuple[str, ...] = ()  # columns selected as JSON arrays of notes (see _SPIN_AGG)

    def known(self, header: tuple[str, ...] | list[str]) -> bool:
        """Whether a header is this entity's, as this or an older relcrm wrote it."""
        return (len(header) >= (self.first or len(self.columns))
                and tuple(header) == self.columns[:len(header)])


EXPORTS: dict[str, Export] = {
    "prospects": Export(PROSPECT_COLUMNS, _PROSPECT_SELECT, "p.updated_at", "p.id IN {ids}",
                        "p.id", first=25),
    "touches": Export(
        ("id", "prospect_id", "prospect", "kind", "at", "summary", "minutes", "outcome",
         "commitment", "next_at", "created_at", "seq", "amount", "with_ids", "currency",
         "deal_id", "occasion_id"),
        "SELECT t.id, t.prospect_id, p.name AS prospect, t.kind, t.at, t.summary, t.minutes, "
        "t.outcome, t.commitment, t.next_at, t.created_at, t.seq, money(t.amount_milli), "
        f"{_WITH_IDS}, t.amount_currency, t.deal_id, t.occasion_id "
        "FROM touch t JOIN prospect p ON p.id = t.prospect_id", "t.at",
        "t.prospect_id IN {ids}", "t.id", first=12),
    "calls": Export(
        ("id", "prospect_id", "prospect", "at", "outcome", "commitment", "minutes", "summary")
        + SPIN_COLUMNS + ("next_at", "created_at", "seq", "amount", "with_ids", "currency",
                          "deal_id", "occasion_id"),
        "SELECT t.id, t.prospect_id, p.name AS prospect, t.at, t.outcome, t.commitment, "
        "t.minutes, t.summary, "
        + ", ".join(f"{_SPIN_AGG.format(kind=k)} AS {k}" for k in SPIN_COLUMNS)
        + f", t.next_at, t.created_at, t.seq, money(t.amount_milli), {_WITH_IDS}, "
        "t.amount_currency, t.deal_id, t.occasion_id FROM touch t "
        "JOIN prospect p ON p.id = t.prospect_id",
        "t.at", "t.prospect_id IN {ids}", "t.id", "t.outcome IS NOT NULL", first=17,
        notes=SPIN_COLUMNS),
    "stages": Export(
        ("id", "prospect_id", "prospect", "at", "from_stage", "to_stage", "reason", "seq",
         "revisit_on"),
        "SELECT s.id, s.prospect_id, p.name AS prospect, s.at, s.from_stage, s.to_stage, "
        "s.reason, s.seq, s.revisit_on FROM stage_change s "
        "JOIN prospect p ON p.id = s.prospect_id",
        "s.at", "s.prospect_id IN {ids}", "s.id", first=8),
    "qualifications": Export(
        ("id", "prospect_id", "prospect", "at", "criterion", "level", "note", "seq"),
        "SELECT q.id, q.prospect_id, p.name AS prospect, q.at, q.criterion, q.level, q.note, "
        "q.seq FROM qualification q JOIN prospect p ON p.id = q.prospect_id",
        "q.at", "q.prospect_id IN {ids}", "q.id"),
    "accounts": Export(
        ("id", "name", "industry", "key", "kam_stage", "kam_since", "buy_class", "criteria",
         "note", "created_at", "updated_at", "note_at"),
        "SELECT a.id, a.name, a.industry, a.is_key AS key, a.kam_stage, a.kam_since, "
        "a.buy_class, (SELECT group_concat(criterion, ',') FROM (SELECT criterion FROM "
        "account_criterion c WHERE c.account_id = a.id ORDER BY criterion)) AS criteria, "
        "a.note, a.created_at, a.updated_at, a.note_at FROM account a",
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
    "steps": Export(
        ("id", "prospect_id", "prospect", "account_id", "account", "people_ids", "kind", "text",
         "due_at", "minutes", "status", "created_at", "closed_at", "note", "uid"),
        "SELECT s.id, s.prospect_id, p.name AS prospect, s.account_id, a.name AS account, "
        "(SELECT group_concat(prospect_id, ',') FROM (SELECT prospect_id FROM step_person sp "
        "WHERE sp.step_id = s.id ORDER BY prospect_id)) AS people_ids, s.kind, s.text, "
        "s.due_at, s.minutes, s.status, s.created_at, s.closed_at, s.note, s.uid FROM step s "
        "LEFT JOIN prospect p ON p.id = s.prospect_id "
        "LEFT JOIN account a ON a.id = s.account_id",
        "s.created_at", "(s.prospect_id IN {ids} OR s.id IN (SELECT step_id FROM step_person "
        "WHERE prospect_id IN {ids}) OR s.account_id IN (SELECT account_id FROM prospect "
        "WHERE id IN {ids}))", "s.id"),
    "step_changes": Export(
        ("id", "step_id", "at", "action", "from_due", "to_due", "note"),
        "SELECT c.id, c.step_id, c.at, c.action, c.from_due, c.to_due, c.note "
        "FROM step_change c JOIN step s ON s.id = c.step_id",
        "c.at", "(s.prospect_id IN {ids} OR s.id IN (SELECT step_id FROM step_person "
        "WHERE prospect_id IN {ids}) OR s.account_id IN (SELECT account_id FROM prospect "
        "WHERE id IN {ids}))", "c.id"),
    "settings": Export(
        ("key", "value"), "SELECT g.key, g.value FROM setting g", "NULL", "1 = 1", "g.key"),
    "deals": Export(
        DEAL_EXPORT_COLUMNS, _DEAL_SELECT, "d.updated_at",
        "d.id IN (SELECT deal_id FROM deal_person WHERE prospect_id IN {ids})", "d.id"),
    "deal_changes": Export(
        ("id", "deal_id", "at", "action", "from_stage", "to_stage", "reason", "note", "amount",
         "currency"),
        "SELECT c.id, c.deal_id, c.at, c.action, c.from_stage, c.to_stage, c.reason, c.note, "
        "money(c.amount_milli), c.currency FROM deal_change c",
        "c.at", "c.deal_id IN (SELECT deal_id FROM deal_person WHERE prospect_id IN {ids})",
        "c.id"),
    "aliases": Export(
        ("id", "prospect_id", "prospect", "name", "merged_at"),
        "SELECT m.id, m.prospect_id, p.name AS prospect, m.name, m.merged_at "
        "FROM prospect_alias m JOIN prospect p ON p.id = m.prospect_id",
        "m.merged_at", "m.prospect_id IN {ids}", "m.id"),
    # what the seller knows about a person beyond business (about: family, interests, work,
    # other)
    "facts": Export(
        ("id", "prospect_id", "prospect", "about", "text", "at", "created_at"),
        "SELECT f.id, f.prospect_id, p.name AS prospect, f.about, f.text, f.at, f.created_at "
        "FROM fact f JOIN prospect p ON p.id = f.prospect_id",
        "f.at", "f.prospect_id IN {ids}", "f.id"),
    # a person's or an account's important dates: month and day (year when known), solar or
    # lunar (1: âm lịch); touches greet them by id (touches.occasion_id)
    "dates": Export(
        ("id", "prospect_id", "prospect", "account_id", "account", "kind", "month", "day",
         "year", "lunar", "note", "created_at"),
        "SELECT d.id, d.prospect_id, p.name AS prospect, d.account_id, a.name AS account, "
        "d.kind, d.month, d.day, d.year, d.lunar, d.note, d.created_at FROM important_date d "
        "LEFT JOIN prospect p ON p.id = d.prospect_id "
        "LEFT JOIN account a ON a.id = d.account_id",
        "d.created_at", "(d.prospect_id IN {ids} OR d.account_id IN (SELECT account_id FROM "
        "prospect WHERE id IN {ids}))", "d.id"),
    # the occasions the book greets every customer on (Tết, Trung thu ...); gifts: 1 when
    # followups announces the gift list
    "occasions": Export(
        ("id", "key", "name", "month", "day", "lunar", "gifts"),
        "SELECT o.id, o.key, o.name, o.month, o.day, o.lunar, o.gifts FROM occasion o",
        "NULL", "1 = 1", "o.id"),
}


def export(con: sqlite3.Connection, entity: str, *, since: str | None = None,
           prospect_ids: list[int] | None = None) -> tuple[tuple[str, ...], Iterator[tuple]]:
    """The columns and a row iterator (tuples, streamed) of one exportable entity, in id order;
    optionally only rows at or after `since` (ISO) and of the given prospects."""
    import json

    spec = EXPORTS[entity]
    select = spec.select
    if entity == "settings":
        from .db import on_team
        from .settings import has_own

        if on_team(con) and has_own(con):
            # a team database's settings, with the seller's own (their phone sync)
            select = ("SELECT g.key, g.value FROM (SELECT key, value FROM setting WHERE key "
                      "NOT LIKE 'sync.%' UNION ALL SELECT key, value FROM seller_setting "
                      "WHERE seller = current_user) g")
    sql, params = f"{select} WHERE {spec.where}", {}
    if since is not None:
        sql += f" AND {spec.when} >= :since"
        params["since"] = since
    if prospect_ids is not None:
        sql += " AND " + spec.prospect.format(ids="(SELECT value FROM json_each(:ids))")
        params["ids"] = json.dumps(prospect_ids)
    cursor = con.execute(f"{sql} ORDER BY {spec.order}", params)
    cursor.row_factory = None  # plain tuples: the fastest path for large exports
    if not spec.notes:
        return spec.columns, cursor
    from .render import Listed

    at = [spec.columns.index(c) for c in spec.notes]

    def noted(row: tuple) -> tuple:  # one note a line in a cell, an array in JSON
        cells = list(row)
        for i in at:
            if cells[i] is not None:
                cells[i] = Listed(json.loads(cells[i]), "\n")
        return tuple(cells)

    return spec.columns, map(noted, cursor)
