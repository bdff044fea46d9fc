"""import: every format, duplicates, bad input, encodings, one transaction."""

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def fx(name: str) -> str:
    return str(FIXTURES / name)


def snapshot(cli) -> dict[str, bytes]:
    """The book's files, byte for byte."""
    return {p.name: p.read_bytes() for p in cli.path.parent.glob(cli.path.name + "*")}


def people(cli) -> dict[str, dict]:
    return {r["name"]: r for r in json.loads(cli("list", "-f", "json", "--all", "-l", "0").out)}


def test_linkedin_connections_with_notes_above_the_header(cli):
    out = cli("import", fx("linkedin_connections.csv")).out
    assert out == ("Imported 3 new prospects from linkedin_connections.csv (linkedin); first "
                   "contact planned for Wed 2026-11-25.\n")
    book = people(cli)
    an = book["Nguyễn Văn An"]  # family name first for a Vietnamese name
    assert (an["company"], an["title"], an["email"], an["url"], an["source"]) == (
        "Minh Phát", "Purchasing Manager", "an.nguyen@minhphat.vn",
        "https://www.linkedin.com/in/nguyen-van-an", "LinkedIn")
    assert an["note"] == "LinkedIn connection since 14 Mar 2019"
    assert book["Sarah Collins"]["title"] == "Regional Buyer, APAC"
    assert "Trần Thị Bình" in book and an["stage"] == "attract"
    assert cli.sql("SELECT reason FROM stage_change WHERE prospect_id = 1") == [
        ("imported from linkedin_connections.csv",)]


@pytest.mark.parametrize("fixture", ["google_contacts.csv", "google_contacts_legacy.csv"])
def test_google_contacts_both_layouts(cli, fixture):
    cli("import", fx(fixture))
    book = people(cli)
    if fixture == "google_contacts.csv":
        an = book["Nguyễn Văn An"]
        assert an["email"] == "an.nguyen@minhphat.vn"  # the first of "a ::: b"
        assert an["phone"] == "+84 90 123 4567" and an["url"] == "https://minhphat.vn"
        assert an["note"] == "Met at the Saigon packaging fair.\nPrefers Zalo."
        assert an["tags"] == ["clients", "hcm"] and an["source"] == "Google Contacts"
        assert book["Đặng Quốc Phong"]["title"] == "Procurement Lead"
    else:
        cuong = book["Lê Hoàng Cường"]
        assert (cuong["company"], cuong["title"], cuong["tags"]) == (
            "Cường Phát Furniture", "Owner", ["prospects"])


def test_vcards_3_and_4_folded_and_utf8(cli):
    cli("import", fx("contacts.vcf"))
    book = people(cli)
    an = book["Nguyễn Văn An"]
    assert an["note"] == ("Met at the Saigon packaging fair, booth 12.\nPrefers Zalo to email "
                          "and a very long note that continues on a folded line.")
    assert (an["company"], an["phone"], an["tags"], an["source"]) == (
        "Minh Phát", "+84-90-123-4567", ["clients", "hcm"], "vCard")
    assert book["Trần Thị Bình"]["phone"] == "0903 111 222"
    assert book["Bob Smith"]["email"] == "bob@acme.example"


def test_any_csv_with_recognised_headers(cli):
    cli("import", fx("generic.csv"), "--tag", "Q4 list")
    dung = people(cli)["Phạm Minh Dũng"]
    assert (dung["email"], dung["company"], dung["title"], dung["phone"], dung["value"]) == (
        "dung.pham@saigontech.vn", "Sài Gòn Tech", "IT Director", "0901 234 567", 800000000)
    assert dung["tags"] == ["hcm", "key", "q4-list"] and dung["source"] == "generic.csv"
    assert dung["note"] == "Signs off up to 1 billion"


def test_vietnamese_headers_and_semicolons(cli):
    cli("import", fx("vietnamese_semicolon.csv"))
    lan = people(cli)["Ngô Thị Lan"]
    assert (lan["company"], lan["phone"], lan["note"]) == ("Minh Phát", "0988 777 666",
                                                           "bạn của chị An")


def test_map_names_the_columns(cli):
    cli.fails(2, "import", fx("needs_map.csv"), match="has no name column (its columns are: "
              "Customer, Mail, Firm); say which one it is with --map COLUMN=name")
    cli("import", fx("needs_map.csv"), "--map", "Customer=name", "--map", "Mail=email",
        "--map", "Firm=company")
    assert people(cli)["Jane Roe"]["company"] == "Roe Ltd"


@pytest.mark.parametrize("args, match", [
    (["--map", "Customer"], "is not COLUMN=FIELD"),
    (["--map", "Customer=shoe size"], "unknown field 'shoe size'"),
    (["--map", "Nope=name"], "names column 'Nope'"),
])
def test_bad_maps(cli, args, match):
    cli.fails(2, "import", fx("needs_map.csv"), *args, match=match)


def test_format_is_detected_and_can_be_forced(cli):
    cli.fails(2, "import", fx("generic.csv"), "--format", "vcard", match="not a valid vCard")
    cli.fails(2, "import", fx("generic.csv"), "--map", "Full Name=name", "--format", "linkedin",
              match="--map is for --format csv")
    cli("import", fx("linkedin_connections.csv"), "--format", "linkedin")


def test_duplicates_are_skipped_and_counted(cli):
    cli.add("Nguyễn Văn An", "--company", "Minh Phát")  # no email: matched by name + company
    cli.add("Someone", "--email", "BOB@acme.example")
    out = cli("import", fx("contacts.vcf")).out
    assert out == ("Imported 1 new prospect from contacts.vcf (vcard); skipped 2 duplicates "
                   "(1 by email, 1 by name and company); first contact planned for Wed "
                   "2026-11-25.\n")
    out = cli("import", fx("contacts.vcf")).out  # a second import changes nothing
    assert "Imported 0 new prospects" in out and "skipped 3 duplicates" in out


def test_duplicates_within_one_file(cli, tmp_path):
    f = tmp_path / "dups.csv"
    f.write_text("Name,Email,Company\nAn,an@x.vn,X\nAn Again,AN@X.VN,Y\nBình,,Z\nBÌNH,,z\n"
                 "binh,,z\n", encoding="utf-8")
    result = cli("import", str(f), "--report", "json")
    actions = json.loads(result.out)
    assert [(a["line"], a["action"], a["reason"], a["matched"]) for a in actions] == [
        (2, "add", "", ""), (3, "skip", "duplicate of line 2 (same email)", "email"),
        (4, "add", "", ""),
        (5, "skip", "duplicate of line 4 (same name and company)", "name and company"),
        (6, "add", "", "")]  # Binh is not Bình: accents make another name


def test_on_duplicate_update_fills_in_and_tags(cli):
    cli.add("Bob Smith", "--tag", "old")
    cli.add("Trần Thị Bình", "--company", "Hòa Bình Logistics", "--title", "Accountant")
    out = cli("import", fx("contacts.vcf"), "--on-duplicate", "update", "--tag", "vcf").out
    assert "Imported 1 new prospect" in out and "updated 2" in out
    book = people(cli)
    assert book["Bob Smith"]["email"] == "bob@acme.example"
    assert book["Bob Smith"]["tags"] == ["old", "vcf"]
    assert book["Trần Thị Bình"]["title"] == "CFO" and book["Trần Thị Bình"]["phone"]
    assert len(book) == 3


def test_on_duplicate_error_refuses_the_whole_file(cli):
    cli.add("Bob Smith", "--email", "bob@acme.example")
    before = snapshot(cli)
    result = cli.run("import", fx("contacts.vcf"), "--on-duplicate", "error")
    assert result.code == 2
    assert "contacts.vcf: line 23: duplicate of #1 (same email)" in result.err
    assert result.err.strip().splitlines()[-1] == (
        "relcrm: error: 1 bad row in contacts.vcf; nothing was imported (fix them, or import "
        "the rest with --skip-bad-rows)")
    assert snapshot(cli) == before


def test_bad_rows_are_listed_and_nothing_is_written(cli, tmp_path):
    cli.add("Existing")
    f = tmp_path / "bad.csv"
    f.write_text("Name,Email,Value\nGood One,good@x.vn,10\n,nobody@x.vn,\nBad Mail,bad@,\n"
                 "Bad Value,v@x.vn,lots\nGood Two,two@x.vn,\n", encoding="utf-8")
    before = snapshot(cli)
    result = cli.run("import", str(f))
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert lines[:3] == [
        "bad.csv: line 3: no name",
        "bad.csv: line 4: email 'bad@' is not an address like name@example.com",
        "bad.csv: line 5: value 'lots' has no number; write e.g. 450000000, 450.000.000, "
        "68 triệu, 1,2 tỷ or 5k"]
    assert lines[-1].startswith("relcrm: error: 3 bad rows in bad.csv; nothing was imported")
    assert snapshot(cli) == before
    out = cli("import", str(f), "--skip-bad-rows").out
    assert "Imported 2 new prospects from bad.csv (csv); left out 3 bad rows;" in out
    assert set(people(cli)) == {"Existing", "Good One", "Good Two"}


def test_dry_run_writes_nothing(cli):
    cli.add("Bob Smith", "--email", "bob@acme.example")
    before = snapshot(cli)
    out = cli("import", fx("contacts.vcf"), "--dry-run").out
    assert out == ("Would import 2 new prospects from contacts.vcf (vcard); skipped 1 duplicate "
                   "(1 by email); first contact planned for Wed 2026-11-25. Nothing was "
                   "written (--dry-run).\n")
    assert snapshot(cli) == before
    rows = json.loads(cli("import", fx("contacts.vcf"), "-n", "-r", "json").out)
    assert [r["action"] for r in rows] == ["add", "add", "skip"]
    assert snapshot(cli) == before


def test_next_schedules_first_contact_of_new_prospects(cli):
    cli("import", fx("generic.csv"), "--next", "2026-12-07")
    assert cli.sql("SELECT DISTINCT next_at, due_on FROM prospect") == [
        ("2026-12-07", "2026-12-07")]
    assert json.loads(cli("followups", "-f", "json").out) == []


@pytest.mark.parametrize("fixture, match", [
    ("truncated.csv", "truncated.csv: line 3: not valid CSV (unexpected end of data); the file "
                      "may be truncated"),
    ("truncated_short.csv", "1 bad row in truncated_short.csv"),
    ("no_name.csv", "no_name.csv has no name column"),
    ("no_fn.vcf", "1 bad row in no_fn.vcf"),
    ("garbage.bin", "garbage.bin is not a text file"),
    ("empty.csv", "empty.csv is empty; nothing to import"),
    ("cp1252.csv", "cp1252.csv is not UTF-8 or UTF-16 (byte 0xe9 on line 2); re-save it as "
                   "UTF-8, or give --encoding"),
])
def test_malformed_files_change_nothing(cli, fixture, match):
    cli.add("Existing")
    before = snapshot(cli)
    result = cli.run("import", fx(fixture))
    assert result.code == 2 and "Traceback" not in result.err
    last = result.err.strip().splitlines()[-1]
    assert last.startswith("relcrm: error: ") and match in last, last
    assert snapshot(cli) == before


def test_truncated_rows_name_their_line(cli):
    result = cli.run("import", fx("truncated_short.csv"))
    assert result.err.splitlines()[0] == (
        "truncated_short.csv: line 3: has 2 fields where the header has 3 (is the file "
        "truncated?)")
    result = cli.run("import", fx("no_fn.vcf"))
    assert result.err.splitlines()[0] == "no_fn.vcf: line 6: card has no FN (formatted name)"


@pytest.mark.parametrize("args, code, match", [
    (["import", "/no/such/file.csv"], 2, "no file /no/such/file.csv"),
    (["import", "x", "--on-duplicate", "merge"], 2, "Invalid value for '--on-duplicate'"),
    (["import", "x", "--format", "xlsx"], 2, "Invalid value for '--format'"),
    (["import", "x", "--encoding", "klingon"], 2, "unknown encoding 'klingon'"),
    (["import", "x", "--next", "someday"], 2, "cannot read date"),
])
def test_bad_options(cli, tmp_path, args, code, match):
    (tmp_path / "x").write_text("Name\nA\n", encoding="utf-8")
    args = [str(tmp_path / "x") if a == "x" else a for a in args]
    cli.fails(code, *args, match=match)


def test_encodings(cli):
    cli("import", fx("utf16_excel.txt"))
    cli("import", fx("utf8_bom.csv"))  # the same people: duplicates
    book = people(cli)
    assert set(book) == {"Nguyễn Văn An", "Trần Thị Bình"}
    assert book["Nguyễn Văn An"]["company"] == "Minh Phát"
    cli("import", fx("cp1252.csv"), "--encoding", "cp1252")
    assert people(cli)["José Müller"]["company"] == "Café Crème"
    cli.fails(2, "import", fx("generic.csv"), "--encoding", "utf-16", match="is not valid utf-16")


@pytest.mark.parametrize("rows", [pytest.param(5_000, marks=pytest.mark.slow),
                                  pytest.param(50_000, marks=pytest.mark.slow)])
def test_a_large_linkedin_file_imports_in_one_go(cli, tmp_path, rows):
    f = tmp_path / "Connections.csv"
    lines = ["Notes:", '"LinkedIn notes."', "",
             "First Name,Last Name,URL,Email Address,Company,Position,Connected On"]
    lines += [f"Person{i},Test,https://www.linkedin.com/in/p{i},p{i}@example.com,Co {i % 500},"
              f"Buyer,01 Jan 2024" for i in range(rows)]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("import", str(f), "--per-day", "0")  # all due for first contact at once
    assert result.out == (f"Imported {rows:,} new prospects from Connections.csv (linkedin); "
                          "no first contact planned: all due at once (--per-day 0).\n")
    assert "\x1b" not in result.err  # no progress bar when not on a terminal
    assert cli.one("SELECT count(*) FROM prospect") == rows
    assert cli.one("SELECT count(*) FROM prospect WHERE due_on = '2026-11-25'") == rows
    assert "Imported 0 new prospects" in cli("import", str(f)).out
    # the whole import is one change: one undo takes it back
    assert "it had added 500 accounts, " + f"{rows:,} prospects" in cli("undo").out
    assert cli.one("SELECT count(*) FROM prospect") == 0


@pytest.mark.slow  # about 4 s: the full run (CI) has it
def test_a_progress_bar_on_a_terminal_only(cli, tmp_path):
    import os

    from test_output import _run_in_terminal

    f = tmp_path / "many.csv"
    f.write_text("Name,Email\n" + "".join(f"P{i},p{i}@x.vn\n" for i in range(3000)),
                 encoding="utf-8")
    env = {**os.environ, "RELCRM_DB": str(tmp_path / "tty.db"), "COLUMNS": "100",
           "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    out, code = _run_in_terminal(["import", str(f)], env)
    assert code == 0 and "Importing many.csv" in out and "━" in out
    assert "Imported 3,000 new prospects from many.csv (csv); first contact planned" in out
    piped = cli("import", str(f))
    assert piped.err == "" and "Importing" not in piped.out


def test_a_book_export_imports_onto_itself_with_update(cli, tmp_path):
    """relcrm's own export, imported back into the book it came from with --on-duplicate
    update (every person a duplicate): it failed with an internal error (KeyError:
    'value_milli'), dry run or not, since a book's prospects carry no value of their own."""
    import shutil
    from pathlib import Path

    shutil.copy(Path(__file__).parent / "fixtures" / "books" / "v9.db", cli.path)
    cli.path.chmod(0o600)
    out = tmp_path / "book.json"
    cli("export", "all", "-f", "json", "-o", out)
    assert "would update 12" in cli("import", out, "--on-duplicate", "update", "--dry-run").out
    assert "updated 12" in cli("import", out, "--on-duplicate", "update").out
    assert cli("doctor").out.rstrip().endswith("healthy")
