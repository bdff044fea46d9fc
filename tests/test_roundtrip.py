"""export -> import into an empty book -> export again gives identical files."""

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ON = lambda when: {"RELCRM_TODAY": when}  # noqa: E731


@pytest.fixture
def book(cli):
    """A book with every kind of record and the awkward cases."""
    cli.add("Nguyễn Văn An", "--company", "Minh Phát", "--email", "an@mp.vn", "--tag", "hcm",
            "--tag", "vip", "--value", "1234.5 USD", "--note", 'line one\nline "two", three',
            "--url", "https://mp.vn", env=ON("2026-10-01T09:00"))
    cli("qualify", "an", "--need", "yes", "--budget", "partial", "--note", "Q1",
        env=ON("2026-10-02T10:00"))
    cli("call", "an", "--situation", "2 plants", "--situation", "3 shifts", "--problem",
        "film tears", "--explicit-need", "stronger film", "-o", "advance", "--commitment",
        "trial", "--minutes", "45", "--next", "2026-10-09", "--next-step", "trial run",
        env=ON("2026-10-02T11:00"))
    cli("stage", "advance", "an", "--reason", "trial agreed", env=ON("2026-10-02T11:00"))
    cli("call", "an", "-o", "continuation", env=ON("2026-10-20T10:00"))
    cli("call", "an", "-o", "continuation", "--next", "2026-11-30", env=ON("2026-11-03T10:00"))
    cli("log", "an", "note", "likes golf", env=ON("2026-11-04T10:00"))
    cli.add("Trần Thị Bình", "--company", "Hòa Bình", env=ON("2026-09-01T09:00"))
    cli("stage", "set", "bình", "lost", "--reason", "budget cut", env=ON("2026-09-10T09:00"))
    cli("stage", "set", "bình", "2", "--reason", "new CFO", env=ON("2026-11-01T09:00"))
    cli("log", "bình", "email", "hello again", env=ON("2026-11-01T09:00"))
    # namesakes at one company: different people, both must survive a round trip
    cli.add("Lê Văn Cường", "--company", "Acme")
    cli.add("Lê Văn Cường", "--company", "Acme", "--phone", "0900 000 000", "--allow-duplicate")
    cli("qualify", "4", "--authority", "no")
    cli("role", "an", "decider", "buyer", env=ON("2026-11-05T10:00"))
    cli("role", "3", "user", env=ON("2026-11-05T10:00"))
    cli("account", "edit", "minh", "--key", "--buy-class", "modified-rebuy", "--criterion",
        "price", "--criterion", "reputation", "--industry", "Packaging",
        env=ON("2026-11-06T10:00"))
    cli("kam", "advance", "minh", "--reason", "trusted", env=ON("2026-11-07T10:00"))
    cli("call", "an", "-o", "order", "--commitment", "PO 7", "--amount", "1,250,000.75 USD",
        env=ON("2026-11-08T10:00"))
    cli("log", "bình", "email", "PO by mail", "--amount", "300", env=ON("2026-11-09T10:00"))
    return cli


def _export_all(cli, db: Path, kind: str, target: Path) -> bytes | dict:
    if kind in ("json", "jsonl"):
        cli("--db", str(db), "export", "all", "-f", kind, "-o", str(target))
        return target.read_bytes()
    cli("--db", str(db), "export", "all", "-f", kind, "-o", str(target))
    return {p.name: p.read_bytes() for p in sorted(target.iterdir())}


@pytest.mark.parametrize("kind", ["json", "jsonl", "csv", "tsv"])
def test_the_whole_book_round_trips(book, tmp_path, kind):
    first = _export_all(book, book.path, kind, tmp_path / f"first.{kind}")
    empty = tmp_path / "empty.db"
    out = book("--db", str(empty), "import", str(tmp_path / f"first.{kind}")).out
    assert out == (f"Imported 4 new prospects from first.{kind} (relcrm); with 7 touches, "
                   "4 calls, 7 stage changes, 3 qualifications, 3 accounts, 3 roles, 2 "
                   "key-account stage changes, 2 steps, 2 step changes, 1 deal, 2 deal changes.\n")
    second = _export_all(book, empty, kind, tmp_path / f"second.{kind}")
    assert second == first
    for args in (["followups", "-f", "json", "--all"], ["show", "an", "-f", "json"],
                 ["list", "-f", "csv", "--all"], ["account", "show", "minh", "-f", "json"],
                 ["account", "candidates", "-f", "csv"]):
        assert book("--db", str(empty), *args).out == book(*args).out


def test_entity_files_imported_one_by_one_attach_to_their_prospects(book, tmp_path):
    files = {}
    for entity in ("prospects", "deals", "touches", "calls"):
        files[entity] = tmp_path / f"{entity}.csv"
        book("export", entity, "-o", str(files[entity]))
    other = tmp_path / "other.db"
    for entity in files:
        book("--db", str(other), "import", str(files[entity]))
    for entity in ("touches", "calls"):
        assert book("--db", str(other), "export", entity).raw == files[entity].read_bytes()
    again = book("--db", str(other), "import", str(files["touches"])).out
    assert again == "Imported 0 new prospects from touches.csv (relcrm).\n"
    assert book("--db", str(other), "export", "touches").raw == files["touches"].read_bytes()
    show = json.loads(book("--db", str(other), "show", "an", "-f", "json").out)
    assert show["continuations"] == 0 and show["stage"] == "establish"  # the order ended the run


def test_prospects_alone_keep_stage_and_judgements(book, tmp_path):
    path = tmp_path / "prospects.json"
    book("export", "prospects", "-f", "json", "-o", str(path))
    other = tmp_path / "other.db"
    book("--db", str(other), "import", str(path))
    rows = {r["id"]: r for r in json.loads(book("--db", str(other), "export", "-f",
                                                "json").out)}
    assert rows[1]["stage"] == "establish" and rows[1]["need"] == "yes"
    assert rows[4]["qualification"] == "disqualified"
    assert rows[2]["stage"] == "establish"


def test_into_a_book_with_people_ids_are_new_and_duplicates_keep_theirs(book, tmp_path):
    bundle = tmp_path / "book.json"
    book("export", "all", "-f", "json", "-o", str(bundle))
    other = tmp_path / "other.db"
    book("--db", str(other), "add", "Someone Else")
    book("--db", str(other), "add", "Trần Thị Bình", "--company", "Hòa Bình")
    out = book("--db", str(other), "import", str(bundle)).out
    assert ("Imported 3 new prospects from book.json (relcrm); skipped 1 duplicate "
            "(1 by name and company); with 5 touches, 4 calls") in out
    rows = {r["name"]: r for r in json.loads(book("--db", str(other), "list", "-f", "json",
                                                  "--all").out)}
    assert rows["Nguyễn Văn An"]["id"] == 3 and rows["Nguyễn Văn An"]["authority"] == "yes"
    calls = json.loads(book("--db", str(other), "export", "calls", "-f", "json").out)
    assert {c["prospect"] for c in calls} == {"Nguyễn Văn An"}
    assert calls[0]["situation"] == ["2 plants", "3 shifts"]
    assert rows["Trần Thị Bình"]["last_touch_at"] is None  # its history was not merged


def test_a_bad_record_in_a_book_names_entity_and_line(book, tmp_path):
    path = tmp_path / "touches.csv"
    book("export", "touches", "-o", str(path))
    text = path.read_text(encoding="utf-8").replace(",email,", ",fax,")
    path.write_text(text, encoding="utf-8")
    before = book.dump()
    result = book.run("import", str(path))  # the rest is already in the book: skipped
    assert result.code == 2
    assert result.err.splitlines()[0] == (
        "touches.csv: touches line 6: kind 'fax' is not one of call, meeting, email, message, "
        "visit, letter, gift, event, note")
    assert book.dump() == before


# -- every export imports back: a property over random small books ------------------------------
PIECES = ['"', "'", '""', ",", ";", "|", "\\", " ", "x", "Zoë", "Nguyễn", "Văn", "Ấn", "đ",
          "😀", "🇻🇳", "\u2028", "\u2029", "1", "0", "null", "NaN", "<b>", "[red]", "#"]
LEADING = ["", "", "=", "+", "-", "@", "=1+2", "+84 ", "@SUM(A1)", '=HYPERLINK("x")']
BREAKS = ["\t", "\n", "\n\n", "\n  ", "\t\n"]
REFS = ["1", "1", "2", "2", "3", "4"]  # two people are there from the start


def _line(max_pieces: int = 6):
    """One-line text: quotes, commas, semicolons, emoji, Vietnamese, U+2028/2029, = + - @."""
    return st.builds(lambda lead, parts: lead + "".join(parts), st.sampled_from(LEADING),
                     st.lists(st.sampled_from(PIECES), min_size=1, max_size=max_pieces))


def _text():
    """Multi-line text (tabs, newlines, blank and indented lines), now and then as long as a
    note may be, or with a CR LF (which every field refuses: the command fails)."""
    short = st.builds(lambda lead, parts: lead + "".join(parts), st.sampled_from(LEADING),
                      st.lists(st.sampled_from(PIECES + BREAKS), min_size=1, max_size=12))
    long = st.builds(lambda text, n: (text + "y" * n)[:20_000], short,
                     st.sampled_from([500, 19_990, 20_000]))
    windows = short.map(lambda text: text + "\r\nz")
    return st.one_of(*[short] * 6, long, long, windows)


AMOUNTS = ["0", "1", "12,500.50 USD", "999999999999999", "0.01 USD", "1234.5 EUR", "1_000",
           "7.25 USD", "450.000.000", "68tr", "1,2 tỷ", "2,5 triệu", "12.500,50 EUR", "5k"]
WHENS = ["today", "tomorrow", "fri", "+3d", "2027-01-15", "2027-02-01 14:30"]
ATS = ["2026-08-20 10:00", "2026-08-20 10:00", "yesterday", "2026-08-03"]  # when it happened
COMPANIES = ["Minh Phát", "minh phat", "Acme, Inc.", "=Hòa Bình", '"Q" Co; Ltd']


@st.composite
def _command(draw) -> list[str]:
    """One command that builds a book (it may fail: then it changed nothing)."""
    def maybe(flag: str, values) -> list[str]:
        return draw(st.one_of(st.just([]), values.map(lambda v: [f"{flag}={v}"])))

    ref = draw(st.sampled_from(REFS))
    what = draw(st.sampled_from(["add", "add", "add", "qualify", "call", "call", "log", "stage",
                                 "role", "account", "kam", "merge", "edit", "step",
                                 "account step", "step change", "snooze", "config"]))
    if what == "add":
        name = draw(_line())  # after "--": a name may begin with "-"
        return ["add", *maybe("--company", st.sampled_from(COMPANIES) | _line()),
                *maybe("--email", st.sampled_from(["an@mp.vn", "o'neil@x.co", "b@c.de"])),
                *maybe("--phone", st.sampled_from(["+84 90 123 4567", "(028) 3822-1234"])),
                *maybe("--title", _line()), *maybe("--source", _line()),
                *maybe("--note", _text()), *maybe("--tag", _line(2)),
                *maybe("--tag", _line(2)), *maybe("--value", st.sampled_from(AMOUNTS)),
                *maybe("--url", st.sampled_from(["https://mp.vn/a,b;c", 'x.co/?q="1"'])),
                "--", name]
    if what == "qualify":
        flag = draw(st.sampled_from(["--need", "--budget", "--authority"]))
        level = draw(st.sampled_from(["yes", "partial", "no", "unknown"]))
        return ["qualify", ref, f"{flag}={level}", *maybe("--note", _text())]
    if what == "call":
        outcome = draw(st.sampled_from(["order", "advance", "continuation", "no-sale"]))
        amount = maybe("--amount", st.sampled_from(AMOUNTS)) if outcome == "order" else []
        step = maybe("--next", st.sampled_from(WHENS))
        return ["call", ref, f"--outcome={outcome}", "--commitment=yes, \"trial\"",
                *maybe("--situation", _text()), *maybe("--situation", _text()),
                *maybe("--problem", _text()), *maybe("--explicit-need", _text()),
                *maybe("--minutes", st.integers(1, 1440)), *amount, *step,
                *maybe("--at", st.sampled_from(ATS)),
                *(maybe("--next-step", _line()) if step else []), *maybe("--note", _text())]
    if what == "log":
        kind = draw(st.sampled_from(["email", "meeting", "note", "gift"]))
        return ["log", *maybe("--amount", st.sampled_from(AMOUNTS)),
                *maybe("--at", st.sampled_from(ATS)),
                *[f"--with={r}" for r in draw(st.lists(st.sampled_from(REFS), max_size=2))],
                *draw(st.sampled_from([[], [], ["--done=next"], ["--done=1"]])),
                *maybe("--minutes", st.integers(1, 1440)), ref, kind, "--", draw(_text())]
    if what == "stage":
        stage = draw(st.sampled_from(["attract", "establish", "build", "maintain", "lost", "3",
                                      None]))
        head = ["stage", "advance", ref] if stage is None else ["stage", "set", ref, stage]
        revisit = maybe("--revisit", st.sampled_from(["2027-06-15", "+3w"])) \
            if stage == "lost" else []
        return [*head, *maybe("--reason", _text()), *revisit]
    if what == "role":
        return ["role", ref, *draw(st.lists(st.sampled_from(
            ["decider", "user", "buyer", "influencer", "gatekeeper", "initiator"]),
            min_size=1, max_size=3))]
    if what == "account":
        return ["account", "edit", ref, *draw(st.sampled_from([["--key"], ["--key"],
                                                               ["--no-key"], []])),
                *maybe("--note", _text()), *maybe("--industry", _line()),
                *maybe("--buy-class", st.sampled_from(["new-task", "straight-rebuy"])),
                *maybe("--criterion", st.sampled_from(["price", "reputation", "uy tín"]))]
    if what == "kam":
        stage = draw(st.sampled_from(["mid", "partnership", "uncoupling", "early", None]))
        ref = draw(st.sampled_from(["1", "1", "2"]))
        head = ["kam", "advance", ref] if stage is None else ["kam", "set", ref, stage]
        return [*head, *maybe("--reason", _text())]
    if what == "merge":
        return ["account", "merge", ref, draw(st.sampled_from(REFS))]
    if what == "step":
        return ["step", "add", *maybe("--kind", st.sampled_from(["call", "demo", "todo"])),
                *maybe("--minutes", st.integers(1, 600)), ref,
                draw(st.sampled_from(WHENS)), "--", draw(_line())]
    if what == "account step":
        return ["account", "step", draw(st.sampled_from(["1", "2", "minh"])),
                *[f"--with={r}" for r in draw(st.lists(st.sampled_from(REFS), max_size=2))],
                draw(st.sampled_from(WHENS)), "--", draw(_line())]
    if what == "step change":
        action = draw(st.sampled_from(["done", "drop", "move"]))
        step = str(draw(st.integers(1, 4)))
        if action == "move":
            return ["step", "move", step, draw(st.sampled_from(WHENS)), *maybe("--note",
                                                                                _text())]
        return ["step", action, step, *maybe("--note" if action == "done" else "--reason",
                                              _text())]
    if what == "snooze":
        return ["snooze", ref, draw(st.sampled_from(["2026-12-24", "+5d", "2027-01-15"])),
                *maybe("--reason", _text())]
    if what == "config":
        return ["config", *draw(st.sampled_from([["workdays", "mon-sat"], ["country", "none"],
                                                 ["cadence.build", "4"],
                                                 ["import.per_day", "3"]]))]
    return ["edit", ref, *maybe("--company", st.sampled_from(COMPANIES)),
            *maybe("--note", _text()), *maybe("--name", _line()),
            *maybe("--cadence", st.sampled_from(["5", "stage", "90"])),
            *maybe("--next", st.sampled_from(WHENS))]


BOOKS = st.lists(_command(), min_size=1, max_size=14)
ALL_FORMATS = ("json", "jsonl", "csv", "tsv")  # export all: a document, lines, two folders
# Entity exports imported one by one (stages, qualifications and KAM changes are left out: a
# prospect or account imported without its history is given one, which they would then extend)
ONE_BY_ONE = ("accounts", "prospects", "touches", "calls", "roles")


def _files(target: Path) -> bytes | dict[str, bytes]:
    if target.is_dir():
        return {p.name: p.read_bytes() for p in sorted(target.iterdir())}
    return target.read_bytes()


def _round_trips(cli, folder: Path, commands: list[list[str]]) -> None:
    """Build a book with `commands` (a clock moving on between them), then: every format of
    `export all`, and the entity exports of ONE_BY_ONE in each format, import into an empty
    book and export again identically."""
    folder.mkdir()
    book = folder / "book.db"
    for name, company in (("Nguyễn Văn An", "Minh Phát"), ("Trần Thị Bình", "Acme, Inc.")):
        cli("--db", str(book), "add", name, "--company", company, env=ON("2026-09-01"))
    cli("--db", str(book), "account", "edit", "1", "--key", env=ON("2026-09-01T10:00"))
    start = dt.datetime(2026, 9, 1, 8, 0)
    for n, command in enumerate(commands, 1):
        moment = start + dt.timedelta(hours=7 * n, minutes=13 * n)
        result = cli.run("--db", str(book), *command, env=ON(moment.isoformat()))
        assert result.code in (0, 1, 2), (command, result.err)
    for kind in ALL_FORMATS:
        first = folder / f"all.{kind}"
        cli("--db", str(book), "export", "all", "-f", kind, "-o", str(first))
        copy = folder / f"all-{kind}.db"
        cli("--db", str(copy), "import", str(first))
        again = folder / f"again.{kind}"
        cli("--db", str(copy), "export", "all", "-f", kind, "-o", str(again))
        assert _files(again) == _files(first), f"export all -f {kind}"
    settings = json.loads(cli("--db", str(book), "export", "settings", "-f", "json").out)
    for kind in ALL_FORMATS:  # the entity exports that import reads, one file each
        copy = folder / f"entities-{kind}.db"
        # an import never changes the book's settings (workdays move due dates): the seller
        # sets them as in the first book
        for setting in settings:
            cli("--db", str(copy), "config", setting["key"], setting["value"])
        for entity in ONE_BY_ONE:
            first = folder / f"{entity}.{kind}"
            cli("--db", str(book), "export", entity, "-f", kind, "-o", str(first))
            cli("--db", str(copy), "import", str(first))
        for entity in ONE_BY_ONE:
            again = cli("--db", str(copy), "export", entity, "-f", kind).raw
            assert again == (folder / f"{entity}.{kind}").read_bytes(), f"{entity}.{kind}"


ROUND_TRIP = settings(deadline=None, derandomize=True, database=None, print_blob=True,
                      suppress_health_check=[HealthCheck.function_scoped_fixture,
                                             HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.slow  # a property test: the full suite (CI) runs it
def test_every_export_of_a_random_book_imports_back_identically(cli, tmp_path):
    """A few books in the normal suite (the slow suite tries many more)."""
    count = iter(range(10**6))

    @settings(ROUND_TRIP, max_examples=4)
    @given(BOOKS)
    def round_trip(commands):
        _round_trips(cli, tmp_path / f"book{next(count)}", commands)

    round_trip()


@pytest.mark.slow
def test_every_export_of_many_random_books_imports_back_identically(cli, tmp_path):
    count = iter(range(10**6))

    @settings(ROUND_TRIP, max_examples=60)
    @given(BOOKS)
    def round_trip(commands):
        _round_trips(cli, tmp_path / f"book{next(count)}", commands)

    round_trip()
