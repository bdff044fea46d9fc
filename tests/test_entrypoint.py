"""The installed entry point as a user runs it, and what each command imports."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from relcrm import __version__


def _relcrm() -> list[str]:
    """The installed console script (next to this Python), else `python -m relcrm`."""
    script = Path(sys.executable).parent / "relcrm"
    if script.exists():
        return [str(script)]
    found = shutil.which("relcrm")
    return [found] if found else [sys.executable, "-m", "relcrm"]


def run(*args, env=None, input=None):
    return subprocess.run([*_relcrm(), *args], capture_output=True, text=True, input=input,
                          env={**os.environ, **(env or {})}, timeout=60)


def test_the_installed_script_runs_the_whole_loop(tmp_path):
    assert (Path(sys.executable).parent / "relcrm").exists(), "pip install -e . puts it here"
    book = str(tmp_path / "sub" / "book.db")
    added = run("--db", book, "add", "Nguyễn Văn An", "--company", "Minh Phát", "-q")
    assert added.returncode == 0, added.stderr
    assert added.stdout == "1\n"
    assert run("--db", book, "qualify", "nguyen", "--need", "yes").returncode == 0
    assert run("--db", book, "call", "an", "-o", "advance", "--commitment", "demo",
               "--next", "fri").returncode == 0
    due = json.loads(run("--db", book, "followups", "-f", "json").stdout)
    assert [(r["name"], r["reason"]) for r in due] == [("Nguyễn Văn An", "next-step")]
    exported = run("--db", book, "export", "calls")
    assert exported.returncode == 0 and "Nguyễn Văn An" in exported.stdout
    assert oct(os.stat(book).st_mode & 0o777) == "0o600"


def test_version_and_help():
    result = run("--version")
    assert result.returncode == 0 and result.stdout == f"relcrm {__version__}\n"
    result = run("--help")
    assert result.returncode == 0 and "followups" in result.stdout
    module = subprocess.run([sys.executable, "-m", "relcrm", "--help"], capture_output=True,
                            text=True)
    assert module.returncode == 0 and "Usage: " in module.stdout


def test_no_arguments_shows_help():
    result = run()
    assert result.returncode == 0 and "Commands:" in result.stdout


def test_bad_input_is_one_line_with_exit_2_and_unknown_is_exit_1(tmp_path):
    book = str(tmp_path / "book.db")
    result = run("--db", book, "add", "X", "--next", "someday")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("relcrm: error: cannot read date 'someday'")
    assert result.stderr.count("\n") == 1
    result = run("--db", book, "show", "nobody")
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    result = run("--db", book, "nosuchcommand")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_a_closed_pipe_is_not_a_traceback(tmp_path):
    book = tmp_path / "book.db"
    import sqlite3

    from relcrm import db
    from relcrm.core import derive

    con = db.connect(book)
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO prospect (name, name_key, created_at, updated_at, stage, stage_since, "
        "continuations, search_key, note) VALUES (?, ?, '2026-01-01T10:00:00', "
        "'2026-01-01T10:00:00', 'attract', '2026-01-01T10:00:00', 0, ?, ?)",
        [(f"P{i}", f"p{i}", f"p{i}", "x" * 200) for i in range(3000)])
    derive.refresh_all(con)
    con.execute("COMMIT")
    con.close()
    shell = f"{' '.join(_relcrm())} --db {book} export | head -c 100 >/dev/null"
    result = subprocess.run(shell, shell=True, capture_output=True, text=True, timeout=60)
    assert "Traceback" not in result.stderr and "Exception" not in result.stderr, result.stderr
    del sqlite3


# in this order, in one process: --help and stage list first (they must not even import
# dateutil), then each read command, the modules checked after each
READ_COMMANDS = [
    ["--help"], ["stage", "list"], ["list"], ["followups"], ["show", "an"], ["export"],
    ["export", "calls", "-f", "json"], ["stage", "history", "an"], ["list", "-f", "csv"],
    ["plan", "week"], ["review"], ["review", "--month", "-f", "csv"], ["pipeline"],
    ["deal", "list"], ["deal", "show", "1"], ["search", "tea"], ["date", "list"],
    ["occasion", "list"], ["occasion", "gifts", "tet"], ["types"], ["fact", "list", "an"],
    ["brief", "an"], ["show", "an", "-f", "json"],
]


def test_read_commands_never_import_sqlalchemy(tmp_path):
    book = tmp_path / "book.db"
    assert run("--db", str(book), "add", "An", "--company", "Minh Phát",
               "--value", "5").returncode == 0
    code = (
        "import sys, io, contextlib\n"
        "from relcrm.cli import main\n"
        f"for args in {READ_COMMANDS!r}:\n"
        f"    sys.argv = ['relcrm', '--db', {str(book)!r}, *args]\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        try:\n            main()\n"
        "        except SystemExit as e:\n            assert not e.code, (args, e.code)\n"
        "    heavy = sorted(m for m in ('sqlalchemy', 'sqlmodel', 'psycopg', 'sqlglot',\n"
        "                               'relcrm.pg') if m in sys.modules)\n"
        "    print('AFTER', ' '.join(args), heavy, 'dateutil' in sys.modules, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "RELCRM_TODAY": "2026-11-25"})
    after = [line for line in result.stderr.splitlines() if line.startswith("AFTER ")]
    assert len(after) == len(READ_COMMANDS), result.stderr
    for line in after:
        assert "[]" in line, f"{line}: a read command imported SQLAlchemy or team mode"
    assert after[0].endswith("False") and after[1].endswith("False"), (
        "dateutil is imported only to read a WHEN")


def test_a_write_command_does_use_sqlmodel(tmp_path):
    """The check above can fail: a write command imports SQLModel."""
    code = (
        "import sys\nfrom relcrm.cli import main\n"
        f"sys.argv = ['relcrm', '--db', {str(tmp_path / 'b.db')!r}, 'add', 'An']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('sqlmodel' in sys.modules, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stderr.strip().splitlines()[-1] == "True"


def test_name_completion_reads_the_book(tmp_path):
    book = str(tmp_path / "book.db")
    run("--db", book, "add", "Nguyễn Văn An")
    run("--db", book, "add", "Ngô Thị Lan")
    env = {"_RELCRM_COMPLETE": "complete_bash", "COMP_WORDS": f"relcrm --db {book} show ngu",
           "COMP_CWORD": "4"}
    result = run(env=env)
    assert result.returncode == 0 and result.stdout.split() == ["nguyen_van_an"]
    env["COMP_WORDS"] = f"relcrm --db {book} show Ng"
    assert run(env=env).stdout.split() == ["Ngô_Thị_Lan", "Nguyễn_Văn_An"]
    assert run("--db", book, "show", "nguyen_van_an").returncode == 0
    env["COMP_WORDS"] = f"relcrm --db {tmp_path / 'missing.db'} show ng"
    assert run(env=env).stdout.strip() == ""
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.slow  # over 2 s: the full run (CI) has it
def test_account_completion_reads_the_book(tmp_path):
    book = str(tmp_path / "book.db")
    run("--db", book, "add", "An", "--company", "Minh Phát")
    run("--db", book, "account", "add", "Hòa Bình", "--key")

    def complete(words: str) -> list[str]:
        line = f"relcrm --db {book} {words}"
        env = {"_RELCRM_COMPLETE": "complete_bash", "COMP_WORDS": line,
               "COMP_CWORD": str(len(line.split()) - 1)}
        return run(env=env).stdout.split()

    assert complete("account show mi") == ["minh_phat"]
    assert complete("account show H") == ["Hòa_Bình"]
    assert complete("kam history h") == ["hoa_binh"]
    assert complete("add Lan --company m") == ["minh_phat"]
    assert run("--db", book, "add", "Lan", "--company", "minh_phat").returncode == 0
    assert run("--db", book, "show", "lan").stdout.count("Minh Phát") == 1  # linked, not a new
    assert complete("kam set 1 p") == ["pre", "partnership"]
    assert complete("role 1 de") == ["decider"]
    assert complete("account edit 1 --criterion pr") == ["price", "productivity"]


def test_stage_completion():
    env = {"_RELCRM_COMPLETE": "complete_bash", "COMP_WORDS": "relcrm stage set 1 co",
           "COMP_CWORD": "4"}
    assert run(env=env).stdout.split() == ["consolidate"]
