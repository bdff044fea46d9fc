"""Team mode: the book on a shared PostgreSQL server (`--db postgresql://...`).

Imported only when a command is given a PostgreSQL URL (`--db` or RELCRM_DB), so the SQLite path
never loads psycopg or sqlglot.

- The schema is the solo book's, not a second copy: `schema()` builds a book at the latest
  version in memory with the SQLite migrations and writes each of its tables and indexes for
  PostgreSQL (TEXT in the "C" collation, so that sorting is by code point as in SQLite; INTEGER
  and BOOLEAN as BIGINT, so that `customer = 1` reads the same), then adds what a team needs: the
  `seller` table, a `seller` column on prospect, step, deal and touch (the PostgreSQL role that
  owns or wrote the row, by default the one writing it), and row-level security.
- Security is the database's: sellers are PostgreSQL roles in the team database's seller
  group, managers in its manager group (each team database has its own two: `groups_for`). A
  seller reads and writes only the rows whose seller they are (and the rows that belong to them:
  a prospect's tags, a touch's notes...); accounts, their criteria and KAM history, occasions
  and settings are shared. A manager sees their own rows, and everyone's
  once the session sets `relcrm.team` (what `--team` does). The policies hold for `psql` too.
- The read side is the same named queries: `translate()` is the one place where the two
  engines' SQL differ. It rewrites a query written for SQLite with sqlglot (named parameters,
  string aggregation, NULL ordering, IS NOT), drops SQLite's index hints and names the derived
  tables PostgreSQL 15 wants named; the few SQLite functions the queries use are defined in the
  team database (as relcrm_money, relcrm_date...). The adapter `Connection` gives the read side
  the sqlite3 calls it makes (execute, rows by name and position). One limit is PostgreSQL's
  own: values of other sellers' indexed columns can be inferred from query plans.
"""

from __future__ import annotations

import os
import re
import sqlite3
from decimal import Decimal
from functools import lru_cache
from typing import Any, Iterator, Sequence

from .errors import DatabaseError, UsageError
from .i18n import _, ngettext

GROUP_PREFIX = "relcrm_"  # the team's two group roles: relcrm_<database>_<tag>_seller/_manager
OWNED = ("prospect", "step", "deal", "touch")  # the tables whose rows have a seller
SHARED = ("account", "account_criterion", "kam_change", "occasion", "setting")
TEAM_SETTING = "relcrm.team"
ONLY_SETTING = "relcrm.seller"  # a manager's view of one seller's records (--seller NAME)


def shown(url: str) -> str:
    """The URL without its password (user:PASSWORD@ or ?password=), for messages."""
    url = re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)
    return re.sub(r"(?i)([?&]password=)[^&]*", r"\1***", url)


# --------------------------------------------------------------------------- the dialect

_HINT = re.compile(r"\s+INDEXED\s+BY\s+\w+|\s+NOT\s+INDEXED\b", re.IGNORECASE)
_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_PERCENT = re.compile(r"%(?!\(\w+\)s|s\b)")


_CACHE: list[Any] = []  # the open translation cache (a connection), once looked for


def _cache() -> Any | None:
    """The translations made before, in a small SQLite file in the user's cache folder: a
    command that has run before does not load sqlglot at all (~90 ms). Keyed by the query and
    by this file and sqlglot's own (their paths and modification times): a new version of
    either translates again. None when there is no usable cache folder."""
    if _CACHE:
        return _CACHE[0]
    _CACHE.append(None)
    import hashlib
    import importlib.util
    import os

    from platformdirs import user_cache_path

    try:
        spec = importlib.util.find_spec("sqlglot")
        stamps = [__file__, spec.origin if spec and spec.origin else ""]
        key = hashlib.sha1(repr([(p, os.stat(p).st_mtime_ns) for p in stamps if p]).encode())
        folder = user_cache_path("relcrm", appauthor=False)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        con = sqlite3.connect(folder / "postgresql-queries.db", timeout=2,
                              isolation_level=None)
        con.execute("CREATE TABLE IF NOT EXISTS query (sql TEXT PRIMARY KEY, pg TEXT NOT NULL) "
                    "WITHOUT ROWID")
        con.execute("CREATE TABLE IF NOT EXISTS made (key TEXT)")
        if con.execute("SELECT key FROM made").fetchone() != (key.hexdigest(),):
            con.execute("DELETE FROM query")
            con.execute("DELETE FROM made")
            con.execute("INSERT INTO made VALUES (?)", (key.hexdigest(),))
        _CACHE[0] = con
    except (OSError, sqlite3.Error):
        pass
    return _CACHE[0]


@lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """The PostgreSQL form of a query written for SQLite (the one place they differ)."""
    cache = _cache()
    if cache is not None:
        try:
            found = cache.execute("SELECT pg FROM query WHERE sql = ?", (sql,)).fetchone()
            if found:
                return found[0]
        except sqlite3.Error:
            cache = None
    out = _translate(sql)
    if cache is not None:
        try:
            cache.execute("INSERT OR REPLACE INTO query VALUES (?, ?)", (sql, out))
        except sqlite3.Error:
            pass
    return out


def _translate(sql: str) -> str:
    import sqlglot
    from sqlglot import exp

    # named parameters renamed while parsing (`:from` is a keyword to the parser), string
    # literals left as they are
    parts = re.split(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")", _HINT.sub("", sql))
    sql = "".join(part if part[:1] in ("'", '"') else _PARAM.sub(r":p__\1", part)
                  for part in parts)
    statements = []
    for tree in sqlglot.parse(sql, read="sqlite"):
        if tree is None:
            continue
        if isinstance(tree, exp.Insert) and tree.args.get("alternative") == "IGNORE":
            # INSERT OR IGNORE: a row that would break a unique key is left out
            tree.set("alternative", None)
            tree.set("conflict", exp.OnConflict(duplicate=False, action=exp.Var(
                this="DO NOTHING")))
        for call in tree.find_all(exp.Anonymous):
            if call.name.lower() in SHIMS:
                call.set("this", f"relcrm_{call.name.lower()}")
        # (each rewrite below goes from the innermost node out: a node copied into its
        # rewritten form carries its children's rewrites with it)
        for test in reversed(list(tree.find_all(exp.Predicate, exp.Connector, exp.Not,
                                                exp.Escape))):
            if _as_value(test, exp):  # SQLite's truth values are the integers 1 and 0
                test.replace(exp.Cast(this=exp.Paren(this=test.copy()),
                                      to=exp.DataType.build("int")))
        for test in reversed(list(tree.find_all(exp.Where, exp.Having, exp.Connector, exp.Not,
                                                exp.If))):
            if isinstance(test, exp.If) and isinstance(test.parent, exp.Case) and \
                    test.parent.this is not None:
                continue  # CASE x WHEN <value>
            for key in ("this", "expression") if not isinstance(test, exp.If) else ("this",):
                value = test.args.get(key)
                inner = value
                while isinstance(inner, exp.Paren):
                    inner = inner.this
                if inner is not None and not isinstance(inner, (
                        exp.Predicate, exp.Connector, exp.Not, exp.Boolean, exp.Null,
                        exp.Escape)):
                    value.replace(exp.NEQ(this=exp.Paren(this=value.copy()),
                                          expression=exp.Literal.number(0)))
        for join in tree.find_all(exp.Join):  # SQLite's CROSS JOIN ... ON: a join order hint
            if join.args.get("kind", "").upper() == "CROSS" and join.args.get("on"):
                join.set("kind", None)
        for limit in list(tree.find_all(exp.Limit)):
            # SQLite's LIMIT -1, no limit, written to keep a subquery from being flattened:
            # PostgreSQL's way of saying that is OFFSET 0
            if isinstance(limit.expression, exp.Neg):
                query = limit.parent
                limit.pop()
                if isinstance(query, exp.Select) and not query.args.get("offset"):
                    query.set("offset", exp.Offset(expression=exp.Literal.number(0)))
        for when in list(tree.find_all(exp.TimeToStr)):  # the day of the week, 0 = Sunday
            if when.args["format"].name == "%w":
                when.replace(exp.Cast(this=exp.Extract(this=exp.var("dow"), expression=exp.Cast(
                    this=when.this.this.copy(), to=exp.DataType.build("timestamp"))),
                    to=exp.DataType.build("text")))
        for within in reversed(list(tree.find_all(exp.In))):
            # `id IN (SELECT value FROM json_each(:ids))`, a list of ids, and nothing else in
            # the subquery: as `id = ANY(...)` PostgreSQL reads the index for each id instead
            # of the table whole
            query = within.args.get("query")
            select = query.this if isinstance(query, exp.Subquery) else query
            source = select.args.get("from_") if isinstance(select, exp.Select) else None
            call = source.this.this if source is not None and isinstance(
                source.this, exp.Table) else None
            plain = isinstance(select, exp.Select) and not any(
                select.args.get(k) for k in ("where", "joins", "group", "having", "order",
                                             "limit", "offset", "distinct"))
            if isinstance(call, exp.Anonymous) and call.name.lower() in (
                    "json_each", "relcrm_json_each") and plain and \
                    [e.name for e in select.expressions] == ["value"]:
                within.replace(exp.EQ(this=within.this.copy(), expression=exp.Any(
                    this=exp.Paren(this=exp.Anonymous(this="relcrm_ids", expressions=[
                        e.copy() for e in call.expressions])))))
        for within in reversed(list(tree.find_all(exp.In))):
            # `a = 1 OR b IN (SELECT ...)`: PostgreSQL reads a table whole for an OR with a
            # subquery; as `b = ANY(ARRAY(SELECT ...))` it reads both indexes (a BitmapOr)
            query = within.args.get("query")
            if query is None or not isinstance(within.parent, exp.Or) and not (
                    isinstance(within.parent, exp.Paren) and isinstance(within.parent.parent,
                                                                       exp.Or)):
                continue
            select = query.this if isinstance(query, exp.Subquery) else query
            within.replace(exp.EQ(this=within.this.copy(), expression=exp.Any(
                this=exp.Paren(this=exp.Array(expressions=[select.copy()])))))
        for concat in tree.find_all(exp.GroupConcat):  # string_agg takes text only
            target = concat.this
            if isinstance(target, exp.Distinct):  # group_concat(DISTINCT x)
                target.set("expressions", [exp.Cast(this=e.copy(), to=exp.DataType.build(
                    "text")) for e in target.expressions])
            else:
                concat.set("this", exp.Cast(this=target.copy(), to=exp.DataType.build("text")))
        for agg in reversed(list(tree.find_all(exp.JSONArrayAgg))):  # json; text in SQLite
            agg.replace(exp.Cast(this=agg.copy(), to=exp.DataType.build("text")))
        for number, sub in enumerate(tree.find_all(exp.Subquery)):
            if isinstance(sub.parent, (exp.From, exp.Join)) and not sub.alias:
                sub.set("alias", exp.TableAlias(this=exp.to_identifier(f"_q{number}")))
        statements.append(tree.sql(dialect="postgres"))
    out = _PERCENT.sub("%%", "; ".join(statements))
    return out.replace("%(p__", "%(")


def _as_value(node: Any, exp: Any) -> bool:
    """Whether a test (a comparison, EXISTS, AND...) is used as a value (summed, chosen by a
    CASE, compared), not as a condition."""
    parent, child = node.parent, node
    while isinstance(parent, (exp.Paren, exp.Escape)):  # (x LIKE y) ESCAPE z: the test is all
        parent, child = parent.parent, parent
    if isinstance(node, exp.Like) and isinstance(node.parent, exp.Escape):
        return False  # the ESCAPE around it is the test (rewritten as a whole)
    if parent is None or isinstance(parent, (exp.Where, exp.Having, exp.Connector, exp.Not,
                                             exp.Join, exp.Qualify, exp.Update,
                                             exp.OnConflict)):  # SET a = b: an assignment
        return False
    if isinstance(parent, exp.If) and parent.this is child and not (
            isinstance(parent.parent, exp.Case) and parent.parent.this is not None):
        return False  # CASE WHEN <test>
    return child.arg_key != "on"


# SQLite functions the read side uses, defined in the team database (as relcrm_NAME: PostgreSQL
# has a type named money)
SHIMS = ("money", "julianday", "json_each", "date")
FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION relcrm_money(milli bigint) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT milli / 1000.0 $$;
CREATE OR REPLACE FUNCTION relcrm_money(milli numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT milli / 1000.0 $$;
CREATE OR REPLACE FUNCTION relcrm_julianday(t text) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
    $$ SELECT extract(epoch FROM t::timestamp) / 86400.0 + 2440587.5 $$;
CREATE OR REPLACE FUNCTION relcrm_date(t text, modifier text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
    $$ SELECT to_char(t::timestamp + replace(modifier, '+', '')::interval, 'YYYY-MM-DD') $$;
CREATE OR REPLACE FUNCTION relcrm_ids(ids text) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
    $$ SELECT coalesce(array_agg(value::bigint), '{}') FROM jsonb_array_elements_text(ids::jsonb)
    $$;
CREATE OR REPLACE FUNCTION relcrm_json_each(ids text) RETURNS TABLE (value bigint)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
    $$ SELECT value::bigint FROM jsonb_array_elements_text(ids::jsonb) $$;
"""


def _value(value: Any) -> Any:
    """A value as sqlite3 would give it: PostgreSQL's numerics (money(), sum()) as the exact
    int or float the SQLite path prints."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        number = float(value)
        exact = format(value.normalize(), "f")
        return number if repr(number) == exact else exact
    return value


class Row(tuple):
    """A row read by name or position, as sqlite3.Row."""

    _names: dict[str, int]

    def __new__(cls, values: Sequence[Any], names: dict[str, int]) -> "Row":
        row = super().__new__(cls, [_value(v) for v in values])
        row._names = names
        return row

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


class Cursor:
    lastrowid: int | None = None  # an INSERT's new id (Connection.execute asks for it)

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor
        self.rowcount = cursor.rowcount
        description = cursor.description or ()
        self.description = [(d.name, None, None, None, None, None, None) for d in description]
        self._names = {d.name: i for i, d in reversed(list(enumerate(description)))}

    def _row(self, values: Any) -> Row | None:
        return None if values is None else Row(values, self._names)

    def fetchone(self) -> Row | None:
        return self._row(self._cursor.fetchone() if self.description else None)

    def fetchall(self) -> list[Row]:
        return [Row(v, self._names) for v in self._cursor.fetchall()] if self.description else []

    def __iter__(self) -> Iterator[Row]:
        if not self.description:
            return iter(())
        return (Row(v, self._names) for v in self._cursor)


_INSERT = re.compile(r"\s*INSERT\s+INTO\s+(\w+)", re.IGNORECASE)


@lru_cache(maxsize=1)
def _with_ids() -> frozenset[str]:
    """The tables whose rows have an `id` the database gives."""
    con = _solo_schema()
    return frozenset(t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = "
                                               "'table'")
                     if [r[1] for r in con.execute(f"PRAGMA table_info({t})") if r[5]] == ["id"])


class Connection:
    """A PostgreSQL connection with the calls the read side makes of an sqlite3 one."""

    def __init__(self, raw: Any, url: str) -> None:
        self.raw = raw
        self.url = url

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Cursor:
        if sql.lstrip().upper().startswith("PRAGMA"):
            raise not_yet()
        import psycopg

        try:
            query = translate(sql)
        except Exception as exc:  # noqa: BLE001 - a query the translator cannot read
            import os

            if os.environ.get("RELCRM_DEBUG"):
                raise
            raise not_yet() from exc
        if isinstance(params, dict):
            params = {k: v for k, v in params.items() if f"%({k})s" in query}
        inserted = _INSERT.match(query)
        returning = bool(inserted) and inserted.group(1) in _with_ids() and \
            "RETURNING" not in query.upper()
        if returning:  # its new id, as sqlite3's cursor.lastrowid gives it
            query = query.rstrip().rstrip(";") + " RETURNING id"
        try:
            # parameters always given, even none: psycopg then reads %% as the % it stands for
            cursor = Cursor(self.raw.execute(query, params or ()))
            if returning:
                ids = cursor._cursor.fetchall()
                cursor.lastrowid = ids[-1][0] if ids else None
            return cursor
        except psycopg.Error as exc:
            import os

            if os.environ.get("RELCRM_DEBUG"):
                raise RuntimeError(f"{exc}\n{query}") from exc
            raise DatabaseError(describe(exc, self.url)) from None

    def executemany(self, sql: str, rows: Any) -> None:  # a write: refused
        raise not_yet()

    def close(self) -> None:
        self.raw.close()


def describe(exc: Exception, url: str) -> str:
    """One line for a PostgreSQL error: what it was, where."""
    import psycopg

    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return _("the team database refused: {text} (a seller changes only their own "
                 "records; shared ones, such as accounts and occasions, are removed by a "
                 "manager)").format(text=text)
    if isinstance(exc, psycopg.errors.LockNotAvailable):
        return _("the team database at {url} is busy: another session has held a lock on what "
                 "this command needs for 10 s; try again").format(url=shown(url))
    if isinstance(exc, psycopg.errors.UndefinedTable):
        return _("{url} is not a relcrm team database yet: `relcrm team init URL` creates "
                 "it ({text})").format(url=shown(url), text=text)
    return _("PostgreSQL error at {url}: {text}").format(url=shown(url), text=text)


_open: list[Connection] = []


def raw_connect(url: str) -> Any:
    """A psycopg connection to `url`; any failure is one line (DatabaseError)."""
    import importlib.util

    try:
        import psycopg
        if importlib.util.find_spec("sqlglot") is None:  # translate() needs it
            raise ImportError("sqlglot")
    except ImportError:
        raise DatabaseError(_("a team database needs psycopg: pip install 'relcrm[team]'")
                            ) from None
    try:
        # no JIT compilation: relcrm's queries are many short ones, each of which PostgreSQL
        # would otherwise spend up to half a second compiling (a list of 10,000: 0.8 s -> 0.13 s)
        from psycopg.conninfo import conninfo_to_dict

        scheme, rest = url.split("://", 1)
        url = f"{scheme.lower()}://{rest}"
        given = conninfo_to_dict(url).get("options") or ""
        # and no wait of more than 10 s for a lock another session holds: one line instead
        return psycopg.connect(url, autocommit=True, connect_timeout=10,
                               options=f"{given} -c jit=off -c lock_timeout=10s".strip())
    except psycopg.ProgrammingError as exc:
        raise UsageError(_("not a PostgreSQL URL: {url} ({why}); accepted: "
                           "postgresql://USER@HOST[:PORT]/DATABASE").format(
            url=shown(url), why=str(exc).strip().splitlines()[0])) from None
    except psycopg.Error as exc:
        raise DatabaseError(_("cannot reach the team database at {url}: {why}").format(
            url=shown(url), why=(str(exc).strip().splitlines() or ["?"])[0])) from None


def connect(url: str) -> Connection:
    """A read connection to a team database (checked to be one, at a version we know)."""
    import psycopg

    con = Connection(raw_connect(url), url)
    _open.append(con)
    try:
        _current(con.raw, url)
    except psycopg.Error as exc:  # a role that is not in the team: one line
        raise DatabaseError(describe(exc, url)) from None
    # what a command reads, it reads in one snapshot (a list and its count, every entity of an
    # export agree), and it cannot write: the transaction is read-only
    con.raw.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    con.raw.read_only = True
    con.raw.autocommit = False
    return con


def close_all() -> None:
    while _open:
        try:
            _open.pop().close()
        except Exception:  # noqa: BLE001 - closing what may already be broken
            pass


def not_yet() -> DatabaseError:
    """What a command that does not work on a team database yet says."""
    return DatabaseError(_("this command is not available on a team database (PostgreSQL) "
                           "yet"))


def _not_team(url: str) -> DatabaseError:
    return DatabaseError(_("{url} is not a relcrm team database yet: `relcrm team init URL` "
                           "creates it").format(url=shown(url)))


def _too_new(url: str, version: int) -> DatabaseError:
    from .migrations import LATEST

    return DatabaseError(_("{url} has schema version {version}, newer than this relcrm knows "
                           "({latest}); upgrade relcrm (pip install -U relcrm)").format(
        url=shown(url), version=version, latest=LATEST))


def _current(raw: Any, url: str, *, older: bool = False) -> int:
    """The team database's schema version when it is this relcrm's (or, with `older`, an
    older one); else one line saying what to do (create it, upgrade relcrm, or have its
    administrator upgrade it)."""
    from .migrations import LATEST

    version = schema_version(raw)
    if version is None:
        raise _not_team(url)
    if version > LATEST:
        raise _too_new(url, version)
    if version < LATEST and not older:
        raise DatabaseError(_(
            "{url} has schema version {version}, older than this relcrm ({latest}): its "
            "administrator upgrades it with relcrm team init URL").format(
            url=shown(url), version=version, latest=LATEST))
    return version


def installed(raw: Any) -> bool:
    """Whether the team database takes changes: what pgwrite.machinery lays is there, as this
    relcrm lays it (its version, pgwrite.MACHINERY, is noted on the _team table)."""
    from .pgwrite import MACHINERY

    note = raw.execute("SELECT obj_description(to_regclass('_team'), 'pg_class')").fetchone()[0]
    found = re.fullmatch(r"relcrm machinery (\d+)", note or "")
    return found is not None and int(found.group(1)) >= MACHINERY[0]


def require_installed(raw: Any, url: str) -> None:
    """Refuse, in one line, a command that writes to a team database not readied for it."""
    if not installed(raw):
        raise DatabaseError(_("{url} does not take changes yet: its administrator runs "
                              "relcrm team init URL once with this relcrm").format(
            url=shown(url)))


def schema_version(raw: Any) -> int | None:
    row = raw.execute("SELECT to_regclass('_migrations') IS NOT NULL, "
                      "to_regclass('seller') IS NOT NULL").fetchone()
    if not (row[0] and row[1]):
        return None
    return raw.execute("SELECT coalesce(max(version), 0) FROM _migrations").fetchone()[0]


# --------------------------------------------------------------------------- the schema

@lru_cache(maxsize=4)
def _solo_schema(upto: int | None = None) -> sqlite3.Connection:
    """A book at schema version `upto` (the latest when None), in memory: the schema a team
    database follows. Made once per process; read only (init makes its own for the days
    off)."""
    from . import migrations

    con = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    if upto is None or upto >= migrations.LATEST:
        migrations.upgrade(con)
        return con
    con.execute(migrations._LEDGER)
    for number, _name, script in migrations.MIGRATIONS:
        if number > upto:
            break
        for statement in migrations._statements(script):
            con.execute(statement)
        if number in migrations._AFTER:
            migrations._AFTER[number](con)
    return con


def _column(name: str, declared: str, notnull: int, default: Any) -> str:
    kind = 'TEXT COLLATE "C"' if declared.upper() == "TEXT" else "BIGINT"
    out = f"{name} {kind}"
    if notnull:
        out += " NOT NULL"
    if default is not None:
        out += f" DEFAULT {default}"
    return out


def tables(upto: int | None = None) -> list[str]:
    """The tables a team database holds (at schema version `upto`), parents before children."""
    from .registry import TABLES

    con = _solo_schema(upto)
    present = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    refs = {t: {r[2] for r in con.execute(f"PRAGMA foreign_key_list({t})")} - {t}
            for t in TABLES if t in present}
    ordered: list[str] = []
    while len(ordered) < len(refs):
        ready = [t for t in refs if t not in ordered and refs[t] <= set(ordered)]
        if not ready:  # a cycle of references: no order would do (a schema mistake)
            raise RuntimeError(f"tables referencing each other: {set(refs) - set(ordered)}")
        ordered += ready
    return ordered


def _table_sql(con: sqlite3.Connection, table: str) -> str:
    """CREATE TABLE for PostgreSQL of a table of the solo schema `con`."""
    info = list(con.execute(f"PRAGMA table_info({table})"))
    keys = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
    parts = []
    for _cid, name, declared, notnull, default, _pk in info:
        if table == "prospect_alias" and name == "id":  # a merged person's old id: a
            parts.append("id BIGINT PRIMARY KEY DEFAULT "  # prospect id, from their counter
                         "nextval(pg_get_serial_sequence('prospect', 'id'))")
        elif keys == ["id"] and name == "id":
            parts.append("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
        else:
            parts.append(_column(name, declared, notnull, default))
    if table in OWNED:
        parts.append('seller TEXT COLLATE "C" NOT NULL DEFAULT current_user '
                     'REFERENCES seller (name)')
    if keys != ["id"]:
        parts.append(f"PRIMARY KEY ({', '.join(keys)})")
    for fk in con.execute(f"PRAGMA foreign_key_list({table})"):
        action = f" ON DELETE {fk[6]}" if fk[6] and fk[6] != "NO ACTION" else ""
        parts.append(f"FOREIGN KEY ({fk[3]}) REFERENCES {fk[2]} ({fk[4]}){action}")
    return f"CREATE TABLE {table} (\n  " + ",\n  ".join(parts) + "\n)"


# the indexes a team adds: each seller's own rows, found at once
_SELLER_INDEXES = {
    "ix_prospect_seller": "CREATE INDEX ix_prospect_seller ON prospect (seller, due_on)",
    "ix_step_seller": "CREATE INDEX ix_step_seller ON step (seller, due_at) "
                      "WHERE status = 'open'",
    "ix_touch_seller": "CREATE INDEX ix_touch_seller ON touch (seller, prospect_id)",
    "ix_deal_seller": "CREATE INDEX ix_deal_seller ON deal (seller, status)",
}


_COLUMNS = re.compile(r"(\bON\s+\w+\s*)\(([^()]*)\)", re.IGNORECASE)


def _nulls_as_sqlite(sql: str) -> str:
    """An index as SQLite orders it: NULL before every value. The reads' ORDER BY say so on
    PostgreSQL (translate: x NULLS FIRST, x DESC NULLS LAST), and an index in PostgreSQL's own
    order (NULL last) cannot give that order: each such read sorted instead (review's care
    thinning: 225 ms of sorting a few touches per person, 71 ms from the index)."""
    def each(found: re.Match) -> str:
        terms = []
        for term in found.group(2).split(","):
            term = " ".join(term.split())
            terms.append(term[:-len(" DESC")] + " DESC NULLS LAST"
                         if term.upper().endswith(" DESC") else term + " NULLS FIRST")
        return f"{found.group(1)}({', '.join(terms)})"
    return _COLUMNS.sub(each, sql, count=1)


def _indexes(con: sqlite3.Connection, present: list[str]) -> dict[str, str]:
    """Each index of the solo schema `con` on the tables `present`, and the team's own, with
    NULL ordered as SQLite orders it (_nulls_as_sqlite)."""
    out = dict(con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND "
        f"tbl_name IN ({', '.join(repr(t) for t in present)}) ORDER BY name").fetchall())
    columns = {t: set(_columns_of(con, t)) for t in present}
    for name, sql in _SELLER_INDEXES.items():
        table = sql.split(" ON ")[1].split()[0]
        wanted = re.search(r"\(seller, (\w+)\)", sql).group(1)
        if table in columns and wanted in columns[table]:
            out[name] = sql
    return {name: _nulls_as_sqlite(sql) for name, sql in out.items()}


def schema(database: str, upto: int | None = None) -> list[str]:
    """The statements that create a team database's tables, functions, indexes and security
    (`database`: its name, for its groups), at schema version `upto` (the latest)."""
    con = _solo_schema(upto)
    seller, manager = groups_for(database)
    present = tables(upto)
    out = [FUNCTIONS,
           'CREATE TABLE _team (seller_group TEXT COLLATE "C" NOT NULL, '
           'manager_group TEXT COLLATE "C" NOT NULL)',
           f"INSERT INTO _team VALUES ('{seller}', '{manager}')",
           'CREATE TABLE _import (sha256 TEXT COLLATE "C" NOT NULL, seller TEXT COLLATE "C" '
           'NOT NULL, file TEXT, at TEXT COLLATE "C" NOT NULL, PRIMARY KEY (sha256, seller))',
           'CREATE TABLE seller (name TEXT COLLATE "C" PRIMARY KEY, manager BIGINT NOT NULL '
           'DEFAULT 0, added_at TEXT COLLATE "C" NOT NULL)',
           'CREATE TABLE _migrations (version BIGINT PRIMARY KEY, name TEXT COLLATE "C", '
           'applied_at TEXT COLLATE "C")']
    out += [_table_sql(con, t) for t in ["_day_off", *present]]
    out += list(_indexes(con, present).values())
    out += security(database, {t: _columns_of(con, t) for t in present})
    if upto is None:  # an older schema (tests of upgrades) takes no writes until upgraded
        from .pgwrite import machinery

        out += machinery(database)
    return out


def upgrade(raw: Any, current: int) -> list[int]:
    """Bring a team database from schema version `current` to the latest, in the caller's
    transaction: the tables, columns and indexes the newer solo schema has and it lacks are
    added, row-level security is laid again over every table, and the versions are recorded.
    A migration that moves data with Python (the solo book's _AFTER steps) cannot run here:
    it is refused, and nothing changes. Returns the versions applied."""
    from . import dates
    from .migrations import _AFTER, MIGRATIONS

    pending = [(n, name) for n, name, _script in MIGRATIONS if n > current]
    moving = [n for n, _name, script in MIGRATIONS
              if n > current and (n in _AFTER or moves_data(script))]
    if moving:
        raise DatabaseError(_("the team database has schema version {version}; version "
                              "{moving} moves data in a way relcrm cannot do on PostgreSQL yet: "
                              "move the team's books in again into a new team database").format(
            version=current, moving=moving[0]))
    database = raw.info.dbname
    con = _solo_schema()
    present = tables()
    live = {r[0] for r in raw.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    live_columns = {(r[0], r[1]) for r in raw.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE "
        "table_schema = 'public'")}
    live_indexes = {r[0] for r in raw.execute(
        "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")}
    raw.execute(FUNCTIONS)
    for table in present:
        if table not in live:
            raw.execute(_table_sql(con, table))
            continue
        for _cid, name, declared, notnull, default, _pk in con.execute(
                f"PRAGMA table_info({table})"):
            if (table, name) not in live_columns:
                raw.execute(f"ALTER TABLE {table} ADD COLUMN "
                            f"{_column(name, declared, notnull, default)}")
    older = not installed(raw)  # laid by an older relcrm: its indexes are made again
    for name, sql in _indexes(con, present).items():
        if name in live_indexes and older:
            raw.execute(f"DROP INDEX {name}")
        if name not in live_indexes or older:
            raw.execute(sql)
    for table, policy in raw.execute(
            "SELECT c.relname, p.polname FROM pg_policy p JOIN pg_class c ON c.oid = "
            "p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = "
            "'public'").fetchall():
        raw.execute(f'DROP POLICY "{policy}" ON {table}')
    for statement in security(database, {t: _columns_of(con, t) for t in present}):
        raw.execute(statement)
    from .pgwrite import machinery

    for statement in machinery(database):
        raw.execute(statement)
    now = dates.iso(dates.now())
    for number, name in pending:
        raw.execute("INSERT INTO _migrations (version, name, applied_at) VALUES (%s, %s, %s)",
                    (number, name, now))
    return [n for n, _name in pending]


_TRIGGER_BODY = re.compile(r"CREATE\s+TRIGGER\b.*?\bEND\s*;", re.IGNORECASE | re.DOTALL)
_DATA = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b|\bDROP\s+(TABLE|COLUMN)\b|"
                   r"\bRENAME\b", re.IGNORECASE)


def moves_data(script: str) -> bool:
    """Whether a migration's SQL changes rows, or drops or renames what holds them (outside
    its triggers' bodies): upgrade() lays a newer schema's tables, columns and indexes, and
    cannot do that on a team database."""
    script = re.sub(r"--[^\n]*", "", script)
    script = re.sub(r"\bON\s+(DELETE|UPDATE)\b", "", script, flags=re.IGNORECASE)  # (keys)
    return bool(_DATA.search(_TRIGGER_BODY.sub("", script)))


def _parent_check(table: str) -> str | None:
    """The condition that makes a row of `table` visible: its parent is (the parent's own
    policy decides that), for the rows that belong to a prospect, touch, step or deal."""
    from .registry import BY_TABLE

    parent = BY_TABLE[table].parent
    if table == "important_date":
        return ("(prospect_id IS NULL OR EXISTS (SELECT 1 FROM prospect p WHERE "
                "p.id = prospect_id))")
    if parent in OWNED:
        column = {"prospect": "prospect_id", "touch": "touch_id", "step": "step_id",
                  "deal": "deal_id"}[parent]
        check = f"EXISTS (SELECT 1 FROM {parent} o WHERE o.id = {column})"
        if table in ("touch_person", "step_person", "deal_person"):  # a link: both its ends
            check += " AND EXISTS (SELECT 1 FROM prospect p WHERE p.id = prospect_id)"
        return check
    return None


def groups_for(database: str) -> tuple[str, str]:
    """The seller and manager group roles of one team database. Roles belong to the whole
    PostgreSQL server: each team database has its own two groups, so that a seller of one team
    is nothing in another."""
    import hashlib

    base = re.sub(r"[^a-z0-9_]", "_", database.lower())[:30]
    tag = hashlib.sha1(database.encode()).hexdigest()[:6]
    return f"{GROUP_PREFIX}{base}_{tag}_seller", f"{GROUP_PREFIX}{base}_{tag}_manager"


def groups(raw: Any) -> tuple[str, str]:
    """This team database's seller and manager groups (as team init recorded them)."""
    row = raw.execute("SELECT seller_group, manager_group FROM _team").fetchone()
    return row[0], row[1]


def _columns_of(con: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in con.execute(f"PRAGMA table_info({table})")]


def security(database: str, columns: dict[str, list[str]]) -> list[str]:
    """Grants and row-level security: sellers see and change their own, managers everyone's
    when they ask (relcrm.team), accounts and settings are shared; only the team may connect.
    Ids are the database's to give: no one in the team may write an `id` (a seller choosing
    ids could take another's next ones). No one in the team may create anything in the schema
    (an operator or function of theirs would run as whoever reads)."""
    from .registry import TABLES

    seller, manager = groups_for(database)
    both = f"{seller}, {manager}"
    db_name = '"' + database.replace('"', '""') + '"'
    team = f"current_setting('{TEAM_SETTING}', true) = 'on'"
    out = [f"REVOKE CONNECT, TEMPORARY ON DATABASE {db_name} FROM PUBLIC",
           f"GRANT CONNECT ON DATABASE {db_name} TO {both}",
           "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
           f"GRANT USAGE ON SCHEMA public TO {both}",
           f"GRANT SELECT ON seller, _migrations, _day_off, _team TO {both}",
           f"GRANT SELECT, INSERT ON _import TO {both}",
           "ALTER TABLE _import ENABLE ROW LEVEL SECURITY",
           f"CREATE POLICY own ON _import TO {seller} USING (seller = current_user) "
           f"WITH CHECK (seller = current_user)",
           f"CREATE POLICY team ON _import TO {manager} USING (true) WITH CHECK (true)"]
    for table in (t for t in TABLES if t in columns):
        writable = ", ".join(c for c in columns[table] + (["seller"] if table in OWNED else [])
                             if c != "id")
        out.append(f"GRANT SELECT, INSERT ({writable}), UPDATE ({writable}) ON {table} TO "
                   f"{both}")
        out.append(f"GRANT DELETE ON {table} TO {manager}"
                   + ("" if table in SHARED else f", {seller}"))
        if table in SHARED:
            continue
        out.append(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        if table == "important_date":  # a person's dates are theirs; an account's, shared
            mine = "EXISTS (SELECT 1 FROM prospect p WHERE p.id = prospect_id)"
            seen = f"(prospect_id IS NULL OR {mine})"
            out += [f"CREATE POLICY seen ON {table} FOR SELECT TO {both} USING {seen}",
                    f"CREATE POLICY added ON {table} FOR INSERT TO {both} WITH CHECK {seen}",
                    f"CREATE POLICY own_changed ON {table} FOR UPDATE TO {seller} "
                    f"USING (prospect_id IS NOT NULL AND {mine}) WITH CHECK ({mine})",
                    f"CREATE POLICY own_dropped ON {table} FOR DELETE TO {seller} "
                    f"USING (prospect_id IS NOT NULL AND {mine})",
                    f"CREATE POLICY team_changed ON {table} FOR UPDATE TO {manager} "
                    f"USING {seen} WITH CHECK {seen}",
                    f"CREATE POLICY team_dropped ON {table} FOR DELETE TO {manager} "
                    f"USING {seen}"]
            continue
        if table in OWNED:
            mine = "seller = current_user"
            # a manager's --seller NAME: one seller's (relcrm.seller, set by only_seller)
            seen = f"(({mine} OR {team}) AND coalesce(nullif(current_setting('{ONLY_SETTING}', " \
                   f"true), ''), seller) = seller)"
            # a touch or step is written on one's own people only (a foreign key does not
            # look through row-level security: the policy does)
            links = "".join(  # and a touch's deal and greeted date are one's own too
                f" AND ({column} IS NULL OR EXISTS (SELECT 1 FROM {target} o WHERE o.id = "
                f"{column}))" for column, target in (("deal_id", "deal"),
                                                     ("occasion_id", "important_date"))
                if column in columns[table])
            person = {"touch": " AND EXISTS (SELECT 1 FROM prospect p WHERE p.id = "
                               "prospect_id)" + links,
                      "step": " AND (prospect_id IS NULL OR EXISTS (SELECT 1 FROM prospect p "
                              "WHERE p.id = prospect_id))"}.get(table, "")
            out.append(f"CREATE POLICY own ON {table} TO {seller} USING ({mine}) "
                       f"WITH CHECK ({mine}{person})")
            out.append(f"CREATE POLICY team ON {table} TO {manager} USING {seen} "
                       f"WITH CHECK (true)")
        else:
            check = _parent_check(table)
            out.append(f"CREATE POLICY own ON {table} TO {both} USING ({check}) "
                       f"WITH CHECK ({check})")
    # USAGE to take new ids; SELECT so that a seller's pg_dump (relcrm backup) can read them
    out.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {both}")
    return out


def _ensure_groups(raw: Any, database: str) -> None:
    from psycopg import sql

    for group in groups_for(database):
        exists = raw.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (group,)).fetchone()
        if not exists:
            raw.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(group)))


def init(url: str, upto: int | None = None) -> dict[str, Any]:
    """Create the team database's schema; upgrade it when it is at an older version; nothing
    when it is current. `upto` (tests): create it at that older schema version."""
    import psycopg

    from . import dates
    from .migrations import LATEST, MIGRATIONS

    raw = raw_connect(url)
    try:
        version = schema_version(raw)
        if version is not None and version > LATEST:
            raise _too_new(url, version)
        if version == LATEST and installed(raw):
            return {"created": False, "version": version, "tables": len(tables())}
        with raw.transaction():
            raw.execute("SELECT pg_advisory_xact_lock(4242)")
            if version is not None:
                had_writes = installed(raw)
                applied = upgrade(raw, version)
                from .pgsearch import index_missing

                index_missing(Connection(raw, url))  # the notes already there, indexed
                return {"created": False, "version": LATEST, "from": version,
                        "applied": applied, "tables": len(tables()),
                        "writes": not had_writes}
            database = raw.info.dbname
            _ensure_groups(raw, database)
            for statement in schema(database, upto):
                raw.execute(statement)
            now = dates.iso(dates.now())
            if upto is None:  # the days off of the years around today, as a book has them
                from . import workdays

                solo = _solo_schema.__wrapped__()
                workdays.rebuild(solo)
                with raw.cursor().copy("COPY _day_off (day, next_workday, name) FROM STDIN") \
                        as copy:
                    for row in solo.execute("SELECT day, next_workday, name FROM _day_off"):
                        copy.write_row(row)
            for number, name, _script in MIGRATIONS[:upto]:
                raw.execute("INSERT INTO _migrations (version, name, applied_at) VALUES "
                            "(%s, %s, %s)", (number, name, now))
        return {"created": True, "version": upto or LATEST, "tables": len(tables(upto))}
    except psycopg.errors.InsufficientPrivilege as exc:
        raise DatabaseError(_("cannot create the team database at {url}: {why} (team init "
                              "needs a role that may create tables and roles)").format(
            url=shown(url), why=str(exc).strip().splitlines()[0])) from None
    except psycopg.Error as exc:
        raise DatabaseError(describe(exc, url)) from None
    finally:
        raw.close()


ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def add_seller(url: str, name: str, *, manager: bool = False) -> bool:
    """Create the PostgreSQL role of a seller (or manager) and record them. False when they
    were already there (their kind is then made what was asked)."""
    import psycopg
    from psycopg import sql

    from . import dates

    if name.startswith(("pg_", GROUP_PREFIX)):
        raise UsageError(_("{name!r} is a name PostgreSQL or relcrm keeps for itself; choose "
                           "another seller name").format(name=name))
    if not ROLE_NAME.fullmatch(name):
        raise UsageError(_("not a seller name: {name!r}; a name is a PostgreSQL role: lower-case "
                           "letters, digits and _, starting with a letter, at most 63").format(
            name=name))
    raw = raw_connect(url)
    try:
        if raw.execute("SELECT 1 FROM pg_get_keywords() WHERE word = %s AND catcode <> 'U'",
                       (name,)).fetchone():
            raise UsageError(_("{name!r} is a name PostgreSQL or relcrm keeps for itself; "
                               "choose another seller name").format(name=name))
        _current(raw, url, older=True)  # a seller's role does not depend on the version
        with raw.transaction():
            raw.execute("SELECT pg_advisory_xact_lock(4242)")
            role = sql.Identifier(name)
            exists = raw.execute("SELECT 1 FROM pg_roles WHERE rolname = %s",
                                 (name,)).fetchone()
            if not exists:
                raw.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
            elif raw.execute(
                    "SELECT rolsuper OR rolbypassrls OR rolcreaterole OR pg_has_role(%s, "
                    "(SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND "
                    "tablename = 'prospect'), 'MEMBER') OR EXISTS (SELECT 1 FROM pg_roles p "
                    "WHERE p.rolname IN ('pg_read_all_data', 'pg_write_all_data', "
                    "'pg_execute_server_program', 'pg_read_server_files', "
                    "'pg_write_server_files') AND pg_has_role(%s, p.oid, 'MEMBER')) "
                    "FROM pg_roles WHERE rolname = %s", (name, name, name)).fetchone()[0]:
                raise UsageError(_("{name} is a PostgreSQL superuser or holds powers over the "
                                   "whole server (bypasses row-level security, owns the tables, "
                                   "creates roles, reads or writes all data or files): the "
                                   "database would not keep them to their own records; give the "
                                   "seller a role of their own").format(name=name))
            seller_group, manager_group = groups(raw)
            group, other = ((manager_group, seller_group) if manager
                            else (seller_group, manager_group))
            raw.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), role))
            raw.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(other), role))
            new = raw.execute(
                "INSERT INTO seller (name, manager, added_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (name) DO UPDATE SET manager = excluded.manager "
                "RETURNING (xmax = 0)", (name, int(manager), dates.iso(dates.now()))).fetchone()[0]
        return bool(new)
    except psycopg.Error as exc:
        raise DatabaseError(describe(exc, url)) from None
    finally:
        raw.close()


def sellers(url: str) -> list[dict[str, Any]]:
    con = connect(url)
    return [{"name": r[0], "manager": bool(r[1]), "added_at": r[2]}
            for r in con.execute("SELECT name, manager, added_at FROM seller ORDER BY name")]


def book_settings(url: str) -> dict[str, str]:
    """The team's `config language` and `date_order` (i18n.setup), or none when the team
    database cannot be read now (the command then says why)."""
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3, autocommit=True,
                             options="-c jit=off -c lock_timeout=3s") as raw:
            return dict(raw.execute("SELECT key, value FROM setting WHERE key IN "
                                    "('language', 'date_order')").fetchall())
    except Exception:  # noqa: BLE001 - not reachable, not a team database, no right
        return {}


def sellers_of(con: Connection, ids: list[int]) -> dict[int, str]:
    """Whose each prospect is (--team adds a Seller column)."""
    import json

    return {r[0]: r[1] for r in con.execute(
        "SELECT id, seller FROM prospect WHERE id IN (SELECT value FROM json_each(:ids))",
        {"ids": json.dumps(ids)})}


def use_team(con: Connection, option: str = "--team") -> None:
    """Show everyone's records in this session (`--team`): for managers only."""
    allowed = con.raw.execute(
        "SELECT pg_has_role(current_user, %s, 'member') OR rolbypassrls OR rolsuper "
        "FROM pg_roles WHERE rolname = current_user", (groups(con.raw)[1],)).fetchone()
    if not (allowed and allowed[0]):
        raise UsageError((_(
            "--team shows the whole team's records to a manager; {name} is a seller (relcrm "
            "team add-seller NAME --manager makes a manager)") if option == "--team" else _(
            "--seller shows one seller's records to a manager; {name} is a seller (relcrm "
            "team add-seller NAME --manager makes a manager)")).format(name=con.raw.info.user))
    con.raw.execute(f"SELECT set_config('{TEAM_SETTING}', 'on', false)")


def only_seller(con: Connection, name: str) -> None:
    """Show one seller's records in this session (`--seller NAME`, after use_team): the
    managers' policy narrows to them."""
    if not name.strip():
        raise UsageError(_("--seller needs a seller's name; relcrm team sellers lists them"))
    if not con.raw.execute("SELECT 1 FROM seller WHERE name = %s", (name,)).fetchone():
        from .errors import NotFound

        raise NotFound(_("no seller {name} in the team database; relcrm team sellers lists "
                         "them").format(name=name))
    narrowable(con)
    narrow(con, name)


def narrowable(con: Connection) -> None:
    """Refuse, in one line, to show one seller's records where the policy that narrows to
    them does not hold: a team database readied by an older relcrm, or a role that row-level
    security does not bind (the administrator: the tables' owner sees every row)."""
    if not installed(con.raw):
        raise DatabaseError(_("{url} cannot show one seller's records yet: its administrator "
                              "runs relcrm team init URL once with this relcrm").format(
            url=shown(con.url)))
    if con.raw.execute(
            "SELECT rolsuper OR rolbypassrls OR pg_has_role(current_user, (SELECT tableowner "
            "FROM pg_tables WHERE schemaname = 'public' AND tablename = 'prospect'), 'USAGE') "
            "FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
        raise UsageError(_("{name} reads past row-level security (the team database's "
                           "administrator): one seller's records, and each seller's figures, "
                           "are shown to a manager").format(name=con.raw.info.user))


def narrow(con: Connection, name: str | None) -> None:
    """A manager's session shows one seller's records (None: everyone's again)."""
    con.raw.execute(f"SELECT set_config('{ONLY_SETTING}', %s, false)", (name or "",))


def sellers_in(con: Connection) -> list[str]:
    """The team's members, by name (one who has done nothing yet is a row of zeros)."""
    return [r[0] for r in con.raw.execute("SELECT name FROM seller ORDER BY name")]


# --------------------------------------------------------------------------- moving in

# shared rows that a team database may hold already: the same row is found by this key
_JOIN_BY = {"account": "name_key", "occasion": "key"}


def _solo_copy(path: Any) -> sqlite3.Connection:
    """The solo book at `path` at the latest schema, in memory (the file is only read)."""
    from .db import check_book, read_only
    from .migrations import upgrade

    check_book(path)
    source = read_only(path)
    con = sqlite3.connect(":memory:", isolation_level=None)
    try:
        source.backup(con)
    except sqlite3.Error as exc:
        from .db import describe_error

        raise DatabaseError(describe_error(exc, path)) from None
    finally:
        source.close()
    try:
        upgrade(con)
    except sqlite3.Error as exc:  # a book damaged or doctored past what its upgrade can read
        raise DatabaseError(_("{file} is not a relcrm book this relcrm can move ({why}); "
                              "nothing was moved").format(file=path, why=exc)) from None
    return con


def _fingerprint(path: Any) -> str:
    """The SHA-256 of a book file and its write-ahead log: the same book moved in twice."""
    import hashlib
    from pathlib import Path

    digest = hashlib.sha256()
    for part in (Path(path), Path(f"{path}-wal")):
        try:
            with open(part, "rb") as data:
                for block in iter(lambda: data.read(1 << 20), b""):
                    digest.update(block)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise UsageError(_("cannot read {file}: {why}").format(
                file=part, why=exc.strerror or exc)) from None
    return digest.hexdigest()


def import_book(url: str, path: Any, seller: str) -> list[dict[str, Any]]:
    """Move the solo book at `path` into the team database as `seller`'s, in one transaction:
    every row of every table, new ids given by the team database and every reference to them
    rewritten; an account or occasion the team has already (same name) is joined, not doubled,
    and so are the KAM changes and account dates it has already; a setting the team has
    already keeps the team's value. The counts are compared before the commit; any difference
    undoes the whole move. The same book is not moved in twice for one seller. Returns one
    count line per table."""
    import uuid

    import psycopg

    from . import dates
    from .registry import BY_TABLE

    fingerprint = _fingerprint(path)
    book = _solo_copy(path)
    ours = _solo_schema()
    raw = raw_connect(url)
    try:
        _current(raw, url)
        if not raw.execute("SELECT 1 FROM seller WHERE name = %s", (seller,)).fetchone():
            from .errors import NotFound

            raise NotFound(_("no seller {name} in the team database; `relcrm team add-seller "
                             "{name}` adds them").format(name=seller))
        # COPY with the ids given here is the fast way in, for the team's administrator; a
        # seller may not write ids (nor COPY under row-level security): their rows go in one
        # by one, each given its id by the database and checked by the policies
        bulk = raw.execute("SELECT rolsuper OR rolbypassrls OR pg_has_role(current_user, "
                           "(SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND "
                           "tablename = 'prospect'), 'USAGE') FROM pg_roles WHERE rolname = "
                           "current_user").fetchone()[0]
        report = []
        with raw.transaction():
            # one move at a time (two books bringing the same new account would both add it):
            # the others wait here
            raw.execute("SELECT pg_advisory_xact_lock(4243)")
            # the book's rows come as they are: its derived e-mails and note times already
            # follow its facts (the team's triggers of those rules stand aside)
            raw.execute("SELECT set_config('relcrm.moving', 'on', true)")
            before = raw.execute("SELECT at FROM _import WHERE sha256 = %s AND seller = %s",
                                 (fingerprint, seller)).fetchone()
            if before:
                raise UsageError(_("{file} was moved in as {seller}'s records already ({at}); "
                                   "nothing was moved").format(file=path, seller=seller,
                                                               at=before[0]))
            people = book.execute("SELECT name_key, created_at FROM prospect").fetchall()
            there = raw.execute(
                "SELECT count(*) FROM prospect WHERE seller = %s AND (name_key, created_at) IN "
                "(SELECT * FROM unnest(%s::text[], %s::text[]))",
                (seller, [p[0] for p in people], [p[1] for p in people])).fetchone()[0]
            if people and there * 2 >= len(people):  # the same book, changed since: again
                raise UsageError(_(                  # it would double every record
                    "{there} of the {total} people in {file} are {seller}'s in the team "
                    "database already: it (or a copy of it) was moved in before, and moving it "
                    "again would double them; nothing was moved").format(
                    there=there, total=len(people), file=path, seller=seller))
            # a manager moving a seller's book in reads back what they write
            raw.execute(f"SELECT set_config('{TEAM_SETTING}', 'on', true)")
            ids: dict[str, dict[int, int]] = {}
            joined_ids: dict[str, set[int]] = {}
            sync_from = False  # the book's phone sync moves too (see _move_sync)
            for table in tables():
                # the tables, columns and links are relcrm's own (its solo schema), never
                # names read from the book: a doctored book's names would be SQL run by the
                # administrator; a book without one of them is refused
                refs = {r[3]: r[2] for r in ours.execute(f"PRAGMA foreign_key_list({table})")}
                info = list(ours.execute(f"PRAGMA table_info({table})"))
                columns = [r[1] for r in info]
                keyed = [r[1] for r in info if r[5]] == ["id"]
                try:
                    rows = [list(r) for r in book.execute(
                        f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid")]
                except sqlite3.Error as exc:
                    raise DatabaseError(_("{file} is not a relcrm book this relcrm can move "
                                          "({why}); nothing was moved").format(
                        file=path, why=exc)) from None
                total = len(rows)
                at_id = columns.index("id") if keyed else -1
                joined = kept = 0
                mapping: dict[int, int] = {}
                ids[table], joined_ids[table] = mapping, set()
                join = _JOIN_BY.get(table)
                if join and rows:  # the team's account or occasion of the same name
                    at = columns.index(join)
                    there = dict(raw.execute(
                        f"SELECT {join}, id FROM {table} WHERE {join} = ANY(%s)",
                        ([r[at] for r in rows],)).fetchall())
                    fresh = []
                    for row in rows:
                        if row[at] in there:
                            mapping[row[at_id]] = there[row[at]]
                            joined_ids[table].add(there[row[at]])
                            joined += 1
                        else:
                            fresh.append(row)
                    rows = fresh
                for row in rows:  # every reference to the team database's ids
                    for at, column in enumerate(columns):
                        if column in refs and row[at] is not None:
                            found = ids[refs[column]].get(row[at])
                            if found is None:
                                raise DatabaseError(_(
                                    "{file} has a {table} row whose {column} names a "
                                    "{target} that is not in the book ({value}); `relcrm "
                                    "doctor` checks the book; nothing was moved").format(
                                    file=path, table=table, column=column,
                                    target=refs[column], value=row[at]))
                            row[at] = found
                if table in ("kam_change", "important_date") and joined_ids["account"]:
                    rows, same = _new_to_the_team(raw, table, columns, rows,
                                                  joined_ids["account"])
                    for old, existing in same.items():
                        mapping[old] = existing
                    joined += len(same)
                left = own = 0
                why = ""
                if table == "setting":  # a seller's own phone sync is not the team's: theirs
                    personal = [r for r in rows if str(r[0]).startswith("sync.")]
                    rows = [r for r in rows if not str(r[0]).startswith("sync.")]
                    own, why = _move_sync(raw, seller, personal, bulk)
                    left = len(personal) - own
                    sync_from = bool(own)
                if table == "step" and rows:  # a step's uid names it on phones: one each
                    at = columns.index("uid")
                    taken = {r[0] for r in raw.execute("SELECT uid FROM step WHERE uid = ANY(%s)",
                                                        ([r[at] for r in rows],))}
                    for row in rows:  # a seller cannot see the others' uids: always new ones
                        if row[at] in taken or not bulk:
                            row[at] = uuid.uuid4().hex
                owned = table in OWNED
                names = columns + (["seller"] if owned else [])
                rows = [r + [seller] for r in rows] if owned else rows
                moved = len(rows)
                if keyed and bulk:
                    # new ids from the team's own counter (a merged person's old id is a
                    # prospect id: from the prospects' counter)
                    counter = "prospect" if table == "prospect_alias" else table
                    new_ids = [r[0] for r in raw.execute(
                        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM "
                        "generate_series(1, %s)", (counter, len(rows))).fetchall()]
                    for row, new in zip(rows, new_ids):
                        mapping[row[at_id]] = row[at_id] = new
                    written = new_ids
                    with raw.cursor().copy(f"COPY {table} ({', '.join(names)}) "
                                           f"FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                elif keyed:
                    without = [c for c in names if c != "id"]
                    marks = ", ".join(["%s"] * len(without))
                    written = []
                    with raw.cursor() as cur:
                        for row in rows:
                            cur.execute(f"INSERT INTO {table} ({', '.join(without)}) VALUES "
                                        f"({marks}) RETURNING id",
                                        [v for c, v in zip(names, row) if c != "id"])
                            mapping[row[at_id]] = cur.fetchone()[0]
                            written.append(mapping[row[at_id]])
                else:  # a row keyed by its content (a tag, a setting): the team's is kept
                    moved = _insert(raw, table, names, rows, keep_theirs=True)
                    kept = len(rows) - moved
                if keyed:  # what the team database holds now of what was written
                    moved = raw.execute(f"SELECT count(*) FROM {table} WHERE id = ANY(%s)",
                                        (written,)).fetchone()[0]
                if moved + joined + kept + left + own != total:
                    raise DatabaseError(_("moving {table} did not add up ({moved} of {total}); "
                                          "nothing was moved").format(
                        table=table, moved=moved + joined + kept + left + own, total=total))
                report.append({"table": table, "entity": BY_TABLE[table].many, "book": total,
                               "moved": moved + own, "joined": joined, "kept": kept,
                               "left": left, "own": own, "why": why})
            if sync_from:  # where the phone's objects are, for the ids the team gave
                _move_sync_state(raw, book, seller, ids, bulk)
            if installed(raw):
                from .pgsearch import index_missing

                # the notes moved in, searchable (the administrator says whose they are)
                index_missing(Connection(raw, url), seller if bulk else None)
                # the derived values of an account the book joined, counted again: it has the
                # people of every book now (its last touch, deciders, due date), and the care
                # dates of everyone there follow (a book's own people came with theirs)
                if joined_ids.get("account"):
                    import json

                    raw.execute("SELECT relcrm_settle_shared('[]', %s)",
                                (json.dumps(sorted(joined_ids["account"])),))
            raw.execute("INSERT INTO _import (sha256, seller, file, at) VALUES (%s, %s, %s, %s)",
                        (fingerprint, seller, str(path), dates.iso(dates.now())))
        if bulk:  # the planner's statistics, for the rows just moved in (autovacuum is later)
            for table in tables():
                raw.execute(f"ANALYZE {table}")
        return report
    except psycopg.Error as exc:
        raise DatabaseError(describe(exc, url)) from None
    finally:
        raw.close()
        book.close()


def _move_sync(raw: Any, seller: str, personal: list[list[Any]],
               bulk: bool) -> tuple[int, str]:
    """A book's phone-sync settings become the seller's own (seller_setting), when the one
    moving the book may write those: the seller, or the administrator. A manager moving a
    colleague's book in cannot (each seller's are theirs alone): they stay in the book, and
    so they do when the seller syncs from the team database already. Returns how many moved,
    and why the others stayed ("older", "colleague", "syncing")."""
    if not personal:
        return 0, ""
    if not installed(raw):
        return 0, "older"
    me = raw.execute("SELECT current_user").fetchone()[0]
    if not bulk and me != seller:
        return 0, "colleague"
    if raw.execute("SELECT count(*) FROM seller_setting WHERE seller = %s",
                   (seller,)).fetchone()[0]:
        return 0, "syncing"
    names = ["key", "value"] + (["seller"] if bulk else [])
    return _insert(raw, "seller_setting", names,
                   [[key, value] + ([seller] if bulk else []) for key, value in personal]), ""


# what each kind of object on a seller's phone names: a row of which table
_SYNCED = {"step": ("step",), "date": ("important_date",), "occasion": ("occasion",),
           "prospect": ("prospect", "prospect_alias")}


def _move_sync_state(raw: Any, book: sqlite3.Connection, seller: str,
                     ids: dict[str, dict[int, int]], bulk: bool) -> None:
    """The book's sync state (what is where on the phone, the server's tokens) moves with its
    settings, each object naming the record by its id in the team database: the seller's
    next sync then replaces the book's objects on the phone with the team database's (an
    object's UID holds its record's id), instead of leaving the old ones beside the new."""
    extra = ["seller"] if bulk else []
    # what the seller's sync state held without its settings (a sync setup undone) is
    # replaced: the book's settings say where their phone is now
    raw.execute("DELETE FROM _sync_state WHERE seller = %s AND key <> 'lock'", (seller,))
    raw.execute("DELETE FROM _sync_item WHERE seller = %s", (seller,))
    state = [list(r) + ([seller] if bulk else []) for r in book.execute(
        "SELECT key, value FROM _sync_state")]
    _insert(raw, "_sync_state", ["key", "value", *extra], state)
    items = []
    for row in book.execute("SELECT uid, collection, kind, ref_id, href, etag, digest, sent "
                            "FROM _sync_item"):
        row = list(row)
        found = next((ids[t][row[3]] for t in _SYNCED.get(row[2], ()) if row[3] in ids.get(
            t, {})), 0)  # 0: a record gone from the book (its object goes from the phone)
        row[3] = found
        items.append(row + ([seller] if bulk else []))
    _insert(raw, "_sync_item", ["uid", "collection", "kind", "ref_id", "href", "etag",
                                "digest", "sent", *extra], items)


def _insert(raw: Any, table: str, names: list[str], rows: list[list[Any]], *,
            keep_theirs: bool = False) -> int:
    """INSERT rows one by one (checked by the policies); with `keep_theirs`, a row the team
    has already is left as it is. Returns how many went in."""
    marks = ", ".join(["%s"] * len(names))
    moved = 0
    with raw.cursor() as cur:
        for row in rows:
            cur.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})"
                        + (" ON CONFLICT DO NOTHING" if keep_theirs else ""), row)
            moved += cur.rowcount
    return moved


# what makes a shared row the same one in two books (not when it was written, nor its notes)
_SAME = {"kam_change": ("account_id", "at", "from_stage", "to_stage"),
         "important_date": ("prospect_id", "account_id", "kind", "month", "day", "year",
                            "lunar")}


def _new_to_the_team(raw: Any, table: str, columns: list[str], rows: list[list[Any]],
                     joined: set[int]) -> tuple[list[list[Any]], dict[int, int]]:
    """The rows of an account the team has already that the team lacks (a KAM change, an
    account's date), and the ids of those it has, found by what they say (_SAME): moving a
    second seller's book in does not write the shared history twice."""
    others = list(_SAME[table])
    there = {tuple(r[1:]): r[0] for r in raw.execute(
        f"SELECT id, {', '.join(others)} FROM {table} WHERE account_id = ANY(%s)",
        (sorted(joined),))}
    at_id, at_account = columns.index("id"), columns.index("account_id")
    at_person = columns.index("prospect_id") if "prospect_id" in columns else None
    fresh, same = [], {}
    for row in rows:
        key = tuple(row[columns.index(c)] for c in others)
        shared = at_person is None or row[at_person] is None
        if shared and row[at_account] in joined and key in there:
            same[row[at_id]] = there[key]
        else:
            fresh.append(row)
    return fresh, same


# --------------------------------------------------------------------------- keeping it safe

def _tool(name: str) -> str | None:
    """A PostgreSQL client program (pg_dump): on the PATH, else the newest Debian one."""
    import glob
    import shutil

    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True,
                         key=lambda f: int(re.sub(r"\D", "", f) or 0)):
        candidate = f"{folder}/{name}"
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def backup(url: str, target: Any | None, *, replace: bool) -> tuple[Any, int, str]:
    """Back the team database up: with pg_dump (custom format, for pg_restore) when it is
    installed, else as `relcrm export all` (JSON, for `relcrm import`) read in one snapshot.
    Either holds what the connecting role may read (a seller's: their own records and the
    shared ones). Returns the file, its size and the way ("pg_dump" or "export")."""
    import subprocess
    from pathlib import Path

    from . import dates, db, files

    dump = _tool("pg_dump")
    name = (re.sub(r"\W+", "-", url.rsplit("/", 1)[-1].split("?")[0]).strip("-") or "team")
    stamp = dates.now().strftime("%Y%m%d-%H%M%S")
    default = f"relcrm-team-{name}-{stamp}.{'dump' if dump else 'json'}"
    chosen = target is not None and not Path(target).expanduser().is_dir()
    if target is None:
        folder = db.data_dir() / "backups"
        db.make_private_dirs(folder)
        target = folder / default
    target = Path(target).expanduser()
    if target.is_dir():
        target = target / default
    if target.exists() and chosen and not replace:
        raise UsageError(_("{target} exists; relcrm does not overwrite a file with a backup "
                           "unless asked: give a new name, a folder, or --replace").format(
            target=target))
    real = files.check_output(target, what="backup")
    if dump is None:
        from .cli.transfer import write_book
        from .queries import export

        con = connect(url)
        files.write(target, lambda out: write_book(out, lambda e: export(con, e)),
                    what="backup")
        return target, real.stat().st_size, "export"

    with files.temporary(real) as tmp:  # the backup appears whole or not at all
        result = subprocess.run(
            [dump, "--format=custom", "--enable-row-security", "--no-password", "--file",
             str(tmp), "--dbname", url], capture_output=True, text=True,
            env={**os.environ, "PGCONNECT_TIMEOUT": "10"})
        if result.returncode:
            why = (result.stderr.strip().splitlines() or ["?"])[-1].removeprefix("pg_dump: ")
            raise DatabaseError(_("pg_dump could not back up {url}: {why}").format(
                url=shown(url), why=why.removeprefix("error: ")))
        try:
            os.chmod(tmp, 0o600)
            with open(tmp, "rb") as done:
                os.fsync(done.fileno())
            os.replace(tmp, real)
        except OSError as exc:
            raise files.disk_error(exc, target) from None
    return target, real.stat().st_size, "pg_dump"


def doctor(url: str) -> list[tuple[str, str, bool]]:
    """Check a team database: its schema, that row-level security is on with its policies on
    every table that needs it, the groups and the sellers' roles. (line, text, ok) each."""
    from .migrations import LATEST
    from .registry import TABLES

    con = connect(url)
    raw = con.raw
    out = [("book", shown(url), True)]
    version = schema_version(raw)
    ready = installed(raw)
    out.append(("schema", _("version {version} (this relcrm: {latest})").format(
        version=version, latest=LATEST) + ("" if ready else "; " + _(
            "PROBLEM: readied by an older relcrm: its administrator runs relcrm team init URL "
            "once with this relcrm")), version == LATEST and ready))
    from .pgwrite import PERSONAL

    # each seller's records, and what relcrm keeps of each seller's (their changes, search
    # entries, sync state and own settings)
    guarded = [t for t in TABLES if t not in SHARED] + [
        "_change", "_journal", "_search", "_import", "_dirty", *PERSONAL]
    if not ready:  # what an older relcrm did not lay: said on the schema's line
        guarded = [t for t in guarded if raw.execute("SELECT to_regclass(%s)", (t,))
                   .fetchone()[0] is not None]
    rows = raw.execute(
        "SELECT c.relname, c.relrowsecurity, (SELECT count(*) FROM pg_policy p WHERE "
        "p.polrelid = c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relname = ANY(%s)", (guarded,)).fetchall()
    found = {r[0]: (r[1], r[2]) for r in rows}
    open_tables = [t for t in guarded if not found.get(t, (False, 0))[0]
                   or found.get(t, (False, 0))[1] < (2 if t in OWNED else 1)]
    policies = sum(n for _on, n in found.values())
    out.append(("security", _("row-level security on {tables} tables, {policies} policies")
                .format(tables=len(guarded) - len(open_tables), policies=policies)
                if not open_tables else _("PROBLEM: no row-level security on {tables}").format(
                    tables=", ".join(open_tables)), not open_tables))
    members = raw.execute(
        "SELECT s.name, s.manager, r.rolname IS NOT NULL, "
        "coalesce(pg_has_role(r.rolname, %s, 'member'), false), "
        "coalesce(pg_has_role(r.rolname, %s, 'member'), false), "
        "coalesce(r.rolsuper OR r.rolbypassrls, false) "
        "FROM seller s LEFT JOIN pg_roles r ON r.rolname = s.name ORDER BY s.name",
        groups(raw)).fetchall()
    wrong = [r[0] for r in members if not r[2] or r[5]
             or (r[4] if r[1] else r[3]) is False]
    managers = sum(1 for r in members if r[1])
    out.append(("sellers", ngettext("{n} seller", "{n} sellers", len(members) - managers).format(
        n=len(members) - managers) + ", " + ngettext("{n} manager", "{n} managers",
                                                      managers).format(n=managers)
        if not wrong else _(
        "PROBLEM: the roles of {names} do not match the team (missing, superuser, or not in "
        "their group): relcrm team add-seller NAME puts one right").format(
        names=", ".join(wrong)), not wrong))
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("prospect", "touch", "step", "deal")}
    out.append(("records", _("{prospects} prospects, {touches} touches, {steps} steps, "
                             "{deals} deals readable by {user}").format(
        prospects=counts["prospect"], touches=counts["touch"], steps=counts["step"],
        deals=counts["deal"], user=raw.info.user), True))
    from .core.care import unplaceable

    bad = unplaceable(con)  # (a seller's psql could write any number into a shared date)
    if bad:
        out.append(("dates", _("PROBLEM: {details}").format(details=_(
            "{n} with no day relcrm can place, left out of follow-ups and plans: {dates}")
            .format(n=len(bad), dates="; ".join(bad))), False))
    ok = all(line[2] for line in out)
    out.append(("verdict", _("ok") if ok else _("PROBLEMS found (see above)"), ok))
    return out
