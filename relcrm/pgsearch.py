"""`search` on a team database: the same index, the same hits, the same order as on a book file.

A book file searches with SQLite's FTS5. PostgreSQL's full-text search ranks differently (and
stems words, which a folded Vietnamese note does not want), so a team database keeps the same
index in a plain table, `_search` (rowid, body, at, size), filled by the same code
(core/search.py: the same sources, the same folding) when the same triggers mark what a write
changed, and ranks the hits itself with FTS5's own formula, Okapi BM25 as fts5_aux.c computes
it (k1 = 1.2, b = 0.75, an idf below zero counted as 1e-6). Each word of the query is a prefix,
as FTS5's `"word"*` is: a row matches when every word starts one of its tokens, which are the
runs of letters and digits of its folded text (FTS5's unicode61 tokenizer).

What a seller finds is what row-level security shows them: an entry of the index is visible
when the record it indexes is (the policies of `_search` ask the source table), so the counts
BM25 uses are those of the seller's own notes and the shared ones.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

K1, B = 1.2, 0.75

# code -> (table, its id column in core.search's SQL): what an entry of the index stands for
SOURCES = {0: "qualification", 1: "touch", 2: "call_note", 3: "step", 4: "fact",
           5: "prospect", 6: "account", 7: "deal"}


_TOKEN = re.compile(r"[^\W_]+")  # letters and digits (str.isalnum), not the underscore


def tokens(body: str) -> list[str]:
    """The tokens FTS5's unicode61 tokenizer makes of a folded text: runs of letters and
    digits (and of private-use characters, which it counts as letters too)."""
    if body.isascii():
        return _TOKEN.findall(body)
    out, current = [], []
    for ch in body:
        kind = unicodedata.category(ch)
        if kind[0] in "LN" or kind == "Co":
            current.append(ch)
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out


def visible(ref: str = "_search") -> str:
    """The policy of `_search`: an entry is seen (and written) by whoever sees its record."""
    cases = " ".join(f"WHEN {code} THEN EXISTS (SELECT 1 FROM {table} s WHERE s.id = "
                     f"{ref}.rowid / 8)" for code, table in SOURCES.items())
    return f"(CASE {ref}.rowid % 8 {cases} ELSE false END)"


def _owner() -> str:
    """Whose an entry is: its record's seller (the owner's view), none for an account note."""
    cases = " ".join(
        f"WHEN {code} THEN (SELECT {column} FROM {table} s{join} WHERE s.id = NEW.rowid / 8)"
        for code, (table, column, join) in {
            0: ("qualification", "p.seller", " JOIN prospect p ON p.id = s.prospect_id"),
            1: ("touch", "s.seller", ""),
            2: ("call_note", "t.seller", " JOIN touch t ON t.id = s.touch_id"),
            3: ("step", "s.seller", ""),
            4: ("fact", "p.seller", " JOIN prospect p ON p.id = s.prospect_id"),
            5: ("prospect", "s.seller", ""),
            7: ("deal", "s.seller", "")}.items())
    return f"CASE NEW.rowid % 8 {cases} END"


def statements(seller: str, manager: str) -> list[str]:
    """The index, its policies and the trigger that says whose each entry is. Reading asks
    the entry's `seller` (a search counts every entry the seller may read: asking each
    record's policy took 1.5 s on 200,000 notes); writing asks the record itself."""
    both = f"{seller}, {manager}"
    return [
        'CREATE TABLE IF NOT EXISTS _search (rowid BIGINT PRIMARY KEY, body TEXT COLLATE "C" '
        'NOT NULL, at TEXT COLLATE "C", size BIGINT NOT NULL)',
        'ALTER TABLE _search ADD COLUMN IF NOT EXISTS seller TEXT COLLATE "C"',
        "CREATE OR REPLACE FUNCTION relcrm_search_owner() RETURNS trigger LANGUAGE plpgsql "
        # (a seller may not write `seller`: one given comes from the administrator)
        "SECURITY DEFINER SET search_path = public, pg_temp AS $$ BEGIN IF NEW.seller IS NULL "
        f"THEN NEW.seller := {_owner()}; END IF; RETURN NEW; END $$",
        "REVOKE ALL ON FUNCTION relcrm_search_owner() FROM PUBLIC",
        "DROP TRIGGER IF EXISTS search_owner ON _search",
        "CREATE TRIGGER search_owner BEFORE INSERT ON _search FOR EACH ROW EXECUTE FUNCTION "
        "relcrm_search_owner()",
        f"GRANT SELECT, INSERT (rowid, body, at, size), DELETE ON _search TO {both}",
        "ALTER TABLE _search ENABLE ROW LEVEL SECURITY",
        *(f"DROP POLICY IF EXISTS {name} ON _search"
          for name in ("seen", "team_seen", "added", "dropped")),
        f"CREATE POLICY seen ON _search FOR SELECT TO {seller} USING (seller IS NULL OR "
        f"seller = current_user)",
        f"CREATE POLICY team_seen ON _search FOR SELECT TO {manager} USING (seller IS NULL OR "
        f"seller = current_user OR current_setting('relcrm.team', true) = 'on')",
        f"CREATE POLICY added ON _search FOR INSERT TO {both} WITH CHECK {visible()}",
        f"CREATE POLICY dropped ON _search FOR DELETE TO {both} USING {visible()}",
        # the entry of a record deleted is no one's to see: the database drops it (a deleted
        # or erased note leaves no words behind)
        "CREATE OR REPLACE FUNCTION relcrm_unindex(rowids bigint[]) RETURNS void LANGUAGE sql "
        "SECURITY DEFINER SET search_path = public, pg_temp AS $$ DELETE FROM _search x "
        f"WHERE x.rowid = ANY(rowids) AND NOT {visible('x')} $$",
        "REVOKE ALL ON FUNCTION relcrm_unindex(bigint[]) FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION relcrm_unindex(bigint[]) TO {both}",
    ]


def _index(con: Any, rows: Any, chunk: int = 5000, seller: str | None = None) -> None:
    """Index rows of (rowid, text, date): one INSERT per 5,000 (arrays unnested), so that a
    book moved in is indexed in seconds, with the policies checked as for any insert. The
    administrator moving a seller's book in says whose the entries are (`seller`: the
    trigger that asks each record would take 8 s more on 200,000 notes)."""
    from .text import fold

    values = []
    for rowid, text, at in rows:
        if text and text.strip():
            body = fold(text)
            values.append((rowid, body, at, len(tokens(body)),
                           None if seller is None or rowid % 8 == 6 else seller))
    for start in range(0, len(values), chunk):
        part = [list(column) for column in zip(*values[start:start + chunk])]
        if seller is None:
            con.raw.execute("INSERT INTO _search (rowid, body, at, size) SELECT * FROM unnest("
                            "%s::bigint[], %s::text[], %s::text[], %s::bigint[])", part[:4])
        else:
            con.raw.execute("INSERT INTO _search (rowid, body, at, size, seller) SELECT * FROM "
                            "unnest(%s::bigint[], %s::text[], %s::text[], %s::bigint[], "
                            "%s::text[])", part)


def refresh(con: Any, rowids: list[int]) -> None:
    """core.search.refresh on a team database (settle calls it with a write's marks)."""
    import json

    from .core.search import _TEXT, _sql

    con.raw.execute("DELETE FROM _search WHERE rowid = ANY(%s)", (rowids,))
    con.raw.execute("SELECT relcrm_unindex(%s)", (rowids,))
    for code in _TEXT:
        ids = [r // 8 for r in rowids if r % 8 == code]
        if ids:
            _index(con, con.execute(_sql(code, "id IN (SELECT value FROM json_each(:ids))"),
                                    {"ids": json.dumps(ids)}).fetchall())


def index_missing(con: Any, seller: str | None = None) -> None:
    """Index every record the index lacks (a book moved in, a team database made before the
    index): in the caller's transaction, of what the caller may read. `seller`: whose they
    all are (the administrator moving one seller's book in)."""
    from .core.search import _TEXT

    for code, (_name, sql) in _TEXT.items():
        column = "n.id" if code == 2 else "id"
        where = (f"NOT EXISTS (SELECT 1 FROM _search x WHERE x.rowid = {column} * 8 + {code})")
        _index(con, con.execute(sql.replace("{where}", where)).fetchall(), seller=seller)


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def ranked(con: Any, words: list[str]) -> list[tuple[int, float, str | None]]:
    """(rowid, bm25, at) of every entry holding each word as the start of a token, best (the
    lowest bm25, as FTS5 gives it) first, then the newest, then the latest rowid.

    A folded text is almost always ASCII: there a token is a run of [a-z0-9], and PostgreSQL
    finds and counts the words' tokens itself (LIKE first, then a regular expression anchored
    at a token's start). The few texts with other letters are tokenized here, as FTS5 does."""
    unique = sorted(set(words))
    count, total = con.raw.execute("SELECT count(*), coalesce(sum(size), 0) FROM _search"
                                   ).fetchone()
    if not count:
        return []
    average = max(float(total) / count, 1.0)
    hits = dict.fromkeys(unique, 0)
    frequencies: list[tuple[int, str | None, int, dict[str, int]]] = []
    # one pass over the index (a materialized CTE): the entries holding any word, counted for
    # each word in PostgreSQL where the text is ASCII (a regular expression anchored at a
    # token's start), returned whole where it is not (tokenized here); the first row holds
    # how many entries have each word, the others the entries that have them all
    plain = all(w.isascii() for w in unique)  # (a word typed in another script: all by hand)
    ascii_ = "octet_length(body) = char_length(body)"
    starts = ["(^|[^a-z0-9])" + w for w in unique] if plain else []
    counted = "".join(f", CASE WHEN ascii THEN regexp_count(body, %s) ELSE 0 END AS f{i}"
                      for i in range(len(starts)))
    columns = "".join(f", f{i}" for i in range(len(starts)))
    sql = (f"WITH m AS MATERIALIZED (SELECT rowid, at, size, body, {ascii_} AS ascii FROM "
           "_search WHERE " + " OR ".join(["body LIKE %s"] * len(unique)) + "), "
           f"c AS MATERIALIZED (SELECT rowid, at, size, ascii, body{counted} FROM m) "
           "SELECT NULL, NULL, NULL, NULL" + "".join(
               f", count(*) FILTER (WHERE ascii AND f{i} > 0)" for i in range(len(starts)))
           + " FROM c UNION ALL "
           f"SELECT rowid, at, size, CASE WHEN ascii THEN NULL ELSE body END{columns} FROM c "
           "WHERE " + ("NOT ascii OR (" + " AND ".join(f"f{i} > 0" for i in range(len(starts)))
                       + ")" if starts else "true"))
    rows = con.raw.execute(sql, [_like(w) for w in unique] + starts).fetchall()
    if starts:
        hits.update(zip(unique, rows[0][4:]))
    for rowid, at, size, body, *freq in rows[1:]:
        if body is None:  # ASCII: counted by PostgreSQL, holding every word
            frequencies.append((rowid, at, size, dict(zip(unique, freq))))
            continue
        found_tokens = tokens(body)
        counts = {w: sum(1 for t in found_tokens if t.startswith(w)) for w in unique}
        for w in unique:
            hits[w] += counts[w] > 0
        if all(counts.values()):
            frequencies.append((rowid, at, size, counts))
    idf = {}
    for w in unique:
        value = math.log((count - hits[w] + 0.5) / (hits[w] + 0.5))
        idf[w] = value if value > 0 else 1e-6
    out = []
    for rowid, at, size, freq in frequencies:
        score = 0.0
        for w in words:  # in the query's order, as FTS5 adds its phrases
            score += idf[w] * (freq[w] * (K1 + 1)) / (
                freq[w] + K1 * (1 - B + B * size / average))
        out.append((rowid, -score, at))
    out.sort(key=lambda r: -r[0])  # ties: the latest rowid, then the newest first
    out.sort(key=lambda r: r[2] or "", reverse=True)  # (no date: after every date)
    out.sort(key=lambda r: r[1])
    return out
