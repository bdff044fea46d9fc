"""Recall: every note the book holds in one full-text index, searched without accents or case.

The index is SQLite FTS5 (`_search`, migration 6). Its text is folded (text.fold: "đổ hàng" is
"do hang"; FTS5's own diacritic removal leaves đ alone), so a query typed with or without
accents finds both. A row's rowid is its source row's id * 8 + the source's code; triggers put
every written source row in `_dirty` as ('s', rowid) and `refresh` (called by derive.settle
before each write commits) re-indexes exactly those, in the write's transaction.

Sources (code: table, what is indexed):
  0 judgement (qualification note), 1 touch (summary, commitment), 2 SPIN note, 3 step (text,
  note), 4 fact, 5 prospect (profile note), 6 account (note), 7 deal (title, note).
"""

from __future__ import annotations

import sqlite3
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable

from ..text import _EXTRA, fold


def _both(first: str, second: str) -> str:
    return f"trim(coalesce({first}, '') || coalesce(' — ' || {second}, ''), ' — ')"


# code: (source name, SQL giving (rowid, text, date) of the rows `where` picks)
_TEXT = {
    0: ("judgement", "SELECT id * 8, note, at FROM qualification WHERE {where}"),
    1: ("touch", f"SELECT id * 8 + 1, {_both('summary', 'commitment')}, at FROM touch "
                 "WHERE {where}"),
    2: ("SPIN note", "SELECT n.id * 8 + 2, n.text, t.at FROM call_note n JOIN touch t "
                     "ON t.id = n.touch_id WHERE {where}"),
    3: ("step", f"SELECT id * 8 + 3, {_both('text', 'note')}, due_at FROM step "
                "WHERE {where}"),
    4: ("fact", "SELECT id * 8 + 4, text, at FROM fact WHERE {where}"),
    5: ("profile note", "SELECT id * 8 + 5, note, note_at FROM prospect WHERE {where}"),
    6: ("account note", "SELECT id * 8 + 6, note, note_at FROM account WHERE {where}"),
    7: ("deal", f"SELECT id * 8 + 7, {_both('title', 'note')}, created_at FROM deal "
                "WHERE {where}"),
}


def _sql(code: int, where: str) -> str:
    column = "n.id" if code == 2 else "id"
    return _TEXT[code][1].replace("{where}", where.replace("id IN", f"{column} IN"))


def _index(con: sqlite3.Connection, rows: Iterable[tuple[int, str | None, str | None]]) -> None:
    con.executemany("INSERT INTO _search (rowid, body, at) VALUES (?, ?, ?)",
                    ((rowid, fold(text), at) for rowid, text, at in rows
                     if text and text.strip()))


def refresh(con: sqlite3.Connection, rowids: list[int]) -> None:
    """Re-index these source rows (deleted ones leave the index)."""
    import json

    from ..db import on_team

    if on_team(con):
        from .. import pgsearch

        return pgsearch.refresh(con, rowids)

    con.executemany("DELETE FROM _search WHERE rowid = ?", ((r,) for r in rowids))
    for code in _TEXT:
        ids = [r // 8 for r in rowids if r % 8 == code]
        if ids:
            _index(con, con.execute(_sql(code, "id IN (SELECT value FROM json_each(:ids))"),
                                    {"ids": json.dumps(ids)}))


def rebuild(con: sqlite3.Connection) -> None:
    """The whole index again from the records (migration 6, doctor --repair, bench)."""
    con.execute("DELETE FROM _search")
    for code in _TEXT:
        _index(con, con.execute(_sql(code, "1")))


def stale(con: sqlite3.Connection) -> int:
    """How many entries of the index differ from a rebuild (missing, extra or out of date):
    doctor's check. The rebuild runs in a savepoint and is rolled back."""
    before = set(con.execute("SELECT rowid, body, at FROM _search"))
    con.execute("SAVEPOINT search_check")
    try:
        rebuild(con)
        after = set(con.execute("SELECT rowid, body, at FROM _search"))
    finally:
        con.execute("ROLLBACK TO search_check")
        con.execute("RELEASE search_check")
    return len(before ^ after)


def _words(text: str) -> list[str]:
    return "".join(ch if ch.isalnum() else " " for ch in fold(text)).split()


def _query(text: str) -> str:
    """An FTS5 query from what the seller typed: each word (folded) must appear, as a word or
    the start of one; nothing in it is FTS5 syntax."""
    return " ".join('"' + w.replace('"', '""') + '"*' for w in _words(text))


@dataclass
class Hit:
    source: str
    rowid: int
    rank: float
    prospect_id: int | None = None
    name: str | None = None
    account_id: int | None = None
    account: str | None = None
    at: str | None = None
    text: str = ""
    what: str = ""  # the kind of touch, the SPIN note's kind, the step's status ...


# what a hit is about: person, account, date, original text, and a word on what it is
_DETAILS = {
    0: """SELECT q.prospect_id, p.name, p.account_id, NULL, q.at, q.note,
                 'judgement: ' || q.criterion || ' ' || q.level
          FROM qualification q JOIN prospect p ON p.id = q.prospect_id WHERE q.id = ?""",
    1: """SELECT t.prospect_id, p.name, p.account_id, NULL, t.at,
                 trim(coalesce(t.summary, '') || coalesce(' — ' || t.commitment, ''), ' — '),
                 t.kind || coalesce(' (' || t.outcome || ')', '')
          FROM touch t JOIN prospect p ON p.id = t.prospect_id WHERE t.id = ?""",
    2: """SELECT t.prospect_id, p.name, p.account_id, NULL, t.at, n.text, n.kind
          FROM call_note n JOIN touch t ON t.id = n.touch_id
          JOIN prospect p ON p.id = t.prospect_id WHERE n.id = ?""",
    3: """SELECT s.prospect_id, p.name, coalesce(s.account_id, p.account_id), NULL, s.due_at,
                 trim(coalesce(s.text, '') || coalesce(' — ' || s.note, ''), ' — '),
                 'step, ' || s.status
          FROM step s LEFT JOIN prospect p ON p.id = s.prospect_id WHERE s.id = ?""",
    4: """SELECT f.prospect_id, p.name, p.account_id, NULL, f.at, f.text, 'fact: ' || f.about
          FROM fact f JOIN prospect p ON p.id = f.prospect_id WHERE f.id = ?""",
    5: """SELECT p.id, p.name, p.account_id, NULL, p.updated_at, p.note, 'profile note'
          FROM prospect p WHERE p.id = ?""",
    6: """SELECT NULL, NULL, a.id, NULL, a.updated_at, a.note, 'account note'
          FROM account a WHERE a.id = ?""",
    7: """SELECT NULL, NULL, d.account_id, NULL, d.created_at,
                 trim(d.title || coalesce(' — ' || d.note, ''), ' — '), 'deal, ' || d.status
          FROM deal d WHERE d.id = ?""",
}


def find(con: sqlite3.Connection, text: str, limit: int = 50) -> tuple[list[Hit], int]:
    """The best `limit` hits for `text` (bm25 rank; among equals the newest first), and how
    many there are in all."""
    query = _query(text)
    if not query:
        return [], 0
    from ..db import on_team

    team = on_team(con)
    if team:  # a team database ranks as FTS5 does (pgsearch)
        from .. import pgsearch

        found = pgsearch.ranked(con, _words(text))
        total, best = len(found), iter(found)
    else:
        total = con.execute("SELECT count(*) FROM _search WHERE _search MATCH ?",
                            (query,)).fetchone()[0]
        best = con.execute("SELECT rowid, bm25(_search), at FROM _search WHERE _search MATCH ? "
                           "ORDER BY bm25(_search), at DESC, rowid DESC LIMIT ?",
                           (query, limit)).fetchall()
    hits = []
    words = _words(text)
    for rowid, rank, at in best:
        if len(hits) == limit:
            break
        code, source_id = rowid % 8, rowid // 8
        row = con.execute(_DETAILS[code], (source_id,)).fetchone()
        if row is None:  # not settled yet (a write outside relcrm): skip
            continue
        pid, name, account_id, _, _, original, what = row
        if team:  # the record itself must hold the words (an entry planted with psql does
            from ..pgsearch import tokens  # not count)
            held = tokens(fold(original or ""))
            if not all(any(t.startswith(w) for t in held) for w in words):
                total -= 1
                continue
        account = None
        if account_id is not None:
            found = con.execute("SELECT name FROM account WHERE id = ?",
                                (account_id,)).fetchone()
            account = found[0] if found else None
        hits.append(Hit(_TEXT[code][0], rowid, round(-rank, 3), pid, name, account_id,
                        account, at, original or "", what))
    return hits, total


def _fold_char(ch: str) -> str:
    """One character as fold() sees it (one character: Vietnamese letters fold one to one)."""
    base = unicodedata.normalize("NFKD", ch.translate(_EXTRA))
    kept = "".join(c for c in base if not unicodedata.combining(c)).casefold()
    return kept[:1] if kept else " "


def matches(original: str, text: str) -> list[tuple[int, int]]:
    """Where the words of the query start words of `original` (start, end), accents and case
    aside."""
    folded = "".join(_fold_char(ch) if not ch.isspace() else " " for ch in original)
    words = [w for w in "".join(ch if ch.isalnum() else " " for ch in fold(text)).split()]
    spans = []
    for word in words:
        start = 0
        while (index := folded.find(word, start)) >= 0:
            if index == 0 or not folded[index - 1].isalnum():
                spans.append((index, index + len(word)))
            start = index + 1
    merged: list[tuple[int, int]] = []
    for begin, end in sorted(spans):  # two words found at one place: the longer shows
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((begin, end))
    return merged


def snippet(original: str, text: str, width: int = 80) -> tuple[str, list[tuple[int, int]]]:
    """A window of `original` around its first match, on one line, and the matches in it."""
    flat = " ".join(original.split())
    spans = matches(flat, text)
    if len(flat) <= width or not spans:
        return flat[:width] + ("…" if len(flat) > width else ""), [
            s for s in spans if s[1] <= width]
    first = spans[0][0]
    start = max(0, min(first - width // 3, len(flat) - width))
    end = start + width
    shown = ("…" if start else "") + flat[start:end] + ("…" if end < len(flat) else "")
    shift = start - (1 if start else 0)
    return shown, [(a - shift, b - shift) for a, b in spans if a >= start and b <= end]


def as_rows(hits: list[Hit], text: str) -> list[dict[str, Any]]:
    rows = []
    for hit in hits:
        shown, _ = snippet(hit.text, text)
        rows.append({"source": hit.source, "what": hit.what, "at": hit.at,
                     "prospect_id": hit.prospect_id, "prospect": hit.name,
                     "account_id": hit.account_id, "account": hit.account, "snippet": shown,
                     "text": hit.text, "rank": hit.rank})
    return rows
