"""A person's emails and phones (the `contact` table): several of each, the first first.

Each is kept as typed and with the key the duplicate rule compares (identity.email_key, or the
E.164 number with its extension). The first of each kind is the prospect's `email` / `phone`,
kept so by triggers (migration 4). All functions work on the sqlite3 connection of the write
in progress (derive.session_con), so the journal records every row.
"""

from __future__ import annotations

import sqlite3

from ..errors import UsageError
from ..i18n import _

KINDS = ("email", "phone")


def listed(con: sqlite3.Connection, prospect_id: int, kind: str) -> list[tuple[str, str]]:
    """(value, key) of one kind, first first."""
    return [tuple(row) for row in con.execute(
        "SELECT value, key FROM contact WHERE prospect_id = ? AND kind = ? "
        "ORDER BY position, id", (prospect_id, kind))]


def add(con: sqlite3.Connection, prospect_id: int, kind: str,
        items: list[tuple[str, str]]) -> list[str]:
    """Add (value, key) pairs after the person's others; one they have already (same key) is
    left as it is. Returns the values added."""
    have = {key for _, key in listed(con, prospect_id, kind)}
    position = con.execute("SELECT coalesce(max(position), 0) FROM contact WHERE "
                           "prospect_id = ? AND kind = ?", (prospect_id, kind)).fetchone()[0]
    added = []
    for value, key in items:
        if key in have:
            continue
        have.add(key)
        position += 1
        con.execute("INSERT INTO contact (prospect_id, kind, value, key, position) "
                    "VALUES (?, ?, ?, ?, ?)", (prospect_id, kind, value, key, position))
        added.append(value)
    return added


def drop(con: sqlite3.Connection, prospect_id: int, kind: str, given: list[str],
         region: str = "VN") -> list[str]:
    """Remove the person's emails or phones named in `given` (as typed, or any way that has
    the same key). One they do not have is refused, naming those they have."""
    from ..identity import email_key, phone

    have = listed(con, prospect_id, kind)
    removed = []
    for text in given:
        wanted = {text.strip()}
        try:
            wanted.add(email_key(text) if kind == "email" else phone(text, region).key)
        except UsageError:
            pass
        match = next(((v, k) for v, k in have if v in wanted or k in wanted), None)
        if match is None:
            listed_ = ", ".join(v for v, _key in have)
            raise UsageError((
                (_("they have no email {value!r} to drop (their emails: {listed})")
                 if listed_ else _("they have no email {value!r} to drop (their emails: "
                                   "none)"))
                if kind == "email" else
                (_("they have no phone {value!r} to drop (their phones: {listed})")
                 if listed_ else _("they have no phone {value!r} to drop (their phones: "
                                   "none)"))).format(value=text.strip(), listed=listed_))
        have.remove(match)
        con.execute("DELETE FROM contact WHERE prospect_id = ? AND kind = ? AND key = ?",
                    (prospect_id, kind, match[1]))
        removed.append(match[0])
    return removed


def keys(con: sqlite3.Connection, prospect_id: int) -> tuple[list[str], list[str]]:
    """The person's email keys and phone keys."""
    return ([k for _, k in listed(con, prospect_id, "email")],
            [k for _, k in listed(con, prospect_id, "phone")])
