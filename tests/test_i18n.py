"""relcrm speaks Vietnamese (issue 14): the catalog has every message translated and is
current; the language is chosen by RELCRM_LANG, config language or the locale; placeholders and
options survive translation."""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "relcrm" / "locale" / "vi" / "LC_MESSAGES" / "relcrm.po"
sys.path.insert(0, str(ROOT / "scripts"))

import messages  # noqa: E402


def _catalog():
    from babel.messages.pofile import read_po

    with open(PO, "rb") as handle:
        return read_po(handle, locale="vi")


def test_the_catalog_has_every_message_of_the_code():
    """A help text or a _() message added without running scripts/messages.py fails here."""
    wanted = {m.id for m in messages.template() if m.id}
    have = {m.id for m in _catalog() if m.id}
    assert not sorted(wanted - have)[:10], "run python scripts/messages.py, then translate"
    assert not sorted(have - wanted)[:10], "messages no longer used: run scripts/messages.py"


def test_every_message_has_a_vietnamese_translation():
    missing = [m.id for m in _catalog() if m.id and (not m.string or m.fuzzy)]
    assert not missing[:10], f"{len(missing)} messages lack a Vietnamese translation"


def test_the_compiled_catalog_is_current():
    mo = PO.with_suffix(".mo")
    assert mo.read_bytes() == messages.compiled(PO), "run python scripts/messages.py"


FIELD = re.compile(r"\{[a-z_0-9!:.,]*\}|%\([a-z_]+\)[sd]|(?<![\w-])--[a-z][a-z-]*")


def test_translations_keep_placeholders_and_options():
    wrong = []
    for message in _catalog():
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for source, text in zip(ids, strings):
            if sorted(FIELD.findall(source)) != sorted(FIELD.findall(text)):
                wrong.append((source[:60], FIELD.findall(source), FIELD.findall(text)))
    assert not wrong[:5], wrong[:5]


@pytest.mark.parametrize("env", [{"RELCRM_LANG": "vi"}, {"LANGUAGE": "vi"},
                                 {"LANG": "vi_VN.UTF-8"}, {"LC_ALL": "vi_VN.UTF-8"}])
def test_help_speaks_vietnamese_by_the_language_chosen(cli, monkeypatch, env):
    for name in ("RELCRM_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    help_en = _catalog()
    wanted = next(m for m in help_en if m.id and m.id.startswith("Add a prospect at stage 1"))
    assert wanted.string, "translated"
    out = cli("add", "--help").out
    assert " ".join(wanted.string.split())[:40] in " ".join(out.split())


def test_english_by_default_and_config_language(cli, monkeypatch):
    for name in ("RELCRM_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert "Add a prospect at stage 1" in " ".join(cli("add", "--help").out.split())
    cli("config", "language", "vi")
    assert "Add a prospect at stage 1" not in " ".join(cli("add", "--help").out.split())
    monkeypatch.setenv("RELCRM_LANG", "en")  # the environment wins over the book
    assert "Add a prospect at stage 1" in " ".join(cli("add", "--help").out.split())


def test_a_language_relcrm_lacks_falls_back_to_english_with_one_notice(cli, monkeypatch):
    monkeypatch.setenv("RELCRM_LANG", "fr")
    result = cli("stage", "list")
    assert result.err == ("relcrm: relcrm does not speak 'fr' (RELCRM_LANG); using English. "
                          "Languages: en (English), vi (tiếng Việt)\n")
    assert "Attract" in result.out
    monkeypatch.delenv("RELCRM_LANG")
    cli.fails(2, "config", "language", "klingon", match="relcrm speaks en, vi")


def test_amounts_the_vietnamese_way(cli, monkeypatch):
    cli.add("An", "--company", "Minh Phát", "--value", "450.000.000")
    cli("deal", "add", "minh phat", "Export", "--value", "12,000 USD")
    assert "450,000,000" in cli("deal", "list").out
    monkeypatch.setenv("RELCRM_LANG", "vi")
    out = cli("deal", "list").out
    assert "450.000.000\xa0₫" in out and "12.000,00\xa0US$" in out
    # machine formats never change with the language
    assert cli("deal", "list", "-f", "csv").out.splitlines()[1].split(",")[6] == "450000000"


def test_a_bad_date_order_is_refused(cli):
    cli.add("An")
    cli.fails(2, "config", "date_order", "ymd", match="date_order must be dmy")
    cli("config", "date_order", "mdy")
    cli("step", "add", "an", "12/15", "call")  # month first now
    assert cli.one("SELECT substr(due_at, 6, 5) FROM step") == "12-15"
