"""The command tree is lazy (issue 15): a command line builds only the command it runs, and the
root --help lists every command from relcrm/cli/_index.py without importing them."""

import os
import subprocess
import sys
from pathlib import Path

from relcrm import cli as tree

INDEX = Path(tree.__file__).with_name("_index.py")


def test_the_index_of_commands_is_current():
    """A command added or its help changed without running scripts/messages.py fails here."""
    assert INDEX.read_text(encoding="utf-8") == tree.index_text(), \
        "run python scripts/messages.py"


def _modules_loaded(tmp_path, *args: str, env: dict | None = None) -> set[str]:
    code = ("import sys\nsys.argv = ['relcrm', *sys.argv[1:]]\nfrom relcrm.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('LOADED', ' '.join(sorted(m for m in sys.modules if m.startswith('relcrm'))),"
            " file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                            env={**os.environ, "RELCRM_DB": str(tmp_path / "book.db"),
                                 **(env or {})})
    line = next(x for x in result.stderr.splitlines() if x.startswith("LOADED"))
    return set(line.split()[1:])


def test_the_root_help_builds_no_command(tmp_path):
    loaded = _modules_loaded(tmp_path, "--help")
    commands = {m for m in loaded if m.startswith("relcrm.cli.")} - {"relcrm.cli._index"}
    assert not commands, commands
    assert not {"relcrm.dates", "relcrm.render", "relcrm.queries"} & loaded, loaded


def test_a_command_builds_only_itself(tmp_path):
    loaded = _modules_loaded(tmp_path, "followups")
    assert "relcrm.cli.followups" in loaded
    assert not {"relcrm.cli.transfer", "relcrm.cli.accounts", "relcrm.cli.care",
                "relcrm.cli.deals", "relcrm.cli.review"} & loaded, loaded


def test_the_root_help_lists_every_command_in_the_language(cli):
    out = cli("--help").out
    for name, (_module, _attribute, hidden) in tree.COMMANDS.items():
        assert (f"  {name} " in out) != hidden, name
    assert "Add a prospect at stage 1 (Attract)." in out
    vi = cli("--help", env={"RELCRM_LANG": "vi"}).out
    assert "Add a prospect" not in vi and "Thêm khách hàng tiềm năng" in vi


def test_every_command_and_group_builds_with_its_help(cli):
    for name in tree.COMMANDS:
        result = cli(name, "--help")
        shown = "call edit" if name == "call-edit" else name  # typed in two words
        assert "Usage: relcrm " + shown in " ".join(result.out.split()), name


def test_tab_completion_of_commands_builds_none(tmp_path):
    env = {"_RELCRM_COMPLETE": "complete_bash", "COMP_WORDS": "relcrm fo", "COMP_CWORD": "1"}
    loaded = _modules_loaded(tmp_path, env=env)
    assert not {m for m in loaded if m.startswith("relcrm.cli.")} - {"relcrm.cli._index"}
    code = ("import sys\nsys.argv = ['relcrm']\nfrom relcrm.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "RELCRM_DB": str(tmp_path / "book.db"), **env})
    assert result.stdout.split() == ["followups"]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "RELCRM_DB": str(tmp_path / "book.db"), **env,
                                 "COMP_WORDS": "relcrm stage ", "COMP_CWORD": "2"})
    assert {"advance", "set", "list", "history"} <= set(result.stdout.split())


def _leaves(command, path=()):
    subs = getattr(command, "commands", None)
    if subs:
        if command.invoke_without_command and path:  # `relcrm sync` runs; so do its subs
            yield " ".join(path), command
        for name, sub in subs.items():
            yield from _leaves(sub, (*path, name))
    elif not command.hidden:
        yield " ".join(path), command


def test_every_command_ends_its_help_with_examples_that_parse():
    """Issue 15: each command's --help ends with two or three examples, and each example is a
    command line its command accepts (options, arguments and their types)."""
    import shlex

    from relcrm.cli.examples import EXAMPLES

    group = tree.full_command()
    leaves = dict(_leaves(group))
    assert set(EXAMPLES) == set(leaves), set(EXAMPLES) ^ set(leaves)
    for path, command in leaves.items():
        assert 1 <= len(EXAMPLES[path]) <= 3, path
        assert command.epilog.splitlines()[1] == "Examples:", path
        for example in EXAMPLES[path]:
            args = shlex.split(example)
            assert args[0] == "relcrm" and " ".join(args[1:]).startswith(path), example
            ctx = group.make_context("relcrm", tree._optional_values(args[1:]))
            current, rest = group, ctx._protected_args + ctx.args
            while hasattr(current, "commands") and current.commands and rest:
                name, current, rest = current.resolve_command(ctx, rest)
                ctx = current.make_context(name, rest, parent=ctx)
                rest = ctx._protected_args + ctx.args
            assert not rest, (example, rest)


def test_examples_in_the_help_of_each_language(cli):
    assert "Examples:\n    relcrm add " in cli("add", "--help").out
    vi = cli("add", "--help", env={"RELCRM_LANG": "vi"}).out
    assert "Ví dụ:\n    relcrm add " in vi


def test_a_mistyped_command_gets_the_closest_commands_though_none_is_built(cli):
    """The lazy tree must not lose Click's suggestions (they looked only at built commands)."""
    result = cli.run("lst")
    assert result.code == 2 and "No such command 'lst'. Did you mean 'list'?" in result.err
    result = cli.run("stge")
    assert "Did you mean 'stage', 'step'?" in result.err
    vi = cli.run("stge", env={"RELCRM_LANG": "vi"})
    assert "Không có lệnh 'stge'. Có phải ý bạn là 'stage', 'step'?" in vi.err
    assert "Did you mean 'done'?" in cli.run("step", "dne").err


def test_undo_limit_without_list_is_refused_not_an_undo(cli):
    """`undo --limit 5` once took back the last change and exited 0: --limit goes with --list."""
    cli.add("Nguyễn Văn An")
    before = cli.dump()
    result = cli.run("undo", "--limit", "5")
    assert result.code == 2 and "--limit goes with --list" in result.err
    assert cli.dump() == before
    assert "relcrm add" in cli("undo", "--list", "--limit", "5").out


def test_call_edit_is_named_as_it_is_typed(cli):
    """`relcrm call edit` runs a command stored as call-edit; its help and errors never show
    that internal name."""
    assert "Usage: relcrm call edit [OPTIONS] {ID}" in cli("call", "edit", "--help").out
    error = cli.fails(2, "call", "edit", "7", "--outcome", "maybe").err
    assert "call-edit" not in error and "relcrm call edit --help" in error
