"""Contact lists as CSV: LinkedIn's Connections.csv, Google Contacts, and any CSV.

Each becomes Source records whose values use relcrm's field names: name, company, title,
email, phone, url, source, tags (a list), value, note, and dates: the important dates of the
person as the file writes them ({"kind", "text", "label"}; core/importing.py reads them, with the
book's date_order). Columns with a value that a reader does not read are listed in
Read.unused, for the import's summary: nothing is dropped silently.
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import UsageError
from ..i18n import _
from . import Read, Source, date_kind, one_line, tabular

# --map FIELD names, and what `name`-like columns may be combined from.
FIELDS = ("name", "first_name", "middle_name", "last_name", "company", "title", "email",
          "phone", "url", "source", "tags", "value", "note", "birthday", "anniversary", "skip")
# fields that are an important date of the person, and its kind
DATE_FIELDS = {"birthday": "birthday", "anniversary": "anniversary"}
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
    "birthday": ("birthday", "birth date", "birthdate", "date of birth", "dob", "d o b",
                 "ngay sinh", "sinh nhat", "ngay thang nam sinh", "sinh ngay"),
    "anniversary": ("anniversary", "wedding anniversary", "ngay cuoi", "ngay ky niem"),
}
_BY_ALIAS = {alias: field for field, aliases in ALIASES.items() for alias in aliases}


def read(text: str, name: str, fmt: str, mapping: dict[str, str]) -> Read:
    table = tabular.table(text)
    if fmt == "linkedin":
        return _linkedin(table)
    if fmt == "google":
        return _google(table)
    if fmt == "relcrm":
        raise UsageError(_("this is a relcrm export; import it with --format relcrm or auto"))
    return _generic(table, name, mapping)


def _rows(table: tabular.Table, result: Read):
    """(line, {header: cell}) of each row with the header's number of cells."""
    width = len(table.header)
    for line, cells in table.rows:
        if len(cells) != width:
            result.errors.append((line, _("has {count} fields where the header has {width} "
                                          "(is the file truncated?)").format(
                                              count=len(cells), width=width)))
            continue
        yield line, dict(zip(table.header, (c.strip() for c in cells)))


def unused(table: tabular.Table, reads: Callable[[str], bool]) -> list[str]:
    """The columns a reader does not read (`reads(name)` is false; of a name given twice, all
    but the last, which a row's dict keeps) that hold a value in some row, named for a message:
    as written, "column N" when blank, with its number when the name is repeated."""
    header = table.header
    last = {name: i for i, name in enumerate(header)}
    out = []
    for i, name in enumerate(header):
        if last[name] == i and reads(name):
            continue
        if not any(i < len(cells) and cells[i].strip() for _, cells in table.rows):
            continue  # empty in every row: nothing is lost
        shown = one_line(" ".join(name.split()))
        shown = shown if len(shown) <= 40 else shown[:39] + "…"
        if not shown:
            shown = _("column {number}").format(number=i + 1)
        elif header.count(name) > 1:
            shown = _("{name} (column {number})").format(name=shown, number=i + 1)
        out.append(shown)
    return out


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


# Given and middle names common in Vietnam, unaccented: with a Vietnamese family name they
# tell a Vietnamese name (Nguyen Minh Anh) from a Western one with that family name (Emma Nguyen)
VIETNAMESE_GIVEN_PLAIN = frozenset((
    "an anh bao binh chau chi cong cuong dai dan danh dao dat diem diep dong duc dung duong "
    "duy gia giang ha hai han hang hanh hao hau hien hieu hoa hoai hoan hong hue hung huong huy "
    "khang khanh khoa khoi kien kim lam lan lanh lien linh loan loc long luan ly mai manh minh "
    "my nam nga ngan nghia ngoc nguyet nhan nhat nhi nhu nhung phat phong phu phuc phuong quan "
    "quang quoc quyen quynh sang son tai tam tan thach thai thang thanh thao thi thinh tho "
    "thong thu thuan thuy thuong tien tin toan trang tri trinh trong trung truong tu tuan tung "
    "tuyet uyen van viet vinh vu vy xuan yen").split())
_VIETNAMESE_LETTERS = set("ăâđêôơưĂÂĐÊÔƠƯ")


def _vietnamese_given(given: str) -> bool:
    """Whether a given name is Vietnamese: its own letters or tone marks, or every word one
    of the names common in Vietnam."""
    import unicodedata

    from ..text import fold

    if any(ch in _VIETNAMESE_LETTERS for ch in given) or any(
            unicodedata.combining(c) and c in "\u0300\u0301\u0303\u0309\u0323"
            for c in unicodedata.normalize("NFD", given)):
        return True
    words = fold(given).split()
    return bool(words) and all(w in VIETNAMESE_GIVEN_PLAIN for w in words)


def full_name(first: str | None, middle: str | None, last: str | None) -> str:
    """A name from its parts, in the order its culture writes it: family name first for a
    Vietnamese name (Nguyễn Văn An), given name first otherwise (Sarah Collins). The order is
    changed only when it can tell: a Vietnamese family name with a Vietnamese given name
    ("Emma, Nguyen" stays Emma Nguyen)."""
    family = (last or "").strip()
    given = " ".join(x for x in ((middle or "").strip(), (first or "").strip()) if x)
    if (family in VIETNAMESE_FAMILY or family.lower() in VIETNAMESE_FAMILY_PLAIN) \
            and _vietnamese_given(given):
        return _join(family, middle, first)
    return _join(first, middle, last)


def _linkedin(table: tabular.Table) -> Read:
    result = Read("linkedin", source_name="LinkedIn")
    result.unused = unused(table, tabular.LINKEDIN.__contains__)
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


def _numbers(header: list[str] | set[str] | dict, label: str) -> list[int]:
    """The numbers of Google's numbered columns that are read (E-mail 1 - Value, E-mail 2 -
    Value ...): 1, and on while the next one is there (at most 50)."""
    found = []
    number = 1
    while f"{label} {number} - Value" in header or number == 1:
        found.append(number)
        number += 1
        if number > 50:
            break
    return found


def _every(get: Any, label: str, numbers: list[int]) -> str | None:
    """Every value of Google's numbered columns, each of which may hold several as 'a ::: b':
    all of them, ' ::: ' between."""
    found = []
    for number in numbers:
        cell = get(f"{label} {number} - Value")
        if cell:
            found.extend(v.strip() for v in cell.split(":::") if v.strip())
    return " ::: ".join(found) or None


# Google's columns that are read (a name's parts, and the fallbacks when it has none, count as
# read), besides the numbered ones of _numbers and their labels
GOOGLE_READ = frozenset((
    "Name", "First Name", "Given Name", "Middle Name", "Additional Name", "Last Name",
    "Family Name", "Nickname", "File As", "Labels", "Group Membership", "Organization Name",
    "Organization 1 - Name", "Organization Title", "Organization 1 - Title",
    "Organization 1 - Type", "Notes", "Birthday", "Website 1 - Value", "Website 1 - Label",
    "Website 1 - Type"))
GOOGLE_NUMBERED = ("E-mail", "Phone", "Event")


def _google_reads(header: list[str]) -> set[str]:
    read = set(GOOGLE_READ)
    for label in GOOGLE_NUMBERED:
        for number in _numbers(header, label):
            read.update(f"{label} {number} - {part}" for part in ("Value", "Label", "Type"))
    return read


def _google(table: tabular.Table) -> Read:
    result = Read("google", source_name="Google Contacts")
    result.unused = unused(table, _google_reads(table.header).__contains__)
    numbers = {label: _numbers(table.header, label) for label in GOOGLE_NUMBERED}
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
            "email": _every(get, "E-mail", numbers["E-mail"]),
            "phone": _every(get, "Phone", numbers["Phone"]),
            "url": _first(get("Website 1 - Value")), "note": get("Notes"), "tags": tags,
            "dates": _google_dates(get, numbers["Event"])}))
    return result


def _google_dates(get: Any, events: list[int]) -> list[dict[str, str]]:
    """The Birthday column, and each event (Event N - Type, or - Label in newer files, and
    Event N - Value): Anniversary is an anniversary, any other label that label as a word."""
    found = []
    if get("Birthday"):
        found.append({"kind": "birthday", "text": get("Birthday"), "label": "Birthday"})
    for number in events:
        cell = get(f"Event {number} - Value")
        label = get(f"Event {number} - Type") or get(f"Event {number} - Label")
        for value in (cell or "").split(":::"):
            if value.strip():
                found.append({"kind": date_kind(label), "text": value.strip(),
                              "label": f"Event {number} - Value"})
    return found


def _generic(table: tabular.Table, name: str, mapping: dict[str, str]) -> Read:
    result = Read("csv", source_name=name)
    columns: dict[str, str] = {}  # header cell -> field
    unknown = [column for column in mapping if column not in table.header]
    if unknown:
        raise UsageError(_("--map names column {column}, which {name} does not have; its "
                           "columns are: {columns}").format(
                               column=repr(unknown[0]), name=name,
                               columns=one_line(", ".join(table.header))))
    skipped: set[str] = set()  # --map COLUMN=skip: left out on purpose, not listed as unused
    for column in table.header:
        field = mapping.get(column) or _BY_ALIAS.get(tabular.normal(column))
        if field == "skip":
            skipped.add(column)
        elif field and field not in columns.values():
            columns[column] = field
    if "name" not in columns.values() and not {"first_name", "last_name"} & set(columns.values()):
        raise UsageError(_("{name} has no name column (its columns are: {columns}); say which "
                           "one it is with --map COLUMN=name").format(
                               name=name, columns=one_line(", ".join(table.header))))
    result.unused = unused(table, lambda column: column in columns or column in skipped)
    column_of = {field: column for column, field in columns.items()}
    for line, row in _rows(table, result):
        values: dict[str, Any] = {field: row[column] for column, field in columns.items()}
        values["dates"] = [{"kind": kind, "text": values[field], "label": column_of[field]}
                           for field, kind in DATE_FIELDS.items() if values.get(field)]
        for field in DATE_FIELDS:
            values.pop(field, None)
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
            raise UsageError(_("--map {pair} is not COLUMN=FIELD (e.g. --map \"Họ tên=name\")"
                               ).format(pair=repr(pair)))
        if field not in FIELDS:
            raise UsageError(_("--map {pair}: unknown field {field}; use one of {fields}").format(
                pair=repr(pair), field=repr(field), fields=", ".join(FIELDS)))
        mapping[column.strip()] = field
    return mapping
