"""Who needs follow-up, and why: one line per thing to do.

The dates are kept in SQL (derive.py); this module picks the window, asks queries for what is
due (filtered, sorted and limited in SQL) and explains each line in words, Taskwarrior-style:
a reason code and a sentence a seller can act on. The lines are:
  - every open step due in the window (with a person, or with an account: one line for a
    meeting with three people), the overdue ones too;
  - every person who needs care with nothing booked for them before (derive.py care_on);
  - every key account that needs a touch or has no known decider.

Reasons (the `reason` column):
  overdue     a step whose date has passed
  next-step   a step due in the window (an appointment when it has a time of day)
  new         never contacted, nothing booked: contact a new prospect at once (domain.md §2)
  cold        no contact for longer than the cadence (theirs, or the stage's)
  cadence     the cadence comes round in the window
  snoozed     back from a snooze, with its reason
  revisit     a lost relationship to revisit, with the reason it was lost
A sale with STALLED_AFTER or more continuations in a row is flagged `stalled` on its lines.
A person's or an account's important date (birthday, anniversary, founding day, giỗ) gets a line
from its lead time before (config occasion.lead_days) until it is greeted (log --occasion ID):
  occasion         "birthday Fri 14/11 (turns 48)"; it never touches a business step
A gift occasion of the book (Tết, Trung thu) gets one line from occasion.gift_lead_days before:
  gifts            "Tết Nguyên Đán in 22 days: 10 gifts to send (relcrm occasion gifts tet)"
Key accounts get lines of their own (subject "account"), domain.md §4:
  account-quiet    no touch with anyone there for longer than the KAM stage's cadence, or
                   the cadence comes round in the window (nothing booked with them by then)
  no-decider       nobody there is known to be the decider: map the buying centre

On one day, appointments come first in time order, then other steps, then never-contacted,
cold and cadence lines; the earliest day first, so the most overdue lead.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .. import dates, queries, settings
from ..errors import UsageError
from ..i18n import _, dynamic, ngettext
from ..methodology import FIRST_KAM, KAM_BY_KEY, STAGE_BY_KEY, STALLED_AFTER

COLUMNS = ("due_on", "reason", "why", "stalled", "days_overdue") + tuple(
    c for c in queries.FOLLOWUP_COLUMNS if c not in ("due_on", "currency")) + (
    "subject", "step_ids", "due_at", "kind", "currency")


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
        raise UsageError(_("--days must be between 0 and 3660, not {days}").format(days=days))
    return today + dt.timedelta(days=days)


def due(con: sqlite3.Connection, *, days: int | None = None, include_disqualified: bool = False,
        limit: int | None = None) -> Due:
    today = dates.today()
    until = window(today, days)
    rows, total = lines(con, today, until, include_disqualified=include_disqualified,
                        limit=limit)
    rows.sort(key=urgency)
    return Due(today, until, rows[:limit] if limit else rows, total)


def lines(con: sqlite3.Connection, today: dt.date, until: dt.date, *,
          since: dt.date | None = None, include_disqualified: bool = False,
          limit: int | None = None, occasions: bool = True) -> tuple[list[dict[str, Any]], int]:
    """Every follow-up line dated on or before `until` (from `since` on; without it the overdue
    ones too), explained, in no particular order; at most `limit` of each kind (care, steps,
    key accounts, each the most urgent), and how many there are in all. The dates are filtered
    in SQL, on the indexes the follow-ups read (`plan` asks for one period's lines here)."""
    values = settings.all_values(con)
    after = None if since is None else dates.iso(since)
    care, care_total = queries.care_due(con, dates.iso(until), since=after,
                                        include_disqualified=include_disqualified, limit=limit)
    steps, steps_total = queries.steps_due(con, dates.iso(until + dt.timedelta(days=1)),
                                           since=after,
                                           include_disqualified=include_disqualified,
                                           limit=limit)
    accounts, account_total = queries.key_accounts_due(con, dates.iso(today), dates.iso(until),
                                                       since=after, limit=limit)
    rows = ([explain(row, today, values) for row in care]
            + [_step(row, today) for row in steps]
            + [_key_account(a, today, until, values) for a in accounts])
    extra = []
    if occasions:  # birthdays and other dates a lead time ahead; gift occasions (care.py)
        from . import care

        extra = care.date_lines(con, today, until) + care.gift_announcements(con, today, until)
        extra = extra[:limit] if limit else extra
    return rows + extra, care_total + steps_total + account_total + len(extra)


# the kinds of step, for the catalog (a step's kind reads in the language relcrm speaks)
if False:  # noqa: SIM108 - markers for scripts/messages.py, never run
    _("call"), _("meeting"), _("visit"), _("demo"), _("email"), _("message"), _("todo")


def stage_name(stage: Any) -> str:
    """A stage's name in the language relcrm speaks (the methodology holds both)."""
    from ..i18n import current

    return stage.vietnamese if current() == "vi" and stage.vietnamese else stage.name


# The class of a line (its `_class` key), in the order lines of one day are shown.
_CLASS = {"appointment": 0, "step": 1, "new": 2, "cold": 3, "account": 3, "cadence": 4,
          "occasion": 5}


def urgency(row: dict[str, Any]) -> tuple:
    """Earliest date first; on one day appointments (by time), other steps, never contacted,
    cold, cadence; then stalled sales, then larger deals."""
    return (row["due_on"], _CLASS[row["_class"]], row["due_at"] or "", not row["stalled"],
            -Decimal(str(row["value"] or 0)), row["name"] or "", row["id"] or 0)


def _days(n: int | None) -> str:
    return ngettext("{n} day", "{n} days", n or 0).format(n=n)


def cadence_of(row: dict[str, Any], values: dict[str, str]) -> tuple[int, str]:
    """A person's cadence in days, and how to say where it comes from."""
    stage = STAGE_BY_KEY[row["stage"]]
    if row.get("cadence_days"):
        return row["cadence_days"], _("their cadence: every {days}").format(
            days=_days(row["cadence_days"]))
    days = int(values.get(f"cadence.{stage.key}", stage.cadence_days or 0))
    return days, _("{stage}: every {days}").format(stage=stage_name(stage), days=_days(days))


def explain(row: dict[str, Any], today: dt.date, values: dict[str, str]) -> dict[str, Any]:
    """A care line (queries.care_due row) with reason, why, stalled and days_overdue."""
    due_on = dt.date.fromisoformat(row["due_on"])
    late = (today - due_on).days
    klass = "cadence"
    if row["stage"] == "lost":
        reason = "revisit"
        why = _("revisit the lost relationship") + (f": {row['lost_reason']}"
                                                    if row["lost_reason"] else "")
    elif row["snoozed_until"] and row["snoozed_until"] == row["due_on"]:
        reason = "snoozed"
        why = (_("back from snooze (since {day})").format(day=dates.show_day(due_on))
               if late > 0 else _("back from snooze"))
        if row["snooze_reason"]:
            why += f": {row['snooze_reason']}"
    elif not row["last_touch_at"]:
        reason, klass = "new", "new"
        added = dt.date.fromisoformat(row["created_at"][:10])
        why = _("never contacted, added {day} ({ago}): contact at once").format(
            day=dates.show_day(added), ago=dates.ago(added, today))
    else:
        last = row["last_touch_at"]
        riding = row.get("account_touch_at") and row["account_touch_at"] > last
        base = row["account_touch_at"] if riding else last
        since = (today - dt.date.fromisoformat(base[:10])).days
        cadence = cadence_of(row, values)[1]
        if late > 0:
            reason, klass = "cold", "cold"
            why = (_("gone cold: no touch with anyone at {company} for {days} ({cadence})")
                   if riding else _("gone cold: no touch for {days} ({cadence})")).format(
                company=row["company"], days=_days(since), cadence=cadence)
        else:
            reason = "cadence"
            ago = dates.ago(today - dt.timedelta(since), today)
            why = (_("keep in touch: last touch with anyone at {company} {ago} ({cadence})")
                   if riding else _("keep in touch: last touch {ago} ({cadence})")).format(
                company=row["company"], ago=ago, cadence=cadence)
    stalled = row["stage"] != "lost" and row["continuations"] >= STALLED_AFTER
    if stalled:
        why += "; " + _("stalled: {n} continuations in a row, no advance; propose a "
                        "commitment").format(n=row["continuations"])
    return {**row, "reason": reason, "why": why, "stalled": stalled, "days_overdue": max(late, 0),
            "subject": "prospect", "step_ids": None, "due_at": None, "kind": None,
            "_class": klass}


def _step(row: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """The line of an open step (queries.steps_due row)."""
    due_day = dt.date.fromisoformat(row["due_at"][:10])
    timed = len(row["due_at"]) > 10
    late = (today - due_day).days
    what = row["text"] or (_("first contact") if not row["last_touch_at"] else _("next step"))
    account_step = row["prospect_id"] is None
    if account_step:
        with_whom = " " + (_("with {account} ({people})") if row["people"]
                           else _("with {account} (whole account)")).format(
            account=row["account"], people=row["people"])
    else:
        with_whom = ""
    first = not account_step and not row["last_touch_at"]
    kind = ((_("first contact") if first else _("next step")) if row["kind"] == "todo"
            else dynamic(row["kind"]))
    if late > 0:
        reason = "overdue"
        why = _("{kind}{with_whom} overdue since {when} ({days}): {what}").format(
            kind=kind, with_whom=with_whom, when=dates.show(row["due_at"]), days=_days(late),
            what=what)
    else:
        reason = "next-step"
        when = (_("today") + (f" {row['due_at'][11:16]}" if timed else "") if late == 0
                else dates.show(row["due_at"]))
        why = _("{kind}{with_whom} due {when}: {what}").format(
            kind=kind, with_whom=with_whom, when=when, what=what)
    if not account_step and row["snoozed_until"] == due_day.isoformat():
        why += "; " + _("back from snooze") + (f": {row['snooze_reason']}"
                                               if row["snooze_reason"] else "")
    stalled = not account_step and (row["continuations"] or 0) >= STALLED_AFTER
    if stalled:
        why += "; " + _("stalled: {n} continuations in a row, no advance; propose a "
                        "commitment").format(n=row["continuations"])
    stage = row["stage"] if not account_step else (
        (row["kam_stage"] or FIRST_KAM.key) if row["is_key"] else None)
    return {"due_on": due_day.isoformat(), "reason": reason, "why": why, "stalled": stalled,
            "days_overdue": max(late, 0), "id": row["prospect_id"],
            "name": row["prospect"] if not account_step else (
                str(row["people"]) if row["people"] else None),  # their names, one text
            "company": row["account"], "email": row.get("email"), "phone": row.get("phone"),
            "stage": stage, "stage_since": row.get("stage_since"),
            "qualification": row.get("qualification"), "last_touch_at": row["last_touch_at"],
            "next_at": row["due_at"], "next_step": row["text"],
            "continuations": row["continuations"] or 0, "value": row["value"],
            "currency": row["currency"],
            "created_at": row["created_at"], "account_id": row["account_id"],
            "subject": "account" if account_step else "prospect",
            "step_ids": str(row["id"]), "due_at": row["due_at"], "kind": row["kind"],
            "uid": row["uid"], "sequence": row["sequence"], "minutes": row["minutes"],
            "_class": "appointment" if timed else "step"}


def _key_account(account: dict[str, Any], today: dt.date, until: dt.date,
                 values: dict[str, str]) -> dict[str, Any]:
    """The follow-up line of a key account that is due (see queries.key_accounts_due)."""
    stage = KAM_BY_KEY.get(account["kam_stage"] or FIRST_KAM.key, FIRST_KAM)
    last = account["last_touch_at"]
    reasons, whys = [], []
    days = int(values.get(f"cadence.{stage.key}", stage.cadence_days or 0))
    cadence = _("{stage}: every {days}").format(stage=stage_name(stage), days=_days(days))
    if account["due_on"] and dt.date.fromisoformat(account["due_on"]) <= until:
        due = dt.date.fromisoformat(account["due_on"])
        if due < today:
            quiet = (_("no touch with anyone there for {days}").format(
                days=_days((today - dt.date.fromisoformat(last[:10])).days)) if last
                else _("nobody there touched yet"))
            whys.append(_("key account gone quiet: {quiet} ({cadence})").format(
                quiet=quiet, cadence=cadence))
        else:
            whys.append(_("key account: touch someone there by {day} ({cadence})").format(
                day=dates.show(due), cadence=cadence))
        reasons.append("account-quiet")
    if not account["deciders"]:
        whys.append(_("no known decider: map the buying centre (relcrm role REF decider)"))
        reasons.append("no-decider")
    late = (today - dt.date.fromisoformat(account["effective_due"])).days
    return {"due_on": account["effective_due"], "reason": ",".join(reasons),
            "why": "; ".join(whys), "stalled": False, "days_overdue": max(late, 0), "id": None,
            "name": None, "company": account["name"], "email": None, "phone": None,
            "stage": stage.key, "stage_since": account["kam_since"], "qualification": None,
            "last_touch_at": last, "next_at": None, "next_step": None, "continuations": 0,
            "value": None, "currency": None, "created_at": account["created_at"],
            "account_id": account["id"],
            "subject": "account", "step_ids": None, "due_at": None, "kind": None,
            "_class": "account"}
