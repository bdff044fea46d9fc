"""The language relcrm speaks: English, or Vietnamese (tiếng Việt).

Chosen per command: $RELCRM_LANG, else the book's `config language`, else the standard locale
variables (LANGUAGE, LC_ALL, LC_MESSAGES, LANG); English otherwise. A language asked for by
RELCRM_LANG or config that relcrm lacks falls back to English with one notice on stderr.

Messages are GNU gettext catalogs: relcrm/locale/<lang>/LC_MESSAGES/relcrm.po in the repository
(translated for sellers, in the seeds' vocabulary), compiled to relcrm.mo beside it and shipped
in the package (tests/test_i18n.py checks that every message has its translation and that the
.mo files are current; scripts/messages.py extracts and compiles them with Babel). The English
text is the message id. Loading is the standard library's gettext: one small binary file.

What is translated: every help text of every command and option (translate_tree, applied to the
command tree before it parses), and the messages marked with _() in the code. Stored values
never change with the language: stage keys, reasons, export columns stay English and stable.
"""

from __future__ import annotations

import gettext
import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "vi")
NAMES = {"en": "English", "vi": "tiếng Việt"}
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
_translation: gettext.NullTranslations = gettext.NullTranslations()
_current = "en"


def current() -> str:
    return _current


class _Said(str):
    """A translated message whose .format() writes numbers as the language does: in
    Vietnamese 1.234.567 and 2,5 and 68,6% where the English message has {n:,}, {x:.1f} and
    {share:.1%} (CLDR: the group separator is a dot, the decimal one a comma)."""

    def format(self, *args: Any, **kwargs: Any) -> str:
        return _formatter().vformat(str(self), args, kwargs)


def _local_number(value: Any, spec: str) -> str:
    """format(value, spec) with the separators swapped for Vietnamese."""
    return format(value, spec).translate(str.maketrans({",": ".", ".": ","}))


@lru_cache(maxsize=1)
def _formatter() -> Any:
    """A string.Formatter that writes a number given a spec with , . or % the Vietnamese way
    (made when a Vietnamese message is first formatted)."""
    import string

    class Local(string.Formatter):
        def format_field(self, value: Any, spec: str) -> Any:
            if spec and not isinstance(value, (str, bool)) and any(m in spec for m in ",.%"):
                try:
                    return _local_number(value, spec)
                except (TypeError, ValueError):
                    pass
            return super().format_field(value, spec)

    return Local()


def _said(text: str) -> str:
    return _Said(text) if _current == "vi" else text


def number(value: int | float, spec: str = ",") -> str:
    """A number for people outside a message: format(value, spec) as the language writes it
    (1,234 in English, 1.234 in Vietnamese)."""
    return _local_number(value, spec) if _current == "vi" else format(value, spec)


def _(text: str) -> str:
    """`text` in the current language (the English text when it has no translation)."""
    return _said(_translation.gettext(text))


def ngettext(one: str, many: str, count: int) -> str:
    return _said(_translation.ngettext(one, many, count))


def pgettext(context: str, text: str) -> str:
    """`text` in the current language, in a context that tells apart two meanings of one
    English word (pgettext("key account", "Key"))."""
    return _said(_translation.pgettext(context, text))


def N_(text: str) -> str:
    """Marks a module-level constant for the catalog without translating it (the language is
    chosen later, per command): translate it where it is shown, with _(CONSTANT)."""
    return text


def named(item: Any) -> str:
    """The display name of a methodology item (a stage, a key-account stage, a role, a
    customer type ...): its Vietnamese name in Vietnamese, else its English name. Its key,
    stored and exported, never changes with the language."""
    if _current == "vi" and getattr(item, "vietnamese", ""):
        return item.vietnamese
    return item.name


def dynamic(text: str) -> str:
    """A value's display in the current language when the catalog has it (a step's kind):
    like _(), for text that is not a literal (scripts/messages.py cannot see it)."""
    return _said(_translation.gettext(text))


if False:  # noqa: SIM108 - the words of the help screens Typer writes, for the catalog
    _("Arguments"), _("Options"), _("Commands")


def _from_locale() -> str | None:
    """The language of the standard locale variables, as gettext reads them (the first set
    of LANGUAGE, LC_ALL, LC_MESSAGES, LANG; LANGUAGE may list several: vi:en)."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "").strip()
        if value:
            for item in value.split(":"):
                code = item.split(".")[0].split("_")[0].split("-")[0].lower()
                if code in LANGUAGES:
                    return code
                if code not in ("c", "posix", ""):
                    return "en"
            return None
    return None


def normalize(value: str) -> str | None:
    """'vi', 'vi_VN.UTF-8', 'tiếng việt', 'Vietnamese' -> 'vi'; None when not one of ours."""
    from .text import fold

    text = fold(value)
    code = text.split(".")[0].split("_")[0].split("-")[0]
    if code in LANGUAGES:
        return code
    names = {"english": "en", "tieng anh": "en", "vietnamese": "vi", "tieng viet": "vi"}
    return names.get(text)


BOOK_SETTINGS: dict[str, str] = {}  # the book's language and date_order, read at setup


def _book_settings(book: Path | None) -> dict[str, str]:
    """The book's `config language` and `config date_order`, read without opening it for
    writing (none when there is no book yet)."""
    import sqlite3

    if book is None or not book.is_file() or book.stat().st_size == 0:
        return {}
    from urllib.parse import quote

    # as db.read_only(untouched=True): without a write-ahead log beside it, read as immutable,
    # so that not even -wal and -shm files appear beside a file that may not be a book
    mode = "ro" if Path(f"{book}-wal").exists() else "ro&immutable=1"
    try:
        con = sqlite3.connect(f"file:{quote(str(book))}?mode={mode}", uri=True, timeout=1)
        try:
            return dict(con.execute("SELECT key, value FROM setting WHERE key IN "
                                    "('language', 'date_order')").fetchall())
        finally:
            con.close()
    except sqlite3.Error:
        return {}


def choose(book_settings: dict[str, str]) -> tuple[str, str | None]:
    """The language for this command (RELCRM_LANG, else the book's `config language` in
    `book_settings`, else the locale's), and a notice when the one asked for is missing."""
    for source, asked in (("RELCRM_LANG", os.environ.get("RELCRM_LANG", "").strip()),
                          ("config language", book_settings.get("language", ""))):
        if asked:
            code = normalize(asked)
            if code is None:
                return "en", (f"relcrm does not speak {asked!r} ({source}); using English. "
                              f"Languages: " + ", ".join(f"{c} ({NAMES[c]})"
                                                          for c in LANGUAGES))
            return code, None
    return _from_locale() or "en", None


def activate(code: str) -> None:
    global _translation, _current
    _current = code if code in LANGUAGES else "en"
    if _current == "en":
        _translation = gettext.NullTranslations()
        return
    try:
        with open(LOCALE_DIR / _current / "LC_MESSAGES" / "relcrm.mo", "rb") as catalog:
            _translation = gettext.GNUTranslations(catalog)
    except OSError:
        _translation = gettext.NullTranslations()
    _help_words()


def _help_words() -> None:
    """Typer's help screens name their sections with the standard gettext ("Arguments",
    "Options", "Commands"): point them at this catalog (when Typer is loaded)."""
    core = sys.modules.get("typer.core")
    if core is not None and hasattr(core, "_"):
        core._ = _


def setup(args: list[str]) -> None:
    """Choose and load the language for a command line (its --db names the book)."""
    book, given = None, None
    for index, arg in enumerate(args):
        if arg == "--db" and index + 1 < len(args):
            given = args[index + 1]
        elif arg.startswith("--db="):
            given = arg[5:]
    if given is None:
        from . import db

        given = os.environ.get(db.ENV_DB, "").strip() or None
        if given is None:
            try:
                book = db.db_path()
            except Exception:  # noqa: BLE001 - no data folder: no book language
                book = None
    BOOK_SETTINGS.clear()
    from .db import is_team_url

    if is_team_url(given):
        # a team database: its settings, asked of the server; not for --help or TAB
        # completion, which must stay fast (and work when the server is away)
        if not ({"--help", "-h"} & set(args) or "_RELCRM_COMPLETE" in os.environ):
            from . import pg

            BOOK_SETTINGS.update(pg.book_settings(given.strip()))
    else:
        if given is not None:
            book = Path(given).expanduser()
        BOOK_SETTINGS.update(_book_settings(book))
    code, notice = choose(BOOK_SETTINGS)  # the book is opened once, here
    activate(code)
    order = BOOK_SETTINGS.get("date_order") or None
    if order not in (None, "dmy", "mdy"):  # a value written by another program (or with psql
        # on a team database): said, and read day first, so that --reset can still run
        print("relcrm: " + _("the book's date_order {order!r} is not dmy or mdy: dates are "
                             "read day first (relcrm config date_order --reset)").format(
            order=order), file=sys.stderr)
        order = None
    dates = sys.modules.get(f"{__package__}.dates")  # imported only by commands that read dates
    if dates is None and order is not None:
        from . import dates
    if dates is not None:
        dates.set_date_order(order)
        dates.NOTICES.clear()
    if notice:
        print(f"relcrm: {notice}", file=sys.stderr)


EXAMPLES = "\b\nExamples:"  # how the examples at the end of a command's help begin


def translate_tree(command: Any) -> None:
    """Put every help text of a Click command tree into the current language (the English
    originals are kept on each object, so a later command in the same process can switch)."""
    def text(obj: Any, attr: str) -> None:
        originals = obj.__dict__.setdefault("_relcrm_en", {})
        if attr not in originals:
            originals[attr] = getattr(obj, attr, None)
        value = originals[attr]
        if value:
            setattr(obj, attr, _(value))

    text(command, "help")
    text(command, "short_help")
    originals = command.__dict__.setdefault("_relcrm_en", {})
    epilog = originals.setdefault("epilog", getattr(command, "epilog", None))
    if epilog and epilog.startswith(EXAMPLES):  # the examples: commands, under a heading
        command.epilog = "\b\n" + _("Examples:") + epilog[len(EXAMPLES):]
    for param in getattr(command, "params", ()):
        if hasattr(param, "help"):
            text(param, "help")
    for sub in getattr(command, "commands", {}).values():
        translate_tree(sub)
