"""The root of the command tree: global options, sub-commands, and error handling.

Every failure reaches the user as one line on stderr and an exit code, never a traceback:
  2  bad input (a value that is not accepted, an ambiguous REF, a usage error)
  1  an unknown record, or a database that cannot be used as it is
  3  relcrm sync: the server could not be reached, or refused
  70 a bug (set RELCRM_DEBUG=1 to see the traceback), 130 interrupted
Modules imported here stay light: Typer plus relcrm's own small modules. Heavy imports
(sqlmodel, dateutil, rich tables, csv) happen inside the commands that need them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from .. import __version__
from ..errors import RelcrmError

HELP = """relcrm: a terminal CRM for relationship selling.

Add prospects, qualify them (need, budget, authority), log SPIN sales calls and other touches,
move each relationship through seven stages, and see each morning who needs follow-up and why.

The book is a SQLite file: --db PATH, else $RELCRM_DB, else your data folder
(~/.local/share/relcrm/relcrm.db on Linux). RELCRM_TODAY=YYYY-MM-DD fixes today's date.
"""


def _fail_line(message: str) -> None:
    """The one line an error is shown as, on stderr."""
    from ..i18n import _
    from ..render import escape

    print(_("relcrm: error: {message}").format(message=escape(message)), file=sys.stderr)


def _fail(message: str, code: int) -> None:
    _fail_line(message)
    sys.exit(code)


def _click_messages() -> list[tuple[str, str]]:
    """Click's own error sentences (it has no catalog of its own): the pattern of each, and
    the same sentence for the catalog, so that they speak the seller's language too."""
    from ..i18n import N_

    return [
        (r"Missing argument '(?P<name>[^']*)'\.", N_("Missing argument '{name}'.")),
        (r"Missing option '(?P<name>[^']*)'\.", N_("Missing option '{name}'.")),
        (r"Got unexpected extra argument\(s\) \((?P<args>.*)\)",
         N_("Got unexpected extra argument(s) ({args})")),
        (r"No such option: (?P<option>\S+) \(Possible options: (?P<options>.*)\)",
         N_("No such option: {option} (possible options: {options})")),
        (r"No such option: (?P<option>\S+)", N_("No such option: {option}")),
        (r"No such command '(?P<name>[^']*)'\. Did you mean '(?P<hint>.+)'\?",
         N_("No such command '{name}'. Did you mean '{hint}'?")),
        (r"No such command '(?P<name>[^']*)'\.", N_("No such command '{name}'.")),
        (r"Option '(?P<name>[^']*)' requires an argument\.",
         N_("Option '{name}' requires an argument.")),
        (r"Option '(?P<name>[^']*)' requires (?P<count>\d+) arguments\.",
         N_("Option '{name}' requires {count} arguments.")),
        (r"Invalid value for (?P<name>'[^']*'(?: / '[^']*')*): (?P<value>'.*') is not a valid "
         r"(?:int|integer)\.", N_("Invalid value for {name}: {value} is not a whole number.")),
        (r"Invalid value for (?P<name>'[^']*'(?: / '[^']*')*): (?P<value>'.*') is not a valid "
         r"float\.", N_("Invalid value for {name}: {value} is not a number.")),
        (r"Invalid value for (?P<name>'[^']*'(?: / '[^']*')*): (?P<value>'.*') is not one of "
         r"(?P<choices>.*)\.", N_("Invalid value for {name}: {value} is not one of {choices}.")),
        (r"Invalid value for (?P<name>'[^']*'(?: / '[^']*')*): (?P<message>.*)",
         N_("Invalid value for {name}: {message}")),
    ]


def _click_translated(message: str) -> str:
    """Click's English sentence in the current language (itself when it is English or not one
    that relcrm knows)."""
    import re

    from ..i18n import current, dynamic

    if current() == "en":
        return message
    for pattern, template in _click_messages():
        found = re.fullmatch(pattern, message)
        if found:
            return dynamic(template).format(**found.groupdict())
    return message


def _usage_message(exc: Exception) -> str:
    from ..i18n import _

    message = exc.format_message()  # type: ignore[attr-defined]
    message = message.strip().replace("Value error, ", "")
    message = _click_translated(" ".join(message.split()))
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        message += _(" (see: {command} --help)").format(command=ctx.command_path)
    return message


class RelcrmGroup(TyperGroup):
    """Runs the tree in non-standalone mode and turns every exception into one stderr line.
    Its commands are built when first asked for (COMMANDS), in the language of the command."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            from .. import i18n

            command = _build(cmd_name)
            i18n.translate_tree(command)
            self.commands[cmd_name] = command
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """A mistyped command gets the closest names of every command, built or not."""
        from difflib import get_close_matches

        from typer._click.exceptions import UsageError as ClickUsageError

        try:
            name, command, rest = self._click_resolve_command(ctx, args)
            # `call edit` is typed in two words (see _optional_values): its usage lines say so
            return ("call edit" if name == "call-edit" else name), command, rest
        except ClickUsageError as exc:
            names = [name for name, spec in COMMANDS.items() if not spec[2]]
            matches = get_close_matches(args[0], names) if args else []
            if matches:
                exc.message = (exc.message.rstrip(".") + ". Did you mean "
                               + ", ".join(f"{m!r}" for m in matches) + "?")
            raise

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        """TAB after `relcrm`: the commands from _index.py (nothing built), then the options."""
        from typer._click.core import Command
        from typer._click.shell_completion import CompletionItem
        from typer._click.utils import make_default_short_help  # type: ignore

        from ..i18n import _
        from ._index import HELP as helps

        found = [CompletionItem(name, help=make_default_short_help(_(helps.get(name, ""))))
                 for name, (_module, _attribute, hidden) in COMMANDS.items()
                 if name.startswith(incomplete) and not hidden]
        return found + Command.shell_complete(self, ctx, incomplete)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The commands and their short help, from _index.py: nothing else is built."""
        from typer._click.utils import make_default_short_help  # type: ignore

        from ..i18n import _
        from ._index import HELP as helps

        rows = []
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        for name in COMMANDS:  # in the order of the tour
            if COMMANDS[name][2]:
                continue
            built = self.commands.get(name)
            text = built.help if built is not None else _(helps.get(name, ""))
            rows.append((name, make_default_short_help(text or "", limit)))
        if rows:
            with formatter.section(_("Commands")):
                formatter.write_dl(rows)

    def main(self, args: Any = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        try:
            args = sys.argv[1:] if args is None else list(args)
            _check_text(args)
            import shlex

            from .. import db as database

            database.command = shlex.join(["relcrm", *args])
            said = sys.modules.get("relcrm.core.occasions")
            if said is not None:  # each command says once what it leaves out (a shell: each)
                said._SAID.clear()
            from .. import i18n

            i18n.setup(args)  # the language of this command: help texts and messages
            i18n.translate_tree(self)
            args = _optional_values(args)
            if len(args) == 2 and args[0] == "--show-completion":
                _show_completion(args[1])
                return
            try:
                result = super().main(args=args, prog_name=prog_name or "relcrm",
                                      complete_var=complete_var, standalone_mode=False, **extra)
            finally:
                from ..db import close_all

                close_all()
                _date_notices()
        except RelcrmError as exc:
            _fail(exc.message, exc.exit_code)
        except KeyboardInterrupt:
            print(file=sys.stderr)
            sys.exit(130)
        except BrokenPipeError:
            _silence_stdout()
            sys.exit(1)
        except Exception as exc:  # noqa: BLE001 - the one place that maps every failure
            kind = type(exc).__name__
            if kind == "NoArgsIsHelpError":  # `relcrm` or `relcrm stage` alone: show help
                ctx = getattr(exc, "ctx", None)
                print(ctx.get_help() if ctx is not None else exc.format_message())
                sys.exit(0)
            if kind == "Abort":
                print(file=sys.stderr)  # end the unanswered prompt's line
                if isinstance(exc.__context__, KeyboardInterrupt):  # Ctrl-C at a prompt
                    sys.exit(130)
                from ..i18n import _

                _fail(_("aborted"), 1)
            if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
                _fail(_usage_message(exc), exc.exit_code)
            _unexpected(exc)
        code = result if isinstance(result, int) else 0
        sys.exit(code)


def _show_completion(shell: str) -> None:
    """`relcrm --show-completion zsh`: that shell's completion script (Typer's flag alone
    guesses the shell it runs in)."""
    from typer._completion_shared import Shells, get_completion_script

    from ..errors import UsageError
    from ..i18n import _

    shells = [s.value for s in Shells]
    if shell not in shells:
        raise UsageError(_("no completion for the shell {shell!r}; shells: {shells}").format(
            shell=shell, shells=", ".join(shells)))
    print(get_completion_script(prog_name="relcrm", complete_var="_RELCRM_COMPLETE",
                                shell=shell).rstrip("\n"))
    sys.exit(0)


def _date_notices() -> None:
    """Say once how an ambiguous date was read (03/04: day first), in English only: a
    Vietnamese reader writes day first anyway."""
    from .. import i18n
    from ..i18n import _

    dates = sys.modules.get("relcrm.dates")  # no date read, no notice
    for notice in dates.take_notices() if dates is not None else ():
        if i18n.current() != "vi":
            print(_("relcrm: note: {notice}").format(notice=notice), file=sys.stderr)


def _check_text(args: list[str]) -> None:
    """Arguments must be text: no NUL, and no bytes that are not UTF-8 (which Python keeps as
    lone surrogates and SQLite could not store)."""
    from ..errors import UsageError
    from ..i18n import _

    for number, arg in enumerate(args, 1):
        if "\x00" in arg or any("\ud800" <= ch <= "\udfff" for ch in arg):
            raise UsageError(_("argument {number} is not valid text (it holds a NUL or bytes "
                               "that are not UTF-8); check the terminal's encoding").format(
                                   number=number))


# Options that may be given with or without a value: `log/call ... --done` closes the person's
# earliest open step, `--done ID` that step. Click needs a value, so a bare --done (followed by
# nothing, another option, or text that is not a step id) becomes --done=next.
_OPTIONAL_VALUE = {("log", "--done"): "next", ("call", "--done"): "next"}


def _optional_values(args: list[str]) -> list[str]:
    import re

    command, position = None, 0
    while position < len(args):
        token = args[position]
        if token == "--db":
            position += 2
            continue
        if token.startswith("-"):
            position += 1
            continue
        command = token
        break
    if command is None:
        return args
    out = list(args)
    if command == "call" and position + 1 < len(out) and out[position + 1] == "edit":
        # `relcrm call edit ID`: fixing a call (a prospect called "edit" is still `call 12`)
        return out[:position] + ["call-edit"] + out[position + 2:]
    for index in range(position + 1, len(out)):
        flag = out[index]
        if flag == "--":
            break
        bare = (command, flag) in _OPTIONAL_VALUE
        if bare and (index + 1 >= len(out) or not re.fullmatch(r"#?\d+", out[index + 1])):
            out[index] = f"{flag}={_OPTIONAL_VALUE[(command, flag)]}"
    return out


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _unexpected(exc: Exception) -> None:
    import sqlite3

    from ..i18n import _

    cause = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the sqlite3 error
    if isinstance(cause, sqlite3.OperationalError) and "locked" in str(cause):
        _fail(_("the database is busy (another relcrm is writing to it); try again"), 1)
    if isinstance(cause, sqlite3.DatabaseError):
        _fail(_("database error: {cause}; `relcrm doctor` checks the book").format(cause=cause), 1)
    if isinstance(cause, UnicodeDecodeError):
        _fail(_("the book holds text that is not UTF-8 (is it damaged?); `relcrm doctor` checks "
                "it"), 1)
    if os.environ.get("RELCRM_DEBUG"):
        raise exc
    _fail(_("internal error ({kind}: {error}); this is a bug in relcrm, please report it; "
            "RELCRM_DEBUG=1 shows the traceback").format(kind=type(exc).__name__, error=exc), 70)


app = typer.Typer(
    name="relcrm",
    cls=RelcrmGroup,
    help=HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)


def _book_option(value: Optional[str]) -> Optional[str]:
    """--db: a book file (not a folder), or a team database's URL."""
    from ..db import is_team_url

    if value and not is_team_url(value) and Path(value).expanduser().is_dir():
        from ..i18n import _

        raise typer.BadParameter(_("{path} is a directory, not a book file").format(path=value))
    return value


def _version(value: bool) -> None:
    if value:
        print(f"relcrm {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    db: Annotated[Optional[str], typer.Option(
        "--db", metavar="PATH", callback=_book_option,
        help="The book to use (default: $RELCRM_DB, else the data folder's relcrm.db), or a "
        "team database: postgresql://USER@HOST/DATABASE.")] = None,
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False,
) -> None:
    from .. import db as database
    from .common import _book_currency

    database.select(db)
    _book_currency.clear()  # read again for this command (a test runs many in one process)


# The command tree is built lazily: only the command that runs is imported and built (the root
# --help lists the others from _index.py, their help texts, kept current by
# scripts/messages.py and checked by tests/test_cli_tree.py). name: (module, attribute, hidden)
# where the attribute is a function (a command) or a Typer (a group of commands).
COMMANDS: dict[str, tuple[str, str, bool]] = {
    "add": ("prospects", "add", False), "list": ("prospects", "list_", False),
    "show": ("prospects", "show", False), "edit": ("prospects", "edit", False),
    "qualify": ("selling", "qualify", False), "call": ("selling", "call", False),
    "log": ("selling", "log", False), "stage": ("stages", "app", False),
    "step": ("steps", "app", False), "snooze": ("steps", "snooze", False),
    "config": ("config", "config", False), "undo": ("undo", "undo", False),
    "delete": ("corrections", "delete", False), "merge": ("corrections", "merge", False),
    "touch": ("corrections", "touch_app", False),
    "call-edit": ("corrections", "call_edit", True),  # `relcrm call edit ID`
    "account": ("accounts", "app", False), "deal": ("deals", "app", False),
    "pipeline": ("pipeline", "pipeline", False), "role": ("accounts", "role", False),
    "kam": ("accounts", "kam", False), "followups": ("followups", "followups", False),
    "plan": ("plan", "plan", False), "review": ("review", "review", False),
    "search": ("search", "search", False), "date": ("care", "dates_app", False),
    "occasion": ("care", "occasion_app", False), "types": ("care", "types", False),
    "fact": ("care", "fact", False), "brief": ("care", "brief", False),
    "export": ("transfer", "export", False), "import": ("transfer", "import_", False),
    "backup": ("maintenance", "backup", False), "restore": ("maintenance", "restore", False),
    "doctor": ("maintenance", "doctor", False), "demo": ("demo", "demo", False),
    "shell": ("shell", "shell", False), "sync": ("sync", "app", False),
    "team": ("team", "app", False),
}


def _build(name: str) -> Any:
    """The Click command `name` of the tree, built from its module."""
    import importlib

    module, attribute, hidden = COMMANDS[name]
    found = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    # built as the root's own command would be (its markup mode, its settings): in a root of
    # its own, then taken out of it
    root = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False,
                       context_settings={"help_option_names": ["-h", "--help"]})
    root.callback()(lambda: None)
    if isinstance(found, typer.Typer):
        if name == "account":  # two of its commands live with their kin
            from . import accounts, care, corrections

            if "delete" not in {c.name for c in accounts.app.registered_commands}:
                accounts.app.command("delete")(corrections.account_delete)
                accounts.app.command("date")(care.account_date)
        root.add_typer(found, name=name)
    else:
        root.command(name, hidden=hidden)(found)
    command = typer.main.get_command(root).commands[name]
    _examples(command, name)
    return command


def _examples(command: Any, path: str) -> None:
    """End the --help of `command` (and of each command of a group) with its examples."""
    from ..i18n import EXAMPLES as heading
    from .examples import EXAMPLES

    for sub, child in getattr(command, "commands", {}).items():
        _examples(child, f"{path} {sub}")
    if path in EXAMPLES:  # \b: Click keeps the lines as they are; translate_tree the heading
        command.epilog = heading + "\n" + "\n".join(f"  {example}" for example in EXAMPLES[path])


def full_command() -> Any:
    """The whole tree, every command built (for scripts/messages.py and the tests)."""
    group = typer.main.get_command(app)
    for name in COMMANDS:
        group.get_command(None, name)
    return group


def index_text() -> str:
    """relcrm/cli/_index.py: the help text of each command (the root --help lists them without
    building them)."""
    group = full_command()
    lines = ["# ruff: noqa: E501 - generated",
             '"""The help text of each command of the tree, for the root --help (generated by',
             'scripts/messages.py from the commands themselves; tests/test_cli_tree.py checks',
             'that it is current)."""', "", "HELP = {"]
    for name in COMMANDS:
        lines.append(f"    {name!r}: {group.commands[name].help or ''!r},")
    return "\n".join(lines + ["}", ""])


def main() -> None:
    """The console entry point."""
    for stream in (sys.stdout, sys.stderr):  # a stream that is not UTF-8: fold what it lacks
        if (getattr(stream, "encoding", None) or "").lower().replace("-", "") not in (
                "utf8", "utf8sig"):
            from .. import render

            render.adapt_streams()
            break
    app()
