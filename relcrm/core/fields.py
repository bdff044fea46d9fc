"""Validation of the values a seller types: one rule per field, shared by every way in."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from .. import dates
from ..errors import UsageError
from ..i18n import _
from ..text import clean

MAX_LINE = 300  # names, companies, titles, emails, phones, sources, tags
MAX_TEXT = 20_000  # notes, summaries, SPIN notes
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"[0-9+()./ \-#*x]+", re.IGNORECASE)


def _check(label: str, value: str, limit: int, multiline: bool) -> str:
    value = clean(value)
    if len(value) > limit:
        raise UsageError(_("{label} is too long ({n} characters; at most {most})").format(
            label=label, n=len(value), most=limit))
    if (value.replace("\n", " ").replace("\t", " ") if multiline else value).isprintable():
        return value  # no control or format characters: the common case, checked fast
    for ch in value:
        if (ch in "\n\t" and multiline) or not unicodedata.category(ch).startswith("C"):
            continue
        if ch in "\u200d\u200c":  # joiners are part of some scripts' spelling
            continue
        raise UsageError((_("{label} contains a control character ({char!r}); use printable "
                            "text") if multiline
                          else _("{label} contains a control character ({char!r}); use "
                                 "printable text on one line")).format(label=label,
                                                                       char=ch))
    return value


def line(label: str, value: str | None, *, required: bool = False) -> str | None:
    """A one-line text field; empty means "not set" (None) unless required."""
    if value is None:
        if required:
            raise UsageError(_("{label} is required").format(label=label))
        return None
    value = _check(label, value, MAX_LINE, multiline=False)
    if not value:
        if required:
            raise UsageError(_("{label} cannot be empty").format(label=label))
        return None
    return value


def text(label: str, value: str | None) -> str | None:
    """A free-text field (may span lines: Windows' CRLF and old Macs' CR become a newline);
    empty means not set."""
    if value is None:
        return None
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _check(label, value, MAX_TEXT, multiline=True) or None


def email(value: str | None) -> str | None:
    value = line("email", value)
    if value is not None and not _EMAIL.fullmatch(value):
        raise UsageError(_("email {value!r} is not an address like name@example.com").format(
            value=value))
    return value


def phone(value: str | None) -> str | None:
    value = line("phone", value)
    if value is not None and (not _PHONE.fullmatch(value) or not any(c.isdigit() for c in value)):
        raise UsageError(_("phone {value!r} is not a phone number; use digits, spaces and "
                           "+ ( ) - .").format(value=value))
    return value


def url(value: str | None) -> str | None:
    value = line("url", value)
    if value is not None and (" " in value or "." not in value):
        raise UsageError(_("url {value!r} is not a web address like https://example.com"
                           ).format(value=value))
    return value


def tag(value: str) -> str:
    value = line("tag", value, required=True) or ""
    value = "-".join(value.lower().split())
    if "," in value:
        raise UsageError(_("tag {value!r} contains a comma; give each tag with its own "
                           "--tag").format(value=value))
    return value


def amount(value: str | None, label: str = "value", currency: str = "VND"):
    """A money amount (money.Amount) read strictly for the book's `currency` (money.parse: the
    forms a seller types, 1.500.000, 68 triệu, 1,2 tỷ, 12,500.50 USD ...); None when not given,
    "" (clear it) when blank."""
    if value is None:
        return None
    if not value.strip():
        return ""
    from .. import money

    return money.parse(value, currency, label=label)


def emails(values: list[str] | tuple[str, ...]) -> list[tuple[str, str]]:
    """Email addresses, checked, each with its matching key (identity.email_key); a value may
    hold several separated by ' ::: ' (Google's way), ';' or ','. Repeats are dropped."""
    from ..identity import email_key

    out, seen = [], set()
    for given in values:
        for part in re.split(r"\s*(?::::|;|,)\s*", given or ""):
            address = email(part) if part.strip() else None
            if address and email_key(address) not in seen:
                seen.add(email_key(address))
                out.append((address, email_key(address)))
    return out


def phones(values: list[str] | tuple[str, ...], region: str = "VN", *,
           strict: bool = True) -> list[tuple[str, str]]:
    """Phone numbers read with libphonenumber in `region` (identity.phone), each as typed with
    its key: E.164, and ";ext=N" for an extension (a desk in a switchboard is one person's);
    ' ::: ' separates several in one value. Repeats are dropped. Not `strict` (relcrm's own
    exports): a number libphonenumber cannot read, kept by an older relcrm, stays as it is with
    its digits as key."""
    from ..identity import phone as read_phone

    out, seen = [], set()
    for given in values:
        for part in re.split(r"\s*:::\s*", given or ""):
            if not part.strip():
                continue
            line("phone", part)  # the length and character rules of every line
            try:
                number = read_phone(part, region)
                typed, key = number.typed, number.key
            except UsageError:
                if strict:
                    raise
                typed, key = clean(part), "?" + "".join(ch for ch in part if ch.isdigit())
            if key not in seen:
                seen.add(key)
                out.append((typed, key))
    return out


def cadence(value: str) -> int | None:
    """A person's own cadence: whole days 1-365, or "stage" (None: the stage's again)."""
    text = value.strip().lower()
    if text in ("stage", "default", ""):
        return None
    if not text.isdigit() or not text.isascii() or not 1 <= int(text) <= 365:
        raise UsageError(_("--cadence {value!r} is not a number of days; use 1 to 365, or "
                           "`stage` for the stage's cadence").format(value=value))
    return int(text)


def minutes(value: int | None) -> int | None:
    if value is not None and not 0 < value <= 24 * 60:
        raise UsageError(_("minutes must be between 1 and 1440, not {value}").format(
            value=value))
    return value


def next_date(value: dt.date | dt.datetime | None) -> str | None:
    """A scheduled next step: today or later."""
    if value is None:
        return None
    if dates.to_day(value) < dates.today():
        raise UsageError(_("the next step {when} is in the past; give today or a later "
                           "date").format(when=dates.show(value)))
    return dates.iso(value)


def touch_time(value: dt.date | dt.datetime | None) -> str:
    """When a touch happened: now by default, never after today."""
    moment = dates.now() if value is None else dates.at_time(value)
    if moment.date() > dates.today():
        raise UsageError(_("{when} is in the future; a touch is logged when it has happened "
                           "(use --next to plan one)").format(when=dates.show(moment)))
    return dates.iso(moment)
