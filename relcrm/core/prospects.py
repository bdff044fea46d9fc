"""Prospects: create, find by REF, edit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import dates, queries
from ..errors import UsageError
from ..i18n import _
from ..methodology import FIRST_STAGE
from ..text import fold
from . import accounts, derive, fields

if TYPE_CHECKING:
    import sqlite3

    from sqlmodel import Session

    from ..models import Prospect


@dataclass
class Details:
    """What a seller can say about a prospect (add and edit). None means "not given"."""

    name: str | None = None
    company: str | None = None
    title: str | None = None
    email: list[str] | str | None = None  # emails to add (edit adds; --drop-email removes)
    phone: list[str] | str | None = None  # phones to add
    url: str | None = None
    source: str | None = None
    value: str | None = None
    note: str | None = None
    next_at: dt.date | dt.datetime | None = None
    next_step: str | None = None
    clear_next: bool = False
    cadence: str | None = None  # days, or "stage" for the stage's again
    type: str | None = None  # a customer type (methodology.CUSTOMER_TYPES); "" clears it
    tags: list[str] = field(default_factory=list)
    untags: list[str] = field(default_factory=list)
    drop_emails: list[str] = field(default_factory=list)
    drop_phones: list[str] = field(default_factory=list)
    allow_duplicate: bool = False

    def contacts(self, region: str = "VN") -> dict[str, list[tuple[str, str]]]:
        """The emails and phones given, checked: (as typed, key) by kind."""
        def listed(value: list[str] | str | None) -> list[str]:
            return [value] if isinstance(value, str) else list(value or [])
        return {"email": fields.emails(listed(self.email)),
                "phone": fields.phones(listed(self.phone), region)}

    def validated(self, currency: str = "VND") -> dict[str, Any]:
        """Column values for the fields given, checked; "" clears an optional field. (Emails
        and phones are not columns: see contacts.)"""
        out: dict[str, Any] = {}
        if self.name is not None:
            out["name"] = fields.line("name", self.name, required=True)
        for key in ("company", "title", "source"):
            if getattr(self, key) is not None:
                out[key] = fields.line(key, getattr(self, key))
        if self.url is not None:
            from ..identity import url_key

            out["url"] = fields.url(self.url)
            out["url_key"] = url_key(out["url"]) if out["url"] else None
        if self.value is not None:  # not a column: the value of their open deal (deals.py)
            out["value"] = fields.amount(self.value, "value", currency) or None
        if self.note is not None:
            out["note"] = fields.text("note", self.note)
        if self.cadence is not None:
            out["cadence_days"] = fields.cadence(self.cadence)
        if self.type is not None:
            from ..methodology import resolve_type

            out["type"] = resolve_type(self.type).key if self.type.strip() else None
        return out

    def step(self) -> tuple[str | None, str | None]:
        """The next step asked for (--next, --next-step), checked: (due, text)."""
        return (fields.next_date(self.next_at) if self.next_at is not None else None,
                fields.line("next step", self.next_step))


def session_con(session: "Session"):
    """The sqlite3 connection under a session, to run read queries inside its transaction."""
    return derive.session_con(session)


def resolve(session: "Session", ref: str) -> "Prospect":
    """The prospect a REF names, loaded in the session (see queries.resolve for the rules)."""
    from ..models import Prospect

    found = queries.resolve(session_con(session), ref)
    return session.get(Prospect, found["id"])


def _keys(prospect: "Prospect") -> None:
    prospect.name_key = fold(prospect.name)
    prospect.company_key = fold(prospect.company) if prospect.company else None
    prospect.search_key = search_key(vars(prospect))


def search_key(values: dict[str, Any]) -> str:
    """What `list --search` reads besides tags, emails and phones (those are searched in
    their own tables)."""
    return fold(" | ".join(str(values[k]) for k in ("name", "company", "title", "url", "source",
                                                      "note") if values.get(k)))


def book_settings(session: "Session") -> tuple[str, str]:
    """The book's currency and phone region (config currency, config region)."""
    from .. import settings

    con = session_con(session)
    return settings.get(con, "currency"), settings.get(con, "region")


class Duplicate(UsageError):
    """`add` of someone already in the book (exit 2)."""


def create(session: "Session", details: Details, notes: list[str] | None = None
           ) -> "Prospect":
    """A new prospect at stage 1 (Attract), due for first contact today unless --next says.
    Things to say on stderr (a step on a day off) are added to `notes`."""
    from ..models import Prospect, StageChange, Tag
    from . import steps

    currency, region = book_settings(session)
    values = details.validated(currency)
    amount = values.pop("value", None)
    if "name" not in values:
        values["name"] = fields.line("name", details.name, required=True)
    contacts = details.contacts(region)
    due, text = details.step()
    if not details.allow_duplicate:
        from . import duplicates

        who = duplicates.of_values(values["name"], values.get("company"),
                                   [k for _, k in contacts["email"]],
                                   [k for _, k in contacts["phone"]], values.get("url"))
        found = duplicates.find(session_con(session), who)
        if found:
            pid, name, how = found
            raise Duplicate(_("#{id} {name} looks like the same person (same {how}); add "
                              "them anyway with --allow-duplicate, or update #{id} with "
                              "relcrm edit {id}").format(id=pid, name=name,
                                                         how=duplicates.shown(how)))
    if text and not due:
        raise UsageError(_("--next-step needs --next WHEN (when is the next step?)"))
    tags = sorted({fields.tag(t) for t in details.tags})
    stamp = dates.iso(dates.now())
    values["id"] = next_prospect_id(session_con(session))
    prospect = Prospect(**values, created_at=stamp, updated_at=stamp,
                        stage=FIRST_STAGE.key, stage_since=stamp, continuations=0,
                        name_key="", search_key="")
    accounts.link(session, prospect)
    _keys(prospect)
    session.add(prospect)
    session.flush()
    from . import contacts as contact_rows

    for kind, items in contacts.items():
        contact_rows.add(session_con(session), prospect.id, kind, items)
    if amount:
        from . import deals

        deals.for_person(session, prospect, None, amount)
    session.add(StageChange(prospect_id=prospect.id, at=stamp, from_stage=None,
                            to_stage=FIRST_STAGE.key, reason="added", seq=1))
    for name in tags:
        session.add(Tag(prospect_id=prospect.id, name=name))
    if due:
        planned = steps.add(session, "", details.next_at, text, prospect_id=prospect.id)
        if notes is not None:
            notes.extend(planned.notes)
    return derive.refresh(session, prospect.id)


@dataclass
class Edited:
    prospect: "Prospect"
    dropped: list  # steps dropped by --no-next
    planned: object | None  # the step --next added
    notes: list[str] = field(default_factory=list)  # for stderr (a step on a day off)


def edit(session: "Session", ref: str, details: Details) -> "Prospect":
    return edit_more(session, ref, details).prospect


def edit_more(session: "Session", ref: str, details: Details) -> Edited:
    """Change the given fields of a prospect; tags are added/removed, others replaced.
    --next adds a step; --next-step alone renames their earliest own open step; --no-next
    drops their own open steps (each is kept in the step's history)."""
    from sqlmodel import delete

    from ..models import Tag
    from . import steps

    prospect = resolve(session, ref)
    currency, region = book_settings(session)
    values = details.validated(currency)
    value_given, amount = "value" in values, values.pop("value", None)
    contacts = details.contacts(region)
    due, text = details.step()
    add = sorted({fields.tag(t) for t in details.tags})
    remove = sorted({fields.tag(t) for t in details.untags})
    if not values and not value_given and not add and not remove and not details.clear_next \
            and due is None \
            and text is None and details.next_step is None and not any(contacts.values()) \
            and not details.drop_emails and not details.drop_phones:
        raise UsageError(_("nothing to change; give at least one field to edit "
                           "(see relcrm edit --help)"))
    stamp = dates.iso(dates.now())
    dropped, planned, notes = [], None, []
    if details.clear_next:
        dropped = steps.drop_open(session, prospect.id, "edit --no-next")
    elif due is not None:
        made = steps.add(session, "", details.next_at, text, prospect_id=prospect.id)
        planned, notes = made.step, made.notes
    elif details.next_step is not None:
        own = [s for s in steps.open_for(session, prospect.id) if s.prospect_id == prospect.id]
        if not own:
            raise UsageError(_("--next-step needs a next step to name; give --next WHEN "
                               "too"))
        own[0].text = text
    from . import contacts as contact_rows

    con = session_con(session)
    session.flush()  # the contact rows are written with plain SQL, beside the session's
    contact_rows.drop(con, prospect.id, "email", details.drop_emails, region)
    contact_rows.drop(con, prospect.id, "phone", details.drop_phones, region)
    for kind, items in contacts.items():
        contact_rows.add(con, prospect.id, kind, items)
    prospect.updated_at = stamp  # before the note: the note's time is the edit's
    for key, value in values.items():
        setattr(prospect, key, value)
    if "company" in values:
        accounts.link(session, prospect)
    if value_given:
        from . import deals

        session.flush()
        deals.set_person_value(session, prospect, amount)
    prospect.updated_at = stamp
    _keys(prospect)
    if remove:
        session.exec(delete(Tag).where(Tag.prospect_id == prospect.id, Tag.name.in_(remove)))
    existing = set(session.exec(_tag_names(prospect.id)).all())
    for name in add:
        if name not in existing:
            session.add(Tag(prospect_id=prospect.id, name=name))
    return Edited(derive.refresh(session, prospect.id), dropped, planned, notes)


@dataclass
class Snoozed:
    prospect: "Prospect"
    moved: list  # steps due before the snooze date, moved to it
    notes: list[str] = field(default_factory=list)


def snooze(session: "Session", ref: str, until: dt.date | dt.datetime | None,
           reason: str | None = None) -> Snoozed:
    """Out of followups until `until`: a step of theirs due before then moves there too (each
    move kept in its history); back on that day with the reason."""
    from . import steps

    if until is None:
        raise UsageError(_("snooze needs WHEN (e.g. +2w, 2027-01-15)"))
    day = dates.to_day(until)
    if day <= dates.today():
        raise UsageError(_("snooze until {day}: give a later date than today").format(
            day=dates.show_day(day)))
    reason = fields.text("reason", reason)
    prospect = resolve(session, ref)
    moved, notes = [], []
    for step in steps.open_for(session, prospect.id):
        if step.prospect_id == prospect.id and step.due_at[:10] < day.isoformat():
            target = day if len(step.due_at) == 10 else dt.datetime.combine(
                day, dt.time.fromisoformat(step.due_at[11:]))
            made = steps.move(session, step.id, target, note="snoozed")
            moved.append(made.step)
            notes = made.notes  # the same day for all: said once
    if not moved:
        from .. import workdays

        why = workdays.off_reason(derive.session_con(session), day)
        if why:
            notes = [_("note: {day} is not a working day ({why}); they come back that day "
                       "as you chose").format(day=dates.show_day(day), why=why)]
    prospect.snoozed_until, prospect.snooze_reason = day.isoformat(), reason
    prospect.updated_at = dates.iso(dates.now())
    return Snoozed(derive.refresh(session, prospect.id), moved, notes)


def _tag_names(prospect_id: int):
    from sqlmodel import select

    from ..models import Tag

    return select(Tag.name).where(Tag.prospect_id == prospect_id)


def largest_prospect_id(con: sqlite3.Connection) -> int:
    """The largest id in use by a person, or that a merged person had (of those the caller
    may read, on a team database)."""
    return max(con.execute("SELECT coalesce(max(id), 0) FROM prospect").fetchone()[0],
               con.execute("SELECT coalesce(max(id), 0) FROM prospect_alias").fetchone()[0])


def next_prospect_id(con: sqlite3.Connection) -> int | None:
    """A new prospect's id: after every id in use, and every id a merged person had (an old id
    stays theirs: `show OLDID` shows who they became). None on a team database, where the
    database gives it (old ids draw from the same sequence there)."""
    from ..db import on_team

    return None if on_team(con) else largest_prospect_id(con) + 1
