"""Steps: what the seller plans to do next, several at once, with a person or a whole account.

- A step is with one prospect, or with an account and the people it names (none named: the
  whole account). Its WHEN may carry a time of day: then it is an appointment.
- A step stays open until the seller closes it: `step done`, `step drop`, or `log`/`call` with
  `--done`. Nothing else closes a step: not another touch, not a note, not a new step.
- Every change is kept in step_change (added, moved, done, dropped; when and why), and the
  step keeps one uid for life, so a calendar updates its entry when it moves.
- A step keeps the date the seller chose; one on a day off is allowed and said (see notes).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import dates, queries
from ..errors import NotFound, UsageError
from ..i18n import _, dynamic
from ..methodology import DEFAULT_STEP_KIND, STEP_KINDS
from . import fields
from .derive import session_con

# the first-contact step an import plans for each new person (core/importing.py), and how to
# find one in SQL (step alias s): the first touch logged with that person closes it
FIRST_CONTACT = "first contact"
PLANNED_NOTE = "planned by the import"
IMPORT_PLANNED = (f"s.text = '{FIRST_CONTACT}' AND EXISTS (SELECT 1 FROM step_change c WHERE "
                  f"c.step_id = s.id AND c.action = 'added' AND c.note = '{PLANNED_NOTE}')")

if TYPE_CHECKING:
    from sqlmodel import Session

    from ..models import Step


@dataclass
class Planned:
    step: "Step"
    notes: list[str] = field(default_factory=list)  # things to say on stderr (days off ...)


def kind(value: str | None) -> str:
    value = (value or DEFAULT_STEP_KIND).strip().lower()
    if value not in STEP_KINDS:
        raise UsageError(_("unknown step kind {kind!r}; use one of: {kinds}").format(
            kind=value, kinds=", ".join(STEP_KINDS)))
    return value


def _when(value: dt.date | dt.datetime | None, new: bool = False) -> str:
    """A step's date (`new`: the new date of a step moved), today or later."""
    if value is None:
        raise UsageError(_("a step needs WHEN (e.g. fri, 2026-12-01 14:00, +2w)"))
    if dates.to_day(value) < dates.today():
        raise UsageError((_("the new date {when} is in the past; give today or a later date")
                          if new else
                          _("the step {when} is in the past; give today or a later date")
                          ).format(when=dates.show(value)))
    return dates.iso(value)


def _day_off_note(session: "Session", due: str) -> list[str]:
    from .. import workdays

    why = workdays.off_reason(session_con(session), dt.date.fromisoformat(due[:10]))
    if why is None:
        return []
    return [_("note: {day} is not a working day ({why}); the step keeps the date you "
              "chose").format(day=dates.show_day(due), why=why)]


def _new(session: "Session", *, prospect_id: int | None, account_id: int | None, what: str,
         due: str, text: str | None, minutes: int | None = None,
         created: str | None = None, note: str | None = None) -> "Step":
    from ..models import Step, StepChange

    stamp = created or dates.iso(dates.now())
    step = Step(prospect_id=prospect_id, account_id=account_id, kind=what, text=text,
                due_at=due, minutes=minutes, status="open", created_at=stamp,
                uid=uuid.uuid4().hex)
    session.add(step)
    session.flush()
    session.add(StepChange(step_id=step.id, at=stamp, action="added", to_due=due, note=note))
    return step


def add(session: "Session", ref: str, when: dt.date | dt.datetime | None, text: str | None, *,
        step_kind: str | None = None, minutes: int | None = None,
        prospect_id: int | None = None) -> Planned:
    """A step with one prospect (a REF, or `prospect_id` when already resolved)."""
    from .prospects import resolve

    what = kind(step_kind)
    due = _when(when)
    text = fields.line("step", text, required=prospect_id is None)
    minutes = fields.minutes(minutes)
    if prospect_id is None:
        prospect_id = resolve(session, ref).id
    step = _new(session, prospect_id=prospect_id, account_id=None, what=what, due=due,
                text=text, minutes=minutes)
    return Planned(step, _day_off_note(session, due))


def add_for_account(session: "Session", account_ref: str, when: dt.date | dt.datetime | None,
                    text: str | None, *, step_kind: str | None = None,
                    people: list[str] | None = None, minutes: int | None = None) -> Planned:
    """A step with an account, naming the people it involves (none: the whole account)."""
    from ..models import StepPerson
    from .accounts import resolve as resolve_account
    from .prospects import resolve

    what = kind(step_kind)
    due = _when(when)
    text = fields.line("step", text, required=True)
    minutes = fields.minutes(minutes)
    account = resolve_account(session, account_ref)
    named = []
    for ref in people or []:
        person = resolve(session, ref)
        if person.account_id != account.id:
            raise UsageError((_("--with {ref!r} is #{id} {name}, at {company}, not at "
                                "{account}; name people of {account} only") if person.company
                              else _("--with {ref!r} is #{id} {name}, at no account, not at "
                                     "{account}; name people of {account} only")).format(
                ref=ref, id=person.id, name=person.name, company=person.company,
                account=account.name))
        if person.id not in named:
            named.append(person.id)
    step = _new(session, prospect_id=None, account_id=account.id, what=what, due=due,
                text=text, minutes=minutes)
    for person_id in named:
        session.add(StepPerson(step_id=step.id, prospect_id=person_id))
    session.flush()
    return Planned(step, _day_off_note(session, due))


def get(session: "Session", step_id: int | str) -> "Step":
    from ..models import Step

    text = str(step_id).strip().lstrip("#")
    if not text.isdigit() or int(text) > queries.MAX_ID:
        raise NotFound(_("no step with id {id}").format(id=step_id))
    step = session.get(Step, int(text))
    if step is None:
        raise NotFound(_("no step with id {id}; see them with `relcrm step list`").format(
            id=text))
    return step


def _open(session: "Session", step_id: int | str, doing: str) -> "Step":
    step = get(session, step_id)
    if step.status != "open":
        said = {  # (status, what is asked): one sentence each
            ("done", "done"): _("step #{id} is done already (since {when}); it cannot be done"),
            ("done", "dropped"): _("step #{id} is done already (since {when}); it cannot be "
                                   "dropped"),
            ("done", "moved"): _("step #{id} is done already (since {when}); it cannot be "
                                 "moved"),
            ("dropped", "done"): _("step #{id} is dropped already (since {when}); it cannot "
                                   "be done"),
            ("dropped", "dropped"): _("step #{id} is dropped already (since {when}); it "
                                      "cannot be dropped"),
            ("dropped", "moved"): _("step #{id} is dropped already (since {when}); it cannot "
                                    "be moved"),
        }
        message = said.get((step.status, doing)) or _(
            "step #{id} is {status} already (since {when}); it cannot be {doing}")
        raise UsageError(message.format(id=step.id, when=dates.show(step.closed_at),
                                        status=step.status, doing=doing))
    return step


def _close(session: "Session", step: "Step", status: str, note: str | None,
           at: dt.datetime | None = None) -> "Step":
    from ..models import StepChange

    stamp = dates.iso(at or dates.now())
    step.status, step.closed_at, step.note = status, stamp, note
    session.add(StepChange(step_id=step.id, at=stamp, action=status, from_due=step.due_at,
                           note=note))
    session.flush()
    return step


def done(session: "Session", step_id: int | str, note: str | None = None,
         at: dt.datetime | None = None) -> "Step":
    """Close a step as done, now (or `at`: when it was done, as a phone's to-do says)."""
    return _close(session, _open(session, step_id, "done"), "done", fields.text("note", note),
                  at)


def drop(session: "Session", step_id: int | str, reason: str | None = None) -> "Step":
    return _close(session, _open(session, step_id, "dropped"), "dropped",
                  fields.text("reason", reason))


def move(session: "Session", step_id: int | str, when: dt.date | dt.datetime | None,
         note: str | None = None) -> Planned:
    from ..models import StepChange

    step = _open(session, step_id, "moved")
    due = _when(when, new=True)
    if due == step.due_at:
        raise UsageError(_("step #{id} is already on {when}").format(id=step.id,
                                                                      when=dates.show(due)))
    stamp = dates.iso(dates.now())
    session.add(StepChange(step_id=step.id, at=stamp, action="moved", from_due=step.due_at,
                           to_due=due, note=fields.text("note", note)))
    step.due_at = due
    session.flush()
    return Planned(step, _day_off_note(session, due))


def open_for(session: "Session", prospect_id: int) -> list["Step"]:
    """The open steps involving a prospect (their own, and their account's that name them or
    nobody), earliest first."""
    from ..models import Step

    ids = [row[0] for row in session_con(session).execute(
        queries.STEPS_INVOLVING_SQL + " ORDER BY due_at, id", {"id": prospect_id})]
    return [session.get(Step, i) for i in ids]


def drop_open(session: "Session", prospect_id: int, reason: str) -> list["Step"]:
    """Drop the prospect's own open steps (edit --no-next); returns them."""
    from sqlmodel import select

    from ..models import Step

    found = session.exec(select(Step).where(Step.prospect_id == prospect_id,
                                            Step.status == "open")).all()
    return [_close(session, step, "dropped", reason) for step in found]


def describe(step: "Step") -> str:
    """'Fri 2026-11-27 14:00 meeting: demo at their plant' (#id not included)."""
    what = step.text or _("next step")
    return f"{dates.show(step.due_at)} {dynamic(step.kind)}: {what}"
