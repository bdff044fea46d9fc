"""export -> import into an empty book -> export again gives identical files."""

import json
from pathlib import Path

import pytest

ON = lambda when: {"RELCRM_TODAY": when}  # noqa: E731


@pytest.fixture
def book(cli):
    """A book with every kind of record and the awkward cases."""
    cli.add("Nguyễn Văn An", "--company", "Minh Phát", "--email", "an@mp.vn", "--tag", "hcm",
            "--tag", "vip", "--value", "1234.5", "--note", 'line one\nline "two", three',
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
    cli.add("Lê Văn Cường", "--company", "Acme", "--phone", "0900 000 000")
    cli("qualify", "4", "--authority", "no")
    cli("role", "an", "decider", "buyer", env=ON("2026-11-05T10:00"))
    cli("role", "3", "user", env=ON("2026-11-05T10:00"))
    cli("account", "edit", "minh", "--key", "--buy-class", "modified-rebuy", "--criterion",
        "price", "--criterion", "reputation", "--industry", "Packaging",
        env=ON("2026-11-06T10:00"))
    cli("kam", "advance", "minh", "--reason", "trusted", env=ON("2026-11-07T10:00"))
    cli("call", "an", "-o", "order", "--commitment", "PO 7", "--amount", "1250000.75",
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
                   "key-account stage changes.\n")
    second = _export_all(book, empty, kind, tmp_path / f"second.{kind}")
    assert second == first
    for args in (["followups", "-f", "json", "--all"], ["show", "an", "-f", "json"],
                 ["list", "-f", "csv", "--all"], ["account", "show", "minh", "-f", "json"],
                 ["account", "candidates", "-f", "csv"]):
        assert book("--db", str(empty), *args).out == book(*args).out


def test_entity_files_imported_one_by_one_attach_to_their_prospects(book, tmp_path):
    files = {}
    for entity in ("prospects", "touches", "calls"):
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
    assert calls[0]["situation"] == "2 plants\n3 shifts"
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
