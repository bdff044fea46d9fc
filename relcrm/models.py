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
        Index("ix_prospect_care", "care_on", text("continuations DESC"), text("value_milli DESC"),
              "need", "budget", "authority", "customer",
              sqlite_where=text("care_on IS NOT NULL")),
        Index("ix_prospect_due", "due_on"),
        Index("ix_prospect_url_key", "url_key", sqlite_where=text("url_key IS NOT NULL")),
        # the few that follow-ups leave out (lost, disqualified): counting the open steps due
        # subtracts theirs instead of reading every due step's person (queries.EXCLUDED_SQL)
        Index("ix_prospect_excluded", "id", sqlite_where=text(
            "stage = 'lost' OR NOT (customer = 1 OR (coalesce(need, '') <> 'no' AND "
            "coalesce(budget, '') <> 'no' AND coalesce(authority, '') <> 'no'))")),
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
    note: Optional[str] = None
    created_at: str
    updated_at: str
    # the earliest open step involving them (derived from `step`): when, what, since when
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
    # facts: a cadence of their own (days), and a snooze: out of followups until the date
    cadence_days: Optional[int] = None
    snoozed_until: Optional[str] = None
    snooze_reason: Optional[str] = None
    # derived: the care date (cadence, first contact, back from snooze, revisit), when no
    # step involving them is booked on or before it
    care_on: Optional[str] = None
    # the expected deal value: thousandths of the currency's unit (money.Amount), exactly
    value_milli: Optional[int] = None
    value_currency: Optional[str] = None
    # the matching key of `url` (identity.url_key); email and phone are the first of their
    # kind in `contact`, kept there by triggers (migration 4)
    url_key: Optional[str] = None
    # derived: 1 when they, or their account, have a won deal or an order
    customer: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    type: Optional[str] = None  # the customer type of seed 003 (methodology.CUSTOMER_TYPES)
    note_at: Optional[str] = None  # when the note was last written (a trigger keeps it)


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
                      Index("ix_touch_deal", "deal_id", sqlite_where=text("deal_id IS NOT NULL")),
                      Index("ix_touch_at", "at"),
                      Index("ix_touch_contact", "prospect_id", "at", "kind"),
                      Index("ix_touch_order_at", "prospect_id", "at", sqlite_where=text(
                          "outcome = 'order' OR (outcome IS NULL AND amount_milli IS NOT NULL)")),
                      Index("ix_touch_orders", "prospect_id", "amount_milli",
                            sqlite_where=text("amount_milli IS NOT NULL")),
                      Index("ix_touch_occasion", "occasion_id", "at",
                            sqlite_where=text("occasion_id IS NOT NULL")))

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
    # the value of an order: thousandths of the currency's unit (money.Amount), exactly
    amount_milli: Optional[int] = None
    amount_currency: Optional[str] = None
    deal_id: Optional[int] = Field(default=None, sa_column=Column(
        Integer, ForeignKey("deal.id", ondelete="SET NULL"), nullable=True))  # the deal it won
    # the person's date this greeting was for (marks it done for the year)
    occasion_id: Optional[int] = Field(default=None, sa_column=Column(
        Integer, ForeignKey("important_date.id", ondelete="SET NULL"), nullable=True))


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
    __table_args__ = (Index("ix_stage_change_prospect_at", "prospect_id", "at"),
                      Index("ix_stage_change_at", "at"))

    id: Optional[int] = Field(default=None, primary_key=True)
    prospect_id: int = Field(sa_column=_fk("prospect.id"))
    at: str
    from_stage: Optional[str] = None
    to_stage: str
    reason: Optional[str] = None
    seq: int
    revisit_on: Optional[str] = None  # a lost relationship comes back in followups then


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
    customer: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # won or ordered
    note_at: Optional[str] = None  # when the note was last written (a trigger keeps it)


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


class Setting(SQLModel, table=True):
    """A setting of the book (settings.py declares them and their defaults)."""

    __tablename__ = "setting"

    key: str = Field(primary_key=True)
    value: str


class Step(SQLModel, table=True):
    """A planned step: with one prospect (prospect_id), or with an account (account_id) and
    the people it names in step_person (none named: the whole account). A due_at with a time
    of day is an appointment. Closed steps stay (done or dropped), with their history."""

    __tablename__ = "step"
    __table_args__ = (Index("ix_step_prospect", "prospect_id", "due_at",
                            sqlite_where=text("status = 'open'")),
                      Index("ix_step_account", "account_id", "due_at",
                            sqlite_where=text("status = 'open'")),
                      Index("ix_step_due", "due_at", sqlite_where=text("status = 'open'")),
                      Index("ix_step_due_at", "due_at"),
                      Index("ix_step_uid", "uid", unique=True))

    id: Optional[int] = Field(default=None, primary_key=True)
    prospect_id: Optional[int] = Field(default=None, sa_column=Column(
        Integer, ForeignKey("prospect.id", ondelete="CASCADE"), nullable=True))
    account_id: Optional[int] = Field(default=None, sa_column=Column(
        Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=True))
    kind: str
    text: Optional[str] = None
    due_at: str
    minutes: Optional[int] = None
    status: str  # open, done, dropped
    created_at: str
    closed_at: Optional[str] = None
    note: Optional[str] = None  # why it was dropped, or what came of it
    uid: str  # one identity for life (calendars update the entry when it moves)


class StepPerson(SQLModel, table=True):
    __tablename__ = "step_person"
    __table_args__ = (Index("ix_step_person_prospect", "prospect_id", "step_id"),)

    step_id: int = Field(sa_column=Column(Integer, ForeignKey("step.id", ondelete="CASCADE"),
                                          primary_key=True))
    prospect_id: int = Field(sa_column=Column(Integer, ForeignKey("prospect.id",
                                              ondelete="CASCADE"), primary_key=True))


class TouchPerson(SQLModel, table=True):
    """The other people a touch was with (log/call --with): it counts as a touch with each."""

    __tablename__ = "touch_person"
    __table_args__ = (Index("ix_touch_person_prospect", "prospect_id", "touch_id"),)

    touch_id: int = Field(sa_column=Column(Integer, ForeignKey("touch.id", ondelete="CASCADE"),
                                           primary_key=True))
    prospect_id: int = Field(sa_column=Column(Integer, ForeignKey("prospect.id",
                                              ondelete="CASCADE"), primary_key=True))


class StepChange(SQLModel, table=True):
    """What happened to a step: added, moved, done, dropped; with when and why."""

    __tablename__ = "step_change"
    __table_args__ = (Index("ix_step_change_step", "step_id", "at"),
                      Index("ix_step_change_at", "at", "action"))

    id: Optional[int] = Field(default=None, primary_key=True)
    step_id: int = Field(sa_column=_fk("step.id"))
    at: str
    action: str
    from_due: Optional[str] = None
    to_due: Optional[str] = None
    note: Optional[str] = None


class ProspectAlias(SQLModel, table=True):
    """The id a person had before `relcrm merge` folded them into another one."""

    __tablename__ = "prospect_alias"
    __table_args__ = (Index("ix_prospect_alias_prospect", "prospect_id"),)

    id: int = Field(primary_key=True)
    prospect_id: int = Field(sa_column=_fk("prospect.id"))
    name: str
    merged_at: str


class Deal(SQLModel, table=True):
    """One sale in progress with an account (thương vụ): where the customer is in their buying
    process (stage: methodology.BUYING_STAGES), open until won or lost with a reason."""

    __tablename__ = "deal"
    __table_args__ = (Index("ix_deal_status", "status", "stage"),
                      Index("ix_deal_account", "account_id", "status"),
                      Index("ix_deal_closed", "closed_at",
                            sqlite_where=text("closed_at IS NOT NULL")),
                      Index("ix_deal_created", "created_at"))

    id: Optional[int] = Field(default=None, primary_key=True)
    account_id: Optional[int] = Field(default=None, sa_column=Column(
        Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=True))
    title: str
    stage: str
    status: str = Field(default="open", sa_column_kwargs={"server_default": "open"})
    value_milli: Optional[int] = None  # expected value, thousandths (money.Amount)
    currency: Optional[str] = None
    close_on: Optional[str] = None  # when the seller expects it to close
    buy_class: Optional[str] = None
    won_milli: Optional[int] = None  # the amount it was won for
    won_currency: Optional[str] = None
    lost_reason: Optional[str] = None
    note: Optional[str] = None
    closed_at: Optional[str] = None
    created_at: str
    updated_at: str


class DealPerson(SQLModel, table=True):
    __tablename__ = "deal_person"
    __table_args__ = (Index("ix_deal_person_prospect", "prospect_id", "deal_id"),)

    deal_id: int = Field(sa_column=Column(Integer, ForeignKey("deal.id", ondelete="CASCADE"),
                                          primary_key=True))
    prospect_id: int = Field(sa_column=Column(Integer, ForeignKey("prospect.id",
                                              ondelete="CASCADE"), primary_key=True))


class DealChange(SQLModel, table=True):
    """What happened to a deal: opened, stage, won, lost, reopened, value."""

    __tablename__ = "deal_change"
    __table_args__ = (Index("ix_deal_change_deal", "deal_id", "at"),
                      Index("ix_deal_change_at", "at", "action"))

    id: Optional[int] = Field(default=None, primary_key=True)
    deal_id: int = Field(sa_column=_fk("deal.id"))
    at: str
    action: str
    from_stage: Optional[str] = None
    to_stage: Optional[str] = None
    reason: Optional[str] = None
    note: Optional[str] = None
    amount_milli: Optional[int] = None
    currency: Optional[str] = None


class Fact(SQLModel, table=True):
    """What the seller knows about a person beyond business: family, interests, work, other."""

    __tablename__ = "fact"
    __table_args__ = (Index("ix_fact_prospect", "prospect_id", "at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    prospect_id: int = Field(sa_column=_fk("prospect.id"))
    about: str
    text: str
    at: str
    created_at: str


class ImportantDate(SQLModel, table=True):
    """A person's or an account's date that recurs each year (a birthday, a founding day, a
    giỗ): on that solar day, or that lunar day when `lunar`; `year` when known."""

    __tablename__ = "important_date"
    __table_args__ = (Index("ix_important_date_prospect", "prospect_id"),
                      Index("ix_important_date_account", "account_id"))

    id: Optional[int] = Field(default=None, primary_key=True)
    prospect_id: Optional[int] = Field(default=None, sa_column=Column(
        Integer, ForeignKey("prospect.id", ondelete="CASCADE"), nullable=True))
    account_id: Optional[int] = Field(default=None, sa_column=Column(
        Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=True))
    kind: str
    month: int
    day: int
    year: Optional[int] = None
    lunar: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    note: Optional[str] = None
    created_at: str


class Occasion(SQLModel, table=True):
    """An occasion the book greets every customer on (Tết, Trung thu, 8/3, 20/10, 20/11)."""

    __tablename__ = "occasion"
    __table_args__ = (Index("ix_occasion_key", "key", unique=True),)

    id: Optional[int] = Field(default=None, primary_key=True)
    key: str
    name: str
    month: int
    day: int
    lunar: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    gifts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Contact(SQLModel, table=True):
    """One of a person's emails or phones: as typed, and the key the duplicate rule compares
    (identity.email_key, or the E.164 number). The first of each kind (by position) is the
    prospect's `email` / `phone`, kept so by triggers."""

    __tablename__ = "contact"
    __table_args__ = (Index("ix_contact_person", "prospect_id", "kind", "key", unique=True),
                      Index("ix_contact_key", "kind", "key"))

    id: Optional[int] = Field(default=None, primary_key=True)
    prospect_id: int = Field(sa_column=_fk("prospect.id"))
    kind: str  # email or phone
    value: str
    key: str
    position: int


class DayOff(SQLModel, table=True):
    """A day off (a weekend day by the workdays setting, or a public holiday) and the working
    day after it; rows of 4 characters mark the years built (workdays.py)."""

    __tablename__ = "_day_off"
    __table_args__ = {"sqlite_with_rowid": False}

    day: str = Field(primary_key=True)
    next_workday: str
    name: Optional[str] = None


class Dirty(SQLModel, table=True):
    """What the current write changed, noted by triggers; emptied by derive.settle()."""

    __tablename__ = "_dirty"
    __table_args__ = {"sqlite_with_rowid": False}

    kind: str = Field(primary_key=True)
    id: int = Field(primary_key=True)


class Change(SQLModel, table=True):
    """One command's change, for `relcrm undo` (journal.py)."""

    __tablename__ = "_change"
    __table_args__ = (Index("ix_change_open", "open", sqlite_where=text("open = 1")),)

    id: Optional[int] = Field(default=None, primary_key=True)
    at: str
    command: str
    summary: Optional[str] = None
    open: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    undone_at: Optional[str] = None
    note: Optional[str] = None


class JournalEntry(SQLModel, table=True):
    """A row a change wrote: its image before and after (JSON), filled by triggers."""

    __tablename__ = "_journal"
    __table_args__ = (Index("ix_journal_row", "change_id", "tbl", "row_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    change_id: int = Field(sa_column=Column(Integer, ForeignKey("_change.id",
                                            ondelete="CASCADE"), nullable=False))
    tbl: str
    op: str
    row_id: int
    old: Optional[str] = None
    new: Optional[str] = None
