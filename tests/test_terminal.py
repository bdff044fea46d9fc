"""Stored data never attacks the terminal (issue 9).

A hostile book holds, in every text field it has, terminal escape sequences (clear screen,
window title, OSC 8 hyperlinks, OSC 52 clipboard writes, a C1 CSI, bidi overrides, line
separators) and text that rich would read as markup. Every command that prints is run with
relcrm believing stdout and stderr are a terminal (render.is_tty, which rich's Console follows):
nothing it prints may carry ESC, BEL, a C1 control or a raw bidi override, and the markup must
come out literally. Machine formats written to a pipe stay exact.
"""

import csv
import io
import json
import os
import re
import shutil
import sqlite3

import pytest

from conftest import TODAY, Cli
from relcrm import db, render
from relcrm.core import derive, search

MARKUP = "[link=https://evil.example/phish]Bank login[/link] [/bold] [red]x[/red] [bold magenta]"
LINK = "[link=https://evil.example/phish]"
ATTACK = ("\x1b[2J" "\x1b]0;pwned\x07" "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\"
          "\x1b]52;c;ZXZpbA==\x07" "\x9b31m" "\u202e" "\u2066" "\u2028" "\x85" "\x7f")
SGR = re.compile(r"\x1b\[[0-9;]*m")  # rich's own colours, on a terminal without NO_COLOR

# Every stored text field, and what to append to it (the CLI refuses control characters, so
# they go in by SQL, as an old or hand-edited book might hold them).
HOSTILE_SQL = [
    "UPDATE prospect SET name = name || :a, title = title || :a, source = source || :a, "
    "note = note || :a, next_step = next_step || :a, company = company || :a",
    "UPDATE account SET name = name || :a, industry = industry || :a, note = note || :a",
    "UPDATE touch SET summary = summary || :a, commitment = commitment || :a",
    "UPDATE call_note SET text = text || :a",
    "UPDATE stage_change SET reason = reason || :a",
    "UPDATE kam_change SET reason = reason || :a",
    "UPDATE qualification SET note = note || :a",
    "UPDATE tag SET name = name || :a",
    "UPDATE deal SET title = title || :a, note = note || :a",
    "UPDATE deal_change SET reason = coalesce(reason, '') || :a",
]


def _book(cli: Cli) -> None:
    """The hostile book: built through the CLI with markup, then the escapes added by SQL."""
    cli.add(f"An {MARKUP}", "--company", f"Acme {MARKUP}", "--title", f"Boss {MARKUP}",
            "--tag", "vip", "--source", f"Fair {MARKUP}", "--note", f"Note {MARKUP}",
            "--email", "an@acme.vn", "--next", "tomorrow", "--next-step", f"Demo {MARKUP}")
    cli.add(f"Binh {MARKUP}", "--company", f"Acme {MARKUP}")
    cli("qualify", "1", "--need", "yes", "--note", f"Judged {MARKUP}")
    cli("call", "1", "--outcome", "order", "--amount", "1000", "--commitment", f"PO {MARKUP}",
        "--situation", f"S {MARKUP}", "--problem", f"P {MARKUP}", "--note", f"Call {MARKUP}")
    cli("call", "2", "--outcome", "continuation", "--problem", f"Slow {MARKUP}")
    cli("log", "1", "email", f"Mail {MARKUP}")
    cli("stage", "set", "1", "develop", "--reason", f"Moved {MARKUP}")
    cli("role", "1", "decider")
    cli("account", "edit", "1", "--key", "--industry", f"Ind {MARKUP}", "--note", f"AN {MARKUP}")
    cli("kam", "set", "1", "early", "--reason", f"Grew {MARKUP}")
    cli("account", "add", f"Other {MARKUP}", "--key")  # quiet: the review names it
    cli("deal", "add", "1", f"Deal {MARKUP}", "--value", "9,000 USD", "--with", "2", "--note",
        f"Deal note {MARKUP}")
    cli("deal", "stage", "1", "proposals", "--reason", f"Quoted {MARKUP}")
    con = sqlite3.connect(cli.path)
    for sql in HOSTILE_SQL:
        con.execute(sql, {"a": ATTACK})
    derive.refresh_all(con)
    search.rebuild(con)  # the notes, escapes and all, in the search index too
    con.commit()
    con.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The hostile book, made once (each test works on a copy)."""
    home = tmp_path_factory.mktemp("terminal")
    path = home / "template.db"
    maker = Cli(path)
    env = {"RELCRM_DB": str(path), "RELCRM_TODAY": TODAY, "HOME": str(home / "home"),
           "XDG_DATA_HOME": str(home / "data"), "NO_COLOR": None}
    maker.run = _with_env(maker.run, env)
    _book(maker)
    db.close_all()
    db.select(None)
    return path


def _with_env(run, env):
    return lambda *args, **kw: run(*args, env={**env, **(kw.pop("env", None) or {})}, **kw)


@pytest.fixture
def hostile(cli, template):
    db.close_all()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(f"{template}{suffix}"):
            shutil.copy(f"{template}{suffix}", f"{cli.path}{suffix}")
    os.chmod(cli.path, 0o600)
    return cli


@pytest.fixture(params=["colour", "no-colour"])
def terminal(request, monkeypatch):
    """relcrm believes stdout and stderr are a terminal (rich too: render.console follows
    render.is_tty), with colour or with NO_COLOR."""
    monkeypatch.setattr(render, "is_tty", lambda stream: True)
    monkeypatch.setenv("COLUMNS", "400")  # wide, so a literal is not wrapped across lines
    if request.param == "no-colour":
        monkeypatch.setenv("NO_COLOR", "1")
    return request.param


def _hostile_csv(tmp_path):
    path = tmp_path / "incoming.csv"
    path.write_text("name,email,company,note\r\n"
                    f'"Evil{ATTACK}",evil@x.vn,"Co{ATTACK}","n{ATTACK}"\r\n'
                    f'"Good {MARKUP}",good@x.vn,"Acme {MARKUP}","{MARKUP}"\r\n',
                    encoding="utf-8", newline="")
    return path


def _safe(text: str, mode: str = "no-colour") -> None:
    """Nothing that a terminal would act on: no ESC (rich's own colours aside), no BEL, no C1
    control, no raw bidi control or line separator."""
    if mode == "colour":
        text = SGR.sub("", text)
    assert "\x1b" not in text, repr(text[max(0, text.find("\x1b") - 60):][:160])
    assert "\x07" not in text
    assert not [ch for ch in text if "\x80" <= ch <= "\x9f"], "a C1 control reached the terminal"
    for ch in "\u202e\u2066\u2028\x7f":
        assert ch not in text, repr(ch)


ENTITIES = ["prospects", "touches", "calls", "stages", "qualifications", "accounts", "roles",
            "kam", "deals"]
# (arguments, whether the hostile markup must show literally)
COMMANDS = [
    (["list"], True), (["list", "-f", "csv"], True), (["list", "-f", "tsv"], True),
    (["list", "-f", "json"], True),
    (["show", "1"], True), (["show", "1", "-f", "json"], True), (["show", "1", "-f", "csv"], True),
    (["show", "1", "-f", "tsv"], True),
    (["followups"], True), (["followups", "-f", "json"], True), (["followups", "-f", "csv"], True),
    (["followups", "--days", "30"], True),
    (["plan", "week"], True), (["plan", "tomorrow", "-f", "json"], True),
    (["plan", "--days", "30", "-f", "tsv"], True),
    (["stage", "history", "1"], True), (["stage", "history", "1", "-f", "json"], True),
    (["kam", "history", "1"], True), (["kam", "history", "2"], True),
    (["kam", "history", "1", "-f", "csv"], True),
    (["account", "list"], True), (["account", "list", "-f", "json"], True),
    (["account", "show", "1"], True), (["account", "show", "1", "-f", "json"], True),
    (["account", "show", "1", "-f", "csv"], True),
    (["account", "candidates"], True), (["account", "candidates", "-f", "csv"], True),
    (["role", "1"], True), (["role", "2", "user"], True), (["role", "1", "-f", "json"], True),
    (["add", f"New {MARKUP}", "--company", f"Acme {MARKUP}"], True),
    (["add", f"New {MARKUP}", "-f", "json"], True),
    (["edit", "1", "--phone", "+84 90 123 4567"], True),
    (["edit", "1", "--value", "5", "-f", "csv"], True),
    (["qualify", "1", "--budget", "yes"], True), (["qualify", "2", "--need", "no"], True),
    (["call", "2", "--outcome", "continuation", "--note", "again"], True),
    (["call", "1", "--outcome", "advance", "--commitment", "trial", "-f", "json"], True),
    (["log", "1", "meeting", "hello", "--next", "fri"], True),
    (["stage", "set", "1", "maintain"], True), (["stage", "advance", "2"], True),
    (["stage", "set", "2", "lost", "--reason", "gone", "-f", "tsv"], True),
    (["account", "edit", "1", "--criterion", "price"], True),
    (["account", "add", f"Third {MARKUP}"], True),
    (["account", "merge", "2", "1"], True),
    (["kam", "set", "1", "mid"], True), (["kam", "advance", "1", "-f", "json"], True),
    *[(["export", entity, "-f", kind], True) for entity in ENTITIES
      for kind in ("csv", "tsv", "json", "jsonl")],
    (["export", "--excel"], True), (["export", "all", "-f", "json"], True),
    (["export", "all", "-f", "jsonl"], True), (["export", "vcard"], True),
    (["export", "prospects", "1", "--since", "2026-01-01"], True),
    (["doctor"], False), (["doctor", "-f", "json"], False), (["backup"], False),
    (["stage", "list"], False), (["kam", "list"], False),
    (["deal", "list"], True), (["deal", "list", "--all", "-f", "csv"], True),
    (["deal", "show", "1"], True), (["deal", "show", "1", "-f", "json"], True),
    (["pipeline"], False), (["pipeline", "-f", "json"], False),
    (["review"], True), (["review", "--month", "-f", "tsv"], False),
    (["deal", "lost", "1", "--reason", "price", "--note", f"Lost {MARKUP}"], True),
    (["search", "boss"], False), (["search", "mail"], True),
    (["search", "note", "-f", "tsv"], True),
    (["brief", "1"], True), (["brief", "1", "-f", "json"], True),
]


@pytest.mark.parametrize("args,literal", COMMANDS, ids=[" ".join(a)[:40] for a, _ in COMMANDS])
def test_every_command_on_a_terminal_is_safe(hostile, terminal, args, literal):
    result = hostile(*args)
    shown = result.out + result.err
    _safe(shown, terminal)
    if literal:
        assert LINK in shown, "the markup must show literally, not as a link"


@pytest.mark.parametrize("report", ["csv", "tsv", "json", "table"])
def test_import_of_a_hostile_file_on_a_terminal_is_safe(cli, terminal, tmp_path, report):
    source = _hostile_csv(tmp_path)
    result = cli("import", source, "--dry-run", "--skip-bad-rows", "--report", report)
    _safe(result.out + result.err, terminal)
    if report != "table":
        plain = result.out.replace("\\\\", "\\")  # json doubles the backslash
        assert LINK in plain and "Evil\\x1b[2J\\x1b]0;pwned\\x07" in plain
    assert "line 2" in result.err or report != "table"
    failed = cli.run("import", source, "--report", report)  # bad rows and no --skip-bad-rows
    assert failed.code == 2
    _safe(failed.out + failed.err, terminal)


def test_interactive_call_on_a_terminal_is_safe(hostile, terminal):
    answers = "\n".join(["who they are", "", f"slow {MARKUP}", "", "", "", "", "",
                         "advance", "a trial", "", "", "²", "30"]) + "\n"
    result = hostile("call", "1", "-i", input=answers)
    _safe(result.out + result.err, terminal)
    assert LINK in result.err  # "SPIN call with An [link=...": the name, literally


def test_errors_naming_hostile_records_are_safe(hostile, terminal):
    result = hostile.run("show", "Bank")  # both prospects match: an ambiguous REF
    assert result.code == 2
    _safe(result.out + result.err, terminal)
    result = hostile.run("stage", "set", "1", "lost")  # lost needs --reason
    assert result.code == 2
    _safe(result.err, terminal)


# ---- the breaks found by the attack, one test each ----

def test_a_closing_tag_as_a_name_does_not_crash_the_histories(cli):
    cli.add("[/bold]", "--company", "[/bold]")
    cli("account", "edit", "1", "--key")
    result = cli.run("stage", "history", "1")
    assert result.code == 0, result.err  # was exit 70, MarkupError
    assert result.lines[0] == "#1 [/bold]: stage history"
    result = cli.run("kam", "history", "1")
    assert result.code == 0, result.err
    assert result.lines[0] == "#1 [/bold]: key-account history"


def test_a_link_in_a_name_is_shown_not_followed(cli, monkeypatch):
    cli.add(f"{LINK}Bank login[/link]")
    assert cli("stage", "history", "1").lines[0] == (
        f"#1 {LINK}Bank login[/link]: stage history")  # was "#1 Bank login: ..."
    monkeypatch.setattr(render, "is_tty", lambda stream: True)
    monkeypatch.setenv("COLUMNS", "200")
    shown = cli("stage", "history", "1").out
    assert "\x1b]8;" not in shown and LINK in shown  # no OSC 8 hyperlink on a terminal


def test_a_hostile_import_file_prints_no_escape_on_a_terminal(cli, monkeypatch, tmp_path):
    monkeypatch.setattr(render, "is_tty", lambda stream: True)
    monkeypatch.setenv("NO_COLOR", "1")
    for report in ("csv", "tsv"):
        result = cli("import", _hostile_csv(tmp_path), "--dry-run", "--skip-bad-rows",
                     "--report", report)
        assert "\x1b" not in result.out and "\x07" not in result.out  # no title, no clipboard
        assert "\\x1b]52;c;ZXZpbA==\\x07" in result.out  # shown escaped instead


def test_machine_output_to_a_pipe_stays_exact(hostile):
    """A guard, not a break: escaping is for terminals only; pipes and files get the data."""
    con = sqlite3.connect(hostile.path)
    name = con.execute("SELECT name FROM prospect WHERE id = 1").fetchone()[0]
    con.close()
    assert name.endswith(ATTACK)
    rows = list(csv.DictReader(io.StringIO(hostile("export").out)))
    assert rows[0]["name"] == name
    assert json.loads(hostile("export", "-f", "json").out)[0]["name"] == name
    assert json.loads(hostile("show", "1", "-f", "json").out)["name"] == name
    assert json.loads(hostile("account", "show", "1", "-f", "json").out)["people"][0][
        "name"] == name
    assert "\x1b[2J" in hostile("export", "vcard").out  # (vCard escapes the ; of OSC)
    assert ATTACK in hostile("import", _hostile_csv(hostile.path.parent), "--dry-run",
                             "--skip-bad-rows", "--report", "csv").out


def test_excel_quotes_and_neutralises_a_formula_after_a_separator(cli):
    payload = "Acme;=cmd|' /C calc'!A0"
    cli("account", "add", payload)
    cli.add("Lan", "--note", 'x, "+1+2"\n@SUM(A1)')
    raw = cli("export", "accounts", "--excel").raw.decode("utf-8-sig")
    assert '"\'Acme;\'=cmd|\' /C calc\'!A0"' in raw  # quoted, and a ' where a cell could start
    assert raw.startswith('"id","name",')  # every cell quoted
    for entity in ("accounts", "prospects"):
        raw = cli("export", entity, "--excel").raw.decode("utf-8-sig")
        # read as a spreadsheet would, with the right separator or a wrong one: no cell (after
        # spaces and quotes) starts with a formula trigger
        for separator in (",", ";", "\t"):
            for row in csv.reader(io.StringIO(raw, newline=""), delimiter=separator):
                for cell in row:
                    assert not cell.lstrip(" \"'\r\n").startswith(("=", "+", "-", "@")) or \
                        cell.lstrip(" \"")[:1] == "'", (separator, cell)
    rows = list(csv.DictReader(io.StringIO(cli("export", "accounts", "--excel").raw
                                           .decode("utf-8-sig"), newline="")))
    assert rows[0]["name"] == "'Acme;'=cmd|' /C calc'!A0"


def test_minutes_re_asked_in_the_interactive_call(cli):
    cli.add("An", "--company", "Acme")
    answers = "\n".join(["", "their setup", "", "", "", "", "", "continuation", "", "", "",
                         "²", "0", "1441", "99999999999999999999999", "٣", "45"]) + "\n"
    result = cli("call", "1", "-i", input=answers)  # "²" raised ValueError: every answer lost
    assert result.err.count("a whole number of minutes from 1 to 1440") == 5
    assert cli.one("SELECT minutes FROM touch") == 45
    assert cli.one("SELECT text FROM call_note") == "their setup"


def test_a_refused_note_is_asked_again_in_the_interactive_call(cli):
    cli.add("An")
    answers = "\n".join(["slow\x1b[A", "slow", "", "", "", "", "", "", "continuation", "", "",
                         "", ""]) + "\n"  # an arrow key typed where there is no line editing
    result = cli("call", "1", "-i", input=answers)  # was refused after all the answers
    assert "control character" in result.err
    assert cli.one("SELECT text FROM call_note") == "slow"


def test_past_next_step_re_asked_in_the_interactive_call(cli):
    cli.add("An")
    answers = "\n".join(["", "", "", "", "", "", "continuation", "", "", "yesterday",
                         "fri", ""]) + "\n"
    result = cli("call", "1", "-i", input=answers)  # was refused after all the answers
    assert "in the past" in result.err
    assert cli.one("SELECT next_at FROM prospect")[:10] == "2026-11-27"


# ---- a real terminal ----

def _pty_env(tmp_path, **extra):
    env = {**os.environ, "RELCRM_DB": str(tmp_path / "book.db"), "RELCRM_TODAY": TODAY,
           "COLUMNS": "300", "TERM": "xterm-256color", "HOME": str(tmp_path / "home"),
           "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("NO_COLOR", None)
    return {**env, **extra}


@pytest.mark.parametrize("colour", [True, False])
def test_hostile_book_on_a_real_terminal(hostile, tmp_path, colour):
    from test_output import _run_in_terminal

    db.close_all()
    env = _pty_env(tmp_path) if colour else _pty_env(tmp_path, NO_COLOR="1")
    for args in (["stage", "history", "1"], ["show", "1"], ["export", "-f", "csv"],
                 ["account", "show", "1", "-f", "json"], ["export", "vcard"]):
        out, code = _run_in_terminal(args, env)
        assert code == 0, out
        _safe(out, "colour" if colour else "no-colour")
        assert LINK in out, (args, out[:300])


def test_hostile_import_file_on_a_real_terminal(tmp_path):
    from test_output import _run_in_terminal

    source = _hostile_csv(tmp_path)
    out, code = _run_in_terminal(["import", str(source), "--dry-run", "--skip-bad-rows",
                                  "--report", "csv"], _pty_env(tmp_path))
    assert code == 0, out
    _safe(out)
    assert "\\x1b]0;pwned\\x07" in out
