"""Accounts (organisations), their decision-making unit, and key-account management.

- A prospect's company is its account: the first use of a company name creates the account,
  and later spellings that fold alike ("minh phat", "MINH PHÁT") join it and take its name.
- Roles place people in the account's decision-making unit; a decider counts as authority =
  yes unless judged otherwise (derive.py).
- A key account moves through the KAM stages (pre, early, mid, partnership, synergistic, or
  uncoupling, which needs a reason); marking an account key starts it at pre-KAM. Every change
  is kept with its date and reason; the current stage is the latest (derive.refresh_account).
- Two spellings of one organisation are merged into one account; nothing of either is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import dates, queries
from ..errors import UsageError
from ..i18n import _, named
from ..methodology import (BUY_CLASSES, FIRST_KAM, KAM_BY_KEY, ROLES, UNCOUPLING, KamStage,
                           next_kam, resolve_choice, resolve_kam, resolve_role)
from ..text import fold
from . import derive, fields
from .derive import session_con

if TYPE_CHECKING:
    from sqlmodel import Session

    from ..models import Account, Prospect


def resolve(session: "Session", ref: str) -> "Account":
    from ..models import Account

    return session.get(Account, queries.resolve_account(session_con(session), ref)["id"])


def for_company(session: "Session", company: str) -> "Account":
    """The account a company name belongs to, created on first use."""
    from sqlmodel import select

    from ..models import Account

    key = fold(company)
    account = session.exec(select(Account).where(Account.name_key == key)).first()
    if account is None:
        stamp = dates.iso(dates.now())
        account = Account(name=company, name_key=key, is_key=False, created_at=stamp,
                          updated_at=stamp)
        session.add(account)
        session.flush()
    return account


def link(session: "Session", prospect: "Prospect") -> None:
    """Point a prospect at the account of its company (or none), in the account's spelling."""
    if not prospect.company:
        prospect.account_id = None
        return
    account = for_company(session, prospect.company)
    prospect.account_id = account.id
    prospect.company = account.name


@dataclass
class AccountDetails:
    name: str | None = None
    industry: str | None = None
    note: str | None = None
    key: bool | None = None
    buy_class: str | None = None
    criteria: list[str] | None = None
    drop_criteria: list[str] | None = None


def _buy_class(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    wanted = fold(value).replace(" ", "-")
    for key, name, vietnamese in BUY_CLASSES:
        if wanted in (key, fold(name).replace(" ", "-"), fold(vietnamese).replace(" ", "-")):
            return key
    raise UsageError(_("unknown buy class {value!r}; use one of: {choices}").format(
        value=value, choices=", ".join(k for k, _name, _vi in BUY_CLASSES)))


def create(session: "Session", details: AccountDetails) -> "Account":
    from sqlmodel import select

    from ..models import Account

    name = fields.line(_("account name"), details.name, required=True)
    existing = session.exec(select(Account).where(Account.name_key == fold(name))).first()
    if existing is not None:
        raise UsageError(_("there is already an account {name!r} (#{id}); change it with "
                           "`relcrm account edit`").format(name=existing.name, id=existing.id))
    stamp = dates.iso(dates.now())
    account = Account(name=name, name_key=fold(name), is_key=False, created_at=stamp,
                      updated_at=stamp)
    session.add(account)
    session.flush()
    return _apply(session, account, AccountDetails(
        industry=details.industry, note=details.note, key=details.key,
        buy_class=details.buy_class, criteria=details.criteria), stamp)


def edit(session: "Session", ref: str, details: AccountDetails) -> "Account":
    if all(v in (None, []) for v in vars(details).values()):
        raise UsageError(_("nothing to change; give at least one field (see relcrm account edit "
                           "--help)"))
    account = resolve(session, ref)
    return _apply(session, account, details, dates.iso(dates.now()))


def _apply(session: "Session", account: "Account", details: AccountDetails,
           stamp: str) -> "Account":
    from sqlmodel import delete, select

    from ..models import AccountCriterion, Account, Prospect
    from .prospects import _keys

    account.updated_at = stamp  # first: a flush in between writes the note with its time
    if details.name is not None:
        name = fields.line(_("account name"), details.name, required=True)
        clash = session.exec(select(Account).where(Account.name_key == fold(name),
                                                   Account.id != account.id)).first()
        if clash is not None:
            raise UsageError(_("there is already an account {name!r} (#{id})").format(
                name=clash.name, id=clash.id))
        account.name, account.name_key = name, fold(name)
        for person in session.exec(select(Prospect).where(Prospect.account_id == account.id)):
            person.company = name  # the people's company is the account's name
            _keys(person)
        con = session_con(session)
        from ..db import on_team

        if on_team(con):  # a colleague's people there keep the old
            # name unless a manager renames it (who changes everyone's): the database says
            con.execute("SELECT relcrm_alone_at(?)", (account.id,))
    if details.industry is not None:
        account.industry = fields.line(_("industry"), details.industry)
    if details.note is not None:
        account.note = fields.text(_("note"), details.note)
    if details.buy_class is not None:
        account.buy_class = _buy_class(details.buy_class)
    add = sorted({resolve_choice(c).key for c in details.criteria or []})
    drop = sorted({resolve_choice(c).key for c in details.drop_criteria or []})
    if drop:
        session.exec(delete(AccountCriterion).where(AccountCriterion.account_id == account.id,
                                                    AccountCriterion.criterion.in_(drop)))
    _add_criteria(session, account.id, add)
    if details.key is not None:
        account.is_key = details.key
        if details.key and not account.kam_stage:
            _kam_change(session, account, None, FIRST_KAM, "marked key")
    return derive.refresh_account(session, account.id)


@dataclass
class Merged:
    account: "Account"
    source_id: int
    source_name: str
    people: int
    kam_changes: int
    steps: int = 0
    deals: int = 0


def merge(session: "Session", source_ref: str, into_ref: str) -> Merged:
    """Fold one account into another (two spellings of one organisation): its people, choice
    criteria, steps, deals and KAM history move over, details the target lacks are taken, the target
    is key if either was, and the source account is removed. Nothing is dropped: both notes are
    kept, and both KAM histories, in date order (the current stage is the latest change of
    either)."""
    from sqlalchemy import text
    from sqlmodel import select

    from ..models import AccountCriterion, Prospect
    from .prospects import _keys

    source, into = resolve(session, source_ref), resolve(session, into_ref)
    if source.id == into.id:
        raise UsageError(_("{source!r} and {into!r} are the same account (#{id} {name}); give "
                           "two different accounts").format(source=source_ref, into=into_ref,
                                                            id=into.id, name=into.name))
    note = "\n".join(n for n in (into.note, source.note) if n) or None
    if note is not None and len(note) > fields.MAX_TEXT:  # import would refuse the account
        raise UsageError(_(
            "cannot merge: the notes of #{source_id} {source_name} ({source_chars:,} characters) "
            "and #{into_id} {into_name} ({into_chars:,}) would make one of {chars:,} characters, "
            "more than a note holds ({limit:,}); shorten one first with `relcrm account edit "
            "{source_id} --note TEXT`").format(
                source_id=source.id, source_name=source.name,
                source_chars=len(source.note or ""), into_id=into.id, into_name=into.name,
                into_chars=len(into.note or ""), chars=len(note), limit=fields.MAX_TEXT))
    people = session.exec(select(Prospect).where(Prospect.account_id == source.id)).all()
    for person in people:
        person.account_id, person.company = into.id, into.name
        _keys(person)
    _add_criteria(session, into.id, session.exec(select(AccountCriterion.criterion).where(
        AccountCriterion.account_id == source.id)).all())
    into.industry = into.industry or source.industry
    into.buy_class = into.buy_class or source.buy_class
    into.note = note
    into.is_key = bool(into.is_key or source.is_key)
    session.flush()
    # the moved changes say where they come from: "marked key (as Minh Phat JSC)"
    offset = session.execute(text(derive.KAM_SEQ_SQL), {"id": into.id}).scalar_one() - 1
    moved = session.execute(text(
        "UPDATE kam_change SET account_id = :into, seq = seq + :offset, "
        "reason = coalesce(reason || ' ', '') || '(as ' || :name || ')' "
        "WHERE account_id = :source"),
        {"into": into.id, "source": source.id, "name": source.name, "offset": offset}).rowcount
    steps = session.execute(text("UPDATE step SET account_id = :into WHERE account_id = :source"),
                            {"into": into.id, "source": source.id}).rowcount
    deals = session.execute(text("UPDATE deal SET account_id = :into WHERE account_id = :source"),
                            {"into": into.id, "source": source.id}).rowcount
    session.execute(text("DELETE FROM account_criterion WHERE account_id = :id"),
                    {"id": source.id})
    session.execute(text("DELETE FROM account WHERE id = :id"), {"id": source.id})
    session.expunge(source)
    into.updated_at = dates.iso(dates.now())
    return Merged(derive.refresh_account(session, into.id), source.id, source.name,
                  len(people), moved, steps, deals)


def _add_criteria(session: "Session", account_id: int, criteria) -> None:
    """Give an account the choice criteria (keys) it does not have yet."""
    from sqlmodel import select

    from ..models import AccountCriterion

    have = set(session.exec(select(AccountCriterion.criterion).where(
        AccountCriterion.account_id == account_id)).all())
    for criterion in criteria:
        if criterion not in have:
            session.add(AccountCriterion(account_id=account_id, criterion=criterion))


def _kam_change(session: "Session", account: "Account", before: KamStage | None,
                after: KamStage, reason: str | None) -> None:
    from sqlalchemy import text

    from ..models import KamChange

    session.flush()
    seq = session.execute(text(derive.KAM_SEQ_SQL), {"id": account.id}).scalar_one()
    session.add(KamChange(account_id=account.id, at=dates.iso(dates.now()),
                          from_stage=before.key if before else None, to_stage=after.key,
                          reason=reason, seq=seq))


@dataclass
class KamMoved:
    account: "Account"
    before: KamStage | None
    after: KamStage


def set_kam(session: "Session", ref: str, stage: str | KamStage,
            reason: str | None = None) -> KamMoved:
    target = stage if isinstance(stage, KamStage) else resolve_kam(stage)
    reason = fields.text(_("reason"), reason)
    if target is UNCOUPLING and not reason:
        raise UsageError(_("uncoupling needs --reason (usually senior people changed or trust "
                           "was lost, rarely price)"))
    account = _key_account(session, ref)
    before = KAM_BY_KEY.get(account.kam_stage) if account.kam_stage else None
    if before is target:
        raise UsageError(_("{name} is already at {stage}").format(name=account.name,
                                                                  stage=named(target)))
    return _move(session, account, before, target, reason)


def advance_kam(session: "Session", ref: str, reason: str | None = None) -> KamMoved:
    reason = fields.text(_("reason"), reason)
    account = _key_account(session, ref)
    before = KAM_BY_KEY[account.kam_stage]
    if before is UNCOUPLING:
        raise UsageError(_("{name} is uncoupled; reopen with `relcrm kam set {id} STAGE`").format(
            name=account.name, id=account.id))
    after = next_kam(before)
    if after is None:
        raise UsageError(_("{name} is already at {stage}, the last stage").format(
            name=account.name, stage=named(before)))
    return _move(session, account, before, after, reason)


def _key_account(session: "Session", ref: str) -> "Account":
    account = resolve(session, ref)
    if not account.is_key:
        raise UsageError(_("{name} is not a key account; mark it first: relcrm account edit {id} "
                           "--key").format(name=account.name, id=account.id))
    return account


def _move(session: "Session", account: "Account", before: KamStage | None, after: KamStage,
          reason: str | None) -> KamMoved:
    _kam_change(session, account, before, after, reason)
    account.updated_at = dates.iso(dates.now())
    return KamMoved(derive.refresh_account(session, account.id), before, after)


@dataclass
class Roles:
    prospect: "Prospect"
    roles: list[str]


def set_roles(session: "Session", ref: str, add: list[str], remove: list[str]) -> Roles:
    """Add and remove a person's decision-making-unit roles; returns their roles now."""
    from sqlmodel import delete, select

    from ..models import ProspectRole
    from .prospects import resolve as resolve_prospect

    adding = [resolve_role(r).key for r in add]
    removing = [resolve_role(r).key for r in remove]
    prospect = resolve_prospect(session, ref)
    if adding or removing:
        if not prospect.account_id:
            raise UsageError(_("{name} has no company: roles are in an organisation's buying "
                               "centre; give one with `relcrm edit {id} --company NAME`").format(
                name=prospect.name, id=prospect.id))
        if removing:
            session.exec(delete(ProspectRole).where(ProspectRole.prospect_id == prospect.id,
                                                    ProspectRole.role.in_(removing)))
        have = set(session.exec(select(ProspectRole.role).where(
            ProspectRole.prospect_id == prospect.id)).all())
        for role in dict.fromkeys(adding):
            if role not in have:
                session.add(ProspectRole(prospect_id=prospect.id, role=role))
        prospect.updated_at = dates.iso(dates.now())
        prospect = derive.refresh(session, prospect.id)
    roles = session.exec(select(ProspectRole.role).where(
        ProspectRole.prospect_id == prospect.id)).all()
    order = {role.key: i for i, role in enumerate(ROLES)}
    return Roles(prospect, sorted(roles, key=lambda r: order.get(r, 99)))
