"""Correcting the book's people: delete a prospect (or erase them), delete an empty account,
merge two records of one person. Every one is a write like any other: `relcrm undo` takes it
back (an erasure excepted: it removes the person from the journal too).

What a prospect's records are comes from the registry (registry.Entity.person), so a table
added later is deleted, counted and erased with them without a change here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import dates
from ..errors import UsageError
from ..i18n import _
from ..registry import ENTITIES, noun
from . import fields
from .derive import SEQ_SQL, session_con

if TYPE_CHECKING:
    from sqlmodel import Session


# -- delete ----------------------------------------------------------------------------------
@dataclass
class Removal:
    """What deleting a prospect removes, and what it keeps for the others."""

    prospect_id: int
    name: str
    counts: dict[str, int]  # table -> rows (the prospect itself included)
    handed_over: list[tuple[int, int, str]]  # (touch id, new owner id, new owner's name)
    dropped_steps: list[int]  # account steps that named only them

    def describe(self) -> str:
        parts = [noun(table, n) for table, n in self.counts.items() if n and table != "prospect"]
        text = f"#{self.prospect_id} {self.name}"
        if parts:
            text += " " + _("and everything about them: {records}").format(
                records=", ".join(parts))
        if self.dropped_steps:
            text += "; " + _("the account steps that named only them: {steps}").format(
                steps=", ".join(f"#{i}" for i in self.dropped_steps))
        if self.handed_over:
            text += "; " + _("touches shared with others stay with them: {touches}").format(
                touches=", ".join(_("#{id} with {name}").format(id=t, name=n)
                                  for t, _owner, n in self.handed_over))
        return text


def plan_removal(con: sqlite3.Connection, prospect_id: int) -> Removal:
    """What `delete` would remove (read only)."""
    name = con.execute("SELECT name FROM prospect WHERE id = ?", (prospect_id,)).fetchone()[0]
    counts = {e.table: con.execute(f"SELECT count(*) FROM {e.table} WHERE {e.person}",
                                   {"pid": prospect_id}).fetchone()[0]
              for e in ENTITIES if e.person}
    handed = []
    for touch_id, other in con.execute(
            "SELECT t.id, min(tp.prospect_id) FROM touch t JOIN touch_person tp "
            "ON tp.touch_id = t.id WHERE t.prospect_id = ? GROUP BY t.id ORDER BY t.id",
            (prospect_id,)).fetchall():
        other_name = con.execute("SELECT name FROM prospect WHERE id = ?",
                                 (other,)).fetchone()[0]
        handed.append((touch_id, other, other_name))
    dropped = [row[0] for row in con.execute(
        "SELECT s.id FROM step s JOIN step_person sp ON sp.step_id = s.id "
        "WHERE sp.prospect_id = ? AND NOT EXISTS (SELECT 1 FROM step_person o "
        "WHERE o.step_id = s.id AND o.prospect_id <> ?) ORDER BY s.id",
        (prospect_id, prospect_id))]
    if dropped:  # an account step that named only them goes with them, and its history
        ids = ",".join(str(i) for i in dropped)
        counts["step"] = counts.get("step", 0) + len(dropped)
        counts["step_change"] = counts.get("step_change", 0) + con.execute(
            f"SELECT count(*) FROM step_change WHERE step_id IN ({ids})").fetchone()[0]
    if handed:  # handed-over touches (and their notes) are not removed
        counts["touch"] -= len(handed)
        ids = ",".join(str(t) for t, _, _ in handed)
        counts["call_note"] -= con.execute(
            f"SELECT count(*) FROM call_note WHERE touch_id IN ({ids})").fetchone()[0]
        counts["touch_person"] = counts.get("touch_person", 0) + len(handed)
    return Removal(prospect_id, name, counts, handed, dropped)


def delete_prospect(session: "Session", prospect_id: int) -> Removal:
    """Remove a prospect and everything about them, in the session's transaction. A touch they
    shared with others (log --with) is handed to the first of those; an account step that
    named only them goes with them."""
    con = session_con(session)
    removal = plan_removal(con, prospect_id)
    for touch_id, other, _name in removal.handed_over:
        con.execute("DELETE FROM touch_person WHERE touch_id = ? AND prospect_id = ?",
                    (touch_id, other))
        con.execute("UPDATE touch SET prospect_id = ? WHERE id = ?", (other, touch_id))
    for step_id in removal.dropped_steps:
        con.execute("DELETE FROM step WHERE id = ?", (step_id,))
    from ..registry import OWN_DEALS

    con.execute(f"DELETE FROM deal WHERE id IN ({OWN_DEALS})", {"pid": prospect_id})
    con.execute("DELETE FROM prospect WHERE id = ?", (prospect_id,))  # the rest cascades
    return removal


def erase_from_journal(con: sqlite3.Connection, prospect_id: int) -> int:
    """Remove every trace of a prospect's records from the undo journal (delete --forget, in
    the change that deleted them); returns how many entries. The changes that held them can no
    longer be undone: they are marked, and their command lines (which may name them) blanked.

    Their rows are those the deleting change removed or handed over (its entries), and rows
    of theirs deleted earlier (whose images name them, or name their touches and steps)."""
    import json

    from ..db import on_team

    if on_team(con):  # a team database's journal is the database's
        # to write: it erases them itself, from the seller's own changes
        from ..pgwrite import CHANGE

        change = con.raw.execute(f"SELECT current_setting('{CHANGE}')").fetchone()[0]
        return con.raw.execute("SELECT relcrm_forget(%s, %s)",
                               (int(change), [prospect_id])).fetchone()[0]
    from ..journal import OPEN

    rows: dict[str, set[int]] = {}
    for table, row_id in con.execute(f"SELECT tbl, row_id FROM _journal WHERE change_id = "
                                     f"{OPEN}"):
        rows.setdefault(table, set()).add(row_id)
    # they, and the records merged into them earlier (an alias's id was a person's)
    people = {prospect_id} | rows.get("prospect_alias", set())
    rows.setdefault("prospect", set()).update(people)
    for table in ("touch", "step", "contact", "stage_change", "qualification", "tag",
                  "prospect_role", "touch_person", "step_person", "deal_person"):
        for pid in people:
            rows.setdefault(table, set()).update(r[0] for r in con.execute(
                "SELECT row_id FROM _journal WHERE tbl = ? AND op = 'delete' AND "
                "json_extract(old, '$.prospect_id') = ?", (table, pid)))
    clauses = [f"(tbl = '{table}' AND row_id IN (SELECT value FROM json_each('"
               f"{json.dumps(sorted(ids))}')))" for table, ids in rows.items() if ids]
    clauses += [f"(op = 'delete' AND json_extract(old, '$.prospect_id') IN (SELECT value FROM "
                f"json_each('{json.dumps(sorted(people))}')))",
                "(tbl = 'call_note' AND op = 'delete' AND json_extract(old, '$.touch_id') IN "
                f"(SELECT value FROM json_each('{json.dumps(sorted(rows['touch']))}')))",
                "(tbl = 'step_change' AND op = 'delete' AND json_extract(old, '$.step_id') IN "
                f"(SELECT value FROM json_each('{json.dumps(sorted(rows['step']))}')))"]
    where = " OR ".join(clauses)
    params = {"pid": prospect_id}
    # the changes that held them cannot be undone any more (nor those before them: undo
    # refuses at the first), and their command lines, which may name them, are blanked
    con.execute(f"UPDATE _change SET command = '(a command about an erased person)', "
                f"note = 'it was about an erased person' "
                f"WHERE id IN (SELECT change_id FROM _journal WHERE {where}) OR id = {OPEN}",
                params)
    return con.execute(f"DELETE FROM _journal WHERE {where}", params).rowcount


def backups_holding(book, prospect: dict) -> list[str]:
    """Backup files beside the book that still hold the person (by name, email or phone)."""
    from pathlib import Path

    from ..db import read_only, real_path
    from ..files import is_sqlite

    real = real_path(Path(book))
    candidates = sorted((real.parent / "backups").glob("*.db")) if \
        (real.parent / "backups").is_dir() else []
    candidates += sorted(real.parent.glob(f"{real.name}.bak-*"))
    candidates += sorted(real.parent.glob(f"{real.name}.before-restore-*"))
    found = []
    for path in candidates:
        if not is_sqlite(path):
            continue
        try:
            con = read_only(path)
            try:
                hit = con.execute(
                    "SELECT 1 FROM prospect WHERE name = ? OR (email IS NOT NULL AND "
                    "email = ?) OR (phone IS NOT NULL AND phone = ?) LIMIT 1",
                    (prospect["name"], prospect.get("email"), prospect.get("phone"))).fetchone()
            finally:
                con.close()
        except sqlite3.Error:
            continue
        if hit:
            found.append(str(path))
    return found


def delete_account(session: "Session", ref: str) -> tuple[int, str, dict[str, int]]:
    """Remove an account that has no people (its criteria, KAM history and steps go with
    it); returns (id, name, counts)."""
    from .accounts import resolve

    account = resolve(session, ref)
    con = session_con(session)
    people = con.execute("SELECT id, name FROM prospect WHERE account_id = ? ORDER BY name_key "
                         "LIMIT 6", (account.id,)).fetchall()
    if people:
        shown = ", ".join(f"#{i} {n}" for i, n in people[:5]) + (" ..." if len(people) > 5
                                                                else "")
        raise UsageError(_("{account} still has people: {people}; move them (relcrm edit "
                           "REF --company NAME), delete them, or merge the account into "
                           "another (relcrm account merge)").format(account=account.name,
                                                                    people=shown))
    counts = {table: con.execute(f"SELECT count(*) FROM {table} WHERE account_id = ?",
                                 (account.id,)).fetchone()[0]
              for table in ("account_criterion", "kam_change", "step")}
    name, account_id = account.name, account.id
    con.execute("DELETE FROM account WHERE id = ?", (account_id,))
    session.expunge(account)
    return account_id, name, counts


# -- merge -----------------------------------------------------------------------------------
MERGED_FIELDS = ("company", "title", "url", "source", "cadence_days")


def _field(prospect, name: str):
    if name == "value":
        return None if prospect.value_milli is None else (prospect.value_milli,
                                                          prospect.value_currency)
    return getattr(prospect, name)


def _set_field(prospect, name: str, value) -> None:
    if name == "value":
        prospect.value_milli, prospect.value_currency = value or (None, None)
    else:
        setattr(prospect, name, value)
        if name == "url":
            from ..identity import url_key

            prospect.url_key = url_key(value) if value else None


def _shown(name: str, value) -> str:
    if name == "value":
        from .. import money

        return money.format(money.Amount(*value), symbol=True)
    return str(value)


@dataclass
class Merged:
    source_id: int
    source_name: str
    target_id: int
    target_name: str
    moved: dict[str, int] = field(default_factory=dict)  # table -> rows moved
    filled: list[str] = field(default_factory=list)  # fields taken from the source
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)  # field, kept, other


def merge(session: "Session", source_ref: str, target_ref: str,
          prefer_source: bool = False) -> Merged:
    """Fold SOURCE into TARGET, two records of one person: all history moves, empty fields are
    filled from the source, tags and roles are united, notes are kept both; a field both have
    with different values is a conflict: the target's value stays (the source's with
    prefer_source), and it is reported. The source's id stays an alias of the target."""
    from ..models import Prospect, ProspectAlias
    from . import accounts
    from .prospects import _keys, resolve

    source, target = resolve(session, source_ref), resolve(session, target_ref)
    if source.id == target.id:
        raise UsageError(_("{source!r} and {target!r} are the same prospect (#{id} {name}); "
                           "give two different records").format(
            source=source_ref, target=target_ref, id=target.id, name=target.name))
    con = session_con(session)
    result = Merged(source.id, source.name, target.id, target.name)
    for name in MERGED_FIELDS:
        mine, theirs = _field(target, name), _field(source, name)
        if theirs in (None, ""):
            continue
        if mine in (None, ""):
            _set_field(target, name, theirs)
            result.filled.append(name)
        elif mine != theirs:
            if prefer_source:
                _set_field(target, name, theirs)
                result.conflicts.append((name, _shown(name, theirs), _shown(name, mine)))
            else:
                result.conflicts.append((name, _shown(name, mine), _shown(name, theirs)))
    if source.note and source.note != target.note:
        joined = "\n".join(n for n in (target.note, source.note) if n)
        target.note = fields.text("note", joined) if len(joined) <= fields.MAX_TEXT else \
            _too_long(joined)
        result.filled.append("note")
    if "company" in result.filled or (prefer_source and any(
            c[0] == "company" for c in result.conflicts)):
        accounts.link(session, target)
    target.updated_at = dates.iso(dates.now())
    _keys(target)
    session.flush()
    pid, tid = source.id, target.id
    params = {"source": pid, "target": tid}
    label = f"(from #{pid} {source.name})"

    def moved(table: str, sql: str, extra: dict | None = None) -> None:
        count = con.execute(sql, {**params, **(extra or {})}).rowcount
        if count:
            result.moved[table] = result.moved.get(table, 0) + count

    offset = con.execute("SELECT coalesce(max(seq), 0) FROM (SELECT seq FROM touch WHERE "
                         "prospect_id = :target UNION ALL SELECT seq FROM stage_change WHERE "
                         "prospect_id = :target UNION ALL SELECT seq FROM qualification WHERE "
                         "prospect_id = :target)", params).fetchone()[0]
    # a touch with both: the source's link goes; a touch of the source with the target: the
    # target owns it now
    con.execute("DELETE FROM touch_person WHERE prospect_id = :source AND touch_id IN "
                "(SELECT id FROM touch WHERE prospect_id = :target)", params)
    con.execute("DELETE FROM touch_person WHERE prospect_id = :target AND touch_id IN "
                "(SELECT id FROM touch WHERE prospect_id = :source)", params)
    con.execute("DELETE FROM touch_person WHERE prospect_id = :source AND touch_id IN "
                "(SELECT touch_id FROM touch_person WHERE prospect_id = :target)", params)
    moved("touch", "UPDATE touch SET prospect_id = :target, seq = seq + :offset "
          "WHERE prospect_id = :source", {"offset": offset})
    moved("touch_person", "UPDATE touch_person SET prospect_id = :target "
          "WHERE prospect_id = :source")
    moved("stage_change", "UPDATE stage_change SET prospect_id = :target, seq = seq + :offset, "
          "reason = coalesce(reason || ' ', '') || :label WHERE prospect_id = :source",
          {"offset": offset, "label": label})
    moved("qualification", "UPDATE qualification SET prospect_id = :target, "
          "seq = seq + :offset WHERE prospect_id = :source", {"offset": offset})
    moved("tag", "INSERT OR IGNORE INTO tag (prospect_id, name) SELECT :target, name FROM tag "
          "WHERE prospect_id = :source")
    moved("prospect_role", "INSERT OR IGNORE INTO prospect_role (prospect_id, role) "
          "SELECT :target, role FROM prospect_role WHERE prospect_id = :source")
    moved("step", "UPDATE step SET prospect_id = :target WHERE prospect_id = :source")
    moved("deal_person", "INSERT OR IGNORE INTO deal_person (deal_id, prospect_id) "
          "SELECT deal_id, :target FROM deal_person WHERE prospect_id = :source")
    # emails and phones are united: the source's come after the target's (one both have
    # stays the target's)
    moved("contact", "UPDATE contact SET prospect_id = :target, position = position + "
          "(SELECT coalesce(max(position), 0) FROM contact c WHERE c.prospect_id = :target) "
          "WHERE prospect_id = :source AND NOT EXISTS (SELECT 1 FROM contact c WHERE "
          "c.prospect_id = :target AND c.kind = contact.kind AND c.key = contact.key)")
    con.execute("DELETE FROM step_person WHERE prospect_id = :source AND step_id IN "
                "(SELECT step_id FROM step_person WHERE prospect_id = :target)", params)
    moved("step_person", "UPDATE step_person SET prospect_id = :target "
          "WHERE prospect_id = :source")
    # the stage: the target's stays (the source's with prefer_source), whichever record's
    # stage changes are the latest; a stage change says so when the history alone would not
    wanted, other = ((source.stage, target.stage) if prefer_source
                     else (target.stage, source.stage))
    if wanted != other:
        result.conflicts.append(("stage", wanted, other))
    latest = con.execute("SELECT to_stage, seq FROM stage_change WHERE prospect_id = :target "
                         "ORDER BY at DESC, seq DESC LIMIT 1", params).fetchone()
    if latest is not None and latest[0] != wanted:
        seq = con.execute(SEQ_SQL, {"id": tid}).fetchone()[0]
        con.execute("INSERT INTO stage_change (prospect_id, at, from_stage, to_stage, reason, "
                    "seq) VALUES (?, ?, ?, ?, ?, ?)",
                    (tid, dates.iso(dates.now()), latest[0], wanted,
                     f"merge: kept the stage of #{pid if prefer_source else tid}", seq))
    con.execute("UPDATE prospect_alias SET prospect_id = :target WHERE prospect_id = :source",
                params)
    from ..db import on_team

    if on_team(con):  # a team database gives no seller an id to
        # write: the database keeps the old id for the seller's own merged person
        con.execute("SELECT relcrm_merged(?, ?, ?, ?)",
                    (pid, tid, source.name, dates.iso(dates.now())))
    else:
        session.add(ProspectAlias(id=pid, prospect_id=tid, name=source.name,
                                  merged_at=dates.iso(dates.now())))
    session.flush()
    con.execute("DELETE FROM prospect WHERE id = :source", params)
    session.expunge(source)
    session.expire(target)
    _model = Prospect  # the model of both records
    return result


def _too_long(text: str) -> str:
    raise UsageError(_("the two notes together are {n:,} characters (at most {most:,}); "
                       "shorten one first (relcrm edit REF --note TEXT)").format(
        n=len(text), most=fields.MAX_TEXT))
