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

FORMATS = ("auto", "relcrm", "linkedin", "google", "vcard", "csv")
ENCODING_HELP = "re-save it as UTF-8, or give --encoding (e.g. cp1252, latin-1, cp1258)"


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


def decode(data: bytes, name: str, encoding: str | None = None) -> str:
    """File bytes as text: UTF-8 (with or without BOM) or UTF-16 with a BOM, or `encoding`.

    Anything else is a clear error naming the options, never mojibake in the book.
    """
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UsageError(f"unknown encoding {encoding!r}; try utf-8, utf-16, cp1252, "
                             "latin-1 or cp1258") from None
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise UsageError(f"{name} is not valid {encoding} (byte {exc.object[exc.start]:#04x} "
                             f"at offset {exc.start}); {ENCODING_HELP}") from None
    if not data.strip():
        raise UsageError(f"{name} is empty; nothing to import")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise UsageError(f"{name} starts as UTF-16 but is not valid UTF-16; "
                             f"{ENCODING_HELP}") from None
    if b"\x00" in data[:4096]:
        raise UsageError(f"{name} is not a text file (it holds NUL bytes): give a CSV, vCard "
                         "or relcrm export")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UsageError(f"{name} is not UTF-8 or UTF-16 (byte {data[exc.start]:#04x} on line "
                         f"{line}); {ENCODING_HELP}") from None


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
        raise UsageError("cannot tell the file's format: no header row found; give --format")
    return tabular.classify(header)


def read(path: Path, fmt: str = "auto", *, encoding: str | None = None,
         mapping: dict[str, str] | None = None) -> Read:
    """Read a file (or, for relcrm CSV exports, a folder of them) in `fmt`."""
    from . import book, contacts, vcard

    if path.is_dir():
        if fmt not in ("auto", "relcrm"):
            raise UsageError(f"{path} is a folder; only a relcrm export folder can be imported "
                             "(relcrm export all --output FOLDER)")
        return book.read_folder(path, encoding)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"no file {path}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    text = decode(data, path.name, encoding)
    try:
        if fmt == "auto":
            fmt = detect(text)
        if mapping and fmt != "csv":
            raise UsageError(f"--map is for --format csv; {path.name} is read as {fmt}")
        if fmt == "vcard":
            return vcard.read(text, path.name)
        if fmt == "relcrm":
            return book.read_text(text, path.name)
        return contacts.read(text, path.name, fmt, mapping or {})
    except UsageError as exc:
        if exc.message.startswith(("line ", "no header", "cannot tell")):
            raise UsageError(f"{path.name}: {exc.message}") from None
        raise
