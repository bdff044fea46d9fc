"""Fixing a touch that was logged wrong: its text, time, kind, length, person; a call's SPIN
notes and outcome; or deleting it. The derived values of everyone involved follow by
themselves (a touch moved to the right person moves their last touch with it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import queries
from ..errors import NotFound, UsageError
from ..i18n import _
from ..methodology import SPIN_KINDS, TOUCH_KINDS
from . import fields
from .derive import next_seq

if TYPE_CHECKING:
    from sqlmodel import Session

    from ..models import Touch


def get(session: "Session", touch_id: int | str, *, call: bool = False) -> "Touch":
    from ..models import Touch

    text = str(touch_id).strip().lstrip("#")
    if not text.isdigit() or int(text) > queries.MAX_ID:
        raise NotFound((_("no call with id {id}") if call
                        else _("no touch with id {id}")).format(id=touch_id))
    touch = session.get(Touch, int(text))
    if touch is None or (call and touch.outcome is None):
        raise NotFound((_("no call with id {id}; the ids are in `relcrm show REF` and in what "
                          "log and call print") if call
                        else _("no touch with id {id}; the ids are in `relcrm show REF` and in "
                               "what log and call print")).format(id=text))
    return touch


@dataclass
class Fix:
    text: str | None = None
    at: dt.date | dt.datetime | None = None
    kind: str | None = None
    minutes: int | None = None
    prospect: str | None = None
    outcome: str | None = None
    commitment: str | None = None
    amount: str | None = None  # the value of the order it brought ("" clears it)
    notes: dict[str, list[str]] = field(default_factory=dict)  # SPIN kind -> new texts


@dataclass
class Fixed:
    touch: "Touch"
    changed: list[str]
    moved_from: tuple[int, str] | None = None  # (prospect id, name) when it changed person


def edit(session: "Session", touch_id: int | str, fix: Fix, *, call: bool = False) -> Fixed:
    """Change a touch (or, with `call`, a call: also its SPIN notes, outcome, commitment)."""
    from ..models import CallNote, Prospect
    from .prospects import resolve
    from .selling import CallReport, check_call

    touch = get(session, touch_id, call=call)
    changed = []
    if fix.text is not None:
        touch.summary = fields.text("text", fix.text)
        changed.append("text")
    if fix.at is not None:
        touch.at = fields.touch_time(fix.at)
        changed.append("time")
    if fix.kind is not None:
        kind = fix.kind.strip().lower()
        if kind not in TOUCH_KINDS:
            raise UsageError(_("unknown kind {kind!r}; use one of: {kinds}").format(
                kind=fix.kind, kinds=", ".join(TOUCH_KINDS)))
        if touch.outcome is not None and kind != "call":
            raise UsageError(_("touch #{id} is a SPIN call (outcome {outcome}); a call stays "
                               "a call: delete it and log the touch again instead").format(
                id=touch.id, outcome=touch.outcome))
        touch.kind = kind
        changed.append("kind")
    if fix.minutes is not None:
        touch.minutes = fields.minutes(fix.minutes)
        changed.append("minutes")
    if call and (fix.outcome is not None or fix.commitment is not None):
        outcome, commitment = check_call(CallReport(
            outcome=fix.outcome or touch.outcome,
            commitment=fix.commitment if fix.commitment is not None else touch.commitment))
        if touch.amount_milli is not None and outcome != "order" and not (
                fix.amount is not None and not fix.amount.strip()):
            raise UsageError(_("call #{id} records an order of an amount; clear it with "
                               "--amount \"\" to change the outcome").format(id=touch.id))
        touch.outcome, touch.commitment = outcome, commitment
        changed.append("outcome")
    if fix.amount is not None:
        from .. import settings
        from .derive import session_con

        value = fields.amount(fix.amount, "amount", settings.get(session_con(session),
                                                                 "currency"))
        if value and touch.outcome is not None and touch.outcome != "order":
            raise UsageError(_("call #{id} has outcome {outcome}; an amount is the value of "
                               "an order (give --outcome order with it)").format(
                id=touch.id, outcome=touch.outcome))
        touch.amount_milli = value.milli if value else None
        touch.amount_currency = value.currency if value else None
        changed.append("amount")
    if call and fix.notes:
        from sqlmodel import delete, func, select

        for spin in SPIN_KINDS:
            if spin.key not in fix.notes:
                continue
            session.exec(delete(CallNote).where(CallNote.touch_id == touch.id,
                                                CallNote.kind == spin.key))
            session.flush()
            start = session.exec(select(func.coalesce(func.max(CallNote.position), -1)).where(
                CallNote.touch_id == touch.id)).one() + 1
            for position, text in enumerate(fix.notes[spin.key], start):
                checked = fields.text(spin.option, text)
                if checked:
                    session.add(CallNote(touch_id=touch.id, kind=spin.key,
                                         position=position, text=checked))
            changed.append(spin.label.lower())
    moved_from = None
    if fix.prospect is not None:
        person = resolve(session, fix.prospect)
        if person.id != touch.prospect_id:
            before = session.get(Prospect, touch.prospect_id)
            moved_from = (before.id, before.name)
            from sqlalchemy import text as sql

            session.execute(sql("DELETE FROM touch_person WHERE touch_id = :t AND "
                                "prospect_id = :p"), {"t": touch.id, "p": person.id})
            touch.prospect_id = person.id
            touch.seq = next_seq(session, person.id)
            changed.append("person")
    if not changed:
        raise UsageError(_("nothing to change; give --text, --at, --kind, --minutes, --amount "
                           "or --prospect (or --outcome, --commitment, SPIN notes)") if call
                         else _("nothing to change; give --text, --at, --kind, --minutes, "
                                "--amount or --prospect"))
    session.flush()
    return Fixed(touch, changed, moved_from)


def delete(session: "Session", touch_id: int | str) -> tuple[int, str, str]:
    """Remove a touch (its SPIN notes and the people it was with go with it); returns
    (id, kind, the prospect's name)."""
    from ..models import Prospect

    touch = get(session, touch_id)
    person = session.get(Prospect, touch.prospect_id)
    found = (touch.id, touch.kind, person.name)
    session.delete(touch)
    session.flush()
    return found
