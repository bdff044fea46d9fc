"""A small example book, dated relative to today, that shows every kind of follow-up.

Built through the same core functions as the commands (each step at its own moment, using
dates.frozen), so the demo data obeys every rule the real data does.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from .. import dates
from . import accounts, prospects, selling, stages
from .accounts import AccountDetails
from .prospects import Details
from .selling import CallReport

if TYPE_CHECKING:
    from sqlmodel import Session


# PRAGMA application_id of a demo book: the demo replaces only a file that carries it.
DEMO_MARK = 0x72636D64  # "rcmd"


def mark(session: "Session") -> None:
    """Mark the book as a demo book (in the database header, set in the same transaction)."""
    from sqlalchemy import text

    session.execute(text(f"PRAGMA application_id = {DEMO_MARK}"))


def is_demo_book(path) -> bool:
    """Whether `path` is a demo book made by relcrm (read without changing a byte)."""
    import sqlite3

    from ..db import read_only
    from ..files import is_sqlite

    if not is_sqlite(path):
        return False
    try:
        con = read_only(path)
        try:
            return con.execute("PRAGMA application_id").fetchone()[0] == DEMO_MARK
        finally:
            con.close()
    except sqlite3.Error:
        return False


def build(session: "Session") -> int:
    """Fill an empty book with the example prospects; returns how many were added."""
    today = dates.today()
    end = dates.week_end(today)

    def at(days_ago: int, hour: int = 10) -> dt.datetime:
        return dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(hour, 0))

    def later(days: int) -> dt.date:  # a day ahead that stays inside this week
        return min(today + dt.timedelta(days=days), end)

    steps = []  # (moment, action): replayed in time order
    names = []

    def add(days_ago: int, job: str | None = None, **details) -> None:
        """A prospect added `days_ago`; `job` is their title (data, in the book's words)."""
        names.append(details["name"])
        steps.append((at(days_ago, 9), lambda: prospects.create(session, Details(
            title=job, **details))))

    def do(days_ago: int, action, hour: int = 10) -> None:
        steps.append((at(days_ago, hour), action))

    # 1. A stalled sale with an overdue next step (Build).
    add(40, name="Nguyễn Văn An", company="Minh Phát Co.", job="Purchasing manager",
        email="an.nguyen@minhphat.vn", phone="+84 90 123 4567", source="trade fair",
        value="450,000,000", tags=["manufacturing", "hcm"])
    do(38, lambda: selling.log_touch(session, "Nguyễn Văn An", "call", "intro call"))
    do(37, lambda: stages.advance(session, "Nguyễn Văn An", "first real conversation"))
    do(30, lambda: selling.log_touch(session, "Nguyễn Văn An", "call", call=CallReport(
        outcome="advance", commitment="site visit to see their line",
        notes={"situation": ["3 packing lines, 2 shifts", "buys film from two suppliers"],
               "problem": ["film tears at high speed"],
               "implication": ["line stops ~4 h a week, overtime on Saturdays"],
               "implied_need": ["fewer stoppages"]})))
    do(28, lambda: stages.advance(session, "Nguyễn Văn An", "site visit agreed"))
    do(12, lambda: selling.log_touch(session, "Nguyễn Văn An", "call", call=CallReport(
        outcome="continuation", notes={"need_payoff": ["what would 4 h more output be worth?"]},
        summary="liked the sample, wants to think")))
    do(5, lambda: selling.log_touch(session, "Nguyễn Văn An", "call", call=CallReport(
        outcome="continuation", summary="still comparing prices"),
        next_at=today - dt.timedelta(days=2), next_step="send revised quote"))

    # 2. Gone cold at Establish (7-day cadence).
    add(30, name="Trần Thị Bình", company="Hòa Bình Logistics", job="CFO",
        email="binh.tran@hoabinh-logistics.vn", source="referral", value="120,000,000")
    do(29, lambda: selling.log_touch(session, "Trần Thị Bình", "meeting", "coffee, intro"))
    do(28, lambda: stages.advance(session, "Trần Thị Bình", "keen to talk costs"))
    do(16, lambda: selling.log_touch(session, "Trần Thị Bình", "email", "sent case study"))
    do(16, lambda: selling.qualify(session, "Trần Thị Bình",
                                   {"need": "yes", "budget": "partial", "authority": "yes"},
                                   "budget depends on Q1 plan"), hour=11)

    # 3. Met yesterday at an event, not yet contacted: contact at once.
    add(1, name="Lê Hoàng Cường", company="Cường Phát Furniture", job="Owner",
        phone="0912 345 678", source="Chamber of Commerce dinner", tags=["event"])

    # 4. Qualified, with a demonstration booked later this week (Develop).
    add(60, name="Phạm Minh Dũng", company="Sài Gòn Tech", job="IT Director",
        email="dung.pham@saigontech.vn", value="800,000,000", tags=["key", "hcm"])
    for days_ago, note in ((58, "first call"), (50, "meeting with IT team"),
                           (35, "workshop on their needs")):
        do(days_ago, lambda note=note: selling.log_touch(session, "Phạm Minh Dũng", "meeting",
                                                         note))
        do(days_ago, lambda: stages.advance(session, "Phạm Minh Dũng"), hour=12)
    do(20, lambda: selling.qualify(session, "Phạm Minh Dũng",
                                   {"need": "yes", "budget": "yes", "authority": "yes"},
                                   "signs off up to 1 billion"))
    do(3, lambda: selling.log_touch(session, "Phạm Minh Dũng", "call", call=CallReport(
        outcome="advance", commitment="demonstration for the IT team",
        notes={"problem": ["reports take 2 days each month"],
               "explicit_need": ["month-end reports in an hour"]}),
        next_at=later(2), next_step="demonstration at Sài Gòn Tech"))

    # 5. A phantom prospect: no budget. Hidden from followups unless --all.
    add(25, name="Võ Thị Em", company="Đông Á Textiles", job="HR manager",
        email="em.vo@donga-textiles.vn", source="LinkedIn")
    do(24, lambda: selling.log_touch(session, "Võ Thị Em", "call", "interested but no budget"))
    do(24, lambda: selling.qualify(session, "Võ Thị Em", {"need": "partial", "budget": "no"},
                                   "no budget this year"), hour=11)

    # 6. A customer in good standing (Maintain, 30-day cadence): not due.
    add(200, name="Đặng Quốc Phong", company="Mekong Foods", job="Procurement lead",
        email="phong.dang@mekongfoods.vn", value="300,000,000", tags=["customer"])
    do(190, lambda: stages.set_stage(session, "Đặng Quốc Phong", "maintain", "first order"))
    do(8, lambda: selling.log_touch(session, "Đặng Quốc Phong", "visit", "quarterly review"))

    # 7. Lost on price.
    add(90, name="Hoàng Thu Giang", company="Hà Nội Retail", job="Marketing head")
    do(80, lambda: selling.log_touch(session, "Hoàng Thu Giang", "call", call=CallReport(
        outcome="no-sale", summary="chose a cheaper supplier")))
    do(80, lambda: stages.set_stage(session, "Hoàng Thu Giang", "lost",
                                    "chose a competitor on price"), hour=11)

    # 8. A loyal customer not touched for longer than 60 days: gone cold.
    add(400, name="Bùi Thanh Hải", company="Hải Đăng Shipping", job="Director",
        email="hai.bui@haidang.vn", tags=["customer", "referrals"])
    do(390, lambda: stages.set_stage(session, "Bùi Thanh Hải", "loyal", "five years a customer"))
    do(75, lambda: selling.log_touch(session, "Bùi Thanh Hải", "gift", "Tết gift basket"))

    # 9. A second contact at Minh Phát, touched yesterday: cadence comes round in 2 days.
    add(2, name="Ngô Thị Lan", company="Minh Phát Co.", job="Operations manager",
        email="lan.ngo@minhphat.vn")
    do(1, lambda: selling.log_touch(session, "Ngô Thị Lan", "message", "asked for her view"))

    # 10. A next step due today.
    add(9, name="Sarah Collins", company="Pacific Office Supplies", job="Regional buyer",
        email="s.collins@pacificoffice.com", source="website", value="95,000,000")
    do(8, lambda: selling.log_touch(session, "Sarah Collins", "call", call=CallReport(
        outcome="advance", commitment="call back with pricing",
        notes={"situation": ["renews contracts in January"]}),
        next_at=today, next_step="call back with pricing"))
    do(8, lambda: stages.advance(session, "Sarah Collins"), hour=11)

    # Key accounts: the buying centre at Minh Phát, and a loyal customer with no known decider.
    do(39, lambda: accounts.set_roles(session, "Nguyễn Văn An", ["decider", "influencer"], []))
    do(2, lambda: accounts.set_roles(session, "Ngô Thị Lan", ["user", "gatekeeper"], []),
       hour=11)
    do(36, lambda: accounts.edit(session, "Minh Phát", AccountDetails(
        key=True, industry="Packaging", buy_class="modified-rebuy",
        criteria=["price", "delivery", "reliability", "reputation"])))
    do(27, lambda: accounts.set_kam(session, "Minh Phát", "early", "site visit went well"))
    do(380, lambda: accounts.edit(session, "Hải Đăng", AccountDetails(
        key=True, industry="Shipping", buy_class="straight-rebuy",
        criteria=["reliability", "reciprocity"])))
    do(200, lambda: accounts.set_kam(session, "Hải Đăng", "partnership", "joint planning"))
    # Orders, for `relcrm account candidates`.
    do(100, lambda: selling.log_touch(session, "Bùi Thanh Hải", "email", "annual contract",
                                      amount="1,200,000,000"), hour=15)
    do(8, lambda: selling.log_touch(session, "Đặng Quốc Phong", "email", "Q4 order",
                                    amount="300,000,000"), hour=15)
    do(150, lambda: selling.log_touch(session, "Đặng Quốc Phong", "email", "Q2 order",
                                      amount="250,000,000"), hour=15)

    steps.sort(key=lambda step: step[0])
    for moment, action in steps:
        with dates.frozen(moment):
            action()
    return len(names)
