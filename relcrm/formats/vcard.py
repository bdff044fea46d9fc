"""vCard 3.0 / 4.0 (RFC 2426 / RFC 6350) through vobject: several cards per file, folded
lines, escaped text and UTF-8 names are the library's job."""

from __future__ import annotations

import uuid
from typing import Any, Iterable

from ..errors import UsageError
from . import Read, Source

NAMESPACE = uuid.UUID("6f1c3a52-4c1e-4f4e-9d3b-2f5a8c7e9b10")  # relcrm's vCard UIDs


def _value(card: Any, key: str) -> Any:
    items = card.contents.get(key)
    return items[0].value if items else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value if v) or None
    return str(value).strip() or None


def _phone(value: str | None) -> str | None:
    if value and value.lower().startswith("tel:"):
        value = value[4:]
    return value


def read(text: str, name: str) -> Read:
    import vobject

    result = Read("vcard", source_name="vCard")
    lines = text.splitlines()
    starts = [i + 1 for i, line in enumerate(lines) if line.strip().upper() == "BEGIN:VCARD"]
    try:
        cards = list(vobject.readComponents(text, validate=False, ignoreUnreadable=False))
    except Exception as exc:  # vobject raises its own ParseError and plain ValueErrors
        raise UsageError(f"{name} is not a valid vCard file ({_reason(exc)})") from None
    for index, card in enumerate(cards):
        line = starts[index] if index < len(starts) else 0
        if card.name.upper() != "VCARD":
            result.errors.append((line, f"a {card.name} is not a vCard"))
            continue
        full = _text(_value(card, "fn"))
        if not full:
            result.errors.append((line, "card has no FN (formatted name)"))
            continue
        org = _value(card, "org")
        company = (org[0] if isinstance(org, list) and org else _text(org))
        categories = _value(card, "categories") or []
        if isinstance(categories, str):
            categories = [categories]
        result.records.append(Source(line, {
            "name": full, "company": company, "title": _text(_value(card, "title")),
            "email": _text(_value(card, "email")), "phone": _phone(_text(_value(card, "tel"))),
            "url": _text(_value(card, "url")), "note": _text(_value(card, "note")),
            "tags": [c for c in categories if c]}))
    if not cards:
        raise UsageError(f"{name} holds no vCard (no BEGIN:VCARD ... END:VCARD)")
    return result


def _reason(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def write(prospects: Iterable[dict[str, Any]]) -> str:
    """vCard 4.0 cards for prospect records (as queries.PROSPECT_COLUMNS), CRLF line ends."""
    import vobject

    out = []
    for p in prospects:
        card = vobject.vCard()
        card.add("version").value = "4.0"
        key = f"{p['id']}:{p['created_at']}"
        card.add("uid").value = f"urn:uuid:{uuid.uuid5(NAMESPACE, key)}"
        card.add("fn").value = p["name"]
        # N's parts are not guessed from the name (Vietnamese and English order differ):
        # the whole name goes in as given name, which every reader displays as FN.
        card.add("n").value = vobject.vcard.Name(given=p["name"])
        if p["company"]:
            card.add("org").value = [p["company"]]
        if p["title"]:
            card.add("title").value = p["title"]
        if p["email"]:
            email = card.add("email")
            email.value = p["email"]
            email.type_param = "work"
        if p["phone"]:
            tel = card.add("tel")
            tel.value = p["phone"]
            tel.type_param = "work"
        if p["url"]:
            card.add("url").value = p["url"]
        if p["tags"]:
            card.add("categories").value = p["tags"].split(",")
        if p["note"]:
            card.add("note").value = p["note"]
        card.add("rev").value = p["updated_at"].replace("-", "").replace(":", "")
        out.append(card.serialize())
    return "".join(out)
