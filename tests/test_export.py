"""export: every row, stable columns, csv/tsv/json, stdout or a file."""

import csv
import io
import json

import pytest

COLUMNS = {
    "prospects": "id,name,company,title,email,phone,source,tags,value,stage,stage_since,need,"
                 "budget,authority,qualification,continuations,last_touch_at,next_at,next_step,"
                 "due_on,note,created_at,updated_at",
    "touches": "id,prospect_id,prospect,kind,at,summary,minutes,outcome,commitment,next_at,"
               "created_at",
    "calls": "id,prospect_id,prospect,at,outcome,commitment,minutes,summary,situation,problem,"
             "implication,need_payoff,implied_need,explicit_need,next_at,created_at",
    "stages": "id,prospect_id,prospect,at,from_stage,to_stage,reason",
    "qualifications": "id,prospect_id,prospect,at,criterion,level,note",
}


@pytest.fixture
def book(cli):
    cli.add("Nguyễn Văn An", "--company", "Minh Phát, Co.", "--tag", "b", "--tag", "a",
            "--value", "1500.5", "--note", 'says "hi"\nand more')
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
    assert an["value"] == "1500.5" and an["note"] == 'says "hi"\nand more'
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
    assert tsv[-1].split("\t")[4:] == ["attract", "lost", "no reply"]


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
])
def test_export_rejects_bad_input(cli, args, match):
    cli.fails(2, *args, match=match)
