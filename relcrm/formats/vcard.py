"""vCard 3.0 / 4.0 (RFC 2426 / RFC 6350) through vobject: several cards per file, folded
lines, escaped text and UTF-8 names are the library's job.

Read: FN, ORG, TITLE, EMAIL, TEL, URL, NOTE, CATEGORIES, and the dates BDAY, ANNIVERSARY,
X-ANNIVERSARY and Apple's X-ABDATE (with its X-ABLabel); the other properties with a value are
listed in Read.unused (VERSION, N, UID ... say nothing the import would keep)."""

from __future__ import annotations

import uuid
from typing import Any, Iterable

from ..errors import UsageError
from ..i18n import _
from . import Read, Source, date_kind, lines

NAMESPACE = uuid.UUID("6f1c3a52-4c1e-4f4e-9d3b-2f5a8c7e9b10")  # relcrm's vCard UIDs
READ = frozenset(("fn", "org", "title", "email", "tel", "url", "note", "categories", "bday",
                  "anniversary", "x-anniversary", "x-abdate", "x-ablabel"))
# what a card says about itself, not about the person (N repeats FN, which is read)
STRUCTURAL = frozenset(("version", "prodid", "rev", "uid", "n", "kind", "clientpidmap",
                        "x-abuid", "x-abshowas", "sort-string"))
DATES = (("bday", "birthday"), ("anniversary", "anniversary"), ("x-anniversary", "anniversary"))


def _value(card: Any, key: str) -> Any:
    """The first `key` property's value, decoded to text (str, or a list of str for ORG and
    CATEGORIES); a value that cannot be read as text makes the card a bad row."""
    items = card.contents.get(key)
    return _decoded(items[0].value, items[0].params, key.upper()) if items else None


def _decoded(value: Any, params: dict[str, list[str]], key: str) -> Any:
    """Base64 (ENCODING=b) and bytes decoded in the property's CHARSET (UTF-8 by default):
    vobject decodes FN, NOTE ... to bytes, and leaves ORG and CATEGORIES as base64 text."""
    import base64
    import binascii

    if isinstance(value, (list, tuple)):
        return [_decoded(v, params, key) for v in value]
    encoded = any(e.upper() in ("B", "BASE64") for e in params.get("ENCODING", []))
    charset = (params.get("CHARSET") or ["utf-8"])[0]
    if isinstance(value, str) and encoded:
        try:
            value = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise UsageError(_("{key} says ENCODING=b but is not base64").format(
                key=key)) from None
    if isinstance(value, bytes):
        try:
            value = value.decode(charset)
        except (LookupError, UnicodeDecodeError):
            raise UsageError(_("{key} is binary (ENCODING=b), not text in {charset}; give it "
                               "as plain text").format(key=key, charset=charset)) from None
    if not isinstance(value, str):
        raise UsageError(_("{key} is not text").format(key=key))
    return value.replace("\r\n", "\n").replace("\r", "\n")  # CR LF from quoted-printable


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return " ".join(v for v in value if v) or None
    return value.strip() or None


def _phone(value: str | None) -> str | None:
    if value and value.lower().startswith("tel:"):
        value = value[4:]
    return value


def _all(card: Any, key: str) -> list[str]:
    """Every `key` property's text (a person may have several emails and phones)."""
    found = []
    for item in card.contents.get(key, []):
        text = _text(_decoded(item.value, item.params, key.upper()))
        if text:
            found.append(text)
    return found


def read(text: str, name: str) -> Read:
    import vobject

    result = Read("vcard", source_name="vCard", unused_noun="properties")
    starts = [i + 1 for i, line in enumerate(lines(text))
              if line.strip().upper() == "BEGIN:VCARD"]
    try:
        cards = list(vobject.readComponents(text, validate=False, ignoreUnreadable=False))
    except Exception as exc:  # vobject raises its own ParseError and plain ValueErrors
        raise UsageError(_("{name} is not a valid vCard file ({reason})").format(
            name=name, reason=_reason(exc))) from None
    for index, card in enumerate(cards):
        line = starts[index] if index < len(starts) else 0
        if card.name.upper() != "VCARD":
            result.errors.append((line, _("a {kind} is not a vCard").format(kind=card.name)))
            continue
        try:
            result.records.append(Source(line, _card(card)))
        except UsageError as exc:
            result.errors.append((line, exc.message))
        for key, items in card.contents.items():
            shown = key.upper()
            if key in READ or key in STRUCTURAL or shown in result.unused:
                continue
            if any(not isinstance(i.value, str) or i.value.strip() for i in items):
                result.unused.append(shown)
    if not cards:
        raise UsageError(_("{name} holds no vCard (no BEGIN:VCARD ... END:VCARD)").format(
            name=name))
    return result


def _card(card: Any) -> dict[str, Any]:
    full = _text(_value(card, "fn"))
    if not full:
        raise UsageError(_("card has no FN (formatted name)"))
    org = _value(card, "org")
    company = (org[0] if isinstance(org, list) and org else _text(org))
    categories = _value(card, "categories") or []
    if isinstance(categories, str):
        categories = [categories]
    return {"name": full, "company": company, "title": _text(_value(card, "title")),
            "email": " ::: ".join(_all(card, "email")) or None,
            "phone": " ::: ".join(filter(None, map(_phone, _all(card, "tel")))) or None,
            "url": _text(_value(card, "url")), "note": _text(_value(card, "note")),
            "tags": [c for c in categories if c], "dates": _dates(card)}


def _dates(card: Any) -> list[dict[str, str]]:
    """BDAY, ANNIVERSARY, X-ANNIVERSARY and X-ABDATE as the card writes them (--1114, --11-14,
    19781114, 1978-11-14 ...); a year Apple marks as none (X-APPLE-OMIT-YEAR=1604) left out."""
    labels = {item.group.lower(): _text(_decoded(item.value, item.params, "X-ABLABEL"))
              for item in card.contents.get("x-ablabel", []) if item.group}
    found = []
    for key, kind in DATES + (("x-abdate", None),):
        for item in card.contents.get(key, []):
            text = _text(_decoded(item.value, item.params, key.upper()))
            if not text:
                continue
            omit = (item.params.get("X-APPLE-OMIT-YEAR") or [""])[0]
            if omit and text.startswith(omit):
                text = "--" + text[len(omit):].lstrip("-")
            found.append({"kind": kind or date_kind(labels.get((item.group or "").lower())),
                          "text": text, "label": key.upper()})
    return found


def _reason(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def write(prospects: Iterable[dict[str, Any]], region: str = "VN") -> str:
    """vCard 4.0 cards for prospect records (as queries.PROSPECT_COLUMNS), CRLF line ends.
    Every email and phone goes in, the first as preferred (PREF=1); a phone is a tel: URI in
    E.164 (RFC 3966) when libphonenumber reads it in `region`, else the text as typed."""
    return "".join(card(p, region)[0] for p in prospects)


def uid_of(prospect: dict[str, Any]) -> str:
    """A person's vCard UID, theirs for life (from their id and the moment they were added)."""
    key = f"{prospect['id']}:{prospect['created_at']}"
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, key)}"


def card(p: dict[str, Any], region: str = "VN", *, relcrm: bool = False) -> tuple[str, str]:
    """One prospect's vCard and its UID. With `relcrm` (sync), their id, stage and follow-up
    date go in too, as X-RELCRM-ID, X-RELCRM-STAGE and X-RELCRM-FOLLOWUP."""
    import vobject

    from ..errors import UsageError as NotAPhone
    from ..identity import phone as read_phone

    card = vobject.vCard()
    card.add("version").value = "4.0"
    uid = uid_of(p)
    card.add("uid").value = uid
    card.add("fn").value = p["name"]
    # N's parts are not guessed from the name (Vietnamese and English order differ):
    # the whole name goes in as given name, which every reader displays as FN.
    card.add("n").value = vobject.vcard.Name(given=p["name"])
    if p["company"]:
        card.add("org").value = [p["company"]]
    if p["title"]:
        card.add("title").value = p["title"]
    emails = (p.get("emails") or p["email"] or "").split(" ::: ")
    for rank, address in enumerate(filter(None, emails), 1):
        email = card.add("email")
        email.value = address
        email.type_param = "work"
        if rank == 1 and len(emails) > 1:
            email.params["PREF"] = ["1"]
    phones = (p.get("phones") or p["phone"] or "").split(" ::: ")
    for rank, typed in enumerate(filter(None, phones), 1):
        tel = card.add("tel")
        try:
            tel.value = read_phone(typed, region).tel
            tel.params["VALUE"] = ["uri"]
        except NotAPhone:
            tel.value = typed
        tel.type_param = "work"
        if rank == 1 and len(phones) > 1:
            tel.params["PREF"] = ["1"]
    if p["url"]:
        card.add("url").value = p["url"]
    if p["tags"]:
        card.add("categories").value = p["tags"].split(",")
    if p["note"]:
        card.add("note").value = p["note"]
    if relcrm:
        card.add("x-relcrm-id").value = str(p["id"])
        card.add("x-relcrm-stage").value = p["stage"]
        if p.get("due_on"):
            card.add("x-relcrm-followup").value = p["due_on"]
    card.add("rev").value = p["updated_at"].replace("-", "").replace(":", "")
    return card.serialize(), uid
