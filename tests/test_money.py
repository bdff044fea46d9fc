"""relcrm.money: every form the issue names is read right or refused; amounts round-trip through
every way they are shown; the currency table agrees with Babel (CLDR); importing the module does
not import Babel. Property tests are derandomized: every run checks the same examples."""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from decimal import Decimal

import pytest
from babel import numbers as babel
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcrm import money
from relcrm.errors import UsageError
from relcrm.money import Amount

RUN = settings(max_examples=300, deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow])
NBSP = "\u00a0"

# (text, book currency, value in units, currency stored)
ACCEPTED = [
    # plain and grouped, the Vietnamese way and the English way
    ("450000000", "VND", "450000000", "VND"),
    ("450,000,000", "VND", "450000000", "VND"),
    ("450.000.000", "VND", "450000000", "VND"),
    ("450 000 000", "VND", "450000000", "VND"),
    ("450\u00a0000\u00a0000", "VND", "450000000", "VND"),
    ("450\u2009000\u2009000", "VND", "450000000", "VND"),
    ("450_000_000", "VND", "450000000", "VND"),
    ("  450000000 ", "VND", "450000000", "VND"),
    ("1.500", "VND", "1500", "VND"),  # was 1.5
    ("1,500", "VND", "1500", "VND"),
    ("0", "VND", "0", "VND"),
    ("007", "VND", "7", "VND"),
    ("999999999999999", "VND", "999999999999999", "VND"),
    ("999.999.999.999.999", "VND", "999999999999999", "VND"),
    # units: with or without a space, any case, with or without accents
    ("68 triệu", "VND", "68000000", "VND"),
    ("68tr", "VND", "68000000", "VND"),
    ("68TR", "VND", "68000000", "VND"),
    ("68 trieu", "VND", "68000000", "VND"),
    (unicodedata.normalize("NFD", "68 Triệu"), "VND", "68000000", "VND"),
    ("1,2 tỷ", "VND", "1200000000", "VND"),
    ("1,2 ty", "VND", "1200000000", "VND"),
    ("1.2 tỉ", "VND", "1200000000", "VND"),
    ("1,2ti", "VND", "1200000000", "VND"),
    ("1.2B", "VND", "1200000000", "VND"),
    ("1.2 bn", "VND", "1200000000", "VND"),
    ("2,5 triệu", "VND", "2500000", "VND"),
    ("5k", "VND", "5000", "VND"),
    ("5 K", "VND", "5000", "VND"),
    ("5 nghìn", "VND", "5000", "VND"),
    ("5 ngàn", "VND", "5000", "VND"),
    ("5 ngan", "VND", "5000", "VND"),
    ("2.5M", "VND", "2500000", "VND"),
    ("2.5m", "VND", "2500000", "VND"),
    ("0.5k", "VND", "500", "VND"),
    ("0,001k", "VND", "1", "VND"),
    ("1234.500k", "VND", "1234500", "VND"),
    ("1.500.000k", "VND", "1500000000", "VND"),
    ("1 500k", "VND", "1500000", "VND"),
    ("1,2345k", "USD", "1234.5", "USD"),
    ("0.0001k", "USD", "0.1", "USD"),
    # currencies with cents
    ("12,500.50", "USD", "12500.50", "USD"),
    ("12.500,50", "USD", "12500.50", "USD"),  # was 12.5005
    ("12500.5", "USD", "12500.5", "USD"),
    ("0,50", "USD", "0.5", "USD"),
    ("1,500", "USD", "1500", "USD"),  # a comma then 3 digits groups, for cents
    ("1.500.000", "USD", "1500000", "USD"),
    ("1 500,5", "USD", "1500.5", "USD"),
    ("1_000.25", "USD", "1000.25", "USD"),
    ("999999999999999.99", "USD", "999999999999999.99", "USD"),
    ("999999999999999.999", "KWD", "999999999999999.999", "KWD"),
    # three decimals: a single separator before 3 digits is the decimal one
    ("1.500", "KWD", "1.5", "KWD"),
    ("1,500", "KWD", "1.5", "KWD"),
    ("12,500.250", "KWD", "12500.25", "KWD"),
    ("1.500", "JPY", "1500", "JPY"),
    # a named currency overrides the book's
    ("12,000 USD", "VND", "12000", "USD"),
    ("USD 12,000", "VND", "12000", "USD"),
    ("12,000 usd", "VND", "12000", "USD"),
    ("$12,000", "VND", "12000", "USD"),
    ("12.000,00 US$", "VND", "12000", "USD"),
    ("₫450.000", "USD", "450000", "VND"),
    ("450.000 đ", "USD", "450000", "VND"),
    ("450.000đ", "USD", "450000", "VND"),
    ("450.000 đồng", "USD", "450000", "VND"),
    ("450.000 VNĐ", "USD", "450000", "VND"),
    ("450.000 vnd", "USD", "450000", "VND"),
    ("€1.234,56", "VND", "1234.56", "EUR"),
    ("68tr VND", "USD", "68000000", "VND"),
    ("1,5 trđ", "USD", "1500000", "VND"),
    ("2,5 triệu đồng", "USD", "2500000", "VND"),
    ("5k USD", "VND", "5000", "USD"),
    ("$2.5M", "VND", "2500000", "USD"),
    ("¥5.000", "JPY", "5000", "JPY"),
    ("¥5,000", "CNY", "5000", "CNY"),
    ("5 BHD", "VND", "5", "BHD"),  # not in the table: Babel knows it
    ("5 MYR", "VND", "5", "MYR"),  # a code, not 5m + "YR"
    ("5 try", "VND", "5", "TRY"),  # a code, not 5tr + "y"
    ("1.500", "bhd", "1.5", "BHD"),
]

# (text, book currency, what the message must say)
REFUSED = [
    ("2,5", "VND", "is ambiguous in VND, which has no decimals (2.5 or 25?); write 25"),
    ("2.5", "VND", "(2.5 or 25?)"),
    ("2,50", "VND", "(2.50 or 250?)"),
    ("12.500,50", "VND", "has a decimal part (,50), and VND has none"),
    ("1.5.00", "VND", "is not grouped by 3 digits"),
    ("1.500", "USD", "is ambiguous in USD (1.5 or 1500?)"),
    ("0.500", "USD", "has 3 decimals, and USD has 2"),
    ("12.000 USD", "VND", "is ambiguous in USD (12 or 12000?)"),
    ("1.50", "JPY", "(1.50 or 150?)"),
    ("1.234,5", "JPY", "and JPY has none"),
    ("12,500.505", "USD", "has 3 decimals, and USD has 2"),
    ("12,500.5000", "KWD", "has 4 decimals, and KWD has 3"),
    ("1.500k", "VND", "is ambiguous (1500k or 1.5k?); write 1500k or 1.5k"),
    ("1,500 triệu", "VND", "is ambiguous (1500 triệu or 1.5 triệu?); write 1500 triệu or 1,5"),
    ("1,2345 k", "VND", "is 1234.5 VND, and VND has no decimals"),
    ("0.000001k", "USD", "is 0.001 USD, and USD has 2 decimals"),
    ("-5", "VND", "is negative"),
    ("\u22125", "VND", "is negative"),
    ("- 5 triệu", "VND", "is negative"),
    ("(5)", "VND", "is negative"),
    ("+5", "VND", "which is not a currency"),
    ("1e5", "VND", "has an exponent"),
    ("1E+05 USD", "VND", "has an exponent"),
    ("1000000000000000", "VND", "is too large (at most 999,999,999,999,999)"),
    ("1.000.000.000.000.000", "VND", "is too large"),
    ("1000000 tỷ", "VND", "is too large"),
    ("1000000000000000.000", "KWD", "is too large"),
    ("NaN", "VND", "has no number"),
    ("inf", "VND", "has no number"),
    ("-Infinity", "USD", "has no number"),
    ("", "VND", "is empty"),
    ("   ", "VND", "is empty"),
    ("١٢٣", "VND", "has digits other than 0-9"),
    ("１２３", "VND", "has digits other than 0-9"),
    ("5½", "VND", "has digits other than 0-9"),
    ("1,000.000,5", "USD", "uses both . and , and , more than once"),
    ("1.000 000", "VND", "groups digits after the decimal separator"),
    ("1.000.000 000", "VND", "mixes group separators"),
    ("1 000_000", "VND", "mixes group separators"),
    ("1.5 000", "USD", "groups digits after the decimal separator"),
    ("1,00,000", "INR", "is not grouped by 3 digits"),
    ("1234,567", "VND", "is not grouped by 3 digits"),
    ("0.500", "VND", "is not grouped by 3 digits"),
    ("1  500", "VND", "is not one number"),
    ("68 triệu 500 nghìn", "VND", "is not one number"),
    (".5", "USD", "'.' around the number, which is not a currency"),
    ("5.", "USD", "has '.' after the number"),
    ("5kk", "VND", "has 'kk' after the number"),
    ("5 MM", "VND", "has 'MM' after the number"),
    ("5t", "VND", "has 't' after the number"),
    ("5 mil", "VND", "names currency MIL, which is not a known currency"),
    ("5 abc", "VND", "names currency ABC, which is not a known currency"),
    ("5 CLF", "VND", "names currency CLF, which has 4 decimals (relcrm keeps at most 3)"),
    ("$5 USD", "VND", "names two currencies"),
    ("¥5000", "VND", "names ¥, which is ambiguous (JPY or CNY); name the currency: 5000 JPY"),
    ("Rp 5.000", "IDR", "has 'Rp' around the number, which is not a currency"),
    ("5" * 101, "VND", "is too long"),
]


@pytest.mark.parametrize(("text", "book", "value", "code"), ACCEPTED)
def test_accepted_forms(text, book, value, code):
    assert money.parse(text, book) == Amount.of(Decimal(value), code)


@pytest.mark.parametrize(("text", "book", "says"), REFUSED)
def test_refused_forms_say_why_on_one_line(text, book, says):
    with pytest.raises(UsageError) as refused:
        money.parse(text, book)
    message = refused.value.message
    assert message.startswith(f"amount {text!r} ")
    assert says in message
    assert "\n" not in message and len(message) < 250
    assert re.search(r"; (write|use|name)", message)  # and what to type instead


def test_refusals_show_forms_for_the_currency_and_the_label():
    with pytest.raises(UsageError, match=r"^--value '1,5\.5' .*68 triệu, 1,2 tỷ or 5k$"):
        money.parse("1,5.5", label="--value")
    with pytest.raises(UsageError, match=r"12,500\.50, 12\.500,50, 2\.5M or 12,000 USD$"):
        money.parse("1.5.00", "USD")
    with pytest.raises(UsageError, match=r"12,500\.500, 12\.500,500, 2\.5M or 12,000 KWD$"):
        money.parse("1.5.00 KWD", "VND")  # the forms of the currency named
    with pytest.raises(UsageError, match=r"12,500, 12\.500, 2\.5M or 12,000 JPY$"):
        money.parse("1.5.00", "JPY")


def test_unknown_book_currency_is_refused():
    with pytest.raises(UsageError, match=r"^currency 'XYZ' is not a known currency; use"):
        money.parse("5", "XYZ")
    with pytest.raises(UsageError, match=r"is not a currency code"):
        money.lookup_currency("dollars")
    assert money.lookup_currency(" usd ") == money.Currency("USD", 2, "US$")
    assert money.lookup_currency("isk").digits == 0 and money.lookup_currency("TND").digits == 3


def test_amount_is_exact_and_checked():
    a = money.parse("12.500,50", "USD")
    assert a == Amount(12_500_500, "USD") and a.decimal == Decimal("12500.5")
    assert isinstance(a.decimal, Decimal) and hash(a) == hash(Amount(12_500_500, "USD"))
    with pytest.raises(AttributeError):
        a.milli = 1  # frozen
    assert Amount.of(Decimal("12500.50"), "usd") == a
    assert Amount.of(Decimal("1.2E+3"), "VND") == Amount(1_200_000, "VND")
    assert Amount.of(Decimal("-0"), "VND") == Amount.of(Decimal("0E-5000")) == Amount(0, "VND")
    assert Amount.of(Decimal("1." + "0" * 5000), "KWD") == Amount(1000, "KWD")
    assert Amount.of(10**15 - 1) == Amount(money.MAX_MILLI - 1000, "VND")
    for bad in (Decimal("12.345"), Decimal(-1), Decimal("1E+15"), Decimal("NaN"),
                Decimal("Infinity"), Decimal("1E-999999999"), Decimal("0." + "1" * 5000),
                Decimal(10**5000)):
        with pytest.raises(UsageError):
            Amount.of(bad, "USD")
    for wrong in (1.5, True, "12"):
        with pytest.raises(TypeError):
            Amount.of(wrong, "USD")
    with pytest.raises(TypeError):
        Amount(1.0, "VND")
    for milli, code in ((-1, "VND"), (money.MAX_MILLI, "VND"), (1, "vnd"), (1, "VNDX")):
        with pytest.raises(ValueError):
            Amount(milli, code)


def test_format_compact_and_text():
    vnd, usd = money.parse("450.000.000"), money.parse("12.500,50", "USD")
    assert money.format(vnd) == "450,000,000" and money.format(vnd, locale="vi") == "450.000.000"
    assert money.format(usd) == "12,500.50" and money.format(usd, locale="vi_VN") == "12.500,50"
    assert money.format(vnd, symbol=True) == f"450,000,000{NBSP}VND"
    assert money.format(vnd, locale="vi", symbol=True) == f"450.000.000{NBSP}₫"
    assert money.format(usd, locale="vi", symbol=True) == f"12.500,50{NBSP}US$"
    assert money.format(money.parse("12500", "USD")) == "12,500.00"
    assert money.format(Amount(1, "USD")) == "0.001"  # finer than cents: shown, not rounded
    with pytest.raises(ValueError):
        money.format(vnd, locale="fr")
    for text, en, vi in [("1,2 tỷ", "1.2B", "1,2 tỷ"), ("450tr", "450M", "450 triệu"),
                         ("1,25 tỷ", "1.3B", "1,3 tỷ"), ("5k", "5K", "5 nghìn"),
                         ("999.960", "1M", "1 triệu"), ("999", "999", "999"), ("0", "0", "0"),
                         ("1500 tỷ", "1.5T", "1,5 nghìn tỷ"),
                         ("999999999999999", "1,000T", "1.000 nghìn tỷ")]:
        amount = money.parse(text)
        assert (money.compact(amount), money.compact(amount, "vi")) == (en, vi.replace(" ", NBSP))
    assert money.compact(money.parse("12.5", "USD")) == "12.5"
    for text, book, exact in [("450.000.000", "VND", "450000000"), ("12.500,50", "USD", "12500.5"),
                              ("0,001", "KWD", "0.001"), ("0", "USD", "0"),
                              ("999999999999999.99", "USD", "999999999999999.99")]:
        assert money.text(money.parse(text, book)) == exact


# --- round trips ---------------------------------------------------------------------------

OTHER_CODES = ["BHD", "TND", "ISK", "CLP", "XAF", "UGX"]  # not in the table: Babel's


@st.composite
def amounts(draw, codes=tuple(money.CURRENCIES) + tuple(OTHER_CODES)):
    """Any amount that fits its currency: whole units up to 999 trillion and its decimals."""
    code = draw(st.sampled_from(codes))
    digits = money.lookup_currency(code).digits
    units = draw(st.one_of(st.integers(0, 10**15 - 1), st.integers(0, 10**7),
                           st.sampled_from([0, 1, 999, 1000, 1500, 10**15 - 1])))
    minor = draw(st.integers(0, 10**digits - 1)) if digits else 0
    return Amount(units * 1000 + minor * 10 ** (3 - digits), code)


@RUN
@given(amounts(), st.sampled_from(["en", "vi"]), st.booleans())
def test_what_format_shows_parses_back(amount, locale, symbol):
    shown = money.format(amount, locale=locale, symbol=symbol)
    assert money.parse(shown, amount.currency) == amount
    # the book's currency does not matter when the symbol or code names it
    if symbol and not shown.endswith("¥"):
        assert money.parse(shown, "VND" if amount.currency != "VND" else "USD") == amount


@RUN
@given(amounts())
def test_text_parses_back_exactly(amount):
    assert money.parse(money.text(amount), amount.currency) == amount
    assert Decimal(money.text(amount)) == amount.decimal
    assert Amount.of(amount.decimal, amount.currency) == amount


@RUN
@given(st.text(alphabet=st.sampled_from(list("0123456789.,_ -kKmMbtrỷệđ₫$€¥USDVNTeé\u00a0")),
               max_size=16),
       st.sampled_from(["VND", "USD", "KWD", "JPY"]))
def test_any_text_is_an_amount_or_one_refusal(text, book):
    try:
        amount = money.parse(text, book)
    except UsageError as refused:
        assert "\n" not in refused.message and refused.message.startswith("amount ")
    else:
        assert money.parse(money.text(amount), amount.currency) == amount


# --- the table agrees with Babel (CLDR) ----------------------------------------------------

@pytest.mark.parametrize("code", sorted(money.CURRENCIES))
def test_table_agrees_with_babel(code):
    currency = money.CURRENCIES[code]
    assert currency.code == code
    assert currency.digits == babel.get_currency_precision(code)
    assert currency.symbol == babel.get_currency_symbol(code, "vi_VN")
    for locale in ("vi_VN", "en"):  # the symbols CLDR writes name the currency back
        symbol = babel.get_currency_symbol(code, locale)
        assert money.parse(f"{symbol}5", code).currency == code
        if symbol != "¥":
            assert money.parse(f"5 {symbol}", "VND" if code != "VND" else "USD").currency == code


@RUN
@given(amounts(codes=tuple(money.CURRENCIES)))
def test_shown_as_babel_shows(amount):
    """vi: exactly Babel's format_currency(..., locale="vi_VN"); en: Babel's number."""
    code, value = amount.currency, amount.decimal
    assert money.format(amount, locale="vi", symbol=True) == \
        babel.format_currency(value, code, locale="vi_VN")
    assert money.format(amount, locale="vi") == babel.format_currency(
        value, code, locale="vi_VN").rsplit(NBSP, 1)[0]
    assert money.format(amount) == re.sub(r"[^0-9.,]", "",
                                          babel.format_currency(value, code, locale="en"))


def test_importing_money_does_not_import_babel():
    probe = ("import sys; import relcrm.money as m; a = m.parse('1,2 tỷ'); "
             "m.format(a, locale='vi', symbol=True); m.compact(a, 'vi'); m.text(a); "
             "m.parse('12,000 USD'); m.parse('¥5', 'JPY'); assert 'babel' not in sys.modules; "
             "m.parse('5 BHD'); assert 'babel' in sys.modules")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
