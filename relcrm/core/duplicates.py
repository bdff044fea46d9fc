"""Is this person already in the book? The rule of identity.same_person, read from the book.

`add` asks `find` before it creates anyone; imports build an identity.Index of the whole book
(`book_index`) and add each new row to it. Candidates come from indexes (contact keys, URL
keys, folded names); the rule itself is identity.same_person, never a second copy of it.
"""

from __future__ import annotations

import sqlite3
from typing import Iterable

from .. import identity
from ..i18n import N_, dynamic
from ..identity import Identity
from ..text import fold

_HOW = {"email": N_("email"), "phone": N_("phone"), "url": N_("profile URL"),
        "name and company": N_("name and company")}


def shown(how: str) -> str:
    """What matched, for people: email, phone, profile URL, name and company (in the language
    relcrm speaks)."""
    return dynamic(english(how))


def english(how: str) -> str:
    """What matched, in English: the `matched` value of an import's report (for scripts)."""
    return _HOW.get(how, how)


def of_values(name: str, company: str | None, emails: Iterable[str], phones: Iterable[str],
              url: str | None) -> Identity:
    """An identity from keys already made (contact keys, a URL as typed)."""
    return Identity(identity.name_key(name), fold(company) or None if company else None,
                    frozenset(filter(None, emails)), frozenset(filter(None, phones)),
                    frozenset(filter(None, [identity.url_key(url) if url else None])))


def _stored(con: sqlite3.Connection, ids: Iterable[int]) -> dict[int, tuple[str, Identity]]:
    out = {}
    for pid in sorted(set(ids)):
        row = con.execute("SELECT name, company, url_key FROM prospect WHERE id = ?",
                          (pid,)).fetchone()
        if row is None:
            continue
        keys: dict[str, list[str]] = {"email": [], "phone": []}
        for kind, key in con.execute("SELECT kind, key FROM contact WHERE prospect_id = ?",
                                     (pid,)):
            keys.setdefault(kind, []).append(key)
        out[pid] = (row[0], Identity(identity.name_key(row[0]),
                                     fold(row[1]) or None if row[1] else None,
                                     frozenset(keys["email"]), frozenset(keys["phone"]),
                                     frozenset([row[2]] if row[2] else [])))
    return out


def find(con: sqlite3.Connection, who: Identity, *,
         exclude: int | None = None) -> tuple[int, str, str] | None:
    """The earliest prospect in the book who is `who` by the rule: (id, name, how matched)."""
    candidates: set[int] = set()
    for kind, keys in (("email", who.emails), ("phone", who.phones)):
        for key in keys:
            candidates.update(r[0] for r in con.execute(
                "SELECT prospect_id FROM contact WHERE kind = ? AND key = ?", (kind, key)))
    for key in who.urls:
        candidates.update(r[0] for r in con.execute(
            "SELECT id FROM prospect WHERE url_key = ?", (key,)))
    if who.name_key:
        candidates.update(r[0] for r in con.execute(
            "SELECT id FROM prospect WHERE name_key = ?", (fold(who.name_key),)))
    candidates.discard(exclude)
    best = None
    order = list(_HOW)
    for pid, (name, other) in _stored(con, candidates).items():
        how = identity.same_person(who, other)
        if how is not None and (best is None or order.index(how) < order.index(best[2])):
            best = (pid, name, how)
    return best


def book_index(con: sqlite3.Connection) -> identity.Index:
    """Everyone in the book, in id order, for an import's duplicate rule (refs: book ids)."""
    index: identity.Index = identity.Index()
    keys: dict[int, dict[str, list[str]]] = {}
    for pid, kind, key in con.execute("SELECT prospect_id, kind, key FROM contact"):
        keys.setdefault(pid, {}).setdefault(kind, []).append(key)
    for pid, name, company, url_key in con.execute(
            "SELECT id, name, company, url_key FROM prospect ORDER BY id"):
        mine = keys.get(pid, {})
        index.add(Identity(identity.name_key(name), fold(company) or None if company else None,
                           frozenset(mine.get("email", ())), frozenset(mine.get("phone", ())),
                           frozenset([url_key] if url_key else ())), pid)
    return index
