"""Who needs follow-up, and why.

The follow-up date of each prospect is kept in SQL (derive.py); this module picks the window,
asks queries.followups for the due rows (filtered, sorted and limited in SQL) and explains each
one in words, Taskwarrior-style: the reason code and a sentence a seller can act on.

Reasons (the `reason` column):
  overdue     a scheduled next step whose date has passed
  next-step   a scheduled next step due in the window
  new         never contacted: contact a new prospect at once (domain.md §2)
  cold        no contact for longer than the stage's cadence
  cadence     the stage's cadence comes round in the window
A sale with STALLED_AFTER or more continuations in a row is flagged `stalled` on any of these.

Key accounts get rows of their own (subject "account"), domain.md §4:
  account-quiet    no touch with anyone there for longer than the KAM stage's cadence, or
                   the cadence comes round in the window
  no-decider       nobody there is known to be the decider: map the buying centre
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Any

from .. import dates, queries
from ..errors import UsageError
from ..methodology import FIRST_KAM, KAM_BY_KEY, STAGE_BY_KEY, STALLED_AFTER

COLUMNS = ("due_on", "reason", "why", "stalled", "days_overdue") + tuple(
    c for c in queries.FOLLOWUP_COLUMNS if c != "due_on") + ("subject",)


@dataclass
class Due:
    today: dt.date
    until: dt.date
    rows: list[dict[str, Any]]
    total: int


def window(today: dt.date, days: int | None) -> dt.date:
    """The last day of the window: Sunday of this week, or `days` days ahead of today."""
    if days is None:
        return dates.week_end(today)
    if not 0 <= days <= 3660:
        raise UsageError(f"--days must be between 0 and 3660, not {days}")
    return today + dt.timedelta(days=days)


def due(con: sqlite3.Connection, *, days: int | None = None, include_disqualified: bool = False,
        limit: int | None = None) -> Due:
    today = dates.today()
    until = window(today, days)
    rows, total = queries.followups(con, dates.iso(until),
                                    include_disqualified=include_disqualified, limit=limit)
    rows = [explain(row, today) for row in rows]
    accounts, account_total = queries.key_accounts_due(con, dates.iso(today), dates.iso(until),
                                                       limit=limit)
    if accounts:
        rows = sorted(rows + [_key_account(a, today, until) for a in accounts],
                      key=_urgency)[:limit]
    return Due(today, until, rows, total + account_total)


def _urgency(row: dict[str, Any]) -> tuple:
    """Earliest date first; on one day stalled sales, then key accounts, then larger deals."""
    return (row["due_on"], not row["stalled"], row["subject"] != "account",
            -(row["value"] or 0))


def _key_account(account: dict[str, Any], today: dt.date, until: dt.date) -> dict[str, Any]:
    """The follow-up row of a key account that is due (see queries.key_accounts_due)."""
    stage = KAM_BY_KEY.get(account["kam_stage"] or FIRST_KAM.key, FIRST_KAM)
    last = account["last_touch_at"]
    reasons, whys = [], []
    cadence = f"{stage.name}: every {_days(stage.cadence_days)}"
    if account["due_on"] and dt.date.fromisoformat(account["due_on"]) <= until:
        due = dt.date.fromisoformat(account["due_on"])
        if due < today:
            quiet = (f"no touch with anyone there for "
                     f"{_days((today - dt.date.fromisoformat(last[:10])).days)}" if last
                     else "nobody there touched yet")
            whys.append(f"key account gone quiet: {quiet} ({cadence})")
        else:
            whys.append(f"key account: touch someone there by {dates.show(due)} ({cadence})")
        reasons.append("account-quiet")
    if not account["deciders"]:
        whys.append("no known decider: map the buying centre (relcrm role REF decider)")
        reasons.append("no-decider")
    late = (today - dt.date.fromisoformat(account["effective_due"])).days
    return {"due_on": account["effective_due"], "reason": ",".join(reasons),
            "why": "; ".join(whys), "stalled": False, "days_overdue": max(late, 0), "id": None,
            "name": None, "company": account["name"], "email": None, "phone": None,
            "stage": stage.key, "stage_since": account["kam_since"], "qualification": None,
            "last_touch_at": last, "next_at": None, "next_step": None, "continuations": 0,
            "value": None, "created_at": account["created_at"], "account_id": account["id"],
            "subject": "account"}


def explain(row: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """Add reason, why, stalled and days_overdue to a follow-up row."""
    due_on = dt.date.fromisoformat(row["due_on"])
    late = (today - due_on).days
    stage = STAGE_BY_KEY[row["stage"]]
    if row["next_at"]:
        what = "first contact" if not row["last_touch_at"] else "next step"
        step = f": {row['next_step']}" if row["next_step"] else ""
        if late > 0:
            reason = "overdue"
            why = f"{what} overdue since {dates.show(row['next_at'])} ({_days(late)}){step}"
        else:
            reason = "next-step"
            when = "today" if late == 0 else dates.show(row["next_at"])
            why = f"{what} due {when}{step}"
    elif not row["last_touch_at"]:
        reason = "new"
        added = dt.date.fromisoformat(row["created_at"][:10])
        why = (f"never contacted, added {dates.show_day(added)} ({dates.ago(added, today)}): "
               "contact at once")
    else:
        since = (today - dt.date.fromisoformat(row["last_touch_at"][:10])).days
        cadence = f"{stage.name}: every {_days(stage.cadence_days)}"
        if late > 0:
            reason = "cold"
            why = f"gone cold: no touch for {_days(since)} ({cadence})"
        else:
            reason = "cadence"
            last = dates.ago(today - dt.timedelta(since), today)
            why = f"keep in touch: last touch {last} ({cadence})"
    stalled = row["continuations"] >= STALLED_AFTER
    if stalled:
        why += (f"; stalled: {row['continuations']} continuations in a row, no advance; "
                "propose a commitment")
    return {**row, "reason": reason, "why": why, "stalled": stalled, "days_overdue": max(late, 0),
            "subject": "prospect"}


def _days(n: int | None) -> str:
    return "1 day" if n == 1 else f"{n} days"
