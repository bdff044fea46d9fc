"""export: every row, stable columns, csv/tsv/json, stdout or a file."""

import csv
import io
import json

import pytest

COLUMNS = {
    "prospects": "id,name,company,title,email,phone,url,source,tags,value,stage,stage_since,"
                 "need,budget,authority,qualification,continuations,last_touch_at,next_at,"
                 "next_step,next_set_at,due_on,note,created_at,updated_at,account_id,roles,"
                 "cadence_days,snoozed_until,snooze_reason,currency,emails,phones,customer,type,"
                 "note_at,revisit_on",
    "touches": "id,prospect_id,prospect,kind,at,summary,minutes,outcome,commitment,next_at,"
               "created_at,seq,amount,with_ids,currency,deal_id,occasion_id",
    "calls": "id,prospect_id,prospect,at,outcome,commitment,minutes,summary,situation,problem,"
             "implication,need_payoff,implied_need,explicit_need,next_at,created_at,seq,"
             "amount,with_ids,currency,deal_id,occasion_id",
    "stages": "id,prospect_id,prospect,at,from_stage,to_stage,reason,seq,revisit_on",
    "qualifications": "id,prospect_id,prospect,at,criterion,level,note,seq",
    "accounts": "id,name,industry,key,kam_stage,kam_since,buy_class,criteria,note,created_at,"
                "updated_at,note_at",
    "roles": "prospect_id,prospect,account_id,role",
    "kam": "id,account_id,account,at,from_stage,to_stage,reason,seq",
    "steps": "id,prospect_id,prospect,account_id,account,people_ids,kind,text,due_at,minutes,"
             "status,created_at,closed_at,note,uid",
    "step_changes": "id,step_id,at,action,from_due,to_due,note",
    "settings": "key,value",
    "aliases": "id,prospect_id,prospect,name,merged_at",
    "deals": "id,account_id,account,title,stage,status,value,currency,close_on,buy_class,"
             "people_ids,won_amount,won_currency,lost_reason,note,closed_at,created_at,"
             "updated_at",
    "deal_changes": "id,deal_id,at,action,from_stage,to_stage,reason,note,amount,currency",
    "facts": "id,prospect_id,prospect,about,text,at,created_at",
    "dates": "id,prospect_id,prospect,account_id,account,kind,month,day,year,lunar,note,"
             "created_at",
    "occasions": "id,key,name,month,day,lunar,gifts",
}


@pytest.fixture
def book(cli):
    cli.add("Nguyễn Văn An", "--company", "Minh Phát, Co.", "--tag", "b", "--tag", "a",
            "--value", "1,500.50 USD", "--note", 'says "hi"\nand more')
    cli.add("Trần Thị Bình")
    cli("qualify", "an", "--need", "yes", "--note", "clear need")
    cli("call", "an", "--problem", "slow line", "--problem", "film tears", "--outcome",
        "advance", "--commitment", "trial", "--minutes", "20")
    cli("log", "bình", "email", "hello")
    cli("stage", "set", "bình", "lost", "--reason", "no reply")
    return cli


@pytest.mark.parametrize("entity", list(COLUMNS))
def test_columns_are_stable(book, entity):
    assert book("export", entity).lines[0] == COLUMNS[entity]


def test_prospects_csv_round_trips_through_the_csv_module(book):
    rows = list(csv.DictReader(io.StringIO(book("export").out)))
    assert [r["name"] for r in rows] == ["Nguyễn Văn An", "Trần Thị Bình"]  # lost included
    an = rows[0]
    assert an["company"] == "Minh Phát, Co." and an["tags"] == "a,b"
    assert an["value"] == "1500.5" and an["currency"] == "USD"
    assert an["note"] == 'says "hi"\nand more'
    assert an["need"] == "yes" and an["qualification"] == "open"
    assert an["created_at"] == "2026-11-25T12:00:00" and an["budget"] == ""
    assert rows[1]["stage"] == "lost"


def test_calls_carry_their_spin_notes(book):
    call = next(csv.DictReader(io.StringIO(book("export", "calls").out)))
    assert call["problem"] == "slow line\nfilm tears" and call["outcome"] == "advance"
    assert call["commitment"] == "trial" and call["minutes"] == "20" and call["situation"] == ""


def test_json_and_tsv(book):
    records = json.loads(book("export", "touches", "--format", "json").out)
    assert [r["kind"] for r in records] == ["call", "email"]
    assert list(records[0]) == COLUMNS["touches"].split(",")
    assert records[1]["minutes"] is None and records[0]["minutes"] == 20
    prospects = json.loads(book("export", "prospects", "-f", "json").out)
    assert prospects[0]["value"] == 1500.5 and prospects[1]["value"] is None
    tsv = book("export", "stages", "-f", "tsv").lines
    assert tsv[0].split("\t") == COLUMNS["stages"].split(",")
    assert tsv[-1].split("\t")[4:] == ["attract", "lost", "no reply", "3", ""]


def test_empty_exports_are_valid(cli):
    assert cli("export").out == COLUMNS["prospects"] + "\n"
    assert json.loads(cli("export", "calls", "-f", "json").out) == []


def test_output_to_a_file(book, tmp_path):
    target = tmp_path / "out.csv"
    result = book("export", "prospects", "--output", str(target))
    assert result.out == "" and "Exported 2 prospects to" in result.err
    text = target.read_text(encoding="utf-8")
    assert text.splitlines()[0] == COLUMNS["prospects"] and "Nguyễn Văn An" in text
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.csv")]


@pytest.mark.parametrize("args, match", [
    (["export", "people"], "Invalid value for '[ENTITY]'"),
    (["export", "-f", "xlsx"], "Invalid value for '--format'"),
    (["export", "-o", "/nonexistent/dir/x.csv"], "does not exist"),
    (["export", "all"], "export all as csv writes one file per entity: give --output FOLDER"),
    (["export", "vcard", "-f", "json"], "export vcard writes vCard 4.0; leave out --format"),
    (["export", "-f", "json", "--excel"], "--excel is for csv and tsv"),
    (["export", "touches", "--since", "whenever"], "cannot read date"),
    (["export", "prospects", "ghost"], "no prospect matches 'ghost'"),
])
def test_export_rejects_bad_input(cli, args, match):
    cli.add("Somebody")
    cli.fails(1 if "ghost" in args else 2, *args, match=match)


def test_since_and_refs_narrow_the_rows(book):
    book("log", "an", "email", "old", "--at", "2026-11-01")
    touches = lambda *a: [r["summary"] for r in json.loads(  # noqa: E731
        book("export", "touches", "-f", "json", *a).out)]
    assert touches() == [None, "hello", "old"]
    assert touches("--since", "2026-11-20") == [None, "hello"]
    assert touches("an") == [None, "old"]
    names = [r["name"] for r in json.loads(book("export", "prospects", "bình", "-f",
                                                "json").out)]
    assert names == ["Trần Thị Bình"]


def test_jsonl_is_one_object_per_line(book):
    lines = book("export", "stages", "-f", "jsonl").lines
    assert [json.loads(line)["to_stage"] for line in lines] == ["attract", "attract", "lost"]


def test_excel_csv_has_bom_crlf_and_no_formulas(book):
    book("add", "=HYPERLINK(\"http://evil\")", "--phone", "+84 90 123 4567", "--note", "@SUM(A1)",
         "--company", "-1+2")
    raw = book("export", "--excel").raw.decode("utf-8")
    assert raw.startswith('\ufeff"id","name",')  # every cell quoted
    assert raw.count("\r\n") == 4  # the header and three rows; a note's own newline stays
    rows = list(csv.DictReader(io.StringIO(raw.lstrip("\ufeff"), newline="")))
    evil = rows[-1]
    assert evil["name"] == "'=HYPERLINK(\"http://evil\")"
    assert (evil["phone"], evil["note"], evil["company"]) == \
        ("'+84 90 123 4567", "'@SUM(A1)", "'-1+2")
    assert rows[0]["name"] == "Nguyễn Văn An"
    plain = list(csv.DictReader(io.StringIO(book("export").out)))
    assert plain[-1]["name"] == '=HYPERLINK("http://evil")'  # only --excel changes cells


def test_vcard_export_is_version_4_and_imports_back(book, tmp_path):
    text = book("export", "vcard").raw.decode("utf-8")
    import vobject

    cards = list(vobject.readComponents(text))
    assert [c.fn.value for c in cards] == ["Nguyễn Văn An", "Trần Thị Bình"]
    an = cards[0]
    assert an.version.value == "4.0" and an.uid.value.startswith("urn:uuid:")
    assert an.org.value == ["Minh Phát, Co."] and an.note.value == 'says "hi"\nand more'
    assert an.categories.value == ["a", "b"]
    assert "\r\n" in text
    assert book("export", "vcard").raw.decode("utf-8") == text  # stable UIDs
    one = book("export", "vcard", "an").out
    assert one.count("BEGIN:VCARD") == 1
    target = tmp_path / "cards.vcf"
    assert "Exported 2 vCards" in book("export", "vcard", "-o", str(target)).err
    other = tmp_path / "other.db"
    book("--db", str(other), "import", str(target))
    names = [r["name"] for r in json.loads(book("--db", str(other), "list", "-f", "json").out)]
    assert names == ["Nguyễn Văn An", "Trần Thị Bình"]


def test_followups_as_icalendar_events_and_todos(cli, tmp_path):
    from icalendar import Calendar

    cli.add("Late", "--email", "late@x.vn", env={"RELCRM_TODAY": "2026-11-20"})
    cli.add("Friday", "--next", "fri", "--next-step", "send quote")
    target = tmp_path / "followups.ics"
    result = cli("followups", "--ics", str(target))
    assert result.out == "" and result.err == f"Wrote 2 follow-ups to {target} as events.\n"
    calendar = Calendar.from_ical(target.read_bytes())
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    late = events["Follow up: Late"]
    assert late.decoded("dtstart").isoformat() == "2026-11-25"  # overdue: today
    assert "never contacted, added Fri 2026-11-20" in str(late["description"])
    assert "Email: late@x.vn" in str(late["description"])
    friday = events["Follow up: Friday — send quote"]
    assert friday.decoded("dtstart").isoformat() == "2026-11-27"
    uid = cli.one("SELECT uid FROM step")
    assert str(friday["uid"]) == f"relcrm-step-{uid}@relcrm"
    assert str(late["uid"]) == "relcrm-care-1@relcrm"
    cli("followups", "--ics", str(target), "--todo")
    todos = Calendar.from_ical(target.read_bytes()).walk("VTODO")
    assert sorted(t.decoded("due").isoformat() for t in todos) == ["2026-11-20", "2026-11-27"]
    cli.fails(2, "followups", "--todo", match="--todo goes with --ics FILE")
    cli.fails(2, "followups", "--ics", "/no/such/dir/f.ics", match="does not exist")
