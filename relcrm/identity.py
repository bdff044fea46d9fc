"""Who is who: the keys that say two records are the same person, and the rule that uses them.

People are the same when they share an email, a phone (compared in E.164 form) or a profile
URL; or, when neither side has an email, phone or URL that differs from the other's, when they
have the same name, compared *with* its accents, at the same account. Two different emails are
two people. (`same_person` states the precedence exactly; `Index` applies it to many records.)

Names are never compared accent-insensitively here: Hà, Hạ, Há, Hả and Hã are five different
Vietnamese names, and An is not Ân. Accent-insensitive matching (text.fold) is for *finding*
someone from a keyboard without Vietnamese input, never for deciding that two records are one.

Everything here is pure: no database, no Typer, no Rich. `phonenumbers` (about 15 ms to
import, and its metadata per region on first use) is imported only inside `phone` and `region`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from .errors import UsageError
from .i18n import _
from .text import clean, fold

# Vietnamese writes the tone of a final oa, oe, uy on either vowel: the old style Hòa, Khỏe,
# Thủy and the new style Hoà, Khoẻ, Thuỷ are the same name spelt two ways (with a final
# consonant, as in Hoàng, both styles agree). In decomposed form (NFD) the tone follows its
# vowel; the key moves it to the second vowel. Circumflex, breve and horn are not tones.
_TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
_OLD_STYLE_TONE = re.compile(f"(o)([{_TONES}])([ae])(?![\\w\u0300-\u036f])"
                             f"|(u)([{_TONES}])(y)(?![\\w\u0300-\u036f])")


def _new_style(match: re.Match[str]) -> str:
    first, tone, second = (g for g in match.groups() if g is not None)
    return first + second + tone


def name_key(name: str) -> str:
    """The exact-name key: two people with the same name have the same key.

    The key is the name in NFC, case-folded, with runs of whitespace made one space and outer
    space removed. Accents are KEPT: Hà, Hạ, Há, Hả and Hã are five keys; An, Ân and Ấn three;
    Bình and Binh two. What does not change a name does not change the key: case (HÀ, Hà and
    hà; Đ and đ), Unicode normalisation (precomposed "à" and "a" + combining grave), spacing,
    and where a final oa, oe or uy carries its tone (Hòa and Hoà, Thủy and Thuỷ, old and new
    Vietnamese spelling of one name). "_" is an ordinary character here (Nguyễn_Văn_An is not
    Nguyễn Văn An): the shell-word convention belongs to look-ups, not to identity.
    """
    if name.isascii():
        return " ".join(name.lower().split())
    text = unicodedata.normalize("NFD", name).casefold()
    text = _OLD_STYLE_TONE.sub(_new_style, text)
    return " ".join(unicodedata.normalize("NFC", text).split())


def email_key(email: str) -> str:
    """The matching key of an email address: the address in NFC, outer spaces removed, all of
    it lower-cased ("" for a blank value).

    The local part (before the @) is lower-cased too: RFC 5321 lets a server tell An@ from an@,
    but mail providers do not, and people type their address in any case. Nothing else is
    changed: dots and +tags are NOT removed (an.nguyen@ and annguyen@, an+crm@ and an@ are
    different addresses, and two different addresses are two people).
    """
    return unicodedata.normalize("NFC", email).strip().lower()


# -- profile URLs ------------------------------------------------------------------------------
# Sites whose profile URLs are matched: any subdomain is the site (www., m., mobile., web., and
# LinkedIn's country subdomains such as vn.linkedin.com), and the query and fragment are
# tracking (?trk=..., ?utm_source=...), except Facebook's profile.php?id=<number>.
PROFILE_SITES = ("linkedin.com", "facebook.com", "zalo.me", "x.com", "twitter.com")
_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*://", re.IGNORECASE)
_TRAILING = re.compile(r"[/\s]+\Z")


def url_key(url: str | None) -> str | None:
    """A profile URL normalised for matching, or None for an empty value.

    The scheme (https://) is dropped, the host lower-cased (a default port :80 or :443
    dropped), "www." and "m." dropped from its front, and trailing "/" dropped from the path;
    %-escapes in the path are decoded (LinkedIn's nguy%E1%BB%85n is nguyễn). On the profile
    sites (PROFILE_SITES: linkedin.com, facebook.com, zalo.me, x.com, twitter.com) the host is
    the site itself whatever its subdomain, the query and fragment are dropped, except that
    facebook.com/profile.php keeps its id (profile.php?id=4 and ?id=5 are two people), and a
    linkedin.com/in/... path is lower-cased, LinkedIn slugs being case-insensitive; a URL there
    that names no one (linkedin.com, linkedin.com/in/, facebook.com/profile.php without an id)
    has no key (None), or everyone who gave it would be one person. Elsewhere the path and the
    query are kept exactly (the query may be what names the person) and only the fragment is
    dropped.

    So https://www.linkedin.com/in/Nguyen-Van-An/?trk=x and linkedin.com/in/nguyen-van-an
    match; https://acme.com and https://acme.com/about do not, nor do x.com/An and x.com/an.
    """
    if url is None:
        return None
    text = unicodedata.normalize("NFC", url).strip()
    scheme = _SCHEME.match(text)
    text = text[scheme.end():] if scheme else text.removeprefix("//")
    text, _, query = text.partition("#")[0].rstrip().partition("?")
    host, _, path = text.partition("/")
    host = host.strip().lower().removesuffix(":80").removesuffix(":443")
    while host.startswith(("www.", "m.")):
        host = host.partition(".")[2]
    host = host.rstrip(".")
    path = _TRAILING.sub("", path)
    if "%" in path:
        from urllib.parse import unquote

        path = unicodedata.normalize("NFC", unquote(path))
    site = next((s for s in PROFILE_SITES if host == s or host.endswith("." + s)), None)
    if site is not None:
        host = site
        if site == "facebook.com" and path.lower() == "profile.php":
            ids = [p[3:] for p in query.split("&") if p[:3].lower() == "id="]
            if not ids or not ids[0]:
                return None
            query = f"id={ids[0]}"
        else:
            query = ""
        if site == "linkedin.com" and path[:3].lower() in ("in/", "in"):
            path = path.lower()
        if not path or (site == "linkedin.com" and path == "in"):
            return None
    key = host + ("/" + path if path else "") + ("?" + query if query else "")
    return key or None


# -- phones ------------------------------------------------------------------------------------
# An extension at the end: "ext. 12", "extension 12", "x12", "#12", or a tel: URI's ";ext=12".
_EXTENSION = re.compile(r"\s*(?:;\s*ext=|,?\s*(?:ext(?:ension|n)?\.?|x\.?|#)\s*:?\s*)"
                        r"([0-9]{1,10})\s*#?\s*\Z", re.IGNORECASE)
# What may surround the digits; letters may not (phonenumbers would read 0912 ABC DEF as a
# vanity number, 0912 222 333).
_PUNCTUATION = frozenset("+()-./\u2010\u2011\u2012\u2013\u2014")
_EXAMPLE_REGIONS = "VN, SG, TH, JP, KR, CN, US, GB, DE, AU"


@dataclass(frozen=True, slots=True)
class Phone:
    """A phone number: as typed (kept for display) and in E.164 (for matching and tel:)."""

    typed: str  # as the seller typed it, NFC, outer spaces removed: "0912 345 678 ext. 12"
    e164: str  # "+84912345678": the matching key; the extension is not part of it
    extension: str | None = None  # "12"

    @property
    def key(self) -> str:
        """What the book compares: the E.164 number and its extension (";ext=12"), since a
        desk in a switchboard is one person's."""
        return self.e164 + (f";ext={self.extension}" if self.extension else "")

    @property
    def tel(self) -> str:
        """The number as an RFC 3966 URI, for vCards: tel:+84912345678;ext=12."""
        return f"tel:{self.e164}" + (f";ext={self.extension}" if self.extension else "")


def phone(value: str, region: str = "VN") -> Phone:
    """A phone number parsed with libphonenumber (`phonenumbers`), or UsageError.

    Accepted: digits with spaces and + ( ) - . / between them, e.g. 0912 345 678,
    +84 912 345 678, (028) 3822 1234, 0912.345.678, +1 (415) 555-0100, 00 44 20 7946 0958,
    tel:+84-912-345-678; an extension at the end (ext. 12, extension 12, x12, #12, ;ext=12) is
    kept in `typed` and `extension` and left out of the key. Letters are refused.

    Without a leading + (or the region's international prefix, 00 in Vietnam) a number is read
    in `region` (the book's `config region`, VN by default): 0912 345 678 and 912 345 678 are
    both +84 912 345 678. Digits that begin with the region's own country code and only make
    sense with it are read as international, libphonenumber's rule: 84912345678 (a number
    whose + a spreadsheet dropped) is +84 912 345 678, while 842 123 456 stays the national
    0842 123 456. Another country's number needs its +: (415) 555-0100 read in VN is taken as
    a Vietnamese number.

    A number is accepted when it is *possible* (right length for its country), not only when
    it is *valid* (in a range known to libphonenumber's data), so a new number range is never
    refused. A number that is possible only locally (555-0100 in the US, without its area code)
    is refused: its E.164 form would be wrong.
    """
    typed = clean(value)
    code = region.strip().upper()
    body, extension = typed, None
    found = _EXTENSION.search(typed)
    if found:
        body, extension = typed[:found.start()], found.group(1)
    if body[:4].lower() == "tel:":
        body = body[4:]
    if any(not (ch.isdecimal() or ch in _PUNCTUATION or unicodedata.category(ch) == "Zs")
           for ch in body):  # Zs: spaces (no-break ones too), but not tabs or line breaks
        raise _not_a_phone(typed, code, _("it has letters or symbols"))
    if not any(ch.isdecimal() for ch in body):
        raise _not_a_phone(typed, code, None)

    import phonenumbers

    try:
        number = phonenumbers.parse(body, code)
    except phonenumbers.NumberParseException as error:
        reasons = {phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
                   _("no such country code"),
                   phonenumbers.NumberParseException.TOO_SHORT_NSN: _("too short"),
                   phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: _("too short"),
                   phonenumbers.NumberParseException.TOO_LONG: _("too long")}
        raise _not_a_phone(typed, code, reasons.get(error.error_type)) from None
    result = phonenumbers.is_possible_number_with_reason(number)
    if result != phonenumbers.ValidationResult.IS_POSSIBLE:
        reasons = {phonenumbers.ValidationResult.TOO_SHORT: _("too short"),
                   phonenumbers.ValidationResult.TOO_LONG: _("too long"),
                   phonenumbers.ValidationResult.INVALID_LENGTH: _("the wrong number of digits"),
                   phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: _("no such country code"),
                   phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY: _("no area code")}
        raise _not_a_phone(typed, code, reasons.get(result))
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Phone(typed, e164, extension)


def _not_a_phone(typed: str, region: str, why: str | None) -> UsageError:
    """One line: the value, what is wrong, and the region's own example in both forms."""
    import phonenumbers

    shown = typed if len(typed) <= 60 else typed[:57] + "..."
    forms = _("a number with its country code, like +84 912 345 678")
    if region in phonenumbers.SUPPORTED_REGIONS:
        mobile = phonenumbers.PhoneNumberType.MOBILE
        example = (phonenumbers.example_number_for_type(region, mobile)
                   or phonenumbers.example_number(region))
        if example is not None:
            national, international = (phonenumbers.format_number(example, style) for style in (
                phonenumbers.PhoneNumberFormat.NATIONAL,
                phonenumbers.PhoneNumberFormat.INTERNATIONAL))
            forms = _("{national} or {international}").format(national=national,
                                                              international=international)
    detail = (_("{why}, for {region}").format(why=why, region=region) if why
              else _("for {region}").format(region=region))
    return UsageError(_("phone {shown!r} is not a phone number ({detail}); give it as {forms}")
                      .format(shown=shown, detail=detail, forms=forms))


def region(value: str) -> str:
    """An ISO 3166 region code for `config region` (the region a phone without + is read in),
    upper-cased: "vn" gives "VN"; UsageError listing examples when libphonenumber does not know
    it."""
    code = value.strip().upper()
    import phonenumbers

    if code in phonenumbers.SUPPORTED_REGIONS:
        return code
    if code == "UK":
        message = _("region {value!r} is not a region code (the United Kingdom is GB); give a "
                    "two-letter ISO 3166 code such as {examples}")
    else:
        message = _("region {value!r} is not a region code; give a two-letter ISO 3166 code "
                    "such as {examples}")
    raise UsageError(message.format(value=value.strip(), examples=_EXAMPLE_REGIONS))


# -- the rule ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Identity:
    """What says who a record is: its keys, built by `Identity.of` (or by hand from keys).

    name_key is `name_key(name)`; account_key is the account's folded name (`text.fold`, the
    key the book gives accounts, so "Công ty Hà" and "CONG TY HA" are one account), or None
    when the person has no company; emails, phones and urls are sets of `email_key`, E.164
    (`phone(...).e164`) and `url_key` values, without blanks.
    """

    name_key: str
    account_key: str | None = None
    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    urls: frozenset[str] = frozenset()

    @classmethod
    def of(cls, name: str, account: str | None = None, *, emails: Iterable[str | None] = (),
           phones: Iterable[str | Phone | None] = (), urls: Iterable[str | None] = (),
           region: str = "VN") -> Identity:
        """The identity of a record from its values as stored; blank values are left out. A
        phone given as text is parsed in `region` (UsageError when it is not a phone number:
        validate before, or pass the `Phone` already parsed)."""
        return cls(name_key(name), fold(account) or None if account else None,
                   frozenset(key for key in map(email_key, filter(None, emails)) if key),
                   frozenset(p.e164 if isinstance(p, Phone) else phone(p, region).e164
                             for p in phones if p and (isinstance(p, Phone) or p.strip())),
                   frozenset(key for key in map(url_key, filter(None, urls)) if key))


def same_person(a: Identity, b: Identity) -> str | None:
    """Whether two identities are one person: what matched, or None for two people.

    In this order, the first that applies decides:
      1. They share an email -> "email". (A person may have a work and a private address.)
      2. Both have an email, and no email is shared -> None: two different emails are two
         people, even if they share a phone or a website (colleagues share a switchboard).
      3. They share a phone (E.164) -> "phone"; else a profile URL -> "url".
      4. A kind of key that both sides have and that differs (phones, URLs) rules out the
         name rule -> None. A kind that only one side has rules out nothing.
      5. The same name_key (accents kept: Hà is not Hạ) and the same account_key (None, no
         company, being the same as None) -> "name and company". An empty name matches no one.
      6. Otherwise -> None.

    So "Nguyễn Văn Ân <an2@x>" and "Nguyễn Văn An <an1@x>" are two people (step 2, and their
    names differ anyway), and 1,000 LinkedIn rows with one name and their own profile URLs are
    1,000 people.
    """
    if not a.emails.isdisjoint(b.emails):
        return "email"
    if a.emails and b.emails:
        return None
    if not a.phones.isdisjoint(b.phones):
        return "phone"
    if not a.urls.isdisjoint(b.urls):
        return "url"
    if (a.emails and b.emails) or (a.phones and b.phones) or (a.urls and b.urls):
        return None
    if a.name_key and a.name_key == b.name_key and a.account_key == b.account_key:
        return "name and company"
    return None


R = TypeVar("R")
_KINDS = ("email", "phone", "url")


def _shape(who: Identity) -> int:
    """Which kinds of key an identity has, as bits: 1 email, 2 phone, 4 URL."""
    return (1 if who.emails else 0) | (2 if who.phones else 0) | (4 if who.urls else 0)


class Index(Generic[R]):
    """Many identities, each with a reference (a prospect id, a line of the file), and the
    first one that `same_person` says is the same person as a given identity.

    `find` answers what asking `same_person` of every identity added would, in constant time:
    it returns (ref, how) for an identity added for which same_person(added, identity) == how,
    or None when there is none. When several match, the kind decides first (an email over a
    phone over a URL over the name and company) and then the order of adding (the earliest).

    How: dicts from each email, phone and URL key to the earliest identity that has it, and
    from (name_key, account_key) to the earliest identity of each *shape* (which kinds of key
    it has: 8 shapes). When no key is shared, an identity added conflicts with the one looked
    for exactly when both have a kind of key (their keys of that kind then differ), so the name
    rule accepts the earliest of the shapes that share no kind with the one looked for: a
    thousand namesakes at one company with their own profile URLs are looked at once, not a
    thousand times.
    """

    def __init__(self) -> None:
        # email, phone, url: each key -> the identities that have it, earliest first (for a
        # phone or URL the earliest without an email of its own may come later)
        self._keys: tuple[dict[str, list[tuple[int, R]]], ...] = ({}, {}, {})
        self._emails: list[bool] = []  # whether the n-th identity added has an email
        self._names: dict[tuple[str, str | None], list[tuple[int, R] | None]] = {}
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, identity: Identity, ref: R) -> None:
        """Remember `identity` as `ref`. An identity added earlier keeps its keys: `find` gives
        the earliest one."""
        entry = (self._count, ref)
        self._count += 1
        self._emails.append(bool(identity.emails))
        for kind, (keys, index) in enumerate(zip((identity.emails, identity.phones,
                                                 identity.urls), self._keys)):
            for key in keys:
                hits = index.setdefault(key, [])
                # an email matches the earliest; a phone or URL may need the earliest with an
                # email and the earliest without one (at most two kept)
                if not hits or (kind and len(hits) == 1
                                and self._emails[hits[0][0]] != bool(identity.emails)):
                    hits.append(entry)
        if identity.name_key:
            slots = self._names.get((identity.name_key, identity.account_key))
            if slots is None:
                slots = self._names[identity.name_key, identity.account_key] = [None] * 8
            shape = _shape(identity)
            if slots[shape] is None:
                slots[shape] = entry

    def find(self, identity: Identity) -> tuple[R, str] | None:
        """The earliest identity added that is the same person, with what matched ("email",
        "phone", "url", "name and company"), or None."""
        for keys, index, how in zip((identity.emails, identity.phones, identity.urls),
                                    self._keys, _KINDS):
            best = None
            for key in keys:
                for hit in index.get(key, ()):
                    if how != "email" and identity.emails and self._emails[hit[0]]:
                        continue  # both have emails, none shared: two people
                    if best is None or hit[0] < best[0]:
                        best = hit
                    break
            if best is not None:
                return best[1], how
        if not identity.name_key:
            return None
        slots = self._names.get((identity.name_key, identity.account_key))
        if slots is None:
            return None
        shape = _shape(identity)
        best = None
        for other, hit in enumerate(slots):
            if hit is not None and not other & shape and (best is None or hit[0] < best[0]):
                best = hit
        return None if best is None else (best[1], "name and company")
