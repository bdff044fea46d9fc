"""Qualification, touches and SPIN calls: the rules of the selling loop.

- A qualification judgement is kept for each criterion given, with its date; the current level
  is the latest (derive.py). A prospect with any "no" is disqualified.
- A touch never closes a planned step by itself: only `--done` (the earliest open step, or one
  by id) does; a note never does. The one exception is a step relcrm planned itself: the first
  contact an import planned closes with the first contact, and the touch says so. `--next`
  adds a step; `--with` makes one touch count for several people (a meeting with three people
  is one command).
- A SPIN call needs an outcome; an advance or an order needs the commitment obtained.
- Two or more continuations in a row without an advance or order mean a stalled sale.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import dates
from ..errors import UsageError
from ..i18n import _, dynamic
from ..methodology import (CRITERIA, LEVELS, NON_CONTACT_KINDS, OUTCOME_BY_KEY, OUTCOMES,
                           SPIN_KINDS, STALLED_AFTER, TOUCH_KINDS, qualification_status)
from . import derive, fields
from .prospects import resolve

if TYPE_CHECKING:
    from sqlmodel import Session

    from ..models import Deal, Prospect, Step, Touch


@dataclass
class Judged:
    prospect: "Prospect"
    status: str
    missing: list[str]


def qualify(session: "Session", ref: str, levels: dict[str, str | None],
            note: str | None = None) -> Judged:
    """Record a judgement of need/budget/authority (only those given)."""
    from ..models import Qualification

    given = {key: level for key, level in levels.items() if level is not None}
    if not given:
        raise UsageError(_("give at least one of --need, --budget, --authority "
                           "({levels})").format(levels="/".join(LEVELS)))
    for key, level in given.items():
        if key not in {c.key for c in CRITERIA} or level not in LEVELS:
            raise UsageError(_("--{key} must be one of {levels}, not {level!r}").format(
                key=key, levels=", ".join(LEVELS), level=level))
    note = fields.text("note", note)
    prospect = resolve(session, ref)
    stamp = dates.iso(dates.now())
    seq = derive.next_seq(session, prospect.id)
    for criterion in CRITERIA:  # stored in the methodology's order
        if criterion.key in given:
            session.add(Qualification(prospect_id=prospect.id, at=stamp,
                                      criterion=criterion.key, level=given[criterion.key],
                                      note=note, seq=seq))
    prospect = derive.refresh(session, prospect.id)
    status, missing = qualification_status({c.key: getattr(prospect, c.key) for c in CRITERIA},
                                           bool(prospect.customer))
    return Judged(prospect, status, missing)


@dataclass
class Logged:
    prospect: "Prospect"
    touch: "Touch"
    closed: list["Step"] = field(default_factory=list)  # steps closed with --done
    planned: "Step | None" = None  # the step --next added
    others: list["Prospect"] = field(default_factory=list)  # --with: the touch counts for them
    stalled: bool = False
    notes: list[str] = field(default_factory=list)  # for stderr (a step on a day off ...)
    won: "Deal | None" = None  # the deal an order won

    @property
    def satisfied(self) -> str | None:
        """The due date of the (first) step this touch closed."""
        return self.closed[0].due_at if self.closed else None


@dataclass
class CallReport:
    """What a seller says of a SPIN call."""

    outcome: str | None = None
    commitment: str | None = None
    notes: dict[str, list[str]] = field(default_factory=dict)  # SPIN kind -> texts
    summary: str | None = None


NEXT_OPEN = "next"  # --done without an id: the earliest open step involving the person


def log_touch(session: "Session", ref: str, kind: str, summary: str | None = None, *,
              at: dt.date | dt.datetime | None = None,
              next_at: dt.date | dt.datetime | None = None, next_step: str | None = None,
              minutes: int | None = None, call: CallReport | None = None,
              amount: str | None = None, done: str | None = None,
              with_refs: list[str] | None = None, deal: str | None = None,
              occasion: str | None = None) -> Logged:
    """Record a touch (or, with `call`, a SPIN sales call); close a step only when asked.

    `done` closes a step: NEXT_OPEN for the person's earliest open step, or a step id. Nothing
    else closes one: a touch never does by itself, a note never does. `next_at` adds a step.
    `with_refs` names the other people the touch was with: it counts as a touch with each.
    `amount` is the value of an order: a call with outcome order, or a logged touch that
    brought one (a purchase order by email ...). Orders are what `account candidates` ranks.
    An order wins a deal: `deal` (an id, or "none"), else the one open deal at their account
    (or theirs); with several, `deal` must say which (WhichDeal lists them).
    `occasion` (an important date's id) marks this year's date of theirs as greeted; it never
    touches a step.
    """
    from ..models import CallNote, Touch, TouchPerson
    from . import steps

    if kind not in TOUCH_KINDS:
        raise UsageError(_("unknown kind {kind!r}; use one of: {kinds}").format(
            kind=kind, kinds=", ".join(TOUCH_KINDS)))
    summary = fields.text("text", summary)
    when = fields.touch_time(at)
    next_iso = fields.next_date(next_at)
    next_step = fields.line("next step", next_step)
    if next_step and not next_iso:
        raise UsageError(_("--next-step needs --next WHEN (when is the next step?)"))
    minutes = fields.minutes(minutes)
    from .. import settings

    value = fields.amount(amount, "amount",
                          settings.get(derive.session_con(session), "currency")) or None
    outcome = commitment = None
    notes: list[tuple[str, str]] = []
    if call is not None:
        outcome, commitment = check_call(call)
        if value is not None and outcome != "order":
            raise UsageError(_("--amount is the value of an order; give it with --outcome "
                               "order"))
        summary = fields.text("note", call.summary) if call.summary is not None else summary
        for spin in SPIN_KINDS:
            for text in call.notes.get(spin.key, []):
                checked = fields.text(spin.option, text)
                if checked:
                    notes.append((spin.key, checked))
    if done is not None and kind in NON_CONTACT_KINDS:
        raise UsageError(_("a {kind} is not a contact, so it cannot close a step; log the "
                           "touch that did it, or close it with `relcrm step done ID`").format(
            kind=dynamic(kind)))

    prospect = resolve(session, ref)
    others = []
    for other_ref in with_refs or []:
        other = resolve(session, other_ref)
        if other.id == prospect.id:
            raise UsageError(_("--with {ref!r} is #{id} {name}, the person the touch is "
                               "logged for; name the others only").format(
                ref=other_ref, id=other.id, name=other.name))
        if other.id not in {o.id for o in others}:
            others.append(other)
    greeted = None
    if occasion is not None:
        from .care import check_occasion_touch

        greeted = check_occasion_touch(derive.session_con(session), prospect.id, occasion, kind)
    stamp = dates.iso(dates.now())
    touch = Touch(prospect_id=prospect.id, kind=kind, at=when, summary=summary,
                  occasion_id=greeted,
                  minutes=minutes, outcome=outcome, commitment=commitment, next_at=next_iso,
                  created_at=stamp, seq=derive.next_seq(session, prospect.id),
                  amount_milli=value.milli if value else None,
                  amount_currency=value.currency if value else None)
    session.add(touch)
    session.flush()
    for position, (spin_kind, text) in enumerate(notes):
        session.add(CallNote(touch_id=touch.id, kind=spin_kind, position=position, text=text))
    for other in others:
        session.add(TouchPerson(touch_id=touch.id, prospect_id=other.id))

    closed = []
    if done is not None:
        involved = {prospect.id} | {o.id for o in others}
        if done == NEXT_OPEN:
            candidates = steps.open_for(session, prospect.id)
            if not candidates:
                raise UsageError(_("--done: {name} has no open step to close").format(
                    name=prospect.name))
            step = candidates[0]
        else:
            step = steps.get(session, done)
            if not _involves(session, step, involved):
                raise UsageError((_("--done {done}: step #{id} is not with {name} or the "
                                    "people named with --with") if others
                                  else _("--done {done}: step #{id} is not with {name}")).format(
                    done=done, id=step.id, name=prospect.name))
        closed.append(steps.done(session, step.id, f"{kind} #{touch.id}"))
    if kind not in NON_CONTACT_KINDS:  # the first contact an import planned is now made
        from .derive import session_con
        from .steps import IMPORT_PLANNED

        for person in [prospect, *others]:
            if person.last_touch_at is not None:
                continue
            for (step_id,) in session_con(session).execute(
                    f"SELECT s.id FROM step s WHERE s.prospect_id = ? AND s.status = 'open' "
                    f"AND {IMPORT_PLANNED}", (person.id,)).fetchall():
                if step_id not in {c.id for c in closed}:
                    closed.append(steps.done(session, step_id,
                                             f"first contact made: {kind} #{touch.id}"))
    is_order = outcome == "order" or (outcome is None and value is not None)
    if deal is not None and not is_order:
        raise UsageError(_("--deal names the deal an order wins; give it with an order "
                           "(--outcome order, or --amount)"))
    won = None
    if is_order:
        won = _deal_won(session, prospect, deal, value, touch)
    planned = None
    notes_out: list[str] = []
    if next_iso:
        text = next_step or (commitment if outcome in ("advance", "order") else None)
        made = steps.add(session, "", next_at, text, prospect_id=prospect.id)
        planned, notes_out = made.step, made.notes
    prospect.updated_at = stamp
    prospect = derive.refresh(session, prospect.id)
    stalled = outcome == "continuation" and prospect.continuations >= STALLED_AFTER
    return Logged(prospect, session.get(Touch, touch.id), closed, planned,
                  [session.get(type(prospect), o.id) for o in others], stalled, notes_out,
                  won)


class WhichDeal(UsageError):
    """An order at an account with several open deals, and no --deal to say which it wins."""

    def __init__(self, message: str, deals: list) -> None:
        super().__init__(message)
        self.deals = deals


def _deal_won(session: "Session", person, wanted: str | None, value, touch):
    """The deal an order wins (see log_touch), won now with the order's amount."""
    from . import deals

    if wanted is not None and wanted.strip().lower() == "none":
        return None
    if wanted is not None:
        deal = deals.get(session, wanted)
        if deal.status != "open":
            raise UsageError(_("--deal {wanted}: deal #{id} is {status}, not open").format(
                wanted=wanted, id=deal.id, status=deal.status))
        if deal.id not in {d.id for d in deals.candidates_for_order(session, person)}:
            raise UsageError(_("--deal {wanted}: deal #{id} {title} is not with {name} or "
                               "their account").format(wanted=wanted, id=deal.id,
                                                       title=deal.title, name=person.name))
    else:
        open_deals = deals.candidates_for_order(session, person)
        if not open_deals:
            return None
        if len(open_deals) > 1:
            listed = ", ".join(f"#{d.id} {d.title}" for d in open_deals)
            raise WhichDeal(_("{name}'s account has {n} open deals ({listed}); say which one "
                              "this order wins with --deal ID (or --deal none)").format(
                name=person.name, n=len(open_deals), listed=listed), open_deals)
        deal = open_deals[0]
    touch.deal_id = deal.id
    amount = None
    if value:
        from ..money import text

        amount = f"{text(value)} {value.currency}"
    return deals.won(session, deal.id, amount, touch_id=touch.id)


def _involves(session: "Session", step: "Step", people: set[int]) -> bool:
    """Whether an open step involves any of the people (theirs, or their account's). A closed
    step passes, so that closing it again says it is closed already."""
    from . import steps

    if step.status != "open":
        return True
    return any(step.id in {s.id for s in steps.open_for(session, pid)} for pid in people)


def check_call(call: CallReport) -> tuple[str, str | None]:
    if not call.outcome:
        raise UsageError(_("a call needs --outcome: {outcomes}").format(
            outcomes=", ".join(o.key for o in OUTCOMES)))
    outcome = OUTCOME_BY_KEY.get(call.outcome)
    if outcome is None:
        raise UsageError(_("unknown outcome {outcome!r}; use one of: {outcomes}").format(
            outcome=call.outcome, outcomes=", ".join(o.key for o in OUTCOMES)))
    commitment = fields.text("commitment", call.commitment)
    if outcome.needs_commitment and not commitment:
        raise UsageError(_("an {outcome} needs --commitment: what did the customer commit "
                           "to? (a demonstration, a trial, a meeting with a decision-maker, "
                           "an order)").format(outcome=outcome.key))
    return outcome.key, commitment
