"""qualify, call, log through the CLI."""

import json

import pytest


@pytest.fixture
def an(cli):
    cli.add("Nguyễn Văn An", "--company", "Minh Phát")
    return cli


def test_qualify_keeps_every_judgement_and_reports_status(an):
    out = an("qualify", "an", "--need", "yes", "--budget", "partial").out
    assert out == ("#1 Nguyễn Văn An: open (need yes, budget partial, authority unknown); "
                   "still to establish: budget, authority.\n")
    out = an("qualify", "an", "--budget", "YES", "--authority", "yes", "--note", "CFO agreed",
             env={"RELCRM_TODAY": "2026-11-26"}).out
    assert "qualified (need yes, budget yes, authority yes)" in out
    assert an.sql("SELECT at, criterion, level, note FROM qualification ORDER BY id") == [
        ("2026-11-25T12:00:00", "need", "yes", None),
        ("2026-11-25T12:00:00", "budget", "partial", None),
        ("2026-11-26T12:00:00", "budget", "yes", "CFO agreed"),
        ("2026-11-26T12:00:00", "authority", "yes", "CFO agreed"),
    ]
    later = {"RELCRM_TODAY": "2026-11-27"}
    out = an("qualify", "an", "--authority", "no", env=later).out
    assert "disqualified" in out and "dropped from followups" in out
    record = json.loads(an("qualify", "an", "--authority", "unknown", "-f", "json",
                           env=later).out)[0]
    assert record["qualification"] == "open" and record["authority"] == "unknown"


@pytest.mark.parametrize("args, code, match", [
    (["qualify", "an"], 2, "give at least one of --need, --budget, --authority"),
    (["qualify", "an", "--need", "maybe"], 2, "'maybe' is not one of"),
    (["qualify", "nobody", "--need", "yes"], 1, "no prospect matches"),
    (["qualify", "an", "--need", "yes", "--note", "x" * 20001], 2, "too long"),
])
def test_qualify_rejects_bad_input(an, args, code, match):
    an.fails(code, *args, match=match)


def test_log_a_touch_and_see_it(an):
    out = an("log", "an", "email", "sent the brochure", "--minutes", "5").out
    assert out.startswith("Logged email #1 with Nguyễn Văn An (Wed 2026-11-25 12:00).")
    # Attract: every 3 days, Saturday 2026-11-28, a day off: the next working day
    assert "Next follow-up by cadence: Mon 2026-11-30." in out
    assert an.one("SELECT kind, at, summary, minutes FROM touch") == (
        "email", "2026-11-25T12:00:00", "sent the brochure", 5)
    assert an.one("SELECT last_touch_at, due_on FROM prospect") == (
        "2026-11-25T12:00:00", "2026-11-30")


def test_log_at_a_past_time_and_with_a_next_step(an):
    an("log", "an", "MEETING", "--at", "mon 9:30", "--next", "next tue", "--next-step", "quote")
    assert an.one("SELECT at FROM touch") == "2026-11-23T09:30:00"
    # the cadence is a floor: touched Monday, Attract (3 days) brings them back Thursday,
    # before the step of next Tuesday
    assert an.one("SELECT next_at, next_step, due_on FROM prospect") == (
        "2026-12-01", "quote", "2026-11-26")
    record = json.loads(an("log", "an", "note", "likes golf", "-f", "json").out)[0]
    assert record["kind"] == "note" and record["satisfied_next_at"] is None


def test_every_touch_kind_is_accepted(an):
    for kind in ("call", "meeting", "email", "message", "visit", "letter", "gift", "event",
                 "note"):
        an("log", "an", kind)
    assert an.one("SELECT count(*) FROM touch") == 9


@pytest.mark.parametrize("args, code, match", [
    (["log", "an", "fax"], 2, "'fax' is not one of"),
    (["log", "an"], 2, "Missing argument 'KIND'"),
    (["log", "an", "email", "--at", "tomorrow"], 2, "is in the future"),
    (["log", "an", "email", "--at", "whenever"], 2, "cannot read date"),
    (["log", "an", "email", "--next", "2026-01-01"], 2, "is in the past"),
    (["log", "an", "email", "--next-step", "x"], 2, "--next-step needs --next"),
    (["log", "an", "email", "--minutes", "0"], 2, "minutes must be between"),
    (["log", "an", "email", "--minutes", "9999"], 2, "minutes must be between"),
    (["log", "an", "email", "bad\x07bell"], 2, None),
    (["log", "ghost", "email"], 1, "no prospect matches 'ghost'"),
])
def test_log_rejects_bad_input(an, args, code, match):
    result = an.fails(code, *args, match=match or "")
    if match is None:  # multi-line text is fine, other control characters are not
        assert "control character" in result.err


def test_log_accepts_multiline_text(an):
    an("log", "an", "note", "line one\nline two")
    assert an.one("SELECT summary FROM touch") == "line one\nline two"


def test_call_records_spin_notes_in_order(an):
    out = an("call", "an", "--situation", "3 plants", "--situation", "2 suppliers",
             "--problem", "film tears", "--implication", "4 h downtime a week",
             "--need-payoff", "worth 200m a year", "--implied-need", "fewer stops",
             "--explicit-need", "film that holds at speed", "--outcome", "advance",
             "--commitment", "trial on line 2", "--next", "fri", "--minutes", "45",
             "--note", "good call").out
    assert out.startswith("Logged call #1 with Nguyễn Văn An (Wed 2026-11-25 12:00): advance, "
                          "committed to trial on line 2.")
    assert "Added step #1 Fri 2026-11-27 (trial on line 2)." in out
    assert an.one("SELECT kind, outcome, commitment, minutes, summary, next_at FROM touch") == (
        "call", "advance", "trial on line 2", 45, "good call", "2026-11-27")
    assert an.sql("SELECT kind, position, text FROM call_note ORDER BY position") == [
        ("situation", 0, "3 plants"), ("situation", 1, "2 suppliers"),
        ("problem", 2, "film tears"), ("implication", 3, "4 h downtime a week"),
        ("need_payoff", 4, "worth 200m a year"), ("implied_need", 5, "fewer stops"),
        ("explicit_need", 6, "film that holds at speed")]
    assert an.one("SELECT next_step FROM prospect") == "trial on line 2"


@pytest.mark.parametrize("args, code, match", [
    (["call", "an"], 2, "a call needs --outcome"),
    (["call", "an", "--problem", "x"], 2, "a call needs --outcome"),
    (["call", "an", "--outcome", "maybe"], 2, "'maybe' is not one of"),
    (["call", "an", "--outcome", "advance"], 2, "an advance needs --commitment"),
    (["call", "an", "--outcome", "order", "--commitment", "  "], 2, "an order needs --commitment"),
    (["call", "an", "--outcome", "no-sale", "--at", "next year"], 2, "cannot read date"),
    (["call", "nobody", "--outcome", "no-sale"], 1, "no prospect matches"),
])
def test_call_rejects_bad_input(an, args, code, match):
    an.fails(code, *args, match=match)


def test_two_continuations_in_a_row_warn_of_a_stalled_sale(an):
    first = an("call", "an", "--outcome", "continuation")
    assert first.err == ""
    second = an("call", "an", "--outcome", "continuation")
    assert "warning: Nguyễn Văn An has had 2 continuations in a row" in second.err
    assert an.one("SELECT continuations FROM prospect") == 2
    an("log", "an", "email")  # other touches do not break the run
    assert an.one("SELECT continuations FROM prospect") == 2
    third = an("call", "an", "--outcome", "advance", "--commitment", "demo")
    assert third.err == "" and an.one("SELECT continuations FROM prospect") == 0
    an("call", "an", "--outcome", "continuation")
    assert an.one("SELECT continuations FROM prospect") == 1
    record = json.loads(an("call", "an", "-o", "continuation", "-f", "json").out)[0]
    assert record["stalled"] is True and record["continuations"] == 2


def test_a_backdated_call_counts_in_time_order(an):
    an("call", "an", "--outcome", "continuation", "--at", "2026-11-20")
    an("call", "an", "--outcome", "continuation", "--at", "2026-11-24")
    an("call", "an", "--outcome", "advance", "--commitment", "demo", "--at", "2026-11-22")
    assert an.one("SELECT continuations FROM prospect") == 1  # only the one after the advance


def test_interactive_call_asks_the_spin_questions(an):
    answers = "\n".join([
        "two plants", "",  # situation
        "film tears", "",  # problem
        "",  # implication
        "",  # need-payoff
        "fewer stops", "",  # implied need
        "",  # explicit need
        "maybe",  # not an outcome: asked again
        "advance",
        "",  # commitment required: asked again
        "site visit",
        "walked the line",  # summary
        "someday",  # not a date: asked again
        "fri",
        "x", "40",  # minutes
    ]) + "\n"
    an("edit", "an", "--type", "expert")
    result = an("call", "an", "-i", input=answers)
    assert "Type: Expert (chuyên gia): be patient and let them show what they know" in result.err
    assert "Situation (câu hỏi tình huống)" in result.err
    assert "Obtaining commitment (gài cam kết)" in result.err
    assert "please answer one of: order, advance, continuation, no-sale" in result.err
    assert "an advance or an order needs the commitment" in result.err
    assert "cannot read date 'someday'" in result.err
    assert "Logged call #1" in result.out
    assert an.one("SELECT outcome, commitment, summary, minutes, next_at FROM touch") == (
        "advance", "site visit", "walked the line", 40, "2026-11-27")
    assert an.sql("SELECT kind, text FROM call_note ORDER BY position") == [
        ("situation", "two plants"), ("problem", "film tears"), ("implied_need", "fewer stops")]


def test_interactive_call_cut_short_writes_nothing(an):
    before = an.dump()
    result = an.run("call", "an", "-i", input="two plants\n")
    assert result.code == 1 and result.err.splitlines()[-1] == "relcrm: error: aborted"
    assert "Logged" not in result.out and an.dump() == before


def test_interactive_call_for_an_unknown_prospect_fails_before_asking(an):
    result = an.fails(1, "call", "ghost", "-i", input="")
    assert "Situation" not in result.err


@pytest.mark.parametrize("option", [["--next", "yesterday"], ["--at", "tomorrow"],
                                    ["--minutes", "0"], ["--amount", "abc"]])
def test_interactive_call_checks_its_options_before_asking(an, option):
    """A bad option given with the interactive call fails before the first question, so no
    answer is typed in vain."""
    result = an.fails(2, "call", "an", "-i", *option, input="x\n" * 20)
    assert "Situation" not in result.err
