"""The README's tour is real: every `$ relcrm ...` in a ```console block is run, in order, on
one book with today fixed at 2026-11-25, and its output must match what the README shows.
README.vi.md is the tour in Vietnamese, run the same way with RELCRM_LANG=vi (issue 14).

After changing behaviour on purpose, refresh the READMEs with:
    RELCRM_UPDATE_README=1 pytest tests/test_readme.py
"""

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from relcrm import db
from test_entrypoint import _relcrm

README = Path(__file__).resolve().parent.parent / "README.md"
README_VI = README.with_name("README.vi.md")
BLOCK = re.compile(r"```console\n(.*?)```", re.S)
TODAY = "2026-11-25"
SHOWN_SERVER = "http://127.0.0.1:5232/"  # relcrm sync in the tour: a real Radicale, this URL
SHOWN_POSTGRES = "@127.0.0.1:5432/"  # team mode in the tour: a throwaway PostgreSQL cluster


def _commands(block: str):
    """(command, shown output) pairs of a console block."""
    out, current = [], None
    for line in block.splitlines(keepends=True):
        if line.startswith("$ "):
            current = [line[2:].rstrip("\n"), ""]
            out.append(current)
        elif current is not None:
            current[1] += line
    return [tuple(c) for c in out]


def _run(command: str, env: dict, cwd: Path) -> str:
    """What a command prints, run in this process as the installed script runs it (the
    entry-point tests run the script itself; a process per command would take half a minute)."""
    from conftest import Cli

    args = shlex.split(command)
    extra = {}
    while args and "=" in args[0] and args[0].split("=")[0].isupper():  # RELCRM_LANG=vi relcrm
        name, value = args.pop(0).split("=", 1)
        extra[name] = value
    assert args[0] == "relcrm", f"README commands start with relcrm: {command}"
    db.select(None)
    result = Cli(cwd / "book.db").run(*args[1:], env={**env, **extra})
    shown = result.out
    if result.code != 0 or not result.out:  # errors, and notes like "Exported ..."
        shown = result.err
    return shown.replace(str(cwd) + "/", "")


@pytest.mark.parametrize("readme, language", [(README, None), (README_VI, "vi")],
                         ids=["english", "vietnamese"])
def test_readme_tour_output_is_real(tmp_path, monkeypatch, readme, language):
    text = readme.read_text(encoding="utf-8")
    env = {"RELCRM_TODAY": TODAY, "RELCRM_DB": str(tmp_path / "book.db"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path / "home")}
    if language:
        env["RELCRM_LANG"] = language
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.chdir(tmp_path)
    db.select(None)
    import shutil

    shutil.copytree(README.parent / "examples", tmp_path / "examples")
    blocks = BLOCK.findall(text)
    assert blocks, "the README has a tour"
    updated, mismatches = text, []
    server = None  # the tour's sync talks to a real Radicale, shown at Radicale's usual port
    postgres = None  # and its team mode to a real PostgreSQL, shown at PostgreSQL's usual port
    try:
        for block in blocks:
            new_block = ""
            for command, shown in _commands(block):
                if SHOWN_SERVER in command and server is None:
                    from radicale_server import Radicale

                    server = Radicale().start()
                    env["RELCRM_SYNC_PASSWORD"] = server.password
                if SHOWN_POSTGRES in command and postgres is None:
                    from pg_server import Postgres, binaries

                    if binaries() is None and not os.environ.get("RELCRM_REQUIRE_POSTGRES"):
                        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
                    postgres = Postgres().start()
                    postgres.psql("CREATE DATABASE sales", database="postgres")
                real = f"@127.0.0.1:{postgres.port}/" if postgres is not None else None
                if server is not None:
                    command = command.replace(SHOWN_SERVER, server.url)
                if real:
                    command = command.replace(SHOWN_POSTGRES, real)
                actual = _run(command, env, tmp_path)
                if server is not None:
                    command = command.replace(server.url, SHOWN_SERVER)
                    actual = actual.replace(server.url, SHOWN_SERVER)
                if real:
                    command = command.replace(real, SHOWN_POSTGRES)
                    actual = actual.replace(real, SHOWN_POSTGRES)
                if actual != shown:
                    mismatches.append((command, shown, actual))
                new_block += f"$ {command}\n{actual}"
            updated = updated.replace(f"```console\n{block}```", f"```console\n{new_block}```",
                                      1)
    finally:
        if server is not None:
            server.__exit__(None, None, None)
        if postgres is not None:
            postgres.stop()
    if os.environ.get("RELCRM_UPDATE_README"):
        readme.write_text(updated, encoding="utf-8")
        pytest.skip("README refreshed")
    assert not mismatches, "\n\n".join(
        f"$ {c}\n--- README shows:\n{s}--- relcrm prints:\n{a}" for c, s, a in mismatches[:3])


def test_readme_opens_with_the_two_setup_commands():
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"```(?:sh|bash)\n(.*?)```", text, re.S).group(1).strip().splitlines()
    commands = [line for line in first_block if line and not line.startswith("#")]
    assert len(commands) == 2
    assert commands[0].endswith("pip install . && relcrm demo")
    assert commands[1].endswith("pip install -e '.[test]' && pytest")
    ci = (README.parent / ".ci" / "run").read_text()
    assert "pip install -e '.[test]'" in ci and "pytest" in ci


@pytest.mark.slow  # a shell script running relcrm a dozen times: the full suite
def test_examples_script_builds_and_exports_a_book(tmp_path):
    script = README.parent / "examples" / "build-book.sh"
    bin_dir = str(Path(_relcrm()[0]).parent)
    env = {**os.environ, "RELCRM_TODAY": TODAY, "PATH": f"{bin_dir}:{os.environ['PATH']}",
           "HOME": str(tmp_path / "home")}
    result = subprocess.run(["bash", str(script), str(tmp_path / "ex")], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    for entity in ("prospects", "touches", "calls", "stages", "qualifications", "followups"):
        assert (tmp_path / "ex" / f"{entity}.csv").exists()
    prospects = (tmp_path / "ex" / "prospects.csv").read_text(encoding="utf-8").splitlines()
    assert len(prospects) == 4 and "Nguyễn Văn An" in prospects[1]


@pytest.mark.parametrize("readme", [README, README_VI], ids=["english", "vietnamese"])
def test_readme_says_how_to_reach_relcrm_and_keeps_the_tour_out_of_your_book(readme):
    """Issue 15: a new shell has no relcrm until the venv is activated (or pipx / uv installs
    it); the tour starts with a throwaway RELCRM_DB, before its first command."""
    text = readme.read_text(encoding="utf-8")
    for words in (". .venv/bin/activate", "pipx install .", "uv tool install ."):
        assert words in text, words
    throwaway = text.index("export RELCRM_DB=$(mktemp -d)/tour.db")
    assert throwaway < text.index("```console")
