"""shell: an interactive session over one book, like Taskwarrior's tasksh.

Every command of the CLI, typed without `relcrm`, runs in this one process: what a command
imports stays imported, so after the first write the next ones answer without starting Python
again. History is kept (GNU readline, in the data folder) and TAB completes commands, their
subcommands and options, and the names of the book's people. An error is shown and the session
goes on; Ctrl-C abandons the line; Ctrl-D or `exit` leaves.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

HISTORY_LENGTH = 1000


def shell() -> None:
    """An interactive session: type commands without `relcrm` (add, log, followups ...), with
    history and TAB completion of commands, options and names. Ctrl-D or exit leaves."""
    from .. import db
    from ..i18n import _

    import os

    book = db.url() or db.db_path()  # a book file, or a team database's URL
    os.environ[db.ENV_DB] = str(book)  # every command of the session: this book
    history = _readline(book)
    db.warm_writes()  # the session's first write does not wait for the models either
    shown = book
    if db.is_team_url(book):
        from .. import pg

        shown = pg.shown(str(book))  # never a password
    print(_("relcrm shell on {book}: type a command without 'relcrm' (help lists them); "
            "TAB completes; Ctrl-D or exit leaves.").format(book=shown), file=sys.stderr)
    while True:
        try:
            line = input("relcrm> ")
        except EOFError:
            print(file=sys.stderr)
            break
        except KeyboardInterrupt:
            print(file=sys.stderr)
            continue
        line = line.strip()
        if not line:
            continue
        if line in ("exit", "quit"):
            break
        run(line)
    if history is not None:
        history()


def run(line: str) -> int:
    """Run one line of the session (on the session's book, RELCRM_DB); its exit code (errors
    are shown, never raised)."""
    from ..i18n import _
    from . import _fail_line

    try:
        args = shlex.split(line)
    except ValueError as exc:  # an unclosed quote
        _fail_line(_("cannot read the line: {error}").format(error=exc))
        return 2
    if args and args[0] == "relcrm":
        args = args[1:]
    if args[:1] == ["help"]:
        args = [*args[1:], "--help"]
    if args[:1] == ["shell"]:
        _fail_line(_("this is the shell already; type a command, or exit"))
        return 2
    try:
        _group().main(args=args, prog_name="relcrm")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 0
    return 0


_GROUP: list[Any] = []


def _group() -> Any:
    """The command tree, built once for the session (its commands are kept once built)."""
    if not _GROUP:
        import typer

        from . import app

        _GROUP.append(typer.main.get_command(app))
    return _GROUP[0]


def _readline(book: Path) -> Any:
    """Line editing, history and completion where GNU readline (or libedit) is present; a
    function that saves the history, or None."""
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input() still works
        return None
    from .. import db

    path = db.data_dir() / "shell_history"
    try:
        readline.read_history_file(path)
    except OSError:
        pass
    readline.set_history_length(HISTORY_LENGTH)
    readline.set_completer_delims(" \t\n")
    readline.set_completer(Completer(book).complete)
    if "libedit" in (readline.__doc__ or ""):
        readline.parse_and_bind("bind ^I rl_complete")
    else:
        readline.parse_and_bind("tab: complete")

    def save() -> None:
        try:
            db.make_private_dirs(path.parent)
            readline.write_history_file(path)
            path.chmod(0o600)
        except OSError:
            pass

    return save


class Completer:
    """What TAB offers for the word being typed: a command, a subcommand of a group, an option
    of the command, or a person's name (spaces escaped, as the shell line reads them)."""

    def __init__(self, book: Path) -> None:
        self.book = book
        self.names: list[str] | None = None
        self.found: list[str] = []

    def complete(self, text: str, state: int) -> str | None:
        if state == 0:
            import readline

            before = readline.get_line_buffer()[:readline.get_begidx()]
            try:
                self.found = self.candidates(before, text)
            except Exception:  # noqa: BLE001 - completion must never break the line
                self.found = []
        return self.found[state] if state < len(self.found) else None

    def candidates(self, before: str, text: str) -> list[str]:
        from . import COMMANDS

        try:
            words = shlex.split(before)
        except ValueError:
            words = before.split()
        if words[:1] == ["relcrm"]:
            words = words[1:]
        if not words:
            return [f"{name} " for name, spec in COMMANDS.items()
                    if name.startswith(text) and not spec[2]]
        command = _group().get_command(None, words[0])
        if command is None:
            return []
        subcommands = getattr(command, "commands", None)
        if subcommands:
            if len(words) == 1:
                return [f"{name} " for name, sub in subcommands.items()
                        if name.startswith(text) and not sub.hidden]
            command = subcommands.get(words[1])
            if command is None:
                return []
        if text.startswith("-"):
            return sorted(f"{opt} " for param in command.params
                          for opt in getattr(param, "opts", ()) if opt.startswith(text))
        return self.people(text)

    def people(self, text: str) -> list[str]:
        from ..text import fold

        if self.names is None:
            self.names = self._names()
        key = fold(text.replace("\\ ", " "))
        if not key:
            return []
        return [name.replace(" ", "\\ ") + " " for name in self.names
                if any(word.startswith(key) for word in [fold(name), *fold(name).split()])]

    def _names(self) -> list[str]:
        from .. import db

        try:
            if db.is_team_url(self.book):  # a team database: the names the seller may read
                from .. import pg

                con = pg.connect(str(self.book))
            else:
                con = db.read_only(self.book)
        except Exception:  # noqa: BLE001 - no book yet, or the server away: no names
            return []
        from ..render import escape

        try:  # a name the terminal would act on (an escape code) is never offered
            return [row[0] for row in con.execute("SELECT name FROM prospect ORDER BY name_key")
                    if escape(row[0]) == row[0]]
        finally:
            con.close()
