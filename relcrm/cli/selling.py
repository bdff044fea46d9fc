"""qualify, call, log."""

import sys
from typing import Annotated, Any, Optional

import typer

from .. import dates
from ..i18n import N_, _, dynamic
from ..methodology import CALL_STEPS, CRITERIA, OUTCOMES, SPIN_BY_KEY, SPIN_KINDS
from .common import (AtOpt, FormatOpt, QuietOpt, Kind, Level, NextStepOpt, Outcome, RefArg, WhenOpt,
                     complete_refs, emit_record, fmt, money, read, settled, when)

LevelOpt = lambda key, help_: Annotated[Optional[Level], typer.Option(  # noqa: E731
    f"--{key}", case_sensitive=False, help=help_, show_default=False)]
MinutesOpt = Annotated[Optional[int], typer.Option(
    "--minutes", "-m", metavar="N", help="How long it took, in minutes.", show_default=False)]
AmountOpt = Annotated[Optional[str], typer.Option(
    "--amount", metavar="AMOUNT", help="The value of an order it brought, e.g. 450.000.000, "
    "1,2 tỷ, 12,000 USD (for `account candidates`; it wins their open deal).",
    show_default=False)]
OccasionOpt = Annotated[Optional[str], typer.Option(
    "--occasion", metavar="ID", help="The important date this greets (relcrm date list): it "
    "is done for the year; no step is touched.", show_default=False)]
DealOpt = Annotated[Optional[str], typer.Option(
    "--deal", metavar="ID", help="The open deal an order wins, when their account has "
    "several (none: no deal).", show_default=False)]


def _write_touch(write, deal: Optional[str]):
    """Run a log/call write; when an order could win several deals and nobody said which, ask
    on a terminal (in a script the refusal stands: --deal ID)."""
    from ..core.selling import WhichDeal

    try:
        return write(deal)
    except WhichDeal as which:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise
        from .. import render

        render.note(_("Which deal does this order win?"))
        for deal_row in which.deals:
            render.note(f"  #{deal_row.id} {deal_row.title}")
        answer = typer.prompt(_("Deal id (or none)"), err=True).strip()
        return write(answer)


def qualify(
    ref: RefArg,
    need: LevelOpt("need", "Do they need what we sell? (nhu cầu)") = None,
    budget: LevelOpt("budget", "Can they pay? (khả năng tài chính)") = None,
    authority: LevelOpt("authority", "Does this person decide? (quyền quyết định)") = None,
    note: Annotated[Optional[str], typer.Option(
        "--note", "-n", metavar="TEXT", help="Why you judge so.")] = None,
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Judge need, budget and authority: yes, partial, no or unknown. Every judgement is kept.

    Qualified when all three are yes; disqualified (a phantom prospect) when any is no, and
    then dropped from followups unless --all.
    """
    from .. import db, queries
    from ..core import selling

    levels = {"need": need, "budget": budget, "authority": authority}
    with db.write_session() as session:
        judged = selling.qualify(session, ref, {k: fmt(v) if v is not None else None
                                                for k, v in levels.items()}, note)
        prospect_id, name = judged.prospect.id, judged.prospect.name
        record = queries.prospect(settled(session), prospect_id)

    def sentence() -> str:
        from ..methodology import criterion_shown, levels_shown

        # in English the keys a seller types (need yes, ...); in Vietnamese the words
        now = levels_shown([(c.key, record[c.key]) for c in CRITERIA])
        missing = ", ".join(criterion_shown(key) for key in judged.missing)
        said = {"qualified": _("#{id} {name}: qualified ({now})."),
                "open": _("#{id} {name}: open ({now}); still to establish: {missing}."),
                "disqualified": _("#{id} {name}: disqualified ({now}); dropped from followups "
                                  "(see them with --all)."),
                "customer": _("#{id} {name}: customer ({now}).")}
        if judged.status in said:
            return said[judged.status].format(id=prospect_id, name=name, now=now,
                                              missing=missing)
        return f"#{prospect_id} {name}: {judged.status} ({now})."

    emit_record(format_, queries.PROSPECT_COLUMNS, record, sentence)


TOUCH_COLUMNS = ("id", "prospect_id", "prospect", "kind", "at", "summary", "minutes",
                 "outcome", "commitment", "next_at", "satisfied_next_at", "continuations",
                 "stalled", "amount", "with", "done_step_ids", "step_id", "currency",
                 "deal_id")


def _report(format_: Any, logged: Any, what: str) -> None:
    from .. import db, render

    touch, prospect = logged.touch, logged.prospect
    record = {"id": touch.id, "prospect_id": prospect.id, "prospect": prospect.name,
              "kind": touch.kind, "at": touch.at, "summary": touch.summary,
              "minutes": touch.minutes, "outcome": touch.outcome,
              "commitment": touch.commitment, "next_at": touch.next_at,
              "satisfied_next_at": logged.satisfied, "continuations": prospect.continuations,
              "stalled": logged.stalled, "amount": db.money(touch.amount_milli),
              "currency": touch.amount_currency,
              "with": ",".join(str(o.id) for o in logged.others) or None,
              "done_step_ids": ",".join(str(s.id) for s in logged.closed) or None,
              "step_id": logged.planned.id if logged.planned else None,
              "deal_id": logged.won.id if logged.won else None}

    def sentence() -> str:
        people = prospect.name + "".join(f", {o.name}" for o in logged.others)
        text = _("Logged {kind} #{id} with {people} ({when})").format(
            kind=dynamic(what), id=touch.id, people=people, when=dates.show(touch.at))
        if touch.outcome:
            text += f": {dynamic(touch.outcome)}"
            if touch.commitment:
                text += ", " + _("committed to {commitment}").format(
                    commitment=touch.commitment)
        if touch.amount_milli is not None:
            text += ", " + _("an order of {amount}").format(
                amount=money(db.money(touch.amount_milli), touch.amount_currency))
        if logged.won is not None:
            text += "; " + _("won deal #{id} {title}").format(id=logged.won.id,
                                                              title=logged.won.title)
        if touch.occasion_id is not None:
            text += "; " + _("greeted date #{id} for this year").format(id=touch.occasion_id)
        text += "."
        for step in logged.closed:
            text += " " + _("Done: step #{id} ({what}, {when}).").format(
                id=step.id, what=step.text or _("next step"), when=dates.show(step.due_at))
        if logged.planned is not None:
            step = logged.planned
            text += " " + (_("Added step #{id} {when} ({what}).") if step.text
                           else _("Added step #{id} {when}.")).format(
                id=step.id, when=dates.show(step.due_at), what=step.text)
        elif prospect.next_at:
            text += " " + (_("Next step {when} ({what}).") if prospect.next_step
                           else _("Next step {when}.")).format(
                when=dates.show(prospect.next_at), what=prospect.next_step)
        elif prospect.due_on:
            text += " " + _("Next follow-up by cadence: {when}.").format(
                when=dates.show(prospect.due_on))
        return text

    for note in logged.notes:
        render.note(note)
    emit_record(format_, TOUCH_COLUMNS, record, sentence)
    if logged.stalled:
        render.warn(_("{name} has had {n} continuations in a row without an advance: the "
                      "sale is stalling. Next time, propose a concrete commitment (a "
                      "demonstration, a trial, a meeting with the decider).").format(
            name=prospect.name, n=prospect.continuations))


DoneOpt = Annotated[Optional[str], typer.Option(
    "--done", metavar="[ID]", help="Close a step with this touch: the person's earliest open "
    "step, or the step ID. Without it no step is closed (on a terminal you are asked about a "
    "step due within a week).", show_default=False)]
WithOpt = Annotated[Optional[list[str]], typer.Option(
    "--with", "-w", metavar="REF", help="Someone else it was with (repeatable): the touch "
    "counts for each of them.", autocompletion=complete_refs, show_default=False)]


def _ask_done(ref: str, done: Optional[str], kind: str) -> Optional[str]:
    """On a terminal, when no --done was given and the person has an open step due within a
    week, ask once whether this touch did it. In a script nothing is asked or closed."""
    from ..methodology import ASK_DONE_DAYS, NON_CONTACT_KINDS

    if done is not None or kind in NON_CONTACT_KINDS:
        return done
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return None
    import datetime as dt

    from .. import queries, render

    con = read()
    found = queries.resolve(con, ref)
    soon = dates.iso(dates.today() + dt.timedelta(days=ASK_DONE_DAYS + 1))
    from ..core.steps import IMPORT_PLANNED

    # the first contact an import planned closes by itself with the first touch: not asked
    step = con.execute(queries.STEPS_INVOLVING_SQL + " WHERE due_at < :soon AND id NOT IN "
                       f"(SELECT s.id FROM step s JOIN prospect p ON p.id = s.prospect_id "
                       f"WHERE p.last_touch_at IS NULL AND {IMPORT_PLANNED}) "
                       "ORDER BY due_at, id LIMIT 1", {"id": found["id"], "soon": soon}
                       ).fetchone()
    if step is None:
        return None
    record = queries.step(con, step["id"])
    question = render.escape(_("Done: step #{id} {when} {kind}: {what}?").format(
        id=record["id"], when=dates.show(record["due_at"]), kind=dynamic(record["kind"]),
        what=record["text"] or _("next step")))
    return str(record["id"]) if typer.confirm(question, default=False, err=True) else None


def log(
    ref: RefArg,
    kind: Annotated[Kind, typer.Argument(  # type: ignore[valid-type]
        metavar="KIND", case_sensitive=False, show_default=False,
        help="call, meeting, email, message, visit, letter, gift, event or note.")],
    text: Annotated[Optional[str], typer.Argument(
        metavar="[TEXT]", help="What happened.", show_default=False)] = None,
    at: AtOpt = None, next_: WhenOpt = None, next_step: NextStepOpt = None,
    minutes: MinutesOpt = None, amount: AmountOpt = None, done: DoneOpt = None,
    with_: WithOpt = None, deal: DealOpt = None, occasion: OccasionOpt = None,
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Log a touch. It closes no step unless --done says so; --next plans a new one; without
    one the next follow-up comes by the cadence."""
    from .. import db
    from ..core import selling

    at_value, next_value = when(at, past=True), when(next_)
    done = _ask_done(ref, done, fmt(kind))
    def write(which):
        with db.write_session() as session:
            return selling.log_touch(session, ref, fmt(kind), text, at=at_value,
                                     next_at=next_value, next_step=next_step, minutes=minutes,
                                     amount=amount, done=done, with_refs=with_ or [],
                                     deal=which, occasion=occasion)

    _report(format_, _write_touch(write, deal), fmt(kind))


def _spin_opt(key: str):
    spin = SPIN_BY_KEY[key]
    return Annotated[Optional[list[str]], typer.Option(
        f"--{spin.option}", metavar="TEXT",
        help=f"{spin.label} ({spin.vietnamese}): {spin.hint}. Repeatable.",
        show_default=False)]


def call(
    ref: RefArg,
    situation: _spin_opt("situation") = None,
    problem: _spin_opt("problem") = None,
    implication: _spin_opt("implication") = None,
    need_payoff: _spin_opt("need_payoff") = None,
    implied_need: _spin_opt("implied_need") = None,
    explicit_need: _spin_opt("explicit_need") = None,
    outcome: Annotated[Optional[Outcome], typer.Option(  # type: ignore[valid-type]
        "--outcome", "-o", case_sensitive=False, show_default=False,
        help="order, advance, continuation or no-sale (required).")] = None,
    commitment: Annotated[Optional[str], typer.Option(
        "--commitment", metavar="TEXT", help="What the customer committed to (required for "
        "advance and order).", show_default=False)] = None,
    note: Annotated[Optional[str], typer.Option(
        "--note", "-n", metavar="TEXT", help="A summary.")] = None,
    at: AtOpt = None, next_: WhenOpt = None, next_step: NextStepOpt = None,
    minutes: MinutesOpt = None, amount: AmountOpt = None, done: DoneOpt = None,
    with_: WithOpt = None, deal: DealOpt = None, occasion: OccasionOpt = None,
    interactive: Annotated[bool, typer.Option(
        "--interactive", "-i", help="Ask the questions one by one (the default on a terminal "
        "when no call details are given).")] = False,
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Log a SPIN sales call: what you learned, the needs stated, and the outcome.

    Situation, Problem, Implication and Need-payoff questions turn implied needs (problems
    the customer states) into explicit needs (wants our product meets). Outcome: order,
    advance (a commitment that moves the sale on), continuation or no-sale. Two or more
    continuations in a row mean a stalled sale.
    """
    from .. import db
    from ..core import selling

    notes = dict(zip([k.key for k in SPIN_KINDS],
                     [situation, problem, implication, need_payoff, implied_need,
                      explicit_need]))
    given = outcome is not None or commitment is not None or any(notes.values())
    if interactive or (not given and sys.stdin.isatty() and sys.stdout.isatty()):
        from .. import queries
        from ..core import fields

        # the options given on the command line are checked before any question is asked,
        # so a bad one cannot lose the answers typed after it
        fields.touch_time(when(at, past=True))
        fields.next_date(when(next_))
        fields.line("next step", next_step)
        fields.minutes(minutes)
        from .. import settings

        fields.amount(amount, "amount", settings.get(read(), "currency"))
        found = queries.resolve(read(), ref)
        db.warm_writes()  # while the seller answers
        if sys.stdout.isatty():
            report, next_, minutes = _ask(found, next_, minutes)
        else:  # stdout is data (`id=$(relcrm call an -i -q)`): the prompts' own output (the
            # space Click writes for readline) goes with the questions, on stderr
            from contextlib import redirect_stdout

            with redirect_stdout(sys.stderr):
                report, next_, minutes = _ask(found, next_, minutes)
        ref = str(found["id"])
    else:
        report = selling.CallReport(outcome=fmt(outcome) if outcome is not None else None,
                                    commitment=commitment,
                                    notes={k: v or [] for k, v in notes.items()}, summary=note)
    at_value, next_value = when(at, past=True), when(next_)
    done = _ask_done(ref, done, "call")
    def write(which):
        with db.write_session() as session:
            return selling.log_touch(session, ref, "call", None, at=at_value,
                                     next_at=next_value, next_step=next_step, minutes=minutes,
                                     call=report, amount=amount, done=done,
                                     with_refs=with_ or [], deal=which, occasion=occasion)

    _report(format_, _write_touch(write, deal), "call")


def _ask(found: dict[str, Any], next_: Optional[str], minutes: Optional[int]):
    """The interactive call: the four steps of a key-account call, SPIN hints, the outcome.
    An answer that would be refused is asked again, so no typed answer is lost."""
    from ..core import fields, selling
    from ..errors import UsageError
    from ..render import escape

    def say(text: str = "") -> None:
        typer.echo(escape(text), err=True)

    def fits(label: str, answer: Optional[str]) -> bool:
        """Whether the call will take this text (as log_touch checks it); if not, say why."""
        try:
            fields.text(label, answer)
            return True
        except UsageError as exc:
            say(f"   {exc.message}")
            return False

    def lines(label: str, option: str) -> list[str]:
        answers = []
        while True:
            answer = typer.prompt("  " + label, default="", show_default=False, err=True)
            if not answer.strip():
                return answers
            if fits(option, answer):
                answers.append(answer)

    from .. import i18n

    vi = i18n.current() == "vi"
    who = found["name"] + (f" ({found['company']})" if found["company"] else "")
    say(_("SPIN call with {who}. One answer per line; an empty line moves on.").format(who=who))
    from ..methodology import TYPE_BY_KEY

    kind = TYPE_BY_KEY.get(read().execute("SELECT type FROM prospect WHERE id = ?",
                                          (found["id"],)).fetchone()[0] or "")
    if kind:  # the methodology holds the tip in both languages
        say(_("Type: {type}: {tip}.").format(
            type=i18n.named(kind) if vi else f"{kind.name} ({kind.vietnamese})",
            tip=kind.tip_vi if vi and kind.tip_vi else kind.tip))

    def call_step(number: int) -> None:
        name, what = CALL_STEPS[number - 1]
        say(f"{number}. {dynamic(name)}: {dynamic(what)}.")

    call_step(1)
    call_step(2)
    notes: dict[str, list[str]] = {}
    for spin in SPIN_KINDS:
        if vi:
            label = spin.vietnamese[:1].upper() + spin.vietnamese[1:]
            say(f"   {label}: {dynamic(spin.hint)}")
            notes[spin.key] = lines(spin.vietnamese, spin.option)
        else:
            say(f"   {spin.label} ({spin.vietnamese}): {spin.hint}")
            notes[spin.key] = lines(spin.label.lower(), spin.option)
    call_step(3)
    call_step(4)
    keys = [o.key for o in OUTCOMES]
    for o in OUTCOMES:
        say(f"   {o.key}: {dynamic(o.meaning)}")
    while True:
        outcome = typer.prompt(_("Outcome ({keys})").format(keys="/".join(keys)),
                               err=True).strip().lower()
        if outcome in keys:
            break
        say("   " + _("please answer one of: {keys}").format(keys=", ".join(keys)))
    commitment = None
    needs = next(o for o in OUTCOMES if o.key == outcome).needs_commitment
    while True:
        commitment = typer.prompt(_("Commitment obtained") if needs
                                  else _("Commitment obtained (optional)"),
                                  default="", show_default=False, err=True).strip() or None
        if not fits("commitment", commitment):
            continue
        if commitment or not needs:
            break
        say("   " + _("an advance or an order needs the commitment the customer made"))
    while True:
        summary = typer.prompt(_("Summary (optional)"), default="", show_default=False,
                               err=True).strip() or None
        if fits("note", summary):
            break
    if next_ is None:
        while True:
            answer = typer.prompt(_("Next step, WHEN (optional; {when})").format(
                                      when=dynamic(dates.WHEN_HELP)),
                                  default="", show_default=False, err=True).strip()
            if not answer:
                break
            try:
                fields.next_date(dates.parse_when(answer))  # as log_touch will check it
                next_ = answer
                break
            except UsageError as exc:
                say(f"   {exc.message}")
    if minutes is None:
        while True:
            answer = typer.prompt(_("Minutes (optional)"), default="", show_default=False,
                                  err=True).strip()
            if not answer:
                break
            # ASCII digits only ("²".isdigit() is True, int("²") fails), and few of them
            if answer.isascii() and answer.isdigit() and len(answer) <= 4 \
                    and 1 <= int(answer) <= 24 * 60:
                minutes = int(answer)
                break
            say("   " + _("a whole number of minutes from 1 to 1440, please"))
    report = selling.CallReport(outcome=outcome, commitment=commitment, notes=notes,
                                summary=summary)
    return report, next_, minutes



# The levels of a judgement as the qualify sentence shows them in Vietnamese (with dynamic();
# methodology.LEVELS holds the keys, stored and typed), for the catalog. The call's steps,
# SPIN hints, outcomes and kinds of touch are marked in methodology.py.
if False:  # noqa: SIM108 - markers for scripts/messages.py, never run
    N_("yes"), N_("partial"), N_("no"), N_("unknown")
