"""show and account show into a pipe are written without rich (issue 15: rich is imported only
to draw for a terminal), line for line as rich writes them there."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relcrm import render
from relcrm.cli import views


def _modules_loaded(tmp_path, *args: str, env: dict) -> set[str]:
    import os
    import subprocess
    import sys

    code = ("import sys\nsys.argv = ['relcrm', *sys.argv[1:]]\nfrom relcrm.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('LOADED', ' '.join(sorted(sys.modules)), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                            env={**os.environ, "RELCRM_DB": str(tmp_path / "book.db"), **env})
    line = next(x for x in result.stderr.splitlines() if x.startswith("LOADED"))
    return set(line.split()[1:])


def _with_rich(cli, *args, env=None):
    """The command's output as rich lays it out into a pipe (the way it was written before)."""
    real = views._output

    def rich_console():
        views._plain[0] = False
        return render.console()

    views._output = rich_console
    try:
        return cli(*args, env=env).out
    finally:
        views._output = real


@pytest.fixture
def book(cli):
    cli("demo", "--path", str(cli.path))
    an = cli.add("李小龍 😀 Zoë", "--company", "Ｆｕｌｌ Co", "--note", "tab\there\nand a line")
    cli("log", an, "call", "ghi chú — ‘x’ … → ₫ ½ ©", "--minutes", "5")
    cli("call", an, "--outcome", "continuation", "--problem", "máy hay dừng\nnhiều lần",
        "--problem", "x" * 300)
    cli("fact", an, "thích trà ☕")
    cli("fact", "1", "trà sen")
    return cli


def test_show_into_a_pipe_is_what_rich_wrote(book):
    for ref in range(1, 12):
        for env in ({}, {"RELCRM_LANG": "vi"}):
            assert book("show", str(ref), env=env).out == \
                _with_rich(book, "show", str(ref), env=env), (ref, env)


def test_account_show_into_a_pipe_is_what_rich_wrote(book):
    for ref in range(1, 9):
        for env in ({}, {"RELCRM_LANG": "vi"}):
            assert book("account", "show", str(ref), env=env).out == \
                _with_rich(book, "account", "show", str(ref), env=env), (ref, env)


@settings(max_examples=60, deadline=None)
@given(name=st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Cn", "Co")), min_size=1,
                    max_size=30).filter(lambda s: s.strip() and not s.startswith("-")),
       # (a word that starts with "-" on a command line is an option, not a name or a note)
       note=st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Cn", "Co")),
                    max_size=40).filter(lambda s: not s.startswith("-")))
@pytest.mark.slow  # a property test: the full suite (CI) runs it
def test_any_name_and_note(tmp_path_factory, name, note):
    from conftest import Cli

    cli = Cli(tmp_path_factory.mktemp("v") / "book.db")
    ident = cli.add(name, "--company", name[:10] or "x", "--allow-duplicate")
    cli("log", str(ident), "call", note or "x")
    if note.strip():
        cli("fact", str(ident), note)
    assert cli("show", str(ident)).out == _with_rich(cli, "show", str(ident))


def test_the_characters_laid_out_without_rich_have_rich_widths():
    from rich.cells import cell_len

    for code in range(0x20, 0x2200):
        char = chr(code)
        if views._SAME_WIDTH.fullmatch(char):
            assert render.cell_width(char) == cell_len(char), hex(code)
            assert render.cell_width("a" + char) == cell_len("a" + char), hex(code)
    assert not views._SAME_WIDTH.fullmatch("\u00ad")  # rich counts the soft hyphen


def test_show_into_a_pipe_imports_no_rich(tmp_path):
    from relcrm.cli import main  # noqa: F401 - the tree imports

    env = {"RELCRM_TODAY": "2026-11-25"}
    _modules_loaded(tmp_path, "demo", "--path", str(tmp_path / "book.db"), env=env)
    for args in (("show", "5"), ("account", "show", "1")):
        loaded = _modules_loaded(tmp_path, *args, env=env)
        assert "relcrm.cli.views" in loaded
        assert not {m for m in loaded if re.match(r"rich\b", m)}, args
