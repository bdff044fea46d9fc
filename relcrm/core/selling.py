"""Qualification, touches and SPIN calls: the rules of the selling loop.

- A qualification judgement is kept for each criterion given, with its date; the current level
  is the latest (derive.py). A prospect with any "no" is disqualified.
- A contact (any touch but a note) logged at or after the time a next step was scheduled
  satisfies that step; without a new --next, the next follow-up falls back to the cadence.
- A SPIN call needs an outcome; an advance or an order needs the commitment obtained.
- Two or more continuations in a row without an advance or order mean a stalled sale.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import dates
from ..errors import UsageError
from ..methodology import (CRITERIA, LEVELS, NON_CONTACT_KINDS, OUTCOME_BY_KEY, OUTCOMES,
                           SPIN_KINDS, STALLED_AFTER, TOUCH_KINDS, qualification_status)
from . import derive, fields
from .prospects import resolve

if TYPE_CHECKING:
    from sqlmodel import Session

    from ..models import Prospect, Touch


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
        raise UsageError("give at least one of --need, --budget, --authority "
                         f"({'/'.join(LEVELS)})")
    for key, level in given.items():
        if key not in {c.key for c in CRITERIA} or level not in LEVELS:
            raise UsageError(f"--{key} must be one of {', '.join(LEVELS)}, not {level!r}")
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
    status, missing = qualification_status({c.key: getattr(prospect, c.key) for c in CRITERIA})
    return Judged(prospect, status, missing)


@dataclass
class Logged:
    prospect: "Prospect"
    touch: "Touch"
    satisfied: str | None = None  # the next step this touch satisfied, shown as a date
    stalled: bool = False


@dataclass
class CallReport:
    """What a seller says of a SPIN call."""

    outcome: str | None = None
    commitment: str | None = None
    notes: dict[str, list[str]] = field(default_factory=dict)  # SPIN kind -> texts
    summary: str | None = None


def log_touch(session: "Session", ref: str, kind: str, summary: str | None = None, *,
              at: dt.date | dt.datetime | None = None,
              next_at: dt.date | dt.datetime | None = None, next_step: str | None = None,
              minutes: int | None = None, call: CallReport | None = None,
              amount: str | None = None) -> Logged:
    """Record a touch (or, with `call`, a SPIN sales call) and reschedule the follow-up.

    `amount` is the value of an order: a call with outcome order, or a logged touch that
    brought one (a purchase order by email ...). Orders are what `account candidates` ranks.
    """
    from ..models import CallNote, Touch

    if kind not in TOUCH_KINDS:
        raise UsageError(f"unknown kind {kind!r}; use one of: {', '.join(TOUCH_KINDS)}")
    summary = fields.text("text", summary)
    when = fields.touch_time(at)
    next_iso = fields.next_date(next_at)
    next_step = fields.line("next step", next_step)
    if next_step and not next_iso:
        raise UsageError("--next-step needs --next WHEN (when is the next step?)")
    minutes = fields.minutes(minutes)
    value = fields.amount(amount, "amount")
    outcome = commitment = None
    notes: list[tuple[str, str]] = []
    if call is not None:
        outcome, commitment = _check_call(call)
        if value is not None and outcome != "order":
            raise UsageError("--amount is the value of an order; give it with --outcome order")
        summary = fields.text("note", call.summary) if call.summary is not None else summary
        for spin in SPIN_KINDS:
            for text in call.notes.get(spin.key, []):
                checked = fields.text(spin.option, text)
                if checked:
                    notes.append((spin.key, checked))

    prospect = resolve(session, ref)
    stamp = dates.iso(dates.now())
    touch = Touch(prospect_id=prospect.id, kind=kind, at=when, summary=summary,
                  minutes=minutes, outcome=outcome, commitment=commitment, next_at=next_iso,
                  created_at=stamp, seq=derive.next_seq(session, prospect.id), amount=value)
    session.add(touch)
    session.flush()
    for position, (spin_kind, text) in enumerate(notes):
        session.add(CallNote(touch_id=touch.id, kind=spin_kind, position=position, text=text))

    satisfied = None
    is_contact = kind not in NON_CONTACT_KINDS
    if (is_contact and prospect.next_at and prospect.next_set_at
            and when >= prospect.next_set_at):
        satisfied = prospect.next_at
        prospect.next_at = prospect.next_step = prospect.next_set_at = None
    if next_iso:
        prospect.next_at = next_iso
        prospect.next_step = next_step or (commitment if outcome in ("advance", "order")
                                           else None)
        prospect.next_set_at = stamp
    prospect.updated_at = stamp
    prospect = derive.refresh(session, prospect.id)
    stalled = outcome == "continuation" and prospect.continuations >= STALLED_AFTER
    return Logged(prospect, touch, satisfied, stalled)


def _check_call(call: CallReport) -> tuple[str, str | None]:
    if not call.outcome:
        raise UsageError("a call needs --outcome: " + ", ".join(o.key for o in OUTCOMES))
    outcome = OUTCOME_BY_KEY.get(call.outcome)
    if outcome is None:
        raise UsageError(f"unknown outcome {call.outcome!r}; use one of: "
                         + ", ".join(o.key for o in OUTCOMES))
    commitment = fields.text("commitment", call.commitment)
    if outcome.needs_commitment and not commitment:
        raise UsageError(f"an {outcome.key} needs --commitment: what did the customer commit "
                         "to? (a demonstration, a trial, a meeting with a decision-maker, "
                         "an order)")
    return outcome.key, commitment
