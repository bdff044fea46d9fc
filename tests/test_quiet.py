"""--quiet on every command that writes (issue 15): stdout is only the id of what was written,
one line, so that a script can chain commands (`id=$(relcrm add ... -q)`); notes and
warnings stay on stderr; the command does exactly what it does without --quiet."""

import inspect

import pytest

from relcrm.cli import full_command


def _commands(group, path=()):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def test_every_command_that_writes_takes_quiet():
    """A command whose code opens a write session declares --quiet (a new one must too)."""
    missing = []
    for path, command in _commands(full_command()):
        source = inspect.getsource(command.callback)
        if "write_session" not in source or path == ("demo",):  # demo makes a whole book
            continue
        if not any("--quiet" in p.opts for p in command.params):
            missing.append(" ".join(path))
    assert not missing, missing


@pytest.fixture
def book(cli):
    cli.add("Nguyễn Văn An", "--company", "Minh Phát", "--email", "an@minhphat.vn")
    cli.add("Trần Thị Bình", "--company", "Hòa Bình")
    return cli


WRITES = [  # (argv, what stdout must be: the id of what was written)
    (["add", "Lê Thu Hà", "--company", "Đông Á"], "3"),
    (["edit", "1", "--title", "Buyer"], "1"),
    (["log", "1", "call", "asked about the quote"], "1"),
    (["call", "1", "--problem", "film tears", "--outcome", "continuation"], "1"),
    (["qualify", "1", "--need", "yes"], "1"),
    (["stage", "advance", "1"], "1"),
    (["stage", "set", "2", "3"], "2"),
    (["step", "add", "1", "friday", "send the quote"], "1"),
    (["snooze", "2", "in 2 weeks", "--reason", "on holiday"], "2"),
    (["deal", "add", "1", "Packaging line", "--value", "450,000,000"], "1"),
    (["role", "1", "decider"], "1"),
    (["account", "add", "Vina Steel"], "3"),
    (["account", "edit", "1", "--industry", "packaging"], "1"),
    (["date", "add", "1", "birthday", "14/11"], "1"),
    (["fact", "1", "two children, loves football"], "1"),
    (["occasion", "add", "founding", "Founding day", "1/5"], "founding"),
    (["config", "workdays", "mon-sat"], "workdays"),
    (["delete", "2", "--yes"], "2"),
]


@pytest.mark.parametrize("argv,expected", WRITES, ids=lambda v: " ".join(v)
                         if isinstance(v, list) else None)
def test_quiet_prints_only_the_id(book, argv, expected):
    before = book.dump()
    result = book(*argv, "--quiet")
    assert result.out == expected + "\n"
    assert book.dump() != before  # it wrote all the same


def test_quiet_on_the_commands_that_act_on_what_was_written(book):
    step = book("step", "add", "1", "friday", "send the quote", "-q").out.strip()
    assert book("step", "move", step, "monday", "-q").out == step + "\n"
    assert book("step", "done", step, "-q").out == step + "\n"
    other = book("step", "add", "2", "friday", "call back", "-q").out.strip()
    assert book("step", "drop", other, "-q").out == other + "\n"
    deal = book("deal", "add", "1", "Line", "--value", "100", "-q").out.strip()
    for argv in (["deal", "stage", deal, "proposals"], ["deal", "won", deal],
                 ["deal", "reopen", deal], ["deal", "lost", deal, "--reason", "price"],
                 ["deal", "edit", deal, "--title", "Line 2"]):
        assert book(*argv, "-q").out == deal + "\n", argv
    touch = book("log", "1", "email", "sent it", "-q").out.strip()
    assert book("touch", "edit", touch, "--text", "sent the quote", "-q").out == touch + "\n"
    call = book("call", "1", "--problem", "film tears", "--outcome", "continuation",
                "-q").out.strip()
    assert book("call", "edit", call, "--commitment", "a trial", "-q").out == call + "\n"
    assert book("touch", "delete", touch, "-q").out == touch + "\n"
    date = book("date", "add", "1", "birthday", "14/11", "-q").out.strip()
    assert book("date", "drop", date, "-q").out == date + "\n"
    fact = book("fact", "1", "likes tea", "-q").out.strip()
    assert book("fact", "drop", fact, "-q").out == fact + "\n"
    book("occasion", "add", "founding", "Founding day", "1/5", "-q")
    assert book("occasion", "drop", "founding", "-q").out == "founding\n"
    account = book("account", "add", "Typo Co", "-q").out.strip()
    assert book("account", "delete", account, "-q").out == account + "\n"
    assert book("merge", "2", "1", "-q").out == "1\n"
    changes = book.one("SELECT max(id) FROM _change")
    assert book("undo", "-q").out == f"{changes}\n"


def test_quiet_import_prints_the_ids_of_the_people_added(cli, tmp_path):
    cli.add("Nguyễn Văn An", "--email", "an@minhphat.vn")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("First Name,Last Name,Email Address\nAn,Nguyễn,an@minhphat.vn\n"
                        "Hà,Lê,ha@donga.vn\nBình,Trần,binh@hoabinh.vn\n", encoding="utf-8")
    result = cli("import", str(contacts), "--quiet")
    assert result.out == "2\n3\n"  # the duplicate is not added, and not printed


def test_quiet_keeps_notes_on_stderr(book):
    """What a command does besides its name is still said (on stderr), --quiet or not."""
    loud = book("add", "Nguyễn Văn An", "--company", "Minh Phát", "--allow-duplicate")
    quiet = book("add", "Nguyễn Văn An", "--company", "Minh Phát", "--allow-duplicate", "-q")
    assert quiet.out == "4\n"
    assert quiet.err == loud.err


def test_quiet_wins_over_format(book):
    assert book("log", "1", "call", "x", "--format", "json", "-q").out == "1\n"


def test_a_refused_quiet_write_is_one_error_line(book):
    book.fails(1, "log", "99", "call", "x", "-q", match="99")
    book.fails(2, "step", "add", "1", "someday maybe", "x", "-q")


def test_quiet_says_on_stderr_what_only_the_sentence_said(book, tmp_path):
    book("edit", "1", "--note", "old important note")
    result = book("edit", "1", "--note", "new", "-q")
    assert result.out == "1\n" and "old important note" in result.err
    book("backup")
    result = book("delete", "1", "--forget", "--yes", "-q")
    assert result.out == "1\n" and "backup still holds them" in result.err


def test_quiet_import_that_writes_nothing_prints_no_id(cli, tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("First Name,Last Name,Email Address\nHà,Lê,ha@donga.vn\n",
                        encoding="utf-8")
    assert cli("import", str(contacts), "--dry-run", "-q").out == ""
    bad = tmp_path / "bad.csv"
    bad.write_text("First Name,Last Name,Email Address\nHà,Lê,not an email\n", encoding="utf-8")
    result = cli.run("import", str(bad), "-q", "--report", "json")
    assert result.code == 2 and result.out == ""


def test_an_interactive_quiet_call_prints_only_the_id(book):
    answers = "two plants\n" + "\n" * 6 + "continuation\n" + "\n" * 10
    result = book("call", "1", "-i", "-q", input=answers)
    assert result.out == "1\n"


def test_quiet_merge_and_snooze_say_what_they_set_aside_or_moved(cli):
    cli.add("Nguyễn Văn An", "--company", "Minh Phát", "--title", "Buyer")
    cli.add("Nguyen Van An", "--company", "Minh Phát", "--title", "CFO")
    result = cli("merge", "2", "1", "-q")
    assert result.out == "1\n" and "CFO" in result.err and "Buyer" in result.err
    step = cli("step", "add", "1", "tomorrow", "send the quote", "-q").out.strip()
    result = cli("snooze", "1", "in 2 weeks", "-q")
    assert result.out == "1\n" and f"#{step}" in result.err and "send the quote" in result.err
