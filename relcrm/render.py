"""Records out: a rich table for people, csv / tsv / json for scripts.

- table (the default): on a terminal, a rich table with colours (none when NO_COLOR is set);
  when stdout is not a terminal, plain aligned columns with no colour, no box drawing and no
  wrapping, so `relcrm list | grep` works line by line.
- csv / tsv: a header row, then one row per record, UTF-8; empty cells for missing values.
  TSV is one record per line: a backslash, tab, newline or carriage return inside a cell is
  written \\\\, \\t, \\n, \\r, so `awk -F'\\t'` and `cut` count fields right (`--excel` TSV
  is quoted like CSV instead, as spreadsheets read it).
- json: an array of objects with the same keys as the CSV columns; ISO 8601 dates. Values are
  typed the same way in every command (`json_typed`): flags true/false, amounts exact numbers
  beside their currency, lists (tags, roles, emails, ids ...) arrays; null stays null.
One door to the terminal: every stored or imported string that reaches a terminal passes
`escape` (control characters, bidi controls and line separators made visible), and reaches rich
only as a rich.Text, never as markup, so a name cannot restyle, relink or rewrite the seller's
terminal. Machine formats are exact when written to a pipe or a file; on a terminal their
strings are escaped too. Rich is imported only when a table is drawn.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterable, Sequence, TextIO

from .i18n import N_, dynamic

# What a terminal may act on, or what reorders or breaks the lines around it: every control
# character (C0, DEL, C1), the bidi controls (embeddings, overrides, isolates and the marks),
# and the Unicode line and paragraph separators. Joiners (ZWJ, ZWNJ) stay: real scripts use them.
_UNSAFE = ([*range(0x20), 0x7F, *range(0x80, 0xA0), 0x061C, 0x200E, 0x200F,
            *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029])
_VISIBLE = {i: f"\\x{i:02x}" if i < 0x100 else f"\\u{i:04x}" for i in _UNSAFE}
_VISIBLE.update({0x0A: "\\n", 0x09: "\\t", 0x0D: "\\r"})


def escape(text: str) -> str:
    """The one door to the terminal: control characters, bidi controls and line separators made
    visible (ESC becomes \\x1b, a newline \\n, RLO \\u202e); everything else unchanged."""
    if text.isprintable():  # the common case: none of them (all are non-printable)
        return text
    return text.translate(_VISIBLE)


def escape_all(value: Any) -> Any:
    """`value` with every string in it (in lists and dict values too) escaped."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {key: escape_all(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [escape_all(item) for item in value]
    return value


def safe_text(value: Any, style: str = ""):
    """Data for rich: a rich.Text of the escaped value, never parsed as markup."""
    from rich.text import Text

    return Text(escape("" if value is None else str(value)), style=style)


@dataclass
class Col:
    """A table column: header, how to show a record's value, and its style."""

    header: str
    value: Callable[[dict[str, Any]], Any] | str
    style: str | Callable[[dict[str, Any]], str | None] | None = None
    justify: str = "left"
    no_wrap: bool = False
    max_width: int | None = None
    drop: int = 0  # on a terminal too narrow for every column, the highest go first (0: never)

    @property
    def whole(self) -> bool:
        """An id, a date, an amount (right-aligned or unwrapped): never cut on a terminal."""
        return self.no_wrap or self.justify == "right"

    def cell(self, row: dict[str, Any]) -> tuple[str, str | None]:
        raw = row.get(self.value) if isinstance(self.value, str) else self.value(row)
        style = self.style(row) if callable(self.style) else self.style
        return ("" if raw is None else escape(str(raw))), style


def is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


WIDE = 120  # columns: a terminal narrower than this gets the short forms of amounts


def narrow() -> bool:
    """Is stdout a terminal narrower than WIDE columns (a person reads a table that must
    fit)? Never in a pipe, where nothing wraps."""
    import shutil

    return is_tty(sys.stdout) and shutil.get_terminal_size().columns < WIDE


def console(stderr: bool = False):
    """A rich Console for the stream: colour on a terminal unless NO_COLOR is set to anything
    but an empty string; on a terminal with NO_COLOR, the terminal's width but no escape codes
    at all; not on a terminal, no escape codes and no width limit (nothing wraps)."""
    import shutil

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    if not is_tty(stream):
        return Console(file=stream, highlight=False, force_terminal=False, no_color=True,
                       width=10_000, emoji=False)
    if not os.environ.get("NO_COLOR"):  # a terminal (is_tty decides, for rich too): colour;
        # NO_COLOR set to an empty string does not count (no-color.org)
        return Console(file=stream, highlight=False, force_terminal=True, no_color=False)
    return Console(file=stream, highlight=False, force_terminal=False, no_color=True,
                   width=shutil.get_terminal_size().columns, emoji=False)


def emit(out, renderable) -> None:
    """Print to a console; when it is not a terminal, without the padding at line ends."""
    if out.is_terminal:
        out.print(renderable)
        return
    with out.capture() as captured:
        out.print(renderable)
    text = "\n".join(line.rstrip() for line in captured.get().splitlines())
    out.file.write(text + "\n")


NOTHING = N_("Nothing to show.")


def table(rows: Sequence[dict[str, Any]], cols: Sequence[Col], *, title: str | None = None,
          caption: str | None = None, empty: str = NOTHING) -> None:
    """Draw `rows` as a table (see the module doc for terminal vs pipe)."""
    if not is_tty(sys.stdout) or len(rows) > LONG:
        # a pipe or a file, or more rows than anyone reads without a pager: plain aligned
        # columns, written row by row without rich (rich lays out a whole table at once)
        _plain_table(rows, cols, title, caption, dynamic(empty))
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    out = console()
    if not rows:
        emit(out, safe_text(dynamic(empty)))
        return
    human = is_tty(out.file)  # a person reads it: box rules, wrapping to the terminal
    styled = out.is_terminal and out.color_system is not None
    heading = None if title is None else safe_text(title, "bold" if styled else "")
    if heading is not None and not human:  # one line in a pipe, even when wider than the table
        heading.no_wrap, heading.overflow = True, "ignore"
    grid = Table(title=heading, box=box.SIMPLE_HEAD if human else None,
                 header_style="bold" if styled else "", show_edge=False, pad_edge=False,
                 title_justify="left")
    cells = [[col.cell(row) for col in cols] for row in rows]
    shown = list(range(len(cols)))
    widths: dict[int, int] = {}
    if human:
        shown, fitted = _fit(cols, cells, out.width)
        if fitted is None:  # too narrow to show the ids, dates and amounts whole: plain lines
            _plain_table(rows, [cols[i] for i in shown], title, caption, dynamic(empty))
            return
        widths = fitted
    for i in shown:
        col = cols[i]
        if i in widths:  # an id, a date, an amount: as wide as its widest cell, never cut
            grid.add_column(Text(col.header), justify=col.justify, no_wrap=True,
                            min_width=widths[i], overflow="fold")
        else:  # text: wrapped at word boundaries, a word too long folded, never cut
            grid.add_column(Text(col.header), justify=col.justify,
                            no_wrap=col.no_wrap or not human, overflow="fold",
                            max_width=col.max_width if human else None)
    for row in cells:
        grid.add_row(*[Text(row[i][0], style=(row[i][1] or "") if styled else "")
                       for i in shown])
    emit(out, grid)
    if caption:
        emit(out, safe_text(caption, "dim" if styled else ""))


LONG = 1000  # rows: a longer table is written plain even on a terminal


# characters whose width cell_width counts without rich, as rich does (tests/test_views.py):
# Latin with Vietnamese and its combining marks, common punctuation, currency signs, arrows
SAME_WIDTH = re.compile("[\x20-\x7e\xa0-\xac\xae-\u036f\u1e00-\u1eff\u2010-\u2027"
                        "\u2030-\u205e\u20a0-\u20c0\u2190-\u21ff]*")


def cell_width(text: str) -> int:
    """The columns `text` takes on a terminal, as rich counts them: 0 for combining marks (a
    decomposed Vietnamese letter is one column), 2 for wide East Asian characters. Text beyond
    SAME_WIDTH (other scripts, emoji, rarer signs) is measured by rich's own tables."""
    import unicodedata

    if text.isascii():
        return len(text)
    if not SAME_WIDTH.fullmatch(text):
        from rich.cells import cell_len

        return cell_len(text)
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _plain_table(rows: Sequence[dict[str, Any]], cols: Sequence[Col], title: str | None,
                 caption: str | None, empty: str) -> None:
    """A table for a pipe or a file, as rich draws it there (a header row, columns two spaces
    apart, numbers right-aligned, nothing wrapped, no trailing spaces), written line by line
    without rich: its time grows with the rows like TSV's."""
    write = sys.stdout.write
    if not rows:
        write(escape(empty) + "\n")
        return
    cells = [[col.cell(row)[0] for col in cols] for row in rows]
    headers = [escape(col.header) for col in cols]
    widths = [max(cell_width(headers[i]), *(cell_width(row[i]) for row in cells))
              for i in range(len(cols))]
    right = [col.justify == "right" for col in cols]

    def line(values: Sequence[str]) -> str:
        parts = []
        for i, value in enumerate(values):
            pad = " " * (widths[i] - cell_width(value))
            parts.append(pad + value if right[i] else value + pad)
        return "  ".join(parts).rstrip() + "\n"

    if title is not None:
        write(escape(title).rstrip() + "\n")
    write(line(headers))
    for row in cells:
        write(line(row))
    if caption:
        write(escape(caption).rstrip() + "\n")


_NARROWEST = 8  # a text column is never squeezed below this many cells (or its header word)
_READABLE = 32  # ... nor one that is never dropped, below this many, while others can go
_LEAST = 16  # ... nor, when nothing else can go, below this many (else the table is plain)


def _fit(cols: Sequence[Col], cells: list[list[tuple[str, str | None]]],
         width: int) -> tuple[list[int], dict[int, int] | None]:
    """The columns a terminal `width` wide shows, and the width each whole column needs; None
    for the widths when even the columns that may not go cannot fit without cutting one (the
    caller then writes those columns plain, for the terminal to wrap).

    Whole columns (ids, dates, amounts) keep their widest cell; text columns may wrap down to
    _NARROWEST (_READABLE for one never dropped); when that does not fit, columns go in the
    order of their `drop` (the highest first, the rightmost first among equals; never a column
    with drop 0); then the text never dropped may narrow to _LEAST."""
    from rich.cells import cell_len

    def need(i: int, readable: int) -> int:
        widest = max((cell_len(row[i][0]) for row in cells), default=0)
        header = max((cell_len(word) for word in cols[i].header.split()), default=0)
        if cols[i].whole:
            return max(widest, header)
        # the text a table is for (a reason, a step: never dropped) keeps room to be read;
        # other text may wrap narrow before columns are dropped
        room = readable if cols[i].drop == 0 else _NARROWEST
        return min(max(widest, header), max(room, header))

    def total(shown: list[int], needs: dict[int, int]) -> int:
        return sum(needs[i] for i in shown) + 3 * (len(shown) - 1)  # 3: rich's gap

    shown = list(range(len(cols)))
    needs = {i: need(i, _READABLE) for i in shown}
    while total(shown, needs) > width:
        droppable = [i for i in shown if cols[i].drop > 0]
        if not droppable:
            break
        shown.remove(max(droppable, key=lambda i: (cols[i].drop, i)))
    if total(shown, needs) > width:
        needs = {i: need(i, _LEAST) for i in shown}
        if total(shown, needs) > width:
            return shown, None
    return shown, {i: needs[i] for i in shown if cols[i].whole}


def sections(parts: Sequence[tuple[str, str | None, Sequence[dict[str, Any]]]],
             cols: Sequence[Col], *, title: str | None = None, indent: int = 2) -> None:
    """Rows under headings (the days of `plan`): each part is (heading, its style, its rows);
    a heading is one line, its rows follow indented, in columns aligned across all the parts
    and without a header row. A column empty in every row is left out. Headings and cells
    reach rich as escaped Text, like `table`'s. In a pipe, or with more than LONG rows, they
    are written line by line without rich, as rich writes them there (like `table`)."""
    if not is_tty(sys.stdout) or sum(len(rows) for _, _, rows in parts) > LONG:
        _plain_sections(parts, cols, title, indent)
    else:
        _rich_sections(parts, cols, title, indent)


def _rich_sections(parts: Sequence[tuple[str, str | None, Sequence[dict[str, Any]]]],
                   cols: Sequence[Col], title: str | None, indent: int) -> None:
    from rich.cells import cell_len
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    out = console()
    human = is_tty(out.file)
    styled = out.is_terminal and out.color_system is not None
    cells = [[[col.cell(row) for col in cols] for row in rows] for _, _, rows in parts]
    every = [row for part in cells for row in part]
    widths = [max((cell_len(row[i][0]) for row in every), default=0) for i in range(len(cols))]
    shown = [i for i, width in enumerate(widths) if width]
    if human and shown:  # the rows fit the terminal with the last column wrapped to _LEAST,
        # or they are written whole, one line each, for the terminal to wrap: never cut
        need = indent + sum(widths[i] for i in shown[:-1]) + 2 * (len(shown) - 1) \
            + min(widths[shown[-1]], _LEAST)
        wrap = need <= out.width
    else:
        wrap = False

    def line(text: str, style: str | None) -> None:
        heading = safe_text(text, (style or "") if styled else "")
        if not human:  # one line in a pipe
            heading.no_wrap, heading.overflow = True, "ignore"
        emit(out, heading)

    if title is not None:
        line(title, "bold")
    for (heading, style, _), part in zip(parts, cells):
        line(heading, style)
        if not part:
            continue
        grid = Table(box=None, show_header=False, show_edge=False, pad_edge=False)
        for i in shown:
            col = cols[i]
            last = i == shown[-1]  # the last column need not be as wide as elsewhere
            width = min(widths[i], col.max_width) if wrap and col.max_width else widths[i]
            grid.add_column(justify=col.justify, no_wrap=col.no_wrap or not wrap,
                            max_width=col.max_width if wrap else None,
                            min_width=None if last else width)
        for row in part:
            grid.add_row(*[Text(row[i][0], style=(row[i][1] or "") if styled else "")
                           for i in shown])
        if wrap or not human:
            emit(out, Padding(grid, (0, 0, 0, indent), expand=False))
        else:  # too wide for this terminal: whole lines (rich would cut or squeeze them)
            with out.capture() as captured:
                out.width, wide = 10_000, out.width
                out.print(Padding(grid, (0, 0, 0, indent), expand=False))
                out.width = wide
            out.file.write("\n".join(x.rstrip() for x in captured.get().splitlines()) + "\n")


def _plain_sections(parts: Sequence[tuple[str, str | None, Sequence[dict[str, Any]]]],
                    cols: Sequence[Col], title: str | None, indent: int) -> None:
    """`sections` for a pipe: headings one line each, the rows indented under them in columns
    aligned across all the parts, two spaces apart, no trailing spaces (as rich lays out its
    grid there: every column but the last as wide as its widest cell in all the parts)."""
    write = sys.stdout.write
    cells = [[[col.cell(row)[0] for col in cols] for row in rows] for _, _, rows in parts]
    widths = [max((cell_width(row[i]) for part in cells for row in part), default=0)
              for i in range(len(cols))]
    shown = [i for i, width in enumerate(widths) if width]
    right = [col.justify == "right" for col in cols]
    margin = " " * indent
    if title is not None:
        write(escape(title).rstrip() + "\n")
    for (heading, _, _), part in zip(parts, cells):
        write(escape(heading).rstrip() + "\n")
        if not part or not shown:
            continue
        last = shown[-1]  # as wide as its widest cell in this part only
        wide = {**dict(enumerate(widths)), last: max(cell_width(row[last]) for row in part)}
        for row in part:
            out = []
            for i in shown:
                pad = " " * (wide[i] - cell_width(row[i]))
                out.append(pad + row[i] if right[i] else row[i] + pad)
            write((margin + "  ".join(out)).rstrip() + "\n")


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return _decimal_text(value)
    return str(value)


class Listed(str):
    """A list-valued cell whose items cannot be split back from its text (names may hold the
    separator; one code among several): the text that csv, tsv and tables show, as before, and
    the items, which JSON writes as an array."""

    items: list[Any]

    def __new__(cls, items: Iterable[Any], sep: str = ",") -> "Listed":
        items = list(items)
        made = super().__new__(cls, sep.join(str(item) for item in items))
        made.items = items
        return made


# JSON types by column name, the same in every command and export (csv and tsv keep the
# documented cells: 1/0, comma-separated lists, ...).
# Flags stored as 1/0: true/false (a text in a column of that name, e.g. a stage's `key`,
# stays text).
FLAGS = frozenset({"customer", "key", "is_key", "lunar", "gifts", "in_80", "stalled"})
# Lists written as one text: an array of their items (strings); null stays null.
LISTS = {"tags": ",", "roles": ",", "criteria": ",", "emails": " ::: ", "phones": " ::: ",
         "changed": ",", "id_problems": ",", "backups_holding": ","}
# Lists of ids: an array of numbers.
ID_LISTS = frozenset({"people_ids", "with_ids", "step_ids", "with", "done_step_ids"})
# Amounts (SQL money(): a whole number, an exact float, or beyond 15 digits exact text): a
# number, exact, and the column that names their currency, in the same record.
AMOUNTS = {"value": ("currency",), "amount": ("currency",), "won_amount": ("won_currency",),
           "order_value": ("order_currency", "currency"), "orders_value": ("currency",),
           "weighted": ("currency",), "suggested": ("currency",)}
_IDS = re.compile(r"[0-9]+(?:,[0-9]+)*")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _decimal_text(value: Decimal) -> str:
    """A Decimal as plain digits (never an exponent): 1234567890123.456, 450000000."""
    return format(value, "f")


def _flag(value: Any) -> Any:
    return bool(value) if type(value) is int and value in (0, 1) else value


def _splitter(sep: str) -> Callable[[Any], Any]:
    def split(value: Any) -> Any:
        if not isinstance(value, str) or isinstance(value, Listed):
            return value
        return [item.strip() if sep == "," else item for item in value.split(sep)
                if item.strip()] if value else []
    return split


def _ids(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, str) and not isinstance(value, Listed) and _IDS.fullmatch(value):
        return [int(item) for item in value.split(",")]
    return value


def _amount(value: Any) -> Any:
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return Decimal(value)
    return value


_TYPERS: dict[str, Callable[[Any], Any]] = {
    **{name: _flag for name in FLAGS}, **{name: _splitter(sep) for name, sep in LISTS.items()},
    **{name: _ids for name in ID_LISTS}}


def _typed(record: dict[str, Any]) -> dict[str, Any]:
    """A record with its values typed for JSON (see FLAGS, LISTS, ID_LISTS, AMOUNTS), in place;
    Listed values become their items, and every other value is left as it is."""
    for name, value in record.items():
        if value is None:
            continue
        kind = type(value)
        if kind is str or kind is int:  # most values: typed by their column's name, if at all
            typer = _TYPERS.get(name)
            if typer is not None:
                record[name] = typer(value)
            elif kind is str and name in AMOUNTS and any(c in record for c in AMOUNTS[name]):
                record[name] = _amount(value)
        elif isinstance(value, Listed):
            record[name] = list(value.items)
        elif kind is float and value.is_integer():
            record[name] = int(value)
        elif name in _TYPERS:
            record[name] = _TYPERS[name](value)
    return record


def json_typed(value: Any) -> Any:
    """A record, a list of them or a document (show -f json) typed for JSON: every object in
    it, at any depth, by its keys (see _typed)."""
    if isinstance(value, dict):
        return _typed({key: json_typed(item) for key, item in value.items()})
    if isinstance(value, Listed):
        return list(value.items)
    if isinstance(value, (list, tuple)):
        return [json_typed(item) for item in value]
    return value


_MARK = f"\x00relcrm-number-{os.urandom(8).hex()}:"


def dumps(value: Any, indent: int | None = None) -> str:
    """JSON text of `value`, a Decimal written as its exact number (JSON numbers have no
    precision limit; Python's json would refuse a Decimal or lose digits as a float)."""
    numbers: list[str] = []

    def number(item: Any) -> str:
        if isinstance(item, Decimal) and item.is_finite():
            numbers.append(_decimal_text(item))
            return f"{_MARK}{len(numbers) - 1}"
        raise TypeError(f"{type(item).__name__} is not JSON serializable")

    text = json.dumps(value, ensure_ascii=False, indent=indent, default=number)
    if not numbers:
        return text
    mark = json.dumps(_MARK, ensure_ascii=False)[1:-1]
    return re.sub('"' + re.escape(mark) + '([0-9]+)"', lambda m: numbers[int(m.group(1))],
                  text)


_PLAIN = {"Đ": "D", "—": "-", "–": "-", "…": "...", "→": "->", "←": "<-", "·": ".", "“": '"',
          "”": '"', "‘": "'", "’": "'", "₫": "VND", "█": "#", "▏": "|", "▎": "|", "▍": "|",
          "▌": "|", "▋": "|", "▊": "|", "▉": "|", "─": "-", "━": "-", "│": "|"}


def _fold_unencodable(error: UnicodeError) -> tuple[str, int]:
    """An encoding error handler for terminals that cannot show every character (Latin-1,
    cp1252, ASCII): a letter without its accents where the terminal has that (Nguyễn ->
    Nguyen, đ -> d), else '?'; never an error."""
    import unicodedata

    from .text import _EXTRA

    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = []
    for ch in error.object[error.start:error.end]:
        base = _PLAIN.get(ch) or "".join(
            c for c in unicodedata.normalize("NFKD", ch.translate(_EXTRA))
            if not unicodedata.combining(c))
        try:
            base.encode(error.encoding)
            out.append(base or "?")
        except (UnicodeEncodeError, LookupError):
            out.append("?")
    return "".join(out), error.end


def adapt_streams() -> None:
    """On a terminal or stream that is not UTF-8, what it cannot show is folded (see
    _fold_unencodable) instead of failing; machine formats still write UTF-8 (_utf8)."""
    import codecs

    try:
        codecs.lookup_error("relcrm-fold")
    except LookupError:
        codecs.register_error("relcrm-fold", _fold_unencodable)
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding not in ("utf8", "utf8sig") and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="relcrm-fold")
            except (ValueError, OSError):
                pass


def _utf8(stream: TextIO) -> TextIO:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    if encoding != "utf8" and hasattr(stream, "reconfigure"):
        try:
            stream.reconfigure(encoding="utf-8")
        except (ValueError, OSError):
            pass
    return stream


# CSV injection (OWASP): a spreadsheet runs a cell as a formula when it starts with a trigger
# (= + - @ tab CR), possibly after spaces and quotes. A cell also starts after any separator
# (, ; tab) or line break in the data when the file is read with another separator than it was
# written with: a vi-VN spreadsheet splits a comma file at ";", so "Acme;=cmd|..." becomes a
# harmless cell and a formula there, and quoting cannot help (the quote is not where that
# reader's field starts).
_FORMULA = re.compile(r"(?:^|[,;\t\r\n])[ \"']*[=+\-@\t\r]")
_FORMULA_AFTER = re.compile(r"([,;\t\r\n])(?=[ \"']*[=+\-@\t\r])")


def _excel_safe(cell: str) -> str:
    """A cell no spreadsheet will run as a formula: when it holds a trigger at its start or
    after a separator, a ' before the cell and after each such separator."""
    if not _FORMULA.search(cell):
        return cell
    return "'" + _FORMULA_AFTER.sub(r"\1'", cell)


def for_terminal(out: TextIO) -> Callable[[Any], Any]:
    """How a machine format's strings reach `out`: exact in a pipe or file, escaped (every
    string, so no ESC, C1 or OSC) when `out` is a terminal."""
    return escape_all if is_tty(out) else (lambda value: value)


def document(value: Any, out: TextIO | None = None) -> None:
    """One JSON document (indented), e.g. `show -f json`; escaped strings on a terminal."""
    out = _utf8(out or sys.stdout)
    out.write(dumps(for_terminal(out)(json_typed(value)), indent=2) + "\n")


def lines(text: str, out: TextIO) -> str:
    """Text made elsewhere (a vCard) as written to `out`: exact, or on a terminal each line
    escaped with its line end (LF or CRLF) kept."""
    if not is_tty(out):
        return text
    parts = re.split(r"(\r?\n)", text)
    return "".join(part if index % 2 else escape(part) for index, part in enumerate(parts))


def machine(fmt: str, columns: Sequence[str], rows: Iterable[Sequence[Any] | dict[str, Any]],
            out: TextIO | None = None, *, excel: bool = False,
            extra: dict[str, Any] | None = None) -> int:
    """Write rows (dicts or tuples in `columns` order) as csv, tsv, json or jsonl; returns the
    count. `excel` (csv/tsv): a UTF-8 BOM, CRLF line ends, every cell quoted, and formula
    triggers neutralised (`_excel_safe`). `extra` (jsonl): keys put first on every line (the
    entity of an `export all`). On a terminal every string is escaped (see `for_terminal`)."""
    out = _utf8(out or sys.stdout)
    shown = for_terminal(out)
    count = 0
    if fmt == "jsonl":
        for row in rows:
            values = [row.get(c) for c in columns] if isinstance(row, dict) else row
            record = shown({**(extra or {}), **_typed(dict(zip(columns, values)))})
            out.write(dumps(record) + "\n")
            count += 1
        return count
    if fmt == "json":
        out.write("[")
        for row in rows:
            values = [row.get(c) for c in columns] if isinstance(row, dict) else row
            record = shown(_typed(dict(zip(columns, values))))
            out.write(("\n  " if count == 0 else ",\n  ") + dumps(record))
            count += 1
        out.write("\n]\n" if count else "]\n")
        return count
    if fmt == "tsv" and not excel:  # one record per line, whatever the cells hold
        out.write("\t".join(columns) + "\n")
        for row in rows:
            values = [row.get(c) for c in columns] if isinstance(row, dict) else row
            out.write("\t".join(shown([tsv_cell(_plain(v)) for v in values])) + "\n")
            count += 1
        return count
    import csv

    writer = csv.writer(out, delimiter="\t" if fmt == "tsv" else ",",
                        lineterminator="\r\n" if excel else "\n",
                        quoting=csv.QUOTE_ALL if excel else csv.QUOTE_MINIMAL)
    if excel:
        out.write("\ufeff")
    writer.writerow(columns)
    if not excel and not is_tty(out):  # the csv module writes texts, whole numbers and None
        # (as nothing) as _plain does: only the other values need it (export's 370,000 cells)
        for row in rows:
            values = [row.get(c) for c in columns] if isinstance(row, dict) else row
            writer.writerow([v if v is None or type(v) is str or type(v) is int else _plain(v)
                             for v in values])
            count += 1
        return count
    for row in rows:
        values = [row.get(c) for c in columns] if isinstance(row, dict) else row
        cells = shown([_plain(v) for v in values])
        writer.writerow([_excel_safe(c) for c in cells] if excel else cells)
        count += 1
    return count


_TSV = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_UNTSV = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}


def tsv_cell(text: str) -> str:
    """A TSV cell that scripts can split on tabs and lines: backslash, tab, newline and
    carriage return written as \\\\, \\t, \\n, \\r (what `cut`, `awk -F'\\t'` and the
    PostgreSQL/MySQL text formats expect)."""
    return text.translate(_TSV)


def tsv_value(cell: str) -> str:
    """A cell of relcrm's TSV read back (the inverse of tsv_cell); other backslashes stay."""
    if "\\" not in cell:
        return cell
    out, i = [], 0
    while i < len(cell):
        ch = cell[i]
        if ch == "\\" and i + 1 < len(cell) and cell[i + 1] in _UNTSV:
            out.append(_UNTSV[cell[i + 1]])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def note(message: str) -> None:
    """A line for the person at the terminal, on stderr (so stdout stays data)."""
    print(escape(message), file=sys.stderr)


def warn(message: str) -> None:
    out = console(stderr=True)
    from rich.text import Text

    from .i18n import _

    prefix = Text(_("warning: "), style="bold yellow" if out.color_system else "")
    out.print(prefix + safe_text(message))
