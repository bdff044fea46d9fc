"""add, list, show, edit through the CLI."""

import json

import pytest


def test_add_prints_the_id_and_first_contact_today(cli):
    result = cli("add", "Nguyễn Văn An", "--company", "Minh Phát", "--title", "Buyer",
                 "--email", "an@minhphat.vn", "--phone", "+84 90 123 4567", "--source",
                 "fair", "--tag", "HCM", "--tag", "vip", "--value", "125,000,000",
                 "--note", "met at the fair")
    assert result.out.startswith("Added #1 Nguyễn Văn An at stage Attract")
    assert "first contact due Wed 2026-11-25" in result.out
    row = cli.one("SELECT name, company, title, email, phone, source, value_milli, "
                  "value_currency, note, stage, due_on FROM prospect")
    assert row == ("Nguyễn Văn An", "Minh Phát", "Buyer", "an@minhphat.vn", "+84 90 123 4567",
                   "fair", 125_000_000_000, "VND", "met at the fair", "attract", "2026-11-25")
    assert cli.sql("SELECT kind, value, key FROM contact ORDER BY id") == [
        ("email", "an@minhphat.vn", "an@minhphat.vn"),
        ("phone", "+84 90 123 4567", "+84901234567")]
    assert cli.sql("SELECT name FROM tag ORDER BY name") == [("hcm",), ("vip",)]
    assert cli.sql("SELECT from_stage, to_stage, reason FROM stage_change") == [
        (None, "attract", "added")]


def test_add_quiet_prints_only_the_id_and_json_the_record(cli):
    assert cli("add", "A One", "-q").out == "1\n"
    record = json.loads(cli("add", "B Two", "--format", "json").out)[0]
    assert record["id"] == 2 and record["name"] == "B Two" and record["stage"] == "attract"
    assert record["due_on"] == "2026-11-25" and record["qualification"] == "open"


def test_add_with_next_schedules_it(cli):
    result = cli("add", "Lê Văn C", "--next", "fri", "--next-step", "intro call")
    assert "next step Fri 2026-11-27" in result.out
    assert cli.one("SELECT next_at, next_step, due_on FROM prospect") == (
        "2026-11-27", "intro call", "2026-11-27")


def test_names_are_stored_nfc(cli):
    decomposed = "Nguye\u0302\u0303n"  # NFD spelling of Nguyễn
    cli.add(decomposed)
    assert cli.one("SELECT name FROM prospect") == "Nguyễn"


@pytest.mark.parametrize("args, match", [
    (["add", ""], "name cannot be empty"),
    (["add", "   "], "name cannot be empty"),
    (["add", "X", "--email", "not-an-email"], "email"),
    (["add", "X", "--phone", "call me maybe"], "phone"),
    (["add", "X", "--value", "lots"], "value 'lots' has no number; write e.g. 450000000"),
    (["add", "X", "--value", "-5"], "value '-5' is negative"),
    (["add", "X", "--value", "1e400"], "value '1e400' has an exponent"),
    (["add", "X", "--value", "nan"], "value 'nan' has no number"),
    (["add", "X", "--value", "1.5.00"], "value '1.5.00' is not grouped by 3 digits"),
    (["add", "X", "--value", "2,5"], "value '2,5' is ambiguous in VND"),
    (["add", "X", "--value", "12.500,50"], "value '12.500,50' has a decimal part (,50), and "
                                           "VND has none"),
    (["add", "X", "--next", "someday"], "cannot read date 'someday'"),
    (["add", "X", "--next", "2026-02-30"], "cannot read date"),
    (["add", "X", "--next", "yesterday"], "is in the past"),
    (["add", "X", "--next-step", "call"], "--next-step needs --next"),
    (["add", "X\x1b[31m"], "control character"),
    (["add", "X" * 301], "too long"),
    (["add", "X", "--tag", "a,b"], "comma"),
    (["add", "X", "--format", "xml"], "Invalid value for '--format'"),
    (["add"], "Missing argument 'NAME'"),
    (["add", "X", "--bogus"], "No such option"),
])
def test_add_rejects_bad_input(cli, args, match):
    cli.add("Existing Person")
    cli.fails(2, *args, match=match)


def test_list_filters_sort_and_hides_lost(cli):
    a = cli.add("Nguyễn Văn An", "--company", "Minh Phát", "--tag", "hcm", "--value", "10")
    b = cli.add("Trần Thị Bình", "--company", "Hòa Bình", "--value", "30")
    c = cli.add("Lê Văn Cường", "--company", "minh phat trading", "--note", "golf partner")
    cli("stage", "set", str(b), "build")
    cli("stage", "set", str(c), "lost", "--reason", "moved abroad")

    def ids(*args):
        return [int(line.split(",")[0]) for line in cli("list", "--format", "csv", *args).lines[1:]]

    assert ids() == [a, b]  # by folded name; lost hidden
    assert ids("--all") == [c, a, b]
    assert ids("--stage", "lost") == [c]
    assert ids("--stage", "3") == [b]
    assert ids("--stage", "Tạo dựng") == [b]
    assert ids("--tag", "HCM") == [a]
    assert ids("--company", "MINH PHAT", "--all") == [c, a]
    assert ids("--search", "golf", "--all") == [c]
    assert ids("--search", "hcm") == [a]
    assert ids("--sort", "value") == [b, a]
    assert ids("--status", "open") == [a, b]
    assert ids("--limit", "1") == [a]


def test_list_table_shows_the_columns_and_a_hint_when_empty(cli):
    assert "No prospects yet" in cli("list").out
    cli.add("Nguyễn Văn An", "--company", "Minh Phát", "--value", "125000000", "--tag", "hcm")
    out = cli("list").out
    header, row = out.splitlines()[:2]
    for column in ("#", "Name", "Company", "Stage", "Qualified", "Last touch", "Follow-up",
                   "Value", "Tags"):
        assert column in header
    assert "Nguyễn Văn An" in row and "1 Attract" in row and "125,000,000" in row
    assert "No prospects match" in cli("list", "--tag", "nope").out


def test_list_table_is_limited_with_a_note(cli):
    for i in range(3):
        cli.add(f"Person {i}")
    out = cli("list", "--limit", "2").out
    assert "2 of 3 shown; --limit 0 shows all" in out
    assert "Person 2" in cli("list", "--limit", "0").out


@pytest.mark.parametrize("args, match", [
    (["list", "--stage", "nine"], "unknown stage 'nine'"),
    (["list", "--sort", "height"], "unknown sort"),
    (["list", "--status", "maybe"], "unknown status"),
    (["list", "--limit", "-1"], "--limit"),
    (["list", "--limit", "x"], "Invalid value for '--limit'"),
])
def test_list_rejects_bad_input(cli, args, match):
    cli.fails(2, *args, match=match)


def test_list_json_has_the_csv_keys(cli):
    cli.add("An", "--tag", "b", "--tag", "a")
    header = cli("list", "-f", "csv").lines[0].split(",")
    records = json.loads(cli("list", "-f", "json").out)
    assert list(records[0]) == header
    assert records[0]["tags"] == ["a", "b"]
    tsv = cli("list", "-f", "tsv").lines
    assert tsv[0].split("\t") == header


def test_show_profile_and_timeline(cli):
    cli.add("Nguyễn Văn An", "--company", "Minh Phát", "--email", "an@mp.vn", "--value",
            "1000", "--tag", "hcm")
    clock = lambda hhmm: {"RELCRM_TODAY": f"2026-11-25T{hhmm}"}  # noqa: E731
    cli("qualify", "an", "--need", "yes", "--budget", "partial", "--note", "Q1 budget",
        env=clock("13:00"))
    cli("call", "an", "--situation", "two plants", "--problem", "film tears",
        "--explicit-need", "stronger film", "--outcome", "advance", "--commitment",
        "trial in December", "--next", "fri", "--minutes", "30", env=clock("14:00"))
    cli("stage", "advance", "an", "--reason", "trial agreed", env=clock("15:00"))
    out = cli("show", "nguyen").out
    assert out.splitlines()[0] == "#1 Nguyễn Văn An — Minh Phát"
    for expected in ("2/7 Establish (Thiết lập), 0 days in stage",
                     "open — need yes, budget partial, authority unknown; missing: budget, "
                     "authority", "an@mp.vn", "1,000", "hcm",
                     "last touch     Wed 2026-11-25 14:00 (today)",
                     "steps          #1 Fri 2026-11-27 todo: trial in December",
                     "Timeline (newest first)", "Attract → Establish: trial agreed",
                     "advance — committed: trial in December",
                     "Situation: two plants", "Problem: film tears",
                     "Explicit need: stronger film", "30 min",
                     "need yes, budget partial: Q1 budget",
                     "— → Attract: added"):
        assert expected in out, expected
    timeline = out.split("Timeline (newest first)")[1]
    assert (timeline.index("trial agreed") < timeline.index("call")
            < timeline.index("qualify") < timeline.index("Attract: added"))
    assert "step     added #1 Fri 2026-11-27 todo: trial in December" in timeline


def test_show_json_and_csv(cli):
    cli.add("An")
    cli("call", "an", "--problem", "slow", "--problem", "costly", "--outcome", "continuation")
    record = json.loads(cli("show", "an", "-f", "json").out)
    assert record["name"] == "An" and record["missing"] == ["need", "budget", "authority"]
    call = record["timeline"][0]
    assert call["event"] == "call" and call["notes"] == {"problem": ["slow", "costly"]}
    rows = cli("show", "an", "-f", "csv").lines
    assert rows[0] == ("at,event,kind,summary,outcome,commitment,minutes,next_at,detail,ref,"
                       "with_names,amount,currency,notes")
    assert rows[1].startswith("2026-11-25T12:00:00,call,call,,continuation")


def test_show_limits_the_timeline(cli):
    cli.add("An")
    for i in range(4):
        cli("log", "an", "note", f"n{i}")
    out = cli("show", "an", "--limit", "2").out
    assert "2 of 5 shown; --limit 0 shows all" in out
    assert "n0" in cli("show", "an", "--limit", "0").out


def test_ref_matching_rules(cli):
    cli.add("Nguyễn Văn An")
    cli.add("Ngô Thị Lan")
    cli.add("Trần Anh")
    assert "#1 " in cli("show", "an").out  # the whole word "an" beats "Lan" and "Anh"
    assert "#3 " in cli("show", "anh").out
    assert "#2 " in cli("show", "ngo").out  # start of a word
    assert "#2 " in cli("show", "NGÔ THỊ").out
    assert "#1 " in cli("show", "#1").out
    result = cli.fails(2, "show", "ng", match="matches several prospects")
    assert "#1 Nguyễn Văn An" in result.err and "#2 Ngô Thị Lan" in result.err
    cli.fails(1, "show", "zzz", match="no prospect matches 'zzz'")
    cli.fails(1, "show", "99", match="no prospect with id 99")
    cli.fails(1, "show", "   ", match="empty prospect reference")


def test_edit_changes_fields_tags_and_next(cli):
    cli.add("An", "--company", "Old Co", "--tag", "a", "--tag", "b")
    out = cli("edit", "an", "--name", "Nguyễn Văn An", "--company", "New Co", "--email",
              "an@new.co", "--tag", "c", "--untag", "a", "--value", "5", "--next", "mon",
              "--next-step", "lunch").out
    assert out == ("Updated #1 Nguyễn Văn An. Added step #1 Mon 2026-11-30 (lunch). "
                   "Emails: an@new.co.\n")
    assert cli.one("SELECT name, name_key, company, company_key, email, value_milli, next_at, "
                   "next_step, due_on FROM prospect") == (
        "Nguyễn Văn An", "nguyen van an", "New Co", "new co", "an@new.co", 5000, "2026-11-30",
        "lunch", "2026-11-30")
    assert cli.sql("SELECT name FROM tag ORDER BY name") == [("b",), ("c",)]
    out = cli("edit", "an", "--company", "", "--no-next").out
    assert out == ("Updated #1 Nguyễn Văn An. Dropped step #1 (lunch, Mon 2026-11-30).\n")
    assert cli.one("SELECT company, next_at, next_step, due_on FROM prospect") == (
        None, None, None, "2026-11-25")
    assert cli.one("SELECT status, note FROM step") == ("dropped", "edit --no-next")


@pytest.mark.parametrize("args, code, match", [
    (["edit", "an"], 2, "nothing to change"),
    (["edit", "an", "--name", ""], 2, "name cannot be empty"),
    (["edit", "an", "--email", "x@"], 2, "email"),
    (["edit", "an", "--next", "blah"], 2, "cannot read date"),
    (["edit", "an", "--no-next", "--next", "fri"], 2, "cannot be combined"),
    (["edit", "an", "--next-step", "lunch"], 2, "needs a next step to name"),
    (["edit", "nobody", "--title", "x"], 1, "no prospect matches"),
])
def test_edit_rejects_bad_input(cli, args, code, match):
    cli.add("An")
    cli.fails(code, *args, match=match)
