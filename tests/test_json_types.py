"""JSON output has one type per field in every command and export: flags true/false, amounts
exact numbers with their currency beside them, lists (tags, roles, emails, phones, criteria,
ids, names, SPIN notes) arrays; null stays null. csv and tsv keep their documented cells, and
`import` reads the typed JSON back, and the older untyped JSON too."""

import json
from decimal import Decimal

import pytest

LISTS = ("tags", "roles", "criteria", "emails", "phones")
ID_LISTS = ("people_ids", "with_ids", "step_ids", "with", "done_step_ids")
FLAGS = ("customer", "lunar", "gifts", "in_80", "stalled")
AMOUNTS = {"value": "currency", "amount": "currency", "won_amount": "won_currency",
           "order_value": "order_currency", "orders_value": "currency", "weighted": "currency"}


def _json(cli, *args: str):
    """A command's JSON, its numbers exact (a float would hide a lost digit)."""
    return json.loads(cli(*args, "-f", "json").out, parse_float=Decimal)


def _objects(value):
    """Every JSON object in a document, at any depth."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)


def _check_types(document, where: str) -> int:
    """Every typed field of every object in `document` has its one JSON type; how many were
    checked."""
    checked = 0
    for record in _objects(document):
        for key, value in record.items():
            if value is None or isinstance(value, list) and value and isinstance(value[0],
                                                                                  dict):
                continue  # null, or records (the roles of `export all`)
            if key in LISTS:
                assert isinstance(value, list) and all(isinstance(v, str) for v in value), \
                    (where, key, value)
            elif key in ID_LISTS:
                assert isinstance(value, list) and all(
                    isinstance(v, int) and not isinstance(v, bool) for v in value), \
                    (where, key, value)
            elif key in FLAGS or (key == "key" and not isinstance(value, str)):
                assert isinstance(value, bool), (where, key, value)
            elif key in AMOUNTS and AMOUNTS[key] in record:
                assert isinstance(value, (int, Decimal)) and not isinstance(value, bool), \
                    (where, key, value)
                assert isinstance(record[AMOUNTS[key]], str), (where, key, record)
            else:
                continue
            checked += 1
    return checked


@pytest.fixture
def book(cli):
    """Two people at a key account (one whose name holds a comma), tags, roles, several
    emails and phones, an order, a deal with both, steps, a touch with both, a call with
    notes (one spanning lines), an important date."""
    cli.add("Nguyễn Văn An", "--company", "Minh Phát", "--tag", "vip", "--tag", "hcm",
            "--email", "an@mp.vn", "--email", "an@gmail.com", "--phone", "0909 123 456",
            "--phone", "028 3822 1234", "--value", "12,500.50 USD")
    cli.add("Collins, Sarah", "--company", "Minh Phát")
    cli.add("Trần Thị Bình", "--company", "Hòa Bình")
    cli("role", "an", "decider", "buyer")
    cli("account", "edit", "minh", "--key", "--criterion", "price", "--criterion",
        "reputation")
    cli("deal", "add", "minh", "Film", "--value", "1000 USD", "--with", "1", "--with", "2")
    cli("log", "an", "meeting", "lunch", "--with", "2")
    cli("call", "an", "--situation", "two\nplants", "--situation", "three shifts", "-o",
        "order", "--commitment", "PO 7", "--amount", "5,000,000", "--deal", "none")
    cli("step", "add", "an", "fri", "send the quote")
    cli("account", "step", "minh", "sat", "visit", "--with", "1", "--with", "2")
    cli("date", "add", "an", "birthday", "10/3", "--lunar")
    return cli


def test_prospects_have_arrays_flags_and_amounts_in_every_command(book):
    listed = {r["id"]: r for r in _json(book, "list")}
    an, sarah, binh = listed[1], listed[2], listed[3]
    assert an["tags"] == ["hcm", "vip"] and sarah["tags"] is None
    assert an["roles"] == ["buyer", "decider"] and sarah["roles"] is None
    assert an["emails"] == ["an@mp.vn", "an@gmail.com"]
    assert an["phones"] == ["0909 123 456", "028 3822 1234"] and sarah["phones"] is None
    # a customer: an order, theirs or their account's
    assert (an["customer"], sarah["customer"], binh["customer"]) == (True, True, False)
    # their open deals' value: 12,500.50 (given with add) and 1,000 (the deal Film)
    assert (an["value"], an["currency"]) == (Decimal("13500.5"), "USD")
    shown = _json(book, "show", "an")
    exported = {r["id"]: r for r in _json(book, "export", "prospects")}
    edited = _json(book, "edit", "an", "--tag", "q4")[0]
    for record in (shown, exported[1]):
        assert {k: record[k] for k in an if k not in ("updated_at",)} == \
            {k: an[k] for k in an if k not in ("updated_at",)}
    assert edited["tags"] == ["hcm", "q4", "vip"] and edited["customer"] is True
    added = _json(book, "add", "Lê Văn Cường", "--tag", "x", "--email", "c@x.vn")[0]
    assert (added["tags"], added["emails"], added["customer"]) == (["x"], ["c@x.vn"], False)


def test_accounts_deals_steps_and_gifts_have_their_lists_flags_and_amounts(book):
    accounts = {r["name"]: r for r in _json(book, "account", "list")}
    assert accounts["Minh Phát"]["key"] is True and accounts["Hòa Bình"]["key"] is False
    assert accounts["Minh Phát"]["criteria"] == ["price", "reputation"]
    assert accounts["Minh Phát"]["people"] == 2  # a count here
    shown = _json(book, "account", "show", "minh")
    assert shown["key"] is True and shown["criteria"] == ["price", "reputation"]
    assert [p["roles"] for p in shown["people"]] == [None, ["buyer", "decider"]]
    exported = {r["name"]: r for r in _json(book, "export", "accounts")}
    assert exported["Minh Phát"]["key"] is True
    deal = _json(book, "deal", "show", "2")
    # names as they are, though one holds ", " (the csv cell joins them with ", ")
    assert deal["people"] == ["Collins, Sarah", "Nguyễn Văn An"]
    assert deal["people_ids"] == [1, 2]
    assert (deal["value"], deal["currency"]) == (1000, "USD")
    assert [d["people_ids"] for d in _json(book, "export", "deals")] == [[1], [1, 2]]
    steps = {s["text"]: s for s in _json(book, "step", "list", "an")}
    assert steps["visit"]["people"] == ["Collins, Sarah", "Nguyễn Văn An"]
    assert steps["send the quote"]["people"] is None
    assert [s["people_ids"] for s in _json(book, "export", "steps")] == [None, [1, 2]]
    lines = _json(book, "followups")
    assert sorted(r["step_ids"] for r in lines if r["step_ids"]) == [[1], [2]]
    assert all(isinstance(r["stalled"], bool) for r in lines)
    # an account step's line names its people in one text (name is always text)
    assert {r["name"] for r in lines if r["subject"] == "account"} == {
        "Collins, Sarah, Nguyễn Văn An"}
    gifts = {r["name"]: r for r in _json(book, "occasion", "gifts", "tet")}
    assert gifts["Nguyễn Văn An"]["role"] == ["buyer", "decider"]
    assert gifts["Nguyễn Văn An"]["key"] is True and gifts["Nguyễn Văn An"]["customer"] is True
    assert gifts["Collins, Sarah"]["role"] is None


def test_touches_calls_and_their_notes_are_arrays(book):
    touches = _json(book, "export", "touches")
    assert [t["with_ids"] for t in touches] == [[2], None]
    assert (touches[1]["amount"], touches[1]["currency"]) == (5000000, "VND")
    calls = _json(book, "export", "calls")
    # one note a line in the csv cell; in JSON each note whole, a line break inside it too
    assert calls[0]["situation"] == ["two\nplants", "three shifts"]
    assert calls[0]["problem"] is None
    timeline = _json(book, "show", "an")["timeline"]
    call = next(e for e in timeline if e["event"] == "call")
    assert call["notes"]["situation"] == calls[0]["situation"]
    touch = next(e for e in timeline if e["event"] == "touch")
    assert touch["with_names"] == ["Collins, Sarah"]
    logged = _json(book, "log", "an", "email", "hello", "--with", "2", "--with", "3")[0]
    assert logged["with"] == [2, 3] and logged["stalled"] is False


def test_dates_and_occasions_have_flags(book):
    assert [d["lunar"] for d in _json(book, "date", "list")] == [True]
    assert [d["lunar"] for d in _json(book, "export", "dates")] == [True]
    occasions = {o["key"]: o for o in _json(book, "occasion", "list")}
    assert (occasions["tet"]["lunar"], occasions["tet"]["gifts"]) == (True, True)
    exported = {o["key"]: o for o in _json(book, "export", "occasions")}
    assert exported["tet"]["gifts"] is True and exported["8-3"]["lunar"] is False


def test_every_command_and_export_types_the_same_field_the_same_way(book):
    commands = [
        ("list",), ("show", "an"), ("show", "sarah"), ("account", "list"),
        ("account", "show", "minh"), ("account", "candidates"), ("deal", "list", "--all"),
        ("deal", "show", "1"), ("pipeline", "--all"), ("step", "list", "an"),
        ("followups", "--all"), ("plan",), ("date", "list"), ("occasion", "list"),
        ("occasion", "gifts", "tet"), ("brief", "an"), ("kam", "list"), ("search", "lunch"),
        ("stage", "history", "an"), ("review",), ("config",),
    ] + [("export", e) for e in ("prospects", "touches", "calls", "stages", "qualifications",
                                 "accounts", "roles", "kam", "steps", "step_changes",
                                 "deals", "deal_changes", "settings", "aliases", "facts",
                                 "dates", "occasions")]
    checked = sum(_check_types(_json(book, *c), " ".join(c)) for c in commands)
    lines = [json.loads(x, parse_float=Decimal)
             for x in book("export", "all", "-f", "jsonl").out.splitlines()]
    checked += _check_types(lines, "export all -f jsonl")
    whole = json.loads(book("export", "all", "-f", "json").out, parse_float=Decimal)
    checked += _check_types(whole, "export all -f json")
    assert checked > 100


def test_amounts_are_exact_numbers_beyond_a_floats_digits(cli):
    cli.add("An", "--value", "999999999999999.99 USD")
    out = cli("list", "-f", "json").out
    assert '"value": 999999999999999.99, ' in out  # a number, every digit kept
    assert json.loads(out, parse_float=Decimal)[0]["value"] == Decimal("999999999999999.99")
    deals = {d["currency"]: d for d in _json(cli, "pipeline")}
    assert deals["USD"]["value"] == Decimal("999999999999999.99")
    # csv keeps the same text
    assert ",999999999999999.99," in cli("list", "-f", "csv").out
    cli("log", "an", "email", "order", "--amount", "123456789012345.678 KWD", "--deal", "none")
    touch = json.loads(cli("export", "touches", "-f", "json").out, parse_float=Decimal)[0]
    assert (touch["amount"], touch["currency"]) == (Decimal("123456789012345.678"), "KWD")
    assert '"amount": 123456789012345.678, ' in cli("export", "touches", "-f", "jsonl").out


def test_csv_and_tsv_keep_their_documented_cells(book):
    import csv

    rows = list(csv.DictReader(book("list", "-f", "csv").lines))
    an = next(r for r in rows if r["id"] == "1")
    assert (an["tags"], an["roles"], an["emails"], an["customer"], an["value"]) == (
        "hcm,vip", "buyer,decider", "an@mp.vn ::: an@gmail.com", "1", "13500.5")
    assert next(r for r in rows if r["id"] == "3")["customer"] == "0"
    tsv = book("export", "accounts", "-f", "tsv").lines
    key = tsv[0].split("\t").index("key")
    assert [r.split("\t")[key] for r in tsv[1:]] == ["1", "0"]
    assert "\tprice,reputation\t" in tsv[1]
    assert ",\"Collins, Sarah, Nguyễn Văn An\"," in book("deal", "list", "-f", "csv").out
    assert "\t1,2\t" in book("export", "deals", "-f", "tsv").out
    assert '"two\nplants\nthree shifts"' in book("export", "calls", "-f", "csv").out


@pytest.mark.parametrize("kind", ["json", "jsonl"])
def test_typed_export_imports_back_identically(book, tmp_path, kind):
    first = tmp_path / f"first.{kind}"
    book("export", "all", "-f", kind, "-o", str(first))
    text = first.read_text(encoding="utf-8")
    assert '"tags": ["hcm", "vip"]' in text and '"key": true' in text
    assert '"people_ids": [1, 2]' in text and '"situation": ["two\\nplants", "three shifts"]' \
        in text
    other = tmp_path / "other.db"
    book("--db", str(other), "import", str(first))
    again = tmp_path / f"again.{kind}"
    book("--db", str(other), "export", "all", "-f", kind, "-o", str(again))
    assert again.read_bytes() == first.read_bytes()


_JOINED = {"emails": " ::: ", "phones": " ::: ", "situation": "\n", "problem": "\n",
           "implication": "\n", "need_payoff": "\n", "implied_need": "\n",
           "explicit_need": "\n"}


def _untyped(value, key=None):
    """A typed export as an older relcrm wrote it: lists joined in one text, flags 1/0, ids
    comma-separated, amounts as text."""
    if isinstance(value, dict):
        return {k: _untyped(v, k) for k, v in value.items()}
    if isinstance(value, list):
        if key in ("format",) or (value and isinstance(value[0], dict)) or key in (
                "prospects", "touches", "calls", "stages", "qualifications", "accounts",
                "roles", "kam", "steps", "step_changes", "deals", "deal_changes", "settings",
                "aliases", "facts", "dates", "occasions"):
            return [_untyped(v) for v in value]
        return _JOINED.get(key, ",").join(str(v) for v in value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def test_an_older_untyped_export_still_imports(book, tmp_path):
    typed = tmp_path / "typed.json"
    book("export", "all", "-f", "json", "-o", str(typed))
    document = json.loads(typed.read_text(encoding="utf-8"), parse_float=Decimal)
    old = _untyped(document)
    assert old["prospects"][0]["tags"] == "hcm,vip" and old["accounts"][0]["key"] == 1
    assert old["prospects"][0]["emails"] == "an@mp.vn ::: an@gmail.com"
    older = tmp_path / "older.json"
    older.write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    other = tmp_path / "other.db"
    book("--db", str(other), "import", str(older))
    again = tmp_path / "again.json"
    book("--db", str(other), "export", "all", "-f", "json", "-o", str(again))
    # the same book, but for the call's note that spans lines (an older export's cell
    # cannot tell its lines from notes)
    first = json.loads(typed.read_text(encoding="utf-8"))
    second = json.loads(again.read_text(encoding="utf-8"))
    assert second["calls"][0].pop("situation") == ["two", "plants", "three shifts"]
    first["calls"][0].pop("situation")
    assert second == first
