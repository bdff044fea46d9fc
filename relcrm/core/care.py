"""Relationship care: important dates, the book's occasions and their gift list, personal facts,
and the pre-call brief. Writes take the sqlite3 connection of a write session (one
transaction, journaled for undo); reads take a read connection. Dates are computed in Python
from the few rows of important_date (a book has hundreds, not millions), lunar ones through
core/occasions.py.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Any

from .. import dates, settings
from ..errors import NotFound, UsageError
from ..i18n import N_, _, current, dynamic, named, ngettext
from ..methodology import DECIDER, FACT_ABOUT, STAGE_BY_KEY
from ..text import fold
from . import occasions

# -- facts ---------------------------------------------------------------------------------

# what a fact is about, and what a record is (said in messages), for the catalog
ABOUT_WORDS = (N_("family"), N_("interests"), N_("work"), N_("other"))
RECORDS = (N_("fact"), N_("date"))


def about(text: str | None) -> str:
    if text is None or not text.strip():
        return "other"
    wanted = fold(text)
    aliases = {"gia dinh": "family", "so thich": "interests", "cong viec": "work",
               "khac": "other", "interest": "interests", "hobbies": "interests",
               "hobby": "interests"}
    wanted = aliases.get(wanted, wanted)
    if wanted not in FACT_ABOUT:
        raise UsageError(_("unknown fact category {text!r}; use one of: {categories}")
                         .format(text=text, categories=", ".join(FACT_ABOUT)))
    return wanted


def add_fact(con: sqlite3.Connection, pid: int, text: str, kind: str | None,
             at: dt.date | dt.datetime | None = None) -> int:
    from . import fields

    body = fields.text("fact", text)
    if not body:
        raise UsageError(_("a fact needs its text, e.g. relcrm fact an \"two children, loves "
                           "football\" --about family"))
    stamp = dates.iso(dates.now())
    return con.execute("INSERT INTO fact (prospect_id, about, text, at, created_at) "
                       "VALUES (?, ?, ?, ?, ?)",
                       (pid, about(kind), body, dates.iso(at) if at else stamp,
                        stamp)).lastrowid


def facts(con: sqlite3.Connection, pid: int) -> list[dict[str, Any]]:
    return [dict(zip(("id", "prospect_id", "about", "text", "at"), row)) for row in con.execute(
        "SELECT id, prospect_id, about, text, at FROM fact WHERE prospect_id = ? "
        "ORDER BY CASE about WHEN 'family' THEN 0 WHEN 'interests' THEN 1 WHEN 'work' THEN 2 "
        "ELSE 3 END, at DESC, id DESC", (pid,))]


def drop_fact(con: sqlite3.Connection, fact_id: str) -> dict[str, Any]:
    row = _get(con, "fact", fact_id, "SELECT f.id, f.text, p.name FROM fact f JOIN prospect p "
               "ON p.id = f.prospect_id WHERE f.id = ?", "relcrm fact list REF")
    con.execute("DELETE FROM fact WHERE id = ?", (row[0],))
    return {"id": row[0], "text": row[1], "name": row[2]}


def _get(con: sqlite3.Connection, what: str, ident: str, sql: str, hint: str) -> tuple:
    text = str(ident).strip().lstrip("#")
    if not text.isdigit() or len(text) > 18:
        raise UsageError(_("{what} id {ident!r} is not a number; see them with {hint}")
                         .format(what=dynamic(what), ident=ident, hint=hint))
    row = con.execute(sql, (int(text),)).fetchone()
    if row is None:
        raise NotFound(_("no {what} with id {id}; see them with {hint}")
                       .format(what=dynamic(what), id=text, hint=hint))
    return row


# -- important dates -----------------------------------------------------------------------


def kind_of(text: str) -> str:
    from . import fields

    kind = fields.line("kind", text, required=True)
    return " ".join(kind.lower().split())


def add_date(con: sqlite3.Connection, *, pid: int | None, account_id: int | None, kind: str,
             when: str, lunar: bool, note: str | None) -> tuple[int, occasions.DayOfYear]:
    from . import fields

    date = occasions.parse(when, lunar=lunar)
    kind = kind_of(kind)
    owner = "prospect_id" if pid is not None else "account_id"
    same = con.execute(f"SELECT id FROM important_date WHERE {owner} = ? AND kind = ? AND "
                       "month = ? AND day = ? AND lunar = ?",
                       (pid if pid is not None else account_id, kind, date.month, date.day,
                        int(date.lunar))).fetchone()
    if same:
        raise UsageError(_("that {kind} is already there (date #{id}); change it with "
                           "relcrm date drop {id} and add it again")
                         .format(kind=dynamic(kind), id=same[0]))
    new = con.execute("INSERT INTO important_date (prospect_id, account_id, kind, month, day, "
                      "year, lunar, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      (pid, account_id, kind, date.month, date.day, date.year,
                       int(date.lunar), fields.text("note", note),
                       dates.iso(dates.now()))).lastrowid
    return new, date


def drop_date(con: sqlite3.Connection, date_id: str) -> dict[str, Any]:
    row = _get(con, "date", date_id, "SELECT d.id, d.kind, coalesce(p.name, a.name) FROM "
               "important_date d LEFT JOIN prospect p ON p.id = d.prospect_id LEFT JOIN "
               "account a ON a.id = d.account_id WHERE d.id = ?", "relcrm date list")
    if not con.execute("DELETE FROM important_date WHERE id = ?", (row[0],)).rowcount:
        # a team database shows a seller an account's dates, and lets a manager remove them
        from ..errors import DatabaseError

        raise DatabaseError(_("the team database refused: date #{id} is {name}'s, an "
                              "account's, shared by the team; a manager removes it").format(
            id=row[0], name=row[2]))
    return {"id": row[0], "kind": row[1], "name": row[2]}


def lead_days(values: dict[str, str], kind: str) -> int:
    own = values.get(f"occasion.lead_days.{fold(kind).replace(' ', '-')}", "")
    return int(own) if own else int(values["occasion.lead_days"])


DATE_COLUMNS = ("id", "on", "days", "kind", "date", "lunar", "years", "prospect_id", "name",
                "account_id", "account", "stage", "note", "done_at", "lead_days", "adjusted")


def upcoming(con: sqlite3.Connection, today: dt.date, *, days: int | None = None,
             pid: int | None = None, account_id: int | None = None,
             lead: bool = False) -> list[dict[str, Any]]:
    """The important dates that fall next within `days` of today (every date with `days`
    None), or (lead) those whose own lead time has begun; soonest first. Each with its solar
    day, how many years it will be, and when this year's greeting was logged (--occasion)."""
    values = settings.all_values(con)
    where, params = [], []
    if pid is not None:
        where.append("d.prospect_id = ?")
        params.append(pid)
    if account_id is not None:
        where.append("d.account_id = ?")
        params.append(account_id)
    rows = con.execute(
        "SELECT d.id, d.kind, d.month, d.day, d.year, d.lunar, d.note, d.prospect_id, p.name, "
        "coalesce(d.account_id, p.account_id), a.name, p.stage FROM important_date d "
        "LEFT JOIN prospect p ON p.id = d.prospect_id "
        "LEFT JOIN account a ON a.id = coalesce(d.account_id, p.account_id) "
        + ("WHERE " + " AND ".join(where) if where else ""), params).fetchall()
    out = []
    horizon = None if days is None else today + dt.timedelta(days=days)
    for (ident, kind, month, day, year, lunar, note, person, name, acc, account,
         stage) in rows:
        date = occasions.stored(day, month, year, lunar, _("important date #{id}").format(
            id=ident))
        if date is None or horizon is not None and not occasions.may_fall(date, today,
                                                                          horizon):
            continue
        on, adjusted = occasions.next_on(date, today)
        ahead = (on - today).days
        ahead_of = lead_days(values, kind)
        if lead and (ahead > ahead_of or stage == "lost"):
            continue
        if days is not None and ahead > days:
            continue
        done = con.execute("SELECT max(at) FROM touch WHERE occasion_id = ? AND at >= ? AND "
                           "at < ?", (ident, (on - dt.timedelta(days=occasions.DONE_WINDOW))
                                      .isoformat(), (on + dt.timedelta(days=1)).isoformat())
                           ).fetchone()[0]
        out.append({"id": ident, "on": on.isoformat(), "days": ahead, "kind": kind,
                    "date": occasions.show(date), "lunar": int(lunar),
                    "years": occasions.years(date, on), "prospect_id": person, "name": name,
                    "account_id": acc, "account": account, "stage": stage, "note": note,
                    "done_at": done, "lead_days": ahead_of, "adjusted": adjusted or None})
    out.sort(key=lambda r: (r["on"], r["name"] or r["account"] or "", r["id"]))
    return out


def describe(row: dict[str, Any], today: dt.date) -> str:
    """birthday Fri 14/11 (turns 48); giỗ Sat 2027-04-17 (10/3 âm lịch)."""
    on = dt.date.fromisoformat(row["on"])
    if on == today:
        when = _("today")
    elif on == today + dt.timedelta(days=1):
        when = _("tomorrow")
    elif current() == "vi":
        when = dates.show_day(on)
    else:
        when = f"{on:%a} {on.day}/{on.month}" + ("" if on.year == today.year else f"/{on.year}")
    text = f"{dynamic(row['kind'])} {when}"
    extra = []
    if row["lunar"]:
        extra.append(row["date"])
    if row["years"] is not None and row["years"] > 0:
        extra.append(_("turns {n}").format(n=row["years"]) if row["kind"] == "birthday"
                     else _("{n} years").format(n=row["years"]))
    if row["adjusted"]:
        extra.append(row["adjusted"])
    return text + (f" ({', '.join(extra)})" if extra else "")


# -- the book's occasions and the gift list ------------------------------------------------


def unplaceable(con: sqlite3.Connection) -> list[str]:
    """The book's dates and occasions with no day relcrm can place (doctor): each named with
    the way to drop it."""
    from ..db import on_team

    def shown(day: Any, month: Any, year: Any) -> str:
        return f"{day}/{month}" + (f"/{year}" if year is not None else "")

    # on a team database an account's dates and the occasions are the team's: a manager's
    team = (lambda line: _("{line} (a manager)").format(line=line)) if on_team(con) \
        else (lambda line: line)
    out = []
    for ident, month, day, year, lunar, person in con.execute(
            "SELECT id, month, day, year, lunar, prospect_id FROM important_date ORDER BY id"):
        if occasions.stored(day, month, year, lunar, "", quiet=True) is None:
            line = _("important date #{id} ({day}): relcrm date drop {id}").format(
                id=ident, day=shown(day, month, year))
            out.append(line if person is not None else team(line))
    for key, month, day, lunar in con.execute(
            "SELECT key, month, day, lunar FROM occasion ORDER BY id"):
        if occasions.stored(day, month, None, lunar, "", quiet=True) is None:
            out.append(team(_("the occasion {key} ({day}): relcrm occasion drop {key}")
                            .format(key=key, day=shown(day, month, None))))
    return out


OCCASION_COLUMNS = ("id", "key", "name", "date", "lunar", "gifts", "next_on", "days")


def occasion_rows(con: sqlite3.Connection, today: dt.date,
                  until: dt.date | None = None) -> list[dict[str, Any]]:
    """The book's occasions, soonest first, with the day each falls next (up to `until`
    only, when given)."""
    out = []
    for ident, key, name, month, day, lunar, gifts in con.execute(
            "SELECT id, key, name, month, day, lunar, gifts FROM occasion ORDER BY id"):
        date = occasions.stored(day, month, None, lunar, _("the occasion {key}").format(
            key=key))
        if date is None or until is not None and not occasions.may_fall(date, today, until):
            continue
        on, _adjusted = occasions.next_on(date, today)
        if until is not None and on > until:
            continue
        out.append({"id": ident, "key": key, "name": name, "date": occasions.show(date),
                    "lunar": lunar, "gifts": gifts, "next_on": on.isoformat(),
                    "days": (on - today).days})
    out.sort(key=lambda r: r["next_on"])
    return out


def find_occasion(con: sqlite3.Connection, text: str) -> dict[str, Any]:
    wanted = fold(text).replace(" ", "-")
    rows = con.execute("SELECT id, key, name, month, day, lunar, gifts FROM occasion").fetchall()
    for row in rows:
        if wanted in (row[1], fold(row[2]).replace(" ", "-"), str(row[0])):
            return dict(zip(("id", "key", "name", "month", "day", "lunar", "gifts"), row))
    matches = [r for r in rows if wanted in fold(r[2]).replace(" ", "-")]
    if len(matches) == 1:
        return dict(zip(("id", "key", "name", "month", "day", "lunar", "gifts"), matches[0]))
    raise UsageError(_("unknown occasion {text!r}; the book's occasions are: {occasions} "
                       "(relcrm occasion add KEY NAME DATE adds one)")
                     .format(text=text, occasions=", ".join(f"{r[1]} ({r[2]})" for r in rows)))


def add_occasion(con: sqlite3.Connection, key: str, name: str, when: str, *, lunar: bool,
                 gifts: bool) -> int:
    from . import fields

    slug = fold(key).replace(" ", "-")
    if not slug or not all(ch.isalnum() or ch == "-" for ch in slug):
        raise UsageError(_("occasion key {key!r}: use letters, digits and dashes, e.g. "
                           "founding-day").format(key=key))
    if con.execute("SELECT 1 FROM occasion WHERE key = ?", (slug,)).fetchone():
        raise UsageError(_("the book already has the occasion {key!r}; drop it first "
                           "(relcrm occasion drop {key}) to change it").format(key=slug))
    date = occasions.parse(when, lunar=lunar)
    if date.year is not None:
        raise UsageError(_("an occasion recurs every year: give its day and month "
                           "({day}/{month}), without a year")
                         .format(day=date.day, month=date.month))
    return con.execute("INSERT INTO occasion (key, name, month, day, lunar, gifts) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (slug, fields.line("name", name, required=True), date.month,
                        date.day, int(lunar), int(gifts))).lastrowid


GIFT_COLUMNS = ("rank", "tier", "account_id", "account", "key", "prospect_id", "name", "role",
                "stage", "customer", "orders_value", "currency", "gifted_at", "suggested")
TIERS = {"A": 3, "B": 2, "C": 1}  # budget shares


@dataclass
class GiftList:
    occasion: dict[str, Any]
    on: dt.date
    since: dt.date  # gifts logged from this day on count as sent
    rows: list[dict[str, Any]]

    @property
    def to_send(self) -> int:
        return sum(1 for r in self.rows if not r["gifted_at"])


_GIFT_SQL = f"""
SELECT p.id, p.name, p.account_id, a.name, coalesce(a.is_key, 0), p.stage, p.customer,
       EXISTS (SELECT 1 FROM prospect_role r WHERE r.prospect_id = p.id AND r.role = '{DECIDER}'),
       (SELECT group_concat(role, ',') FROM (SELECT role FROM prospect_role r
        WHERE r.prospect_id = p.id ORDER BY role)),
       (SELECT max(t.at) FROM touch t WHERE t.kind = 'gift' AND t.at >= :since
        AND (t.prospect_id = p.id OR t.id IN (SELECT tp.touch_id FROM touch_person tp
                                              WHERE tp.prospect_id = p.id)))
FROM prospect p LEFT JOIN account a ON a.id = p.account_id
WHERE p.stage <> 'lost'
  AND (a.is_key = 1 OR p.stage IN ('consolidate', 'loyal') OR p.customer = 1)
"""
# last year's order value per account (or person without one), in the book's currency
_ORDERS_SQL = """
SELECT coalesce('a' || p.account_id, 'p' || p.id), sum(t.amount_milli)
FROM touch t JOIN prospect p ON p.id = t.prospect_id
WHERE t.amount_milli IS NOT NULL AND t.amount_currency = :currency
  AND t.at >= :from AND t.at < :to
GROUP BY 1
"""


def gift_list(con: sqlite3.Connection, occasion_ref: str, today: dt.date, *,
              year: int | None = None, budget=None) -> GiftList:
    """Who to greet with a gift on a gift occasion, most important first: key accounts, then
    relationships at Consolidate and Loyal, then customers by last year's order value; at an
    account its deciders first. Tier A: key accounts and Loyal; B: Consolidate or the
    accounts that make the top 80% of last year's orders; C: the other customers."""
    occasion = find_occasion(con, occasion_ref)
    date = occasions.stored(occasion["day"], occasion["month"], None, occasion["lunar"],
                            "", quiet=True)
    if date is None:
        from ..errors import DatabaseError

        raise DatabaseError(_("the occasion {key} has no day relcrm can place; drop it and add "
                              "it again (relcrm occasion drop {key})").format(
            key=occasion["key"]))
    if year is not None:
        if not occasions.FIRST_YEAR <= year <= occasions.LAST_YEAR:
            raise UsageError(_("--year must be {first} to {last}")
                             .format(first=occasions.FIRST_YEAR, last=occasions.LAST_YEAR))
        on, _adjusted = occasions.in_year(date, year)
    else:
        on, _adjusted = occasions.next_on(date, today)
    lead = int(settings.get(con, "occasion.gift_lead_days"))
    since = on - dt.timedelta(days=max(lead, 30))
    currency = settings.get(con, "currency")
    orders = dict(con.execute(_ORDERS_SQL, {"currency": currency,
                                            "from": (on - dt.timedelta(days=365)).isoformat(),
                                            "to": on.isoformat()}).fetchall())
    ranked = sorted(orders.items(), key=lambda kv: -kv[1])
    total, running, top = sum(orders.values()), 0, set()
    for group, value in ranked:
        if total and running < 0.8 * total:
            top.add(group)
        running += value
    people = con.execute(_GIFT_SQL, {"since": since.isoformat()}).fetchall()
    from ..render import Listed  # a person's roles: "decider,user" in csv, an array in JSON

    rows = []
    for (pid, name, account_id, account, is_key, stage, customer, decider, roles,
         gifted) in people:
        group = f"a{account_id}" if account_id is not None else f"p{pid}"
        value = orders.get(group, 0)
        tier = ("A" if is_key or stage == "loyal" else
                "B" if stage == "consolidate" or group in top else "C")
        rows.append({"tier": tier, "account_id": account_id, "account": account,
                     "key": int(is_key), "prospect_id": pid, "name": name,
                     "role": Listed(roles.split(","), ",") if roles else None,
                     "stage": stage, "customer": customer,
                     "orders_value": value, "currency": currency, "gifted_at": gifted,
                     "_decider": decider, "_group": group})
    level = {"loyal": 0, "consolidate": 1}
    best: dict[str, tuple] = {}
    for row in rows:  # an account ranks by its best person and its orders
        mine = (0 if row["key"] else 1 if row["stage"] in level else 2,
                level.get(row["stage"], 2), -row["orders_value"])
        best[row["_group"]] = min(best.get(row["_group"], mine), mine)
    rows.sort(key=lambda r: (best[r["_group"]], r["account"] or r["name"], r["_group"],
                             not r["_decider"], fold(r["name"])))
    shares = sum(TIERS[r["tier"]] for r in rows if not r["gifted_at"])
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
        row["orders_value"] = row["orders_value"] or None
        row["suggested"] = None
        if budget is not None and shares and not row["gifted_at"]:
            row["suggested"] = budget.milli * TIERS[row["tier"]] // shares
    return GiftList(occasion, on, since, rows)


def gift_announcements(con: sqlite3.Connection, today: dt.date,
                       until: dt.date) -> list[dict[str, Any]]:
    """followups' line for each gift occasion within occasion.gift_lead_days: how many gifts
    are still to send."""
    lead = int(settings.get(con, "occasion.gift_lead_days"))
    out = []
    for occasion in occasion_rows(con, today, until + dt.timedelta(days=lead)):
        if not occasion["gifts"]:
            continue
        gifts = gift_list(con, occasion["key"], today)
        days = occasion["days"]
        when = (_("today") if not days else _("tomorrow") if days == 1
                else _("in {n} days").format(n=days))
        count = gifts.to_send
        if not count:  # nobody to send one to, or every gift sent: nothing to do
            continue
        why = ngettext("{occasion} {when} ({day}): {n} gift to send (relcrm occasion gifts "
                       "{key})",
                       "{occasion} {when} ({day}): {n} gifts to send (relcrm occasion gifts "
                       "{key})", count).format(occasion=occasion["name"], when=when,
                                               day=dates.show_day(gifts.on), n=count,
                                               key=occasion["key"])
        due = max(today, gifts.on - dt.timedelta(days=lead))
        out.append({"due_on": due.isoformat(), "reason": "gifts", "why": why,
                    "stalled": False, "days_overdue": 0, "id": None, "name": None,
                    "company": None, "email": None, "phone": None, "stage": None,
                    "stage_since": None, "qualification": None, "last_touch_at": None,
                    "next_at": None, "next_step": None, "continuations": 0, "value": None,
                    "currency": None, "created_at": None, "account_id": None,
                    "subject": "occasion", "step_ids": None, "due_at": None, "kind": None,
                    "_class": "occasion"})
    return out


def date_lines(con: sqlite3.Connection, today: dt.date, until: dt.date, *,
               on_their_day: bool = False) -> list[dict[str, Any]]:
    """followups' line for each person's or account's date whose lead time has begun by
    `until` and not greeted yet (on_their_day: dated on the day itself, for plan)."""
    rows = upcoming(con, today, days=(until - today).days + 60)
    out = []
    for row in rows:
        on = dt.date.fromisoformat(row["on"])
        start = on - dt.timedelta(days=row["lead_days"])
        if row["stage"] == "lost" or row["done_at"] or start > until:
            continue
        due = on if on_their_day else max(today, start)
        if on_their_day and not today <= on <= until:
            continue
        who = row["name"] or row["account"]
        ref = row["prospect_id"] if row["prospect_id"] is not None else None
        how = (_("greet them (relcrm log {ref} message --occasion {id})")
               .format(ref=ref, id=row["id"])
               if ref is not None else _("greet the account (relcrm account show {id})")
               .format(id=row["account_id"]))
        out.append({"due_on": due.isoformat(), "reason": "occasion",
                    "why": f"{describe(row, today)}: {how}", "stalled": False,
                    "days_overdue": 0, "id": row["prospect_id"], "name": who if ref else None,
                    "company": row["account"], "email": None, "phone": None,
                    "stage": row["stage"], "stage_since": None, "qualification": None,
                    "last_touch_at": None, "next_at": None, "next_step": None,
                    "continuations": 0, "value": None, "currency": None, "created_at": None,
                    "account_id": row["account_id"],
                    "subject": "prospect" if ref is not None else "account",
                    "step_ids": None, "due_at": None, "kind": row["kind"],
                    "_class": "occasion", "_date_id": row["id"]})
    return out


def check_occasion_touch(con: sqlite3.Connection, pid: int, date_id: str, kind: str) -> int:
    """--occasion ID on log/call: the person's (or their account's) date, greeted with a
    contact (not a note)."""
    row = _get(con, "date", date_id, "SELECT id, prospect_id, account_id, kind FROM "
               "important_date WHERE id = ?", "relcrm date list")
    if kind == "note":
        raise UsageError(_("--occasion marks a greeting: log it as a message, call, gift, "
                           "visit or email, not a note"))
    account = con.execute("SELECT account_id FROM prospect WHERE id = ?", (pid,)).fetchone()
    if row[1] != pid and not (row[2] is not None and account and row[2] == account[0]):
        raise UsageError(_("--occasion {ref}: date #{id} ({kind}) is not theirs or their "
                           "account's (see relcrm date list REF)")
                         .format(ref=date_id, id=row[0], kind=dynamic(row[3])))
    return row[0]


def stage_name(key: str | None) -> str:
    return named(STAGE_BY_KEY[key]) if key in STAGE_BY_KEY else (key or "")
