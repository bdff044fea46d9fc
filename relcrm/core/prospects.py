"""Prospects: create, find by REF, edit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import dates, queries
from ..errors import UsageError
from ..methodology import FIRST_STAGE
from ..text import fold
from . import accounts, derive, fields

if TYPE_CHECKING:
    from sqlmodel import Session

    from ..models import Prospect


@dataclass
class Details:
    """What a seller can say about a prospect (add and edit). None means "not given"."""

    name: str | None = None
    company: str | None = None
    title: str | None = None
    email: str | None = None
    phone: str | None = None
    url: str | None = None
    source: str | None = None
    value: str | None = None
    note: str | None = None
    next_at: dt.date | dt.datetime | None = None
    next_step: str | None = None
    clear_next: bool = False
    tags: list[str] = field(default_factory=list)
    untags: list[str] = field(default_factory=list)

    def validated(self) -> dict[str, Any]:
        """Column values for the fields given, checked; "" clears an optional field."""
        out: dict[str, Any] = {}
        if self.name is not None:
            out["name"] = fields.line("name", self.name, required=True)
        for key in ("company", "title", "source"):
            if getattr(self, key) is not None:
                out[key] = fields.line(key, getattr(self, key))
        if self.email is not None:
            out["email"] = fields.email(self.email)
        if self.phone is not None:
            out["phone"] = fields.phone(self.phone)
        if self.url is not None:
            out["url"] = fields.url(self.url)
        if self.value is not None:
            out["value"] = fields.amount(self.value)
        if self.note is not None:
            out["note"] = fields.text("note", self.note)
        if self.next_step is not None:
            out["next_step"] = fields.line("next step", self.next_step)
        if self.next_at is not None:
            out["next_at"] = fields.next_date(self.next_at)
        return out


def session_con(session: "Session"):
    """The sqlite3 connection under a session, to run read queries inside its transaction."""
    return session.connection().connection.dbapi_connection


def resolve(session: "Session", ref: str) -> "Prospect":
    """The prospect a REF names, loaded in the session (see queries.resolve for the rules)."""
    from ..models import Prospect

    found = queries.resolve(session_con(session), ref)
    return session.get(Prospect, found["id"])


def _keys(prospect: "Prospect") -> None:
    prospect.name_key = fold(prospect.name)
    prospect.company_key = fold(prospect.company) if prospect.company else None
    prospect.search_key = fold(" | ".join(
        v for v in (prospect.name, prospect.company, prospect.title, prospect.email,
                    prospect.phone, prospect.url, prospect.source, prospect.note) if v))


def create(session: "Session", details: Details) -> "Prospect":
    """A new prospect at stage 1 (Attract), due for first contact today unless --next says."""
    from ..models import Prospect, StageChange, Tag

    values = details.validated()
    if "name" not in values:
        values["name"] = fields.line("name", details.name, required=True)
    tags = sorted({fields.tag(t) for t in details.tags})
    stamp = dates.iso(dates.now())
    prospect = Prospect(**values, created_at=stamp, updated_at=stamp,
                        stage=FIRST_STAGE.key, stage_since=stamp, continuations=0,
                        name_key="", search_key="")
    if prospect.next_at:
        prospect.next_set_at = stamp
    elif prospect.next_step:
        raise UsageError("--next-step needs --next WHEN (when is the next step?)")
    accounts.link(session, prospect)
    _keys(prospect)
    session.add(prospect)
    session.flush()
    session.add(StageChange(prospect_id=prospect.id, at=stamp, from_stage=None,
                            to_stage=FIRST_STAGE.key, reason="added", seq=1))
    for name in tags:
        session.add(Tag(prospect_id=prospect.id, name=name))
    return derive.refresh(session, prospect.id)


def edit(session: "Session", ref: str, details: Details) -> "Prospect":
    """Change the given fields of a prospect; tags are added/removed, others replaced."""
    from sqlmodel import delete

    from ..models import Tag

    prospect = resolve(session, ref)
    values = details.validated()
    add = sorted({fields.tag(t) for t in details.tags})
    remove = sorted({fields.tag(t) for t in details.untags})
    if not values and not add and not remove and not details.clear_next:
        raise UsageError("nothing to change; give at least one field to edit "
                                "(see relcrm edit --help)")
    stamp = dates.iso(dates.now())
    if details.clear_next:
        values.update(next_at=None, next_step=None)
        prospect.next_set_at = None
    elif "next_at" in values:
        prospect.next_set_at = stamp
    elif "next_step" in values and not prospect.next_at:
        raise UsageError("--next-step needs a next step date; give --next WHEN too")
    before = prospect.account_id
    for key, value in values.items():
        setattr(prospect, key, value)
    if "company" in values:
        accounts.link(session, prospect)
    prospect.updated_at = stamp
    _keys(prospect)
    if remove:
        session.exec(delete(Tag).where(Tag.prospect_id == prospect.id, Tag.name.in_(remove)))
    existing = set(session.exec(_tag_names(prospect.id)).all())
    for name in add:
        if name not in existing:
            session.add(Tag(prospect_id=prospect.id, name=name))
    prospect = derive.refresh(session, prospect.id)
    if before is not None and before != prospect.account_id:
        derive.refresh_account(session, before)  # the account they left
    return prospect


def _tag_names(prospect_id: int):
    from sqlmodel import select

    from ..models import Tag

    return select(Tag.name).where(Tag.prospect_id == prospect_id)
