"""Accounts, the decision-making unit, key-account stages, candidates, account follow-ups."""

import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

ON = lambda day: {"RELCRM_TODAY": day}  # noqa: E731
FIXTURES = Path(__file__).parent / "fixtures"


def accounts(cli, *args):
    return {r["name"]: r for r in json.loads(cli("account", "list", "-f", "json", *args).out)}


@pytest.fixture
def minh(cli):
    """Minh Phát with two people, and Hòa Bình with one."""
    cli.add("Nguyễn Văn An", "--company", "Minh Phát", "--title", "Purchasing manager")
    cli.add("Ngô Thị Lan", "--company", "minh phat", "--title", "Operations")
    cli.add("Trần Thị Bình", "--company", "Hòa Bình")
    return cli


# -- accounts --------------------------------------------------------------------------------------
def test_companies_become_accounts_matched_without_accents_or_case(minh):
    found = accounts(minh)
    assert set(found) == {"Minh Phát", "Hòa Bình"}
    assert found["Minh Phát"]["people"] == 2 and found["Minh Phát"]["key"] == 0
    assert minh.sql("SELECT company FROM prospect ORDER BY id") == [
        ("Minh Phát",), ("Minh Phát",), ("Hòa Bình",)]  # the account's spelling
    minh("edit", "binh", "--company", "MINH PHÁT")
    assert accounts(minh)["Minh Phát"]["people"] == 3
    minh("edit", "binh", "--company", "")
    assert minh.one("SELECT account_id FROM prospect WHERE id = 3") is None


def test_account_add_edit_and_list(cli):
    out = cli("account", "add", "Sài Gòn Tech", "--industry", "Software", "--key",
              "--buy-class", "new task", "--criterion", "price", "--criterion", "Uy tín").out
    assert out == "Added account #1 Sài Gòn Tech (key, Pre-KAM).\n"
    record = accounts(cli)["Sài Gòn Tech"]
    assert (record["industry"], record["kam_stage"], record["buy_class"], record["criteria"]) == (
        "Software", "pre", "new-task", ["price", "reputation"])
    cli.add("Phạm Minh Dũng", "--company", "sai gon tech")
    assert accounts(cli)["Sài Gòn Tech"]["people"] == 1
    cli("account", "edit", "sai gon", "--name", "Saigon Technology", "--drop-criterion", "price",
        "--criterion", "technical support", "--no-key")
    record = accounts(cli)["Saigon Technology"]
    assert record["criteria"] == ["reputation", "technical-support"] and record["key"] == 0
    assert cli.one("SELECT company FROM prospect") == "Saigon Technology"
    assert "Saigon Technology" in cli("list", "--company", "saigon").out
    assert list(accounts(cli, "--key")) == []


def test_account_list_filters_by_kam_stage_and_name(minh):
    minh("account", "add", "Minh Long", "--key")
    minh("account", "edit", "minh phat", "--key")
    minh("kam", "advance", "minh phat")
    assert list(accounts(minh, "--kam", "early")) == ["Minh Phát"]
    assert list(accounts(minh, "--kam", "Pre-KAM")) == ["Minh Long"]
    assert list(accounts(minh, "--search", "MINH")) == ["Minh Long", "Minh Phát"]
    assert list(accounts(minh, "-s", "hoa binh")) == ["Hòa Bình"]
    assert list(accounts(minh, "--kam", "mid")) == []
    assert minh("account", "list", "--kam", "mid").out == "No accounts match.\n"
    minh.fails(2, "account", "list", "--kam", "late", match="unknown key-account stage 'late'")


def test_account_merge_folds_one_spelling_into_the_other(minh):
    minh.add("Đỗ Hùng", "--company", "Minh Phat JSC", "--title", "CEO")
    minh("role", "hung", "decider")
    minh("log", "hung", "visit", env=ON("2026-11-20"))
    minh("account", "edit", "jsc", "--key", "--industry", "Plastics", "--criterion", "price",
         "--criterion", "delivery", "--note", "met at the fair", env=ON("2026-11-02"))
    minh("kam", "advance", "jsc", "--reason", "site visit", env=ON("2026-11-10"))
    minh("account", "edit", "minh phat", "--key", "--criterion", "price", "--note", "HQ",
         env=ON("2026-11-05"))
    out = minh("account", "merge", "jsc", "minh phát").out
    assert out == ("Merged account #3 Minh Phat JSC into #1 Minh Phát: 1 person and 2 KAM "
                   "changes moved (key, Early-KAM).\n")
    found = accounts(minh)
    assert set(found) == {"Minh Phát", "Hòa Bình"}
    merged = found["Minh Phát"]
    assert (merged["people"], merged["deciders"], merged["industry"], merged["criteria"],
            merged["note"], merged["kam_stage"], merged["last_touch_at"]) == (
        3, 1, "Plastics", ["delivery", "price"], "HQ\nmet at the fair", "early",
        "2026-11-20T12:00:00")
    assert minh.one("SELECT company FROM prospect WHERE name = 'Đỗ Hùng'") == "Minh Phát"
    assert "Đỗ Hùng" in minh("list", "--company", "minh phat").out
    history = json.loads(minh("kam", "history", "minh", "-f", "json").out)
    assert [(h["at"][:10], h["to_stage"], h["reason"]) for h in history] == [
        ("2026-11-02", "pre", "marked key (as Minh Phat JSC)"),
        ("2026-11-05", "pre", "marked key"),
        ("2026-11-10", "early", "site visit (as Minh Phat JSC)")]
    assert minh.one("SELECT count(*) FROM account_criterion WHERE account_id = 3") == 0
    minh.fails(1, "account", "show", "jsc", match="no account matches 'jsc'")


@pytest.mark.parametrize("args, code, match", [
    (["account", "merge", "minh", "minh phat"], 2, "are the same account (#1 Minh Phát)"),
    (["account", "merge", "nowhere", "minh"], 1, "no account matches 'nowhere'"),
    (["account", "merge", "minh", "99"], 1, "no account with id 99"),
])
def test_account_merge_refuses(minh, args, code, match):
    minh.fails(code, *args, match=match)


@pytest.mark.parametrize("args, code, match", [
    (["account", "add", "minh phát"], 2, "there is already an account 'Minh Phát' (#1)"),
    (["account", "add", ""], 2, "account name cannot be empty"),
    (["account", "edit", "minh"], 2, "nothing to change"),
    (["account", "edit", "minh", "--buy-class", "impulse"], 2, "unknown buy class 'impulse'"),
    (["account", "edit", "minh", "--criterion", "vibes"], 2, "unknown criterion 'vibes'"),
    (["account", "edit", "minh", "--name", "Hòa Bình"], 2, "there is already an account"),
    (["account", "edit", "nowhere", "--key"], 1, "no account matches 'nowhere'"),
    (["account", "show", "42"], 1, "no account with id 42"),
    (["account", "show", "h"], 2, "matches several accounts"),
])
def test_account_commands_reject_bad_input(minh, args, code, match):
    minh("account", "add", "Hải Đăng")
    minh.fails(code, *args, match=match)


# -- decision-making unit --------------------------------------------------------------------------
def test_roles_and_authority_from_the_decider(minh):
    assert minh("role", "an", "decider", "Người gây ảnh hưởng").out == (
        "#1 Nguyễn Văn An at Minh Phát: decider, influencer.\n")
    assert minh.one("SELECT authority FROM prospect WHERE id = 1") == "yes"
    assert "authority yes" in minh("show", "an").out
    assert "roles          decider, influencer (buying centre of Minh Phát)" in minh(
        "show", "an").out
    minh("qualify", "an", "--authority", "partial")  # a judgement beats the role
    assert minh.one("SELECT authority FROM prospect WHERE id = 1") == "partial"
    minh("role", "lan", "decider")
    minh("role", "lan", "--remove", "decider")
    assert minh.one("SELECT authority FROM prospect WHERE id = 2") is None
    assert minh("role", "lan").out == "#2 Ngô Thị Lan at Minh Phát: no role known.\n"
    record = json.loads(minh("role", "an", "-f", "json").out)[0]
    assert record == {"id": 1, "name": "Nguyễn Văn An", "company": "Minh Phát",
                      "roles": ["decider", "influencer"], "authority": "partial"}


@pytest.mark.parametrize("args, code, match", [
    (["role", "an", "boss"], 2, "unknown role 'boss'; use: initiator, user, decider"),
    (["role", "ghost", "user"], 1, "no prospect matches 'ghost'"),
    (["role", "loner", "user"], 2, "has no company: roles are in an organisation's buying "
                                   "centre"),
])
def test_role_rejects_bad_input(minh, args, code, match):
    minh.add("Loner")
    minh.fails(code, *args, match=match)


def test_account_show_groups_people_by_role_and_flags_gaps(minh):
    out = minh("account", "show", "minh").out
    assert "gap: no known decider" in out
    minh("role", "an", "decider")
    assert "gap: the decider Nguyễn Văn An has not been touched yet\n" in \
        minh("account", "show", "minh").out
    minh("role", "lan", "user", "gatekeeper")
    minh("log", "an", "visit", "plant tour", env=ON("2026-10-01"))
    minh("edit", "lan", "--next", "fri", "--next-step", "line audit")
    out = minh("account", "show", "minh").out
    assert "no known decider" not in out
    assert "gap: the decider Nguyễn Văn An has not been touched for 55 days (more than 30)" in out
    centre = out.split("Buying centre (đơn vị quyết định)")[1]
    assert "Decider     #1 Nguyễn Văn An  Purchasing manager, Attract; last touch Thu 2026-10-01" \
        in centre
    assert "Gatekeeper  #2 Ngô Thị Lan" in centre and "Initiator   —" in centre
    assert "Open steps\n#1  Fri 2026-11-27  Ngô Thị Lan  todo  line audit\n" in out
    assert ("Last touches with anyone there\nThu 2026-10-01 12:00  Nguyễn Văn An  visit  "
            "plant tour\n") in out
    single = minh("account", "show", "hoa binh").out
    assert "gap: only one contact: a single point of contact is the most fragile" in single
    record = json.loads(minh("account", "show", "minh", "-f", "json").out)
    assert [p["name"] for p in record["people"]] == ["Ngô Thị Lan", "Nguyễn Văn An"]
    assert record["gaps"][0].startswith("the decider Nguyễn Văn An has not been touched")


# -- key-account stages ----------------------------------------------------------------------------
def test_kam_stages_set_advance_history(minh):
    minh.fails(2, "kam", "advance", "minh", match="Minh Phát is not a key account; mark it first")
    minh("account", "edit", "minh", "--key", env=ON("2026-11-01"))
    assert minh("kam", "advance", "minh", "--reason", "first trust",
                env=ON("2026-11-10")).out == "#1 Minh Phát: Pre-KAM → Early-KAM (đầu CKL).\n"
    minh("kam", "set", "minh", "partnership", env=ON("2026-11-20"))
    minh("kam", "advance", "minh")
    minh.fails(2, "kam", "advance", "minh", match="already at Synergistic-KAM, the last stage")
    minh.fails(2, "kam", "set", "minh", "uncoupling", match="uncoupling needs --reason")
    minh("kam", "set", "minh", "uncoupling", "--reason", "new CEO changed supplier")
    minh.fails(2, "kam", "advance", "minh", match="is uncoupled; reopen with")
    history = json.loads(minh("kam", "history", "minh", "-f", "json").out)
    assert [(h["from_stage"], h["to_stage"], h["reason"]) for h in history] == [
        (None, "pre", "marked key"), ("pre", "early", "first trust"),
        ("early", "partnership", None), ("partnership", "synergistic", None),
        ("synergistic", "uncoupling", "new CEO changed supplier")]
    assert "Synergistic-KAM  Uncoupling-KAM   new CEO changed supplier" in minh(
        "kam", "history", "minh").out
    minh("kam", "set", "minh", "2")
    assert accounts(minh)["Minh Phát"]["kam_stage"] == "early"


@pytest.mark.parametrize("args, code, match", [
    (["kam", "set", "minh", "best-friends"], 2, "unknown key-account stage 'best-friends'"),
    (["kam", "set", "minh", "pre"], 2, "already at Pre-KAM"),
    (["kam", "set", "nowhere", "mid"], 1, "no account matches 'nowhere'"),
    (["kam", "history", "nowhere"], 1, "no account matches"),
])
def test_kam_rejects_bad_input(minh, args, code, match):
    minh("account", "edit", "minh", "--key")
    minh.fails(code, *args, match=match)


def test_kam_list_shows_the_stages_and_cadences(cli):
    rows = json.loads(cli("kam", "list", "-f", "json").out)
    assert [(r["key"], r["cadence_days"]) for r in rows] == [
        ("pre", 21), ("early", 14), ("mid", 10), ("partnership", 7), ("synergistic", 7),
        ("uncoupling", None)]


# -- candidates ------------------------------------------------------------------------------------
def test_candidates_rank_by_order_value_and_mark_the_80_percent(cli):
    for name, company in (("A", "Alpha"), ("B", "Beta"), ("C", "Gamma"), ("D", "Delta")):
        cli.add(name, "--company", company)
    cli("call", "a", "-o", "order", "--commitment", "PO 1", "--amount", "600")
    cli("log", "a", "email", "PO 2", "--amount", "100")
    cli("call", "b", "-o", "order", "--commitment", "PO", "--amount", "150")
    cli("call", "c", "-o", "order", "--commitment", "PO", "--amount", "100")
    cli("call", "d", "-o", "advance", "--commitment", "trial")  # no order
    rows = json.loads(cli("account", "candidates", "-f", "json").out)
    assert [(r["name"], r["order_value"], r["in_80"]) for r in rows] == [
        ("Alpha", 700, True), ("Beta", 150, True), ("Gamma", 100, False)]
    assert rows[0]["share"] == pytest.approx(700 / 950)
    out = cli("account", "candidates").out
    assert out.splitlines()[0] == "2 of 3 accounts with orders make 80% of order value"
    assert "not yet" in out  # in the 80% but not marked key
    touches = cli("account", "show", "alpha").out.split("Last touches with anyone there\n")[1]
    assert touches.splitlines() == ["Wed 2026-11-25 12:00  A  email       order of 100; PO 2",
                                    "Wed 2026-11-25 12:00  A  call order  600"]
    cli.fails(2, "call", "d", "-o", "advance", "--commitment", "x", "--amount", "5",
              match="--amount is the value of an order; give it with --outcome order")
    cli.fails(2, "log", "d", "email", "--amount", "lots", match="amount 'lots' has no number")


def test_no_orders_yet(cli):
    assert "No orders recorded yet" in cli("account", "candidates").out


# -- follow-ups ------------------------------------------------------------------------------------
def test_key_accounts_get_follow_ups_of_their_own(minh):
    minh("role", "an", "decider")
    minh("log", "an", "visit", env=ON("2026-11-01"))
    minh("log", "lan", "call", env=ON("2026-11-05"))
    minh("account", "edit", "minh", "--key", env=ON("2026-10-01"))
    minh("kam", "set", "minh", "mid", env=ON("2026-10-01"))
    minh("account", "edit", "hoa binh", "--key")
    rows = json.loads(minh("followups", "-f", "json").out)
    mine = [r for r in rows if r["subject"] == "account"]
    assert [(r["company"], r["reason"], r["due_on"]) for r in mine] == [
        ("Minh Phát", "account-quiet", "2026-11-16"),  # 11-05 + 10 is a Sunday
        ("Hòa Bình", "no-decider", "2026-11-25")]
    quiet = mine[0]
    assert quiet["why"] == ("key account gone quiet: no touch with anyone there for 20 days "
                            "(Mid-KAM: every 10 days)")
    assert quiet["account_id"] == 1 and quiet["id"] is None and quiet["days_overdue"] == 9
    table = minh("followups").out
    assert "(key account)  Minh Phát" in table and "Mid-KAM" in table
    minh("kam", "set", "minh", "uncoupling", "--reason", "lost them")
    minh("account", "edit", "hoa binh", "--no-key")
    assert not [r for r in json.loads(minh("followups", "-f", "json").out)
                if r["subject"] == "account"]


def test_account_follow_ups_in_the_calendar(minh, tmp_path):
    from icalendar import Calendar

    minh("account", "edit", "minh", "--key")
    minh("followups", "--ics", str(tmp_path / "f.ics"))
    events = {str(e["summary"]): e for e in
              Calendar.from_ical((tmp_path / "f.ics").read_bytes()).walk("VEVENT")}
    event = events["Follow up: key account Minh Phát"]
    assert str(event["uid"]) == "relcrm-account-1@relcrm"  # one uid for life
    assert "relcrm account show 1" in str(event["description"])


# -- data: upgrade, import, export -----------------------------------------------------------------
def test_the_v1_book_upgrades_its_companies_into_accounts(cli):
    shutil.copy(FIXTURES / "books" / "v1.db", cli.path)
    before = sqlite3.connect(cli.path).execute(
        "SELECT id, company FROM prospect ORDER BY id").fetchall()
    found = accounts(cli)
    companies = {c for _, c in before if c}
    assert set(found) == companies
    linked = dict(cli.sql("SELECT p.id, a.name FROM prospect p LEFT JOIN account a "
                          "ON a.id = p.account_id ORDER BY p.id"))
    assert linked == {pid: company for pid, company in before}
    active = dict(cli.sql("SELECT company, count(*) FROM prospect WHERE stage <> 'lost' "
                          "GROUP BY company"))
    assert {name: r["people"] for name, r in found.items()} == {
        name: active.get(name, 0) for name in found}


def test_contact_imports_join_existing_accounts(cli):
    cli.add("Somebody", "--company", "minh phat")
    cli("import", str(Path(__file__).parent.parent / "examples" / "Connections.csv"))
    found = accounts(cli)
    assert found["minh phat"]["people"] == 2  # the first spelling names the account
    assert {"Pacific Office Supplies", "Sài Gòn Tech"} <= set(found)


def test_accounts_roles_and_kam_export(minh):
    minh("role", "an", "decider", "buyer")
    minh("account", "edit", "minh", "--key", "--criterion", "price")
    minh("kam", "advance", "minh", "--reason", "trust")
    accounts_out = json.loads(minh("export", "accounts", "-f", "json").out)
    assert accounts_out[0]["criteria"] == ["price"] and accounts_out[0]["kam_stage"] == "early"
    roles = json.loads(minh("export", "roles", "-f", "json").out)
    assert [(r["prospect"], r["role"]) for r in roles] == [("Nguyễn Văn An", "buyer"),
                                                            ("Nguyễn Văn An", "decider")]
    kam = json.loads(minh("export", "kam", "-f", "json").out)
    assert [k["to_stage"] for k in kam] == ["pre", "early"]
    only = json.loads(minh("export", "accounts", "binh", "-f", "json").out)
    assert [a["name"] for a in only] == ["Hòa Bình"]


def test_an_imported_key_account_without_kam_history_starts_at_pre_kam(cli, tmp_path):
    """A key account from a file that has no KAM stage starts at pre-KAM, as --key does: its
    history says so and follow-ups use pre-KAM's cadence."""
    path = tmp_path / "accounts.csv"
    other = tmp_path / "other.db"
    cli("--db", other, "account", "add", "Thiên Long", "--key", env=ON("2026-11-01"))
    exported = cli("--db", other, "export", "accounts", "-f", "csv").out
    rows = list(csv.DictReader(io.StringIO(exported)))
    rows[0].update(kam_stage="", kam_since="")
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    cli("import", path)
    history = json.loads(cli("kam", "history", "thien", "-f", "json").out)
    assert [(h["at"][:10], h["to_stage"], h["reason"]) for h in history] == [
        ("2026-11-01", "pre", "imported")]
    due = json.loads(cli("followups", "-f", "json").out)
    assert [(r["company"], r["due_on"], r["reason"]) for r in due] == [
        ("Thiên Long", "2026-11-23", "account-quiet,no-decider")]  # 11-22 is a Sunday
