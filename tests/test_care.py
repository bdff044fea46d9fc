"""Relationship care (issue 13): important dates (solar and lunar), occasions and the Tết gift
list, customer types, personal facts, the brief; as dated scenarios through the CLI."""

import json

import pytest

ON = lambda moment: {"RELCRM_TODAY": moment}  # noqa: E731


def followups(cli, day, *args):
    return json.loads(cli("followups", "-f", "json", *args, env=ON(day)).out)


@pytest.fixture
def an(cli):
    cli.add("Nguyễn Văn An", "--company", "Minh Phát", "--title", "Giám đốc",
            env=ON("2026-11-02T09:00"))
    cli("log", "an", "meeting", "first visit", env=ON("2026-11-02T10:00"))
    return cli


def test_a_birthday_shows_three_days_ahead_and_the_greeting_leaves_the_step_open(an):
    an("date", "add", "an", "birthday", "14/11/1978", env=ON("2026-11-02T11:00"))
    an("step", "add", "an", "2026-11-13 10:00", "meeting with the CEO", "--kind", "meeting",
       env=ON("2026-11-02T11:00"))
    # three days ahead (config occasion.lead_days): in today's list from Wednesday the 11th
    assert not [r for r in followups(an, "2026-11-10", "--days", "0")
                if r["reason"] == "occasion"]
    lines = [r for r in followups(an, "2026-11-11", "--days", "0") if r["reason"] == "occasion"]
    assert [(r["due_on"], r["why"]) for r in lines] == [(
        "2026-11-11", "birthday Sat 14/11 (turns 48): greet them (relcrm log 1 message "
        "--occasion 1)")]
    out = an("log", "an", "message", "chúc mừng sinh nhật anh", "--occasion", "1",
             env=ON("2026-11-12T08:00")).out
    assert "greeted date #1 for this year" in out
    assert an.one("SELECT status FROM step") == "open"  # the business step stays open
    assert not [r for r in followups(an, "2026-11-12") if r["reason"] == "occasion"]
    assert [r["reason"] for r in followups(an, "2026-11-13")] == ["next-step"]
    # next year it comes back
    lines = [r for r in followups(an, "2027-11-11") if r["reason"] == "occasion"]
    assert lines and "turns 49" in lines[0]["why"]


def test_lead_days_per_kind(an):
    an("date", "add", "an", "anniversary", "20/11", env=ON("2026-11-02T11:00"))
    an("config", "occasion.lead_days.anniversary", "7", env=ON("2026-11-02T11:00"))
    lines = [r for r in followups(an, "2026-11-13") if r["reason"] == "occasion"]
    assert [r["why"][:27] for r in lines] == ["anniversary Fri 20/11: gree"]
    an("config", "occasion.lead_days.anniversary", "", env=ON("2026-11-02T11:00"))
    assert not [r for r in followups(an, "2026-11-13") if r["reason"] == "occasion"]


def test_a_lunar_gio_falls_on_its_solar_day_each_year(an):
    out = an("date", "add", "an", "giỗ", "10/3", "--lunar", "--note", "giỗ cha",
             env=ON("2026-11-02T11:00")).out
    assert out == "Added date #1: Nguyễn Văn An's giỗ, 10/3 âm lịch; next on Fri 2027-04-16.\n"
    rows = json.loads(an("date", "list", "-f", "json", env=ON("2027-01-01")).out)
    assert (rows[0]["on"], rows[0]["date"], rows[0]["lunar"]) == ("2027-04-16", "10/3 âm lịch", 1)
    rows = json.loads(an("date", "list", "-f", "json", env=ON("2027-04-17")).out)
    assert rows[0]["on"] == "2028-04-04"
    plan = json.loads(an("plan", "week", "-f", "json", env=ON("2028-04-03")).out)
    assert [(r["day"], r["reason"]) for r in plan if r["reason"] == "occasion"] == [
        ("2028-04-04", "occasion")]


def test_a_lunar_day_30_in_a_short_month_and_a_leap_month_follow_custom(an):
    # lunar month 12 of 2026 has 29 days: a day 30 is kept on the 29th
    out = an("date", "add", "an", "giỗ", "30/12", "--lunar", env=ON("2026-11-02T11:00")).out
    rows = json.loads(an("date", "list", "-f", "json", env=ON("2026-11-02")).out)
    assert rows[0]["adjusted"] == "lunar month 12 has 29 days this year: kept on the 29th"
    assert "kept on the 29th" in out
    # 2025 had a leap sixth month: a date in it recurs in the ordinary sixth month
    out = an("date", "add", "an", "anniversary", "10/6/2025 nhuận", "--lunar",
             env=ON("2026-11-02T11:00")).out
    assert "recorded in the leap month 6 of 2025; as custom has it, it recurs in the ordinary " \
           "month 6" in out


@pytest.mark.parametrize("args, match", [
    (("date", "add", "an", "birthday", "31/02"), "February has 29 days"),
    (("date", "add", "an", "birthday", "29/02/2027"), "February has 28 days in 2027"),
    (("date", "add", "an", "birthday", "14/13/1980"), "no month 13"),
    (("date", "add", "an", "giỗ", "10/13", "--lunar"), "no month 13 in the lunar calendar"),
    (("date", "add", "an", "giỗ", "10/3/2025 nhuận", "--lunar"), "has no leap month 3"),
    (("date", "add", "an", "birthday", "14/11 nhuận"), "only a lunar date"),
    (("date", "add", "an", "birthday", "next tuesday"), "is not a date"),
    (("date", "add", "an", "", "14/11"), "kind"),
    (("date", "drop", "9"), "no date with id 9"),
    (("edit", "an", "--type", "rude"), "unknown customer type 'rude'"),
    (("fact", "an", "likes golf", "--about", "politics"), "unknown fact category"),
    (("fact", "an"), "give the person and the fact"),
    (("occasion", "gifts", "christmas"), "unknown occasion 'christmas'"),
    (("occasion", "add", "tet", "Again", "1/1"), "already has the occasion"),
    (("occasion", "add", "day", "Day", "1/1/2020"), "without a year"),
    (("log", "an", "note", "x", "--occasion", "1"), "not a note"),
])
def test_bad_care_input_is_one_line_and_changes_nothing(an, args, match):
    an("date", "add", "an", "birthday", "14/11/1978", env=ON("2026-11-02T11:00"))
    code = 1 if args[:2] == ("date", "drop") else 2
    an.fails(code, *args, match=match)


def test_an_occasion_of_someone_else_is_refused(an):
    an.add("Trần Thị Bình", "--company", "Hòa Bình")
    an("date", "add", "binh", "birthday", "1/12")
    an.fails(2, "log", "an", "message", "hi", "--occasion", "1", match="is not theirs")


@pytest.fixture
def book_for_tet(cli):
    """Key account Minh Phát (An decides, Lan uses), a Loyal relationship, customers with
    last year's orders, a prospect who is not on the list."""
    day = ON("2026-06-01T09:00")
    cli.add("Nguyễn Văn An", "--company", "Minh Phát", env=day)
    cli.add("Ngô Thị Lan", "--company", "Minh Phát", env=day)
    cli("role", "an", "decider", env=day)
    cli("account", "edit", "minh phat", "--key", env=day)
    cli.add("Trần Thị Bình", "--company", "Hòa Bình", env=day)
    cli("log", "binh", "email", "PO", "--amount", "900,000,000", env=day)
    cli.add("Lê Văn Cường", "--company", "Cường Phát", env=day)
    cli("log", "cuong", "email", "PO", "--amount", "50,000,000", env=day)
    cli.add("Phạm Dũng", "--company", "Sài Gòn Tech", env=day)
    cli("stage", "set", "dung", "loyal", "--reason", "ten years", env=day)
    cli.add("Vũ Mai", "--company", "Mai Co", env=day)  # a prospect: no gift
    return cli


def test_on_15_january_followups_announce_tet_and_the_gift_list_leads_with_key_accounts(
        book_for_tet):
    lines = [r for r in followups(book_for_tet, "2027-01-15") if r["reason"] == "gifts"]
    assert [r["why"] for r in lines] == [
        "Tết Nguyên Đán in 22 days (Sat 2027-02-06): 5 gifts to send (relcrm occasion gifts "
        "tet)"]
    rows = json.loads(book_for_tet("occasion", "gifts", "tet", "--budget", "90,000,000", "-f",
                                   "json", env=ON("2027-01-15")).out)
    assert [(r["name"], r["tier"], r["orders_value"], r["suggested"]) for r in rows] == [
        ("Nguyễn Văn An", "A", None, 22500000),  # key account, the decider first
        ("Ngô Thị Lan", "A", None, 22500000),
        ("Phạm Dũng", "A", None, 22500000),  # Loyal
        ("Trần Thị Bình", "B", 900000000, 15000000),  # the orders that make 80%
        ("Lê Văn Cường", "C", 50000000, 7500000)]  # 12 shares of 7,500,000
    # a gift logged takes them off the count
    book_for_tet("log", "binh", "gift", "bánh chưng", env=ON("2027-01-20T10:00"))
    lines = [r for r in followups(book_for_tet, "2027-01-20") if r["reason"] == "gifts"]
    assert "4 gifts to send" in lines[0]["why"]
    table = book_for_tet("occasion", "gifts", "tet", env=ON("2027-01-20")).out
    assert table.splitlines()[0] == "Tết Nguyên Đán Sat 2027-02-06: 4 gifts to send of 5"
    assert "Wed 2027-01-20" in table  # when Bình's gift went
    # not before the lead time, nor without anyone to send to
    assert not [r for r in followups(book_for_tet, "2027-01-05") if r["reason"] == "gifts"]


def test_occasions_are_the_books_own(cli):
    cli.add("X")
    rows = json.loads(cli("occasion", "list", "-f", "json").out)
    assert [(r["key"], r["next_on"]) for r in rows] == [
        ("tet", "2027-02-06"), ("8-3", "2027-03-08"), ("trung-thu", "2027-09-15"),
        ("20-10", "2027-10-20"), ("20-11", "2027-11-20")]
    out = cli("occasion", "add", "founding-day", "Ngày thành lập công ty", "15/12",
              "--gifts").out
    assert out == ("Added the occasion founding-day: Ngày thành lập công ty, 15/12; next on "
                   "Tue 2026-12-15; a gift occasion.\n")
    cli("occasion", "drop", "8-3")
    assert [r["key"] for r in json.loads(cli("occasion", "list", "-f", "json").out)] == [
        "founding-day", "tet", "trung-thu", "20-10", "20-11"]
    cli("undo")
    assert "8-3" in cli("occasion", "list").out


def test_types_facts_and_the_brief(an):
    an("edit", "an", "--type", "hay mặc cả", env=ON("2026-11-03T09:00"))
    an("fact", "an", "hai con gái, thích bóng đá", "--about", "gia đình",
       env=ON("2026-11-03T09:00"))
    an("fact", "an", "fan of Hoàng Anh Gia Lai", "-a", "interests", env=ON("2026-11-03T09:00"))
    an("call", "an", "-o", "continuation", "--implied-need", "màng bị rách khi chạy nhanh",
       env=ON("2026-11-04T09:00"))
    an("call", "an", "-o", "continuation", env=ON("2026-11-05T09:00"))
    facts = json.loads(an("fact", "list", "an", "-f", "json").out)
    assert [(f["about"], f["text"]) for f in facts] == [
        ("family", "hai con gái, thích bóng đá"), ("interests", "fan of Hoàng Anh Gia Lai")]
    brief = json.loads(an("brief", "an", "-f", "json", env=ON("2026-11-06")).out)
    assert brief["type"]["key"] == "bargainer"
    assert brief["type"]["tip"].startswith("hold the list price")
    assert [n["text"] for n in brief["needs"]] == ["màng bị rách khi chạy nhanh"]
    assert brief["next"][:2] == [
        "stalled: 2 continuations in a row; propose a commitment that moves the sale on (a "
        "trial, a demonstration, a meeting with the decider)",
        "no explicit need yet: keep investigating (problem and implication questions) before "
        "offering a solution; one offered too early draws objections"]
    table = an("brief", "an", env=ON("2026-11-06")).out
    assert "type           Bargainer (hay mặc cả): hold the list price" in table
    assert "family         hai con gái, thích bóng đá" in table
    shown = an("show", "an").out
    assert "interests      fan of Hoàng Anh Gia Lai" in shown
    types = an("types", "-f", "csv").out.splitlines()
    assert len(types) == 11 and types[1].startswith("bargainer,Bargainer,hay mặc cả,")
    an("undo")  # the last call
    an("undo")
    an("undo")
    an("undo")  # the second fact, the first, then the type
    an("undo")
    assert an.one("SELECT count(*) FROM fact") == 0
    assert an.one("SELECT type FROM prospect") is None


def test_care_rows_go_with_the_person(an):
    an("date", "add", "an", "birthday", "14/11")
    an("fact", "an", "likes tea")
    an("delete", "an", "--yes")
    assert an.one("SELECT count(*) FROM important_date") == 0
    assert an.one("SELECT count(*) FROM fact") == 0
    an("undo")
    assert an.one("SELECT count(*) FROM important_date") == 1


def test_an_accounts_founding_day(an):
    out = an("account", "date", "minh phat", "founding", "1/12/2005",
             env=ON("2026-11-02T11:00")).out
    assert out == ("Added date #1: Minh Phát's founding, 1/12/2005; next on Tue 2026-12-01 "
                   "(21 years).\n")
    lines = [r for r in followups(an, "2026-11-28") if r["reason"] == "occasion"]
    assert [(r["subject"], r["company"]) for r in lines] == [("account", "Minh Phát")]
    assert "founding Tue 1/12 (21 years)" in lines[0]["why"]


def test_a_date_with_no_day_is_left_out_with_a_warning_and_doctor_names_it(an):
    """A book written by another program (on a team database, a colleague's psql) holds a
    birthday on 31/2, a date whose month is text and an occasion in month 13: the lists leave
    them out, saying so once on stderr, instead of failing; doctor names each with its way out;
    the gift list of that occasion is one line, exit 1."""
    import sqlite3

    con = sqlite3.connect(an.path)
    with con:
        con.execute("INSERT INTO important_date (prospect_id, kind, month, day, lunar, "
                    "created_at) VALUES (1, 'birthday', 2, 31, 0, '2026-01-01T00:00:00')")
        con.execute("INSERT INTO important_date (prospect_id, kind, month, day, lunar, "
                    "created_at) VALUES (1, 'birthday', 'x', 3, 0, '2026-01-01T00:00:00')")
        con.execute("INSERT INTO occasion (key, name, month, day) VALUES ('bad', 'Bad', 13, 1)")
        con.execute("INSERT INTO important_date (prospect_id, kind, month, day, lunar, "
                    "created_at) VALUES (1, 'giỗ', 12, 1, 'zz', '2026-01-01T00:00:00')")
    con.close()
    for args in (("followups",), ("plan", "week"), ("date", "list"), ("occasion", "list"),
                 ("show", "1"), ("brief", "1"), ("followups", "--ics", "-")):
        result = an.run(*args, env=ON("2026-11-25"))
        assert result.code == 0, (args, result.err)
        assert "has no day relcrm can place" in result.err and "Traceback" not in result.err
    doctor = an.run("doctor")
    assert doctor.code == 1
    assert "important date #1 (31/2): relcrm date drop 1" in doctor.out
    assert "the occasion bad (1/13): relcrm occasion drop bad" in doctor.out
    assert "important date #3 (1/12): relcrm date drop 3" in doctor.out  # its lunar: 'zz'
    assert "(a manager)" not in doctor.out  # (a book file is its seller's alone)
    an.fails(1, "occasion", "gifts", "bad", match="has no day relcrm can place")
