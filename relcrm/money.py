"""Money: amounts read strictly, stored exactly, shown the seller's way.

Storage
    An `Amount` is an exact integer count of thousandths of the currency's unit (`milli`,
    `SCALE` = 1000, the same scale for every currency, so that SQL sums stay exact integers)
    and the currency's ISO 4217 code. 0 <= amount < 10**15 units (999 trillion): `milli` stays
    below 10**18 and fits SQLite's 64-bit INTEGER (a SUM of more than nine maximal amounts would
    not). Never a binary float.

Currencies
    `CURRENCIES` holds the common ones with their number of decimals (ISO 4217 minor digits, as
    in CLDR) and their Vietnamese (vi_VN) symbol. Any other ISO code is looked up in Babel, which
    is imported only then; an unknown code, or one with more than 3 decimals (CLF, UYW), is
    refused. Note that CLDR gives IDR and TWD 2 decimals, although their cash has none.

Reading an amount: `parse(text, currency)`
    * Digits are ASCII 0-9 only. No sign (negative amounts are refused), no exponent, no NaN.
    * The number may be preceded or followed by a currency: an ISO code in any case (`USD`,
      `vnd`) or an unambiguous symbol or word (`₫`, `đ`, `đồng`, `dong`, `VNĐ`, `$` and `US$`
      for USD, `€`, `£`, `₩`, `CN¥`, `฿`, `₱`, `₹`, `AU$`, `A$`, `HK$`, `NT$`, `CA$`). `¥` is
      JPY or CNY: it is accepted only when the book's currency is one of them. A named currency
      overrides the book's; naming two is refused.
    * After the number, optionally (with or without a space, any case, with or without accents)
      a unit: thousand `k` `nghìn` `ngàn`; million `tr` `triệu` `m`; billion `tỷ` `tỉ` `ty`
      `ti` `b` `bn`. (`m` is a million, never the accountants' thousand; `mm`, `mil`, `t` are
      refused; `k` is a thousand, never the kina's or kyat's `K`; no unit is a currency symbol,
      and a 3-letter code is read whole before units: `5 MYR`, `5 TRY`.) A unit comes before a
      currency named after the number (`68tr VND`).
    * Group separators: one space (also no-break or thin space), `_`, `.` or `,`; the first
      group has 1-3 digits and does not start with 0, every later group exactly 3. One kind of
      group separator per number. No grouping after the decimal separator.
    * Which of `.` and `,` is the decimal separator:
        - a separator used more than once groups digits (`1.500.000`, `1,500,000`);
        - with both present, the last one is the decimal separator and must appear once
          (`12,500.50`, `12.500,50`);
        - with spaces or `_` grouping, a single `.` or `,` is the decimal separator;
        - a single separator followed by exactly 3 digits, without a unit, is read the way
          the currency is written: a group separator for a currency without decimals (VND
          `1.500` = 1500), a decimal separator for a currency with 3 decimals (KWD `1.500` =
          1.5), and for a currency with cents `,` groups (`12,000 USD` = 12000: three decimals
          are not how cents are written) while `.` is ambiguous (`1.500` USD: 1.5 or 1500?)
          and refused, unless the digits before it cannot be a first group (`0.500` USD is
          read as 0.500, then refused for its 3 decimals);
        - before a unit such a separator is ambiguous (`1.500k`: 1500k or 1.5k?) and refused,
          unless the digits before it cannot be a first group (`0,001k`, `1234.500k`);
        - any other single separator is the decimal separator.
    * Without a unit, the number may have at most the currency's decimals (VND 0, USD 2,
      KWD 3), counting written zeros: `2,5` VND and `12.500,50` VND are refused, and so is
      `1.50` JPY. With a unit the number may have decimals whatever the currency (`2,5 triệu`,
      `1,2 tỷ`, `2.5M`), but the result must be a whole number of the currency's smallest
      unit (`1,2345k` VND = 1234.5 đồng is refused).
    * A refusal is a UsageError with one line: the text, what is wrong, and accepted forms.

Showing an amount
    `format` groups by 3 and always shows the currency's decimals (`12,500.50`; more when the
    stored value has more); `compact` rounds to one decimal with a unit (`1.2B`, `1,2 tỷ`);
    `text` is the exact machine form for exports (`12500.5`), which `parse` reads back exactly.
    A number and its currency or unit word are joined by a no-break space (U+00A0), as CLDR
    does, so that a table cell never wraps between them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from types import MappingProxyType
from typing import NamedTuple

from .errors import UsageError
from .i18n import N_, _, dynamic

SCALE = 1000  # milli per unit, for every currency
MAX_UNITS = 10**15  # exclusive: at most 999,999,999,999,999 units
MAX_MILLI = MAX_UNITS * SCALE
NBSP = "\u00a0"
MAX_LENGTH = 100  # characters of text that parse reads


class Currency(NamedTuple):
    code: str  # ISO 4217
    digits: int  # decimals (minor digits): 0 to 3
    symbol: str  # as written in Vietnamese (CLDR vi_VN); the code outside CURRENCIES


def _table(**rows: tuple[int, str]) -> MappingProxyType:
    return MappingProxyType({code: Currency(code, *row) for code, row in rows.items()})


CURRENCIES = _table(
    VND=(0, "₫"), USD=(2, "US$"), EUR=(2, "€"), JPY=(0, "¥"), KRW=(0, "₩"), CNY=(2, "CN¥"),
    SGD=(2, "SGD"), THB=(2, "฿"), MYR=(2, "MYR"), IDR=(2, "IDR"), PHP=(2, "PHP"), GBP=(2, "£"),
    AUD=(2, "AU$"), HKD=(2, "HK$"), TWD=(2, "NT$"), INR=(2, "₹"), CHF=(2, "CHF"), CAD=(2, "CA$"),
    KWD=(3, "KWD"),
)

# Symbols and words naming a currency (casefolded); a tuple is ambiguous: the book's currency
# decides if it is one of them, else the amount is refused.
_SYMBOLS: dict[str, str | tuple[str, ...]] = {
    "₫": "VND", "đ": "VND", "đồng": "VND", "dong": "VND", "vnđ": "VND",
    "$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "₩": "KRW", "cn¥": "CNY", "฿": "THB",
    "₱": "PHP", "₹": "INR", "au$": "AUD", "a$": "AUD", "hk$": "HKD", "nt$": "TWD", "ca$": "CAD",
    "¥": ("JPY", "CNY"),
}
_UNITS = {"k": 3, "nghìn": 3, "nghin": 3, "ngàn": 3, "ngan": 3,
          "tr": 6, "triệu": 6, "trieu": 6, "m": 6,
          "tỷ": 9, "tỉ": 9, "ty": 9, "ti": 9, "b": 9, "bn": 9}
_UNITS_LONGEST_FIRST = sorted(_UNITS, key=len, reverse=True)
_SPACES = " \u00a0\u2009\u202f"
_NUMBER = re.compile(r"[0-9]+(?:[ \u00a0\u2009\u202f_.,][0-9]+)*")
_GROUP_SPLIT = re.compile(r"[ \u00a0\u2009\u202f_.,]")
_EXPONENT = re.compile(r"[0-9][eE][+-]?[0-9]")
_MINUS = "-\u2212\u2013("
_CODE = re.compile(r"[A-Z]{3}")


class _Refused(Exception):
    """Why a text is not an amount (a predicate: "is ambiguous ..."), an optional hint, and the
    currency whose accepted forms the message shows (None: the book's)."""

    def __init__(self, reason: str, hint: str = "") -> None:
        super().__init__(reason)
        self.reason, self.hint = reason, hint
        self.currency: Currency | None = None


@dataclass(frozen=True, slots=True)
class Amount:
    """An exact amount: `milli` thousandths of `currency`'s unit (0 <= milli < MAX_MILLI).

    The constructor checks only the range and the code's shape (it is cheap, for rows read from
    the book); `Amount.of` and `parse` also check the currency and its decimals."""

    milli: int
    currency: str

    def __post_init__(self) -> None:
        if type(self.milli) is not int:
            raise TypeError(f"Amount.milli must be an int, not {type(self.milli).__name__}")
        if not 0 <= self.milli < MAX_MILLI:
            raise ValueError(f"Amount.milli {self.milli} is outside 0 .. {MAX_MILLI - 1}")
        if not (isinstance(self.currency, str) and _CODE.fullmatch(self.currency)):
            raise ValueError(f"Amount.currency {self.currency!r} is not an ISO 4217 code")

    @property
    def decimal(self) -> Decimal:
        """The amount in units, exactly (Decimal('12500.500') for 12,500.50)."""
        return Decimal(self.milli).scaleb(-3)

    @classmethod
    def of(cls, value: Decimal | int, currency: str = "VND") -> Amount:
        """The amount of `value` units (a Decimal or an int, never a float) of `currency`.
        Refused with a UsageError: not finite, negative, 10**15 or more, or more decimals than
        the currency has (Decimal('12.5') VND; trailing zeros do not count)."""
        if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
            raise TypeError(f"an amount is a Decimal or an int, not {type(value).__name__}")
        found = lookup_currency(currency)
        value = Decimal(value)
        if not value.is_finite() or value.is_signed() and value != 0:
            raise UsageError(_("amount {value} is not an amount of 0 or more").format(
                value=value))
        _sign, digits, exp = value.as_tuple()
        kept = len(digits)
        while kept > 1 and digits[kept - 1] == 0:  # 1.000...0 is 1: no int of a huge string
            kept -= 1
        try:
            if value == 0:
                return cls(0, found.code)
            if value.adjusted() >= 15 or int(exp) + len(digits) - kept < -3:
                raise _Refused(_("is too large or too precise"))
            number = int("".join(map(str, digits[:kept])))
            return cls(_milli(number, int(exp) + len(digits) - kept, found), found.code)
        except _Refused:
            raise UsageError(_("amount {value} is not an exact amount of {code}: 0 to "
                               "999,999,999,999,999 with at most {digits} decimals").format(
                value=value, code=found.code, digits=found.digits)) from None


def lookup_currency(code: str) -> Currency:
    """The currency of an ISO 4217 code, in any case (`usd`): from `CURRENCIES`, else from
    Babel (imported only then). Refused with a UsageError: not a code, unknown, or more than 3
    decimals."""
    try:
        return _lookup(code)
    except _Refused as refused:
        raise UsageError(_("currency {code!r} {reason}; use an ISO 4217 code such as VND, USD "
                           "or EUR").format(code=code, reason=refused.reason)) from None


def _lookup(code: str) -> Currency:
    key = code.strip().upper() if isinstance(code, str) and code.isascii() else ""
    found = CURRENCIES.get(key)
    if found is not None:
        return found
    if not _CODE.fullmatch(key):
        raise _Refused(_("is not a currency code"))
    return _babel_currency(key)


@cache
def _babel_currency(key: str) -> Currency:
    try:
        from babel import numbers
    except ImportError:  # pragma: no cover - babel is a dependency
        raise _Refused(_("is not in relcrm's table, and Babel is not installed")) from None
    if key not in numbers.list_currencies():
        raise _Refused(_("is not a known currency"))
    digits = numbers.get_currency_precision(key)
    if digits > 3:
        raise _Refused(_("has {digits} decimals (relcrm keeps at most 3)").format(digits=digits))
    return Currency(key, digits, key)


def _milli(number: int, exp: int, currency: Currency) -> int:
    """number * 10**exp units as milli, if a whole number of the currency's smallest unit."""
    if number == 0:
        return 0
    if exp + len(str(number)) > 15:
        raise _Refused(_("is too large (at most 999,999,999,999,999)"))
    while number % 10 == 0:
        number, exp = number // 10, exp + 1
    if exp < -currency.digits:
        has = (_("no decimals") if currency.digits == 0
               else _("{n} decimals").format(n=currency.digits))
        if exp < -40:
            raise _Refused(_("has more decimals than {code}, which has {has}").format(
                code=currency.code, has=has))
        shown = str(number).rjust(1 - exp, "0")
        shown = f"{shown[:exp]}.{shown[exp:]}"
        raise _Refused(_("is {shown} {code}, and {code} has {has}").format(
            shown=shown, code=currency.code, has=has))
    return number * 10 ** (exp + 3)


def _examples(currency: Currency) -> str:
    code = currency.code
    if code == "VND":
        return _("450000000, 450.000.000, 68 triệu, 1,2 tỷ or 5k")
    if currency.digits == 0:
        return _("12500, 12,500, 12.500, 2.5M or 12,000 {code}").format(code=code)
    cents = "50" + "0" * (currency.digits - 2) if currency.digits > 1 else "5"
    return _("12500, 12,500.{cents}, 12.500,{cents}, 2.5M or 12,000 {code}").format(
        cents=cents, code=code)


def parse(text: str, currency: str = "VND", *, label: str = N_("amount")) -> Amount:
    """Read an amount typed by a seller, in `currency` unless the text names another one.
    The rules are in this module's docstring. A refusal is a UsageError whose one line starts
    with `label` and the text, says what is wrong and gives accepted forms for the currency."""
    book = lookup_currency(currency)
    try:
        return _parse(text, book)
    except _Refused as refused:
        hint = refused.hint or _("write e.g. {examples}").format(
            examples=_examples(refused.currency or book))
        raise UsageError(_("{label} {text!r} {reason}; {hint}").format(
            label=dynamic(label), text=text, reason=refused.reason, hint=hint)) from None


def _parse(text: str, book: Currency) -> Amount:
    s = unicodedata.normalize("NFC", text).strip()
    if not s:
        raise _Refused(_("is empty"))
    if len(s) > MAX_LENGTH:
        raise _Refused(_("is too long (at most {n} characters)").format(n=MAX_LENGTH))
    if any(ch.isnumeric() and not "0" <= ch <= "9" for ch in s):
        raise _Refused(_("has digits other than 0-9"))
    if _EXPONENT.search(s):
        raise _Refused(_("has an exponent"))
    numbers = list(_NUMBER.finditer(s))
    if len(numbers) != 1:
        raise _Refused(_("is not one number") if numbers else _("has no number"))
    found = numbers[0]
    before, num, after = s[:found.start()].strip(), found.group(), s[found.end():].strip()
    if any(ch in _MINUS for ch in before):
        raise _Refused(_("is negative (an amount is 0 or more)"))
    named = []
    if before:
        named.append(_currency_word(before, book, s))
    unit = ""
    if after:
        word = _currency_word(after, book, s, strict=False)
        if word is None:
            unit = next((u for u in _UNITS_LONGEST_FIRST if after.casefold().startswith(u)), "")
            rest = after[len(unit):].strip()
            word = _currency_word(rest, book, s, strict=False) if unit and rest else None
            if not unit or rest and word is None:
                raise _Refused(_("has {after!r} after the number, which is neither a unit "
                                 "(k, triệu, tỷ ...) nor a currency").format(after=after))
            gap = " " if s[found.end()].isspace() else ""
            unit = gap + after[:len(unit)]  # as typed, for messages
        if word is not None:
            named.append(word)
    if len(named) > 1:
        raise _Refused(_("names two currencies"))
    currency = named[0] if named else book
    exp10 = _UNITS[unit.strip().casefold()] if unit else 0
    try:
        whole, fraction = _split(num, currency, unit)
        if not unit and len(fraction) > currency.digits:
            raise _decimals_refused(whole, fraction, currency, num)
        milli = _milli(int(whole + fraction), exp10 - len(fraction), currency)
    except _Refused as refused:
        refused.currency = currency  # the examples suit the named currency
        raise
    return Amount(milli, currency.code)


def _currency_word(word: str, book: Currency, text: str, strict: bool = True) -> Currency | None:
    """The currency a word names; None if it names none (when not strict), else refused."""
    folded = word.casefold()
    code = _SYMBOLS.get(folded)
    if isinstance(code, tuple):
        if book.code in code:
            return book
        raise _Refused(_("names {word}, which is ambiguous ({first} or {second})").format(
                           word=word, first=code[0], second=code[1]),
                       _("name the currency: {example}").format(
                           example=f"{text.replace(word, '').strip()} {code[0]}"))
    if code is None and len(folded) == 3 and folded.isascii() and folded.isalpha():
        code = folded.upper()
    if code is None:
        if strict:
            raise _Refused(_("has {word!r} around the number, which is not a currency").format(
                word=word))
        return None
    try:
        return _lookup(code)
    except _Refused as refused:
        raise _Refused(_("names currency {code}, which {reason}").format(
                           code=code, reason=refused.reason),
                       _("use an ISO 4217 code such as VND, USD or EUR")) from None


def _split(num: str, currency: Currency, unit: str) -> tuple[str, str]:
    """The whole and fraction digits of a number, by the separator rules of the docstring."""
    spaced = sorted({"space" if ch in _SPACES else ch for ch in num if ch in _SPACES + "_"})
    dots, commas = num.count("."), num.count(",")
    group = decimal = None
    if dots and commas:
        decimal = "." if num.rfind(".") > num.rfind(",") else ","
        if num.count(decimal) > 1:
            raise _Refused(_("uses both . and , and {decimal} more than once").format(
                decimal=decimal))
        group = "," if decimal == "." else "."
    elif dots or commas:
        sep = "." if dots else ","
        head, tail = num[:num.rfind(sep)], num[num.rfind(sep) + 1:]
        if num.count(sep) > 1:
            group = sep
        elif spaced or len(tail) != 3:
            decimal = sep
        elif currency.digits == 0 and not unit:
            group = sep
        elif not (len(head) <= 3 and head[0] != "0"):  # cannot be a group: 0.500, 1234.500
            decimal = sep
        elif unit:
            short = tail.rstrip("0") or "0"
            raise _Refused(_("is ambiguous ({one} or {other}?)").format(
                               one=f"{head}{tail}{unit}", other=f"{head}.{short}{unit}"),
                           _("write {one} or {other}").format(
                               one=f"{head}{tail}{unit}", other=f"{head}{sep}{short}{unit}"))
        elif currency.digits < 3 and sep == ",":
            group = sep
        elif currency.digits == 3:
            decimal = sep
        else:
            short = tail.rstrip("0")
            raise _Refused(_("is ambiguous in {code} ({one} or {other}?)").format(
                code=currency.code, one=f"{head}{'.' if short else ''}{short}",
                other=f"{head}{tail}"))
    if spaced:
        if group or len(spaced) > 1:
            raise _Refused(_("mixes group separators"))
        group = spaced[0]
    whole, _sep, fraction = num.partition(decimal) if decimal else (num, "", "")
    if not fraction.isdigit() and fraction:
        raise _Refused(_("groups digits after the decimal separator"))
    groups = _GROUP_SPLIT.split(whole)
    if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or groups[0][0] == "0"
                            or any(len(g) != 3 for g in groups[1:])):
        raise _Refused(_("is not grouped by 3 digits (like 1.500.000 or 1,500,000)"))
    return "".join(groups), fraction


def _decimals_refused(whole: str, fraction: str, currency: Currency, num: str) -> _Refused:
    code = currency.code
    if currency.digits:
        return _Refused(_("has {n} decimals, and {code} has {digits}").format(
            n=len(fraction), code=code, digits=currency.digits))
    seps = _GROUP_SPLIT.findall(num)
    if len(seps) == 1:  # "2,5": a decimal, or a mistyped group?
        decimal = f"{whole}{seps[0]}{fraction}"
        millions = f"{decimal} triệu" if code == "VND" else f"{decimal}M"
        return _Refused(_("is ambiguous in {code}, which has no decimals ({one} or {other}?)")
                        .format(code=code, one=f"{whole}.{fraction}", other=f"{whole}{fraction}"),
                        _("write {whole}, or with a unit {thousands} or {millions}").format(
                            whole=f"{whole}{fraction}", thousands=f"{decimal}k",
                            millions=millions))
    return _Refused(_("has a decimal part ({part}), and {code} has none").format(
        part=num[-len(fraction) - 1:], code=code))


def _lang(locale: str) -> str:
    lang = re.split(r"[_\-.@]", locale.strip().lower(), maxsplit=1)[0]
    if lang not in ("en", "vi"):
        raise ValueError(f"locale {locale!r}: relcrm.money shows amounts in en or vi")
    return lang


def _number(units: int, frac: str, lang: str) -> str:
    grouped = f"{units:,}"
    if lang == "vi":
        return grouped.replace(",", ".") + ("," + frac if frac else "")
    return grouped + ("." + frac if frac else "")


def format(amount: Amount, *, locale: str = "en", symbol: bool = False) -> str:
    """The amount for people, grouped by 3 with all the currency's decimals (more if the stored
    value has more): en `450,000,000`, `12,500.50`; vi `450.000.000`, `12.500,50`. With
    `symbol`, en adds the ISO code (`450,000,000 VND`), vi the CLDR vi_VN symbol
    (`450.000.000 ₫`, `12.500,50 US$`), after a no-break space. `parse` reads every form back."""
    lang = _lang(locale)
    currency = lookup_currency(amount.currency)
    units, milli = divmod(amount.milli, SCALE)
    shown = max(currency.digits, len(f"{milli:03d}".rstrip("0")))
    shown_text = _number(units, f"{milli:03d}"[:shown], lang)
    if not symbol:
        return shown_text
    return f"{shown_text}{NBSP}{currency.symbol if lang == 'vi' else currency.code}"


_COMPACT = ((10**12, "T", "nghìn\u00a0tỷ"), (10**9, "B", "tỷ"), (10**6, "M", "triệu"),
            (10**3, "K", "nghìn"), (1, "", ""))


def compact(amount: Amount, locale: str = "en") -> str:
    """The amount rounded (half up) to one decimal of the largest unit it reaches, trailing
    ,0 dropped, for narrow columns: en `1.2B`, `450M`, `5K`, `12.5`; vi `1,2 tỷ`, `450 triệu`,
    `5 nghìn`, `1,5 nghìn tỷ`. Approximate: never an input or an export."""
    lang = _lang(locale)
    value = amount.decimal
    index = next(i for i, row in enumerate(_COMPACT) if value >= row[0] or row[0] == 1)
    while True:
        size, en, vi = _COMPACT[index]
        rounded = (value / size).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if rounded < 1000 or index == 0:
            break
        index -= 1
    units, tenth = divmod(int(rounded * 10), 10)
    shown = _number(units, str(tenth) if tenth else "", lang)
    if lang == "vi":
        return f"{shown}{NBSP}{vi}" if vi else shown
    return shown + en


def text(amount: Amount) -> str:
    """The exact machine form for exports: no grouping, `.` before decimals, no trailing zeros
    (`450000000`, `12500.5`, `0.001`). `parse(text(a), a.currency) == a` for every amount
    whose decimals fit its currency."""
    units, milli = divmod(amount.milli, SCALE)
    return f"{units}.{milli:03d}".rstrip("0") if milli else str(units)
