"""Fixtures: each test has its own book in tmp_path, a fixed today, and a fake home.

TODAY is a Wednesday, so "this week" runs Mon 2026-11-23 .. Sun 2026-11-29. Nothing here
depends on the real date, the real home directory, or another test.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relcrm import db
from relcrm.cli import app

TODAY = "2026-11-25"


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    """The quick suite (pytest -m "not slow") runs on every core (pytest-xdist), to stay well
    under its three minutes; the full suite (plain pytest, as CI runs it) stays in one process,
    because its crash and concurrency tests time kills and races against the machine's speed.
    -n given on the command line, or -p no:xdist, decides instead."""
    import os

    if (config.option.markexpr == "not slow" and "PYTEST_XDIST_WORKER" not in os.environ
            and getattr(config.option, "numprocesses", "absent") is None
            and config.pluginmanager.hasplugin("xdist")):
        config.option.numprocesses = "auto"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("RELCRM_DB", str(tmp_path / "book.db"))
    monkeypatch.setenv("RELCRM_TODAY", TODAY)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("NO_COLOR", "RELCRM_DEBUG", "COLUMNS", "LINES", "RELCRM_LANG", "LANGUAGE",
                 "LC_ALL", "LC_MESSAGES", "LANG"):  # English unless a test asks otherwise
        monkeypatch.delenv(name, raising=False)
    db.select(None)
    from relcrm import i18n

    i18n.activate("en")  # a command run in Vietnamese leaves its language behind in-process
    yield
    db.select(None)
    i18n.activate("en")


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        return CliRunner()


@dataclass
class Run:
    code: int
    out: str
    err: str
    raw: bytes = b""  # stdout as written (Result.stdout turns CRLF into LF)

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


def _build_once():
    """Typer's CliRunner builds the whole Click command tree on every invoke (about 30 ms);
    the installed script builds it once per process. Tests build it once per run."""
    import typer.testing

    built = {}
    original = typer.testing._get_command

    def cached(typer_app):
        if id(typer_app) not in built:
            built[id(typer_app)] = original(typer_app)
        return built[id(typer_app)]

    typer.testing._get_command = cached


_build_once()


class Cli:
    """Runs relcrm through Typer's CliRunner, as a user would type it."""

    def __init__(self, path: Path):
        self.path = path
        self.runner = _runner()

    def run(self, *args: str, input: str | None = None, env: dict | None = None) -> Run:
        result = self.runner.invoke(app, [str(a) for a in args], input=input, env=env)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception  # a traceback would have reached the user
        return Run(result.exit_code, result.stdout, result.stderr, result.stdout_bytes)

    def __call__(self, *args: str, **kw) -> Run:
        """Run and require success."""
        result = self.run(*args, **kw)
        assert result.code == 0, f"exit {result.code}: {result.err or result.out}"
        assert "Traceback" not in result.err
        return result

    def fails(self, code: int, *args: str, match: str = "", **kw) -> Run:
        """Run, require exit `code`, one clear stderr line, and an unchanged book."""
        before = self.dump()
        result = self.run(*args, **kw)
        assert result.code == code, f"expected exit {code}, got {result.code}: {result.err}"
        lines = result.err.strip().splitlines()
        assert len(lines) == 1, f"expected one line on stderr, got: {result.err!r}"
        assert lines[0].startswith("relcrm: error: "), lines[0]
        assert "Traceback" not in result.err and "Traceback" not in result.out
        assert match.lower() in lines[0].lower(), f"{match!r} not in {lines[0]!r}"
        assert self.dump() == before, "a failed command changed the book"
        return result

    def dump(self) -> str:
        if not self.path.exists():
            return ""
        con = sqlite3.connect(self.path)
        try:
            return "\n".join(con.iterdump())
        finally:
            con.close()

    def sql(self, query: str, *params) -> list[tuple]:
        con = sqlite3.connect(self.path)
        try:
            return con.execute(query, params).fetchall()
        finally:
            con.close()

    def one(self, query: str, *params):
        rows = self.sql(query, *params)
        assert len(rows) == 1, rows
        return rows[0][0] if len(rows[0]) == 1 else rows[0]

    def add(self, name: str, *args: str, **kw) -> int:
        return int(self("add", name, "--quiet", *args, **kw).out.strip())


@pytest.fixture
def cli(tmp_path) -> Cli:
    return Cli(tmp_path / "book.db")
