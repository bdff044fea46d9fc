"""Output: plain when piped, colour only on a terminal without NO_COLOR, aligned, escaped."""

import os
import pty
import select
import sqlite3
import subprocess
import sys

import pytest
from rich.cells import cell_len

from relcrm.core import derive

ESC = "\x1b"


@pytest.fixture
def book(cli):
    cli.add("Nguyễn Văn An", "--company", "Minh Phát", "--tag", "hcm", "--value", "5000")
    cli.add("Trần Thị Bình", "--company", "Hòa Bình Logistics")
    cli.add("Bob Smith", "--company", "Acme")
    cli("call", "an", "--outcome", "continuation", "--problem", "slow")
    return cli


COMMANDS = [["list"], ["followups"], ["show", "an"], ["stage", "list"], ["stage", "history", "an"],
            ["list", "-f", "csv"], ["followups", "-f", "json"], ["export"]]


@pytest.mark.parametrize("args", COMMANDS)
def test_no_ansi_codes_when_piped(book, args):
    result = book(*args)
    assert ESC not in result.out and ESC not in result.err
    for line in result.out.splitlines():
        assert line == line.rstrip(), "no padding at line ends"


def test_no_box_drawing_when_piped(book):
    for args in COMMANDS[:5]:
        assert not set("─│┃━┏┗") & set(book(*args).out)


def test_vietnamese_names_align_in_tables(book):
    lines = book("list").lines
    header, rows = lines[0], lines[1:]
    start = cell_len(header[:header.index("Company")])
    for row in rows:
        company = next(c for c in ("Minh Phát", "Hòa Bình", "Acme") if c in row)
        assert cell_len(row[:row.index(company)]) == start, row


def test_terminal_escapes_in_stored_text_are_shown_escaped(book, tmp_path):
    con = sqlite3.connect(tmp_path / "book.db")
    con.execute("UPDATE prospect SET name = ?, note = ? WHERE id = 3",
                ("Evil\x1b[2J\x1b]0;pwned\x07Name", "line\x1b[31mred"))
    derive.refresh_all(con)
    con.commit()
    con.close()
    for args in (["list"], ["show", "3"], ["followups"]):
        out = book(*args).out
        assert ESC not in out and "\x07" not in out
        assert "Evil\\x1b[2J\\x1b]0;pwned\\x07Name" in out
    assert "line\\x1b[31mred" in book("show", "3").out


def _run_in_terminal(args, env):
    """Run the real entry point with stdout on a pseudo-terminal; returns what it printed."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "relcrm", *args], stdout=follower,
                            stderr=follower, stdin=subprocess.DEVNULL, env=env)
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 10)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=20)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace"), proc.returncode


def test_colour_on_a_terminal_and_none_with_no_color(book, tmp_path):
    env = {**os.environ, "RELCRM_DB": str(tmp_path / "book.db"), "COLUMNS": "120",
           "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    out, code = _run_in_terminal(["followups"], env)
    assert code == 0 and ESC + "[" in out and "Trần Thị Bình" in out
    out, code = _run_in_terminal(["followups"], {**env, "NO_COLOR": "1"})
    assert code == 0 and ESC not in out, repr(out)
    assert "Trần Thị Bình" in out and "─" in out  # still a table for a person
    out, code = _run_in_terminal(["followups"], {**env, "NO_COLOR": ""})
    assert code == 0 and ESC + "[" in out, "an empty NO_COLOR does not count (no-color.org)"
    out, code = _run_in_terminal(["show", "an"], {**env, "NO_COLOR": "1"})
    assert code == 0 and ESC not in out and "Timeline (newest first)" in out


def test_the_licence_is_the_one_pyproject_names():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    assert 'license = "MIT"' in (root / "pyproject.toml").read_text()
    assert (root / "LICENSE").read_text().startswith("MIT License")
