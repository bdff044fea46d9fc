"""SQLModel tables: the write side's statement of the schema.

Imported only by commands that write (it pulls in SQLAlchemy). The same schema is created by
the SQL in migrations.py; tests/test_schema.py checks that both give identical tables, columns
and indexes, and that every read query in queries.py runs against the schema made from here.

Facts are stored; some derived values are kept on `Prospect` for fast queries and are
recomputed in the same transaction as the facts that change them (core/derive.py):
stage, stage_since, need, budget, authority, last_touch_at, continuations, due_on.
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import Column, ForeignKey, Index, Integer, text
from sqlmodel import Field, SQLModel


def _fk(target: str) -> Column:
    return Column(Integer, ForeignKey(target, ondelete="CASCADE"), nullable=False)


class Prospect(SQLModel, table=True):
    __tablename__ = "prospect"
    __table_args__ = (
        Index("ix_prospect_name_key", "name_key"),
        Index("ix_prospect_account", "account_id", "stage", "last_touch_at"),
        Index("ix_prospect_company_key", "company_key"),
        Index("ix_prospect_stage", "stage", "name_key"),
        # ordered as followups sorts; need/budget/authority make its count index-only
        Index("ix_prospect_followup", "due_on", text("continuations DESC"), text("value DESC"),
              "need", "budget", "authority", sqlite_where=text("stage <> 'lost'")),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str
    name_key: str
    company: Optional[str] = None
    company_key: Optional[str] = None
    title: Optional[str] = None
    email: Optional[str] = None
    phone: Optional[str] = None
    url: Optional[str] = None
    source: Optional[str] = None
    value: Optional[float] = None
    note: Optional[str] = None
    created_at: str
    updated_at: str
    # the scheduled next step (a fact): when, what, and when it was agreed
    next_at: Optional[str] = None
    next_step: Optional[str] = None
    next_set_at: Optional[str] = None
    # derived, maintained by core/derive.py in the same transaction as the facts
    stage: str
    stage_since: str
    need: Optional[str] = None
    budget: Optional[str] = None
    authority: Optional[str] = None
    last_touch_at: Optional[str] = None
    continuations: int = 0
    due_on: Optional[str] = None
    search_key: str
    account_id: Optional[int] = Field(default=None, sa_column=Column(
        Integer, ForeignKey("account.id"), nullable=True))


class Tag(SQLModel, table=True):
    __tablename__ = "tag"
    __table_args__ = (Index("ix_tag_name", "name", "prospect_id"),)

    prospect_id: int = Field(sa_column=Column(Integer, ForeignKey("prospect.id",
                             ondelete="CASCADE"), primary_key=True))
    name: str = Field(primary_key=True)


class Touch(SQLModel, table=True):
    """Any contact or note; a SPIN sales call is a touch of kind 'call' with an outcome."""

    __tablename__ = "touch"
    __table_args__ = (Index("ix_touch_prospect_at", "prospect_id", "at"),
                      Index("ix_touch_orders", "prospect_id", "amount",
                            sqlite_where=text("amount IS NOT NULL")))

    id: Optional[int] = Field(default=None, primary_key=True)
    prospect_id: int = Field(sa_column=_fk("prospect.id"))
    kind: str
    at: str
    summary: Optional[str] = None
    minutes: Optional[int] = None
    outcome: Optional[str] = None
    commitment: Optional[str] = None
    next_at: Optional[str] = None
    created_at: str
    seq: int  # the order facts about this prospect were recorded (see derive.next_seq)
    amount: Optional[float] = None  # the value of an order


class CallNote(SQLModel, table=True):
    """One SPIN question/answer or stated need of a call, in the order given."""

    __tablename__ = "call_note"
    __table_args__ = (Index("ix_call_note_touch", "touch_id", "kind", "position"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    touch_id: int = Field(sa_column=_fk("touch.id"))
    kind: str
    position: int
    text: str


class StageChange(SQLModel, table=True):
    __tablename__ = "stage_change"
    __table_args__ = (Index("ix_stage_change_prospect_at", "prospect_id", "at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    prospect_id: int = Field(sa_column=_fk("prospect.id"))
    at: str
    from_stage: Optional[str] = None
    to_stage: str
    reason: Optional[str] = None
    seq: int


class Qualification(SQLModel, table=True):
    """One judgement of one criterion (need, budget or authority) at one time."""

    __tablename__ = "qualification"
    __table_args__ = (Index("ix_qualification_prospect", "prospect_id", "criterion", "at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    prospect_id: int = Field(sa_column=_fk("prospect.id"))
    at: str
    criterion: str
    level: str
    note: Optional[str] = None
    seq: int


class Account(SQLModel, table=True):
    """An organisation; its people are the prospects linked to it (by their company)."""

    __tablename__ = "account"
    __table_args__ = (Index("ix_account_name_key", "name_key", unique=True),
                      Index("ix_account_key", "is_key", "name_key"),
                      Index("ix_account_followup", "due_on", sqlite_where=text("is_key = 1")),
                      Index("ix_account_no_decider", "deciders", "due_on",
                            sqlite_where=text("is_key = 1")))

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str
    name_key: str
    industry: Optional[str] = None
    note: Optional[str] = None
    is_key: bool = False
    buy_class: Optional[str] = None
    created_at: str
    updated_at: str
    # derived from kam_change and the people's records, maintained by core/derive.py
    kam_stage: Optional[str] = None
    kam_since: Optional[str] = None
    last_touch_at: Optional[str] = None
    deciders: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    due_on: Optional[str] = None  # a key account's next touch by its KAM cadence


class AccountCriterion(SQLModel, table=True):
    """A choice criterion (economic or emotional) the account buys on."""

    __tablename__ = "account_criterion"

    account_id: int = Field(sa_column=Column(Integer, ForeignKey("account.id",
                            ondelete="CASCADE"), primary_key=True))
    criterion: str = Field(primary_key=True)


class KamChange(SQLModel, table=True):
    __tablename__ = "kam_change"
    __table_args__ = (Index("ix_kam_change_account_at", "account_id", "at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    account_id: int = Field(sa_column=_fk("account.id"))
    at: str
    from_stage: Optional[str] = None
    to_stage: str
    reason: Optional[str] = None
    seq: int


class ProspectRole(SQLModel, table=True):
    """A role a person plays in their organisation's decision-making unit."""

    __tablename__ = "prospect_role"
    __table_args__ = (Index("ix_prospect_role_role", "role", "prospect_id"),)

    prospect_id: int = Field(sa_column=Column(Integer, ForeignKey("prospect.id",
                             ondelete="CASCADE"), primary_key=True))
    role: str = Field(primary_key=True)
