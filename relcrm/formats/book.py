"""relcrm's own exports read back: a whole book (`export all`: one JSON document, JSON lines,
or a folder of CSV/TSV files) or one entity's CSV/TSV/JSON/JSONL export.

Each record keeps its entity and its values by export column name; which entity a CSV or a
JSON record is follows from its exact columns.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..i18n import N_, _, dynamic
from ..queries import EXPORTS
from . import Read, Source, decode, kind_of, read_bytes, tabular

BOOK_FORMAT = "relcrm-book"
ENTITIES = tuple(EXPORTS)  # prospects, touches, calls, stages, qualifications
LONGEST_INTEGER = 64  # digits; a longer JSON integer is read as a float (beyond every range)
TOO_DEEP = N_("nests arrays or objects too deeply to be a relcrm export")


class ExactFloat(float):
    """A JSON number with more digits than a float holds (an amount of 16 digits or more, as
    relcrm writes it): the nearest float, whose repr is the number as written, so that an
    amount read as Decimal(repr(value)) is exact."""

    text: str

    def __repr__(self) -> str:
        return self.text


def _number(text: str) -> float:
    value = float(text)
    if 15 < len(text) <= 40 and math.isfinite(value) and Decimal(repr(value)) != Decimal(text):
        exact = ExactFloat(text)
        exact.text = text
        return exact
    return value


def _loads(text: str) -> Any:
    """JSON, with integers too long for Python's int-digits limit read as floats (infinity):
    the importer then refuses them as out of range, like 1e400; a number with more digits than
    a float holds keeps them (ExactFloat)."""
    return json.loads(text, parse_int=lambda digits: int(digits)
                      if len(digits) <= LONGEST_INTEGER else float(digits),
                      parse_float=_number)


def _entity_of_keys(keys: list[str]) -> str | None:
    for name, spec in EXPORTS.items():
        if spec.known(keys) or set(keys) == set(spec.columns):
            return name
    return None


def _add(result: Read, entity: str, line: int, record: Any) -> None:
    if not isinstance(record, dict):
        result.errors.append((line, _("a {entity} record must be a JSON object").format(
            entity=entity)))
        return
    spec = EXPORTS[entity]
    wanted = spec.columns
    # columns added by later versions may be missing from an older relcrm's export
    missing = [c for c in wanted[:spec.first or len(wanted)] if c not in record]
    if missing:
        result.errors.append((line, _("{entity} record lacks {columns}").format(
            entity=entity, columns=", ".join(missing))))
        return
    result.records.append(Source(line, {c: record.get(c) for c in wanted}, entity))


def read_text(text: str, name: str) -> Read:
    result = Read("relcrm", source_name=name)
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            document = _loads(text)
        except RecursionError:
            raise UsageError(_("{name} nests arrays or objects too deeply to be a relcrm "
                               "export").format(name=name)) from None
        except json.JSONDecodeError as exc:
            if stripped.startswith("{") and exc.msg == "Extra data":
                return _json_lines(text, name, result)
            raise UsageError(_("{name} is not valid JSON (line {line}: {reason}); the file may "
                               "be truncated").format(name=name, line=exc.lineno,
                                                      reason=exc.msg)) from None
        if isinstance(document, dict):
            if document.get("format") != BOOK_FORMAT and (
                    "entity" in document or _entity_of_keys(list(document))):
                return _json_lines(text, name, result)  # JSON lines of one record
            if document.get("format") != BOOK_FORMAT:
                raise UsageError(_("{name} is a JSON object but not a relcrm book (made by "
                                   "`relcrm export all --format json`)").format(name=name))
            for entity in ENTITIES:
                records = document.get(entity)
                if records is not None and not isinstance(records, list):
                    raise UsageError(_("{name}: {entity} must be a list of records, not "
                                       "{kind}").format(name=name, entity=repr(entity),
                                                        kind=kind_of(records)))
                for index, record in enumerate(records or [], 1):
                    _add(result, entity, index, record)
            return result
        if not document:
            return result
        entity = _entity_of_keys(list(document[0])) if isinstance(document[0], dict) else None
        if entity is None:
            raise UsageError(_("{name} is JSON but not a relcrm export (its records' keys are "
                               "not the columns of prospects, touches, calls, stages or "
                               "qualifications)").format(name=name))
        for index, record in enumerate(document, 1):
            _add(result, entity, index, record)
        return result
    table = _escaped_tsv(text) or tabular.table(text)
    entity = tabular.entity_of(table.header)
    if entity is None:
        raise UsageError(_("{name} is not a relcrm export: its columns are not those of "
                           "prospects, touches, calls, stages or qualifications").format(
                               name=name))
    width = len(table.header)
    for line, cells in table.rows:
        if len(cells) != width:
            result.errors.append((line, _("has {count} fields where the header has {width} "
                                          "(is the file truncated?)").format(
                                              count=len(cells), width=width)))
            continue
        result.records.append(Source(line, {c: (v if v != "" else None)
                                            for c, v in zip(table.header, cells)}, entity))
    return result


def _escaped_tsv(text: str) -> tabular.Table | None:
    """relcrm's own TSV (one record per line, \\t \\n \\r \\\\ escapes inside cells), or None
    when the text is not that: a CSV, or a TSV quoted like CSV by an older relcrm or by
    --excel (then the csv module reads it)."""
    from ..render import tsv_value

    body = text[1:] if text.startswith("\ufeff") else text
    rows = body.split("\n")
    if rows and rows[-1] == "":
        rows.pop()
    if not rows or "\t" not in rows[0] or any("\r" in r for r in rows):
        return None
    header = rows[0].split("\t")
    if tabular.entity_of(header) is None:
        return None
    cells = [row.split("\t") for row in rows[1:]]
    if any(len(c) != len(header) for c in cells if any(x.strip() for x in c)):
        return None
    return tabular.Table(header, 1, [(n, [tsv_value(x) for x in c])
                                     for n, c in enumerate(cells, 2)
                                     if any(x.strip() for x in c)], "\t")


def _json_lines(text: str, name: str, result: Read) -> Read:
    # JSON lines end at "\n" only: U+2028 and U+2029 are text within a line
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = _loads(line)
        except RecursionError:
            result.errors.append((number, dynamic(TOO_DEEP)))
            continue
        except json.JSONDecodeError as exc:
            result.errors.append((number, _("not valid JSON ({reason})").format(
                reason=exc.msg)))
            continue
        if not isinstance(record, dict):
            result.errors.append((number, _("not a JSON object")))
            continue
        entity = record.pop("entity", None)
        if entity is not None and not isinstance(entity, str):
            result.errors.append((number, _("its entity must be text (one of {entities}), "
                                            "not {kind}").format(entities=", ".join(ENTITIES),
                                                                 kind=kind_of(entity))))
            continue
        entity = entity or _entity_of_keys(list(record))
        if entity not in EXPORTS:
            result.errors.append((number, _("not a record of a relcrm export")))
            continue
        _add(result, entity, number, record)
    return result


def read_folder(folder: Path, encoding: str | None) -> Read:
    """A folder written by `relcrm export all --output FOLDER`: <entity>.csv (or .tsv)."""
    result = Read("relcrm", source_name=folder.name)
    found = False
    for entity in ENTITIES:
        for suffix in (".csv", ".tsv"):
            path = folder / f"{entity}{suffix}"
            if not path.exists():
                continue
            found = True
            part = read_text(decode(read_bytes(path), path.name, encoding), path.name)
            if part.records and part.records[0].entity != entity:
                raise UsageError(_("{name} holds {found}, not {entity}").format(
                    name=path.name, found=part.records[0].entity, entity=entity))
            result.records.extend(part.records)
            result.errors.extend((line, f"{path.name}: {msg}") for line, msg in part.errors)
    if not found:
        raise UsageError(_("{folder} holds no relcrm export files ({files})").format(
            folder=folder, files=", ".join(f"{e}.csv" for e in ENTITIES)))
    return result
