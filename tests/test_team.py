"""Team mode on a real PostgreSQL (tests/pg_server.py starts a throwaway cluster): team init,
add-seller, import-book, the read commands on both engines, row-level security through psql as
each role, and every failure one line with the database unchanged."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli, Run
from pg_server import Postgres, binaries

from relcrm import db
from relcrm.migrations import LATEST

FIXTURES = Path(__file__).parent / "fixtures" / "books"
TODAY = "2026-11-25"

if binaries() is None:
    if os.environ.get("RELCRM_REQUIRE_POSTGRES"):
        raise RuntimeError("PostgreSQL is not installed and RELCRM_REQUIRE_POSTGRES is set")
    pytest.skip("PostgreSQL is not installed (apt-get install -y postgresql)",
                allow_module_level=True)


@pytest.fixture(scope="session")
def server():
    with Postgres() as running:
        yield running


_made = {"n": 0}


def _database(server: Postgres, template: str | None = None) -> str:
    _made["n"] += 1
    name = f"t{os.getpid()}_{_made['n']}"
    server.psql(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""),
                database="postgres")
    return name


@pytest.fixture(scope="session")
def templates(server, tmp_path_factory):
    """Databases made once and copied for each test (CREATE DATABASE ... TEMPLATE): "team",
    a team database with the sellers alice and bob and the manager mai; "two", the same with
    the v8 fixture book moved in as alice's and again as bob's."""
    made = {}
    folder = tmp_path_factory.mktemp("templates")
    name = _database(server)
    cli = TeamCli(Team(server, name))
    cli("team", "init", server.url("postgres", name))
    cli("team", "add-seller", "alice")
    cli("team", "add-seller", "bob")
    cli("team", "add-seller", "mai", "--manager")
    made["team"] = name
    two = _database(server, name)
    cli = TeamCli(Team(server, two))
    for seller in ("alice", "bob"):
        (folder / seller).mkdir()
        cli("team", "import-book", solo(folder / seller), "--seller", seller)
    made["two"] = two
    return made


@pytest.fixture
def team(server):
    """A new empty database on the cluster (its URL as the superuser: the team's admin)."""
    name = _database(server)
    yield Team(server, name)
    server.psql(f"DROP DATABASE {name} WITH (FORCE)", database="postgres")


class Team:
    def __init__(self, server: Postgres, database: str) -> None:
        self.server, self.database = server, database

    def url(self, user: str = "postgres") -> str:
        return self.server.url(user, self.database)

    def psql(self, sql: str, user: str = "postgres") -> str:
        return self.server.psql(sql, user=user, database=self.database)

    def dump(self, journal: bool = True) -> str:
        """Every row of every table, the sellers and the roles: what a failure must not
        change (without the undo journal: what an undo puts back)."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as con:
            parts = [" ".join(r[0] for r in con.execute(
                "SELECT rolname FROM pg_roles ORDER BY rolname"))]
            for (table,) in con.execute("SELECT tablename FROM pg_tables WHERE schemaname = "
                                        "'public' ORDER BY tablename").fetchall():
                if not journal and table in ("_change", "_journal"):
                    continue
                rows = con.execute(f"SELECT t::text FROM {table} t ORDER BY 1").fetchall()
                parts.append(table + ": " + "\n".join(r[0] for r in rows))
        return "\n".join(parts)


class TeamCli(Cli):
    """The CLI on a team database, as `user` (RELCRM_DB is their URL)."""

    def __init__(self, team: Team, user: str = "postgres") -> None:
        super().__init__(Path("/nonexistent"))
        self.team, self.user = team, user

    def run(self, *args: str, input: str | None = None, env: dict | None = None) -> Run:
        env = {"RELCRM_DB": self.team.url(self.user), "RELCRM_TODAY": TODAY, **(env or {})}
        db.select(None)
        return super().run(*args, input=input, env=env)

    def dump(self, journal: bool = True) -> str:
        return self.team.dump(journal)

    def as_(self, user: str) -> "TeamCli":
        return TeamCli(self.team, user)


def solo(tmp_path: Path, version: int = 8) -> Path:
    book = tmp_path / f"v{version}.db"
    shutil.copy(FIXTURES / f"v{version}.db", book)
    os.chmod(book, 0o600)
    return book


def counts(book: Path) -> dict[str, int]:
    """Each table's rows in a solo book after its upgrade (what import-book must move)."""
    from relcrm.registry import TABLES

    con = db.connect(book)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        con.close()


@pytest.fixture
def admin(team) -> TeamCli:
    cli = TeamCli(team)
    cli("team", "init", team.url())
    return cli


def _copy(server: Postgres, template: str):
    name = _database(server, template)
    yield TeamCli(Team(server, name))
    server.psql(f"DROP DATABASE {name} WITH (FORCE)", database="postgres")


@pytest.fixture
def sellers(server, templates):
    """A team database with alice, bob (sellers) and mai (a manager), nothing moved in."""
    yield from _copy(server, templates["team"])


@pytest.fixture
def two_sellers(server, templates):
    """alice owns the v8 fixture book, bob a second copy of it; mai is a manager."""
    yield from _copy(server, templates["two"])


# -- team init, add-seller --------------------------------------------------------------------

def test_init_creates_the_schema_once(team):
    cli = TeamCli(team)
    first = cli("team", "init", team.url())
    assert "Created the team database" in first.out and "row-level security on" in first.out
    assert team.psql("SELECT max(version) FROM _migrations") == str(LATEST)
    before = team.dump()
    again = cli("team", "init", team.url())
    assert "a team database already" in again.out and "nothing changed" in again.out
    assert team.dump() == before


def test_init_refuses_what_is_not_a_postgresql_url(team, tmp_path):
    cli = TeamCli(team)
    cli.fails(2, "team", "init", "mysql://x@localhost/db", match="not a PostgreSQL URL")
    cli.fails(2, "team", "init", "postgresql://a@127.0.0.1:1/db?bogus_option=1",
              match="not a PostgreSQL URL")
    cli.fails(1, "team", "init", f"postgresql://postgres@127.0.0.1:{team.server.port}/nosuch",
              match="cannot reach the team database")


def test_a_seller_cannot_create_the_team_database(sellers):
    team = sellers.team
    other = TeamCli(team, "alice")
    team.psql("CREATE DATABASE empty_for_alice", user="postgres")
    try:
        result = other.run("team", "init", team.server.url("alice", "empty_for_alice"))
        assert result.code == 1 and "cannot create the team database" in result.err
        assert len(result.err.strip().splitlines()) == 1
    finally:
        team.psql("DROP DATABASE empty_for_alice WITH (FORCE)")


@pytest.mark.parametrize("name", ["Alice", "a b", "x; DROP TABLE prospect", "1abc", "a" * 64,
                                  "", "anh-tuấn", "'; --"])
def test_add_seller_refuses_names_that_are_not_role_names(sellers, name):
    sellers.fails(2, "team", "add-seller", name, match="not a seller name")


@pytest.mark.parametrize("name,why", [("pg_signal_backend", "keeps for itself"),
                                      ("relcrm_seller", "keeps for itself"),
                                      ("postgres", "superuser")])
def test_add_seller_refuses_the_roles_security_would_not_hold(sellers, name, why):
    sellers.fails(2, "team", "add-seller", name, match=why)


def test_add_seller_twice_changes_only_the_kind(admin, team):
    admin("team", "add-seller", "lan")
    again = admin("team", "add-seller", "lan", "--manager")
    assert "team member already; now a manager" in again.out
    listed = json.loads(admin("team", "sellers", "-f", "json").out)
    assert [(s["name"], s["manager"]) for s in listed] == [("lan", True)]
    assert team.psql("SELECT pg_has_role('lan', manager_group, 'member'), "
                     "pg_has_role('lan', seller_group, 'member') FROM _team") == "t|f"


def test_team_commands_on_a_database_that_is_not_a_team_one(team):
    cli = TeamCli(team)
    cli.fails(1, "team", "add-seller", "alice", match="not a relcrm team database yet")
    cli.fails(1, "list", match="not a relcrm team database yet")
    cli.fails(1, "followups", match="not a relcrm team database yet")


# -- moving a solo book in --------------------------------------------------------------------

@pytest.mark.parametrize("version", [pytest.param(v, marks=pytest.mark.slow)
                                     for v in range(1, LATEST)] + [LATEST])
def test_import_book_moves_every_record_of_each_fixture_book(sellers, tmp_path, version):
    admin, team = sellers, sellers.team
    book = solo(tmp_path, version)
    before = book.read_bytes()
    (tmp_path / "copy").mkdir()
    expected = counts(solo(tmp_path / "copy", version))
    result = admin("team", "import-book", book, "--seller", "alice")
    assert book.read_bytes() == before, "import-book changed the solo book"
    total = sum(expected.values())
    assert f"All {total} records accounted for" in result.out
    for table, count in expected.items():
        assert int(team.psql(f"SELECT count(*) FROM {table}")) == count, table
    for table in ("prospect", "touch", "step", "deal"):
        assert team.psql(f"SELECT count(*) FROM {table} WHERE seller <> 'alice'") == "0"


def test_import_book_remaps_ids_and_joins_the_shared_accounts(two_sellers):
    team = two_sellers.team
    mine = json.loads(two_sellers.as_("alice")("list", "-f", "json").out)
    theirs = json.loads(two_sellers.as_("bob")("list", "-f", "json").out)
    assert [p["name"] for p in mine] == [p["name"] for p in theirs]
    assert not {p["id"] for p in mine} & {p["id"] for p in theirs}, "ids were not remapped"
    # the same companies are one shared account each, not two
    assert {p["account_id"] for p in mine} == {p["account_id"] for p in theirs}
    assert team.psql("SELECT count(*) FROM account") == team.psql(
        "SELECT count(DISTINCT name_key) FROM account")
    # every reference follows its row: bob's touches are on bob's prospects
    assert team.psql("SELECT count(*) FROM touch t JOIN prospect p ON p.id = t.prospect_id "
                     "WHERE t.seller <> p.seller") == "0"
    assert team.psql("SELECT count(*) FROM call_note n JOIN touch t ON t.id = n.touch_id "
                     "JOIN prospect p ON p.id = t.prospect_id WHERE p.seller = 'bob'") == \
        team.psql("SELECT count(*) FROM call_note n JOIN touch t ON t.id = n.touch_id "
                  "JOIN prospect p ON p.id = t.prospect_id WHERE p.seller = 'alice'")


def test_import_book_says_what_it_joined(sellers, tmp_path):
    admin = sellers
    admin("team", "import-book", solo(tmp_path), "--seller", "alice")
    (tmp_path / "b").mkdir()
    second = admin("team", "import-book", solo(tmp_path / "b"), "--seller", "bob")
    assert "13 joined the team's" in second.out  # the 13 accounts
    assert "kept the team's" in second.out  # the settings alice's book brought


def test_import_book_failures_change_nothing(sellers, tmp_path):
    admin = sellers
    admin.fails(1, "team", "import-book", solo(tmp_path), "--seller", "nobody",
                match="no seller nobody")
    admin.fails(1, "team", "import-book", tmp_path / "missing.db", "--seller", "alice",
                match="no such book")
    junk = tmp_path / "junk.db"
    junk.write_text("not a database at all, just text\n" * 20)
    admin.fails(1, "team", "import-book", junk, "--seller", "alice",
                match="not a relcrm book")
    admin.fails(2, "team", "import-book", solo(tmp_path), match="--seller")


def test_a_seller_may_move_in_only_their_own_book(sellers, tmp_path):
    admin, team = sellers, sellers.team
    bob = admin.as_("bob")
    bob.fails(1, "team", "import-book", solo(tmp_path), "--seller", "alice",
              match="refused")
    bob("team", "import-book", solo(tmp_path), "--seller", "bob")
    assert team.psql("SELECT count(DISTINCT seller) FROM prospect") == "1"


# -- the read commands: the same output on both engines --------------------------------------

READS = [("list",), ("list", "-f", "csv"), ("list", "--stage", "3"), ("followups",),
         ("followups", "--all", "-f", "json"), ("followups", "--days", "30"), ("show", "5"),
         ("show", "Nguyễn Văn An"), ("plan",), ("plan", "week"), ("review",),
         ("review", "--month"), ("account", "list"), ("account", "show", "5"), ("deal", "list"),
         ("pipeline",), ("brief", "5"), ("date", "list"), ("stage", "history", "5"),
         ("step", "list"), ("export", "prospects", "-f", "json"), ("export", "touches"),
         ("kam", "list"), ("search", "quote"), ("search", "a", "-f", "csv"),
         ("search", "đổ hàng"), ("search", "Minh Phát", "-f", "json"),
         ("search", "a", "b", "--limit", "3")]


@pytest.fixture(scope="module")
def engines(server, templates, tmp_path_factory):
    """The v8 fixture book as a solo SQLite book and as alice's in a team database: the ids
    are the same (the team database was empty). Read only: shared by the tests below."""
    name = _database(server, templates["team"])
    folder = tmp_path_factory.mktemp("engines")
    TeamCli(Team(server, name))("team", "import-book", solo(folder), "--seller", "alice")
    (folder / "solo").mkdir()
    yield Cli(solo(folder / "solo")), TeamCli(Team(server, name), "alice")
    server.psql(f"DROP DATABASE {name} WITH (FORCE)", database="postgres")


@pytest.fixture
def pair(server, templates, tmp_path):
    """The v8 fixture book as a solo book and as alice's in a new team database (same ids)."""
    name = _database(server, templates["team"])
    TeamCli(Team(server, name))("team", "import-book", solo(tmp_path), "--seller", "alice")
    (tmp_path / "solo").mkdir()
    yield Cli(solo(tmp_path / "solo")), TeamCli(Team(server, name), "alice")
    server.psql(f"DROP DATABASE {name} WITH (FORCE)", database="postgres")


@pytest.mark.parametrize("args", READS, ids=" ".join)
def test_a_read_command_says_the_same_on_both_engines(engines, args):
    on_sqlite, on_postgres = engines
    expected = on_sqlite.run("--db", on_sqlite.path, *args)
    got = on_postgres.run(*args)
    assert (got.code, got.out, got.err) == (expected.code, expected.out, expected.err)


HOSTILE = [("show", "'; DROP TABLE prospect; --"), ("show", "99999"), ("show", "0"),
           ("show", "%"), ("show", str(2**63)), ("list", "--stage", "nope"),
           ("list", "--limit", "-1"), ("list", "--company", "' OR 1=1 --"),
           ("list", "--search", "%_\\"), ("followups", "--days", "x"),
           ("followups", "--days", "99999999999"), ("account", "show", "\"; DELETE FROM"),
           ("list", "--sort", "name; DROP"), ("plan", "next blursday"),
           ("show", "x\x1b[31m")]


@pytest.mark.parametrize("args", HOSTILE, ids=repr)
def test_hostile_input_fails_the_same_way_on_both_engines(engines, args):
    on_sqlite, on_postgres = engines
    expected = on_sqlite.run("--db", on_sqlite.path, *args)
    if expected.code == 0:
        got = on_postgres(*args)
        assert got.out == expected.out
        return
    got = on_postgres.fails(expected.code, *args)
    assert got.err == expected.err


def test_an_erased_person_leaves_no_trace_in_the_journal_or_the_index(pair):
    on_sqlite, on_postgres = pair
    for args in (("log", "5", "call", "An asked for the zebracorn price"),
                 ("edit", "5", "--note", "prefers Zalo")):
        _same(on_sqlite, on_postgres, args)
    said = on_postgres("delete", "5", "--yes", "--forget").out
    # the same, but for the backups beside a book file that still hold them
    assert said.endswith("It cannot be undone.\n") and said.rstrip("\n") in on_sqlite(
        "--db", on_sqlite.path, "delete", "5", "--yes", "--forget").out
    for args in (("undo",), ("undo", "--list"), ("search", "zebracorn"), ("show", "5")):
        _same(on_sqlite, on_postgres, args)
    team = on_postgres.team
    assert team.psql("SELECT count(*) FROM _journal WHERE coalesce(old, new) LIKE "
                     "'%Nguyễn Văn An%' OR coalesce(old, new) LIKE '%Zalo%' OR "
                     "coalesce(old, new) LIKE '%zebracorn%'") == "0"
    assert team.psql("SELECT count(*) FROM _search WHERE body LIKE '%zebracorn%' OR "
                     "body LIKE '%zalo%'") == "0"


# Every command of the tree that is not a write the team database takes (pgwrite.COMMANDS):
# the reads, and what works beside the database (a demo book, a backup file, the team's own)
NOT_TEAM_WRITES = {
    "list", "show", "stage list", "stage history", "step list", "step history",
    "account list", "account show", "account candidates", "deal list", "deal show", "pipeline",
    "kam list", "kam history", "followups", "plan", "review", "search", "date list",
    "occasion list", "occasion gifts", "types", "brief", "export", "backup", "restore",
    "doctor", "demo", "shell", "sync status", "team init",
    "team add-seller", "team sellers", "team import-book"}


def test_what_team_init_lays_is_versioned():
    """A change to the statements that ready a team database (security, machinery) bumps
    pgwrite.MACHINERY: a team database readied before then says so until team init."""
    from relcrm import pgwrite

    assert pgwrite.fingerprint() == pgwrite.MACHINERY[1], (
        "the team database's machinery changed: bump pgwrite.MACHINERY's number and set its "
        f"fingerprint to {pgwrite.fingerprint()!r}")


def test_every_command_is_a_team_write_or_declared_otherwise():
    """A write command forgotten in pgwrite.COMMANDS says 'not available' on a team database
    (account step did): a new command is put on one side or the other here."""
    from relcrm.cli import full_command
    from relcrm.pgwrite import COMMANDS

    def walk(command, path):
        if path and (not getattr(command, "commands", None) or command.invoke_without_command):
            yield " ".join(path)  # a command, or a group that is one itself (sync)
        for name, sub in (getattr(command, "commands", None) or {}).items():
            yield from walk(sub, [*path, name])

    # `relcrm call edit` is the command call-edit, named as typed
    tree = {name.replace("call-edit", "call edit") for name in walk(full_command(), [])}
    assert COMMANDS - tree == set()
    assert tree - COMMANDS == NOT_TEAM_WRITES


def test_a_team_database_without_each_sellers_sync_asks_for_team_init(admin, team):
    """A team database readied for writes by the relcrm before sync came (no per-seller sync
    state): every write says what to do in one line and changes nothing; team init readies
    it, every row kept."""
    admin("team", "add-seller", "alice")
    alice = admin.as_("alice")
    alice("add", "An", "--company", "Minh Phát")
    team.psql("DROP TABLE _sync_item, _sync_state, seller_setting; DROP INDEX "
              "ix_touch_contact; CREATE INDEX ix_touch_contact ON touch (prospect_id, at, kind); "
              "COMMENT ON TABLE _team IS 'relcrm machinery 1'")  # as that relcrm left it
    for args in (("add", "Bình"), ("sync",), ("config", "sync.url", "https://dav.example/"),
                 ("account", "step", "Minh Phát", "fri", "visit")):
        alice.fails(1, *args, match="does not take changes yet")
    admin("team", "add-seller", "mai", "--manager")
    admin.as_("mai").fails(1, "review", "--team", match="cannot show one seller's records yet")
    doctor = alice.run("doctor")  # what is missing is the older relcrm's: init says the rest
    assert doctor.code == 1 and "readied by an older relcrm" in doctor.out
    assert "no row-level security" not in doctor.out
    assert "takes changes now" in admin("team", "init", team.url()).out
    # its indexes are made again, ordering NULL first as SQLite does (as the reads ask)
    assert team.psql("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_touch_contact'"
                     ).endswith("(prospect_id NULLS FIRST, at NULLS FIRST, kind NULLS FIRST)")
    alice("config", "sync.url", "https://dav.example/")
    assert alice("config", "sync.url").out == "https://dav.example/\n"
    assert alice("list", "-f", "csv").out.count("\n") == 2


# -- doctor, backup, restore: what they do on a team database -------------------------------

def test_doctor_checks_the_team_database_and_finds_security_turned_off(two_sellers):
    alice = two_sellers.as_("alice")
    report = alice("doctor").out
    assert "row-level security on 26 tables, 39 policies" in report
    assert "2 sellers, 1 manager" in report and report.rstrip().endswith("ok")
    assert json.loads(alice("doctor", "-f", "json").out)[0]["verdict"] == "ok"
    two_sellers.team.psql("ALTER TABLE call_note DISABLE ROW LEVEL SECURITY")
    two_sellers.team.psql("DROP POLICY own ON _sync_state")
    broken = alice.run("doctor")
    assert broken.code == 1 and "PROBLEM: no row-level security on call_note, _sync_state" \
        in broken.out
    alice.fails(2, "doctor", "--repair", match="for a book file")


def test_a_sellers_backup_holds_their_records_and_pg_restore_puts_it_back(two_sellers,
                                                                        tmp_path):
    team = two_sellers.team
    target = tmp_path / "alice.dump"
    alice = two_sellers.as_("alice")
    said = alice("backup", target).out
    assert "with pg_dump to" in said and target.stat().st_mode & 0o777 == 0o600
    alice.fails(2, "backup", target, match="--replace")
    assert "with pg_dump" in alice("backup", target, "--replace").out
    restored = _database(team.server)
    subprocess.run([str(team.server.bin / "pg_restore"), "--no-owner", "--dbname",
                    team.server.url("postgres", restored), str(target)], check=True,
                   capture_output=True)
    assert team.server.psql("SELECT count(*), min(seller), max(seller) FROM prospect",
                            database=restored) == "12|alice|alice"
    assert team.server.psql("SELECT count(*) FROM account", database=restored) == "13"


def test_without_pg_dump_the_backup_is_an_export_that_imports_back(two_sellers, tmp_path,
                                                                  monkeypatch):
    from relcrm import pg

    monkeypatch.setattr(pg, "_tool", lambda name: None)
    alice = two_sellers.as_("alice")
    target = tmp_path / "alice.json"
    assert "pg_dump was not found" in alice("backup", target).out
    solo_book = Cli(tmp_path / "back.db")
    solo_book("--db", solo_book.path, "import", target)
    mine = json.loads(alice("export", "prospects", "-f", "json").out)
    back = json.loads(solo_book("--db", solo_book.path, "export", "prospects", "-f",
                                "json").out)
    assert sorted(p["name"] for p in back) == sorted(p["name"] for p in mine)


def test_restore_says_how_a_team_database_is_restored(two_sellers, tmp_path):
    junk = tmp_path / "x.dump"
    junk.write_bytes(b"PGDMP")
    two_sellers.fails(1, "restore", junk, match="pg_restore --clean --dbname")


def test_a_read_is_one_read_only_snapshot(two_sellers):
    """Nothing a read command runs on a team database can write (the transaction is read
    only), and all it reads is one snapshot."""
    from relcrm import db, pg

    db.select(two_sellers.team.url("alice"))
    try:
        con = db.connect(create=False)
        seen = con.execute("SELECT count(*) FROM prospect").fetchone()[0]
        two_sellers.team.psql("DELETE FROM prospect WHERE id = (SELECT min(id) FROM prospect "
                              "WHERE seller = 'alice')")  # another session, meanwhile
        assert con.execute("SELECT count(*) FROM prospect").fetchone()[0] == seen
        with pytest.raises(Exception) as refused:
            con.execute("UPDATE prospect SET note = 'x'")
        assert "read-only" in str(refused.value)
    finally:
        pg.close_all()
        db.select(None)


# -- row-level security: what each role gets, through relcrm and through psql ------------------

def test_each_seller_sees_their_own_and_the_shared_accounts(two_sellers):
    alice, bob, mai = (two_sellers.as_(u) for u in ("alice", "bob", "mai"))
    a = json.loads(alice("list", "-f", "json").out)
    b = json.loads(bob("list", "-f", "json").out)
    assert len(a) == len(b) == 11  # and one lost each
    assert json.loads(mai("list", "-f", "json").out) == []  # a manager's own: none
    everyone = json.loads(mai("list", "--team", "-f", "json").out)
    assert sorted(p["id"] for p in everyone) == sorted(p["id"] for p in a + b)
    # with --team, whose each one is
    owner = {p["id"]: "alice" for p in a} | {p["id"]: "bob" for p in b}
    assert all(p["seller"] == owner[p["id"]] for p in everyone)
    assert "Seller" in mai("list", "--team").lines[0]
    due = json.loads(mai("followups", "--team", "-f", "json").out)
    assert {r["seller"] for r in due if r["id"]} == {"alice", "bob"}
    assert all(r["seller"] is None for r in due if not r["id"])
    assert "seller" not in json.loads(alice("list", "-f", "json").out)[0]
    planned = json.loads(mai("plan", "week", "--team", "-f", "json").out)
    assert {r["seller"] for r in planned if r["id"]} <= {"alice", "bob"} and planned
    # followups: each their own people, and the shared key accounts
    fa = json.loads(alice("followups", "-f", "json").out)
    fb = json.loads(bob("followups", "-f", "json").out)
    mine = {p["id"] for p in a}
    assert {r["id"] for r in fa if r.get("id")} <= mine
    assert not {r["id"] for r in fb if r.get("id")} & mine
    assert {r["account"] for r in fa if not r.get("id") and r.get("account")} == \
        {r["account"] for r in fb if not r.get("id") and r.get("account")}
    # another seller's prospect is unknown to bob, as any unknown record
    bob.fails(1, "show", str(a[0]["id"]), match="no prospect")


def test_team_is_for_managers_and_team_databases(two_sellers, cli):
    two_sellers.as_("alice").fails(2, "followups", "--team", match="alice is a seller")
    two_sellers.as_("bob").fails(2, "list", "--team", match="bob is a seller")
    cli.add("An")
    cli.fails(2, "list", "--team", match="for a team database")
    cli.fails(2, "review", "--team", match="for a team database")


def test_psql_gives_a_seller_no_more_than_relcrm(two_sellers):
    """alice bypasses relcrm with psql: she reads what relcrm shows her and changes only her
    own rows; bob's stay as they were."""
    team = two_sellers.team
    bobs = team.dump()
    alice_ids = {p["id"] for p in json.loads(two_sellers.as_("alice")(
        "export", "prospects", "-f", "json").out)}
    seen = set(map(int, team.psql("SELECT id FROM prospect", user="alice").split()))
    assert seen == alice_ids
    for sql in ("SELECT count(*) FROM prospect WHERE seller = 'bob'",
                "SELECT count(*) FROM touch WHERE seller = 'bob'",
                "SELECT count(*) FROM step WHERE seller = 'bob'",
                "SELECT count(*) FROM deal WHERE seller = 'bob'",
                "SELECT count(*) FROM call_note n JOIN touch t ON t.id = n.touch_id WHERE "
                "t.seller = 'bob'",
                "SELECT count(*) FROM tag WHERE prospect_id NOT IN (SELECT id FROM prospect)",
                "SELECT count(*) FROM contact WHERE prospect_id NOT IN (SELECT id FROM "
                "prospect)"):
        assert team.psql(sql, user="alice") == "0", sql
    # the shared accounts: all of them
    assert team.psql("SELECT count(*) FROM account", user="alice") == "13"
    # asking for the team's view changes nothing for a seller
    assert team.psql("SET relcrm.team = 'on'; SELECT count(*) FROM prospect", user="alice") \
        == "12"
    # writes to bob's rows touch nothing
    for sql in ("UPDATE prospect SET name = 'x' WHERE seller = 'bob'",
                "DELETE FROM touch WHERE seller = 'bob'",
                "UPDATE step SET text = 'x'", "DELETE FROM tag WHERE prospect_id IN "
                "(SELECT id FROM prospect WHERE seller = 'bob')"):
        team.psql(sql.replace("UPDATE step SET text = 'x'",
                              "UPDATE step SET text = text WHERE seller = 'bob'"),
                  user="alice")
    # rows written as bob, or moved to bob, or hung on bob's people, are refused
    bob_person = team.psql("SELECT min(id) FROM prospect WHERE seller = 'bob'")
    for sql in ("INSERT INTO prospect (name, name_key, stage, created_at, updated_at, seller) "
                "VALUES ('x', 'x', 'attract', '2026-11-20T10:00:00', '2026-11-20T10:00:00', 'bob')",
                "UPDATE prospect SET seller = 'bob'",
                f"INSERT INTO tag (prospect_id, name) VALUES ({bob_person}, 'x')",
                f"INSERT INTO touch (prospect_id, kind, at, summary, created_at, seq) VALUES "
                f"({bob_person}, 'call', '2026-11-20T10:00:00', 'x', '2026-11-20T10:00:00', 1)",
                f"INSERT INTO step (prospect_id, kind, text, due_at, status, created_at, uid) "
                f"VALUES ({bob_person}, 'todo', 'x', 'a', 'open', 'a', 'u1')",
                "ALTER TABLE prospect DISABLE ROW LEVEL SECURITY",
                "DELETE FROM account",
                "DROP TABLE touch",
                "UPDATE seller SET manager = 1"):
        with pytest.raises(subprocess.CalledProcessError):
            team.psql(sql, user="alice")
    after = team.dump()
    assert [line for line in after.splitlines() if "bob" in line] == \
        [line for line in bobs.splitlines() if "bob" in line]
    # and alice may change her own, with the same statements (the refusals above are the
    # policies', not a mistake in the SQL)
    team.psql("UPDATE prospect SET note = 'mine' WHERE id = (SELECT min(id) FROM prospect)",
              user="alice")
    assert team.psql("SELECT count(*) FROM prospect WHERE note = 'mine'") == "1"
    hers = team.psql("SELECT min(id) FROM prospect WHERE seller = 'alice'")
    team.psql(f"INSERT INTO touch (prospect_id, kind, at, summary, created_at, seq) VALUES "
              f"({hers}, 'call', '2026-11-20T10:00:00', 'x', '2026-11-20T10:00:00', 1); "
              f"INSERT INTO tag (prospect_id, name) "
              f"VALUES ({hers}, 'x'); INSERT INTO step (prospect_id, kind, text, due_at, status, "
              f"created_at, uid) VALUES ({hers}, 'todo', 'x', 'a', 'open', 'a', 'u1')",
              user="alice")
    assert team.psql("SELECT seller FROM touch WHERE summary = 'x' AND "
                     "at = '2026-11-20T10:00:00'") == "alice"


def test_a_manager_sees_everyone_only_when_asking(two_sellers):
    team = two_sellers.team
    assert team.psql("SELECT count(*) FROM prospect", user="mai") == "0"
    assert team.psql("SET relcrm.team = 'on'; SELECT count(*) FROM prospect", user="mai") \
        == "24"
    assert team.psql("SET relcrm.team = 'on'; SELECT count(*) FROM call_note", user="mai") \
        == team.psql("SELECT count(*) FROM call_note")


def test_a_manager_looks_at_one_seller_and_reviews_each(two_sellers, tmp_path):
    """--seller NAME narrows a manager's --team to one seller's records (list, followups,
    plan, review); review --team adds each seller's figures beside the team's."""
    alice, bob, mai = (two_sellers.as_(n) for n in ("alice", "bob", "mai"))
    bob("log", "Nguyễn Văn An", "call", "rang about the film order")
    bob("log", "Ngô Thị Lan", "visit", "line walk")
    for command in (("list",), ("followups", "--all"), ("plan", "week")):
        rows = json.loads(mai(*command, "--seller", "bob", "-f", "json").out)
        assert rows and {r["seller"] for r in rows} <= {"bob", None}, command
        everyone = json.loads(mai(*command, "--team", "-f", "json").out)
        assert [r for r in everyone if r["seller"] == "bob"] == [
            r for r in rows if r["seller"] == "bob"], command
    assert "bob" in mai("list", "--seller", "bob").out.splitlines()[1]
    figures = json.loads(mai("review", "--team", "-f", "json").out)
    touches = {r["seller"]: r["current"] for r in figures if r["figure"] == "touches"}
    assert touches == {None: touches["alice"] + touches["bob"], "alice": touches["alice"],
                       "bob": touches["alice"] + 2, "mai": 0}
    assert json.loads(mai("review", "--seller", "bob", "-f", "json").out) == [
        r for r in figures if r["seller"] == "bob"]
    table = mai("review", "--team").out
    by = table[table.index("By seller"):].splitlines()
    assert by[1].split()[:2] == ["Seller", "Touches"]
    assert by[2].split()[0] == "alice" and by[3].split()[0] == "bob"
    # everyone in the team has a row, a manager with no records too (zeros)
    assert [line.split()[0] for line in by[2:5]] == ["alice", "bob", "mai"]
    assert by[4].split()[1:3] == ["0", "0"]
    # a won value in another currency is shown beside the book's (the review: dropped)
    deal = next(r["id"] for r in json.loads(bob("deal", "list", "-f", "json").out)
                if r["currency"] == "USD")
    bob("deal", "won", str(deal))
    table = mai("review", "--team").out
    bob_row = next(line for line in table[table.index("By seller"):].splitlines()
                   if line.startswith("bob"))
    assert "21,000.50\xa0USD" in bob_row and "1,080,000,000" in bob_row  # 12,500.50 + 8,500
    # a seller sees only their own anyway; an unknown seller; no name; a book file
    alice.fails(2, "list", "--seller", "bob", match="--seller shows one seller's records to a "
                "manager; alice is a seller")
    mai.fails(1, "followups", "--seller", "nobody", match="no seller nobody")
    mai.fails(2, "plan", "--seller", "", match="--seller needs a seller's name")
    # the administrator reads past row-level security: no narrowing there, said in one line
    admin = TeamCli(two_sellers.team)
    for args in (("list", "--seller", "bob"), ("review", "--team")):
        admin.fails(2, *args, match="reads past row-level security")
    book = solo(tmp_path)
    Cli(book).fails(2, "--db", book, "review", "--seller", "bob",
                    match="--seller is for a team database")

# -- the SQLite path stays as it was ----------------------------------------------------------

def test_the_solo_path_never_loads_team_mode(tmp_path):
    book = tmp_path / "b.db"
    code = ("import sys\nfrom relcrm.cli import main\n"
            f"sys.argv = ['relcrm', '--db', {str(book)!r}, 'list']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('psycopg', 'sqlglot', 'relcrm.pg') if m in sys.modules),"
            " file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "RELCRM_TODAY": TODAY})
    assert result.stderr.strip().splitlines()[-1] == "[]"


def test_the_team_database_in_relcrm_db_through_the_installed_command(two_sellers):
    team = two_sellers.team
    from test_entrypoint import _relcrm

    result = subprocess.run([*_relcrm(), "followups", "-f", "csv"], capture_output=True,
                            text=True, env={**os.environ, "RELCRM_TODAY": TODAY,
                                            "RELCRM_DB": team.url("alice")})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("due_on,")
    bad = subprocess.run([*_relcrm(), "list"], capture_output=True, text=True,
                         env={**os.environ, "RELCRM_DB": team.url("nobody")})
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("relcrm: error: cannot reach the team database")


# -- what a review found: the holes between teams, between sellers, and in moving in ----------

def test_a_team_member_is_nothing_in_another_team_database(two_sellers, server, templates):
    """Roles are the server's, not one database's: each team database has its own groups, and
    only its team may connect to it."""
    other = _database(server)
    try:
        admin = TeamCli(Team(server, other))
        admin("team", "init", server.url("postgres", other))
        admin("team", "add-seller", "mai")  # a seller here, a manager in the first team
        for user in ("alice", "bob"):
            result = admin.as_(user).run("list")
            assert result.code == 1 and "cannot reach the team database" in result.err
            with pytest.raises(subprocess.CalledProcessError):
                server.psql("SELECT 1", user=user, database=other)
        assert two_sellers.as_("mai")("list", "--team").out.count("\n") > 10  # still a manager
        admin.as_("mai").fails(2, "list", "--team", match="mai is a seller")
    finally:
        server.psql(f"DROP DATABASE {other} WITH (FORCE)", database="postgres")


def test_links_need_both_ends_to_be_ones_own(two_sellers):
    team = two_sellers.team
    bobs = team.psql("SELECT min(id) FROM prospect WHERE seller = 'bob'")
    touch = team.psql("SELECT min(id) FROM touch WHERE seller = 'alice'")
    step = team.psql("SELECT min(id) FROM step WHERE seller = 'alice'")
    deal = team.psql("SELECT min(id) FROM deal WHERE seller = 'alice'")
    for sql in (f"INSERT INTO touch_person (touch_id, prospect_id) VALUES ({touch}, {bobs})",
                f"INSERT INTO step_person (step_id, prospect_id) VALUES ({step}, {bobs})",
                f"INSERT INTO deal_person (deal_id, prospect_id) VALUES ({deal}, {bobs})",
                f"UPDATE touch_person SET prospect_id = {bobs}",
                f"UPDATE deal_person SET prospect_id = {bobs}"):
        with pytest.raises(subprocess.CalledProcessError) as refused:
            team.psql(sql, user="alice")
        assert "row-level security" in refused.value.stderr, sql


def test_no_one_in_the_team_chooses_an_id(two_sellers):
    team = two_sellers.team
    for sql in ("INSERT INTO prospect (id, name, name_key, stage, created_at, updated_at) "
                "VALUES (99999, 'x', 'x', 'attract', '2026-11-20T10:00:00', "
                "'2026-11-20T10:00:00')",
                "INSERT INTO prospect (id, name, name_key, stage, created_at, updated_at) "
                "OVERRIDING SYSTEM VALUE VALUES (99999, 'x', 'x', 'attract', "
                "'2026-11-20T10:00:00', '2026-11-20T10:00:00')",
                "UPDATE prospect SET id = id + 100000"):
        with pytest.raises(subprocess.CalledProcessError) as refused:
            team.psql(sql, user="alice")
        assert "permission denied" in refused.value.stderr, sql
    team.psql("INSERT INTO prospect (name, name_key, stage, stage_since, created_at, "
              "updated_at, continuations, search_key) VALUES ('x', 'x', 'attract', 'a', "
              "'2026-11-20T10:00:00', 'a', 0, 'x')", user="alice")  # the database gives the id


def test_an_accounts_dates_are_shared_to_read_and_kept_from_sellers(two_sellers):
    team = two_sellers.team
    shared = team.psql("SELECT count(*) FROM important_date WHERE prospect_id IS NULL")
    assert int(shared) > 0
    assert team.psql("SELECT count(*) FROM important_date WHERE prospect_id IS NULL",
                     user="bob") == shared
    bobs = team.psql("SELECT min(id) FROM prospect WHERE seller = 'bob'")
    team.psql(f"UPDATE important_date SET prospect_id = {bobs} WHERE prospect_id IS NULL; "
              "DELETE FROM important_date WHERE prospect_id IS NULL", user="bob")
    assert team.psql("SELECT count(*) FROM important_date WHERE prospect_id IS NULL") == shared
    team.psql("DELETE FROM important_date WHERE prospect_id IS NULL", user="mai")
    assert team.psql("SELECT count(*) FROM important_date WHERE prospect_id IS NULL") == "0"


def test_the_owner_of_the_tables_cannot_be_a_seller(sellers):
    sellers.team.psql("CREATE ROLE crmadmin LOGIN; GRANT postgres TO crmadmin")
    try:
        sellers.fails(2, "team", "add-seller", "crmadmin", match="superuser")
    finally:
        sellers.team.psql("DROP ROLE crmadmin")


def test_a_merged_persons_old_id_still_finds_them(engines):
    on_sqlite, on_postgres = engines
    solo = json.loads(on_sqlite("--db", on_sqlite.path, "export", "aliases", "-f", "json").out)
    team = json.loads(on_postgres("export", "aliases", "-f", "json").out)
    assert len(solo) == len(team) == 1
    alias, person = team[0]["id"], team[0]["prospect_id"]
    shown = on_postgres("show", str(alias)).lines[0]
    assert shown == on_postgres("show", str(person)).lines[0]
    assert shown == on_sqlite("--db", on_sqlite.path, "show", str(solo[0]["id"])).lines[0]
    assert on_postgres.team.psql("SELECT count(*) FROM prospect WHERE id = "
                                 "ANY(ARRAY(SELECT id FROM prospect_alias))") == "0"


def test_a_second_sellers_book_does_not_double_the_shared_history(two_sellers, tmp_path):
    team = two_sellers.team
    expected = counts(solo(tmp_path))
    assert int(team.psql("SELECT count(*) FROM kam_change")) == expected["kam_change"]
    account_dates = sqlite3.connect(FIXTURES / "v8.db").execute(
        "SELECT count(*) FROM important_date WHERE prospect_id IS NULL").fetchone()[0]
    assert int(team.psql("SELECT count(*) FROM important_date WHERE prospect_id IS NULL")) == \
        account_dates


def test_the_same_book_is_not_moved_in_twice(sellers, tmp_path):
    book = solo(tmp_path)
    sellers("team", "import-book", book, "--seller", "alice")
    sellers.fails(2, "team", "import-book", book, "--seller", "alice",
                  match="moved in as alice's records already")


def test_a_seller_moves_a_book_in_after_another_moved_its_twin(sellers, tmp_path):
    sellers("team", "import-book", solo(tmp_path), "--seller", "alice")
    (tmp_path / "b").mkdir()
    sellers.as_("bob")("team", "import-book", solo(tmp_path / "b"), "--seller", "bob")
    team = sellers.team
    assert team.psql("SELECT count(*) = count(DISTINCT uid) FROM step") == "t"
    assert team.psql("SELECT count(*) FROM prospect WHERE seller = 'bob'") == "12"


def test_a_book_with_a_broken_link_is_refused_in_one_line(sellers, tmp_path):
    book = solo(tmp_path)
    con = sqlite3.connect(book)
    con.execute("PRAGMA foreign_keys = OFF")
    touch = con.execute("SELECT min(id) FROM touch").fetchone()[0]
    con.execute("INSERT INTO touch_person (touch_id, prospect_id) VALUES (?, 999)", (touch,))
    con.commit()
    con.close()
    sellers.fails(1, "team", "import-book", book, "--seller", "alice",
                  match="names a prospect that is not in the book")


def test_urls_are_taken_as_postgresql_takes_them_and_passwords_never_shown(two_sellers):
    team = two_sellers.team
    loud = team.url("alice").replace("postgresql://", "POSTGRESQL://")
    assert "Anna Schmidt" in two_sellers.run("list", env={"RELCRM_DB": loud}).out
    secret = team.url("nobody") + "?password=s3cret"
    result = two_sellers.run("list", env={"RELCRM_DB": secret})
    assert result.code == 1 and "s3cret" not in result.err and "password=***" in result.err
    from relcrm import pg

    raw = pg.raw_connect(team.url("alice") + "?options=-c%20search_path%3Dpublic,pg_temp")
    try:
        assert raw.execute("SHOW search_path").fetchone()[0].replace(" ", "") == \
            "public,pg_temp"
        assert raw.execute("SHOW jit").fetchone()[0] == "off"
    finally:
        raw.close()


# -- migrations on PostgreSQL -----------------------------------------------------------------

def test_team_init_upgrades_an_older_team_database_with_every_row_intact(team):
    from relcrm import pg

    pg.init(team.url(), upto=7)  # as relcrm made it before migration 8
    assert team.psql("SELECT max(version) FROM _migrations") == "7"
    cli = TeamCli(team)
    cli("team", "add-seller", "alice")
    day = "'2026-01-05T09:00:00'"
    team.psql(f"INSERT INTO account (name, name_key, created_at, updated_at, is_key, deciders, "
              f"customer) VALUES ('Minh Phát', 'minh phat', {day}, {day}, 1, 0, 0); "
              f"INSERT INTO prospect (name, name_key, stage, stage_since, created_at, "
              f"updated_at, continuations, search_key, seller, account_id) SELECT 'An', 'an', "
              f"'attract', {day}, {day}, {day}, 0, 'an', 'alice', id FROM account")
    rows = team.psql("SELECT p::text FROM prospect p") + team.psql("SELECT a::text FROM account a")
    cli.as_("alice").fails(1, "list", match="older than this relcrm")
    said = cli("team", "init", team.url()).out
    assert "Upgraded the team database" in said and f"from schema version 7 to {LATEST}" in said
    assert team.psql("SELECT max(version) FROM _migrations") == str(LATEST)
    assert team.psql("SELECT count(*) FROM pg_indexes WHERE indexname = "
                     "'ix_prospect_excluded'") == "1"
    assert team.psql("SELECT p::text FROM prospect p") + team.psql(
        "SELECT a::text FROM account a") == rows
    assert "An" in cli.as_("alice")("list").out
    assert cli.as_("alice")("doctor").out.rstrip().endswith("ok")
    assert "nothing changed" in cli("team", "init", team.url()).out
    # and it takes changes, each undoable
    assert "Logged call" in cli.as_("alice")("log", "An", "call", "rang").out
    assert "added 1 touch" in cli.as_("alice")("undo").out
    assert team.psql("SELECT count(*) FROM touch") == "0"


def test_a_team_database_made_for_reading_only_is_made_to_take_changes(admin, team):
    """A team database made by the relcrm before writes came: its commands say what to do,
    change nothing, and team init readies it with every row kept."""
    admin("team", "add-seller", "alice")
    team.psql("DROP FUNCTION relcrm_days_off(text); DROP TABLE _search, _journal, _change, "
              "_dirty; COMMENT ON TABLE _team IS NULL")  # as that relcrm left it
    alice = admin.as_("alice")
    before = team.dump()
    alice.fails(1, "add", "An", match="does not take changes yet")
    assert team.dump() == before
    assert "takes changes now" in admin("team", "init", team.url()).out
    assert "Added #" in alice("add", "An", "--company", "Minh Phát").out
    assert "added 1 account, 1 prospect, 1 stage change" in alice("undo").out
    assert alice("list", "-f", "csv").out.count("\n") == 1


def test_a_migration_that_moves_data_in_sql_is_known_as_one():
    """upgrade() adds tables, columns and indexes; a migration whose SQL changes rows (or
    drops or renames what holds them) is refused on a team database as one moving data with
    Python is (it was run as if it only added)."""
    from relcrm.migrations import MIGRATIONS
    from relcrm.pg import moves_data

    assert [n for n, _name, script in MIGRATIONS if moves_data(script)] == [2, 3, 4, 5, 6]
    assert moves_data("ALTER TABLE deal RENAME COLUMN value TO amount;")
    assert moves_data("CREATE INDEX ix ON t (a); UPDATE t SET a = 1 WHERE a IS NULL;")
    assert not moves_data("CREATE TABLE t (id INTEGER REFERENCES p (id) ON DELETE CASCADE);\n"
                          "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE p SET x = 1; END;")


def test_an_upgrade_that_moves_data_is_refused_and_changes_nothing(team):
    from relcrm import pg

    pg.init(team.url(), upto=5)
    cli = TeamCli(team)
    cli.fails(1, "team", "init", team.url(), match="moves data in a way relcrm cannot do")


@pytest.mark.slow  # about 4 s: the full run (CI) has it
def test_four_sellers_move_their_books_in_at_once(server, templates, tmp_path):
    """The team's write that exists today, four at once, each as the seller themself: every
    record kept, no error shown, the shared accounts not doubled."""
    name = _database(server, templates["team"])
    team = Team(server, name)
    try:
        admin = TeamCli(team)
        sellers = ["alice", "bob", "cuong", "dung"]
        for seller in sellers[2:]:
            admin("team", "add-seller", seller)
        from test_entrypoint import _relcrm

        running = []
        for seller in sellers:
            (tmp_path / seller).mkdir()
            running.append(subprocess.Popen(
                [*_relcrm(), "team", "import-book", str(solo(tmp_path / seller)), "--seller",
                 seller], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                env={**os.environ, "RELCRM_TODAY": TODAY, "RELCRM_DB": team.url(seller)}))
        for process in running:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0 and err == "", err
            assert "records accounted for" in out
        assert team.psql("SELECT seller, count(*) FROM prospect GROUP BY 1 ORDER BY 1") == \
            "\n".join(f"{s}|12" for s in sellers)
        assert team.psql("SELECT count(*) FROM touch") == str(4 * 26)
        assert team.psql("SELECT count(*) FROM account") == "13"
    finally:
        server.psql(f"DROP DATABASE {name} WITH (FORCE)", database="postgres")


def test_a_doctored_book_cannot_run_sql_as_the_administrator(sellers, tmp_path):
    """import-book names only relcrm's own tables and columns: a column renamed into SQL in
    the book file is not SQL to the team database (it ran a shell command on the server)."""
    pwned = Path(f"/tmp/relcrm-pwned-{os.getpid()}")
    pwned.unlink(missing_ok=True)
    book = solo(tmp_path)
    con = sqlite3.connect(book)
    con.execute(f'ALTER TABLE fact RENAME COLUMN created_at TO "created_at) FROM STDIN; '
                f"ALTER ROLE alice SUPERUSER; COPY (SELECT current_user) TO PROGRAM "
                f"'id > {pwned}'; --\"")
    con.commit()
    con.close()
    sellers.fails(1, "team", "import-book", book, "--seller", "alice",
                  match="nothing was moved")
    assert not pwned.exists()
    assert sellers.team.psql("SELECT rolsuper FROM pg_roles WHERE rolname = 'alice'") == "f"


def test_what_a_second_review_found_holds(two_sellers):
    """A touch may not be hung on another seller's deal or date; no one in the team creates
    anything in the schema (an operator of theirs would run as whoever reads); a merged
    person's id is the database's to give; a seller's name is no SQL keyword."""
    team = two_sellers.team
    mine = team.psql("SELECT min(id) FROM touch WHERE seller = 'alice'")
    bobs_deal = team.psql("SELECT min(id) FROM deal WHERE seller = 'bob'")
    bobs_date = team.psql("SELECT min(i.id) FROM important_date i JOIN prospect p ON p.id = "
                          "i.prospect_id WHERE p.seller = 'bob'")
    for sql in (f"UPDATE touch SET deal_id = {bobs_deal} WHERE id = {mine}",
                f"UPDATE touch SET occasion_id = {bobs_date} WHERE id = {mine}"):
        with pytest.raises(subprocess.CalledProcessError) as refused:
            team.psql(sql, user="alice")
        assert "row-level security" in refused.value.stderr, sql
    for sql in ("CREATE FUNCTION public.evil(bigint) RETURNS bigint LANGUAGE sql AS "
                "'SELECT 1'", "CREATE TABLE public.mine (x int)",
                "INSERT INTO prospect_alias (id, prospect_id, name, merged_at) SELECT 999999, "
                "min(id), 'x', 'a' FROM prospect"):
        with pytest.raises(subprocess.CalledProcessError) as refused:
            team.psql(sql, user="alice")
        assert "permission denied" in refused.value.stderr, sql
    for name in ("current_user", "session_user", "user", "all"):
        two_sellers.fails(2, "team", "add-seller", name, match="keeps for itself")


@pytest.mark.slow
def test_a_lock_held_by_another_session_is_one_line_after_10_s(two_sellers):
    team = two_sellers.team
    holder = subprocess.Popen(
        ["psql", "-X", "-q", "-d", team.url("alice"), "-c",
         "BEGIN; LOCK TABLE prospect IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(30)"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import time

        time.sleep(1)
        started = time.monotonic()
        result = two_sellers.as_("bob").run("list")  # (not fails(): its dump would wait too)
        assert 9 < time.monotonic() - started < 20
        assert result.code == 1 and result.err.startswith("relcrm: error: ")
        assert "busy" in result.err and len(result.err.strip().splitlines()) == 1
    finally:
        holder.kill()
        holder.wait()


def test_translate_rewrites_nested_tests_and_keeps_what_it_cannot_improve():
    """Shapes no read query has yet, so that the next one works: a truth value inside another,
    a CASE as a condition, % without parameters, a json_each with its own WHERE, DISTINCT in
    group_concat, a :word in a quoted name, LIKE ... ESCAPE."""
    from relcrm import pg

    cases = {
        "SELECT (a = 1) + (b = 2) > 0 FROM p":
            "SELECT CAST(((CAST((a = 1) AS INT)) + (CAST((b = 2) AS INT)) > 0) AS INT) FROM p",
        "SELECT x FROM p WHERE CASE WHEN b THEN c ELSE d END":
            "SELECT x FROM p WHERE (CASE WHEN (b) <> 0 THEN c ELSE d END) <> 0",
        "SELECT id FROM p WHERE id IN (SELECT value FROM json_each(:ids) WHERE value > 3)":
            "SELECT id FROM p WHERE id IN (SELECT value FROM RELCRM_JSON_EACH(%(ids)s) "
            "WHERE value > 3)",
        "SELECT group_concat(DISTINCT x) FROM p":
            "SELECT STRING_AGG(DISTINCT CAST(x AS TEXT), ',') FROM p",
        'SELECT "x :y" FROM p WHERE a = :y': 'SELECT "x :y" FROM p WHERE a = %(y)s',
        "SELECT name FROM p WHERE name LIKE ? ESCAPE '\\'":
            "SELECT name FROM p WHERE name LIKE %s ESCAPE '\\'",
    }
    for sqlite_sql, postgres_sql in cases.items():
        assert pg._translate(sqlite_sql) == postgres_sql


def test_sql_shapes_give_what_sqlite_gives(two_sellers):
    from relcrm import pg

    con = pg.connect(two_sellers.team.url("alice"))
    try:
        assert con.execute("SELECT 7 % 3").fetchone()[0] == 1  # no parameters
        assert con.execute("SELECT count(*) FROM prospect WHERE NOT id IN "
                           "(SELECT value FROM json_each(:ids))", {"ids": "[]"}).fetchone()[0] \
            == con.execute("SELECT count(*) FROM prospect").fetchone()[0]
        assert con.execute("SELECT (1 = 1) + (2 = 2)").fetchone()[0] == 2
    finally:
        pg.close_all()


def test_a_changed_copy_of_a_book_moved_in_is_refused(sellers, tmp_path):
    book = solo(tmp_path)
    sellers("team", "import-book", book, "--seller", "alice")
    Cli(book)("--db", book, "edit", "5", "--title", "changed since")  # another file now
    sellers.fails(2, "team", "import-book", book, "--seller", "alice",
                  match="would double them")


def test_a_sellers_phone_sync_settings_become_their_own(sellers, tmp_path):
    """Moved in by the administrator, a book's sync settings are its seller's alone; moved in
    by a manager, who cannot write a colleague's own settings, they stay in the book, said."""
    for seller, by in (("alice", sellers), ("bob", sellers.as_("mai"))):
        (tmp_path / seller).mkdir()
        book = solo(tmp_path / seller)
        Cli(book)("--db", book, "config", "sync.url", f"http://127.0.0.1:5232/{seller}/")
        said = by("team", "import-book", book, "--seller", seller).out
        if seller == "alice":
            assert "1 of them alice's own (phone sync)" in said
            assert "alice's phone sync came along" in said
        else:
            assert "1 of bob's own (phone sync) left in the book: only bob may set those" \
                in said
            assert "phone sync came along" not in said
    assert sellers.team.psql("SELECT count(*) FROM setting WHERE key LIKE 'sync.%'") == "0"
    assert sellers.as_("alice")("config", "sync.url").out == "http://127.0.0.1:5232/alice/\n"
    assert sellers.as_("bob")("config", "sync.url").out == "\n"


def test_a_phone_synced_from_a_book_moves_with_it_and_shows_nothing_twice(sellers, tmp_path,
                                                                           dav):
    """The seller's phone synced from their book file; the book moves in (its ids change, and
    with them the UIDs of its contacts and dates); the first sync from the team database
    replaces the book's objects with the team database's, one of each on the phone, and a
    to-do ticked on the phone before the move marks the right step done."""
    import datetime as dt

    book = solo(tmp_path)
    before = Phone(Cli(book), dav, "moving")
    before.setup()
    first = before.sync()
    # the team database has a colleague's book already: the ids the seller's book gets differ
    (tmp_path / "bob").mkdir()
    sellers("team", "import-book", solo(tmp_path / "bob"), "--seller", "bob")
    uids = before.step_uids()
    step = min(uids)
    text = Cli(book).one("SELECT text FROM step WHERE id = ?", step)
    app = before.app
    app.complete(uids[step], dt.datetime(2026, 11, 25, 2, 30, tzinfo=dt.timezone.utc))
    alice = sellers.as_("alice")
    said = alice("team", "import-book", book, "--seller", "alice").out
    assert "alice's phone sync came along" in said
    after = Phone(alice, dav, "moving")
    moved = after.sync()
    assert moved["received"] == [moved["received"][0]] and "done on the phone" in \
        moved["received"][0]
    new_id = int(moved["received"][0].split("#")[1].split(" ")[0])
    assert sellers.team.psql(f"SELECT seller, status, text FROM step WHERE id = {new_id}") == \
        f"alice|done|{text}"
    entries, cards = app.entries(), app.cards()  # (each fails on a UID there twice)
    assert len(cards) == 12 and len(entries) == first["created"] - 12 - 1
    assert set(after.step_uids().values()) <= set(entries)
    assert after.sync() == {**moved, "created": 0, "updated": 0, "deleted": 0, "received": []}


def test_a_manager_moves_a_sellers_book_in(sellers, tmp_path):
    sellers.as_("mai")("team", "import-book", solo(tmp_path), "--seller", "bob")
    assert sellers.team.psql("SELECT count(*) FROM prospect WHERE seller = 'bob'") == "12"


def test_the_teams_language_is_the_team_databases(two_sellers):
    two_sellers.team.psql("INSERT INTO setting VALUES ('language', 'vi') ON CONFLICT (key) "
                          "DO UPDATE SET value = 'vi'")
    assert "Công ty" in two_sellers.as_("alice")("list").lines[0]


def test_tab_completes_the_names_the_seller_may_read(sellers, tmp_path):
    from test_entrypoint import _relcrm

    sellers("team", "import-book", solo(tmp_path), "--seller", "alice")

    def complete(user: str, words: str) -> list[str]:
        env = {**os.environ, "_RELCRM_COMPLETE": "complete_bash", "COMP_WORDS": words,
               "COMP_CWORD": str(len(words.split()) - 1),
               "RELCRM_DB": sellers.team.url(user)}
        return subprocess.run(_relcrm(), env=env, capture_output=True, text=True).stdout.split()

    assert complete("alice", "relcrm show Ng") == ["Ngô_Thị_Lan", "Nguyễn_Văn_An"]
    assert complete("bob", "relcrm show Ng") == []  # not bob's people
    url = sellers.team.url("alice")
    assert complete("bob", f"relcrm --db {url} show Ng") == ["Ngô_Thị_Lan", "Nguyễn_Văn_An"]


@pytest.mark.slow  # about 4 s: the full run (CI) has it
def test_a_shell_on_a_team_database(two_sellers):
    from test_shell import _session

    out, code = _session(two_sellers.team.url("alice"), [
        b"followups --days 0\n",
        b"show ngu", b"\t", b"\n",                # TAB completes a name from the server
        b'add "Lan" --company "Minh Ph\xc3\xa1t"\n',  # a write: made
        b"restore x.db\n",  # refused in one line: the session goes on
        b"list --limit 1 -f csv\n",
        b"\x04",
    ])
    assert code == 0, out
    assert "Nguyễn Văn An" in out and "Added #" in out and "pg_restore" in out
    assert out.count("relcrm> ") >= 5
    assert "Traceback" not in out


def test_a_file_name_never_acts_on_the_terminal(sellers, tmp_path):
    odd = tmp_path / "book\x1b[31m.db"
    shutil.copy(FIXTURES / "v8.db", odd)
    odd.chmod(0o600)
    said = sellers("team", "import-book", odd, "--seller", "alice").out
    assert "\x1b" not in said and "book\\x1b[31m.db" in said


# -- writes: the same commands, the same output, undone the same way ----------------------------

WRITES = [
    ("log", "5", "call", "rang about the revised quote"),
    ("log", "Ngô Thị Lan", "meeting", "line audit", "--done", "6", "--next", "2026-12-03",
     "--next-step", "send the audit notes"),
    ("call", "3", "--situation", "two shops", "--problem", "stock-outs", "--outcome",
     "continuation", "--commitment", "will send sales data"),
    ("qualify", "3", "--need", "yes", "--budget", "partial"),
    ("stage", "advance", "3"),
    ("stage", "set", "10", "lost", "--revisit", "2027-03-01", "--reason", "no budget"),
    ("step", "add", "12", "2026-12-02", "send the catalogue"),
    ("step", "move", "1", "2026-11-28"),
    ("step", "done", "2"),
    ("step", "drop", "4"),
    ("snooze", "9", "2026-12-05"),
    ("edit", "12", "--title", "Einkauf", "--tag", "germany", "--email", "anna@mueller.de",
     "--note", "prefers email"),
    ("add", "Trần Văn Minh", "--company", "Vina Steel", "--email", "minh@vinasteel.vn"),
    ("add", "Lý Thị Hoa", "--company", "Hoa Sen Group"),
    ("role", "9", "buyer"),
    ("account", "add", "Thép Việt", "--industry", "Steel", "--key"),
    ("account", "edit", "Vina Steel", "--industry", "Metals"),
    ("kam", "advance", "Vina Steel"),
    ("kam", "set", "Sài Gòn Tech", "mid"),
    ("account", "step", "Minh Phát Co.", "2026-12-01 09:30", "site survey", "--kind", "visit",
     "--with", "9"),
    ("account", "step", "Sài Gòn Tech", "2026-12-04", "line walk"),
    ("deal", "edit", "8", "--value", "310000000", "--close", "2027-01-15", "--note",
     "film grade agreed"),
    ("deal", "add", "Vina Steel", "Rolling mill parts", "--value", "300000000", "--with", "13"),
    ("deal", "stage", "3", "proposals"),
    ("deal", "won", "4", "--amount", "1150000000"),
    ("fact", "5", "plays golf on Sundays with Cæsar Mæhle"),
    ("date", "add", "5", "birthday", "14/11/1978"),
    ("touch", "edit", "1", "--text", "first meeting, corrected"),
    ("call", "edit", "9", "--commitment", "site visit next week"),
    ("touch", "delete", "2"),
    ("date", "drop", "2"),
    ("fact", "drop", "1"),
    ("account", "date", "Vina Steel", "founding", "3/4/1999"),
    ("occasion", "add", "quoc-khanh", "Quốc khánh", "2/9"),
    ("deal", "lost", "7", "--reason", "price"),
    ("deal", "reopen", "7"),
    ("config", "cadence.build", "5"),
    ("config", "workdays", "mon-sat"),
    ("merge", "Lý Thị Hoa", "Trần Văn Minh"),
    ("delete", "11", "--yes"),
]
AFTER = [("list", "-f", "csv"), ("followups", "--all", "-f", "json"), ("show", "5"),
         ("show", "12"), ("account", "list"), ("account", "show", "Vina Steel"),
         ("deal", "list"), ("step", "list"), ("export", "touches", "-f", "json"),
         ("plan", "week"), ("search", "audit", "-f", "json"), ("search", "golf"),
         ("search", "caesar"), ("search", "maehle golf", "-f", "csv"),
         ("search", "corrected")]


def _same(on_sqlite, on_postgres, args):
    expected = on_sqlite.run(*args, env={"RELCRM_DB": str(on_sqlite.path), "RELCRM_TODAY": TODAY})
    got = on_postgres.run(*args)
    assert (got.code, got.out, got.err) == (expected.code, expected.out, expected.err), args
    return got


@pytest.mark.slow  # about 9 s: the full run (CI) has it (the quick one keeps the
# undo and review tests of team writes)
def test_writes_say_and_do_the_same_on_both_engines_and_undo_alike(pair):
    on_sqlite, on_postgres = pair
    before = [_same(on_sqlite, on_postgres, args).out for args in AFTER]
    for args in WRITES:
        assert _same(on_sqlite, on_postgres, args).code == 0, args
    for args in AFTER:
        _same(on_sqlite, on_postgres, args)

    def norm(change):  # a team database's ids may have gaps (a rolled-back transaction takes
        # its ids); the order of the rows a delete cascades to is each engine's own
        return (change["command"].replace(f"--db {on_sqlite.path} ", ""), change["undone_at"],
                [(part.split(" ")[0], sorted(part.split(" ", 1)[1].split(", ")))
                 for part in change["summary"].split("; ")])

    def changes(cli, *before):
        return [norm(c) for c in json.loads(
            cli(*before, "undo", "--list", "-n", "0", "-f", "json").out)]

    assert changes(on_postgres) == changes(on_sqlite, "--db", on_sqlite.path)
    assert len(changes(on_postgres)) == len(WRITES)
    for _change in WRITES:
        expected = on_sqlite("--db", on_sqlite.path, "undo", "-f", "json")
        got = on_postgres("undo", "-f", "json")
        assert norm(json.loads(got.out)[0]) == norm(json.loads(expected.out)[0])
    # nothing left to undo: the same line, exit 1
    assert _same(on_sqlite, on_postgres, ("undo",)).code == 1
    after = [_same(on_sqlite, on_postgres, args).out for args in AFTER]
    assert after == before  # every record as it was


FOUR = ("alice", "bob", "carol", "dan")
WORKER = r"""
import json, sys
from relcrm.cli import main
pid, day, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
failed = []
for i in range(n):
    at = f"{day} {8 + i // 60:02d}:{i % 60:02d}"
    sys.argv = ["relcrm", "log", pid, "call", f"touch {i}", "--at", at]
    try:
        main()
    except SystemExit as exc:
        if exc.code:
            failed.append((i, exc.code))
print(json.dumps(failed))
"""


@pytest.mark.slow  # about 40 s: CI's full run has it
def test_four_sellers_write_at_once_and_every_touch_is_kept(sellers):
    """4 processes, one per seller, each logging 200 touches with people at one shared account:
    every touch is kept, no command fails or says anything on stderr, and the account's and
    each person's derived values count every touch (no deadlock, no stale value)."""
    for name in ("carol", "dan"):
        sellers("team", "add-seller", name)
    ids = {}
    for name in FOUR:
        added = sellers.as_(name)("add", f"Người của {name}", "--company", "Minh Phát Co.",
                                  "-f", "json")
        ids[name] = str(json.loads(added.out)[0]["id"])
    workers = [subprocess.Popen(
        [sys.executable, "-c", WORKER, ids[name], f"2026-11-{20 + i}", "200"],
        env={**os.environ, "RELCRM_DB": sellers.team.url(name), "RELCRM_TODAY": TODAY},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i, name in enumerate(FOUR)]
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        assert worker.returncode == 0 and err == "", err[-2000:]
        assert json.loads(out.splitlines()[-1]) == []  # every log exited 0
    psql = sellers.team.psql
    assert psql("SELECT seller, count(*) FROM touch GROUP BY seller ORDER BY seller") == \
        "\n".join(f"{name}|200" for name in FOUR)
    for i, name in enumerate(FOUR):
        assert psql(f"SELECT last_touch_at FROM prospect WHERE id = {ids[name]}") == \
            f"2026-11-{20 + i}T11:19:00"
    assert psql("SELECT last_touch_at FROM account WHERE name = 'Minh Phát Co.'") == \
        "2026-11-23T11:19:00"
    assert psql("SELECT count(*) FROM _dirty") == "0"
    # each seller undoes their own last touch, and only theirs
    for name in FOUR:
        assert "added 1 touch" in sellers.as_(name)("undo").out
    assert psql("SELECT count(*) FROM touch") == str(4 * 199)
    assert psql("SELECT last_touch_at FROM account WHERE name = 'Minh Phát Co.'") == \
        "2026-11-23T11:18:00"


def test_shared_records_are_removed_by_a_manager_and_the_removal_undone(two_sellers):
    alice, mai = two_sellers.as_("alice"), two_sellers.as_("mai")
    before, records = two_sellers.dump(), two_sellers.dump(journal=False)
    alice.fails(1, "occasion", "drop", "20-10", match="removed by a manager")
    alice.fails(1, "account", "merge", "Sơn Ca", "Vina Steel", match="removed by a manager")
    assert two_sellers.dump() == before
    assert "Dropped the occasion 20-10" in mai("occasion", "drop", "20-10").out
    # alice's and bob's people at Sơn Ca move with it, though mai sees only her own by default
    assert mai("account", "merge", "Sơn Ca", "Vina Steel").code == 0
    assert "Sơn Ca" not in alice("account", "list").out
    assert alice("show", "Trịnh Công Sơn").out.count("Vina Steel") >= 1
    mai("undo")
    mai("undo")
    assert two_sellers.dump(journal=False) == records


def test_undo_never_takes_a_colleagues_records_with_it(two_sellers):
    alice, bob = two_sellers.as_("alice"), two_sellers.as_("bob")
    alice("add", "Lý Thị Hoa", "--company", "Hoa Sen Group")
    bob("add", "Võ Văn Kiệt", "--company", "Hoa Sen Group")  # joins the account alice added
    before = two_sellers.dump()
    alice.fails(2, "undo", match="a colleague's records refer to what it added")
    assert two_sellers.dump() == before
    assert "Hoa Sen Group" in bob("show", "Võ Văn Kiệt").out
    bob("undo")  # bob's goes first; then alice's takes the account with it
    assert "added 1 account, 1 prospect, 1 stage change" in alice("undo").out
    assert "Hoa Sen Group" not in alice("account", "list").out


def test_a_sellers_search_finds_only_what_they_may_read(two_sellers):
    alice, bob = two_sellers.as_("alice"), two_sellers.as_("bob")
    alice("log", "5", "call", "the zebracorn tender is ours")
    assert "zebracorn tender" in alice("search", "zebracorn").out
    assert "Nothing found" in bob("search", "zebracorn").out
    for who in ("bob", "mai"):
        assert two_sellers.team.psql("SELECT count(*) FROM _search WHERE body LIKE "
                                     "'%zebracorn%'", user=who) == "0"
    # a seller cannot plant an entry that points at another's record
    bobs_touch = two_sellers.team.psql("SELECT min(id) FROM touch WHERE seller = 'bob'")
    with pytest.raises(subprocess.CalledProcessError) as refused:
        two_sellers.team.psql(f"INSERT INTO _search VALUES ({bobs_touch} * 8 + 1, 'x', NULL, 1)",
                              user="alice")
    assert "row-level security" in refused.value.stderr
    # nor says whose an entry is (the database does)
    assert "permission denied" in _psql_fails(
        two_sellers.team, "INSERT INTO _search (rowid, body, at, size, seller) SELECT id * 8 + 1,"
        " 'x', NULL, 1, 'bob' FROM touch WHERE seller = 'alice' LIMIT 1", "alice")
    alice("undo")
    assert "Nothing found" in alice("search", "zebracorn").out


@pytest.mark.slow  # about 3 s: the full run (CI) has it; the quick one stays under 3 min
def test_imports_say_and_do_the_same_on_both_engines_and_undo_alike(pair, tmp_path):
    """Contact lists and a relcrm export of another book: the same report and records on both
    engines (the team database gives the ids; the report says those), each import undone."""
    on_sqlite, on_postgres = pair
    examples = Path(__file__).parent.parent / "examples"
    def other(*args):  # a book of other people, with their history
        return Cli(tmp_path / "other.db")("--db", tmp_path / "other.db", *args)

    other("add", "Hồ Quang Hiếu", "--company", "Sao Mai Foods", "--email", "hieu@saomai.vn")
    other("add", "Đỗ Mỹ Linh", "--company", "Sao Mai Foods", "--tag", "hcm")
    other("add", "Kim Ngân", "--company", "Ngân Hà Trading", "--phone", "0903 123 456")
    other("log", "1", "call", "asked about the cold chain", "--next", "2026-12-01",
          "--next-step", "send the cold chain offer")
    other("call", "2", "--problem", "spoilage in transit", "--outcome", "advance",
          "--commitment", "visit the depot")
    other("qualify", "1", "--need", "yes", "--budget", "partial")
    other("role", "1", "decider")
    other("deal", "add", "Sao Mai Foods", "Cold chain", "--value", "90000000", "--with", "1")
    other("fact", "2", "runs marathons")
    other("date", "add", "3", "birthday", "2/3/1990")
    other("merge", "Đỗ Mỹ Linh", "Hồ Quang Hiếu")
    other("export", "all", "-o", tmp_path / "export")
    fair = tmp_path / "fair.csv"
    fair.write_text("name,company,email,phone,note\nPhan Văn Trị,Trị An Co,tri@trian.vn,"
                    "0912 345 678,met at the fair\nLưu Thị Mai,Trị An Co,,,\n"
                    "Nguyễn Văn An,Minh Phát Co.,,,\n", encoding="utf-8")
    imports = [("import", fair, "--tag", "fair", "--report", "csv"),
               ("import", examples / "leads.csv", "--map", "Tên KH=name", "--map",
                "Đơn vị=company", "--report", "csv"),
               ("import", examples / "google-contacts.csv", "--tag", "google"),
               ("import", examples / "contacts.vcf", "-q"),
               ("import", examples / "Connections.csv", "--per-day", "2"),
               ("import", tmp_path / "export", "--on-duplicate", "update", "--report", "json"),
               ("import", examples / "trade-fair.csv", "--dry-run")]
    before = [_same(on_sqlite, on_postgres, args).out for args in AFTER]
    for args in imports:
        _same(on_sqlite, on_postgres, args)
    for args in AFTER:
        _same(on_sqlite, on_postgres, args)
    undone = 0
    while True:  # every import that added something, undone (the change ids may differ)
        said = [cli.run(*where, "undo", "-f", "json")
                for cli, where in ((on_sqlite, ("--db", on_sqlite.path)), (on_postgres, ()))]
        assert said[0].code == said[1].code
        if said[0].code:
            break
        assert [sorted(json.loads(r.out)[0]["summary"].split()) for r in said][0] == \
            sorted(json.loads(said[1].out)[0]["summary"].split())
        undone += 1
    assert undone == 3  # fair.csv, Connections.csv, the export: the others were all known
    assert [_same(on_sqlite, on_postgres, args).out for args in AFTER] == before


def _psql_fails(team: Team, sql: str, user: str) -> str:
    with pytest.raises(subprocess.CalledProcessError) as refused:
        team.psql(sql, user=user)
    return refused.value.stderr


def test_what_the_review_of_team_writes_found_holds(two_sellers):
    """The third security review's findings, each a regression test."""
    team = two_sellers.team
    alice, bob = two_sellers.as_("alice"), two_sellers.as_("bob")
    # 1, 3: an undo never takes a colleague's deal with the account it added, nor shows it
    alice("account", "add", "TrapCo")
    bob("deal", "add", "TrapCo", "Bob secret deal", "--value", "555000000")
    change = team.psql("SELECT max(id) FROM _change WHERE seller = 'alice'", user="alice")
    said = _psql_fails(team, "BEGIN; SELECT set_config('relcrm.writing', 'on', true); "
                             "INSERT INTO _change (at, command, open) VALUES ('x', 'spy', 1); "
                             "SELECT set_config('relcrm.change', (SELECT max(id) FROM _change)"
                             f"::text, true); SELECT relcrm_revert({change}); "
                             "SELECT old FROM _journal; ROLLBACK", "alice")
    assert "Bob secret deal" not in said and "foreign key" in said
    alice.fails(2, "undo", match="a colleague's records refer to what it added")
    assert "Bob secret deal" in bob("deal", "list").out
    # 3: a shared setting a colleague changed since stays theirs
    bob("undo")
    alice("undo")
    alice("config", "cadence.consolidate", "40")
    bob("config", "cadence.consolidate", "50")
    alice.fails(2, "undo", match="changed since by a colleague")
    assert "50" in bob("config", "cadence.consolidate").out
    bob("undo")
    alice("undo")
    # 6: a colleague's change of another column of a shared row does not block an undo
    alice("account", "edit", "Hà Nội Retail", "--industry", "Retail")
    bob("account", "edit", "Hà Nội Retail", "--note", "bob's note")
    alice("undo")
    assert team.psql("SELECT coalesce(industry, '-') || ' ' || note FROM account WHERE name = "
                     "'Hà Nội Retail'") == "- bob's note"
    bob("undo")
    # 2, 4, 5: a seller neither recomputes a colleague's people nor writes an account's
    # derived values, and a cadence the computations read is one relcrm accepts
    bobs = team.psql("SELECT min(id) FROM prospect WHERE seller = 'bob'")
    before = team.psql(f"SELECT p::text FROM prospect p WHERE id = {bobs}")
    team.psql(f"SELECT relcrm_settle_shared('[{bobs}]', '[]')", user="alice")
    assert team.psql(f"SELECT xmin FROM prospect WHERE id = {bobs}") and \
        team.psql(f"SELECT p::text FROM prospect p WHERE id = {bobs}") == before
    assert "permission denied" in _psql_fails(
        team, "UPDATE account SET last_touch_at = '2031-01-01T00:00:00'", "alice")
    for value in ("x", "0", "99999"):
        assert "setting_cadence" in _psql_fails(
            team, f"UPDATE setting SET value = '{value}' WHERE key = 'cadence.build'; "
                  f"INSERT INTO setting (key, value) SELECT 'cadence.build', '{value}' "
                  "WHERE NOT EXISTS (SELECT 1 FROM setting WHERE key = 'cadence.build')",
            "alice")
    # 7: a seller puts a shared setting back to its default
    alice("config", "cadence.build", "9")
    assert "cadence.build" in alice("config", "cadence.build", "--reset").out
    # 8: a colleague's undo.keep does not empty one's own journal
    for n in range(3):
        bob("log", bobs, "note", f"note {n}")
    alice("config", "undo.keep", "1")
    bob("log", bobs, "note", "one more")
    assert len(json.loads(bob("undo", "--list", "-f", "json").out)) >= 4
    # the days off are laid by relcrm's rules only
    assert "not days off" in _psql_fails(
        team, "SELECT relcrm_days_off('[[\"2026-11-30\", \"2099-01-01\", \"x\"]]')", "alice")


def test_a_change_of_currency_moves_every_sellers_deal_values(two_sellers):
    alice, bob = two_sellers.as_("alice"), two_sellers.as_("bob")
    bob("add", "Lâm Quang Đại", "--company", "Đại Phát")
    bob("deal", "add", "Đại Phát", "Kho lạnh", "--value", "1000000000", "--with", "Lâm Quang")
    bob("deal", "add", "Đại Phát", "Spare parts", "--value", "500 USD", "--with", "Lâm Quang")

    def value() -> str:
        return two_sellers.team.psql("SELECT value_milli || ' ' || value_currency FROM "
                                     "prospect WHERE name = 'Lâm Quang Đại'")

    assert value() == "1000000000000 VND"
    alice("config", "currency", "USD")  # a shared setting: bob's values follow it
    assert value() == "500000 USD"
    alice("undo")
    assert value() == "1000000000000 VND"


def test_an_account_two_books_share_counts_the_people_of_both(two_sellers):
    """Moving bob's book in recounts the accounts it joined: their deciders are alice's and
    bob's (before, the first book's values stayed)."""
    deciders = two_sellers.team.psql("SELECT deciders FROM account WHERE name = 'Sài Gòn Tech'")
    people = two_sellers.team.psql(
        "SELECT count(*) FROM prospect p JOIN prospect_role r ON r.prospect_id = p.id "
        "JOIN account a ON a.id = p.account_id WHERE a.name = 'Sài Gòn Tech' "
        "AND r.role = 'decider' AND p.stage <> 'lost'")
    assert deciders == people == "2"


def test_an_account_with_colleagues_people_is_renamed_by_a_manager(two_sellers):
    alice, mai = two_sellers.as_("alice"), two_sellers.as_("mai")
    before = two_sellers.dump()
    alice.fails(1, "account", "edit", "Sơn Ca", "--name", "Sơn Ca Music",
                match="a manager renames it")
    assert two_sellers.dump() == before
    mai("account", "edit", "Sơn Ca", "--name", "Sơn Ca Music")
    assert two_sellers.team.psql("SELECT DISTINCT company FROM prospect WHERE account_id = "
                                 "(SELECT id FROM account WHERE name = 'Sơn Ca Music')") == \
        "Sơn Ca Music"
    alice("account", "edit", "Sơn Ca Music", "--industry", "Music")  # other changes: anyone's


def test_what_the_second_review_of_team_writes_found_holds(two_sellers):
    team = two_sellers.team
    alice, bob, mai = two_sellers.as_("alice"), two_sellers.as_("bob"), two_sellers.as_("mai")
    # relcrm_revert called with psql checks what relcrm undo checks
    alice("account", "add", "Zeta Corp")
    bob("account", "edit", "Zeta Corp", "--note", "bob: tender worth 2 tỷ")
    alice.fails(2, "undo", match="changed since by a colleague")
    assert "changed since" in _psql_fails(
        team, "SELECT relcrm_revert((SELECT max(id) FROM _change))", "alice")
    assert team.psql("SELECT note FROM account WHERE name = 'Zeta Corp'") == \
        "bob: tender worth 2 tỷ"
    bob("undo")
    # ... and never takes a record handed to a colleague since
    alice("undo")
    pid = alice("add", "Handover Person", "--company", "Minh Phát Co.", "-q").out.strip()
    team.psql(f"UPDATE prospect SET seller = 'bob' WHERE id = {pid}")  # the manager's hand
    bob("log", pid, "call", "they want 500 units")
    alice.fails(2, "undo", match="changed since by a colleague")
    assert "changed since" in _psql_fails(
        team, "SELECT relcrm_revert((SELECT max(id) FROM _change))", "alice")
    assert "500 units" in bob("show", pid).out
    # an account alice added keeps what a colleague hung on it since
    bob("undo")
    alice("account", "add", "Kappa Corp", "--criterion", "price")
    bob("account", "date", "Kappa Corp", "founding", "1/12/2005")
    alice.fails(2, "undo", match="a colleague's records refer")
    assert "founding" in mai("date", "list", "--days", "400").out
    del mai


def test_a_seller_cannot_move_or_block_colleagues_follow_ups_with_bad_times(two_sellers):
    team = two_sellers.team
    alice_first = team.psql("SELECT min(id) FROM prospect WHERE seller = 'alice'")
    for sql in (f"UPDATE prospect SET last_touch_at = 'zzzz' WHERE id = {alice_first}",
                f"UPDATE touch SET at = '2026-13-45' WHERE prospect_id = {alice_first}",
                "INSERT INTO kam_change (account_id, at, from_stage, to_stage, seq) SELECT id, "
                "'zzzz', NULL, 'early', 9 FROM account LIMIT 1"):
        assert "_times" in _psql_fails(team, sql, "alice")
    # a planted index entry finds nothing the record does not hold
    team.psql("INSERT INTO _search (rowid, body, at, size) SELECT id * 8 + 6, 'planted tender', "
              "'2099-01-01', 2 FROM account WHERE name = 'Sơn Ca' AND NOT EXISTS (SELECT 1 "
              "FROM _search WHERE rowid = account.id * 8 + 6)", user="alice")
    assert "Nothing found" in two_sellers.as_("bob")("search", "planted tender").out


def test_a_team_database_lays_the_days_off_of_a_new_year(two_sellers):
    alice = two_sellers.as_("alice")
    assert two_sellers.team.psql("SELECT max(day) FROM _day_off WHERE length(day) = 4") < "2034"
    alice("log", "5", "call", "happy new year", env={"RELCRM_TODAY": "2034-12-29"})
    assert two_sellers.team.psql("SELECT max(day) FROM _day_off WHERE length(day) = 4") >= "2035"
    assert "2035-01-01" in two_sellers.team.psql("SELECT day FROM _day_off WHERE day = "
                                                 "'2035-01-01'")


def test_a_seller_imports_an_export_a_colleague_has_moved_in_too(two_sellers, tmp_path):
    """The steps' calendar uids are unique among one seller's: carol's import of the book
    alice and bob moved in failed on theirs (and told her they had them)."""
    two_sellers("team", "add-seller", "carol")
    book = solo(tmp_path)
    Cli(book)("--db", book, "export", "all", "-f", "json", "-o", tmp_path / "all.json")
    carol = two_sellers.as_("carol")
    said = carol("import", tmp_path / "all.json").out
    assert "Imported 12 new prospects" in said
    assert two_sellers.team.psql("SELECT count(DISTINCT seller) FROM step") == "3"


# -- sync: each seller's own phone --------------------------------------------------------------

@pytest.fixture(scope="module")
def dav():
    """A real Radicale CalDAV/CardDAV server (tests/radicale_server.py): each seller syncs to
    a calendar and an address book of their own there."""
    from radicale_server import Radicale

    with Radicale() as running:
        yield running


class Phone:
    """A seller's calendar and address book on `dav`, as their phone sees them."""

    def __init__(self, cli, dav, name: str) -> None:
        self.cli, self.dav, self.name = cli, dav, name
        self.env = {"RELCRM_SYNC_PASSWORD": dav.password}
        if isinstance(cli, TeamCli):
            self.env.update(RELCRM_TODAY=TODAY)
        else:
            self.env.update(RELCRM_DB=str(cli.path), RELCRM_TODAY=TODAY)

    def setup(self) -> Run:
        return self.cli("sync", "setup", self.dav.url, "--user", self.dav.user, "--calendar",
                        self.name, "--addressbook", self.name, env=self.env)

    def sync(self, *args: str) -> dict:
        """relcrm sync --format json: its one record, without the server's address."""
        records = json.loads(self.cli("sync", *args, "--format", "json", env=self.env).out)
        return {k: v for k, v in records[0].items() if k != "url"}

    def run(self, *args: str) -> Run:
        return self.cli.run(*args, env=self.env)

    def _state(self, key: str) -> str:
        query = f"SELECT value FROM _sync_state WHERE key = '{key}'"
        if isinstance(self.cli, TeamCli):
            return self.cli.team.psql(query, user=self.cli.user)
        return self.cli.one(query)

    @property
    def app(self):
        from test_sync import Phone as App

        return App(self.dav, self.name, self._state("addressbook_url"))

    def step_uids(self) -> dict[int, str]:
        """Each open step's UID on the phone, by the step's id."""
        query = "SELECT id, uid FROM step WHERE status = 'open' ORDER BY id"
        if isinstance(self.cli, TeamCli):
            rows = [r.split("|") for r in self.cli.team.psql(
                query.replace("id, uid", "id || '|' || uid"), user=self.cli.user).splitlines()]
        else:
            rows = self.cli.sql(query)
        return {int(i): f"relcrm-step-{u}@relcrm" for i, u in rows}


def test_a_sync_says_and_does_the_same_on_both_engines_and_is_undone_alike(pair, dav):
    """The v8 book as a book file and as alice's on a team database, each synced to a
    calendar of its own: the same objects go to each phone; a to-do ticked, a step moved and
    an object deleted on each phone come back the same; `undo` takes what came back on both."""
    import datetime as dt

    on_sqlite, on_postgres = pair
    phones = [Phone(on_sqlite, dav, "solo"), Phone(on_postgres, dav, "team-alice")]
    for phone in phones:
        phone.setup()
    first = [phone.sync() for phone in phones]
    assert first[0] == first[1]
    assert first[0]["created"] > 20 and first[0]["received"] == []
    uids = [phone.step_uids() for phone in phones]
    assert uids[0].keys() == uids[1].keys()
    ticked = moved = None
    for phone, by_id in zip(phones, uids):
        app = phone.app
        entries = app.entries()
        todos = [i for i, uid in by_id.items() if entries[uid].name == "VTODO"]
        ticked, moved, gone = todos[0], todos[1], todos[2]
        app.complete(by_id[ticked], dt.datetime(2026, 11, 25, 2, 30, tzinfo=dt.timezone.utc))
        app.edit(by_id[moved], due=entries[by_id[moved]]["DUE"].dt + dt.timedelta(days=7))
        app.delete(by_id[gone])
    dry = [phone.sync("--dry-run") for phone in phones]
    assert dry[0] == dry[1]
    second = [phone.sync() for phone in phones]
    assert second[0] == second[1]
    assert len(second[0]["received"]) == 2 and len(second[0]["recreated"]) == 1, second[0]
    for args in [("step", "list"), ("step", "history", str(moved))]:
        got, expected = phones[1].run(*args), phones[0].run(*args)
        assert (got.code, got.out, got.err) == (expected.code, expected.out, expected.err)
    journals = [[(c["command"].replace(phone.name, "NAME"), c["summary"]) for c in json.loads(
        phone.run("undo", "--list", "-f", "json").out)] for phone in phones]
    assert journals[0] == journals[1]  # (a team database's change ids have gaps)
    assert journals[0][0][1] == "added 2 step changes; changed 2 steps"
    third = [phone.sync() for phone in phones]  # nothing left to send or take
    assert third[0] == third[1] == {**third[0], "created": 0, "updated": 0, "deleted": 0,
                                    "received": [], "recreated": []}
    # what came from the phone is one change of the seller's, undone as on a book file
    undone = [json.loads(phone.run("undo", "-f", "json").out)[0] for phone in phones]
    assert undone[0]["summary"] == undone[1]["summary"] == journals[0][0][1]
    for args in [("step", "list"), ("show", "5")]:
        assert phones[1].run(*args).out == phones[0].run(*args).out


def test_each_seller_syncs_their_own_phone_and_no_one_elses(two_sellers, dav):
    """alice and bob each have a copy of the v8 book: each one's phone gets their own people
    and steps, and the shared accounts' dates; their sync settings and state are theirs alone,
    to relcrm and to psql, a manager's included; undo takes back a seller's own sync setup."""
    team = two_sellers.team
    alice, bob, mai = (two_sellers.as_(n) for n in ("alice", "bob", "mai"))
    phones = {"alice": Phone(alice, dav, "alice"), "bob": Phone(bob, dav, "bob")}
    phones["alice"].setup()
    # bob's settings are his own: alice's setup is not his
    assert bob("config", "sync.url").out == "\n"
    bob.fails(2, "sync", match="sync is not set up", env={"RELCRM_SYNC_PASSWORD": "x"})
    phones["bob"].setup()
    sent = {name: phone.sync() for name, phone in phones.items()}
    assert sent["alice"] == sent["bob"] and sent["alice"]["created"] > 20
    cards = {name: phone.app.cards() for name, phone in phones.items()}
    assert len(cards["alice"]) == len(cards["bob"]) == 12
    assert not set(cards["alice"]) & set(cards["bob"])  # each one's own people
    steps = {name: set(phone.step_uids().values()) for name, phone in phones.items()}
    for name, phone in phones.items():
        entries = set(phone.app.entries())
        assert steps[name] <= entries and not steps[name] & steps[
            "bob" if name == "alice" else "alice"]
    # what each seller's sync keeps is theirs alone, also through psql
    mine = team.psql("SELECT count(*) FROM _sync_item WHERE seller = 'alice'")
    assert team.psql("SELECT count(*) FROM _sync_item", user="alice") == mine
    for user in ("bob", "mai"):
        assert team.psql("SELECT count(*) FROM _sync_item WHERE seller = 'alice'",
                         user=user) == "0"
        assert team.psql("SELECT count(*) FROM seller_setting WHERE seller = 'alice'",
                         user=user) == "0"
    for sql in ("UPDATE _sync_state SET value = 'x' WHERE seller = 'alice'",
                "DELETE FROM _sync_item WHERE seller = 'alice'"):
        assert team.psql(sql, user="bob") == ""  # (no row of alice's to touch)
    assert team.psql("SELECT count(*) FROM _sync_item WHERE seller = 'alice'") == mine
    with pytest.raises(subprocess.CalledProcessError):
        team.psql("INSERT INTO _sync_state (seller, key, value) VALUES ('alice', 'k', 'v')",
                  user="bob")
    assert mai("config", "sync.user").out == "\n"
    # a person forgotten for good leaves no keys in the seller's sync state
    alice("delete", "5", "--forget", "--yes")
    assert team.psql("SELECT sent FROM _sync_item WHERE kind = 'prospect' AND ref_id = 5",
                     user="alice") == "{}"
    # the setup is a change of alice's (an erasure leaves none behind): undone, her
    # settings go, bob's stay
    assert "sync setup" in alice("undo", "-f", "json").out
    assert alice("config", "sync.url").out == "\n"
    assert bob("config", "sync.url").out == dav.url + "\n"


def test_a_seller_syncs_once_at_a_time_and_colleagues_meanwhile(two_sellers, dav):
    import psycopg

    alice, bob = two_sellers.as_("alice"), two_sellers.as_("bob")
    phones = {"alice": Phone(alice, dav, "alice-once"), "bob": Phone(bob, dav, "bob-once")}
    for phone in phones.values():
        phone.setup()
    # a colleague cannot take the lock of alice's sync (the review took an advisory lock's)
    with psycopg.connect(two_sellers.team.url("bob")) as other:
        assert other.execute("SELECT count(*) FROM (SELECT 1 FROM _sync_state WHERE "
                             "seller = 'alice' FOR UPDATE) s").fetchone()[0] == 0
        other.execute("SELECT pg_advisory_lock(hashtextextended('relcrm sync alice', 0))")
        assert phones["alice"].sync()["created"] > 20
    with psycopg.connect(two_sellers.team.url("alice")) as held:
        held.execute("SELECT 1 FROM _sync_state WHERE key = 'lock' FOR UPDATE")
        before = two_sellers.dump()
        said = alice.run("sync", env=phones["alice"].env)
        assert said.code == 1 and said.err.count("\n") == 1
        assert "another relcrm sync of yours on this team database is running" in said.err
        assert two_sellers.dump() == before
        assert phones["bob"].sync()["created"] > 20
    assert phones["alice"].sync()["created"] == 0


def test_what_the_review_of_team_sync_found_holds(two_sellers, dav, tmp_path):
    """A seller's own settings are their phone sync's only; the administrator has none and
    cannot sync; a manager's sync is their own even when their connection asks for the
    team's; an export carries the seller's own settings, as on a book file; a book moves in
    over the sync state a seller's undone setup left."""
    import psycopg

    team = two_sellers.team
    alice, mai = two_sellers.as_("alice"), two_sellers.as_("mai")
    Phone(alice, dav, "review-alice").setup()
    with pytest.raises(subprocess.CalledProcessError):
        team.psql("INSERT INTO seller_setting (key, value) VALUES ('occasion.lead_days', '60')",
                  user="alice")
    exported = alice("export", "settings", "-f", "json").out
    assert '"key": "sync.calendar", "value": "review-alice"' in exported
    admin = TeamCli(team)
    assert admin("config", "sync.url").out == "\n"
    admin.fails(2, "sync", "status", match="each seller's own")
    # a manager whose connection shows the team: their phone gets their own (none), not all
    url = team.url("mai") + "?options=-c%20relcrm.team%3Don"
    assert json.loads(mai("list", "-f", "json", env={"RELCRM_DB": url}).out)  # the team's
    phone = Phone(mai, dav, "review-mai")
    phone.env["RELCRM_DB"] = url
    phone.setup()
    sent = phone.sync()
    assert len(phone.app.cards()) == 0 and not phone.step_uids()
    assert sent["created"] == len(phone.app.entries())  # dates of the shared accounts only
    # alice undoes her setup: her sync state stays, without settings; her book moves in over it
    assert "sync setup" in alice("undo").out
    with psycopg.connect(team.url()) as con:
        assert con.execute("SELECT count(*) FROM _sync_state WHERE seller = 'alice'"
                           ).fetchone()[0]
    book = solo(tmp_path)
    synced = Phone(Cli(book), dav, "review-book")
    synced.setup()
    synced.sync()  # the book has its own sync state: its server's tokens, its objects
    with psycopg.connect(team.url()) as con:  # a book of alice's she has not moved in yet
        con.execute("DELETE FROM _import WHERE seller = 'alice'")
        con.execute("DELETE FROM prospect WHERE seller = 'alice'")
    said = alice("team", "import-book", book, "--seller", "alice").out
    assert "alice's phone sync came along" in said
    assert alice("config", "sync.calendar").out == "review-book\n"
    moved = Phone(alice, dav, "review-book").sync()
    assert moved["received"] == [] and moved["recreated"] == []


def test_a_shared_date_with_no_day_leaves_colleagues_working(two_sellers):
    """alice writes with psql an occasion in month 13 and an account's founding day on 31/2
    (shared rows): bob's followups, plan and date list leave them out with a warning instead
    of failing, and his doctor names them."""
    team = two_sellers.team
    bob = two_sellers.as_("bob")
    team.psql("INSERT INTO occasion (key, name, month, day) VALUES ('bad', 'Bad', 13, 1); "
              "INSERT INTO important_date (account_id, kind, month, day, lunar, created_at) "
              "VALUES (1, 'founding', 2, 31, 0, '2026-01-01T00:00:00')", user="alice")
    for args in (("followups",), ("plan", "week"), ("date", "list"), ("occasion", "list")):
        result = bob.run(*args)
        assert result.code == 0 and "has no day relcrm can place" in result.err, args
    doctor = bob.run("doctor")
    assert doctor.code == 1 and "the occasion bad (1/13): relcrm occasion drop bad (a " \
        "manager)" in doctor.out
    # an account's date is the team's: a seller's drop is refused, not said done (the
    # review: "Dropped date #7", and nothing was)
    bad = team.psql("SELECT id FROM important_date WHERE month = 2 AND day = 31")
    assert f"relcrm date drop {bad} (a manager)" in doctor.out
    bob.fails(1, "date", "drop", bad, match="an account's, shared by the team; a manager "
              "removes it")
    assert "Dropped" in two_sellers.as_("mai")("date", "drop", bad).out
    # the administrator is not in the team: a write is one line (it was an internal error)
    TeamCli(team).fails(1, "config", "sync.url", "http://x/", match="postgres is not in the "
                        "team")
