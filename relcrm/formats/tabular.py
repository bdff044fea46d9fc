"""CSV/TSV reading with the csv module: the header row, the delimiter, rows with line numbers.

Exports from other programs put notes above the header (LinkedIn's Connections.csv does), use
',' ';' or tab as the delimiter, and quote fields that span lines; every record keeps the line
it starts on, so errors can name it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Iterator

from ..i18n import _
from ..queries import EXPORTS
from ..text import fold
from . import lines, unnamed

DELIMITERS = (",", ";", "\t")
LINKEDIN = ("First Name", "Last Name", "URL", "Email Address", "Company", "Position",
            "Connected On")
GOOGLE_MARKERS = ("E-mail 1 - Value", "Phone 1 - Value", "Organization Name",
                  "Organization 1 - Name", "Group Membership", "Given Name", "Family Name")


def _long_cells() -> None:
    """Let the csv module read cells as long as a file import reads (its default limit, 131,072
    characters, is less than a call's SPIN notes can hold): the fields' own limits apply."""
    from . import MAX_IMPORT_BYTES

    if csv.field_size_limit() < MAX_IMPORT_BYTES:
        csv.field_size_limit(MAX_IMPORT_BYTES)


def _records(text: str, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) of each CSV record; a malformed file is a UsageError."""
    _long_cells()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise unnamed(_("line {line}: not valid CSV ({reason}); the file may be truncated or "
                        "damaged").format(line=start, reason=exc)) from None


def _delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: (counts[d], d == ","))


def header_line(text: str) -> list[str] | None:
    """The header's cells: the first row with at least two non-empty cells (notes above it,
    as in LinkedIn's export, are skipped), else the first non-empty row."""
    first = None
    _long_cells()
    for line in lines(text):
        if not line.strip():
            continue
        delimiter = _delimiter(line)
        try:
            cells = next(csv.reader([line], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        if first is None:
            first = cells
        if sum(1 for c in cells if c.strip()) >= 2:
            return [c.strip() for c in cells]
    return [c.strip() for c in first] if first else None


def classify(header: list[str]) -> str:
    """linkedin, google, relcrm (one of our own exports) or csv, from the header's cells."""
    cells = set(header)
    if set(LINKEDIN) <= cells:
        return "linkedin"
    if any(marker in cells for marker in GOOGLE_MARKERS):
        return "google"
    if entity_of(header) is not None:
        return "relcrm"
    return "csv"


def entity_of(header: list[str]) -> str | None:
    """Which relcrm export a header is (its columns, as this or an older relcrm wrote them),
    if any."""
    for name, spec in EXPORTS.items():
        if spec.known(header):
            return name
    return None


@dataclass
class Table:
    header: list[str]
    header_line: int
    rows: list[tuple[int, list[str]]]  # (line, cells), blank rows left out
    delimiter: str


def table(text: str) -> Table:
    """The header and the rows after it."""
    wanted = header_line(text)
    if wanted is None:
        raise unnamed(_("no header row found"))
    delimiter = _delimiter(delimiter_line(text, wanted))
    records = _records(text, delimiter)
    for line, cells in records:
        if [c.strip() for c in cells] == wanted:
            rows = [(n, c) for n, c in records if any(x.strip() for x in c)]
            return Table(wanted, line, rows, delimiter)
    raise unnamed(_("no header row found"))


def delimiter_line(text: str, header: list[str]) -> str:
    for line in lines(text):
        if header and header[0] in line and all(h in line for h in header[:3]):
            return line
    return ",".join(header)


def normal(header_cell: str) -> str:
    """A header cell for matching: folded, punctuation as spaces ("E-mail" ~ "e mail")."""
    return " ".join("".join(c if c.isalnum() else " " for c in fold(header_cell)).split())
