"""Contact lists as CSV: LinkedIn's Connections.csv, Google Contacts, and any CSV.

Each becomes Source records whose values use relcrm's field names: name, company, title,
email, phone, url, source, tags (a list), value, note.
"""

from __future__ import annotations

from typing import Any

from ..errors import UsageError
from . import Read, Source, one_line, tabular

# --map FIELD names, and what `name`-like columns may be combined from.
FIELDS = ("name", "first_name", "middle_name", "last_name", "company", "title", "email",
          "phone", "url", "source", "tags", "value", "note", "skip")
# Header names recognised without --map (compared folded, punctuation as spaces).
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "fullname", "contact", "contact name", "display name",
             "ho ten", "ho va ten", "ten"),
    "first_name": ("first name", "firstname", "given name", "first"),
    "middle_name": ("middle name", "additional name"),
    "last_name": ("last name", "lastname", "family name", "surname"),
    "email": ("email", "e mail", "email address", "e mail address", "mail", "work email"),
    "phone": ("phone", "phone number", "mobile", "mobile phone", "tel", "telephone",
              "so dien thoai", "dien thoai", "sdt"),
    "company": ("company", "organisation", "organization", "org", "company name",
                "account", "cong ty"),
    "title": ("title", "job title", "position", "role", "chuc vu"),
    "url": ("url", "website", "web", "linkedin", "profile", "linkedin url"),
    "source": ("source", "lead source", "nguon"),
    "tags": ("tags", "tag", "labels", "groups"),
    "value": ("value", "deal value", "amount", "gia tri"),
    "note": ("note", "notes", "comment", "comments", "ghi chu"),
}
_BY_ALIAS = {alias: field for field, aliases in ALIASES.items() for alias in aliases}


def read(text: str, name: str, fmt: str, mapping: dict[str, str]) -> Read:
    table = tabular.table(text)
    if fmt == "linkedin":
        return _linkedin(table)
    if fmt == "google":
        return _google(table)
    if fmt == "relcrm":
        raise UsageError("this is a relcrm export; import it with --format relcrm or auto")
    return _generic(table, name, mapping)


def _rows(table: tabular.Table, result: Read):
    """(line, {header: cell}) of each row with the header's number of cells."""
    width = len(table.header)
    for line, cells in table.rows:
        if len(cells) != width:
            result.errors.append((line, f"has {len(cells)} fields where the header has "
                                        f"{width} (is the file truncated?)"))
            continue
        yield line, dict(zip(table.header, (c.strip() for c in cells)))


def _join(*parts: str | None) -> str:
    return " ".join(p for p in parts if p)


# Family names that mark a Vietnamese name, written as Vietnamese write them, and the
# unaccented spellings that are Vietnamese only (Le, Ho, Ly ... are left out: they are common
# Western or Chinese names too).
VIETNAMESE_FAMILY = frozenset((
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Trương Lâm "
    "Trịnh Đào Lương Tô Tạ Châu Quách Thái Kiều Vương Phùng Triệu Khúc Lưu Đoàn Hà").split())
VIETNAMESE_FAMILY_PLAIN = frozenset(
    "nguyen tran pham hoang huynh phan vu vo dang bui ngo duong dinh truong trinh".split())


def full_name(first: str | None, middle: str | None, last: str | None) -> str:
    """A name from its parts, in the order its culture writes it: family name first for a
    Vietnamese name (Nguyễn Văn An), given name first otherwise (Sarah Collins)."""
    family = (last or "").strip()
    if family in VIETNAMESE_FAMILY or family.lower() in VIETNAMESE_FAMILY_PLAIN:
        return _join(family, middle, first)
    return _join(first, middle, last)


def _linkedin(table: tabular.Table) -> Read:
    result = Read("linkedin", source_name="LinkedIn")
    for line, row in _rows(table, result):
        note = f"LinkedIn connection since {row['Connected On']}" if row["Connected On"] else None
        result.records.append(Source(line, {
            "name": full_name(row["First Name"], None, row["Last Name"]),
            "company": row["Company"],
            "title": row["Position"], "email": row["Email Address"], "url": row["URL"],
            "note": note}))
    return result


def _first(value: str | None) -> str | None:
    """Google puts several values in one cell as 'a ::: b'; for a website, the first counts."""
    return value.split(" ::: ")[0].strip() if value else value


def _every(get: Any, label: str) -> str | None:
    """Every value of Google's numbered columns (E-mail 1 - Value, E-mail 2 - Value ...), each
    of which may hold several as 'a ::: b': all of them, ' ::: ' between."""
    found = []
    number = 1
    while (cell := get(f"{label} {number} - Value")) is not None or number == 1:
        if cell:
            found.extend(v.strip() for v in cell.split(":::") if v.strip())
        number += 1
        if number > 50:
            break
    return " ::: ".join(found) or None


def _google(table: tabular.Table) -> Read:
    result = Read("google", source_name="Google Contacts")
    for line, row in _rows(table, result):
        get = row.get
        name = get("Name") or full_name(get("First Name") or get("Given Name"),
                                         get("Middle Name") or get("Additional Name"),
                                         get("Last Name") or get("Family Name"))
        labels = (get("Labels") or get("Group Membership") or "").split(" ::: ")
        tags = [t for t in (label.strip().lstrip("* ").strip() for label in labels)
                if t and t.lower() not in ("mycontacts", "starred")]
        result.records.append(Source(line, {
            "name": name or get("Nickname") or get("File As") or "",
            "company": get("Organization Name") or get("Organization 1 - Name"),
            "title": get("Organization Title") or get("Organization 1 - Title"),
            "email": _every(get, "E-mail"), "phone": _every(get, "Phone"),
            "url": _first(get("Website 1 - Value")), "note": get("Notes"), "tags": tags}))
    return result


def _generic(table: tabular.Table, name: str, mapping: dict[str, str]) -> Read:
    result = Read("csv", source_name=name)
    columns: dict[str, str] = {}  # header cell -> field
    unknown = [column for column in mapping if column not in table.header]
    if unknown:
        raise UsageError(f"--map names column {unknown[0]!r}, which {name} does not have; its "
                         f"columns are: {one_line(', '.join(table.header))}")
    for column in table.header:
        field = mapping.get(column) or _BY_ALIAS.get(tabular.normal(column))
        if field and field != "skip" and field not in columns.values():
            columns[column] = field
    if "name" not in columns.values() and not {"first_name", "last_name"} & set(columns.values()):
        raise UsageError(f"{name} has no name column (its columns are: "
                         f"{one_line(', '.join(table.header))}); say which one it is with "
                         "--map COLUMN=name")
    for line, row in _rows(table, result):
        values: dict[str, Any] = {field: row[column] for column, field in columns.items()}
        if "name" not in values or not values["name"]:
            values["name"] = full_name(values.pop("first_name", None),
                                       values.pop("middle_name", None),
                                       values.pop("last_name", None))
        for part in ("first_name", "middle_name", "last_name"):
            values.pop(part, None)
        if "tags" in values:
            values["tags"] = [t.strip() for t in values["tags"].replace(";", ",").split(",")
                              if t.strip()]
        result.records.append(Source(line, values))
    return result


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """--map COLUMN=FIELD options as {column: field}."""
    mapping = {}
    for pair in pairs:
        column, sep, field = pair.rpartition("=")
        field = field.strip().lower().replace("-", "_")
        if not sep or not column.strip():
            raise UsageError(f"--map {pair!r} is not COLUMN=FIELD (e.g. --map \"Họ tên=name\")")
        if field not in FIELDS:
            raise UsageError(f"--map {pair!r}: unknown field {field!r}; use one of "
                             + ", ".join(FIELDS))
        mapping[column.strip()] = field
    return mapping
