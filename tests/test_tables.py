"""Tables on real terminals (issue 15): at 60, 80 and 120 columns no id, date or amount is cut;
columns of lower priority are dropped first and text wraps at word boundaries, so every line
fits the terminal. Each table is drawn by the real entry point on a pseudo-terminal."""

import json
import os
import re
import subprocess
import sys

import pytest

from test_output import _run_in_terminal

DAY = re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-\d{2}-\d{2}\b")
AMOUNT = re.compile(r"\b\d{1,3}(?:,\d{3})+(?:\.\d+)?\b")
TABLES = {  # command: (the columns of its JSON that must show whole, never dropped)
    "list": ("id", "due_on", "value"),
    "followups": ("id", "due_on"),
    "step list": ("id",),
    "deal list": ("id", "value"),
    "account list": ("id",),
}


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = tmp_path_factory.mktemp("tables") / "demo.db"
    env = {**os.environ, "RELCRM_TODAY": "2026-11-25", "RELCRM_DB": str(path)}
    for args in (["demo", "--path", str(path)], ["edit", "4", "--value", "1,200,000,000"],
                 ["edit", "9", "--value", "85,500,000"],
                 ["deal", "add", "Sài Gòn Tech", "Reporting suite for the whole group",
                  "--value", "2,450,000,000", "--with", "4", "--close", "2027-03-31"]):
        subprocess.run([sys.executable, "-m", "relcrm", *args], env=env, check=True,
                       capture_output=True)
    return env


def _pipe(command: str, env: dict, *extra: str) -> str:
    return subprocess.run([sys.executable, "-m", "relcrm", *command.split(), *extra], env=env,
                          check=True, capture_output=True, text=True).stdout


@pytest.mark.parametrize("width", [40, 46, 60, 80, 120])
@pytest.mark.parametrize("command", list(TABLES))
def test_no_id_date_or_amount_is_cut(book, command, width):
    """A table fits the terminal (a person's table, with a rule under its header), or, when
    even the columns that may not go do not fit (40 columns), it is written as plain lines for
    the terminal to wrap: never a cut id, date or amount, never a reason one letter a line."""
    env = {**book, "COLUMNS": str(width), "NO_COLOR": "1", "TERM": "xterm"}
    shown, code = _run_in_terminal(command.split(), env)
    assert code == 0, shown
    lines = shown.replace("\r\n", "\n").splitlines()
    fitted = any(set(line.strip()) == {"─"} for line in lines)
    if fitted:
        assert all(len(line) <= width for line in lines), "\n".join(lines)
    else:
        assert width < 60, f"at {width} columns a table fits:\n" + "\n".join(lines)
    assert "…" not in shown, shown
    records_shown = len(json.loads(_pipe(command, book, "--format", "json")))
    assert len(lines) <= 12 * records_shown + 4, "squeezed:\n" + "\n".join(lines)
    piped = _pipe(command, book)
    records = json.loads(_pipe(command, book, "--format", "json"))
    assert records, command
    for field in TABLES[command]:
        for record in records:
            value = record.get(field)
            if value is None or value == "":
                continue
            if field == "id":
                assert re.search(rf"(?m)^\s*{value}\s|\s{value}\s", shown), (field, value, shown)
            elif field == "due_on":
                wanted = [d for d in DAY.findall(piped) if value in d]
                for day in wanted:
                    assert day in shown, (day, shown)
    for amount in AMOUNT.findall(piped):  # every amount the table shows, whole
        if "value" in TABLES[command]:
            assert amount in shown, (amount, shown)


def test_a_narrow_terminal_keeps_the_reason_readable(book):
    """The demo's follow-ups at 80 columns: the reason keeps room to be read (columns of
    lower priority, company and stage, go first) instead of 71 lines of words cut in two."""
    env = {**book, "COLUMNS": "80", "NO_COLOR": "1", "TERM": "xterm"}
    shown, code = _run_in_terminal(["followups"], env)
    lines = shown.replace("\r\n", "\n").splitlines()
    assert code == 0 and len(lines) <= 40, "\n".join(lines)
    assert "Why" in lines[1] and "Company" not in lines[1]
    wide, _ = _run_in_terminal(["followups"], {**env, "COLUMNS": "160"})
    assert "Company" in wide and "Stage" in wide


@pytest.mark.slow  # over 2 s: the full run (CI) has it
def test_a_table_too_long_to_read_is_written_plain_on_a_terminal(tmp_path):
    """Rich lays out a whole table before printing it (9,500 rows took 5.6 s); more than
    render.LONG rows are written plain, row by row, even on a terminal; fewer stay a table."""
    from relcrm import render

    csv = tmp_path / "many.csv"
    csv.write_text("Name,Company\n" + "".join(f"Person {i},Company {i % 40}\n"
                                              for i in range(render.LONG + 1)), encoding="utf-8")
    env = {**os.environ, "RELCRM_DB": str(tmp_path / "book.db"), "RELCRM_TODAY": "2026-11-25",
           "COLUMNS": "120", "NO_COLOR": "1", "TERM": "xterm"}
    subprocess.run([sys.executable, "-m", "relcrm", "import", str(csv)], env=env, check=True,
                   capture_output=True)
    shown, code = _run_in_terminal(["list", "--limit", "0"], env)
    lines = shown.replace("\r\n", "\n").splitlines()
    assert code == 0 and len(lines) == render.LONG + 2 and "─" not in shown
    assert lines[0].split()[:3] == ["#", "Name", "Company"]
    shown, code = _run_in_terminal(["list", "--limit", "20"], env)
    assert code == 0 and "─" in shown  # a table a person reads: rules


@pytest.mark.parametrize("width", [40, 62, 120])
def test_search_never_cuts_a_date(book, width):
    """search draws its own table (snippets keep their highlights): a date is whole at any
    width, the table written plain when it cannot fit."""
    env = {**book, "COLUMNS": str(width), "NO_COLOR": "1", "TERM": "xterm"}
    shown, code = _run_in_terminal(["search", "quote"], env)
    assert code == 0 and "…" not in shown, shown
    for day in DAY.findall(_pipe("search quote", book)):
        assert day in shown, (day, shown)
