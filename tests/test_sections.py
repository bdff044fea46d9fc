"""`plan` (rows under day headings, render.sections) into a pipe, or longer than render.LONG
rows, is written line by line without rich (issue 15: a table of any size renders within 2x of
its TSV time; rich laid out 5,000 rows of a week's plan in 3 s against 0.3 s as TSV), line for
line as rich wrote it there."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relcrm import render

PERIODS = ((), ("week",), ("next-week",), ("--days", "30"), ("tomorrow",), ("fri",))


def _with_rich(cli, *args, env=None):
    """The command's output as rich lays it out into a pipe (the way it was written before)."""
    real = render._plain_sections
    render._plain_sections = lambda parts, cols, title, indent: render._rich_sections(
        parts, cols, title, indent)
    try:
        return cli(*args, env=env).out
    finally:
        render._plain_sections = real


@pytest.fixture
def book(cli):
    cli("demo", "--path", str(cli.path))
    an = cli.add("李小龍 😀 Zoë", "--company", "Ｆｕｌｌ Co [bold]x[/bold]", "--next", "tomorrow",
                 "--next-step", "gọi lại — ‘x’ … → ₫ ½ ©")
    cli("step", "add", str(an), "fri 14:30", "meeting at the café", "--minutes", "45")
    cli.add("Ana", "--company", "A" * 60, "--next", "+3d")
    return cli


def test_plan_into_a_pipe_is_what_rich_wrote(book):
    for period in PERIODS:
        for env in ({}, {"RELCRM_LANG": "vi"}):
            plain = book("plan", *period, env=env).out
            assert plain == _with_rich(book, "plan", *period, env=env), (period, env)
            assert plain.count("\n") >= 3


@settings(max_examples=40, deadline=None)
@given(name=st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Cn", "Co")), min_size=1,
                    max_size=30).filter(lambda s: s.strip() and not s.startswith("-")),
       step=st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Cn", "Co")),
                    min_size=1, max_size=40).filter(lambda s: s.strip()
                                                    and not s.startswith("-")))
@pytest.mark.slow  # a property test: the full suite (CI) runs it
def test_any_name_and_step(tmp_path_factory, name, step):
    from conftest import Cli

    path = tmp_path_factory.mktemp("s") / "book.db"
    cli, env = Cli(path), {"RELCRM_DB": str(path)}  # a book for each example
    cli("add", name, "--company", name[:10], "--next", "tomorrow", "--next-step", step, env=env)
    cli("add", "Bình", "--next", "today", env=env)
    for period in ((), ("week",)):
        assert cli("plan", *period, env=env).out == _with_rich(cli, "plan", *period, env=env)


def test_a_long_plan_is_written_plain_even_on_a_terminal(monkeypatch, capsys):
    """Above render.LONG rows rich is not asked to lay out the whole table, on a terminal too
    (as `table` does); below, a terminal gets rich's layout."""
    cols = [render.Col("#", "id", justify="right"), render.Col("Name", "name")]
    parts = [("Mon", None, [{"id": i, "name": f"n{i}"} for i in range(render.LONG + 1)])]
    used = []
    monkeypatch.setattr(render, "is_tty", lambda stream: True)
    monkeypatch.setattr(render, "_plain_sections", lambda *a: used.append("plain"))
    monkeypatch.setattr(render, "_rich_sections", lambda *a: used.append("rich"))
    render.sections(parts, cols)
    render.sections([("Mon", None, parts[0][2][:render.LONG])], cols)
    assert used == ["plain", "rich"]


def test_a_plan_into_a_pipe_imports_no_rich(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "RELCRM_DB": str(tmp_path / "book.db"), "RELCRM_TODAY": "2026-11-25"}
    subprocess.run([sys.executable, "-m", "relcrm", "demo", "--path", env["RELCRM_DB"]],
                   env=env, check=True, capture_output=True)
    code = ("import sys\nsys.argv = ['relcrm', 'plan', 'week']\nfrom relcrm.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('LOADED', ' '.join(sorted(sys.modules)), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    loaded = next(x for x in result.stderr.splitlines() if x.startswith("LOADED")).split()[1:]
    assert "Plan for this week" in result.stdout
    assert not [m for m in loaded if m == "rich" or m.startswith("rich.")]
