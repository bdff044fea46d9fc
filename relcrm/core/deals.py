"""Deals (thương vụ): one sale in progress with an account, from first quote to won or lost.

A deal's stage is where the *customer* is in their buying process (methodology.BUYING_STAGES,
seed 004's decision process), not what the seller did. Its value is money in its own currency
(money.Amount, stored exactly); won, it keeps the amount it was won for; lost, the reason
(methodology.LOST_REASONS). Every change is kept in `deal_change`, like a relationship's stage
history. A person's `value` is the sum of their open deals (derive.py), and a won deal makes
them and their account customers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import dates, queries
from ..errors import NotFound, UsageError
from ..i18n import _, current, named
from ..methodology import (BUY_CLASSES, BUYING_BY_KEY, FIRST_BUYING, LOST_BY_KEY,
                           resolve_buying, resolve_lost_reason)
from . import fields
from .derive import session_con

if TYPE_CHECKING:
    from sqlmodel import Session

    from ..models import Deal, Prospect


def _currency(session: "Session") -> str:
    from .. import settings

    return settings.get(session_con(session), "currency")


def get(session: "Session", deal_id: int | str) -> "Deal":
    from ..models import Deal

    text = str(deal_id).strip().lstrip("#")
    if not text.isdigit() or int(text) > queries.MAX_ID:
        raise NotFound(_("no deal with id {id}; see them with relcrm deal list")
                       .format(id=deal_id))
    deal = session.get(Deal, int(text))
    if deal is None:
        raise NotFound(_("no deal with id {id}; see them with relcrm deal list").format(id=text))
    return deal


def _change(session: "Session", deal: "Deal", action: str, *, to_stage: str | None = None,
            from_stage: str | None = None, reason: str | None = None, note: str | None = None,
            amount=None) -> None:
    from ..models import DealChange

    session.add(DealChange(deal_id=deal.id, at=dates.iso(dates.now()), action=action,
                           from_stage=from_stage, to_stage=to_stage, reason=reason, note=note,
                           amount_milli=amount.milli if amount else None,
                           currency=amount.currency if amount else None))


def _buy_class(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    from ..text import fold

    wanted = fold(value).replace(" ", "-")
    for key, name, vietnamese in BUY_CLASSES:
        if wanted in (key, fold(name).replace(" ", "-"), fold(vietnamese).replace(" ", "-")):
            return key
    raise UsageError(_("unknown buy class {value!r}; use one of: {classes}")
                     .format(value=value, classes=", ".join(c[0] for c in BUY_CLASSES)))


def _close_day(when: dt.date | dt.datetime | None) -> str | None:
    return dates.to_day(when).isoformat() if when is not None else None


@dataclass
class Opened:
    deal: "Deal"
    people: list["Prospect"] = field(default_factory=list)


def add(session: "Session", account_ref: str, title: str, *, value: str | None = None,
        close: dt.date | dt.datetime | None = None, buy_class: str | None = None,
        with_refs: list[str] | None = None, stage: str | None = None,
        note: str | None = None) -> Opened:
    """Open a deal with an account (and the people involved)."""
    from ..models import Deal, DealPerson
    from . import accounts, prospects

    title = fields.line("title", title, required=True)
    amount = fields.amount(value, "value", _currency(session)) or None
    kind = _buy_class(buy_class)
    where = resolve_buying(stage) if stage else FIRST_BUYING
    note = fields.text("note", note)
    account = accounts.resolve(session, account_ref)
    people = []
    for ref in with_refs or []:
        person = prospects.resolve(session, ref)
        if person.id not in {p.id for p in people}:
            people.append(person)
    stamp = dates.iso(dates.now())
    deal = Deal(account_id=account.id, title=title, stage=where.key, status="open",
                value_milli=amount.milli if amount else None,
                currency=amount.currency if amount else None, close_on=_close_day(close),
                buy_class=kind or account.buy_class, note=note, created_at=stamp,
                updated_at=stamp)
    session.add(deal)
    session.flush()
    for person in people:
        session.add(DealPerson(deal_id=deal.id, prospect_id=person.id))
    _change(session, deal, "opened", to_stage=where.key, amount=amount)
    session.flush()
    return Opened(deal, people)


def for_person(session: "Session", person: "Prospect", title: str | None, amount) -> "Deal":
    """A new open deal with one person, at their account (add --value, an import's value)."""
    from ..models import Deal, DealPerson

    stamp = dates.iso(dates.now())
    deal = Deal(account_id=person.account_id, title=title or f"Deal with {person.name}",
                stage=FIRST_BUYING.key, status="open", value_milli=amount.milli,
                currency=amount.currency, created_at=stamp, updated_at=stamp)
    session.add(deal)
    session.flush()
    session.add(DealPerson(deal_id=deal.id, prospect_id=person.id))
    _change(session, deal, "opened", to_stage=deal.stage, amount=amount,
            reason="the value given for them")
    session.flush()
    return deal


def open_deals_of(session: "Session", prospect_id: int) -> list["Deal"]:
    """The open deals a person is in."""
    from sqlmodel import select

    from ..models import Deal, DealPerson

    return list(session.exec(select(Deal).join(DealPerson, DealPerson.deal_id == Deal.id).where(
        DealPerson.prospect_id == prospect_id, Deal.status == "open").order_by(Deal.id)).all())


def set_person_value(session: "Session", person: "Prospect", amount) -> str:
    """`edit --value`: the value of their one open deal (a new deal when they have none; ""
    clears it). Several open deals: refused, naming them (deal edit ID --value)."""
    open_deals = open_deals_of(session, person.id)
    if len(open_deals) > 1:
        listed = ", ".join(f"#{d.id} {d.title}" for d in open_deals)
        raise UsageError(_("{name} is in {n} open deals ({deals}); set the value of one with "
                           "relcrm deal edit ID --value AMOUNT")
                         .format(name=person.name, n=len(open_deals), deals=listed))
    if not open_deals:
        if not amount:
            return "no open deal"
        deal = for_person(session, person, None, amount)
        return f"opened deal #{deal.id}"
    deal = open_deals[0]
    before = (deal.value_milli, deal.currency)
    deal.value_milli = amount.milli if amount else None
    deal.currency = amount.currency if amount else None
    if before != (deal.value_milli, deal.currency):
        deal.updated_at = dates.iso(dates.now())
        _change(session, deal, "value", amount=amount or None)
    return f"deal #{deal.id}"


@dataclass
class DealEdit:
    title: str | None = None
    value: str | None = None
    close: dt.date | dt.datetime | None = None
    clear_close: bool = False
    buy_class: str | None = None
    note: str | None = None
    with_refs: list[str] = field(default_factory=list)
    without_refs: list[str] = field(default_factory=list)
    account: str | None = None


def edit(session: "Session", deal_id: int | str, changes: DealEdit) -> tuple["Deal", list[str]]:
    from sqlmodel import delete

    from ..models import DealPerson
    from . import accounts, prospects

    deal = get(session, deal_id)
    changed = []
    if changes.title is not None:
        deal.title = fields.line("title", changes.title, required=True)
        changed.append(_("title"))
    if changes.value is not None:
        amount = fields.amount(changes.value, "value", _currency(session)) or None
        deal.value_milli = amount.milli if amount else None
        deal.currency = amount.currency if amount else None
        _change(session, deal, "value", amount=amount)
        changed.append(_("value"))
    if changes.close is not None or changes.clear_close:
        deal.close_on = None if changes.clear_close else _close_day(changes.close)
        changed.append(_("close date"))
    if changes.buy_class is not None:
        deal.buy_class = _buy_class(changes.buy_class)
        changed.append(_("buy class"))
    if changes.note is not None:
        deal.note = fields.text("note", changes.note)
        changed.append(_("note"))
    if changes.account is not None:
        deal.account_id = accounts.resolve(session, changes.account).id
        changed.append(_("account"))
    session.flush()
    for ref in changes.with_refs:
        person = prospects.resolve(session, ref)
        if session.get(DealPerson, (deal.id, person.id)) is None:
            session.add(DealPerson(deal_id=deal.id, prospect_id=person.id))
            changed.append(_("with {name}").format(name=person.name))
    for ref in changes.without_refs:
        person = prospects.resolve(session, ref)
        session.exec(delete(DealPerson).where(DealPerson.deal_id == deal.id,
                                              DealPerson.prospect_id == person.id))
        changed.append(_("without {name}").format(name=person.name))
    if not changed:
        raise UsageError(_("nothing to change; give --title, --value, --close, --buy-class, "
                           "--note, --account, --with or --without"))
    deal.updated_at = dates.iso(dates.now())
    session.flush()
    return deal, changed


def _still_open(deal: "Deal", doing: str) -> None:
    if deal.status != "open":
        closed = {"won": _("won"), "lost": _("lost")}.get(deal.status, deal.status)
        message = (_("deal #{id} is {status}; it cannot be moved (relcrm deal reopen {id} first)")
                   if doing == "moved" else
                   _("deal #{id} is {status}; it cannot be lost (relcrm deal reopen {id} first)"))
        raise UsageError(message.format(id=deal.id, status=closed))


def set_stage(session: "Session", deal_id: int | str, stage: str,
              reason: str | None = None) -> tuple["Deal", str]:
    deal = get(session, deal_id)
    target = resolve_buying(stage)
    reason = fields.text("reason", reason)
    _still_open(deal, "moved")
    before = deal.stage
    if before == target.key:
        raise UsageError(_("deal #{id} is already at {stage}")
                         .format(id=deal.id, stage=named(target)))
    deal.stage = target.key
    deal.updated_at = dates.iso(dates.now())
    _change(session, deal, "stage", from_stage=before, to_stage=target.key, reason=reason)
    session.flush()
    return deal, before


def won(session: "Session", deal_id: int | str, amount: str | None = None,
        note: str | None = None, *, touch_id: int | None = None) -> "Deal":
    """Won: for `amount` (else its value), closed now; a won deal makes customers."""
    deal = get(session, deal_id)
    if deal.status == "won":
        raise UsageError(_("deal #{id} is already won").format(id=deal.id))
    if deal.status == "lost":
        raise UsageError(_("deal #{id} was lost ({reason}); reopen it first "
                           "(relcrm deal reopen {id}) if they bought after all")
                         .format(id=deal.id, reason=reason_name(deal.lost_reason)))
    value = fields.amount(amount, "amount", _currency(session)) or None if amount else None
    if value is None and deal.value_milli is not None:
        from ..money import Amount

        value = Amount(deal.value_milli, deal.currency)
    deal.status = "won"
    deal.won_milli = value.milli if value else None
    deal.won_currency = value.currency if value else None
    deal.closed_at = dates.iso(dates.now())
    deal.updated_at = deal.closed_at
    _change(session, deal, "won", from_stage=deal.stage, amount=value,
            note=fields.text("note", note),
            reason=f"order in touch #{touch_id}" if touch_id else None)
    session.flush()
    return deal


def lost(session: "Session", deal_id: int | str, reason: str | None,
         note: str | None = None) -> "Deal":
    deal = get(session, deal_id)
    if not reason or not reason.strip():
        raise UsageError(_("a lost deal needs --reason: {reasons}")
                         .format(reasons=", ".join(LOST_BY_KEY)))
    why = resolve_lost_reason(reason)
    note = fields.text("note", note)
    _still_open(deal, "lost")
    deal.status = "lost"
    deal.lost_reason = why.key
    deal.closed_at = dates.iso(dates.now())
    deal.updated_at = deal.closed_at
    _change(session, deal, "lost", from_stage=deal.stage, reason=why.key, note=note)
    session.flush()
    return deal


def reopen(session: "Session", deal_id: int | str, reason: str | None = None) -> "Deal":
    deal = get(session, deal_id)
    if deal.status == "open":
        raise UsageError(_("deal #{id} is open already").format(id=deal.id))
    before = deal.status
    deal.status = "open"
    deal.won_milli = deal.won_currency = deal.lost_reason = deal.closed_at = None
    deal.updated_at = dates.iso(dates.now())
    _change(session, deal, "reopened", to_stage=deal.stage,
            reason=fields.text("reason", reason), note=f"was {before}")
    session.flush()
    return deal


def candidates_for_order(session: "Session", person: "Prospect") -> list["Deal"]:
    """The open deals an order by this person may win: those at their account, else theirs."""
    from sqlmodel import select

    from ..models import Deal

    if person.account_id is not None:
        return list(session.exec(select(Deal).where(
            Deal.account_id == person.account_id, Deal.status == "open").order_by(Deal.id)))
    return open_deals_of(session, person.id)


def stage_name(key: str | None) -> str:
    return named(BUYING_BY_KEY[key]) if key in BUYING_BY_KEY else (key or "")


def reason_name(key: str | None) -> str:
    """A lost reason for people: its key in English (as typed), its name in Vietnamese."""
    if current() == "vi" and key in LOST_BY_KEY:
        return named(LOST_BY_KEY[key])
    return key or ""
