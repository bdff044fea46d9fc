"""The change journal behind `relcrm undo`: the database records every write itself.

Each write command opens a change at the start of its transaction (a row of `_change` with
open = 1: when, the command line). Triggers on every table of the registry (registry.TABLES)
then record each row they insert, update or delete into `_journal` under that change, as
little as undoing needs: an insert, only its rowid (undo deletes the row); an update, the
columns it changed, before (old) and after (new), as JSON; a delete, the whole row before. An
update of a row the same change inserted is not recorded at all (undo deletes the row anyway),
so an import of 20,000 people costs a few bytes per row, not an image of each. No command has
to remember to log anything, and a table added later is covered as soon as `install()` runs
(after every migration): the triggers are generated from the live schema. Before the command
commits, its change is closed with a one-line summary ("added 1 touch; changed 1 step"); a
command that changed nothing leaves no change behind.

`undo()` reverts the latest change that is not undone yet, in one transaction and without
journaling itself: each row is put back as it was, in reverse order. It first checks that every
row the change left is still as the change left it (a row it added is there, a row it deleted
is not, the columns it changed hold what it wrote; always so, unless something outside
relcrm wrote to the book, or a restore replaced it): otherwise it refuses instead of guessing.
Undone changes stay listed (`undo --list`); only the last `undo.keep` changes are kept. Writes
that are not a seller's command (migrations, restore, doctor --repair, undo itself) open no
change and are not journaled. The journal is cleared by an upgrade (its images follow the
schema they were written under).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from . import dates
from .errors import NotFound, UsageError
from .i18n import _, dynamic
from .registry import BY_TABLE, TABLES

OPEN = "(SELECT id FROM _change WHERE open = 1)"
# derived columns: a change of them alone is not worth a line in a summary
def _derived() -> dict[str, tuple[str, ...]]:
    from .core.derive import DERIVED

    return DERIVED


def _columns(con: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in con.execute(f"PRAGMA table_info({table})")]


def _image(columns: list[str], ref: str) -> str:
    return "json_object(" + ", ".join(f"'{c}', {ref}.{c}" for c in columns) + ")"


def _changed(columns: list[str], ref: str) -> str:
    """The columns an update changed, with their values in `ref` (OLD or NEW), as JSON."""
    parts = " UNION ALL ".join(f"SELECT '{c}' AS k, {ref}.{c} AS v WHERE OLD.{c} IS NOT NEW.{c}"
                               for c in columns)
    return f"(SELECT json_group_object(k, v) FROM ({parts}))"


def install(con: sqlite3.Connection) -> None:
    """(Re)create the journal triggers of every registered table from the live schema."""
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                               "AND name LIKE 'journal\\_%' ESCAPE '\\'").fetchall():
        con.execute(f"DROP TRIGGER {name}")
    for table in TABLES:
        columns = _columns(con, table)
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
        fresh = (f"EXISTS (SELECT 1 FROM _journal WHERE change_id = {OPEN} AND tbl = '{table}' "
                 f"AND row_id = NEW.rowid AND op = 'insert')")
        for op, when, row_id, old, new in (
                ("insert", "", "NEW.rowid", "NULL", "NULL"),
                ("update", f" AND ({changed}) AND NOT {fresh}", "NEW.rowid",
                 _changed(columns, "OLD"), _changed(columns, "NEW")),
                ("delete", "", "OLD.rowid", _image(columns, "OLD"), "NULL")):
            con.execute(
                f"CREATE TRIGGER journal_{table}_{op} AFTER {op.upper()} ON {table} "
                f"WHEN EXISTS (SELECT 1 FROM _change WHERE open = 1){when} BEGIN "
                f"INSERT INTO _journal (change_id, tbl, op, row_id, old, new) "
                f"VALUES ({OPEN}, '{table}', '{op}', {row_id}, {old}, {new}); END")


def clear(con: sqlite3.Connection) -> None:
    con.execute("DELETE FROM _journal")
    con.execute("DELETE FROM _change")


def keep(con: sqlite3.Connection) -> int:
    from . import settings

    return int(settings.get(con, "undo.keep"))


def begin(con: sqlite3.Connection, command: str) -> int:
    """Open a change for the write that starts (in its transaction); old ones beyond undo.keep
    are forgotten."""
    limit = keep(con)
    con.execute("DELETE FROM _journal WHERE change_id IN (SELECT id FROM _change "
                "ORDER BY id DESC LIMIT -1 OFFSET :keep)", {"keep": limit - 1})
    con.execute("DELETE FROM _change WHERE id IN (SELECT id FROM _change ORDER BY id DESC "
                "LIMIT -1 OFFSET :keep)", {"keep": limit - 1})
    con.execute("UPDATE _change SET open = 0 WHERE open = 1")  # never two open at once
    return con.execute("INSERT INTO _change (at, command, open) VALUES (?, ?, 1)",
                       (dates.iso(dates.now()), command)).lastrowid


def end(con: sqlite3.Connection) -> None:
    """Close the open change with its summary, or drop it when the write changed nothing."""
    row = con.execute(f"SELECT {OPEN}").fetchone()
    if row is None or row[0] is None:
        return
    change = row[0]
    text = summary(con, change)
    if text is None:
        # nothing the seller typed changed (at most updated_at and derived values): the
        # book is put back exactly as it was, so that no change is left behind (and the one
        # before stays undoable)
        con.execute("UPDATE _change SET open = 0 WHERE id = ?", (change,))
        entries = con.execute("SELECT tbl, op, row_id, old, new FROM _journal WHERE "
                              "change_id = ? ORDER BY id", (change,)).fetchall()
        if entries:
            _revert(con, entries, {t: _columns(con, t) for t in {e[0] for e in entries}})
            con.execute("DELETE FROM _dirty")
            con.execute("DELETE FROM _journal WHERE change_id = ?", (change,))
        con.execute("DELETE FROM _change WHERE id = ?", (change,))
        return
    con.execute("UPDATE _change SET open = 0, summary = ? WHERE id = ?", (text, change))


def summary(con: sqlite3.Connection, change: int) -> str | None:
    """'added 1 touch; changed 1 step, 1 prospect' (changes of derived values alone, or of
    updated_at, are not counted)."""
    rows: dict[str, dict[str, set[int]]] = {}  # each row counted once per kind of change
    for table, op, row_id, old, new in con.execute(
            "SELECT tbl, op, row_id, old, new FROM _journal WHERE change_id = ? ORDER BY id",
            (change,)):
        if op == "update" and not _facts_differ(table, old, new):
            continue
        # a seller's own setting (team database: seller_setting) is a setting
        table = "setting" if table == "seller_setting" else table
        rows.setdefault(op, {}).setdefault(table, set()).add(row_id)
    counts = {op: {table: len(ids) for table, ids in tables.items()}
              for op, tables in rows.items()}
    if not counts:
        return None
    parts = []
    for op, verb in (("insert", "added"), ("update", "changed"), ("delete", "deleted")):
        if op in counts:
            from .registry import stored_noun  # stored in the book: English, as every record

            parts.append(verb + " " + ", ".join(stored_noun(t, n)
                                                for t, n in counts[op].items()))
    return "; ".join(parts)


def summary_shown(text: str | None) -> str | None:
    """A stored summary ('added 1 touch; changed 1 step, 2 prospects', English in the book)
    in the language relcrm speaks: read back into its counts and said again."""
    from .i18n import _, current

    if not text or current() == "en":
        return text
    from .registry import BY_TABLE, noun

    names = {}
    for table, entity in BY_TABLE.items():
        names[entity.one], names[entity.many] = table, table
    verbs = {"added": _("added {records}"), "changed": _("changed {records}"),
             "deleted": _("deleted {records}")}
    said = []
    for part in text.split("; "):
        verb, _space, rest = part.partition(" ")
        records = []
        for item in rest.split(", "):
            count, _space, name = item.partition(" ")
            if verb not in verbs or name not in names or not count.replace(",", "").isdigit():
                return text  # not a summary relcrm wrote: shown as it is
            records.append(noun(names[name], int(count.replace(",", ""))))
        said.append(verbs[verb].format(records=", ".join(records)))
    return "; ".join(said)


def _facts_differ(table: str, old: str, new: str) -> bool:
    derived = set(_derived().get(table, ())) | {"updated_at"}
    return any(k not in derived for k in json.loads(old))


@dataclass
class Change:
    id: int
    at: str
    command: str
    summary: str | None
    undone_at: str | None
    note: str | None = None


def recent(con: sqlite3.Connection, limit: int = 100) -> list[Change]:
    return [Change(*row) for row in con.execute(
        "SELECT id, at, command, summary, undone_at, note FROM _change WHERE open = 0 "
        "ORDER BY id DESC LIMIT ?", (limit,))]


def undo(con: sqlite3.Connection) -> Change:
    """Revert the latest change not undone yet (in the caller's transaction, which must not
    have a change open). Raises NotFound when there is nothing to undo, UsageError when a row
    it left was changed since (nothing is undone then)."""
    row = con.execute("SELECT id, at, command, summary, undone_at, note FROM _change "
                      "WHERE open = 0 AND undone_at IS NULL ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        raise NotFound(_("nothing to undo (the journal keeps the last {n} changes; see them "
                         "with relcrm undo --list)").format(n=keep(con)))
    change = Change(*row)
    if change.note:  # about an erased person: it, and so everything before it, stays
        raise UsageError(_("cannot undo change #{id}: {note}; the changes before it cannot be "
                           "undone either (they would take its rows with them)").format(
            id=change.id, note=change.note))
    from .db import on_team

    if on_team(con):  # a team database (the seller's own changes only: their policy)
        from . import pgwrite

        return pgwrite.undo(con, change)
    entries = con.execute("SELECT tbl, op, row_id, old, new FROM _journal WHERE change_id = ? "
                          "ORDER BY id", (change.id,)).fetchall()
    columns = {table: _columns(con, table) for table in {e[0] for e in entries}}
    # what the change left: each row there or not, and the values it wrote last
    left: dict[tuple[str, int], dict | None] = {}
    for table, op, row_id, old, new in entries:
        key = (table, row_id)
        if op == "delete":
            left[key] = None
        elif op == "insert":
            left[key] = {}
        else:
            left[key] = {**(left.get(key) or {}), **json.loads(new)}
    for (table, row_id), wrote in left.items():
        found = con.execute(f"SELECT {_image(columns[table], table)} FROM {table} "
                            f"WHERE rowid = ?", (row_id,)).fetchone()
        current = json.loads(found[0]) if found else None
        if (current is None) != (wrote is None) or any(
                current.get(c) != v for c, v in (wrote or {}).items()):
            entity = BY_TABLE[table]
            raise UsageError(_("cannot undo change #{id} ({command}): {record} #{row} was "
                               "changed since, outside relcrm's commands (another program, or "
                               "a restore); nothing was undone").format(
                id=change.id, command=change.command, record=dynamic(entity.one), row=row_id))
    _revert(con, entries, columns)
    con.execute("DELETE FROM _journal WHERE change_id = ?", (change.id,))
    change.undone_at = dates.iso(dates.now())
    con.execute("UPDATE _change SET undone_at = ? WHERE id = ?", (change.undone_at, change.id))
    return change


def _revert(con: sqlite3.Connection, entries: list, columns: dict[str, list[str]]) -> None:
    """Put every row of a change's entries back as it was, newest first."""
    con.execute("PRAGMA defer_foreign_keys = ON")
    touched_settings = False
    for table, op, row_id, old, new in reversed(entries):
        cols = columns[table]
        if op == "insert":
            con.execute(f"DELETE FROM {table} WHERE rowid = ?", (row_id,))
        elif op == "update":
            assignments = ", ".join(f"{c} = json_extract(:old, '$.{c}')"
                                    for c in json.loads(old) if c in cols)
            if assignments:
                con.execute(f"UPDATE {table} SET {assignments} WHERE rowid = :row",
                            {"old": old, "row": row_id})
        else:
            values = ", ".join(f"json_extract(:old, '$.{c}')" for c in cols)
            con.execute(f"INSERT INTO {table} (rowid, {', '.join(cols)}) "
                        f"VALUES (:row, {values})", {"old": old, "row": row_id})
        touched_settings = touched_settings or table == "setting"
    if touched_settings:
        from . import workdays

        workdays.rebuild(con)
