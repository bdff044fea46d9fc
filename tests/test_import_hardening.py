"""import against files that hang, hostile relcrm JSON, huge ids, garbage values, and
concurrent imports (issue 9). Every refusal is one line on stderr, exit 2, the book unchanged.
"""

import base64
import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from relcrm import formats

MAX_ID = 2**53 - 1


@pytest.fixture
def deadline():
    """Fail, rather than hang, when an import blocks (on a FIFO) for 10 s."""
    def expired(*_):
        raise TimeoutError("the import blocked")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _book(cli) -> None:
    """A book with one person, so `unchanged` means something."""
    cli.add("Nguyễn Văn An", "--company", "Minh Phát", "--email", "an@mp.vn")


# -- 1. files that never end or never come -------------------------------------------------------
def test_a_fifo_is_refused_without_waiting_for_a_writer(cli, tmp_path, deadline):
    _book(cli)
    fifo = tmp_path / "contacts.csv"
    os.mkfifo(fifo)
    cli.fails(2, "import", str(fifo), match="is a FIFO (named pipe), not a file")


def test_a_device_is_refused_before_it_is_read(tmp_path):
    """/dev/zero never ends: the old importer grew to gigabytes. Run in a child process with a
    memory cap, so a regression fails instead of eating the machine."""
    import resource

    from test_entrypoint import _relcrm

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))

    book = tmp_path / "book.db"
    result = subprocess.run([*_relcrm(), "--db", str(book), "import", "/dev/zero"],
                            capture_output=True, text=True, timeout=30, preexec_fn=cap,
                            env={**os.environ, "RELCRM_TODAY": "2026-11-25"})
    assert result.returncode == 2, result.stderr
    assert result.stderr == ("relcrm: error: /dev/zero is a device, not a file; import reads "
                             "regular files only (a CSV, vCard or relcrm export, or a folder "
                             "made by `relcrm export all -o FOLDER`)\n")
    assert not book.exists()


def test_a_file_past_the_size_limit_is_refused(cli, tmp_path):
    _book(cli)
    big = tmp_path / "huge.csv"
    with big.open("wb") as out:  # sparse: no disk is used
        out.truncate(formats.MAX_IMPORT_BYTES + 1)
    cli.fails(2, "import", str(big), match="is larger than 256 MiB, the most relcrm imports")


def test_no_more_than_the_limit_is_read_from_a_file_that_says_it_is_empty(cli, monkeypatch):
    """/proc files are regular files of size 0 that hold more: the read itself is bounded."""
    _book(cli)
    monkeypatch.setattr(formats, "MAX_IMPORT_BYTES", 100)
    status = Path("/proc/self/status")
    assert status.stat().st_size == 0 and len(status.read_bytes()) > 100
    cli.fails(2, "import", str(status), match="is larger than 0 MiB")


def test_each_file_of_a_folder_is_checked(cli, tmp_path, deadline):
    _book(cli)
    folder = tmp_path / "export"
    cli("export", "all", "-o", str(folder))
    (folder / "touches.csv").unlink()
    os.mkfifo(folder / "touches.csv")
    cli.fails(2, "import", str(folder), match="touches.csv is a FIFO (named pipe), not a file")
    (folder / "touches.csv").unlink()
    (folder / "touches.csv").symlink_to("/dev/zero")
    cli.fails(2, "import", str(folder), match="touches.csv is a device, not a file")
    (folder / "touches.csv").unlink()
    with (folder / "touches.csv").open("wb") as out:
        out.truncate(formats.MAX_IMPORT_BYTES + 1)
    cli.fails(2, "import", str(folder), match="touches.csv is larger than 256 MiB")


# -- a relcrm book to damage ---------------------------------------------------------------------
_BOOK: dict = {}


@pytest.fixture
def book_json(tmp_path_factory) -> dict:
    """`export all -f json` of a small book with every entity (made once), a copy per test."""
    if not _BOOK:
        from conftest import Cli

        src = tmp_path_factory.mktemp("src") / "src.db"
        make = Cli(src)
        env = {"RELCRM_TODAY": "2026-11-25", "RELCRM_DB": str(src)}
        for args in (["add", "Nguyễn Văn An", "--company", "Minh Phát", "--email", "an@mp.vn",
                      "--tag", "vip", "--value", "1200"],
                     ["qualify", "an", "--need", "yes"],
                     ["call", "an", "-o", "advance", "--commitment", "trial", "--situation",
                      "two plants", "--minutes", "30"],
                     ["log", "an", "email", "sent the offer", "--amount", "300"],
                     ["role", "an", "decider"], ["account", "edit", "minh", "--key"],
                     ["kam", "advance", "minh", "--reason", "trust"],
                     ["export", "all", "-f", "json", "-o", str(src.parent / "book.json")]):
            make(*args, env=env)
        _BOOK.update(json.loads((src.parent / "book.json").read_text(encoding="utf-8")))
    return json.loads(json.dumps(_BOOK))  # a copy to change


_FULL: dict = {}


@pytest.fixture
def full_book_json(tmp_path_factory) -> dict:
    """Like book_json, with a record of every entity the book holds: steps with their history
    and people, a touch with several people, settings, a cadence, a snooze, a revisit."""
    if not _FULL:
        from conftest import Cli

        src = tmp_path_factory.mktemp("full") / "src.db"
        make = Cli(src)
        env = {"RELCRM_TODAY": "2026-11-25", "RELCRM_DB": str(src)}
        for args in (["add", "Nguyễn Văn An", "--company", "Minh Phát", "--email", "an@mp.vn",
                      "--tag", "vip", "--value", "1200"],
                     ["call", "an", "-o", "advance", "--commitment", "trial", "--minutes", "30"],
                     ["role", "an", "decider"], ["account", "edit", "minh", "--key"],
                     ["add", "Lê Thu Hà", "--company", "Minh Phát"],
                     ["log", "an", "meeting", "site visit", "--with", "ha"],
                     ["step", "add", "an", "fri 14:00", "call back", "--kind", "call"],
                     ["account", "step", "minh", "mon", "audit", "--with", "ha"],
                     ["step", "move", "1", "fri 15:00"],
                     ["config", "cadence.build", "7"],
                     ["edit", "ha", "--cadence", "5"],
                     ["snooze", "ha", "2026-12-20", "--reason", "holiday"],
                     ["stage", "set", "ha", "lost", "--reason", "moved", "--revisit",
                      "2027-03-01"],
                     ["export", "all", "-f", "json", "-o", str(src.parent / "book.json")]):
            make(*args, env=env)
        _FULL.update(json.loads((src.parent / "book.json").read_text(encoding="utf-8")))
    return json.loads(json.dumps(_FULL))


def _write(tmp_path: Path, document, name: str = "book.json") -> Path:
    path = tmp_path / name
    text = document if isinstance(document, str) else json.dumps(document)
    path.write_text(text, encoding="utf-8")
    return path


def _email(book_json: dict) -> dict:
    """The touch that is not a call (touches holds the calls too)."""
    return next(t for t in book_json["touches"] if t["kind"] == "email")


def _bad_rows(cli, path: Path, *reasons: str) -> list[dict]:
    """Import must refuse the file for its bad rows, each reason among them, book unchanged."""
    result = cli.fails(2, "import", str(path), "--report", "json", match="nothing was imported")
    errors = [r for r in json.loads(result.out) if r["action"] == "error"]
    for reason in reasons:
        assert any(e["reason"].startswith(reason) for e in errors), (reason, errors)
    assert all(len(e["reason"]) < 300 for e in errors), "a reason must not quote a huge value"
    return errors


# -- 2. hostile relcrm JSON ----------------------------------------------------------------------
def test_json_nested_100000_deep_is_refused(cli, tmp_path):
    _book(cli)
    deep = '{"format": "relcrm-book", "prospects": ' + "[" * 100_000 + "]" * 100_000 + "}"
    cli.fails(2, "import", str(_write(tmp_path, deep)),
              match="book.json nests arrays or objects too deeply to be a relcrm export")


def test_a_json_line_nested_too_deep_is_a_bad_row(cli, tmp_path, book_json):
    lines = [json.dumps({"entity": "prospects", **book_json["prospects"][0]}),
             '{"entity": "touches", "summary": ' + "[" * 100_000 + "]" * 100_000 + "}"]
    path = _write(tmp_path, "\n".join(lines) + "\n", "book.jsonl")
    errors = _bad_rows(cli, path, "nests arrays or objects too deeply")
    assert [e["line"] for e in errors] == [2]


def test_a_5000_digit_integer_is_a_bad_row(cli, tmp_path, book_json):
    text = json.dumps(book_json).replace('"seq": 1', '"seq": ' + "9" * 5000, 1)
    _bad_rows(cli, _write(tmp_path, text), "seq Infinity is out of range")


@pytest.mark.parametrize("entity,field", [("prospects", "id"), ("stages", "seq"),
                                          ("calls", "minutes"), ("touches", "id"),
                                          ("kam", "seq")])
@pytest.mark.parametrize("number,shown", [("1e400", "Infinity"), ("Infinity", "Infinity"),
                                          ("-Infinity", "-Infinity"), ("NaN", "NaN")])
def test_infinite_and_nan_numbers_are_bad_rows(cli, tmp_path, book_json, entity, field,
                                               number, shown):
    book_json[entity][0][field] = "@@"
    text = json.dumps(book_json).replace('"@@"', number)
    reason = "is not a whole number" if shown == "NaN" else "is out of range"
    _bad_rows(cli, _write(tmp_path, text), f"{field} {shown} {reason}")


def test_an_entity_that_is_not_a_list_is_refused(cli, tmp_path, book_json):
    _book(cli)
    book_json["prospects"] = 5
    cli.fails(2, "import", str(_write(tmp_path, book_json)),
              match="book.json: 'prospects' must be a list of records, not a number")
    book_json["prospects"] = {"id": 1}
    cli.fails(2, "import", str(_write(tmp_path, book_json)), match="not an object")


@pytest.mark.parametrize("entity", [{}, [1], 5, True])
def test_a_json_line_whose_entity_is_not_text_is_a_bad_row(cli, tmp_path, book_json, entity):
    lines = [json.dumps({"entity": "prospects", **book_json["prospects"][0]}),
             json.dumps({"entity": entity, **book_json["stages"][0]})]
    errors = _bad_rows(cli, _write(tmp_path, "\n".join(lines), "book.jsonl"),
                       "its entity must be text (one of prospects, touches")
    assert [e["line"] for e in errors] == [2]


# -- 3. ids and seqs within 1 .. 2**53 - 1 -------------------------------------------------------
@pytest.mark.parametrize("entity,field", [("prospects", "id"), ("prospects", "account_id"),
                                          ("stages", "id"), ("stages", "seq"),
                                          ("stages", "prospect_id"), ("touches", "id"),
                                          ("calls", "seq"), ("accounts", "id"), ("kam", "seq"),
                                          ("roles", "prospect_id")])
@pytest.mark.parametrize("number", [2**63 - 1, 2**53, 0, -1])
def test_ids_and_seqs_past_the_limit_are_bad_rows(cli, tmp_path, book_json, entity, field,
                                                  number):
    book_json[entity][0][field] = number
    _bad_rows(cli, _write(tmp_path, book_json),
              f"{field} {number} is out of range (1 to 9,007,199,254,740,991)")


def _at_the_limit(book_json: dict) -> dict:
    for entity in ("prospects", "touches", "calls", "stages", "qualifications", "accounts",
                   "kam"):
        for record in book_json[entity]:
            record["id"] = MAX_ID - record["id"] + 1
    for entity in ("touches", "calls", "stages", "qualifications", "roles"):
        for record in book_json[entity]:
            record["prospect_id"] = MAX_ID
    book_json["prospects"][0]["account_id"] = MAX_ID
    for record in book_json["kam"]:
        record["account_id"], record["seq"] = MAX_ID, MAX_ID - record["seq"]
    for record in book_json.get("deals", []):
        record["id"], record["account_id"] = MAX_ID - record["id"] + 1, MAX_ID
        record["people_ids"] = str(MAX_ID)
    for record in book_json.get("deal_changes", []):
        record["id"], record["deal_id"] = MAX_ID - record["id"] + 1, MAX_ID - record["deal_id"] + 1
    return book_json


def test_ids_at_the_limit_are_kept_and_later_imports_still_number_theirs(cli, tmp_path,
                                                                         book_json):
    cli("import", str(_write(tmp_path, _at_the_limit(book_json))))
    assert cli.sql("SELECT id FROM prospect") == [(MAX_ID,)]
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("Name,Company\nTrần Thị Bình,Hòa Bình\nLê Văn Cường,Minh Phát\n",
                        encoding="utf-8")
    cli("import", str(contacts))
    other = tmp_path / "other.db"
    cli("--db", str(other), "add", "Someone Else", "--company", "Elsewhere")
    cli("--db", str(other), "export", "all", "-f", "json", "-o", str(tmp_path / "other.json"))
    cli("import", str(tmp_path / "other.json"))
    people = dict(cli.sql("SELECT name, id FROM prospect"))
    assert people.pop("Nguyễn Văn An") == MAX_ID and len(people) == 3
    assert max(people.values()) < MAX_ID  # numbered from 1 up, not past the limit
    cli("add", "Ngô Thị Lan", "--company", "An Khang")  # SQLite numbers this one: 2**53
    contacts.write_text("Name\nPhạm Minh Dũng\n", encoding="utf-8")
    cli("import", str(contacts))
    assert cli.one("SELECT id FROM prospect WHERE name = 'Phạm Minh Dũng'") < MAX_ID
    assert dict(cli.sql("SELECT p.name, a.name FROM prospect p JOIN account a "
                        "ON a.id = p.account_id"))["Lê Văn Cường"] == "Minh Phát"


def test_a_book_an_older_relcrm_gave_an_id_of_2_63_still_imports(cli, tmp_path, book_json):
    """The old importer took 2**63 - 1; every later import then failed on max(id) + 1."""
    cli.add("Nguyễn Văn An", "--company", "Minh Phát")
    cli("log", "an", "note", "met")
    con = sqlite3.connect(cli.path)
    huge = 2**63 - 1
    with con:
        con.execute("PRAGMA foreign_keys = OFF")
        for sql in ("UPDATE prospect SET id = :n, account_id = :n",
                    "UPDATE stage_change SET id = :n, prospect_id = :n",
                    "UPDATE touch SET id = :n, prospect_id = :n", "UPDATE account SET id = :n"):
            con.execute(sql, {"n": huge})
    con.close()
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("Name,Company\nTrần Thị Bình,Hòa Bình\n", encoding="utf-8")
    assert "Imported 1 new prospect" in cli("import", str(contacts)).out
    book_json["prospects"][0]["name"] = "Someone Else"
    book_json["prospects"][0]["email"] = "else@example.com"
    for entity in ("touches", "calls", "stages", "qualifications", "roles"):
        for record in book_json[entity]:
            record["prospect"] = "Someone Else"
    out = cli("import", str(_write(tmp_path, book_json))).out
    assert "Imported 1 new prospect" in out and "2 touches" in out
    assert sorted(cli.sql("SELECT id FROM prospect")) == [(1,), (2,), (huge,)]


def test_a_history_id_twice_in_a_file_is_a_bad_row_not_a_database_error(cli, tmp_path,
                                                                         book_json):
    for entity in ("stages", "qualifications", "kam"):
        document = json.loads(json.dumps(book_json))
        document[entity].append(dict(document[entity][0]))
        errors = _bad_rows(cli, _write(tmp_path, document), "id 1 appears twice in the file")
        assert [e["entity"] for e in errors] == [entity]


# -- 4. every field's type -----------------------------------------------------------------------
@pytest.mark.parametrize("entity,field,value,reason", [
    ("prospects", "name", ["a", "b"], "name must be text, not a list"),
    ("prospects", "company", {"x": 1}, "company must be text, not an object"),
    ("prospects", "email", True, "email must be text, not true/false"),
    ("prospects", "phone", 84901234567, "phone must be text, not a number"),
    ("prospects", "note", ["x"], "note must be text, not a list"),
    ("prospects", "next_step", 5, "next_step must be text, not a number"),
    # a list field: text, or an array of texts (relcrm's typed JSON)
    ("prospects", "tags", ["a", 5], "tags must be text, not a number"),
    ("prospects", "roles", [["decider"]], "roles must be text, not a list"),
    ("prospects", "emails", [{"a": 1}], "emails must be text, not an object"),
    ("prospects", "value", True, "value must be a number, not true/false"),
    ("prospects", "value", [1], "value must be a number, not a list"),
    ("prospects", "value", "1" * 5000, "value '111111"),
    ("prospects", "stage", [], "stage must be text (one of attract"),
    ("prospects", "need", 1, "need must be text (one of"),
    ("prospects", "created_at", 20261125, "created_at must be text (an ISO date or time)"),
    ("prospects", "stage_since", [], "stage_since must be text (an ISO date or time)"),
    ("prospects", "next_at", "2026-W49-9", "next_at '2026-W49-9' is not an ISO date or time"),
    ("prospects", "id", True, "id must be a whole number, not true/false"),
    ("prospects", "id", "1_000", "id '1_000' is not a whole number"),
    ("prospects", "id", "٣", "id '٣' is not a whole number"),
    ("prospects", "account_id", [1], "account_id must be a whole number, not a list"),
    ("stages", "reason", 5, "reason must be text, not a number"),
    ("stages", "seq", "x", "seq 'x' is not a whole number"),
    ("calls", "situation", ["a", ["b"]], "situation must be text, not a list"),
    ("touches", "minutes", True, "minutes must be a whole number, not true/false"),
    ("touches", "amount", {"v": 1}, "amount must be a number, not an object"),
    ("touches", "kind", ["email"], "kind must be text (one of call"),
    ("accounts", "key", 2, "key 2 is not 1/0 or true/false"),
    ("accounts", "key", 1.0, "key 1.0 is not 1/0 or true/false"),
    ("accounts", "key", [], "key must be true/false or 1/0, not a list"),
    ("accounts", "criteria", [True], "criteria must be text, not true/false"),
    ("accounts", "buy_class", {"a": 1}, "buy_class must be text, not an object"),
    ("kam", "to_stage", ["mid"], "to_stage must be text (one of pre"),
    ("kam", "account", 7, "account must be text, not a number"),
    ("roles", "role", {"a": 1}, "role must be text (one of"),
    ("stages", "prospect", [1], "prospect must be text, not a list"),
    ("stages", "prospect", "\ud800", "prospect is not valid text (it holds a lone UTF-16"),
])
def test_a_value_of_the_wrong_type_is_a_bad_row(cli, tmp_path, book_json, entity, field, value,
                                                reason):
    record = book_json[entity][0]
    record[field] = value
    if field in ("prospect", "account"):  # read only for a record whose owner is not in the file
        record["prospect_id" if field == "prospect" else "account_id"] = 99
    _bad_rows(cli, _write(tmp_path, book_json), reason)


def test_numbers_and_numeric_strings_and_flags_are_read(cli, tmp_path, book_json):
    for entity in ("deals", "deal_changes"):  # an older export: a person's value is a deal
        book_json.pop(entity, None)
    for record in book_json["prospects"]:
        record.pop("customer", None)
    book_json["prospects"][0].update(id="1", value="1,200.50", currency="usd", account_id=1.0)
    book_json["accounts"][0]["key"] = True
    _email(book_json).update(minutes=" 15 ", amount=300.5, currency="USD")
    cli("import", str(_write(tmp_path, book_json)))
    assert cli.one("SELECT value_milli, value_currency FROM prospect WHERE id = 1") == \
        (1200500, "USD")
    assert cli.one("SELECT amount_milli FROM touch WHERE kind = 'email'") == 300500
    assert cli.one("SELECT minutes FROM touch WHERE kind = 'email'") == 15
    assert cli.one("SELECT is_key FROM account") == 1


@pytest.fixture
def zone(monkeypatch):
    """Set the local time zone for a test (TZ + tzset), and put the old one back after."""
    old = os.environ.get("TZ")

    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield use
    if old is None:
        monkeypatch.delenv("TZ", raising=False)
    else:
        monkeypatch.setenv("TZ", old)
    time.tzset()


@pytest.mark.parametrize("name,created,at", [
    ("Asia/Ho_Chi_Minh", "2026-11-01T10:00:00", "2026-11-20T10:00:00"),
    ("Europe/Berlin", "2026-11-01T04:00:00", "2026-11-20T04:00:00"),
    ("America/New_York", "2026-10-31T23:00:00", "2026-11-19T22:00:00"),
])
def test_times_with_an_offset_or_z_are_stored_as_local_time(cli, tmp_path, book_json, zone,
                                                            name, created, at):
    zone(name)
    book_json["prospects"][0]["created_at"] = "2026-11-01T10:00:00+07:00"
    _email(book_json)["at"] = "2026-11-20T03:00:00Z"
    _email(book_json)["created_at"] = "2026-11-20T03:00:00.750+00:00"
    cli("import", str(_write(tmp_path, book_json)))
    assert cli.one("SELECT created_at FROM prospect") == created
    touch = cli.sql("SELECT at, created_at FROM touch WHERE kind = 'email'")
    assert touch == [(at, at)]


def test_other_iso_spellings_are_stored_as_the_book_writes_them(cli, tmp_path, book_json):
    _email(book_json)["at"] = "2026-11-20 09:30"
    book_json["prospects"][0]["next_at"] = "2026-W49-1"
    book_json["stages"][0]["at"] = "20261120T093000"
    cli("import", str(_write(tmp_path, book_json)))
    assert cli.one("SELECT at FROM touch WHERE kind = 'email'") == "2026-11-20T09:30:00"
    assert cli.one("SELECT next_at FROM prospect") == "2026-11-30"
    assert cli.one("SELECT at FROM stage_change WHERE id = 1") == "2026-11-20T09:30:00"


def _b64(text: str, encoding: str = "utf-8") -> str:
    return base64.b64encode(text.encode(encoding)).decode("ascii")


def test_vcard_values_in_base64_are_decoded(cli, tmp_path):
    card = ("BEGIN:VCARD\r\nVERSION:3.0\r\n"
            f"FN;ENCODING=b:{_b64('Nguyễn Văn An')}\r\n"
            f"ORG;ENCODING=b;CHARSET=UTF-8:{_b64('Minh Phát')}\r\n"
            f"NOTE;ENCODING=b:{_b64('line one' + chr(13) + chr(10) + 'line two')}\r\n"
            f"CATEGORIES;ENCODING=B:{_b64('khách')}\r\n"
            f"TITLE;ENCODING=b;CHARSET=ISO-8859-1:{_b64('Président', 'latin-1')}\r\n"
            "END:VCARD\r\n"
            "BEGIN:VCARD\r\nVERSION:2.1\r\n"
            "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Tr=E1=BA=A7n Th=E1=BB=8B B=C3=ACnh\r\n"
            "END:VCARD\r\n")
    path = _write(tmp_path, card, "cards.vcf")
    cli("import", str(path))
    rows = cli.sql("SELECT name, company, note, title FROM prospect ORDER BY id")
    assert rows == [("Nguyễn Văn An", "Minh Phát", "line one\nline two", "Président"),
                    ("Trần Thị Bình", None, None, None)]
    assert cli.sql("SELECT name FROM tag") == [("khách",)]


def test_a_vcard_value_that_is_binary_is_a_bad_row(cli, tmp_path):
    _book(cli)
    photo = base64.b64encode(bytes([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10])).decode()
    card = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Trần Thị Bình\r\nEND:VCARD\r\n"
            f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN;ENCODING=b:{photo}\r\nEND:VCARD\r\n"
            f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Lê Văn Cường\r\nORG;ENCODING=b:%%%\r\n"
            "END:VCARD\r\n")
    errors = _bad_rows(cli, _write(tmp_path, card, "cards.vcf"),
                       "FN is binary (ENCODING=b), not text in utf-8",
                       "ORG says ENCODING=b but is not base64")
    assert [e["line"] for e in errors] == [5, 9]


# -- 5. round trips ------------------------------------------------------------------------------


def test_line_and_paragraph_separators_survive_every_export(cli, tmp_path):
    """JSON lines and CSV are split into lines at \\n (and CR) only: U+2028 is text."""
    cli.add("Nguyễn Văn An", "--company", "Minh\u2028Phát", "--note", "one\u2028two\u2029three")
    cli("log", "an", "note", "x\u2028y", "--at", "2026-11-20")
    cli.add("Trần Thị Bình", "--note", "four\u2029five\nsix")
    for kind in ("json", "jsonl", "csv", "tsv"):
        target = tmp_path / f"book-{kind}"
        cli("export", "all", "-f", kind, "-o", str(target))
        empty = tmp_path / f"{kind}.db"
        cli("--db", str(empty), "import", str(target))
        assert (cli("--db", str(empty), "export", "all", "-f", "jsonl").out
                == cli("export", "all", "-f", "jsonl").out)
    for kind in ("csv", "tsv", "json", "jsonl"):
        target = tmp_path / f"prospects.{kind}"
        cli("export", "prospects", "-f", kind, "-o", str(target))
        empty = tmp_path / f"p-{kind}.db"
        cli("--db", str(empty), "import", str(target))
        assert cli.sql("SELECT note FROM prospect ORDER BY id") == [
            ("one\u2028two\u2029three",), ("four\u2029five\nsix",)]


def test_a_line_separator_in_a_csv_header_stays_in_one_error_line(cli, tmp_path):
    """Header cells now keep U+2028 (lines are split at \\n and CR only); quoted in an error,
    it is escaped so the message stays one line."""
    _book(cli)
    path = _write(tmp_path, "Tên\u2028KH,Email\nAn,an@x.vn\n", "leads.csv")
    cli.fails(2, "import", str(path), match="its columns are: Tên\\u2028KH, Email")


def test_a_vcard_with_a_line_separator_in_a_note_names_the_right_lines(cli, tmp_path):
    cards = ("BEGIN:VCARD\nVERSION:3.0\nFN:An\nNOTE:one\u2028two\u2029three\nEND:VCARD\n"
             "BEGIN:VCARD\nVERSION:3.0\nNOTE:no name\nEND:VCARD\n")
    errors = _bad_rows(cli, _write(tmp_path, cards, "cards.vcf"), "card has no FN")
    assert [e["line"] for e in errors] == [6]


def test_a_csv_cell_longer_than_the_csv_modules_default_limit_round_trips(cli, tmp_path):
    """A call's situation notes (each up to 20,000 characters) are one cell of calls.csv."""
    cli.add("Nguyễn Văn An", "--company", "Minh Phát")
    notes = [f"{n}" + "x" * 19_999 for n in range(7)]
    cli("call", "an", "-o", "continuation", *[a for n in notes for a in ("--situation", n)])
    for kind in ("csv", "tsv"):
        folder = tmp_path / kind
        cli("export", "all", "-f", kind, "-o", str(folder))
        assert max(len(c) for c in (folder / f"calls.{kind}").read_text().split(",")) > 131_072
        empty = tmp_path / f"{kind}.db"
        cli("--db", str(empty), "import", str(folder))
        assert (cli("--db", str(empty), "export", "calls").out == cli("export", "calls").out)


def test_a_cell_too_long_for_its_field_is_a_clean_bad_row(cli, tmp_path):
    _book(cli)
    path = tmp_path / "contacts.csv"
    path.write_text("Name,Note\nTrần Thị Bình," + "x" * 200_000 + "\n", encoding="utf-8")
    errors = _bad_rows(cli, path, "note is too long (200000 characters; at most 20000)")
    assert [e["line"] for e in errors] == [2]


def test_a_merge_whose_notes_would_pass_the_limit_is_refused(cli, tmp_path):
    cli.add("Nguyễn Văn An", "--company", "Minh Phát")
    cli.add("Trần Thị Bình", "--company", "Minh Phat JSC")
    cli("account", "edit", "1", "--note", "a" * 12_000)
    cli("account", "edit", "2", "--note", "b" * 8_000)
    cli.fails(2, "account", "merge", "2", "1", match=(
        "cannot merge: the notes of #2 Minh Phat JSC (8,000 characters) and #1 Minh Phát "
        "(12,000) would make one of 20,001 characters, more than a note holds (20,000); "
        "shorten one first with `relcrm account edit 2 --note TEXT`"))
    cli("account", "edit", "2", "--note", "b" * 7_999)
    cli("account", "merge", "2", "1")
    assert len(cli.one("SELECT note FROM account")) == 20_000
    cli("export", "all", "-f", "json", "-o", str(tmp_path / "book.json"))
    cli("--db", str(tmp_path / "empty.db"), "import", str(tmp_path / "book.json"))


# -- 6. concurrent imports -----------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("new_book", [False, True])
def test_four_imports_at_once_into_one_book_all_succeed(tmp_path, new_book):
    """Each import plans its ids and duplicates inside its own write transaction."""
    from test_entrypoint import _relcrm

    book = tmp_path / "book.db"
    env = {**os.environ, "RELCRM_TODAY": "2026-11-25", "RELCRM_DB": str(book)}
    if not new_book:
        subprocess.run([*_relcrm(), "add", "Nguyễn Văn An", "--company", "Company 0"], env=env,
                       check=True, capture_output=True)
    files = []
    for n in range(4):
        path = tmp_path / f"contacts-{n}.csv"
        rows = [f"Person {n}-{i},person{n}.{i}@example.com,Company {i % 7}" for i in range(300)]
        path.write_text("Name,Email,Company\n" + "\n".join(rows) + "\n", encoding="utf-8")
        files.append(path)
    runs = [subprocess.Popen([*_relcrm(), "import", str(path)], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for path in files]
    results = [(run.wait(timeout=120), *run.communicate()) for run in runs]
    for code, out, err in results:
        assert code == 0 and err == "", err
        assert out.startswith("Imported 300 new prospects from contacts-"), out
    con = sqlite3.connect(book)
    try:
        names = {name for (name,) in con.execute("SELECT name FROM prospect")}
        accounts = con.execute("SELECT count(*), count(DISTINCT name_key) FROM account").fetchone()
    finally:
        con.close()
    assert {f"Person {n}-{i}" for n in range(4) for i in range(300)} <= names
    assert len(names) == 1200 + (0 if new_book else 1) and accounts == (7, 7)


# -- round-trip siblings the property test found -------------------------------------------------
def test_a_json_lines_export_of_one_record_imports(cli, tmp_path):
    """One line of JSON lines is also one JSON document: it was refused as "not a book"."""
    cli.add("Nguyễn Văn An", "--company", "Minh Phát")
    cli("export", "prospects", "-f", "jsonl", "-o", str(tmp_path / "prospects.jsonl"))
    out = cli("--db", str(tmp_path / "copy.db"), "import", str(tmp_path / "prospects.jsonl")).out
    assert out.startswith("Imported 1 new prospect from prospects.jsonl (relcrm)")


def test_an_empty_json_lines_export_imports_nothing(cli, tmp_path):
    """An entity without records exports as an empty JSON-lines file."""
    _book(cli)
    cli("export", "touches", "-f", "jsonl", "-o", str(tmp_path / "touches.jsonl"))
    assert (tmp_path / "touches.jsonl").read_bytes() == b""
    before = cli.dump()
    out = cli("import", str(tmp_path / "touches.jsonl")).out
    assert out == "Imported 0 new prospects from touches.jsonl (relcrm).\n"
    assert cli.dump() == before
    other = tmp_path / "new.db"
    cli("--db", str(other), "import", str(tmp_path / "touches.jsonl"))
    assert not other.exists(), "nothing to write: no book is made"
    (tmp_path / "empty.csv").write_bytes(b"")
    cli.fails(2, "import", str(tmp_path / "empty.csv"), match="empty.csv is empty")


def test_spin_notes_with_blank_and_indented_lines_round_trip(cli, tmp_path):
    """The export joins a call's notes with newlines; import split them at every newline and
    dropped the blank lines."""
    cli.add("Nguyễn Văn An", "--company", "Minh Phát")
    cli("call", "an", "-o", "continuation", "--situation", "two plants\n\nthree shifts",
        "--situation", "- line 1\n  - indented", "--problem", "a\n \nb")
    for kind in ("json", "csv"):
        target = tmp_path / f"all-{kind}"
        cli("export", "all", "-f", kind, "-o", str(target))
        copy = tmp_path / f"{kind}.db"
        cli("--db", str(copy), "import", str(target))
        assert (cli("--db", str(copy), "export", "calls").out == cli("export", "calls").out)
        assert cli.sql("SELECT text FROM call_note ORDER BY kind, position") == [
            ("a\n \nb",), ("two plants\n\nthree shifts",), ("- line 1\n  - indented",)]


def test_calls_at_one_moment_keep_their_own_notes_when_imported_one_by_one(cli, tmp_path):
    cli.add("Nguyễn Văn An", "--company", "Minh Phát")
    for text in ("first", "second"):
        cli("call", "an", "-o", "continuation", "--at", "2026-11-20 10:00", "--situation", text)
    copy = tmp_path / "copy.db"
    for entity in ("prospects", "touches", "calls"):
        cli("export", entity, "-o", str(tmp_path / f"{entity}.csv"))
        cli("--db", str(copy), "import", str(tmp_path / f"{entity}.csv"))
    assert cli("--db", str(copy), "export", "calls").out == cli("export", "calls").out


def test_a_prospects_file_alone_keeps_its_account_ids_in_an_empty_book(cli, tmp_path):
    cli.add("Nguyễn Văn An", "--company", "Minh Phát")
    cli("account", "add", "Acme")
    cli("edit", "an", "--company", "Acme")  # An's account is #2; #1 has nobody
    cli("export", "prospects", "-f", "json", "-o", str(tmp_path / "prospects.json"))
    copy = tmp_path / "copy.db"
    cli("--db", str(copy), "import", str(tmp_path / "prospects.json"))
    assert (cli("--db", str(copy), "export", "prospects").out == cli("export", "prospects").out)


# -- any value in any field of a relcrm book -----------------------------------------------------
def _json_values():
    from hypothesis import strategies as st

    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(-2**70, 2**70),
        st.sampled_from([0, 1, -1, MAX_ID, MAX_ID + 1, 2**63 - 1, 2**63, 10**400]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20),
        st.sampled_from(["", " ", "1", "1.5", "1e400", "NaN", "yes", "call", "order", "attract",
                         "pre", "decider", "price", "2026-11-20", "2026-11-20T10:00:00+14:00",
                         "2026-11-20T10:00Z", "1899-12-31T23:00:00-02:00", "2999-12-31T23:00Z",
                         "0001-01-01T00:00+01:00", "9999-12-31T23:59:59-01:00", "\ud800",
                         "x" * 20_001, "a,b", "٣", "1_000", " 7 ", "-0", "true"]))
    nested = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                          max_leaves=4)
    return st.one_of(scalars, scalars, scalars, nested)


# Columns import does not read (derived ones), or reads only for history whose prospect or
# account is not in the file.
UNREAD = {"prospects": ("qualification", "continuations", "last_touch_at", "due_on",
                        "customer"),
          "touches": ("prospect",), "calls": ("prospect",), "stages": ("prospect",),
          "qualifications": ("prospect",), "roles": ("prospect", "account_id"),
          "kam": ("account",), "steps": ("prospect", "account"), "deals": ("account",),
          "dates": ("prospect", "account"), "facts": ("prospect",), "aliases": ("prospect",)}


def _fuzz_book(cli, tmp_path, book_json, examples: int) -> None:
    """Whatever import does with a value, it ends in exit 0 or 2 with no traceback, a refused
    file leaves no book, and an accepted one exports and imports back identically."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from relcrm.queries import EXPORTS

    change = st.sampled_from(sorted(EXPORTS)).flatmap(lambda entity: st.tuples(
        st.just(entity), st.integers(0, 3), st.sampled_from(EXPORTS[entity].columns),
        _json_values()))
    count = iter(range(10**6))

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(st.lists(change, min_size=1, max_size=4), st.booleans())
    def attack(changes, lines):
        document = json.loads(json.dumps(book_json))
        applied = []
        for entity, index, column, value in changes:
            records = document[entity]
            if records:
                records[index % len(records)][column] = value
                applied.append((entity, index, column, value))
        changes = applied
        folder = tmp_path / f"fuzz{next(count)}"
        folder.mkdir()
        if lines:
            path = folder / "book.jsonl"
            path.write_text("".join(json.dumps({"entity": e, **r}) + "\n"
                                    for e in EXPORTS for r in document[e]), encoding="utf-8")
        else:
            path = _write(folder, document)
        book = folder / "book.db"
        result = cli.run("--db", str(book), "import", str(path))
        assert result.code in (0, 2), result.err
        assert "Traceback" not in result.err + result.out
        if any(isinstance(value, (list, dict)) and column not in UNREAD.get(entity, ())
               for entity, _, column, value in changes):
            assert result.code == 2, f"a list or object was imported: {changes}"
        if result.code:
            assert result.err.splitlines()[-1].startswith("relcrm: error: ")
            assert not book.exists()
            return
        first = cli("--db", str(book), "export", "all", "-f", "json").out
        (folder / "again.json").write_text(first, encoding="utf-8")
        cli("--db", str(folder / "copy.db"), "import", str(folder / "again.json"))
        assert cli("--db", str(folder / "copy.db"), "export", "all", "-f", "json").out == first

    attack()


@pytest.mark.slow  # about 4 s: the full run (CI) has it
def test_any_value_in_any_field_of_a_book_is_read_or_refused_cleanly(cli, tmp_path,
                                                                     full_book_json):
    _fuzz_book(cli, tmp_path, full_book_json, 40)


@pytest.mark.slow
def test_many_values_in_the_fields_of_a_book(cli, tmp_path, full_book_json):
    _fuzz_book(cli, tmp_path, full_book_json, 600)
