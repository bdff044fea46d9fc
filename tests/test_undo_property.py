"""Undo as a property (issue 11): any sequence of commands, then as many `undo`s as changes they
made, gives back every table exactly (derived columns, rowids and the days off included).

Each example starts from a copy of one book with people, calls, steps and an account step; its
commands may fail (exit 1 or 2: then they changed nothing and recorded nothing).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ON = lambda when: {"RELCRM_TODAY": when}  # noqa: E731
# the journal's own tables, and SQLite's tables behind the search index (its rows, in
# _search itself, are compared: undo re-indexes what it puts back)
MACHINERY = ("_change", "_journal", "_dirty", "_migrations", "_search_data", "_search_idx",
             "_search_content", "_search_docsize", "_search_config")
REFS = ["1", "2", "3", "4", "an", "bình", "cường", "6"]
TOUCHES = ["1", "2", "3", "4", "5", "6", "9"]
NAMES = ["Nguyễn Văn An", "Nguyễn Văn Ân", "Trần Thị Hạ", "Đỗ Minh", "An"]
COMPANIES = ["Minh Phát", "minh phat", "Hòa Bình", "Acme"]
EMAILS = ["an@mp.vn", "AN@mp.vn", "new@x.vn", "binh@mp.vn"]
PHONES = ["0912 345 678", "+84 912 345 678", "028 3822 1234", "0903 111 222"]
AMOUNTS = ["68tr", "1,2 tỷ", "12,500.50 USD", "5k", "2,5", "450.000.000"]
WHENS = ["fri", "2026-12-01", "+3d", "2026-12-24 09:00"]
TEXTS = ["hello", "tab\there", "back\\slash", "two\nlines", "Tết gift"]


def state(path: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {name: con.execute(f"SELECT * FROM {name} ORDER BY 1, 2").fetchall()
                if name == "_day_off"
                else con.execute(f"SELECT rowid, * FROM {name} ORDER BY rowid").fetchall()
                for name in sorted(names) if name not in MACHINERY}
    finally:
        con.close()


@st.composite
def command(draw) -> list[str]:
    def maybe(flag: str, values) -> list[str]:
        return draw(st.one_of(st.just([]), st.sampled_from(values).map(lambda v: [flag, v])))

    ref = draw(st.sampled_from(REFS))
    what = draw(st.sampled_from(["add", "edit", "log", "call", "qualify", "stage", "step",
                                 "merge", "delete", "touch edit", "touch delete", "call edit",
                                 "config", "snooze", "account merge"]))
    if what == "add":
        return ["add", draw(st.sampled_from(NAMES)), *maybe("--company", COMPANIES),
                *maybe("--email", EMAILS), *maybe("--phone", PHONES),
                *maybe("--value", AMOUNTS), *maybe("--tag", ["vip", "hcm"]),
                *draw(st.sampled_from([[], ["--allow-duplicate"]]))]
    if what == "edit":
        return ["edit", ref, *maybe("--note", TEXTS), *maybe("--tag", ["vip", "new"]),
                *maybe("--untag", ["vip"]), *maybe("--phone", PHONES),
                *maybe("--drop-phone", PHONES), *maybe("--email", EMAILS),
                *maybe("--drop-email", EMAILS), *maybe("--value", AMOUNTS),
                *maybe("--company", COMPANIES), *maybe("--name", NAMES),
                *maybe("--next", WHENS), *maybe("--cadence", ["5", "stage"])]
    if what == "log":
        return ["log", ref, draw(st.sampled_from(["email", "meeting", "note"])),
                draw(st.sampled_from(TEXTS)), *maybe("--with", REFS), *maybe("--amount", AMOUNTS),
                *maybe("--at", ["yesterday", "2026-11-20 10:00"]),
                *draw(st.sampled_from([[], ["--done"]]))]
    if what == "call":
        outcome = draw(st.sampled_from(["order", "advance", "continuation", "no-sale"]))
        return ["call", ref, "-o", outcome, "--commitment", "trial",
                *maybe("--situation", TEXTS), *maybe("--problem", TEXTS),
                *(maybe("--amount", AMOUNTS) if outcome == "order" else []),
                *maybe("--next", WHENS), *draw(st.sampled_from([[], ["--done"]]))]
    if what == "qualify":
        return ["qualify", ref, draw(st.sampled_from(["--need", "--budget", "--authority"])),
                draw(st.sampled_from(["yes", "partial", "no", "unknown"]))]
    if what == "stage":
        return draw(st.sampled_from([["stage", "advance", ref],
                                     ["stage", "set", ref, "lost", "--reason", "gone"],
                                     ["stage", "set", ref, "build"]]))
    if what == "step":
        return ["step", "add", ref, draw(st.sampled_from(WHENS)), draw(st.sampled_from(TEXTS))]
    if what == "merge":
        return ["merge", ref, "into", draw(st.sampled_from(REFS)),
                *draw(st.sampled_from([[], ["--prefer", "source"]]))]
    if what == "delete":
        return ["delete", ref, "--yes"]
    if what == "touch edit":
        return ["touch", "edit", draw(st.sampled_from(TOUCHES)), *maybe("--prospect", REFS),
                *maybe("--text", TEXTS), *maybe("--at", ["2026-11-21 08:00", "yesterday"]),
                *maybe("--kind", ["email", "visit"]), *maybe("--minutes", ["5", "90"]),
                *maybe("--amount", AMOUNTS + [""])]
    if what == "touch delete":
        return ["touch", "delete", draw(st.sampled_from(TOUCHES))]
    if what == "call edit":
        return ["call", "edit", draw(st.sampled_from(TOUCHES)), *maybe("--situation", TEXTS),
                *maybe("-o", ["advance", "continuation", "order"]),
                *maybe("--commitment", ["PO 7"])]
    if what == "config":
        return ["config", *draw(st.sampled_from([["workdays", "mon-sat"], ["currency", "USD"],
                                                 ["cadence.build", "4"], ["country", "none"],
                                                 ["region", "SG"]]))]
    if what == "snooze":
        return ["snooze", ref, draw(st.sampled_from(["2026-12-24", "+5d"]))]
    return ["account", "merge", draw(st.sampled_from(["1", "2", "3"])),
            draw(st.sampled_from(["1", "2", "3"]))]


def _build(cli, path: Path) -> None:
    db = ["--db", str(path)]
    cli(*db, "add", "Nguyễn Văn An", "--company", "Minh Phát", "--email", "an@mp.vn",
        "--phone", "0912 345 678", "--tag", "vip", "--value", "68tr", env=ON("2026-11-02"))
    cli(*db, "add", "Trần Thị Bình", "--company", "Minh Phat JSC", "--email", "binh@mp.vn",
        env=ON("2026-11-02"))
    cli(*db, "add", "Lê Văn Cường", "--company", "Hòa Bình", "--phone", "0903 111 222",
        env=ON("2026-11-02"))
    cli(*db, "add", "Đỗ Minh", env=ON("2026-11-02"))
    cli(*db, "qualify", "an", "--need", "yes", env=ON("2026-11-03T10:00"))
    cli(*db, "call", "an", "--situation", "2 plants", "-o", "continuation",
        env=ON("2026-11-04T10:00"))
    cli(*db, "log", "an", "meeting", "lunch", "--with", "bình", env=ON("2026-11-05T12:00"))
    cli(*db, "log", "cường", "email", "PO", "--amount", "5k", env=ON("2026-11-06T12:00"))
    cli(*db, "call", "bình", "-o", "advance", "--commitment", "trial", "--next", "2026-11-30",
        env=ON("2026-11-07T12:00"))
    cli(*db, "role", "an", "decider", env=ON("2026-11-08T12:00"))
    cli(*db, "account", "step", "1", "2026-12-03", "site visit", "--with", "an",
        env=ON("2026-11-08T12:00"))
    cli(*db, "stage", "advance", "cường", env=ON("2026-11-09T12:00"))
    cli(*db, "edit", "bình", "--note", "likes golf", env=ON("2026-11-10T12:00"))


def _check(cli, base: Path, path: Path, commands: list[list[str]]) -> None:
    src, dst = sqlite3.connect(base), sqlite3.connect(path)
    src.backup(dst)
    src.close()
    dst.close()
    db = ["--db", str(path)]
    original = state(path)
    last = max(c["id"] for c in json.loads(cli(*db, "undo", "--list", "-n", "0", "-f",
                                               "json").out))
    start = dt.datetime(2026, 11, 20, 8, 0)
    for n, args in enumerate(commands, 1):
        result = cli.run(*db, *args, env=ON((start + dt.timedelta(hours=5 * n)).isoformat()))
        assert result.code in (0, 1, 2), (args, result.err)
        assert "Traceback" not in result.err
    made = [c for c in json.loads(cli(*db, "undo", "--list", "-n", "0", "-f", "json").out)
            if c["id"] > last]
    assert all(c["undone_at"] is None for c in made)
    for _ in made:
        result = cli.run(*db, "undo", env=ON("2026-11-25T18:00"))
        assert result.code == 0, (commands, result.err)
    assert state(path) == original, commands


UNDO = settings(deadline=None, derandomize=True, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _run(cli, tmp_path, examples: int) -> None:
    base = tmp_path / "base.db"
    _build(cli, base)
    count = iter(range(10**6))

    @settings(UNDO, max_examples=examples)
    @given(st.lists(command(), min_size=1, max_size=6))
    def undo_all(commands):
        _check(cli, base, tmp_path / f"book{next(count)}.db", commands)

    undo_all()


@pytest.mark.slow  # a property test: the full suite (CI) runs it
def test_undoing_every_change_of_random_commands_restores_every_table(cli, tmp_path):
    _run(cli, tmp_path, 50)


@pytest.mark.slow
def test_undoing_every_change_of_many_random_command_sequences(cli, tmp_path):
    _run(cli, tmp_path, 400)
