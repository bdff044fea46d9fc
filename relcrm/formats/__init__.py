"""Reading and writing other programs' formats: decoding, format detection, the readers.

Readers turn a file into `Source` records (a line number and plain field values); the rules of
what gets written (validation, duplicates, one transaction) are in core/importing.py. Parsing is
done by well-kept libraries: the csv module, vobject for vCard, icalendar for iCalendar.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..i18n import N_, _, dynamic

FORMATS = ("auto", "relcrm", "linkedin", "google", "vcard", "csv")
MAX_IMPORT_BYTES = 256 * 1024 * 1024  # the most an import reads from one file (256 MiB)
ENCODING_HELP = N_("re-save it as UTF-8, or give --encoding (e.g. cp1252, latin-1, cp1258)")


@dataclass
class Source:
    """One record read from a file: where it starts, and its values by field name."""

    line: int
    values: dict[str, Any]
    entity: str = "prospects"  # relcrm books carry several entities


@dataclass
class Read:
    """What a reader found: the format, records, and problems tied to lines."""

    format: str
    records: list[Source] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    source_name: str = ""  # the default `source` of new prospects ("LinkedIn" ...)
    # what the file holds that the reader does not read (columns, or a vCard's properties, with
    # a value in some record): the import's summary names them, so nothing is dropped silently
    unused: list[str] = field(default_factory=list)
    unused_noun: str = "columns"


def kind_of(value: Any) -> str:
    """What a (JSON) value is, for messages: never the value itself, which may be huge."""
    if value is None:
        return _("null")
    if isinstance(value, bool):
        return _("true/false")
    if isinstance(value, (int, float)):
        return _("a number")
    if isinstance(value, str):
        return _("text")
    if isinstance(value, (list, tuple)):
        return _("a list")
    if isinstance(value, dict):
        return _("an object")
    return type(value).__name__


def date_kind(label: str | None) -> str:
    """The kind of an important date from a label a file gives it ("Anniversary", "Ngày cưới",
    Apple's "_$!<Anniversary>!$_"): folded to one word (anniversary, ngay-cuoi); "other"
    without a label."""
    import re

    from ..text import fold

    text = (label or "").strip().lstrip("*").strip()
    apple = re.fullmatch(r"_\$!<(.*)>!\$_", text)
    if apple:
        text = apple.group(1)
    words = re.findall(r"[0-9a-z]+", fold(text))
    return "-".join(words)[:60].strip("-") or "other"


def unnamed(message: str) -> UsageError:
    """An error about a file's content that does not name the file (a line of it, its
    header): read() puts the file's name before it."""
    error = UsageError(message)
    error.unnamed = True  # type: ignore[attr-defined]
    return error


def one_line(text: str) -> str:
    """File text for a one-line message: the line and paragraph separators U+2028/U+2029, which
    split lines for some readers (the error output escapes control characters only), escaped."""
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def lines(text: str):
    """The lines of a file's text, split at \\n, \\r\\n or \\r only, as the csv module sees them:
    never at U+2028/U+2029 or the other breaks str.splitlines() knows, which are text."""
    import io

    return (line[:-1] if line.endswith("\n") else line
            for line in io.StringIO(text, newline=None))


def read_bytes(path: Path) -> bytes:
    """A regular file's bytes, at most MAX_IMPORT_BYTES of them.

    Devices, FIFOs and sockets are refused before they are read (/dev/zero never ends, a FIFO
    blocks until someone writes), and no more than the limit is read even from a file that
    grows or says it is empty (as /proc files do).
    """
    import os

    if str(path) == "-":  # standard input, as every Unix tool reads it
        import sys

        data = sys.stdin.buffer.read(MAX_IMPORT_BYTES + 1)
        if len(data) > MAX_IMPORT_BYTES:
            _too_large(path)
        return data
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise UsageError(_("no file {path}").format(path=path)) from None
    except OSError as exc:
        raise UsageError(_("cannot read {path}: {reason}").format(path=path,
                                                                   reason=exc.strerror)) from None
    _regular(path, mode)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:  # O_NONBLOCK: a FIFO put in the file's place meanwhile is opened without waiting
        fd = os.open(path, flags)
    except OSError as exc:
        raise UsageError(_("cannot read {path}: {reason}").format(path=path,
                                                                   reason=exc.strerror)) from None
    with open(fd, "rb", buffering=0) as stream:
        try:
            info = os.fstat(fd)
            _regular(path, info.st_mode)
            if info.st_size > MAX_IMPORT_BYTES:
                _too_large(path)
            parts, size, want = [], 0, info.st_size + 1  # the size said, then more if it grew
            while size <= MAX_IMPORT_BYTES:
                part = stream.read(min(max(want, 2**16), MAX_IMPORT_BYTES + 1 - size))
                if not part:
                    break
                parts.append(part)
                size, want = size + len(part), 2**20
        except OSError as exc:
            raise UsageError(_("cannot read {path}: {reason}").format(
                path=path, reason=exc.strerror)) from None
    if size > MAX_IMPORT_BYTES:
        _too_large(path)
    return b"".join(parts)


def _regular(path: Path, mode: int) -> None:
    import stat

    if stat.S_ISREG(mode):
        return
    kind = (_("a folder") if stat.S_ISDIR(mode) else _("a FIFO (named pipe)")
            if stat.S_ISFIFO(mode) else _("a socket") if stat.S_ISSOCK(mode)
            else _("a device") if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else _("a special file"))
    raise UsageError(_("{path} is {kind}, not a file; import reads regular files only (a CSV, "
                       "vCard or relcrm export, or a folder made by "
                       "`relcrm export all -o FOLDER`)").format(path=path, kind=kind))


def _too_large(path: Path) -> None:
    raise UsageError(_("{path} is larger than {size} MiB, the most relcrm imports from one "
                       "file; split it into smaller files").format(
                           path=path, size=MAX_IMPORT_BYTES // 2**20))


def decode(data: bytes, name: str, encoding: str | None = None) -> str:
    """File bytes as text: UTF-8 (with or without BOM) or UTF-16 with a BOM, or `encoding`.

    Anything else is a clear error naming the options, never mojibake in the book.
    """
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UsageError(_("unknown encoding {encoding}; try utf-8, utf-16, cp1252, "
                               "latin-1 or cp1258").format(encoding=repr(encoding))) from None
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise UsageError(_("{name} is not valid {encoding} (byte {byte:#04x} at offset "
                               "{offset}); {help}").format(
                                   name=name, encoding=encoding, byte=exc.object[exc.start],
                                   offset=exc.start, help=dynamic(ENCODING_HELP))) from None
    if not data.strip():
        raise UsageError(_("{name} is empty; nothing to import").format(name=name))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise UsageError(_("{name} starts as UTF-16 but is not valid UTF-16; {help}").format(
                name=name, help=dynamic(ENCODING_HELP))) from None
    if b"\x00" in data[:4096]:
        raise UsageError(_("{name} is not a text file (it holds NUL bytes): give a CSV, vCard "
                           "or relcrm export").format(name=name))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UsageError(_("{name} is not UTF-8 or UTF-16 (byte {byte:#04x} on line {line}); "
                           "{help}").format(name=name, byte=data[exc.start], line=line,
                                            help=dynamic(ENCODING_HELP))) from None


def detect(text: str) -> str:
    """The format of a file's text: vcard, relcrm (JSON or a relcrm export's CSV header),
    linkedin, google, or csv."""
    from . import tabular

    head = text.lstrip()[:200].upper()
    if head.startswith("BEGIN:VCARD"):
        return "vcard"
    if head.startswith(("{", "[")):
        return "relcrm"
    header = tabular.header_line(text)
    if header is None:
        raise unnamed(_("cannot tell the file's format: no header row found; give --format"))
    return tabular.classify(header)


def read(path: Path, fmt: str = "auto", *, encoding: str | None = None,
         mapping: dict[str, str] | None = None) -> Read:
    """Read a file (or, for relcrm CSV exports, a folder of them) in `fmt`."""
    from . import book, contacts, vcard

    if path.is_dir():
        if fmt not in ("auto", "relcrm"):
            raise UsageError(_("{path} is a folder; only a relcrm export folder can be "
                               "imported (relcrm export all --output FOLDER)").format(path=path))
        return book.read_folder(path, encoding)
    data = read_bytes(path)
    if fmt in ("auto", "relcrm") and path.suffix.lower() == ".jsonl" and not data.strip():
        return Read("relcrm", source_name=path.name)  # JSON lines of an entity with no records
    text = decode(data, path.name, encoding)
    try:
        if fmt == "auto":
            fmt = detect(text)
        if mapping and fmt != "csv":
            raise UsageError(_("--map is for --format csv; {name} is read as {format}").format(
                name=path.name, format=fmt))
        if fmt == "vcard":
            return vcard.read(text, path.name)
        if fmt == "relcrm":
            return book.read_text(text, path.name)
        return contacts.read(text, path.name, fmt, mapping or {})
    except UsageError as exc:
        if getattr(exc, "unnamed", False):
            raise UsageError(path.name + ": " + exc.message) from None
        raise
