"""relcrm search: every note of the book found without accents or case, through the real CLI.

The issue's case ("do hang" finds a SPIN note "... hàng bị đổ ..."); each source of notes with
whose it is and its date; ranking as SQLite's bm25 gives it; --limit and the heading; the
snippet window and its highlights (none in a pipe; on a terminal the found words styled and
hostile text shown escaped); queries full of FTS5 syntax; and the index following every write
in the same command: edits, deletes, undo, merges, import of an export, restore of a backup,
and the upgrade of a book made before the index existed (tests/fixtures/books/v5.db).
"""

import json
import os
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from conftest import TODAY, Cli
from relcrm import db, render
from relcrm.core import derive, search

BOOKS = Path(__file__).parent / "fixtures" / "books"
ISSUE = "khách phàn nàn hàng bị đổ khi vận chuyển"
SGR = re.compile(r"\x1b\[[0-9;]*m")  # rich's own colours
MARKUP = "[link=https://evil.example/phish]Bank login[/link] [bold red]x[/bold red]"
ATTACK = ("\x1b[2J" "\x1b]0;pwned\x07" "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\"
          "\x9b31m" "\u202e" "\u2066" "\x7f")


def ON(moment: str) -> dict:
    return {"RELCRM_TODAY": moment}


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    """Each book built once for the module (a new book costs half a second of migrations);
    `copy(name, build)` gives the test's own book a copy of it."""
    home = tmp_path_factory.mktemp("search")
    made = {}

    def copy(cli: Cli, name: str, build) -> Cli:
        if name not in made:
            path = home / f"{name}.db"
            maker = Cli(path)
            env = {"RELCRM_DB": str(path), "RELCRM_TODAY": TODAY, "HOME": str(home / "home"),
                   "XDG_DATA_HOME": str(home / "data"), "NO_COLOR": None}
            run = maker.run
            maker.run = lambda *a, **kw: run(*a, env={**env, **(kw.pop("env", None) or {})},
                                             **kw)
            build(maker)
            db.close_all()
            db.select(None)
            made[name] = path
        db.close_all()
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{made[name]}{suffix}").exists():
                shutil.copy(f"{made[name]}{suffix}", f"{cli.path}{suffix}")
        os.chmod(cli.path, 0o600)
        return cli

    return copy


def hits(cli, *query: str, **kw) -> list[dict]:
    return json.loads(cli("search", *query, "-f", "json", **kw).out)


def texts(cli, *query: str) -> list[str]:
    return [h["text"] for h in hits(cli, *query)]


def whole(path) -> None:
    """The index holds exactly what a rebuild from the notes gives (nothing stale, nothing
    missing, nothing left over)."""
    con = sqlite3.connect(path, isolation_level=None)
    try:
        index = set(con.execute("SELECT rowid, body FROM _search"))
        con.execute("BEGIN")
        search.rebuild(con)
        rebuilt = set(con.execute("SELECT rowid, body FROM _search"))
        con.execute("ROLLBACK")
    finally:
        con.close()
    assert index == rebuilt, (index - rebuilt, rebuilt - index)


# -- the issue -----------------------------------------------------------------------------------
def _issue(cli):
    cli.add("Nguyễn Văn An", "--company", "Minh Phát", env=ON("2026-11-20T09:00"))
    cli("call", "an", "--outcome", "continuation", "--problem", ISSUE,
        env=ON("2026-11-23T10:00"))


@pytest.fixture
def issue(cli, templates):
    return templates(cli, "issue", _issue)


@pytest.fixture
def an(cli, templates):
    """A book with one person, An (#1), and nothing else."""
    return templates(cli, "an", lambda maker: maker.add("An"))


def test_the_issue_a_spin_note_found_without_accents_or_case(issue):
    for query in ("do hang", "ĐỔ HÀNG", "đổ hàng", "Do Hàng", "hang do", "đ", "DO", "van chuy",
                  "phàn nàn khách", "  do   hang  "):
        assert [(h["source"], h["what"], h["prospect_id"], h["prospect"], h["account"],
                 h["at"], h["text"]) for h in hits(issue, query)] == [
            ("SPIN note", "problem", 1, "Nguyễn Văn An", "Minh Phát", "2026-11-23T10:00:00",
             ISSUE)], query


def test_every_word_must_start_a_word_of_the_note(issue):
    for query in ("do hang xyz",  # every word must appear
                  "uyen",  # the middle of a word is not the start of one
                  "hangbi", "dohang", "chuyenx"):
        assert hits(issue, query) == [], query
        assert issue("search", query).out == f"Nothing found for {query!r}.\n"


def test_the_table_in_a_pipe(issue):
    result = issue("search", "ĐỔ HÀNG")
    assert "\x1b" not in result.out
    assert result.lines[0] == "1 hit for 'ĐỔ HÀNG'"
    assert result.lines[1].split() == ["When", "Whose", "What", "Found"]
    assert result.lines[2].split("  ")[0] == "Mon 2026-11-23 10:00"
    assert "#1 Nguyễn Văn An (Minh Phát)" in result.lines[2]
    assert result.lines[2].endswith("problem  " + ISSUE)
    assert len(result.lines) == 3


# -- every source, with whose it is and when -------------------------------------------------------
SOURCES = [  # query, source, what, prospect id, account id, at, text
    ("tra sen", "profile note", "profile note", 1, 1, "2026-11-02T09:00:00",
     "An thích uống trà sen"),
    ("hoi cho", "touch", "meeting", 1, 1, "2026-11-03T10:00:00", "gặp ở hội chợ bao bì"),
    ("thu mang co", "touch", "call (advance)", 1, 1, "2026-11-04T10:00:00",
     "khách hứa dùng thử màng co"),
    ("may dong goi", "SPIN note", "situation", 1, 1, "2026-11-04T10:00:00",
     "dùng máy đóng gói cũ"),
    ("dat hang", "touch", "call (advance)", 2, None, "2026-11-05T08:00:00",
     "Bình báo sẽ đặt hàng — gửi hợp đồng trước thứ sáu"),
    ("catalogue", "step", "step, done", 1, None, "2026-11-10",
     "gửi catalogue túi zip — khách đã nhận catalogue"),
    ("binh duong", "account note", "account note", None, 1, "2026-11-05T09:00:00",
     "kho ở Bình Dương"),
    ("chong am", "judgement", "judgement: need yes", 1, 1, "2026-11-06T09:00:00",
     "cần bao bì chống ẩm"),
    ("xuat khau", "deal", "deal, open", None, 1, "2026-11-07T09:00:00",
     "Túi zip xuất khẩu — giao hàng tháng mười hai"),
    ("thang muoi hai", "deal", "deal, open", None, 1, "2026-11-07T09:00:00",
     "Túi zip xuất khẩu — giao hàng tháng mười hai"),
    ("khao sat", "step", "step, open", None, 1, "2026-11-30T14:00:00", "khảo sát nhà xưởng"),
]


@pytest.fixture
def sources(cli, templates):
    return templates(cli, "sources", _sources)


def _sources(cli):
    """One note of each kind, each at its own moment (nothing edits a record after its note)."""
    def run(moment, *args):
        return cli(*args, env=ON(moment))

    cli.add("Nguyễn Văn An", "--company", "Minh Phát", "--note", "An thích uống trà sen",
            env=ON("2026-11-02T09:00"))
    cli.add("Trần Thị Bình", env=ON("2026-11-02T09:00"))
    run("2026-11-03T10:00", "log", "an", "meeting", "gặp ở hội chợ bao bì")
    run("2026-11-04T10:00", "call", "an", "--outcome", "advance", "--commitment",
        "khách hứa dùng thử màng co", "--situation", "dùng máy đóng gói cũ")
    run("2026-11-04T11:00", "step", "add", "an", "2026-11-10", "gửi catalogue túi zip")
    run("2026-11-05T08:00", "call", "binh", "--outcome", "advance", "--commitment",
        "gửi hợp đồng trước thứ sáu", "--note", "Bình báo sẽ đặt hàng", "--at",
        "2026-11-05 08:00")
    run("2026-11-05T09:00", "account", "edit", "minh phat", "--note", "kho ở Bình Dương")
    run("2026-11-06T09:00", "qualify", "an", "--need", "yes", "--note", "cần bao bì chống ẩm")
    run("2026-11-07T09:00", "deal", "add", "minh phat", "Túi zip xuất khẩu", "--note",
        "giao hàng tháng mười hai", "--with", "an")
    run("2026-11-08T09:00", "account", "step", "minh phat", "2026-11-30 14:00",
        "khảo sát nhà xưởng")
    run("2026-11-09T11:00", "step", "done", "1", "--note", "khách đã nhận catalogue")


@pytest.mark.parametrize("query,source,what,pid,account,at,text", [
    pytest.param(*s, id=s[0], marks=())
    for s in SOURCES])
def test_every_source_is_found_with_whose_and_when(sources, query, source, what, pid, account,
                                                    at, text):
    found = hits(sources, query)
    assert len(found) == 1, found
    hit = found[0]
    names = {None: None, 1: "Nguyễn Văn An", 2: "Trần Thị Bình"}
    assert (hit["source"], hit["what"], hit["at"], hit["text"]) == (source, what, at, text)
    assert (hit["prospect_id"], hit["prospect"]) == (pid, names[pid])
    if pid is None or source != "step":  # see test_a_persons_step_names_their_account
        assert (hit["account_id"], hit["account"]) == (
            account, {None: None, 1: "Minh Phát"}[account])
    assert hit["snippet"] == text and hit["rank"] >= 0


def test_a_persons_step_names_their_account(sources):
    (step,) = hits(sources, "catalogue")
    (touch,) = hits(sources, "hoi cho")
    assert (step["account_id"], step["account"]) == (touch["account_id"], touch["account"])


def test_the_table_names_the_person_or_the_account(sources):
    lines = sources("search", "tui zip").lines
    assert lines[0] == "2 hits for 'tui zip'"
    rows = sorted(re.split(r"  +", line) for line in lines[2:])
    assert rows == [
        ["Sat 2026-11-07 09:00", "Minh Phát", "deal, open",
         "Túi zip xuất khẩu — giao hàng tháng mười hai"],
        ["Tue 2026-11-10", "#1 Nguyễn Văn An (Minh Phát)", "step, done",
         "gửi catalogue túi zip — khách đã nhận catalogue"]]


def test_a_note_edited_later_is_found_by_its_new_words_only(sources):
    sources("edit", "an", "--note", "An thích cà phê sữa đá")
    sources("account", "edit", "minh phat", "--note", "kho mới ở Long An")
    assert hits(sources, "tra sen") == [] and hits(sources, "binh duong") == []
    assert texts(sources, "ca phe") == ["An thích cà phê sữa đá"]
    assert texts(sources, "long an") == ["kho mới ở Long An"]
    whole(sources.path)


# -- ranking ---------------------------------------------------------------------------------------
RANKED = ("giao hàng chậm", ("hôm nay khách hỏi về giao hàng, về kho ở Bình Dương, về giá mới "
                             "và về chuyện chậm thanh toán tháng trước"),
          "giao hàng chậm, lại giao hàng chậm",
          "gửi báo giá", "gọi điện hỏi thăm", "khách đi công tác", "hẹn gặp tuần sau",
          "khách bận họp", "gửi mẫu túi")


def _bm25(note: str, query: str) -> float:
    """Okapi BM25 as FTS5 computes it (k1 1.2, b 0.75, idf floored at 1e-6), each query word
    a prefix, over the notes of RANKED (the whole index of the test's book)."""
    import math

    from relcrm.text import fold

    docs = [re.findall(r"\w+", fold(text)) for text in RANKED]
    mean = sum(map(len, docs)) / len(docs)
    doc, score = re.findall(r"\w+", fold(note)), 0.0
    for word in query.split():
        having = sum(any(token.startswith(word) for token in d) for d in docs)
        idf = max(math.log((len(docs) - having + 0.5) / (having + 0.5)), 1e-6)
        tf = sum(token.startswith(word) for token in doc)
        score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(doc) / mean))
    return round(score, 3)


def test_ranking_is_bm25_with_more_and_denser_words_first(an):
    """The rank shown is SQLite's bm25, negated (higher is better): the note with the words
    twice first (2.439), then the short one (2.335), then the long one (0.86)."""
    for text in RANKED:
        an("log", "1", "email", text)
    assert an.one("SELECT count(*) FROM _search") == len(RANKED)
    for query in ("giao hang cham", "giao", "cham", "gui", "khach"):
        found = hits(an, query)
        expected = sorted(((_bm25(t, query), i, t) for i, t in enumerate(RANKED)
                           if _bm25(t, query) > 0), reverse=True)  # equals: the later first
        assert [(h["rank"], h["text"]) for h in found] == [(r, t) for r, _, t in expected], query
    assert [h["rank"] for h in hits(an, "giao hang cham")] == [2.439, 2.335, 0.86]
    assert [h["text"][:22] for h in hits(an, "giao hang cham")] == [
        "giao hàng chậm, lại gi", "giao hàng chậm", "hôm nay khách hỏi về g"]


def test_a_common_word_still_ranks_but_shows_rank_zero(an):
    """A word in half the notes or more has no weight in bm25 (SQLite floors its idf at 1e-6):
    the rank shown rounds to 0; the order still puts the denser note first."""
    cli = an
    for text in ("giao hàng", "giao hàng, giao hàng", "gửi báo giá"):
        cli("log", "1", "email", text)
    found = hits(cli, "giao hang")
    assert [(h["text"], h["rank"]) for h in found] == [("giao hàng, giao hàng", 0),
                                                       ("giao hàng", 0)]


def test_equal_notes_come_newest_first(an):
    cli = an
    cli("log", "1", "email", "gửi báo giá", "--at", "2026-11-20 09:00")  # touch 1, newer
    cli("log", "1", "email", "gửi báo giá", "--at", "2026-11-02 09:00")  # touch 2, older
    for text in ("khách đi công tác", "hẹn gặp tuần sau", "khách bận họp"):
        cli("log", "1", "email", text)
    assert [h["at"] for h in hits(cli, "bao gia")] == ["2026-11-20T09:00:00",
                                                       "2026-11-02T09:00:00"]


# -- limit and heading -----------------------------------------------------------------------------
def _many(cli):
    cli.add("An")
    for i in range(21):
        cli("log", "1", "email", f"giao hàng lần {i}")
    cli("log", "1", "email", "gửi báo giá")


@pytest.fixture
def many(cli, templates):
    return templates(cli, "many", _many)


@pytest.mark.parametrize("args,heading,rows", [
    ((), "20 of 21 hits for 'giao hang'", 20),
    (("--limit", "3"), "3 of 21 hits for 'giao hang'", 3),
    (("-l", "21"), "21 hits for 'giao hang'", 21),
    (("--limit", "1000"), "21 hits for 'giao hang'", 21),
], ids=["default", "3", "all", "more"])
def test_limit_and_the_heading(many, args, heading, rows):
    lines = many("search", "giao hang", *args).lines
    assert lines[0] == heading
    assert len(lines) == 2 + rows
    assert len(hits(many, "giao hang", *args)) == rows


def test_one_hit_and_none(many):
    assert many("search", "bao gia").lines[0] == "1 hit for 'bao gia'"
    assert many("search", "bao gia xyz").out == "Nothing found for 'bao gia xyz'.\n"
    assert hits(many, "bao gia xyz") == []
    assert many("search", "bao gia xyz", "-f", "csv").out.splitlines() == [
        "source,what,at,prospect_id,prospect,account_id,account,snippet,text,rank"]


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_a_limit_below_one_is_refused(many, limit):
    many.fails(2, "search", "giao", "--limit", limit, match="--limit must be 1 or more")


def test_machine_formats_keep_the_columns(many):
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(many("search", "bao", "-f", "csv").out)))
    assert [(r["source"], r["what"], r["prospect"], r["text"]) for r in rows] == [
        ("touch", "email", "An", "gửi báo giá")]
    tsv = many("search", "bao", "-f", "tsv").lines
    assert tsv[0].split("\t")[:3] == ["source", "what", "at"] and len(tsv) == 2


# -- snippet window and highlighting ---------------------------------------------------------------
HEAD = "Ghi chú dài: " + "khách kể chuyện nhà máy mới " * 4  # 125 characters before the word
LONG = HEAD + "hàng bị đổ khi vận chuyển đường dài " + "rồi hỏi về giá cả tháng sau " * 4 + \
    "hẹn cuối năm"
FLAT = " ".join(LONG.split())


def _long_note(cli):
    cli.add("An", "--note", LONG)
    cli.add("Bình", "--note", "vận chuyển\nhàng bị đổ\tlần nữa")


@pytest.fixture
def long_note(cli, templates):
    return templates(cli, "long_note", _long_note)


def test_the_snippet_is_a_window_around_the_first_word_found(long_note):
    (hit,) = hits(long_note, "do khi")
    assert hit["text"] == LONG
    shown = hit["snippet"]
    assert shown.startswith("…") and shown.endswith("…") and len(shown) == 82
    assert "hàng bị đổ khi vận chuyển" in shown
    assert shown[1:].index("đổ") == 80 // 3  # the first word found, a third into the window
    assert shown[1:-1] in FLAT
    # in the table too: the window, not the whole note
    line = long_note("search", "do khi").lines[2]
    assert line.endswith(shown) and "Ghi chú dài" not in line


def test_the_snippet_at_either_end_and_of_a_note_on_several_lines(long_note):
    (start,) = hits(long_note, "ghi chu")
    assert start["snippet"] == FLAT[:80] + "…"
    (end,) = hits(long_note, "cuoi nam")
    assert end["snippet"] == "…" + FLAT[-80:]
    (middle,) = hits(long_note, "thang sau")  # around the first of them
    assert middle["snippet"][1:].index("tháng sau") == 80 // 3
    (short,) = hits(long_note, "lan nua")
    assert short["snippet"] == "vận chuyển hàng bị đổ lần nữa"
    assert short["text"] == "vận chuyển\nhàng bị đổ\tlần nữa"
    line = long_note("search", "lan nua").lines[2]
    assert line.endswith("vận chuyển hàng bị đổ lần nữa")


@pytest.fixture(params=["colour", "no-colour"])
def terminal(request, monkeypatch):
    """relcrm believes stdout is a terminal (as tests/test_terminal.py does)."""
    monkeypatch.setattr(render, "is_tty", lambda stream: True)
    monkeypatch.setenv("COLUMNS", "400")
    if request.param == "no-colour":
        monkeypatch.setenv("NO_COLOR", "1")
    return request.param


def _found(out: str) -> list[str]:
    """The words styled bold yellow."""
    return re.findall(r"\x1b\[1;33m(.*?)\x1b\[0m", out)


def _safe(text: str) -> None:
    text = SGR.sub("", text)
    assert "\x1b" not in text, repr(text[max(0, text.find("\x1b") - 60):][:160])
    assert "\x07" not in text and "\x7f" not in text
    assert not [ch for ch in text if "\x80" <= ch <= "\x9f"], "a C1 control reached the terminal"
    assert "\u202e" not in text and "\u2066" not in text


def test_on_a_terminal_the_words_found_are_styled(long_note, terminal):
    out = long_note("search", "DO HANG").out
    _safe(out)
    if terminal == "no-colour":
        assert "\x1b" not in out
        assert "hàng bị đổ khi vận chuyển" in out
        return
    # both notes; in the long one the window moved, and the words are styled where they are
    assert _found(out) == ["hàng", "đổ", "hàng", "đổ"]
    assert "\x1b[1;33mhàng\x1b[0m bị \x1b[1;33mđổ\x1b[0m khi" in out
    assert SGR.sub("", out).count("hàng bị đổ") == 2


def test_on_a_terminal_a_prefix_styles_only_the_start_of_the_word(issue, terminal):
    out = issue("search", "chuy phan").out
    if terminal == "colour":
        assert _found(out) == ["phàn", "chuy"]
    else:
        assert "\x1b" not in out and ISSUE in out


def test_on_a_terminal_two_words_on_one_start_style_the_longer(issue, monkeypatch):
    monkeypatch.setattr(render, "is_tty", lambda stream: True)
    monkeypatch.setenv("COLUMNS", "400")
    assert _found(issue("search", "hang h").out) == ["hàng"]


@pytest.fixture
def hostile(cli, templates):
    return templates(cli, "hostile", _hostile)


def _hostile(cli):
    """Notes with markup (through the CLI) and terminal escapes (by SQL, as an old or
    hand-edited book may hold them), re-indexed as relcrm's own writes are (derive.settle)."""
    cli.add("An", "--note", f"giao hàng {MARKUP}")
    cli("log", "1", "email", f"giao hàng {MARKUP}")
    con = sqlite3.connect(cli.path)
    con.execute("UPDATE touch SET summary = summary || :a || ' đổ vỡ' || :a", {"a": ATTACK})
    con.execute("UPDATE prospect SET note = note || :a", {"a": ATTACK})
    assert con.execute("SELECT count(*) FROM _dirty WHERE kind = 's'").fetchone()[0] == 2
    derive.settle(con)
    con.commit()
    con.close()


def test_hostile_notes_on_a_terminal_are_shown_escaped(hostile, terminal):
    out = hostile("search", "bank login").out
    _safe(out)
    assert SGR.sub("", out).count("Bank login[/link] [bold red]x[/bold red]") == 2, \
        "the markup must show literally"
    out = hostile("search", "do vo").out  # the escapes are in its window
    _safe(out)
    shown = SGR.sub("", out)
    assert "\\x1b]8;;https://evil.example\\x1b\\click" in shown and "\\u202e" in shown
    assert "đổ vỡ" in shown
    if terminal == "colour":
        assert _found(out) == ["đổ", "vỡ"]
        assert _found(hostile("search", "bank login").out) == ["Bank", "login"] * 2


def test_hostile_notes_in_a_pipe_are_escaped_and_exact_in_json(hostile):
    for query in ("do vo", "bank login"):
        out = hostile("search", query).out
        assert "\x1b" not in out and "\u202e" not in out and "\x7f" not in out
    assert out.count("Bank login[/link] [bold red]x[/bold red]") == 2
    (hit,) = hits(hostile, "do vo")
    assert hit["text"] == f"giao hàng {MARKUP}{ATTACK} đổ vỡ{ATTACK}"


def test_a_hostile_query_is_shown_escaped(issue, terminal):
    query = f"{MARKUP} \x1b]8;;https://evil.example\x07 \u202e"
    for result in (issue("search", query), issue("search", "hàng " + query)):
        _safe(result.out)
        assert "[link=https://evil.example/phish]" in SGR.sub("", result.out)


# -- queries with FTS5 syntax never reach FTS5 as syntax -------------------------------------------
QUERIES_WITH_SYNTAX = [  # query, how many hits
    ('"do hang"', 1), ('"do', 1), ("do*", 1), ("hang*", 1), ("h*ng", 0), ("NEAR(do hang)", 0),
    ("NEAR(do hang, 5)", 0), ("do OR xyz", 0), ("do AND hang", 0), ("do NOT hang", 0),
    ("do -hang", 1), ("do -- -hang", 1), ("^do", 1), ("body:hang", 0), ("body : hang", 0),
    ("(do hang)", 1), ("do) (hang", 1), ("{body}: do", 0), ("do + hang", 1), ("'do' hang", 1),
    ("do\\hang", 1), ("đổ/hàng", 1), ("hàng—đổ", 1), ("d'o", 0), ("%", None), ("NEAR", 0),
    ("OR", 0), ("AND NOT", 0), ("rank:x", 0), ("do\x01hang", 1), ("do\thang\n", 1),
]


def test_queries_with_fts5_syntax_never_crash(issue):
    """Each word of the query is quoted for FTS5: its operators are plain words (that the note
    lacks), its punctuation separates words."""
    for query, found in QUERIES_WITH_SYNTAX:
        result = issue.run("search", "-f", "json", "--", query)
        assert "Traceback" not in result.err, query
        if found is None:
            assert result.code == 2 and "nothing to search for" in result.err, query
            continue
        assert result.code == 0, (query, result.err)
        assert len(json.loads(result.out)) == found, query
    for query in ('"do hang"', "NEAR(do hang)", "do -- -hang"):
        table = issue("search", "--", query)
        assert table.out.startswith("1 hit for " if "NEAR" not in query else "Nothing found ")


def test_a_query_with_no_word_is_refused_in_one_line(issue):
    for query in ('"', "*", "^", ":", "(", ")", '""', "-", "--", "  ", "", "—", "!@#$%^&*()",
                  "😀", "\u202e", "\x01"):
        issue.fails(2, "search", "--", query, match="nothing to search for")


# -- the index follows every write, in the same command --------------------------------------------
def test_touch_edit_and_delete_and_their_undo(issue):
    issue("log", "an", "email", "gửi báo giá màng co")  # touch 2
    issue("touch", "edit", "2", "--text", "gửi mẫu túi zip")
    assert hits(issue, "bao gia") == [] and texts(issue, "mau tui") == ["gửi mẫu túi zip"]
    issue("undo")
    assert texts(issue, "bao gia") == ["gửi báo giá màng co"] and hits(issue, "mau tui") == []
    whole(issue.path)
    issue("touch", "delete", "2")
    assert hits(issue, "bao gia") == []
    whole(issue.path)
    issue("undo")
    assert texts(issue, "bao gia") == ["gửi báo giá màng co"]
    whole(issue.path)


def test_a_log_undone_leaves_no_word_behind(issue):
    issue("log", "an", "note", "thích hát karaoke")
    assert texts(issue, "karaoke") == ["thích hát karaoke"]
    issue("undo")
    assert hits(issue, "karaoke") == []
    assert issue.one("SELECT count(*) FROM _search") == 1  # the SPIN note alone
    whole(issue.path)


def test_delete_of_a_person_and_its_undo(sources):
    everything = ["tra sen", "hoi cho", "thu mang co", "may dong goi", "catalogue", "chong am"]

    def found(query):  # the ranks move as the number of notes changes
        return [{k: v for k, v in h.items() if k != "rank"} for h in hits(sources, query)]

    before = {q: found(q) for q in everything + ["dat hang", "binh duong", "xuat khau"]}
    sources("delete", "an", "--yes")
    for query in everything:
        assert hits(sources, query) == [], query
    for query in ("dat hang", "binh duong", "xuat khau"):  # not theirs
        assert found(query) == before[query]
    whole(sources.path)
    sources("undo")
    assert {q: found(q) for q in before} == before
    whole(sources.path)


def test_forget_erases_the_words_from_the_file(an):
    cli = an
    cli.add("Trần Bí Mật", "--note", "quyzzyx thích golf")  # 2
    cli("log", "2", "call", "quyzzyx gọi về hợp đồng")
    db.close_all()
    assert any(b"quyzzyx" in Path(f"{cli.path}{suffix}").read_bytes()
               for suffix in ("", "-wal") if Path(f"{cli.path}{suffix}").exists())
    cli("delete", "2", "--forget", "--yes")
    assert hits(cli, "quyzzyx") == []
    for suffix in ("", "-wal"):
        if Path(f"{cli.path}{suffix}").exists():
            assert b"quyzzyx" not in Path(f"{cli.path}{suffix}").read_bytes()
    whole(cli.path)


def test_merge_moves_the_notes_to_the_person_who_stays(an):
    cli = an
    cli("edit", "1", "--note", "thích trà sen")
    cli.add("Nguyễn Văn An", "--company", "Minh Phát", "--note", "kho ở Long An")
    cli("call", "1", "--outcome", "continuation", "--problem", "hàng bị đổ")
    cli("merge", "1", "2")
    (spin,) = hits(cli, "do hang")
    assert (spin["source"], spin["prospect_id"], spin["account"]) == ("SPIN note", 2,
                                                                       "Minh Phát")
    (note,) = hits(cli, "tra sen")
    assert (note["source"], note["prospect_id"]) == ("profile note", 2)
    assert "kho ở Long An" in note["text"] and texts(cli, "long an") == [note["text"]]
    whole(cli.path)
    cli("undo")
    assert [(h["prospect_id"], h["text"]) for h in hits(cli, "tra sen")] == [
        (1, "thích trà sen")]
    assert [h["prospect_id"] for h in hits(cli, "do hang")] == [1]
    whole(cli.path)


def test_account_merge_keeps_both_notes(an):
    cli = an
    cli.add("B", "--company", "Acme")
    cli.add("C", "--company", "Acme Co")
    cli("account", "edit", "acme", "--note", "kho một")
    cli("account", "edit", "acme co", "--note", "kho hai")
    cli("account", "merge", "acme co", "acme")
    assert [(h["account_id"], h["text"]) for h in hits(cli, "kho")] == [(1, "kho một\nkho hai")]
    whole(cli.path)


def _all_hits(cli, queries) -> dict:  # what a hit says, its ids and rank aside
    keep = ("source", "what", "at", "prospect", "account", "text")
    return {q: sorted(tuple(h[k] or "" for k in keep) for h in hits(cli, q)) for q in queries}


QUERIES = [s[0] for s in SOURCES]


def test_import_of_an_export_is_searchable(sources, tmp_path):
    before = _all_hits(sources, QUERIES)
    assert all(before.values())
    dump = tmp_path / "book.json"
    sources("export", "all", "-f", "json", "-o", dump)
    other = tmp_path / "other.db"
    sources("--db", other, "import", dump)
    assert _all_hits(_On(sources, other), QUERIES) == before
    whole(other)


class _On:
    """The cli fixture on another book."""

    def __init__(self, cli, path):
        self.cli, self.path = cli, path

    def __call__(self, *args, **kw):
        return self.cli("--db", self.path, *args, **kw)


def test_restore_of_a_backup_brings_back_its_notes_only(issue, tmp_path):
    issue("log", "an", "email", "gửi báo giá")
    backup = tmp_path / "saved.db"
    issue("backup", backup)
    issue("log", "an", "email", "khách hủy đơn hàng")
    issue("edit", "an", "--note", "thích trà sen")
    issue("touch", "edit", "2", "--text", "gửi mẫu túi")
    issue.add("Bình", "--note", "gặp ở hội chợ")
    assert texts(issue, "huy don") and texts(issue, "tra sen") and texts(issue, "hoi cho")
    issue("restore", backup)
    for query in ("huy don", "tra sen", "hoi cho", "mau tui"):
        assert hits(issue, query) == [], query
    assert texts(issue, "bao gia") == ["gửi báo giá"]
    assert texts(issue, "do hang") == [ISSUE]
    assert issue.one("SELECT count(*) FROM _search") == 2
    whole(issue.path)


def test_the_upgrade_of_a_version_5_book_indexes_its_notes(cli, tmp_path):
    book = tmp_path / "v5.db"
    shutil.copy(BOOKS / "v5.db", book)
    os.chmod(book, 0o600)
    (hit,) = hits(_On(cli, book), "WORKSHOP")
    assert (hit["source"], hit["what"], hit["prospect"], hit["account"], hit["at"],
            hit["text"]) == ("touch", "meeting", "Phạm Minh Dũng", "Sài Gòn Tech",
                             "2026-10-21T10:00:00", "workshop on their needs")
    assert [h["text"] for h in hits(_On(cli, book), "tet gift")] == ["Tết gift basket"]
    con = sqlite3.connect(book)
    try:
        assert con.execute("SELECT count(*) FROM _search").fetchone()[0] > 20
    finally:
        con.close()
    whole(book)  # every note of the old book, not only those found above
