"""import reads important dates (Google's Birthday and events, vCard's BDAY and ANNIVERSARY, a
CSV's birthday column), names the columns it does not use, and round-trips facts, dates,
occasions, a customer type and a greeting's occasion_id through relcrm's own exports."""

import json
import sqlite3
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ON = lambda when: {"RELCRM_TODAY": when}  # noqa: E731
FORMS = ("write dates as DAY/MONTH/YEAR (14/11/1978), DAY/MONTH (14/11) or YEAR-MONTH-DAY "
         "(1978-11-14)")


def dates(cli, db=None) -> list[tuple]:
    """(person or account, kind, day, month, year, lunar) of every important date, by id."""
    at = ["--db", str(db)] if db else []
    rows = json.loads(cli(*at, "export", "dates", "-f", "json").out)
    return [(r["prospect"] or r["account"], r["kind"], r["day"], r["month"], r["year"],
             r["lunar"]) for r in rows]


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- Google Contacts ---------------------------------------------------------------------------
GOOGLE = (
    "First Name,Last Name,Organization Name,Birthday,E-mail 1 - Label,E-mail 1 - Value,"
    "Event 1 - Type,Event 1 - Value,Event 2 - Type,Event 2 - Value,Photo,Organization Department\n"
    "Văn An,Nguyễn,Minh Phát,1978-11-14,* Work,an@mp.vn,Anniversary,2005-06-01,Ngày cưới,"
    "--10-20,,\n"
    "Sarah,Collins,Acme,--03-08,,sarah@acme.example,,,,,https://photo.example/s.jpg,\n")


def test_google_birthday_and_events_become_dates(cli, tmp_path):
    out = cli("import", write(tmp_path, "contacts.csv", GOOGLE)).out
    assert out == ("Imported 2 new prospects from contacts.csv (google); with 4 important dates; "
                   "first contact planned for Wed 2026-11-25; columns not used: Photo.\n")
    assert dates(cli) == [("Nguyễn Văn An", "birthday", 14, 11, 1978, 0),
                          ("Nguyễn Văn An", "anniversary", 1, 6, 2005, 0),
                          ("Nguyễn Văn An", "ngay-cuoi", 20, 10, None, 0),
                          ("Sarah Collins", "birthday", 8, 3, None, 0)]


def test_google_newer_layout_labels_its_events(cli, tmp_path):
    text = ("First Name,Last Name,E-mail 1 - Value,Event 1 - Label,Event 1 - Value\n"
            "Bob,Smith,bob@acme.example,Founding,1999-01-15\n")
    assert "with 1 important date;" in cli("import", write(tmp_path, "g.csv", text)).out
    assert dates(cli) == [("Bob Smith", "founding", 15, 1, 1999, 0)]


def test_the_book_example_of_google_contacts_uses_every_column_with_a_value(cli):
    out = cli("import", str(EXAMPLES / "google-contacts.csv")).out
    assert "not used" not in out


# -- vCard -------------------------------------------------------------------------------------
VCARDS = """BEGIN:VCARD
VERSION:4.0
FN:Nguyễn Văn An
N:Nguyễn;Văn An;;;
BDAY:--1114
ANNIVERSARY:20050601
END:VCARD
BEGIN:VCARD
VERSION:4.0
FN:Trần Thị Bình
BDAY:--11-14
ADR;TYPE=work:;;1 Lê Lợi;HCMC;;;VN
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Bob Smith
BDAY:1978-11-14
X-ANNIVERSARY:2001-09-09
PHOTO;VALUE=uri:https://photo.example/b.jpg
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Lê Hoa
BDAY;X-APPLE-OMIT-YEAR=1604:1604-02-29
BDAY:19800101
item1.X-ABDATE:2010-05-05
item1.X-ABLabel:_$!<Anniversary>!$_
item2.X-ABDATE:2015-07-07
item2.X-ABLabel:Ngày thành lập
END:VCARD
"""


def test_vcard_dates_with_and_without_year(cli, tmp_path):
    out = cli("import", write(tmp_path, "cards.vcf", VCARDS)).out
    assert out == ("Imported 4 new prospects from cards.vcf (vcard); with 9 important dates; "
                   "first contact planned for Wed 2026-11-25; properties not used: ADR, PHOTO.\n")
    assert dates(cli) == [
        ("Nguyễn Văn An", "birthday", 14, 11, None, 0),
        ("Nguyễn Văn An", "anniversary", 1, 6, 2005, 0),
        ("Trần Thị Bình", "birthday", 14, 11, None, 0),
        ("Bob Smith", "birthday", 14, 11, 1978, 0),
        ("Bob Smith", "anniversary", 9, 9, 2001, 0),
        ("Lê Hoa", "birthday", 29, 2, None, 0),  # Apple's year 1604: no year
        ("Lê Hoa", "birthday", 1, 1, 1980, 0),
        ("Lê Hoa", "anniversary", 5, 5, 2010, 0),
        ("Lê Hoa", "ngay-thanh-lap", 7, 7, 2015, 0)]


def test_a_vcard_with_a_date_that_is_none_is_a_bad_card(cli, tmp_path):
    text = "BEGIN:VCARD\nVERSION:4.0\nFN:X\nBDAY;VALUE=text:circa 1980\nEND:VCARD\n"
    result = cli.run("import", write(tmp_path, "x.vcf", text))
    assert result.code == 2
    assert result.err.splitlines()[0] == f"x.vcf: line 1: BDAY 'circa 1980' is not a date; {FORMS}"


# -- any CSV -----------------------------------------------------------------------------------
@pytest.mark.parametrize("header", ["Birthday", "Birth date", "Date of Birth", "DOB", "D.O.B.",
                                    "Ngày sinh", "NGÀY SINH", "ngay sinh", "Sinh nhật",
                                    "Ngày tháng năm sinh"])
def test_birthday_columns_are_recognised(cli, tmp_path, header):
    out = cli("import", write(tmp_path, "b.csv", f"Name,{header}\nAn,14/11/1978\n")).out
    assert "with 1 important date;" in out and "not used" not in out
    assert dates(cli) == [("An", "birthday", 14, 11, 1978, 0)]


def test_map_names_a_birthday_column(cli, tmp_path):
    path = write(tmp_path, "m.csv", "Name,Khai sinh\nAn,14/11\n")
    assert "columns not used: Khai sinh" in cli("import", path, "-n").out
    cli("import", path, "--map", "Khai sinh=birthday")
    assert dates(cli) == [("An", "birthday", 14, 11, None, 0)]


def test_day_first_unless_the_book_says_month_first(cli, tmp_path):
    text = ("Name,Ngày sinh\nA,03/04/1980\nB,25/12/1980\nC,12/25/1980\nD,4/3\nE,10/3 âm lịch\n"
            "F,1978-11-14\n")
    result = cli("import", write(tmp_path, "d.csv", text))
    assert result.err == ("relcrm: note: read Ngày sinh 03/04/1980 as 3 April 1980, and 2 more "
                          "dates like it (day first; config date_order mdy for month first)\n")
    assert dates(cli) == [("A", "birthday", 3, 4, 1980, 0), ("B", "birthday", 25, 12, 1980, 0),
                          ("C", "birthday", 25, 12, 1980, 0), ("D", "birthday", 4, 3, None, 0),
                          ("E", "birthday", 10, 3, None, 1), ("F", "birthday", 14, 11, 1978, 0)]
    other = tmp_path / "other.db"
    cli("--db", str(other), "config", "date_order", "mdy")
    assert cli("--db", str(other), "import", str(tmp_path / "d.csv")).err == ""  # chosen
    assert dates(cli, other) == [
        ("A", "birthday", 4, 3, 1980, 0), ("B", "birthday", 25, 12, 1980, 0),
        ("C", "birthday", 25, 12, 1980, 0), ("D", "birthday", 3, 4, None, 0),
        ("E", "birthday", 3, 10, None, 1), ("F", "birthday", 14, 11, 1978, 0)]


def test_a_bad_date_is_a_bad_row_never_dropped(cli, tmp_path):
    cli.add("Existing")
    path = write(tmp_path, "bad.csv", "Name,DOB\nGood,14/11/1978\nFeb,31/02/1980\nShort,"
                                      "14/11/78\nWords,some day\nBoth,13/13/1980\n")
    before = cli.dump()
    result = cli.run("import", path)
    assert result.code == 2
    assert result.err.splitlines() == [
        "bad.csv: line 3: DOB '31/02/1980' is not a possible date (February has 29 days in "
        f"1980); {FORMS}",
        f"bad.csv: line 4: DOB '14/11/78' has no year of four digits; {FORMS}",
        f"bad.csv: line 5: DOB 'some day' is not a date; {FORMS}",
        "bad.csv: line 6: DOB '13/13/1980' is not a possible date (there is no month 13; "
        f"months are 1 to 12); {FORMS}",
        "relcrm: error: 4 bad rows in bad.csv; nothing was imported (fix them, or import the "
        "rest with --skip-bad-rows)"]
    assert cli.dump() == before
    cli("config", "date_order", "mdy")
    result = cli.run("import", path)
    assert ("DOB '14/11/78' has no year of four digits; write dates as MONTH/DAY/YEAR "
            "(11/14/1978), MONTH/DAY (11/14) or YEAR-MONTH-DAY (1978-11-14)") in result.err
    out = cli("import", path, "--skip-bad-rows").out
    assert out.startswith("Imported 1 new prospect from bad.csv (csv); left out 4 bad rows; "
                          "with 1 important date;")
    assert dates(cli) == [("Good", "birthday", 14, 11, 1978, 0)]


def test_update_adds_the_dates_a_person_lacks_once(cli, tmp_path):
    cli.add("Nguyễn Văn An", "--email", "an@mp.vn")
    cli("import", write(tmp_path, "one.csv", "Name,Email,Birthday\nNguyễn Văn An,an@mp.vn,"
                                             "14/11\n"), "--on-duplicate", "update")
    text = ("Name,Email,Birthday,Anniversary\nNguyễn Văn An,an@mp.vn,14/11/1978,01/06/2005\n"
            "An Again,AN@MP.VN,14/11,01/06/2005\n")
    path = write(tmp_path, "two.csv", text)
    assert "with" not in cli("import", path).out  # skip: a duplicate's dates are not added
    out = cli("import", path, "--on-duplicate", "update").out
    assert out == ("Imported 0 new prospects from two.csv (csv); updated 2; with 1 important "
                   "date.\n")
    assert dates(cli) == [("Nguyễn Văn An", "birthday", 14, 11, None, 0),
                          ("Nguyễn Văn An", "anniversary", 1, 6, 2005, 0)]
    assert "with" not in cli("import", path, "--on-duplicate", "update").out


# -- columns not used --------------------------------------------------------------------------
def test_the_trade_fair_list_keeps_its_birthdays_and_names_what_it_leaves(cli):
    out = cli("import", str(EXAMPLES / "trade-fair.csv")).out
    assert out == ("Imported 3 new prospects from trade-fair.csv (csv); with 3 important dates; "
                   "first contact planned for Wed 2026-11-25; columns not used: Sở thích, "
                   "Fax.\n")
    assert dates(cli) == [("Ngô Thị Lan", "birthday", 3, 4, 1980, 0),
                          ("Bùi Thanh Hải", "birthday", 25, 12, 1975, 0),
                          ("Đặng Quốc Phong", "birthday", 14, 11, None, 0)]


def test_unused_columns_are_listed_unless_empty_or_skipped(cli, tmp_path):
    text = ("Name,Email,Mobile,Phone,Empty,Fax,,Email,Zalo\n"
            "An,an@x.vn,0901 111 222,0902 333 444,,028 1,x,an2@x.vn,\n")
    path = write(tmp_path, "l.csv", text)
    out = cli("import", path, "-n").out
    assert out.endswith("; columns not used: Email (column 2), Phone, Fax, column 7. Nothing "
                        "was written (--dry-run).\n")
    out = cli("import", path, "--map", "Fax=skip", "--map", "Phone=skip", "-n").out
    assert "; columns not used: Email (column 2), column 7." in out
    result = cli("import", path, "--report", "json")
    assert json.loads(result.out)[0]["action"] == "add"
    assert result.err == "l.csv: columns not used: Email (column 2), Phone, Fax, column 7\n"


def test_linkedin_names_a_column_it_does_not_read(cli, tmp_path):
    text = ("First Name,Last Name,URL,Email Address,Company,Position,Connected On,Phone\n"
            "An,Nguyễn,,an@x.vn,X,Buyer,01 Jan 2024,0901 111 222\n")
    out = cli("import", write(tmp_path, "Connections.csv", text)).out
    assert out.startswith("Imported 1 new prospect from Connections.csv (linkedin)")
    assert out.endswith("; columns not used: Phone.\n")


def test_every_column_of_the_books_examples_is_used(cli):
    for name, maps in (("Connections.csv", []), ("contacts.vcf", []),
                       ("leads.csv", ["--map", "Tên KH=name", "--map", "Đơn vị=company"])):
        assert "not used" not in cli("import", str(EXAMPLES / name), *maps).out


# -- relcrm's own exports ----------------------------------------------------------------------
NEW_COLUMNS = {
    "facts": "id,prospect_id,prospect,about,text,at,created_at",
    "dates": "id,prospect_id,prospect,account_id,account,kind,month,day,year,lunar,note,"
             "created_at",
    "occasions": "id,key,name,month,day,lunar,gifts",
}


@pytest.mark.parametrize("entity", list(NEW_COLUMNS))
def test_the_new_exports_have_stable_columns(cli, entity):
    assert cli("export", entity).lines[0] == NEW_COLUMNS[entity]


def test_exports_gain_type_and_occasion_id_at_the_end(cli):
    assert cli("export", "prospects").lines[0].endswith(",phones,customer,type,note_at,revisit_on")
    assert cli("export", "touches").lines[0].endswith(",currency,deal_id,occasion_id")
    assert cli("export", "calls").lines[0].endswith(",currency,deal_id,occasion_id")


def _sql(path: Path, script: str) -> None:
    con = sqlite3.connect(path)
    try:
        con.executescript(script)
    finally:
        con.close()


@pytest.fixture
def cared(cli):
    """A book with care records: dates (solar with a year, lunar, year-less, an account's),
    facts, a customer type, a greeting that marks a date, and occasions of its own."""
    cli.add("Nguyễn Văn An", "--company", "Minh Phát", "--email", "an@mp.vn",
            env=ON("2026-10-01T09:00"))
    cli.add("Trần Thị Bình", "--company", "Hòa Bình", env=ON("2026-10-02T09:00"))
    cli("edit", "an", "--type", "bargainer", env=ON("2026-10-03T09:00"))
    # `relcrm date add` and `relcrm fact` are not there yet (edit --type and log --occasion
    # are): dates, facts and occasions go in by SQL
    _sql(cli.path, """
        INSERT INTO important_date (prospect_id, account_id, kind, month, day, year, lunar,
                                    note, created_at) VALUES
            (1, NULL, 'birthday', 11, 14, 1978, 0, NULL, '2026-10-04T09:00:00'),
            (1, NULL, 'giỗ', 3, 10, NULL, 1, 'giỗ bố, "quoted"', '2026-10-04T09:01:00'),
            (2, NULL, 'anniversary', 2, 29, NULL, 0, NULL, '2026-10-04T09:02:00'),
            (NULL, 1, 'founding', 6, 1, 2005, 0, NULL, '2026-10-04T09:03:00');
        INSERT INTO fact (prospect_id, about, text, at, created_at) VALUES
            (1, 'family', 'two children
    the elder at university', '2026-10-05T09:00:00', '2026-10-05T09:00:00'),
            (2, 'interests', 'golf, "weekends"', '2026-10-06T09:00:00', '2026-10-06T09:00:00');
        INSERT INTO occasion (key, name, month, day, lunar, gifts) VALUES
            ('quoc-khanh', 'Quốc khánh 2/9', 9, 2, 0, 0);
        UPDATE occasion SET gifts = 1 WHERE key = '20-11';
    """)
    cli("log", "an", "gift", "hoa sinh nhật", "--occasion", "1", env=ON("2026-11-13T10:00"))
    return cli


def _export_all(cli, db: Path, kind: str, target: Path):
    cli("--db", str(db), "export", "all", "-f", kind, "-o", str(target))
    if target.is_dir():
        return {p.name: p.read_bytes() for p in sorted(target.iterdir())}
    return target.read_bytes()


@pytest.mark.parametrize("kind", ["json", "jsonl", "csv", "tsv"])
def test_care_records_round_trip(cared, tmp_path, kind):
    first = _export_all(cared, cared.path, kind, tmp_path / f"first.{kind}")
    if kind == "csv":
        assert {"facts.csv", "dates.csv", "occasions.csv"} <= set(first)
    empty = tmp_path / "empty.db"
    out = cared("--db", str(empty), "import", str(tmp_path / f"first.{kind}")).out
    assert out.startswith(f"Imported 2 new prospects from first.{kind} (relcrm); with 1 touch,")
    assert out.endswith("2 facts, 1 occasion, 4 important dates; updated 1 occasion.\n")
    assert _export_all(cared, empty, kind, tmp_path / f"second.{kind}") == first
    con = sqlite3.connect(empty)
    try:
        assert con.execute("SELECT kind, occasion_id FROM touch").fetchall() == [("gift", 1)]
    finally:
        con.close()
    for args in (["show", "an", "-f", "json"], ["list", "-f", "csv", "--all"]):
        assert cared("--db", str(empty), *args).out == cared(*args).out


def test_care_records_follow_their_people_into_a_book_with_people(cared, tmp_path):
    bundle = tmp_path / "book.json"
    cared("export", "all", "-f", "json", "-o", str(bundle))
    other = tmp_path / "other.db"
    cared("--db", str(other), "add", "Someone Else", "--company", "Elsewhere")
    _sql(other, "INSERT INTO important_date (prospect_id, kind, month, day, lunar, created_at) "
                "VALUES (1, 'birthday', 1, 1, 0, '2026-01-01T00:00:00');"
                "UPDATE occasion SET name = 'Tết' WHERE key = 'tet';")
    out = cared("--db", str(other), "import", str(bundle)).out
    assert "2 facts, 1 occasion, 4 important dates; updated 2 occasions." in out
    assert dates(cared, other) == [("Someone Else", "birthday", 1, 1, None, 0),
                                   ("Nguyễn Văn An", "birthday", 14, 11, 1978, 0),
                                   ("Nguyễn Văn An", "giỗ", 10, 3, None, 1),
                                   ("Trần Thị Bình", "anniversary", 29, 2, None, 0),
                                   ("Minh Phát", "founding", 1, 6, 2005, 0)]
    con = sqlite3.connect(other)
    try:
        an = con.execute("SELECT id, type FROM prospect WHERE name = 'Nguyễn Văn An'").fetchone()
        greeted = con.execute("SELECT d.prospect_id, d.kind FROM touch t JOIN important_date d "
                              "ON d.id = t.occasion_id").fetchall()
        facts = con.execute("SELECT prospect_id, about FROM fact ORDER BY id").fetchall()
        tet = con.execute("SELECT name FROM occasion WHERE key = 'tet'").fetchone()[0]
    finally:
        con.close()
    assert an == (2, "bargainer") and greeted == [(2, "birthday")]
    assert facts == [(2, "family"), (3, "interests")]
    assert tet == "Tết Nguyên Đán"  # the file's occasion of the same key wins
    again = cared("--db", str(other), "import", str(bundle)).out
    assert "important date" not in again and "fact" not in again and "occasion" not in again


def test_entity_files_one_by_one_keep_the_greeting(cared, tmp_path):
    other = tmp_path / "other.db"
    for entity in ("prospects", "dates", "facts", "occasions", "touches"):
        path = tmp_path / f"{entity}.csv"
        cared("export", entity, "-o", str(path))
        cared("--db", str(other), "import", str(path))
    for entity in ("dates", "facts", "occasions", "touches"):
        assert cared("--db", str(other), "export", entity).out == cared("export", entity).out


def test_a_bad_date_record_names_its_entity_and_line(cared, tmp_path):
    path = tmp_path / "dates.csv"
    cared("export", "dates", "-o", str(path))
    text = path.read_text(encoding="utf-8").replace(",2,29,", ",2,30,")
    path.write_text(text, encoding="utf-8")
    other = tmp_path / "other.db"
    cared("export", "prospects", "-o", str(tmp_path / "p.csv"))
    cared("--db", str(other), "import", str(tmp_path / "p.csv"))
    result = cared.run("--db", str(other), "import", str(path))
    assert result.code == 2
    assert result.err.splitlines()[0] == (
        "dates.csv: dates line 4: date '30/2': February has 29 days")


def test_occasions_of_a_file_merge_by_key(cli, tmp_path):
    path = tmp_path / "occasions.json"
    path.write_text(json.dumps([
        {"id": 1, "key": "tet", "name": "Tết", "month": 1, "day": 1, "lunar": 1, "gifts": 0},
        {"id": 9, "key": "valentine", "name": "Valentine", "month": 2, "day": 14, "lunar": 0,
         "gifts": 0},
        {"id": 2, "key": "trung-thu", "name": "Tết Trung thu", "month": 8, "day": 15,
         "lunar": 1, "gifts": 1}]), encoding="utf-8")
    out = cli("import", str(path)).out
    assert out == ("Imported 0 new prospects from occasions.json (relcrm); with 1 occasion; "
                   "updated 1 occasion.\n")
    rows = json.loads(cli("export", "occasions", "-f", "json").out)
    assert [(r["id"], r["key"], r["name"], r["gifts"]) for r in rows] == [
        (1, "tet", "Tết", 0), (2, "trung-thu", "Tết Trung thu", 1),
        (3, "8-3", "Quốc tế Phụ nữ 8/3", 0), (4, "20-10", "Phụ nữ Việt Nam 20/10", 0),
        (5, "20-11", "Nhà giáo Việt Nam 20/11", 0),
        (9, "valentine", "Valentine", 0)]  # into an empty book, a free id is kept
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"id": 1, "key": "x", "name": "X", "month": 13, "day": 1,
                                "lunar": 0, "gifts": 0}]), encoding="utf-8")
    result = cli.run("import", str(bad))
    assert result.code == 2 and "there is no month 13" in result.err
