"""The review: what a period of selling did, figure by figure, against the period before.

Every figure is an SQL aggregate over the stored facts, read through the indexes on dates
(touch.at, stage_change.at, deal_change.at, deal.closed_at, step.due_at, prospect.care_on), so
a long book answers as fast as a short one; nothing loops over every row in Python. A figure
about a period is computed twice, for the period and for the one before of the same shape; a
figure about "now" (stalled sales, care thinning, single points of contact) has no previous.

Sections and figures (the `figure` and `key` columns of the machine formats):

  effort        touches (contacts: every touch but notes), touches_by_kind KIND,
                touches_by_day mon..sun, calls (touches with an outcome), minutes, effort_split
                customers|prospects (touches with people who were customers then: an order
                or a won deal before, theirs or their account's; and the rest),
                customer_share (% of touches with customers)
  spin          calls_by_outcome OUTCOME, advance_rate (% of calls ending in an advance or an
                order), early_advances (advances with someone for whom no explicit need was
                recorded by then), stalled_now (sales with STALLED_AFTER or more continuations
                in a row, not lost)
  funnel        reached STAGE (stage changes into it), moves FROM->TO, conversion STAGE (of the
                relationships that left the stage, % that went on to the next one),
                median_days STAGE (how long those who left it had been at it)
  deals         opened, won, won_value CURRENCY, lost, lost_by_reason REASON, win_rate (% of the
                deals closed that were won), sales new|repeat (won deals and orders outside a
                deal; repeat: the account, or the person without one, had bought before),
                repeat_share (% of sales from repeat customers)
  slipped       overdue_steps (steps due in the period, not done by their day), went_cold
                (people whose cadence ran out in the period, untouched and with nothing booked
                since), thinning_now (the gaps between their last three contacts grew, and the
                time since the last is longer still and beyond their cadence)
  key_accounts  single_contact_now (key accounts with one person), untouched_deciders (deciders
                at key accounts with no contact in the period), quiet_accounts (key accounts
                with no contact with anyone there in the period)
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..errors import UsageError
from ..i18n import N_, _
from ..methodology import (DECIDER, LOST_REASONS, NON_CONTACT_KINDS, OUTCOMES, STAGES,
                           STALLED_AFTER, TOUCH_KINDS)
from .derive import ORDER_SQL, _cadence

COLUMNS = ("section", "figure", "key", "current", "previous", "from", "to", "previous_from",
           "previous_to")
SECTIONS = ("effort", "spin", "funnel", "deals", "slipped", "key_accounts")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CONTACT_KINDS = tuple(k for k in TOUCH_KINDS if k not in NON_CONTACT_KINDS)
_CONTACT = "t.kind NOT IN (%s)" % ", ".join(f"'{k}'" for k in sorted(NON_CONTACT_KINDS))
LISTED = 8  # names shown under a slipped or key-account figure on a terminal
# the names of the periods (Period.name), translated where shown (dynamic), for the catalog
PERIOD_NAMES = (N_("last month"), N_("the month before"), N_("the same days of last month"),
                N_("this month so far"), N_("last week"), N_("the week before"),
                N_("this week so far"), N_("the same days of last week"))


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    name: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def bounds(self) -> dict[str, str]:
        """SQL bounds: `at >= :a AND at < :b` holds for dates and times within the period."""
        return {"a": self.start.isoformat(), "b": (self.end + dt.timedelta(days=1)).isoformat()}


def periods(today: dt.date, *, month: bool = False, last: bool = False,
            start: dt.date | None = None, end: dt.date | None = None) -> tuple[Period, Period]:
    """The period reviewed and the one it is compared with.

    This week so far (the default: Monday to today) against the same days of the week before;
    `month`: this month so far against the same days of the month before; `last`: the whole
    previous week (or month) against the one before it; `start`/`end`: those days (end: today)
    against as many days just before them."""
    if start is not None or end is not None:
        if month or last:
            raise UsageError(_("--from/--to give the period themselves; leave out --week, "
                               "--month and --last"))
        if start is None:
            raise UsageError(_("--to needs --from: the first day of the period"))
        end = end or today
        if start > end:
            raise UsageError(_("--from {start} is after --to {end}; the period must start on "
                               "or before its last day")
                             .format(start=start.isoformat(), end=end.isoformat()))
        length = (end - start).days + 1
        before_end = start - dt.timedelta(days=1)
        return (Period(start, end, "custom"),
                Period(before_end - dt.timedelta(days=length - 1), before_end, "before"))
    if month:
        first = today.replace(day=1)
        if last:
            end_ = first - dt.timedelta(days=1)
            begin = end_.replace(day=1)
            before_end = begin - dt.timedelta(days=1)
            return (Period(begin, end_, "last month"),
                    Period(before_end.replace(day=1), before_end, "the month before"))
        before_end = first - dt.timedelta(days=1)
        before = Period(before_end.replace(day=1),
                        before_end.replace(day=min(today.day, before_end.day)),
                        "the same days of last month")
        return Period(first, today, "this month so far"), before
    monday = today - dt.timedelta(days=today.weekday())
    week = dt.timedelta(days=7)
    if last:
        return (Period(monday - week, monday - dt.timedelta(days=1), "last week"),
                Period(monday - 2 * week, monday - week - dt.timedelta(days=1),
                       "the week before"))
    return (Period(monday, today, "this week so far"),
            Period(monday - week, today - week, "the same days of last week"))


@dataclass
class Figure:
    section: str
    figure: str
    key: str | None
    current: Any
    previous: Any = None
    kind: str = "count"  # count, percent, days, minutes, money (machine formats: the number)
    currency: str | None = None


@dataclass
class Review:
    period: Period
    before: Period
    figures: list[Figure] = field(default_factory=list)
    # names under a figure (section, figure) -> [{"id", "name", "detail"}], the current period
    who: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    totals: dict[tuple[str, str], int] = field(default_factory=dict)  # how many were listed

    def rows(self) -> list[dict[str, Any]]:
        from ..db import money

        out = []
        for f in self.figures:
            current, previous = f.current, f.previous
            if f.kind == "money":  # exact: beyond 15 digits a Decimal, not money()'s text
                current, previous = (Decimal(v) if isinstance(v, str) else v
                                     for v in (money(current), money(previous)))
            out.append({"section": f.section, "figure": f.figure, "key": f.key,
                        "current": current, "previous": previous,
                        "from": self.period.start.isoformat(), "to": self.period.end.isoformat(),
                        "previous_from": self.before.start.isoformat(),
                        "previous_to": self.before.end.isoformat()})
        return out


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _one(con: sqlite3.Connection, sql: str, params: dict[str, Any]) -> Any:
    return con.execute(sql, params).fetchone()[0]


# -- effort --------------------------------------------------------------------------------

_ORDER_O = ORDER_SQL.replace("t.", "o.")
# whether the person touched was a customer at the time of the touch: an order before it by
# them or anyone at their account, or a deal won before it with their account or them (asked
# as a condition, so that SQLite stops at the first that holds)
_CUSTOMER_THEN = f"""(
    EXISTS (SELECT 1 FROM touch o WHERE o.prospect_id = t.prospect_id AND o.at < t.at
            AND {_ORDER_O})
    OR pr.account_id IS NOT NULL AND (
        EXISTS (SELECT 1 FROM deal d WHERE d.account_id = pr.account_id AND d.status = 'won'
                AND d.closed_at < t.at)
        OR EXISTS (SELECT 1 FROM prospect q JOIN touch o ON o.prospect_id = q.id
                   WHERE q.account_id = pr.account_id AND q.id <> t.prospect_id
                     AND o.at < t.at AND {_ORDER_O}))
    OR EXISTS (SELECT 1 FROM deal_person dp JOIN deal d ON d.id = dp.deal_id
               WHERE dp.prospect_id = t.prospect_id AND d.status = 'won' AND d.closed_at < t.at))"""
# an advance with someone for whom no explicit need was recorded by then
_EARLY = """NOT EXISTS (SELECT 1 FROM touch t2 JOIN call_note n ON n.touch_id = t2.id
                        WHERE t2.prospect_id = t.prospect_id AND t2.at <= t.at
                          AND n.kind = 'explicit_need')"""
_ORDER_T2 = ORDER_SQL.replace("t.", "t2.")
# whether an order outside a deal (touch t by pr) was a repeat sale: the account (or the
# person, without one) had bought before it; the rule of _SALES for a won deal
_REPEAT_ORDER = f"""CASE WHEN pr.account_id IS NOT NULL THEN (CASE WHEN
        EXISTS (SELECT 1 FROM deal d2 WHERE d2.account_id = pr.account_id
                AND d2.status = 'won' AND d2.closed_at < t.at)
        OR EXISTS (SELECT 1 FROM prospect p2 JOIN touch t2 ON t2.prospect_id = p2.id
                   WHERE p2.account_id = pr.account_id AND {_ORDER_T2} AND t2.at < t.at)
        THEN 1 ELSE 0 END)
    ELSE (CASE WHEN
        EXISTS (SELECT 1 FROM deal_person dp JOIN deal d2 ON d2.id = dp.deal_id
                WHERE dp.prospect_id = t.prospect_id AND d2.status = 'won'
                  AND d2.closed_at < t.at)
        OR EXISTS (SELECT 1 FROM touch t2 WHERE t2.prospect_id = t.prospect_id
                   AND {_ORDER_T2} AND t2.at < t.at)
        THEN 1 ELSE 0 END)
    END"""
# The period's touches, read once for the effort, SPIN and sales figures (found by the index
# on their dates, read in the order they are stored): by kind, weekday and outcome, how many
# (all; those of a person in the book, the effort's), their minutes, how many were with a
# customer at the time (asked only of those who are customers now: nobody else had bought
# before), early advances, and the orders outside a deal with how many were repeat sales.
_TOUCHES = f"""
SELECT t.kind, CAST(strftime('%w', t.at) AS INTEGER) AS wd, t.outcome, count(*), count(pr.id),
       coalesce(sum(CASE WHEN pr.id IS NOT NULL THEN t.minutes END), 0),
       sum(CASE WHEN pr.customer = 1 AND {_CONTACT} AND {_CUSTOMER_THEN} THEN 1 ELSE 0 END),
       sum(CASE WHEN t.outcome = 'advance' THEN {_EARLY} ELSE 0 END),
       sum(CASE WHEN pr.id IS NOT NULL AND {ORDER_SQL} AND t.deal_id IS NULL THEN 1 ELSE 0 END),
       sum(CASE WHEN pr.id IS NOT NULL AND {ORDER_SQL} AND t.deal_id IS NULL
           THEN {_REPEAT_ORDER} ELSE 0 END)
FROM touch t LEFT JOIN prospect pr ON pr.id = t.prospect_id
WHERE t.id IN (SELECT id FROM touch INDEXED BY ix_touch_at WHERE at >= :a AND at < :b)
GROUP BY t.kind, wd, t.outcome
"""


def _touches(con: sqlite3.Connection, p: dict[str, Any]) -> dict[str, Any]:
    """The effort, SPIN and order figures of a period's touches (one read of them)."""
    kinds = {k: 0 for k in CONTACT_KINDS}
    days = {d: 0 for d in WEEKDAYS}
    outcomes: dict[str, int] = {}
    calls = minutes = customers = early = orders = repeats = 0
    for (kind, weekday, outcome, count, theirs, spent, bought, early_, ordered,
         repeat) in con.execute(_TOUCHES, p):
        if outcome is not None:
            outcomes[outcome] = outcomes.get(outcome, 0) + count
        early += early_
        orders += ordered
        repeats += repeat
        if kind in NON_CONTACT_KINDS or not theirs:
            continue
        kinds[kind] = kinds.get(kind, 0) + theirs
        days[WEEKDAYS[(weekday - 1) % 7]] += theirs
        if outcome is not None:
            calls += theirs
        minutes += spent
        customers += bought or 0
    total = sum(kinds.values())
    return {"effort": {"touches": total, "kinds": kinds, "days": days, "calls": calls,
                       "minutes": minutes, "customers": customers,
                       "prospects": total - customers, "share": _percent(customers, total)},
            # in SQL's order (GROUP BY t.outcome read them so): numbers, then texts
            "outcomes": dict(sorted(outcomes.items(), key=lambda kv: (isinstance(kv[0], str),
                                                                     kv[0]))),
            "early": early, "orders": orders, "repeats": repeats}


# -- SPIN ----------------------------------------------------------------------------------

def _spin(touches: dict[str, Any]) -> dict[str, Any]:
    outcomes = {o.key: 0 for o in OUTCOMES}
    outcomes.update(touches["outcomes"])
    calls = sum(outcomes.values())
    return {"outcomes": outcomes,
            "rate": _percent(outcomes.get("advance", 0) + outcomes.get("order", 0), calls),
            "early": touches["early"]}


# -- the relationship funnel ---------------------------------------------------------------

_MOVES = """
SELECT s.from_stage, s.to_stage, count(*) FROM stage_change s INDEXED BY ix_stage_change_at
WHERE s.at >= :a AND s.at < :b AND (s.from_stage IS NULL OR s.from_stage <> s.to_stage)
GROUP BY s.from_stage, s.to_stage
"""
# how long each relationship that left a stage in the period had been at it (days)
_STAYS = """
SELECT s.from_stage, julianday(s.at) - julianday((
    SELECT e.at FROM stage_change e
    WHERE e.prospect_id = s.prospect_id AND (e.at < s.at OR (e.at = s.at AND e.seq < s.seq))
    ORDER BY e.at DESC, e.seq DESC LIMIT 1))
FROM stage_change s INDEXED BY ix_stage_change_at
WHERE s.at >= :a AND s.at < :b AND s.from_stage IS NOT NULL AND s.from_stage <> s.to_stage
"""


def _funnel(con: sqlite3.Connection, p: dict[str, Any]) -> dict[str, Any]:
    order = [s.key for s in STAGES] + ["lost"]
    reached = {k: 0 for k in order}
    moves: dict[str, int] = {}
    left: dict[str, int] = {}
    onward: dict[str, int] = {}
    following = {s.key: STAGES[i + 1].key for i, s in enumerate(STAGES[:-1])}
    for source, target, count in con.execute(_MOVES, p):
        reached[target] = reached.get(target, 0) + count
        if source is None:
            continue
        moves[f"{source}->{target}"] = count
        left[source] = left.get(source, 0) + count
        if following.get(source) == target:
            onward[source] = onward.get(source, 0) + count
    stays: dict[str, list[float]] = {}
    for source, days in con.execute(_STAYS, p):
        if days is not None:
            stays.setdefault(source, []).append(days)
    rank = {k: i for i, k in enumerate(order)}
    return {"reached": reached,
            "moves": dict(sorted(moves.items(), key=lambda kv: tuple(
                rank.get(x, 99) for x in kv[0].split("->")))),
            "conversion": {s.key: _percent(onward.get(s.key, 0), left.get(s.key, 0))
                           for s in STAGES[:-1]},
            "median": {k: round(statistics.median(stays[k]), 1) if k in stays else None
                       for k in order if k != "lost"}}


# -- deals and sales -----------------------------------------------------------------------

# a sale: a won deal (when it was closed), or an order outside any deal (counted with the
# period's touches: _TOUCHES); who bought (the account, else the person) and whether they had
# bought before it
_SALES = f"""
WITH sale AS (
    SELECT d.closed_at AS at, d.account_id AS account_id, d.id AS deal_id,
           (SELECT min(dp.prospect_id) FROM deal_person dp WHERE dp.deal_id = d.id) AS person
    FROM deal d INDEXED BY ix_deal_closed
    WHERE d.closed_at >= :a AND d.closed_at < :b AND d.status = 'won'
)
SELECT sum(CASE WHEN s.account_id IS NOT NULL THEN (
        EXISTS (SELECT 1 FROM deal d2 WHERE d2.account_id = s.account_id
                AND d2.status = 'won' AND d2.closed_at < s.at)
        OR EXISTS (SELECT 1 FROM prospect p2 JOIN touch t ON t.prospect_id = p2.id
                   WHERE p2.account_id = s.account_id AND {ORDER_SQL} AND t.at < s.at
                     AND (s.deal_id IS NULL OR t.deal_id IS NULL OR t.deal_id <> s.deal_id)))
    ELSE (
        EXISTS (SELECT 1 FROM deal_person dp JOIN deal d2 ON d2.id = dp.deal_id
                WHERE dp.prospect_id = s.person AND d2.status = 'won' AND d2.closed_at < s.at)
        OR EXISTS (SELECT 1 FROM touch t WHERE t.prospect_id = s.person AND {ORDER_SQL}
                   AND t.at < s.at
                   AND (s.deal_id IS NULL OR t.deal_id IS NULL OR t.deal_id <> s.deal_id)))
    END), count(*)
FROM sale s
"""


def _deals(con: sqlite3.Connection, p: dict[str, Any],
           touches: dict[str, Any]) -> dict[str, Any]:
    opened = _one(con, "SELECT count(*) FROM deal_change c INDEXED BY ix_deal_change_at "
                       "WHERE c.at >= :a AND c.at < :b AND c.action = 'opened'", p)
    closed = con.execute(
        "SELECT d.status, d.lost_reason, d.won_currency, count(*), sum(d.won_milli) "
        "FROM deal d INDEXED BY ix_deal_closed WHERE d.closed_at >= :a AND d.closed_at < :b "
        "GROUP BY d.status, d.lost_reason, d.won_currency", p).fetchall()
    won = lost = 0
    value: dict[str, int] = {}
    reasons = {r.key: 0 for r in LOST_REASONS}
    for status, reason, currency, count, milli in closed:
        if status == "won":
            won += count
            if currency is not None:
                value[currency] = value.get(currency, 0) + (milli or 0)
        elif status == "lost":
            lost += count
            reasons[reason or "other"] = reasons.get(reason or "other", 0) + count
    repeat, sales = con.execute(_SALES, p).fetchone()
    repeat = (repeat or 0) + touches["repeats"]
    sales += touches["orders"]
    return {"opened": opened, "won": won, "value": value, "lost": lost, "reasons": reasons,
            "rate": _percent(won, won + lost), "new": sales - repeat, "repeat": repeat,
            "share": _percent(repeat, sales)}


# -- who slipped ---------------------------------------------------------------------------

def _slip_bounds(period: Period, today: dt.date) -> dict[str, str] | None:
    """A day in the period that is over: from its start to yesterday (or its end)."""
    last = min(period.end, today - dt.timedelta(days=1))
    if last < period.start:
        return None
    return {"a": period.start.isoformat(), "b": (last + dt.timedelta(days=1)).isoformat()}


# a step due on a day of the period that was not done by the end of that day
_OVERDUE = """
SELECT st.id, coalesce(pr.name, ac.name), st.text, substr(st.due_at, 1, 10), pr.id
FROM step st INDEXED BY ix_step_due_at
LEFT JOIN prospect pr ON pr.id = st.prospect_id
LEFT JOIN account ac ON ac.id = st.account_id
WHERE st.due_at >= :a AND st.due_at < :b
  AND (st.closed_at IS NULL OR st.closed_at >= date(substr(st.due_at, 1, 10), '+1 day'))
ORDER BY st.due_at, st.id
"""
# cadence ran out on a day of the period: still not contacted, nothing booked since
_COLD = """
SELECT pr.id, pr.name, pr.care_on FROM prospect pr INDEXED BY ix_prospect_care
WHERE pr.care_on >= :a AND pr.care_on < :b AND pr.stage <> 'lost'
  AND (pr.snoozed_until IS NULL OR pr.snoozed_until <= pr.care_on)
ORDER BY pr.care_on, pr.id
"""
# a person's cadence: their own, else their stage's (:cadence_N, read once: _stage_cadences)
_STAGE_CADENCE = ("CASE pr.stage " + " ".join(f"WHEN '{s.key}' THEN :cadence_{i}"
                                              for i, s in enumerate(STAGES))
                  + f" ELSE {_cadence('pr.stage', STAGES)} END")
_CADENCE = f"coalesce(pr.cadence_days, {_STAGE_CADENCE})"
# past their cadence now (more days since the last contact than the cadence): for someone on
# their stage's cadence, a last contact before that stage's day (:past_N: today less the
# cadence), compared as text
_SINCE_LAST = "julianday(:today) - julianday(substr(pr.last_touch_at, 1, 10))"
_PAST_CADENCE = (
    "CASE WHEN pr.cadence_days IS NULL THEN coalesce(substr(pr.last_touch_at, 1, 10) < CASE "
    + "pr.stage " + " ".join(f"WHEN '{s.key}' THEN :past_{i}" for i, s in enumerate(STAGES))
    + f" END, {_SINCE_LAST} > {_CADENCE}) ELSE {_SINCE_LAST} > pr.cadence_days END")


def _contact_before(moment: str) -> str:
    """A person's (pr) latest contact before a moment: theirs, or one they were at with
    others (asked only of the people who were: the list of them is made once); each read
    from an index, newest first (one step back: never all their touches)."""
    return f"""nullif(max(
        coalesce((SELECT t.at FROM touch t INDEXED BY ix_touch_contact
                  WHERE t.prospect_id = pr.id AND t.at < {moment} AND {_CONTACT}
                  ORDER BY t.at DESC LIMIT 1), ''),
        CASE WHEN pr.id IN (SELECT prospect_id FROM touch_person) THEN coalesce((
            SELECT max(t.at) FROM touch_person tp JOIN touch t ON t.id = tp.touch_id
            WHERE tp.prospect_id = pr.id AND t.at < {moment} AND {_CONTACT}), '')
        ELSE '' END), '')"""


# Care thinning out: each gap between their last three contacts (c1 < c2 < c3, days apart:
# g1, g2) longer than the one before, and the time since the last one (g3) longer still and
# beyond their cadence; c3 is their last_touch_at. Each step back is read only for those still
# in the running (LIMIT -1: not flattened): those past their cadence now, then those whose gap
# before the last contact is shorter than the time since; most cost one look at their previous
# contact.
_THINNING = f"""
SELECT id, name, g1, g2, g3, cadence FROM (
    SELECT pr.id, pr.name, pr.g2, pr.g3, pr.cadence,
           julianday(substr(pr.c2, 1, 10))
               - julianday(substr({_contact_before('pr.c2')}, 1, 10)) AS g1
    FROM (
        SELECT pr.*, julianday(substr(pr.c3, 1, 10)) - julianday(substr(pr.c2, 1, 10)) AS g2
        FROM (
            SELECT pr.*, {_contact_before('pr.c3')} AS c2
            FROM (
                SELECT pr.id, pr.name, pr.last_touch_at AS c3,
                       julianday(:today) - julianday(substr(pr.last_touch_at, 1, 10)) AS g3,
                       {_CADENCE} AS cadence
                FROM prospect pr WHERE pr.stage <> 'lost' AND pr.last_touch_at IS NOT NULL
                  AND {_PAST_CADENCE}
                LIMIT -1) pr
            WHERE pr.g3 > pr.cadence LIMIT -1) pr
        LIMIT -1) pr
    WHERE pr.g2 < pr.g3 LIMIT -1) pr
WHERE g1 < g2
ORDER BY g3 DESC, id
"""


def _stage_cadences(con: sqlite3.Connection, today: dt.date) -> dict[str, Any]:
    """Each stage's cadence (the book's setting, else relcrm's), and the day a last contact
    must be before to be past it: the parameters of _CADENCE and _PAST_CADENCE."""
    days = con.execute("SELECT " + ", ".join(_cadence(f"'{s.key}'", STAGES)
                                              for s in STAGES)).fetchone()
    params: dict[str, Any] = {}
    for i, cadence in enumerate(days):
        params[f"cadence_{i}"] = cadence
        try:
            past = (today - dt.timedelta(days=cadence)).isoformat()
        except (TypeError, OverflowError):  # none (never past it), or beyond any date
            past = None
        params[f"past_{i}"] = past
    return params


def _slipped(con: sqlite3.Connection, period: Period, today: dt.date) -> dict[str, Any]:
    bounds = _slip_bounds(period, today)
    if bounds is None:
        return {"steps": [], "cold": []}
    from .. import dates
    from ..i18n import current

    # a day as stored (ISO) in English, as the language writes it otherwise
    day_shown = dates.show_day if current() == "vi" else str
    overdue, step, due = _("{what} (#{id}, due {day})"), _("step"), _("due a touch {day}")
    steps = [{"id": pid, "name": name,
              "detail": overdue.format(what=text or step, id=sid, day=day_shown(day))}
             for sid, name, text, day, pid in con.execute(_OVERDUE, bounds)]
    cold = [{"id": pid, "name": name, "detail": due.format(day=day_shown(day))}
            for pid, name, day in con.execute(_COLD, bounds)]
    return {"steps": steps, "cold": cold}


def _thinning(con: sqlite3.Connection, today: dt.date) -> list[dict[str, Any]]:
    detail = _("gaps of {g1:.0f}, {g2:.0f} and {g3:.0f} days; every {cadence} days wanted")
    return [{"id": pid, "name": name,
             "detail": detail.format(g1=g1, g2=g2, g3=g3, cadence=cadence)}
            for pid, name, g1, g2, g3, cadence in con.execute(
                _THINNING, {"today": today.isoformat(), **_stage_cadences(con, today)})]


# -- key accounts --------------------------------------------------------------------------

_SINGLE = """
SELECT a.id, a.name FROM account a INDEXED BY ix_account_key
WHERE a.is_key = 1 AND (SELECT count(*) FROM prospect pr
                        WHERE pr.account_id = a.id AND pr.stage <> 'lost') = 1
ORDER BY a.name_key
"""
_TOUCHED = f"""EXISTS (SELECT 1 FROM touch t WHERE t.prospect_id = {{who}} AND {_CONTACT}
                       AND t.at >= :a AND t.at < :b)
    OR EXISTS (SELECT 1 FROM touch_person tp JOIN touch t ON t.id = tp.touch_id
               WHERE tp.prospect_id = {{who}} AND {_CONTACT} AND t.at >= :a AND t.at < :b)"""
_UNTOUCHED_DECIDERS = f"""
SELECT pr.id, pr.name, a.name FROM account a INDEXED BY ix_account_key
CROSS JOIN prospect pr ON pr.account_id = a.id
CROSS JOIN prospect_role r ON r.prospect_id = pr.id AND r.role = '{DECIDER}'
WHERE a.is_key = 1 AND pr.stage <> 'lost' AND pr.created_at < :b
  -- (key accounts, their people, the deciders among them; then only those are asked about
  -- their touches: r.prospect_id)
  AND NOT ({_TOUCHED.format(who='r.prospect_id')})
ORDER BY a.name_key, pr.name_key
"""
_QUIET = f"""
SELECT a.id, a.name FROM account a INDEXED BY ix_account_key
WHERE a.is_key = 1 AND a.created_at < :b
  AND NOT EXISTS (SELECT 1 FROM prospect pr WHERE pr.account_id = a.id
                  AND ({_TOUCHED.format(who='pr.id')}))
ORDER BY a.name_key
"""


def _key_accounts(con: sqlite3.Connection, p: dict[str, Any]) -> dict[str, Any]:
    key = _("key account")
    return {"deciders": [{"id": pid, "name": name, "detail": account}
                         for pid, name, account in con.execute(_UNTOUCHED_DECIDERS, p)],
            "quiet": [{"id": aid, "name": name, "detail": key}
                      for aid, name in con.execute(_QUIET, p)]}


# -- the whole review ----------------------------------------------------------------------

def build(con: sqlite3.Connection, period: Period, before: Period, today: dt.date) -> Review:
    review = Review(period, before)
    now, then = period.bounds, before.bounds
    add = review.figures.append

    def pair(section: str, name: str, current: dict[str, Any], previous: dict[str, Any],
             kind: str = "count") -> None:
        for key in current:
            add(Figure(section, name, key, current[key], previous.get(key, 0), kind))

    t, t0 = _touches(con, now), _touches(con, then)
    e, e0 = t["effort"], t0["effort"]
    add(Figure("effort", "touches", None, e["touches"], e0["touches"]))
    pair("effort", "touches_by_kind", e["kinds"], e0["kinds"])
    pair("effort", "touches_by_day", e["days"], e0["days"])
    add(Figure("effort", "calls", None, e["calls"], e0["calls"]))
    add(Figure("effort", "minutes", None, e["minutes"], e0["minutes"], "minutes"))
    add(Figure("effort", "effort_split", "customers", e["customers"], e0["customers"]))
    add(Figure("effort", "effort_split", "prospects", e["prospects"], e0["prospects"]))
    add(Figure("effort", "customer_share", None, e["share"], e0["share"], "percent"))

    s, s0 = _spin(t), _spin(t0)
    pair("spin", "calls_by_outcome", s["outcomes"], s0["outcomes"])
    add(Figure("spin", "advance_rate", None, s["rate"], s0["rate"], "percent"))
    add(Figure("spin", "early_advances", None, s["early"], s0["early"]))
    stalled = _one(con, "SELECT count(*) FROM prospect WHERE stage <> 'lost' AND continuations "
                        ">= :n", {"n": STALLED_AFTER})
    add(Figure("spin", "stalled_now", None, stalled, None))

    f, f0 = _funnel(con, now), _funnel(con, then)
    pair("funnel", "reached", f["reached"], f0["reached"])
    moved, moved0 = list(f["moves"]), list(f0["moves"])  # moves only before: in their order
    for key in sorted(set(moved) | set(moved0), key=lambda k: (moved.index(k), 0)
                      if k in moved else (999, moved0.index(k))):
        add(Figure("funnel", "moves", key, f["moves"].get(key, 0), f0["moves"].get(key, 0)))
    for key, value in f["conversion"].items():
        add(Figure("funnel", "conversion", key, value, f0["conversion"][key], "percent"))
    for key, value in f["median"].items():
        add(Figure("funnel", "median_days", key, value, f0["median"][key], "days"))

    d, d0 = _deals(con, now, t), _deals(con, then, t0)
    add(Figure("deals", "opened", None, d["opened"], d0["opened"]))
    add(Figure("deals", "won", None, d["won"], d0["won"]))
    for currency in sorted(set(d["value"]) | set(d0["value"])):
        add(Figure("deals", "won_value", currency, d["value"].get(currency, 0),
                   d0["value"].get(currency, 0), "money", currency))
    add(Figure("deals", "lost", None, d["lost"], d0["lost"]))
    pair("deals", "lost_by_reason", d["reasons"], d0["reasons"])
    add(Figure("deals", "win_rate", None, d["rate"], d0["rate"], "percent"))
    add(Figure("deals", "sales", "new", d["new"], d0["new"]))
    add(Figure("deals", "sales", "repeat", d["repeat"], d0["repeat"]))
    add(Figure("deals", "repeat_share", None, d["share"], d0["share"], "percent"))

    sl, sl0 = _slipped(con, period, today), _slipped(con, before, today)
    thinning = _thinning(con, today)
    add(Figure("slipped", "overdue_steps", None, len(sl["steps"]), len(sl0["steps"])))
    add(Figure("slipped", "went_cold", None, len(sl["cold"]), len(sl0["cold"])))
    add(Figure("slipped", "thinning_now", None, len(thinning), None))
    review.who[("slipped", "overdue_steps")] = sl["steps"]
    review.who[("slipped", "went_cold")] = sl["cold"]
    review.who[("slipped", "thinning_now")] = thinning

    single = [{"id": aid, "name": name, "detail": _("one person")}
              for aid, name in con.execute(_SINGLE)]
    k, k0 = _key_accounts(con, now), _key_accounts(con, then)
    add(Figure("key_accounts", "single_contact_now", None, len(single), None))
    add(Figure("key_accounts", "untouched_deciders", None, len(k["deciders"]),
               len(k0["deciders"])))
    add(Figure("key_accounts", "quiet_accounts", None, len(k["quiet"]), len(k0["quiet"])))
    review.who[("key_accounts", "single_contact_now")] = single
    review.who[("key_accounts", "untouched_deciders")] = k["deciders"]
    review.who[("key_accounts", "quiet_accounts")] = k["quiet"]
    return review
