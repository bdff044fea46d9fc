"""Setting the book's settings (settings.py declares them): one write, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import settings
from .derive import session_con

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass
class Changed:
    key: str
    before: str
    after: str
    followups: bool  # follow-up dates were recomputed


def set_value(session: "Session", key: str, value: str | None) -> Changed:
    """Set a setting (None: back to its default). Days off are rebuilt when the working days
    or the country change; the follow-up dates follow in the same transaction (settle)."""
    from .. import workdays

    setting = settings.find(key)
    new = setting.default if value is None else setting.parse(value)
    con = session_con(session)
    table = settings.table_of(con, setting.key)
    row = con.execute(f"SELECT value FROM {table} WHERE key = ?", (setting.key,)).fetchone()
    before = row[0] if row is not None else setting.default  # as stored, even if broken
    if value is None:
        con.execute(f"DELETE FROM {table} WHERE key = ?", (setting.key,))
    else:
        store(con, setting.key, new)
    if setting.key in ("workdays", "country"):
        workdays.rebuild(con)
    return Changed(setting.key, before, new, setting.followups and before != new)


def store(con, key: str, value: str) -> None:
    """Set a setting's row (an UPDATE, else an INSERT: an upsert would turn the _dirty
    triggers' INSERT OR IGNORE into a failing insert)."""
    table = settings.table_of(con, key)  # a seller's own, on a team database
    if not con.execute(f"UPDATE {table} SET value = ? WHERE key = ?", (value, key)).rowcount:
        con.execute(f"INSERT INTO {table} (key, value) VALUES (?, ?)", (key, value))
