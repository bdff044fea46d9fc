"""relcrm speaks Vietnamese (issue 14): the catalog has every message translated and is
current; the language is chosen by RELCRM_LANG, config language or the locale; placeholders and
options survive translation."""

import re
import sqlite3
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


# --- the "done when", through the CLI in Vietnamese ------------------------------------

VI = {"RELCRM_LANG": "vi"}


@pytest.fixture
def an(cli):
    cli.add("Nguyễn Văn An", "--company", "Minh Phát", "--value", "450,000,000")
    return cli


def test_show_speaks_vietnamese(an):
    an("call", "an", "-o", "advance", "--commitment", "thăm nhà máy", "--problem", "màng rách",
       "--next", "thứ 6 14h")
    an("stage", "advance", "an", "--reason", "đồng ý")
    out = an("show", "an", env=VI).out
    for words in ("giai đoạn", "2/7 Thiết lập", "ngày ở giai đoạn này", "Dòng thời gian",
                  "cuộc gọi #1", "bước tiến", "Thu hút → Thiết lập", "T6 27/11/2026 14:00"):
        assert words in out, (words, out)
    for english in ("days in stage", "Timeline", "Attract", "advance —", "Fri"):
        assert english not in out, (english, out)


def test_the_interactive_call_speaks_vietnamese(an):
    answers = "\n".join(["hai nhà máy", "", "màng bị rách", "", "", "", "", "", "có lẽ",
                         "advance", "", "thăm nhà máy", "", "bao giờ đó", "thứ 6 14h", ""]) + "\n"
    result = an("call", "an", "-i", input=answers, env=VI)
    for words in ("Cuộc gọi bán hàng SPIN với Nguyễn Văn An", "Câu hỏi tình huống",
                  "Gài cam kết", "Kết quả (order/advance/continuation/no-sale)",
                  "vui lòng trả lời một trong", "cần ghi cam kết",
                  "không đọc được ngày 'bao giờ đó'", "Số phút (không bắt buộc)"):
        assert words in result.err, (words, result.err)
    assert "Situation" not in result.err and "Outcome" not in result.err
    assert "Đã ghi nhận cuộc gọi #1" in result.out and "T6 27/11/2026 14:00" in result.out
    steps = an("step", "list", "-f", "json").out
    assert '"due_at": "2026-11-27T14:00:00"' in steps  # thứ 6 14h: Friday at 14:00


@pytest.mark.parametrize("args, code, english, vietnamese", [
    (["add"], 2, "Missing argument 'NAME'", "Thiếu đối số 'NAME'"),
    (["list", "--limit", "nhiều"], 2, "is not a valid int", "không phải là số nguyên"),
    (["list", "--format", "xml"], 2, "is not one of", "không thuộc"),
    (["show", "không có ai"], 1, "no prospect matches", "không có khách hàng tiềm năng nào"),
    (["step", "add", "an", "32/13", "gọi lại"], 2, "cannot read date", "không đọc được ngày"),
    (["qualify", "an", "--need", "có"], 2, "is not one of", "không thuộc"),
    (["add", "X", "--value", "12,5,0"], 2, "is not grouped by 3", "không được nhóm theo 3"),
    (["lst"], 2, "No such command 'lst'. Did you mean 'list'?",
     "Không có lệnh 'lst'. Có phải ý bạn là 'list'?"),
    (["list", "--bogus"], 2, "No such option: --bogus", "Không có tùy chọn: --bogus"),
    (["import", "nowhere.csv"], 2, "nowhere.csv", "nowhere.csv"),
    (["restore", "nowhere.db"], 2, "nowhere.db", "nowhere.db"),
    (["step", "done", "99"], 1, "no step with id 99", "không có việc cần làm nào có mã 99"),
])
def test_errors_speak_the_language_one_line_book_unchanged(an, args, code, english, vietnamese):
    before = an.dump()
    said = an.run(*args)
    assert said.code == code and english in said.err and said.err.startswith("relcrm: error: ")
    result = an.run(*args, env=VI)
    assert result.code == code, result.err
    assert len(result.err.strip().splitlines()) == 1, result.err
    line = result.err.strip()
    assert line.startswith("relcrm: lỗi: ") and vietnamese in line and line != said.err.strip()
    assert an.dump() == before


def test_amounts_in_a_narrow_column_are_written_short(an, tmp_path):
    """On a terminal narrower than 120 columns, Vietnamese amounts in a table column are
    written the short way (1,2 tỷ); in a pipe, and in English, exactly."""
    import os

    from test_output import _run_in_terminal

    an.add("Trần Thị Bình", "--value", "1,200,000,000")
    env = {**os.environ, "RELCRM_DB": str(an.path), "RELCRM_LANG": "vi", "COLUMNS": "100",
           "NO_COLOR": "1", "RELCRM_TODAY": "2026-11-25"}
    out, code = _run_in_terminal(["list"], env)
    assert code == 0 and "1,2\xa0tỷ" in out and "triệu" in out and "₫" not in out, out
    out, code = _run_in_terminal(["list"], {**env, "COLUMNS": "160"})
    assert code == 0 and "1.200.000.000\xa0₫" in out, out
    assert "1.200.000.000\xa0₫" in an("list", env=VI).out  # a pipe: exact
    out, code = _run_in_terminal(["list"], {**env, "RELCRM_LANG": "en", "COLUMNS": "160"})
    assert code == 0 and "1,200,000,000" in out, out


def test_numbers_in_vietnamese_messages_use_the_vietnamese_separators():
    """CLDR vi: a dot groups thousands and a comma marks decimals, so a message's {n:,},
    {x:.1f} and {share:.1%} read 1.234.567, 2,5 and 68,6% in Vietnamese (a comma there would
    read as a decimal point); English is unchanged."""
    from relcrm import i18n

    try:
        i18n.activate("vi")
        said = i18n._("{n:,} rows, {x:.1f} d, {share:.1%}, #{id}, {name!r}").format(
            n=1234567, x=2.5, share=0.686, id=1234, name="A,B")
        assert said == "1.234.567 rows, 2,5 d, 68,6%, #1234, 'A,B'"
        assert i18n.number(536576) == "536.576"
        i18n.activate("en")
        assert i18n._("{n:,} rows {x:.1f}").format(n=1234567, x=2.5) == "1,234,567 rows 2.5"
        assert i18n.number(536576) == "536,576"
    finally:
        i18n.activate("en")


def test_a_bad_stored_date_order_is_said_and_can_be_reset(cli):
    """A date_order written by another program (or, on a team database, by a seller's psql)
    blocked every command, --reset too: it is said, dates are read day first, and it resets."""
    cli("add", "An", "--company", "Minh Phát")
    con = sqlite3.connect(cli.path)
    con.execute("INSERT OR REPLACE INTO setting (key, value) VALUES ('date_order', 'zzz')")
    con.commit()
    con.close()
    listed = cli.run("list")
    assert listed.code == 0 and "An" in listed.out and "date_order 'zzz'" in listed.err
    cli("config", "date_order", "--reset")
    assert cli.run("list").err == ""
