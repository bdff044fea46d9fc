"""Bringing records in: plan every row first, then write the plan in one transaction.

Planning reads the book (plain sqlite3) and the file, validates each record with the same field
rules as `add`, recognises duplicates, and decides an action per row: add, update, skip or
error. Nothing is written while planning, so a file with bad rows (unless --skip-bad-rows) or a
--dry-run leaves the book byte-for-byte as it was. Writing is bulk inserts in one transaction;
the derived columns follow at commit, as for every other write (derive.py settle).

New prospects from a contact list get a first-contact step each, spread over the coming
working days (import.per_day a day, in file order) so that a trade fair's list does not fall
due all at once.

Duplicates: the same email (case-insensitive), else the same name and company (case- and
accent-insensitive), in the book or earlier in the file.

Important dates: a contact list's birthdays and anniversaries (Google's Birthday and Event
columns, a vCard's BDAY and ANNIVERSARY, a CSV's birthday column) become important_date rows of
the person (read_date: day first when ambiguous, or month first with config date_order
mdy); a date that cannot be read makes its row bad. With --on-duplicate update, the dates the
person lacks (by kind, day, month and calendar) are added.

relcrm's own exports carry whole histories. Into an empty book every id is kept, so
export -> import -> export gives identical files; into a book that has prospects, records get
new ids and history follows its prospect. A duplicate prospect's history is not merged.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sqlite3
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from .. import dates
from ..errors import UsageError
from ..formats import Read, Source, kind_of
from ..i18n import N_, _, dynamic, ngettext
from ..methodology import (BUY_CLASSES, BUYING_BY_KEY, CRITERIA, DEAL_STATUSES, DECIDER,
                           FIRST_BUYING, FIRST_KAM, FIRST_STAGE, KAM_BY_KEY, LEVELS,
                           LOST_BY_KEY, OUTCOME_BY_KEY, ROLE_BY_KEY, SPIN_KINDS, STAGE_BY_KEY,
                           STEP_KINDS, TOUCH_KINDS, TYPE_BY_KEY, resolve_choice)
from ..text import fold
from . import derive, fields, occasions
from .prospects import largest_prospect_id
from .steps import FIRST_CONTACT, IMPORT_PLANNED, PLANNED_NOTE

DUPLICATE_POLICIES = ("skip", "update", "error")
MAX_ID = 2**53 - 1  # the largest id or seq an import takes or makes: exact in JSON everywhere
Progress = Callable[[int], None]


@dataclass
class Action:
    """What happens to one record of the file."""

    line: int
    entity: str
    action: str  # add, update, skip, error
    name: str = ""
    prospect_id: int | None = None
    reason: str = ""
    origin: str = ""  # the file, when a folder is imported
    matched: str = ""  # a duplicate: what matched (email, phone, profile URL, name and company)


ACTION_COLUMNS = ("line", "entity", "action", "prospect_id", "name", "reason", "matched")


@dataclass
class Plan:
    format: str
    actions: list[Action] = field(default_factory=list)
    new: list[dict[str, Any]] = field(default_factory=list)  # prospect rows to insert
    tags: list[tuple[int, str]] = field(default_factory=list)
    updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    stages: list[dict[str, Any]] = field(default_factory=list)
    judgements: list[dict[str, Any]] = field(default_factory=list)
    touches: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)  # new accounts
    criteria: list[tuple[int, str]] = field(default_factory=list)
    roles: list[tuple[int, str]] = field(default_factory=list)
    kam: list[dict[str, Any]] = field(default_factory=list)
    touch_people: list[tuple[int, int]] = field(default_factory=list)  # (touch, prospect)
    steps: list[dict[str, Any]] = field(default_factory=list)
    step_people: list[tuple[int, int]] = field(default_factory=list)  # (step, prospect)
    step_changes: list[dict[str, Any]] = field(default_factory=list)
    settings: list[tuple[str, str]] = field(default_factory=list)
    aliases: list[dict[str, Any]] = field(default_factory=list)  # merged ids (prospect_alias)
    deals: list[dict[str, Any]] = field(default_factory=list)
    deal_people: list[tuple[int, int]] = field(default_factory=list)  # (deal, prospect)
    deal_changes: list[dict[str, Any]] = field(default_factory=list)
    dates: list[dict[str, Any]] = field(default_factory=list)  # important_date rows
    facts: list[dict[str, Any]] = field(default_factory=list)
    occasions: list[dict[str, Any]] = field(default_factory=list)  # new occasions
    occasion_updates: list[dict[str, Any]] = field(default_factory=list)  # of the same key
    unused: list[str] = field(default_factory=list)  # columns (properties) the file has unread
    unused_noun: str = "columns"
    value_deals: int = 0  # deals opened for a person's value (the import's report says so)
    spread: list[tuple[str, int]] = field(default_factory=list)  # first contacts: (day, count)
    at_once: bool = False  # --per-day 0: no first contact planned, all due at once
    messages: list[str] = field(default_factory=list)  # for stderr (a day off ...)
    keep_ids: bool = False

    def count(self, action: str, entity: str = "prospects") -> int:
        return sum(1 for a in self.actions if a.action == action and a.entity == entity)

    @property
    def errors(self) -> list[Action]:
        return [a for a in self.actions if a.action == "error"]

    @property
    def empty(self) -> bool:
        return not (self.new or self.updates or self.stages or self.judgements or self.touches
                    or self.notes or self.accounts or self.roles or self.kam or self.steps
                    or self.step_changes or self.settings or self.touch_people or self.aliases
                    or self.deals or self.dates or self.facts or self.occasions
                    or self.occasion_updates)


class _Index:
    """Who is already known, by the rule of identity.same_person: the book's people, and
    (for contact lists) the rows of the file before (refs: (book id, None) or (None, line))."""

    def __init__(self, con: sqlite3.Connection):
        from .duplicates import book_index

        self.index = book_index(con)

    @staticmethod
    def identity(row: dict[str, Any]):
        from ..identity import Identity, name_key

        contacts = row.get("_contacts") or {}
        return Identity(name_key(row["name"]),
                        fold(row["company"]) or None if row.get("company") else None,
                        frozenset(k for _, k in contacts.get("email", ())),
                        frozenset(k for _, k in contacts.get("phone", ())),
                        frozenset([row["url_key"]] if row.get("url_key") else ()))

    def find(self, row: dict[str, Any]):
        """(book id or None, earlier line or None, what matched) or None."""
        found = self.index.find(self.identity(row))
        if found is None:
            return None
        ref, how = found
        from .duplicates import english

        return (*(ref if isinstance(ref, tuple) else (ref, None)), english(how))

    def remember(self, row: dict[str, Any], line: int) -> None:
        self.index.add(self.identity(row), (None, line))


def _duplicate(found, policy: str) -> tuple[str, str, int | None, str]:
    """(action, reason, the book's prospect id, what matched)."""
    pid, line, how = found
    what = f"#{pid}" if pid is not None else _("line {line}").format(line=line)
    duplicate = _("duplicate of {what} (same {how})").format(what=what, how=dynamic(how))
    if policy == "error":
        return "error", duplicate, pid, how
    if policy == "update" and pid is not None:
        return "update", _("updates #{id} (same {how})").format(id=pid, how=dynamic(how)), \
            pid, how
    return "skip", duplicate, pid, how


def _next_id(con: sqlite3.Connection, table: str) -> int:
    """The id after the table's largest (added here: in SQL, 2**63 - 1 + 1 becomes a float);
    for prospects, after the ids merged people had too (they still name them). On a team
    database, after the largest the seller can see: a number for the plan only (apply)."""
    if table == "prospect":
        return largest_prospect_id(con) + 1
    return (con.execute(f"SELECT max(id) FROM {table}").fetchone()[0] or 0) + 1


class _Ids:
    """New ids of one table: on from its largest id, or, when that is past MAX_ID (a huge id an
    older relcrm imported), the free ids from 1 up; never past MAX_ID, never an overflow."""

    def __init__(self, con: sqlite3.Connection, table: str):
        self.con, self.table = con, table
        self.next = _next_id(con, table)
        self.given: set[int] = set()  # ids this import uses: kept from the file, or taken
        self.free: Any = None

    def keep(self, number: int) -> int:
        """An id of the file, kept (into an empty book): new ids are numbered around it."""
        if number in self.given:
            raise UsageError(_("id {number} appears twice in the file").format(number=number))
        self.given.add(number)
        self.next = max(self.next, number + 1)
        return number

    def take(self) -> int:
        if self.next <= MAX_ID:
            self.next += 1
            number = self.next - 1
        else:
            if self.free is None:
                import itertools

                used = {row[0] for row in self.con.execute(f"SELECT id FROM {self.table}")}
                self.free = (n for n in itertools.count(1)
                             if n not in used and n not in self.given)
            number = next(self.free)
        self.given.add(number)
        return number


class _Accounts:
    """Companies to accounts: those in the book, and those this import will create."""

    def __init__(self, con: sqlite3.Connection, plan: Plan, stamp: str):
        self.plan, self.stamp = plan, stamp
        self.by_key = {key: (aid, name) for aid, key, name in con.execute(
            "SELECT id, name_key, name FROM account")}
        self.ids = _Ids(con, "account")

    def link(self, row: dict[str, Any], wanted: int | None = None) -> None:
        """Set the row's account_id from its company (creating the account if new, with the
        `wanted` id when it is free), and give the company the account's spelling."""
        if not row.get("company"):
            row["account_id"] = None
            return
        key = fold(row["company"])
        if key not in self.by_key:
            if wanted is None or wanted in self.ids.given:
                number = self.ids.take()
            else:
                number = self.ids.keep(wanted)
            self.by_key[key] = (number, row["company"])
            self.plan.accounts.append({"id": number, "name": row["company"],
                                       "name_key": key, "is_key": False, "deciders": 0,
                                       "created_at": self.stamp, "updated_at": self.stamp})
        row["account_id"], row["company"] = self.by_key[key]


def _keys(values: dict[str, Any]) -> dict[str, Any]:
    from .prospects import search_key

    values["name_key"] = fold(values["name"])
    values["company_key"] = fold(values["company"]) if values.get("company") else None
    values["search_key"] = search_key(values)
    return values


# -- important dates of contact lists ----------------------------------------------------------
_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december")
DATE_FORMS = {
    "dmy": N_("DAY/MONTH/YEAR (14/11/1978), DAY/MONTH (14/11) or YEAR-MONTH-DAY "
              "(1978-11-14)"),
    "mdy": N_("MONTH/DAY/YEAR (11/14/1978), MONTH/DAY (11/14) or YEAR-MONTH-DAY "
              "(1978-11-14)")}
# the months as a notice names them (read ... as 3 April 1980)
_MONTHS_SHOWN = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"),
                 N_("June"), N_("July"), N_("August"), N_("September"), N_("October"),
                 N_("November"), N_("December"))
_LUNAR = re.compile(r"(.*?)[\s,]*\(?\s*(?:am lich|al)\s*\)?")
_TIME = re.compile(r"(?<=\d)(?:t\d{2}:?\d{2}(?::?\d{2})?|\s+\d{1,2}:\d{2}(?::\d{2})?)"
                   r"(?:\.\d+)?\s*(?:z|[+-]\d{2}:?\d{2}|am|pm)?$")


def _month_named(word: str) -> int | None:
    if word == "sept":
        return 9
    if len(word) >= 3:
        for number, name in enumerate(_MONTH_NAMES, 1):
            if name.startswith(word):
                return number
    return None


def read_date(text: str, order: str = "dmy", label: str = "date",
              either: list[tuple[str, str]] | None = None) -> occasions.DayOfYear:
    """An important date as a contact list writes it: 14/11/1978, 14/11, 14.11.1978,
    1978-11-14, 19781114, --11-14, --1114 (vCard and Google without the year), 14 Nov 1978,
    Nov 14, 1978, 14 tháng 11 năm 1978; "âm lịch" (or AL) after it makes it lunar; a time of
    day after it is ignored. DAY/MONTH is read month first when `order` is mdy; a value that
    can be read one way only (25/12/1980, 12/25/1980) is read that way; one that could be read
    either way (03/04/1980) is added to `either` (with `label`) when given. Raises UsageError
    naming `label`, the value and the accepted forms."""
    from ..formats import one_line

    shown = _shown(one_line(text))
    forms = dynamic(DATE_FORMS.get(order, DATE_FORMS["dmy"]))

    def bad(message: str, **more: str) -> UsageError:
        return UsageError(message.format(label=label, value=shown, forms=forms, **more))

    not_a_date = _("{label} {value} is not a date; write dates as {forms}")
    raw = fold(text)
    if len(raw) > 60:
        raise bad(not_a_date)
    lunar = False
    found = _LUNAR.fullmatch(raw)
    if found and found.group(1) and raw != found.group(1):
        raw, lunar = found.group(1), True
    raw = _TIME.sub("", raw).strip()
    year: int | None
    day = month = year = None
    for pattern, parts in (
            (r"(\d{4})-(\d{1,2})-(\d{1,2})", "ymd"), (r"(\d{4})(\d{2})(\d{2})", "ymd"),
            (r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})", "ymd"), (r"--(\d{2})-?(\d{2})", "md"),
            (r"(?:ngay\s+)?(\d{1,2})\s+thang\s+(\d{1,2})(?:\s*(?:,|nam)?\s*(\d+))?", "dmy"),
            (r"(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d+))?", "ab")):
        found = re.fullmatch(pattern, raw)
        if found:
            numbers = [int(g) if g else None for g in found.groups()]
            if parts == "ymd":
                year, month, day = numbers
            elif parts == "md":
                month, day = numbers
            elif parts == "dmy":
                day, month, year = numbers
            else:
                first, second, year = numbers
                day, month = (first, second) if order != "mdy" else (second, first)
                if month > 12 >= day:  # readable one way only
                    day, month = month, day
                elif either is not None and first != second and max(first, second) <= 12:
                    either.append((text, label))
            if parts in ("dmy", "ab") and found.group(3) and len(found.group(3)) != 4:
                raise bad(_("{label} {value} has no year of four digits; write dates as "
                            "{forms}"))
            break
    else:
        named = (re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?(?:\s+(\d{4}))?", raw)
                 or re.fullmatch(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(\d{4}))?",
                                 raw))
        if named is None:
            raise bad(not_a_date)
        first, second, last = named.groups()
        word, number = (second, first) if first.isdigit() else (first, second)
        month = _month_named(word)
        if month is None:
            raise bad(not_a_date)
        day, year = int(number), int(last) if last else None
    try:
        return occasions.check(day, month, year, lunar=lunar, shown=text)
    except UsageError as exc:
        reason = exc.message.split("': ", 1)[-1]
        raise bad(_("{label} {value} is not a possible date ({reason}); write dates as "
                    "{forms}"), reason=reason) from None


def _date_key(kind: str, month: int, day: int, lunar: bool | int) -> tuple[str, int, int, int]:
    """What makes two dates of a person the same: the kind (as a word), day, month, calendar."""
    from ..formats import date_kind

    return date_kind(kind), month, day, int(lunar)


class _PeopleDates:
    """The important dates an import gives people: new rows, never one a person has (in the
    book or earlier in the file)."""

    def __init__(self, con: sqlite3.Connection, plan: Plan):
        self.con, self.plan = con, plan
        self.ids = _Ids(con, "important_date")
        self.known: dict[int, set[tuple[str, int, int, int]]] = {}

    def add(self, pid: int, given: list[tuple[str, occasions.DayOfYear]], stamp: str) -> None:
        if not given:
            return
        if pid not in self.known:
            self.known[pid] = {_date_key(*row) for row in self.con.execute(
                "SELECT kind, month, day, lunar FROM important_date WHERE prospect_id = ?",
                (pid,))}
        known = self.known[pid]
        for kind, date in given:
            key = _date_key(kind, date.month, date.day, date.lunar)
            if key in known:
                continue
            known.add(key)
            self.plan.dates.append({
                "id": self.ids.take(), "prospect_id": pid, "account_id": None, "kind": kind,
                "month": date.month, "day": date.day, "year": date.year, "lunar": int(date.lunar),
                "note": date.note or None, "created_at": stamp})


# -- contact lists (LinkedIn, Google, vCard, any CSV) ------------------------------------------
def plan_contacts(con: sqlite3.Connection, read: Read, *, tags: list[str], on_duplicate: str,
                  next_at: dt.date | dt.datetime | None = None, origin: str = "",
                  per_day: int | None = None, progress: Progress | None = None) -> Plan:
    """New prospects from a contact list. Their first contact is planned: at `next_at` for
    all, else spread over the coming working days at most `per_day` a day in file order (the
    book's import.per_day setting when None; 0: none planned, all due at once)."""
    from .prospects import Details

    from .. import settings

    plan = Plan(read.format, unused=list(read.unused), unused_noun=read.unused_noun)
    plan.actions.extend(Action(line, "prospects", "error", reason=msg) for line, msg in read.errors)
    extra_tags = [fields.tag(t) for t in tags]
    currency, region = settings.get(con, "currency"), settings.get(con, "region")
    chosen = settings.get(con, "date_order")
    order = chosen or "dmy"
    either: list[tuple[str, str]] | None = None if chosen else []  # read day first, unasked
    people_dates = _PeopleDates(con, plan)
    next_iso = fields.next_date(next_at)
    index = _Index(con)
    prospect_ids = _Ids(con, "prospect")
    stamp = dates.iso(dates.now())
    companies = _Accounts(con, plan, stamp)
    for number, record in enumerate(read.records, 1):
        if progress and number % 500 == 0:
            progress(500)
        values = record.values
        name = (values.get("name") or "").strip()
        try:
            details = Details(**{k: values.get(k) for k in (
                "name", "company", "title", "email", "phone", "url", "source", "value", "note")})
            if not name:
                raise UsageError(_("no name"))
            columns = details.validated(currency)
            contacts = details.contacts(region)
            row_tags = sorted({fields.tag(t) for t in values.get("tags") or []} | set(extra_tags))
            row_dates = [(fields.line("kind", given["kind"], required=True),
                          read_date(given["text"], order, given.get("label") or given["kind"],
                                    either))
                         for given in values.get("dates") or []]
        except UsageError as exc:
            plan.actions.append(Action(record.line, "prospects", "error", name, reason=exc.message))
            continue
        columns.setdefault("source", read.source_name or None)
        row = {k: None for k in ("company", "title", "url", "url_key", "source", "note",
                                 "next_step")}
        row.update(columns)
        amount = row.pop("value", None)
        row["_contacts"] = contacts
        _keys(row)
        found = index.find(row)
        if found:
            action, reason, existing, how = _duplicate(found, on_duplicate)
            plan.actions.append(Action(record.line, "prospects", action, columns["name"],
                                       existing, reason, matched=how))
            if action == "update":
                _update(plan, existing, columns, contacts, row_tags)
                people_dates.add(existing, row_dates, stamp)
            continue
        if amount:
            row["_value"] = amount
        index.remember(row, record.line)
        companies.link(row)
        _keys(row)
        pid = prospect_ids.take()
        row.update(id=pid, created_at=stamp, updated_at=stamp, stage=FIRST_STAGE.key,
                   stage_since=stamp, continuations=0)
        plan.new.append(row)
        plan.tags.extend((pid, t) for t in row_tags)
        plan.stages.append({"prospect_id": pid, "at": stamp, "from_stage": None,
                            "to_stage": FIRST_STAGE.key, "seq": 1,
                            "reason": f"imported from {origin or read.format}"})
        plan.actions.append(Action(record.line, "prospects", "add", columns["name"], pid))
        people_dates.add(pid, row_dates, stamp)
    if either:  # said once, as for a WHEN (dates.py): the CLI shows the notices
        text, label = either[0]
        date = read_date(text, "dmy")
        more = len(either) - 1
        month = dynamic(_MONTHS_SHOWN[date.month - 1])
        day = (_("{day} {month} {year}").format(day=date.day, month=month, year=date.year)
               if date.year else _("{day} {month}").format(day=date.day, month=month))
        if more:
            notice = ngettext("read {label} {text} as {date}, and {n:,} more date like it (day "
                              "first; config date_order mdy for month first)",
                              "read {label} {text} as {date}, and {n:,} more dates like it (day "
                              "first; config date_order mdy for month first)", more)
        else:
            notice = _("read {label} {text} as {date} (day first; config date_order mdy for "
                       "month first)")
        dates.NOTICES.append(notice.format(label=label, text=text, date=day, n=more))
    _first_contacts(con, plan, next_iso, per_day, stamp)
    _value_deals(con, plan)
    return plan


def _value_deals(con: sqlite3.Connection, plan: Plan, origin: str = "the value imported for "
                 "them") -> None:
    """A new person's value (a contact list's value column, an older relcrm's export) becomes
    an open deal with them at their account, as `add --value` does."""
    ids = _Ids(con, "deal")
    for row in plan.new:
        amount = row.pop("_value", None)
        if not amount:
            continue
        deal = ids.take()
        plan.deals.append({"id": deal, "account_id": row.get("account_id"),
                           "title": f"Deal with {row['name']}", "stage": FIRST_BUYING.key,
                           "status": "open", "value_milli": amount.milli,
                           "currency": amount.currency, "created_at": row["created_at"],
                           "updated_at": row["updated_at"]})
        plan.deal_people.append((deal, row["id"]))
        plan.value_deals += 1
        plan.deal_changes.append({"deal_id": deal, "at": row["created_at"], "action": "opened",
                                  "to_stage": FIRST_BUYING.key, "reason": origin,
                                  "amount_milli": amount.milli, "currency": amount.currency})


def _first_contacts(con: sqlite3.Connection, plan: Plan, next_iso: str | None,
                    per_day: int | None, stamp: str) -> None:
    """A first-contact step for each new prospect (see plan_contacts)."""
    from .. import settings, workdays

    if not plan.new:
        return
    if next_iso:
        days = [next_iso] * len(plan.new)
        why = workdays.off_reason(con, dt.date.fromisoformat(next_iso[:10]))
        if why:
            plan.messages.append(_("note: {day} is not a working day ({why}); the first "
                                   "contacts keep the date you chose").format(
                                       day=dates.show_day(next_iso), why=why))
    else:
        if per_day is None:
            per_day = int(settings.get(con, "import.per_day"))
        if not per_day:
            plan.at_once = True
            return
        # first contacts an earlier import planned take their place in each day's share
        taken = dict(con.execute(
            f"SELECT substr(s.due_at, 1, 10), count(*) FROM step s WHERE s.status = 'open' "
            f"AND s.due_at >= ? AND {IMPORT_PLANNED} GROUP BY 1", (dates.today().isoformat(),)))
        days = []
        for day in workdays.working_days(con, dates.today()):
            days.extend([day.isoformat()] * max(per_day - taken.get(day.isoformat(), 0), 0))
            if len(days) >= len(plan.new):
                break
    steps = _Ids(con, "step")
    changes = _Ids(con, "step_change")
    for row, day in zip(plan.new, days):
        step_id = steps.take()
        plan.steps.append({"id": step_id, "prospect_id": row["id"], "account_id": None,
                           "kind": "todo", "text": FIRST_CONTACT, "due_at": day,
                           "minutes": None, "status": "open", "created_at": stamp,
                           "closed_at": None, "note": None, "uid": uuid.uuid4().hex})
        plan.step_changes.append({"id": changes.take(), "step_id": step_id, "at": stamp,
                                  "action": "added", "from_due": None, "to_due": day,
                                  "note": PLANNED_NOTE})
        if not plan.spread or plan.spread[-1][0] != day:
            plan.spread.append((day, 0))
        plan.spread[-1] = (day, plan.spread[-1][1] + 1)


# -- relcrm's own exports ----------------------------------------------------------------------
def _given(value: Any, label: str, required: bool) -> bool:
    """Whether a field has a value; a missing required one is an error."""
    if value is None or value == "":
        if required:
            raise UsageError(_("{label} is missing").format(label=label))
        return False
    return True


def _shown(value: Any) -> str:
    """A value for a message: text cut short, a number as written, else only its kind."""
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:60] + "...")
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value) if abs(value) < 1e60 else _("a number of over 60 digits")
    return kind_of(value)


def _str(value: Any, label: str) -> str | None:
    """A text field's value: a string (a number, list, object or true/false is refused)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise UsageError(_("{label} must be text, not {kind}").format(label=label,
                                                                       kind=kind_of(value)))
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # "\ud800" in JSON: SQLite could not store it
            raise UsageError(_("{label} is not valid text (it holds a lone UTF-16 "
                               "surrogate)").format(label=label)) from None
    return value


_DIGITS = re.compile(r"[+-]?[0-9]+")


def _out_of_range(label: str, value: Any) -> UsageError:
    return UsageError(_("{label} {value} is out of range").format(label=label,
                                                                  value=_shown(value)))


def _not_a_date(label: str, value: Any) -> UsageError:
    return UsageError(_("{label} {value} is not a date").format(label=label,
                                                                value=_shown(value)))


def _whole(value: Any, label: str) -> int:
    """A whole number from a number or a string of digits (true/false, lists ... refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise UsageError(_("{label} must be a whole number, not {kind}").format(
            label=label, kind=kind_of(value)))
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isinf(value):
            raise _out_of_range(label, value)
        if math.isnan(value) or value != int(value):
            raise UsageError(_("{label} {value} is not a whole number").format(
                label=label, value=_shown(value)))
        return int(value)
    text = value.strip()
    if not _DIGITS.fullmatch(text):
        raise UsageError(_("{label} {value} is not a whole number").format(
            label=label, value=_shown(value)))
    if len(text) > 30:  # int() of thousands of digits fails; these are past every range
        raise _out_of_range(label, value)
    return int(text)


def _int(value: Any, label: str, *, required: bool = True) -> int | None:
    """An id or seq: a whole number from 1 to MAX_ID."""
    if not _given(value, label, required):
        return None
    number = _whole(value, label)
    if not 1 <= number <= MAX_ID:
        raise UsageError(_("{label} {value} is out of range (1 to {max:,})").format(
            label=label, value=_shown(value), max=MAX_ID))
    return number


def _amount(value: Any, label: str, currency: str, named: Any = None):
    """A money amount (money.Amount) from a number or text; `named` is the file's currency
    column for it (else the book's `currency`). A JSON number is taken exactly as written."""
    from decimal import Decimal

    from .. import money

    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise UsageError(_("{label} must be a number, not {kind}").format(label=label,
                                                                           kind=kind_of(value)))
    code = _str(named, "currency")
    if code:
        currency = money.lookup_currency(code).code
    if isinstance(value, str):
        if len(value) > 60:
            raise _not_an_amount(label, value)
        amount = money.parse(value, currency, label=label)
        if code and amount.currency != currency:
            raise UsageError(_("{label} {value} is in {currency} but its currency column says "
                               "{column}").format(label=label, value=_shown(value),
                                                  currency=amount.currency, column=currency))
        return amount
    if isinstance(value, float) and not math.isfinite(value):
        raise _not_an_amount(label, value)
    return money.Amount.of(Decimal(repr(value)) if isinstance(value, float) else value,
                           currency)


def _not_an_amount(label: str, value: Any) -> UsageError:
    return UsageError(_("{label} {value} is not an amount").format(label=label,
                                                                   value=_shown(value)))


def _moment(value: Any, label: str, *, required: bool = True) -> str | None:
    """A date or time as the book stores it: YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS in local
    time (a time with a UTC offset or Z is converted to local time, its offset dropped)."""
    if not _given(value, label, required):
        return None
    if not isinstance(value, str):
        raise UsageError(_("{label} must be text (an ISO date or time), not {kind}").format(
            label=label, kind=kind_of(value)))
    parsed: dt.date | dt.datetime
    try:
        try:
            parsed = dt.date.fromisoformat(value)
        except ValueError:
            parsed = dt.datetime.fromisoformat(value)
        if not dates.MIN_YEAR <= parsed.year <= dates.MAX_YEAR:
            raise ValueError("out of range")
        if isinstance(parsed, dt.datetime) and parsed.tzinfo is not None:
            parsed = parsed.astimezone().replace(tzinfo=None)
    except ValueError:
        raise UsageError(_("{label} {value} is not an ISO date or time (years {first}-{last})"
                           ).format(label=label, value=_shown(value), first=dates.MIN_YEAR,
                                    last=dates.MAX_YEAR)) from None
    except (OverflowError, OSError):
        raise _out_of_range(label, value) from None
    if not dates.MIN_YEAR <= parsed.year <= dates.MAX_YEAR:
        raise _out_of_range(label, value)
    return dates.iso(parsed)


def _choice(value: Any, label: str, allowed, *, required: bool = True) -> str | None:
    if not _given(value, label, required):
        return None
    if not isinstance(value, str):
        raise UsageError(_("{label} must be text (one of {choices}), not {kind}").format(
            label=label, choices=", ".join(allowed), kind=kind_of(value)))
    if value not in allowed:
        raise UsageError(_("{label} {value} is not one of {choices}").format(
            label=label, value=_shown(value), choices=", ".join(allowed)))
    return value


def _text(value: Any, label: str) -> str | None:
    return fields.text(label, _str(value, label))


def _texts(value: Any, label: str) -> list[str]:
    """A list field's texts: a JSON array of texts (relcrm's JSON exports), or one text as an
    older export or a CSV cell holds it (split by the caller); none when missing or empty."""
    if isinstance(value, list):
        return [text for text in (_str(item, label) for item in value) if text]
    text = _str(value, label)
    return [text] if text else []


def _list(value: Any, label: str) -> list[str]:
    """The items of a list field (tags, roles, criteria): a JSON array, or comma-separated."""
    return [item.strip() for text in _texts(value, label) for item in text.split(",")
            if item.strip()]


def _name(values: dict[str, Any], key: str = "name") -> str:
    """A record's name for the report, if it is text."""
    value = values.get(key)
    return value if isinstance(value, str) else ""


def _update(plan: Plan, pid: int, columns: dict[str, Any],
            contacts: dict[str, list[tuple[str, str]]], tags: list[str]) -> None:
    """--on-duplicate update: the fields the file gives replace the book's; emails, phones
    and tags are added to theirs."""
    change = plan.updates.setdefault(pid, {"tags": set(), "_contacts": {}})
    change.update({k: v for k, v in columns.items() if v is not None and k != "value"})
    if columns.get("value"):
        change["_value"] = columns["value"]
    change["tags"].update(tags)
    for kind, items in contacts.items():
        change["_contacts"].setdefault(kind, []).extend(items)


def plan_book(con: sqlite3.Connection, read: Read, *, on_duplicate: str,
              progress: Progress | None = None) -> Plan:
    from .. import settings

    book = (settings.get(con, "currency"), settings.get(con, "region"))
    plan = Plan("relcrm")
    plan.actions.extend(Action(line, "", "error", reason=msg) for line, msg in read.errors)
    plan.keep_ids = con.execute("SELECT (SELECT count(*) FROM prospect) + "
                                "(SELECT count(*) FROM account)").fetchone()[0] == 0
    by_entity: dict[str, list[Source]] = {}
    for record in read.records:
        by_entity.setdefault(record.entity, []).append(record)
    stamp = dates.iso(dates.now())
    companies = _Accounts(con, plan, stamp)
    ids = {table: _Ids(con, table) for table in (
        "prospect", "touch", "stage_change", "qualification", "kam_change", "step",
        "step_change", "deal", "deal_change", "important_date", "fact")}
    ids["account"] = companies.ids  # accounts for companies without one are numbered after

    def new_id(table: str, old: int) -> int:
        return ids[table].keep(old) if plan.keep_ids else ids[table].take()

    account_map: dict[int, int] = {}  # account id in the file -> id in the book
    account_names: dict[int, str] = {}
    new_accounts: set[int] = set()
    for record in by_entity.get("accounts", []):
        try:
            row, criteria = _book_account(record.values)
        except UsageError as exc:
            plan.actions.append(Action(record.line, "accounts", "error",
                                       _name(record.values), reason=exc.message))
            continue
        old = row["id"]
        if old in account_map:
            plan.actions.append(Action(record.line, "accounts", "error", row["name"],
                                       reason=_("account id {id} appears twice in the "
                                                "file").format(id=old)))
            continue
        known_account = companies.by_key.get(row["name_key"])
        if known_account is not None:
            account_map[old] = known_account[0]
            account_names[known_account[0]] = known_account[1]
            if known_account[0] in new_accounts:
                plan.actions.append(Action(record.line, "accounts", "error", row["name"],
                                           reason=_("an account of that name is already in "
                                                    "the file")))
            else:
                plan.actions.append(Action(record.line, "accounts", "skip", row["name"],
                                           known_account[0], _("already in the book")))
            continue
        row["id"] = account_map[old] = new_id("account", old)
        companies.by_key[row["name_key"]] = (row["id"], row["name"])
        account_names[row["id"]] = row["name"]
        new_accounts.add(row["id"])
        plan.accounts.append(row)
        plan.criteria.extend((row["id"], c) for c in criteria)
        plan.actions.append(Action(record.line, "accounts", "add", row["name"], row["id"]))

    # accounts made for companies that came without one follow those of the file (_Ids.keep)
    prospect_map: dict[int, int] = {}  # id in the file -> id in the book (new prospects)
    names: dict[int, str] = {}
    skipped: dict[int, str] = {}  # id in the file -> why its history is not imported
    roles_of: dict[int, list[str]] = {}  # the roles column, for files without a roles entity
    index = _Index(con)
    for number, record in enumerate(by_entity.get("prospects", []), 1):
        if progress and number % 500 == 0:
            progress(500)
        try:
            row, row_tags = _book_prospect(record.values, book)
        except UsageError as exc:
            plan.actions.append(Action(record.line, "prospects", "error",
                                       _name(record.values), reason=exc.message))
            continue
        old = row["id"]
        if old in prospect_map or old in skipped:
            plan.actions.append(Action(record.line, "prospects", "error", row["name"],
                                       reason=_("id {number} appears twice in the file").format(
                                           number=old)))
            continue
        # only people already in the book are duplicates: a book may hold two namesakes
        found = index.find(_keys(row))
        if found:
            action, reason, existing, how = _duplicate(found, on_duplicate)
            plan.actions.append(Action(record.line, "prospects", action, row["name"], existing,
                                       reason, matched=how))
            skipped[old] = _("its prospect was not imported ({reason})").format(reason=reason)
            if action == "update":
                # (a book's prospects carry no value of their own: their deals hold it)
                _update(plan, existing, {k: row[k] for k in (
                    "company", "title", "url", "url_key", "source", "value_milli",
                    "value_currency", "note", "type") if row.get(k)}, row["_contacts"],
                    row_tags)
            continue
        row["id"] = prospect_map[old] = new_id("prospect", old)
        names[row["id"]] = row["name"]
        if row["account_id"] in account_map:
            row["account_id"] = account_map[row["account_id"]]
            row["company"] = account_names[row["account_id"]]
        else:  # into an empty book, a prospects file alone keeps its account ids too
            companies.link(row, row["account_id"] if plan.keep_ids else None)
        _keys(row)
        roles_of[row["id"]] = row.pop("roles")
        plan.new.append(row)
        plan.tags.extend((row["id"], t) for t in row_tags)
        plan.actions.append(Action(record.line, "prospects", "add", row["name"], row["id"]))

    def owner(record: Source) -> int:
        """The book id of a history record's prospect (raises when it has none)."""
        old = _int(record.values.get("prospect_id"), "prospect_id")
        if old in skipped:
            raise _Skip(skipped[old])
        if old in prospect_map:
            return prospect_map[old]
        name = _str(record.values.get("prospect"), "prospect") or ""
        row = con.execute("SELECT id, name FROM prospect WHERE id = ?", (old,)).fetchone()
        if row is not None and (not name or fold(row[1]) == fold(name)):
            names[row[0]] = row[1]
            return row[0]
        matches = con.execute("SELECT id, name FROM prospect WHERE name_key = ? LIMIT 2",
                              (fold(name),)).fetchall() if name else []
        if len(matches) == 1:
            names[matches[0][0]] = matches[0][1]
            return matches[0][0]
        raise UsageError(_("prospect #{id} {name} is neither in the file nor in the book "
                           "(import its prospects first)").format(id=old, name=repr(name)))

    new_ids = set(prospect_map.values())

    alone = "prospects" not in by_entity  # history files of their own: their people are the
    # book's (an export's touches.csv imported after its prospects.csv), as for deals

    def person(old: int) -> int | None:
        """The book id of a prospect named only by its id (with_ids, people_ids): one this
        import adds; else, for a file without prospects, the book's of that id; else None (an
        id of another book names nobody here)."""
        found = prospect_map.get(old)
        if found is None and alone:
            row = con.execute("SELECT id FROM prospect WHERE id = ?", (old,)).fetchone()
            found = row[0] if row else None
        return found

    def known(entity: str, pid: int, row: dict[str, Any]) -> None:
        """Skip a history record the book already has (importing a file twice adds nothing)."""
        if pid in new_ids:
            return
        sql, params = _SAME[entity]
        if con.execute(sql, [pid] + [row[k] for k in params]).fetchone():
            raise _Skip(_("already in the book"))

    history_of: set[tuple[str, int]] = set()
    for entity, handler in (("stages", _book_stage), ("qualifications", _book_judgement)):
        for record in by_entity.get(entity, []):
            try:
                pid = owner(record)
                row = handler(record.values)
                known(entity, pid, row)
                table = "stage_change" if entity == "stages" else "qualification"
                row.update(prospect_id=pid, id=new_id(table, row["id"]))
            except _Skip as skip:
                plan.actions.append(Action(record.line, entity, "skip", reason=skip.reason))
                continue
            except UsageError as exc:
                plan.actions.append(Action(record.line, entity, "error", reason=exc.message))
                continue
            (plan.stages if entity == "stages" else plan.judgements).append(row)
            history_of.add((entity, pid))
            plan.actions.append(Action(record.line, entity, "add", names.get(pid, ""), pid))

    for record in by_entity.get("roles", []):
        try:
            pid = owner(record)
            role = _choice(record.values.get("role"), "role", tuple(ROLE_BY_KEY))
            if pid not in new_ids and con.execute(
                    "SELECT 1 FROM prospect_role WHERE prospect_id = ? AND role = ?",
                    (pid, role)).fetchone():
                raise _Skip(_("already in the book"))
        except _Skip as skip:
            plan.actions.append(Action(record.line, "roles", "skip", reason=skip.reason))
            continue
        except UsageError as exc:
            plan.actions.append(Action(record.line, "roles", "error", reason=exc.message))
            continue
        plan.roles.append((pid, role))
        history_of.add(("roles", pid))
        plan.actions.append(Action(record.line, "roles", "add", names.get(pid, ""), pid))

    kam_of: set[int] = set()
    for record in by_entity.get("kam", []):
        try:
            aid = _account_owner(con, record.values, account_map)
            row = _book_kam(record.values)
            if aid not in new_accounts and con.execute(
                    "SELECT 1 FROM kam_change WHERE account_id = ? AND at = ? AND to_stage = ?",
                    (aid, row["at"], row["to_stage"])).fetchone():
                raise _Skip(_("already in the book"))
            row.update(account_id=aid, id=new_id("kam_change", row["id"]))
        except _Skip as skip:
            plan.actions.append(Action(record.line, "kam", "skip", reason=skip.reason))
            continue
        except UsageError as exc:
            plan.actions.append(Action(record.line, "kam", "error", reason=exc.message))
            continue
        plan.kam.append(row)
        kam_of.add(aid)
        plan.actions.append(Action(record.line, "kam", "add", account_names.get(aid, ""), aid))

    deal_map = _book_deals(con, plan, by_entity, new_id, person, account_map, book[0])

    def deal_of(old: int | None, pid: int) -> int | None:
        """The book id of the deal an order won: one this import adds, else the book's deal
        of that id when it is with that person or their account (a deals file imported
        before); else none."""
        if old is None:
            return None
        if old in deal_map:
            return deal_map[old]
        found = con.execute(
            "SELECT d.id FROM deal d WHERE d.id = :deal AND (d.account_id = (SELECT "
            "account_id FROM prospect WHERE id = :pid) OR EXISTS (SELECT 1 FROM deal_person "
            "dp WHERE dp.deal_id = d.id AND dp.prospect_id = :pid))",
            {"deal": old, "pid": pid}).fetchone()
        return found[0] if found else None

    date_map = _book_dates(con, plan, by_entity, new_id, owner, new_ids, account_map,
                           new_accounts)

    def occasion_of(old: int | None, pid: int) -> int | None:
        """The book id of the important date a touch greeted: one of the file (imported now,
        or already in the book), else the book's date of that id when it is that person's or
        their account's; else none."""
        if old is None:
            return None
        if old in date_map:
            return date_map[old]
        found = con.execute(
            "SELECT d.id FROM important_date d WHERE d.id = :date AND (d.prospect_id = :pid OR "
            "d.account_id = (SELECT account_id FROM prospect WHERE id = :pid))",
            {"date": old, "pid": pid}).fetchone()
        return found[0] if found else None

    touch_map: dict[int, int] = {}
    for entity in ("touches", "calls"):
        for record in by_entity.get(entity, []):
            existing = None
            try:
                pid = owner(record)
                row, notes = _book_touch(record.values, entity, book[0])
                if row["id"] not in touch_map:
                    existing = _existing_call(con, pid, row) if entity == "calls" else None
                    if existing is None:
                        known("touches", pid, row)
            except _Skip as skip:
                plan.actions.append(Action(record.line, entity, "skip", reason=skip.reason))
                continue
            except UsageError as exc:
                plan.actions.append(Action(record.line, entity, "error", reason=exc.message))
                continue
            old = row["id"]
            if existing is not None:  # a touch imported earlier (touches.csv) gets its notes
                if existing[1] or not notes:
                    plan.actions.append(Action(record.line, entity, "skip", names.get(pid, ""),
                                               pid, _("already in the book")))
                    continue
                touch_id = existing[0]
            elif entity == "calls" and old in touch_map:  # the touch came from touches
                touch_id = touch_map[old]
            else:
                if old in touch_map:
                    plan.actions.append(Action(record.line, entity, "error",
                                               reason=_("touch id {id} appears twice").format(
                                                   id=old)))
                    continue
                touch_id = touch_map[old] = new_id("touch", old)
                with_ids = row.pop("with_ids")
                row.update(id=touch_id, prospect_id=pid,
                           deal_id=deal_of(row["deal_id"], pid),
                           occasion_id=occasion_of(row["occasion_id"], pid))
                plan.touches.append(row)
                plan.touch_people.extend(
                    (touch_id, other) for other in dict.fromkeys(
                        person(o) for o in with_ids) if other is not None and other != pid)
            for position, (kind, text) in enumerate(notes):
                plan.notes.append({"touch_id": touch_id, "kind": kind, "position": position,
                                   "text": text})
            plan.actions.append(Action(record.line, entity, "add", names.get(pid, ""), pid))

    def take(table: str) -> int:
        return ids[table].take()

    _book_steps(con, plan, by_entity, new_id, take, person, owner, account_map)
    for record in by_entity.get("facts", []):
        try:
            pid = owner(record)
            row = _book_fact(record.values)
            if pid not in new_ids and con.execute(
                    "SELECT 1 FROM fact WHERE prospect_id = ? AND at = ? AND about = ? AND "
                    "text = ?", (pid, row["at"], row["about"], row["text"])).fetchone():
                raise _Skip(_("already in the book"))
            row.update(prospect_id=pid, id=new_id("fact", row["id"]))
        except _Skip as skip:
            plan.actions.append(Action(record.line, "facts", "skip", reason=skip.reason))
            continue
        except UsageError as exc:
            plan.actions.append(Action(record.line, "facts", "error", reason=exc.message))
            continue
        plan.facts.append(row)
        plan.actions.append(Action(record.line, "facts", "add", names.get(pid, ""), pid))
    _book_occasions(con, plan, by_entity)
    for record in by_entity.get("aliases", []):
        try:
            pid = owner(record)
            old_id = _int(record.values.get("id"), "id")
            name = fields.line("name", _str(record.values.get("name"), "name"), required=True)
            if con.execute("SELECT 1 FROM prospect WHERE id = :id UNION ALL SELECT 1 FROM "
                           "prospect_alias WHERE id = :id", {"id": old_id}).fetchone() or \
                    old_id in prospect_map.values() or old_id in {a["id"] for a in plan.aliases}:
                raise _Skip(_("id {number} is taken in this book").format(number=old_id))
            row = {"id": old_id, "prospect_id": pid, "name": name,
                   "merged_at": _moment(record.values.get("merged_at"), "merged_at")}
        except _Skip as skip:
            plan.actions.append(Action(record.line, "aliases", "skip", reason=skip.reason))
            continue
        except UsageError as exc:
            plan.actions.append(Action(record.line, "aliases", "error", reason=exc.message))
            continue
        plan.aliases.append(row)
        plan.actions.append(Action(record.line, "aliases", "add", name, pid))
    if plan.keep_ids:  # the book's own settings are never changed by importing into it
        for record in by_entity.get("settings", []):
            try:
                key, value = _book_setting(record.values)
            except UsageError as exc:
                plan.actions.append(Action(record.line, "settings", "error", reason=exc.message))
                continue
            plan.settings.append((key, value))
            plan.actions.append(Action(record.line, "settings", "add", key))
    else:
        for record in by_entity.get("settings", []):
            plan.actions.append(Action(record.line, "settings", "skip",
                                       reason=_("the book keeps its own settings (relcrm "
                                                "config)")))
    # a person's value is the sum of their open deals: a file with its deals brings them;
    # without (an older relcrm's export, a prospects file alone) the value becomes a deal, so
    # nothing the file says is lost
    if "deals" in by_entity:
        for row in plan.new:
            row.pop("_value", None)
    else:
        _value_deals(con, plan, "the value of a prospect in the imported file")
    if "steps" not in by_entity:  # an older relcrm's export: the next step was on the person
        for row in plan.new:
            due = row.pop("next_at", None)
            if due:
                _next_step_of(plan, take, row["id"], due, row.pop("_next_step", None),
                              row.get("next_set_at") or row["updated_at"])
    # A prospect that came without its stage or qualification history (a prospects.csv on
    # its own) keeps its stage and levels as judgements made when it was last updated.
    for row in plan.new:
        pid = row["id"]
        revisit = row.pop("_revisit_on", None)  # a lost one's revisit date (prospects export)
        if ("stages", pid) not in history_of:
            plan.stages.append({"id": None, "prospect_id": pid, "at": row["created_at"],
                                "from_stage": None, "to_stage": FIRST_STAGE.key,
                                "reason": "added", "seq": 1, "revisit_on": None})
            if row["stage"] != FIRST_STAGE.key:
                plan.stages.append({"id": None, "prospect_id": pid, "at": row["stage_since"],
                                    "from_stage": FIRST_STAGE.key, "to_stage": row["stage"],
                                    "reason": "imported", "seq": 2, "revisit_on": revisit})
        if ("qualifications", pid) not in history_of:
            for criterion in CRITERIA:
                if row.get(criterion.key) and not (criterion.key == "authority"
                                                   and DECIDER in roles_of[pid]
                                                   and row[criterion.key] == "yes"):
                    plan.judgements.append({
                        "id": None, "prospect_id": pid, "at": row["updated_at"],
                        "criterion": criterion.key, "level": row[criterion.key],
                        "note": "imported", "seq": 3})
        if ("roles", pid) not in history_of:
            plan.roles.extend((pid, role) for role in roles_of[pid])
    for row in plan.accounts:  # a key account that came without its KAM history
        stage = row.get("kam_stage") or (FIRST_KAM.key if row["is_key"] else None)
        if stage and row["id"] not in kam_of:  # a key account starts at pre-KAM, as with --key
            plan.kam.append({"id": None, "account_id": row["id"],
                             "at": row.get("kam_since") or row["created_at"],
                             "from_stage": None, "to_stage": stage,
                             "reason": "imported", "seq": 1})
    return plan


# How to find a history record the book already has: SQL, and the row keys after prospect_id.
_SAME = {
    "stages": ("SELECT 1 FROM stage_change WHERE prospect_id = ? AND at = ? "
               "AND coalesce(from_stage, '') = coalesce(?, '') AND to_stage = ?",
               ("at", "from_stage", "to_stage")),
    "qualifications": ("SELECT 1 FROM qualification WHERE prospect_id = ? AND at = ? "
                       "AND criterion = ? AND level = ?", ("at", "criterion", "level")),
    "touches": ("SELECT 1 FROM touch WHERE prospect_id = ? AND at = ? AND kind = ? "
                "AND coalesce(summary, '') = coalesce(?, '')", ("at", "kind", "summary")),
}


def _existing_call(con: sqlite3.Connection, pid: int, row: dict[str, Any]):
    """(touch id, has SPIN notes) of the book's call matching an imported call, or None (two
    calls at one moment with one outcome differ in their seq)."""
    found = con.execute(
        "SELECT t.id, EXISTS (SELECT 1 FROM call_note n WHERE n.touch_id = t.id) FROM touch t "
        "WHERE t.prospect_id = ? AND t.at = ? AND t.kind = 'call' AND t.seq = ? "
        "AND coalesce(t.outcome, '') = coalesce(?, '')",
        (pid, row["at"], row["seq"], row["outcome"])).fetchone()
    return None if found is None else (found[0], bool(found[1]))


def _book_dates(con: sqlite3.Connection, plan: Plan, by_entity: dict[str, list[Source]],
                new_id: Callable[[str, int], int], owner: Callable[[Source], int],
                new_ids: set[int], account_map: dict[int, int],
                new_accounts: set[int]) -> dict[int, int]:
    """The important dates of a relcrm export, of its people or its accounts; returns the
    file's date ids -> the book's (a date the book has, by owner, kind, day, month and
    calendar, is skipped and keeps the book's id, so touches that greeted it still do)."""
    date_map: dict[int, int] = {}
    for record in by_entity.get("dates", []):
        try:
            row = _book_date(record.values)
            old = row["id"]
            if old in date_map:
                raise UsageError(_("date id {id} appears twice in the file").format(id=old))
            pid = aid = None
            if row["prospect_id"] is not None:
                pid = owner(record)  # by id and name, as other history
            if row["account_id"] is not None:
                aid = _account_owner(con, record.values, account_map)
            same = con.execute(
                "SELECT id FROM important_date WHERE coalesce(prospect_id, 0) = ? AND "
                "coalesce(account_id, 0) = ? AND kind = ? AND month = ? AND day = ? AND "
                "lunar = ?", (pid or 0, aid or 0, row["kind"], row["month"], row["day"],
                              row["lunar"])).fetchone() \
                if pid not in new_ids and aid not in new_accounts else None
            if same:
                date_map[old] = same[0]
                raise _Skip(_("already in the book"))
            row.update(prospect_id=pid, account_id=aid)
            row["id"] = date_map[old] = new_id("important_date", old)
        except _Skip as skip:
            plan.actions.append(Action(record.line, "dates", "skip", reason=skip.reason))
            continue
        except UsageError as exc:
            plan.actions.append(Action(record.line, "dates", "error", reason=exc.message))
            continue
        plan.dates.append(row)
        plan.actions.append(Action(record.line, "dates", "add", row["kind"], pid))
    return date_map


def _book_date(v: dict[str, Any]) -> dict[str, Any]:
    given = _given(v.get("year"), "year", False)
    year = _whole(v.get("year"), "year") if given else None
    month, day = _whole(v.get("month"), "month"), _whole(v.get("day"), "day")
    lunar = _flag(v.get("lunar"), "lunar")
    row = {"id": _int(v.get("id"), "id"),
           "prospect_id": _int(v.get("prospect_id"), "prospect_id", required=False),
           "account_id": _int(v.get("account_id"), "account_id", required=False),
           "kind": fields.line("kind", _str(v.get("kind"), "kind"), required=True),
           "month": month, "day": day, "year": year, "lunar": int(lunar),
           "note": _text(v.get("note"), "note"),
           "created_at": _moment(v.get("created_at"), "created_at")}
    if row["prospect_id"] is None and row["account_id"] is None:
        raise UsageError(_("a date needs a prospect_id or an account_id"))
    if not all(-10**6 < n < 10**6 for n in (month, day, year or 2000)):
        raise UsageError(_("month, day or year is out of range"))
    occasions.check(day, month, year, lunar=lunar)
    return row


def _book_fact(v: dict[str, Any]) -> dict[str, Any]:
    from ..methodology import FACT_ABOUT

    text = _text(v.get("text"), "text")
    if not text:
        raise UsageError(_("text is missing"))
    return {"id": _int(v.get("id"), "id"),
            "about": _choice(v.get("about"), "about", FACT_ABOUT), "text": text,
            "at": _moment(v.get("at"), "at"), "created_at": _moment(v.get("created_at"),
                                                                    "created_at")}


OCCASION_FIELDS = ("name", "month", "day", "lunar", "gifts")


def _book_occasions(con: sqlite3.Connection, plan: Plan,
                    by_entity: dict[str, list[Source]]) -> None:
    """The occasions of a relcrm export merge with the book's by key: one the book lacks is
    added (with its id into an empty book, when free), one the book has takes the file's name,
    day, month, calendar and gifts."""
    book = {row[0]: row[1:] for row in con.execute(
        "SELECT key, id, name, month, day, lunar, gifts FROM occasion")}
    taken = {row[0] for row in book.values()}
    ids = _Ids(con, "occasion")
    seen: set[str] = set()
    for record in by_entity.get("occasions", []):
        try:
            row = _book_occasion(record.values)
            if row["key"] in seen:
                raise UsageError(_("occasion {key} appears twice in the file").format(
                    key=repr(row["key"])))
        except UsageError as exc:
            plan.actions.append(Action(record.line, "occasions", "error",
                                       _name(record.values), reason=exc.message))
            continue
        seen.add(row["key"])
        known = book.get(row["key"])
        if known is not None:
            values = tuple(row[k] for k in OCCASION_FIELDS)
            if values == tuple(known[1:]):
                plan.actions.append(Action(record.line, "occasions", "skip", row["name"],
                                           reason=_("already in the book")))
                continue
            plan.occasion_updates.append({**row, "id": known[0]})
            plan.actions.append(Action(record.line, "occasions", "update", row["name"],
                                       reason=_("updates occasion {key}").format(
                                           key=repr(row["key"]))))
            continue
        old = row["id"]
        row["id"] = ids.keep(old) if plan.keep_ids and old not in taken and old not in \
            ids.given else ids.take()
        plan.occasions.append(row)
        plan.actions.append(Action(record.line, "occasions", "add", row["name"]))


def _book_occasion(v: dict[str, Any]) -> dict[str, Any]:
    month, day = _whole(v.get("month"), "month"), _whole(v.get("day"), "day")
    lunar = _flag(v.get("lunar"), "lunar")
    if not all(-10**6 < n < 10**6 for n in (month, day)):
        raise UsageError(_("month or day is out of range"))
    occasions.check(day, month, None, lunar=lunar)
    return {"id": _int(v.get("id"), "id"),
            "key": fields.line("key", _str(v.get("key"), "key"), required=True),
            "name": fields.line("name", _str(v.get("name"), "name"), required=True),
            "month": month, "day": day, "lunar": int(lunar),
            "gifts": int(_flag(v.get("gifts"), "gifts"))}


class _Skip(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _book_prospect(v: dict[str, Any], book: tuple[str, str]
                   ) -> tuple[dict[str, Any], list[str]]:
    from .prospects import Details

    row = Details(**{key: _str(v.get(key), key) for key in (
        "name", "company", "title", "url", "source", "note", "next_step")}
    ).validated(book[0])
    if "name" not in row:
        raise UsageError(_("name is missing"))
    # every email and phone (the emails, phones columns of this relcrm; email, phone before)
    first_email, first_phone = _str(v.get("email"), "email"), _str(v.get("phone"), "phone")
    emails = _texts(v.get("emails"), "emails") or ([first_email] if first_email else [])
    phones = _texts(v.get("phones"), "phones") or ([first_phone] if first_phone else [])
    row["_contacts"] = {"email": fields.emails(emails),
                        "phone": fields.phones(phones, book[1], strict=False)}
    # the value: an older export's expected deal (it becomes a deal); this relcrm's is the sum
    # of the deals the file holds (read back from its deals)
    row["_value"] = _amount(v.get("value"), "value", book[0], v.get("currency"))
    row["id"] = _int(v.get("id"), "id")
    stage = _choice(v.get("stage"), "stage", tuple(STAGE_BY_KEY), required=False)
    stage = stage or FIRST_STAGE.key
    row.update(
        stage=stage, continuations=0,
        created_at=_moment(v.get("created_at"), "created_at"),
        updated_at=_moment(v.get("updated_at"), "updated_at"),
        next_at=_moment(v.get("next_at"), "next_at", required=False),
        next_set_at=_moment(v.get("next_set_at"), "next_set_at", required=False))
    row["stage_since"] = (_moment(v.get("stage_since"), "stage_since", required=False)
                          or row["created_at"])
    for criterion in CRITERIA:
        row[criterion.key] = _choice(v.get(criterion.key), criterion.key, LEVELS,
                                     required=False)
    for key in ("company", "title", "url", "url_key", "source", "note", "next_step"):
        row.setdefault(key, None)
    row["account_id"] = _int(v.get("account_id"), "account_id", required=False)
    row["roles"] = [_choice(r, "role", tuple(ROLE_BY_KEY)) for r in _list(v.get("roles"),
                                                                            "roles")]
    row["_next_step"] = fields.line("next_step", _str(v.get("next_step"), "next_step"))
    cadence = v.get("cadence_days")
    row["cadence_days"] = (fields.cadence(str(_whole(cadence, "cadence_days")))
                           if _given(cadence, "cadence_days", False) else None)
    snoozed = _moment(v.get("snoozed_until"), "snoozed_until", required=False)
    if snoozed is not None and len(snoozed) != 10:
        raise _not_a_date("snoozed_until", v.get("snoozed_until"))
    row["snoozed_until"] = snoozed
    row["snooze_reason"] = _text(v.get("snooze_reason"), "snooze_reason")
    row["type"] = _choice(v.get("type"), "type", tuple(TYPE_BY_KEY), required=False)
    row["note_at"] = _moment(v.get("note_at"), "note_at", required=False) if row.get(
        "note") else None
    revisit = _moment(v.get("revisit_on"), "revisit_on", required=False)
    if revisit is not None and len(revisit) != 10:
        raise _not_a_date("revisit_on", v.get("revisit_on"))
    row["_revisit_on"] = revisit if stage == "lost" else None
    tags = sorted({fields.tag(t) for t in _list(v.get("tags"), "tags")})
    return row, tags


def _flag(value: Any, label: str) -> bool:
    """true/false, 1/0, or their text (yes/no too); missing is false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if value is not None and not isinstance(value, (int, float, str)):
        raise UsageError(_("{label} must be true/false or 1/0, not {kind}").format(
            label=label, kind=kind_of(value)))
    text = value.strip().lower() if isinstance(value, str) else "" if value is None else None
    if text in ("1", "true", "yes", "y"):
        return True
    if text in ("", "0", "false", "no", "n"):
        return False
    raise UsageError(_("{label} {value} is not 1/0 or true/false").format(
        label=label, value=_shown(value)))


def _book_account(v: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    from .accounts import _buy_class

    name = fields.line("name", _str(v.get("name"), "name"), required=True)
    key = _flag(v.get("key"), "key")
    row = {"id": _int(v.get("id"), "id"), "name": name, "name_key": fold(name), "deciders": 0,
           "industry": fields.line("industry", _str(v.get("industry"), "industry")),
           "note": _text(v.get("note"), "note"), "is_key": key,
           "buy_class": _buy_class(_str(v.get("buy_class"), "buy_class")),
           "created_at": _moment(v.get("created_at"), "created_at"),
           "updated_at": _moment(v.get("updated_at"), "updated_at"),
           "kam_stage": _choice(v.get("kam_stage"), "kam_stage", tuple(KAM_BY_KEY),
                                required=False),
           "kam_since": _moment(v.get("kam_since"), "kam_since", required=False)}
    row["note_at"] = (_moment(v.get("note_at"), "note_at", required=False) if row["note"]
                      else None)
    criteria = sorted({resolve_choice(c).key for c in _list(v.get("criteria"), "criteria")})
    return row, criteria


def _book_kam(v: dict[str, Any]) -> dict[str, Any]:
    return {"id": _int(v.get("id"), "id"), "at": _moment(v.get("at"), "at"),
            "from_stage": _choice(v.get("from_stage"), "from_stage", tuple(KAM_BY_KEY),
                                  required=False),
            "to_stage": _choice(v.get("to_stage"), "to_stage", tuple(KAM_BY_KEY)),
            "reason": _text(v.get("reason"), "reason"), "seq": _int(v.get("seq"), "seq")}


def _account_owner(con: sqlite3.Connection, v: dict[str, Any], account_map: dict[int, int]) -> int:
    old = _int(v.get("account_id"), "account_id")
    if old in account_map:
        return account_map[old]
    name = _str(v.get("account"), "account") or ""
    found = con.execute("SELECT id FROM account WHERE name_key = ?", (fold(name),)).fetchone()
    if found is None:
        raise UsageError(_("account #{id} {name} is neither in the file nor in the book "
                           "(import accounts first)").format(id=old, name=repr(name)))
    return found[0]


def _book_stage(v: dict[str, Any]) -> dict[str, Any]:
    revisit = _moment(v.get("revisit_on"), "revisit_on", required=False)
    if revisit is not None and len(revisit) != 10:
        raise _not_a_date("revisit_on", v.get("revisit_on"))
    return {"id": _int(v.get("id"), "id"), "at": _moment(v.get("at"), "at"),
            "from_stage": _choice(v.get("from_stage"), "from_stage", tuple(STAGE_BY_KEY),
                                  required=False),
            "to_stage": _choice(v.get("to_stage"), "to_stage", tuple(STAGE_BY_KEY)),
            "reason": _text(v.get("reason"), "reason"), "seq": _int(v.get("seq"), "seq"),
            "revisit_on": revisit}


def _book_judgement(v: dict[str, Any]) -> dict[str, Any]:
    return {"id": _int(v.get("id"), "id"), "at": _moment(v.get("at"), "at"),
            "criterion": _choice(v.get("criterion"), "criterion", [c.key for c in CRITERIA]),
            "level": _choice(v.get("level"), "level", LEVELS),
            "note": _text(v.get("note"), "note"), "seq": _int(v.get("seq"), "seq")}


def _book_touch(v: dict[str, Any], entity: str, currency: str
                ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    kind = "call" if entity == "calls" else _choice(v.get("kind"), "kind", TOUCH_KINDS)
    outcome = _choice(v.get("outcome"), "outcome", tuple(OUTCOME_BY_KEY),
                      required=entity == "calls")
    given = _given(v.get("minutes"), "minutes", False)
    minutes = _whole(v.get("minutes"), "minutes") if given else None
    row = {"id": _int(v.get("id"), "id"), "kind": kind, "at": _moment(v.get("at"), "at"),
           "summary": _text(v.get("summary"), "summary"), "minutes": fields.minutes(minutes),
           "outcome": outcome, "commitment": _text(v.get("commitment"), "commitment"),
           "next_at": _moment(v.get("next_at"), "next_at", required=False),
           "created_at": _moment(v.get("created_at"), "created_at"),
           "seq": _int(v.get("seq"), "seq"),
           "with_ids": _ids(v.get("with_ids"), "with_ids")}
    amount = _amount(v.get("amount"), "amount", currency, v.get("currency"))
    row["amount_milli"] = amount.milli if amount else None
    row["amount_currency"] = amount.currency if amount else None
    row["deal_id"] = _int(v.get("deal_id"), "deal_id", required=False)
    row["occasion_id"] = _int(v.get("occasion_id"), "occasion_id", required=False)
    notes = []
    if entity == "calls":
        for spin in SPIN_KINDS:
            value = v.get(spin.key)  # a JSON array: one note an item; a text: see _NOTE_BREAK
            given = (_texts(value, spin.key) if isinstance(value, list)
                     else _NOTE_BREAK.split(_str(value, spin.key) or ""))
            for text in given:
                if text.strip():
                    notes.append((spin.key, fields.text(spin.option, text)))
    return row, notes


def _ids(value: Any, label: str) -> list[int]:
    """A comma-separated list of ids (with_ids, people_ids), as text or a JSON list."""
    if value is None or value == "":
        return []
    parts = value if isinstance(value, list) else str(_str(value, label)).split(",")
    return [_int(part.strip() if isinstance(part, str) else part, label) for part in parts]


def _book_setting(v: dict[str, Any]) -> tuple[str, str]:
    from .. import settings

    setting = settings.find(_str(v.get("key"), "key") or "")
    return setting.key, setting.parse(_str(v.get("value"), "value") or "")


STEP_STATUSES = ("open", "done", "dropped")
STEP_ACTIONS = ("added", "moved", "done", "dropped")


def _book_step(v: dict[str, Any]) -> dict[str, Any]:
    from .steps import kind

    uid = fields.line("uid", _str(v.get("uid"), "uid"), required=True)
    if not re.fullmatch(r"[0-9A-Za-z._@-]{1,200}", uid):
        raise UsageError(_("uid {value} is not a step uid").format(value=_shown(uid)))
    minutes = v.get("minutes")
    return {"id": _int(v.get("id"), "id"),
            "prospect_id": _int(v.get("prospect_id"), "prospect_id", required=False),
            "account_id": _int(v.get("account_id"), "account_id", required=False),
            "people": _ids(v.get("people_ids"), "people_ids"),
            "kind": kind(_choice(v.get("kind"), "kind", STEP_KINDS)),
            "text": fields.line("text", _str(v.get("text"), "text")),
            "due_at": _moment(v.get("due_at"), "due_at"),
            "minutes": fields.minutes(_whole(minutes, "minutes")
                                      if _given(minutes, "minutes", False) else None),
            "status": _choice(v.get("status"), "status", STEP_STATUSES),
            "created_at": _moment(v.get("created_at"), "created_at"),
            "closed_at": _moment(v.get("closed_at"), "closed_at", required=False),
            "note": _text(v.get("note"), "note"), "uid": uid}


def _book_step_change(v: dict[str, Any]) -> dict[str, Any]:
    return {"id": _int(v.get("id"), "id"), "step_id": _int(v.get("step_id"), "step_id"),
            "at": _moment(v.get("at"), "at"),
            "action": _choice(v.get("action"), "action", STEP_ACTIONS),
            "from_due": _moment(v.get("from_due"), "from_due", required=False),
            "to_due": _moment(v.get("to_due"), "to_due", required=False),
            "note": _text(v.get("note"), "note")}


def _book_steps(con: sqlite3.Connection, plan: Plan, by_entity: dict[str, list[Source]],
                new_id: Callable[[str, int], int], take: Callable[[str], int],
                person: Callable[[int], int | None], owner: Callable[[Source], int],
                account_map: dict[int, int]) -> None:
    """The steps of a relcrm export and their history. A step the book has (same uid) is
    skipped with its history; a step of a person or an account not imported is skipped."""
    step_map: dict[int, int] = {}
    for record in by_entity.get("steps", []):
        try:
            row = _book_step(record.values)
            old = row["id"]
            if old in step_map:
                raise UsageError(_("step id {id} appears twice in the file").format(id=old))
            if row["prospect_id"] is None and row["account_id"] is None:
                raise UsageError(_("a step needs a prospect_id or an account_id"))
            if con.execute("SELECT 1 FROM step WHERE uid = ?", (row["uid"],)).fetchone():
                raise _Skip(_("already in the book (same uid)"))
            if row["prospect_id"] is not None:
                row["prospect_id"] = owner(record)  # by id and name, as other history
            wanted = row["people"]
            if row["account_id"] is not None:
                if row["account_id"] not in account_map:
                    raise _Skip(_("its account #{id} was not imported").format(
                        id=row["account_id"]))
                row["account_id"] = account_map[row["account_id"]]
            people = [p for p in dict.fromkeys(person(o) for o in row.pop("people"))
                      if p is not None]
            if wanted and not people:  # it named people: it must not become the whole account
                raise _Skip(_("the people it names were not imported"))
            row["id"] = step_map[old] = new_id("step", old)
        except _Skip as skip:
            plan.actions.append(Action(record.line, "steps", "skip", reason=skip.reason))
            continue
        except UsageError as exc:
            plan.actions.append(Action(record.line, "steps", "error", reason=exc.message))
            continue
        plan.steps.append(row)
        plan.step_people.extend((row["id"], p) for p in people)
        plan.actions.append(Action(record.line, "steps", "add", row["text"] or "",
                                   row["prospect_id"]))
    for record in by_entity.get("step_changes", []):
        try:
            row = _book_step_change(record.values)
            if row["step_id"] not in step_map:
                raise _Skip(_("its step was not imported"))
            row.update(step_id=step_map[row["step_id"]], id=new_id("step_change", row["id"]))
        except _Skip as skip:
            plan.actions.append(Action(record.line, "step_changes", "skip", reason=skip.reason))
            continue
        except UsageError as exc:
            plan.actions.append(Action(record.line, "step_changes", "error",
                                       reason=exc.message))
            continue
        plan.step_changes.append(row)
        plan.actions.append(Action(record.line, "step_changes", "add"))
    made = {r["step_id"] for r in plan.step_changes}
    for row in plan.steps:  # a step that came without its history starts with one
        if row["id"] not in made:
            plan.step_changes.append({"id": take("step_change"), "step_id": row["id"],
                                      "at": row["created_at"], "action": "added",
                                      "from_due": None, "to_due": row["due_at"],
                                      "note": "imported"})


def _book_deals(con: sqlite3.Connection, plan: Plan, by_entity: dict[str, list[Source]],
                new_id: Callable[[str, int], int], person: Callable[[int], int | None],
                account_map: dict[int, int], book_currency: str) -> dict[int, int]:
    """The deals of a relcrm export and their history; returns the file's deal ids -> the
    book's. A deal the book has (same account, title and opening time) is skipped with its
    history; a deal of an account that was not imported is skipped."""
    deal_map: dict[int, int] = {}
    alone = "prospects" not in by_entity  # a deals file of its own: its people are the book's

    def with_(old: int) -> int | None:
        found = person(old)
        if found is None and alone:
            row = con.execute("SELECT id FROM prospect WHERE id = ?", (old,)).fetchone()
            found = row[0] if row else None
        return found

    for record in by_entity.get("deals", []):
        try:
            row = _book_deal(record.values, book_currency)
            old = row["id"]
            if old in deal_map:
                raise UsageError(_("deal id {id} appears twice in the file").format(id=old))
            if row["account_id"] is not None:  # the file's account, or the book's of its name
                row["account_id"] = _account_owner(con, record.values, account_map)
            people = [p for p in dict.fromkeys(with_(o) for o in row.pop("people"))
                      if p is not None]
            if row["account_id"] is None and not people:
                raise _Skip(_("the people it is with were not imported"))
            if con.execute("SELECT 1 FROM deal WHERE coalesce(account_id, 0) = ? AND title = ? "
                           "AND created_at = ?", (row["account_id"] or 0, row["title"],
                                                  row["created_at"])).fetchone():
                raise _Skip(_("already in the book"))
            row["id"] = deal_map[old] = new_id("deal", old)
        except _Skip as skip:
            plan.actions.append(Action(record.line, "deals", "skip", reason=skip.reason))
            continue
        except UsageError as exc:
            plan.actions.append(Action(record.line, "deals", "error", reason=exc.message))
            continue
        plan.deals.append(row)
        plan.deal_people.extend((row["id"], p) for p in people)
        plan.actions.append(Action(record.line, "deals", "add", row["title"]))
    for record in by_entity.get("deal_changes", []):
        try:
            row = _book_deal_change(record.values, book_currency)
            if row["deal_id"] not in deal_map:
                raise _Skip(_("its deal was not imported"))
            row.update(deal_id=deal_map[row["deal_id"]], id=new_id("deal_change", row["id"]))
        except _Skip as skip:
            plan.actions.append(Action(record.line, "deal_changes", "skip", reason=skip.reason))
            continue
        except UsageError as exc:
            plan.actions.append(Action(record.line, "deal_changes", "error",
                                       reason=exc.message))
            continue
        plan.deal_changes.append(row)
        plan.actions.append(Action(record.line, "deal_changes", "add"))
    return deal_map


DEAL_ACTIONS = ("opened", "stage", "won", "lost", "reopened", "value")


def _book_deal(v: dict[str, Any], book_currency: str) -> dict[str, Any]:
    value = _amount(v.get("value"), "value", book_currency, v.get("currency"))
    won = _amount(v.get("won_amount"), "won_amount", book_currency, v.get("won_currency"))
    status = _choice(v.get("status"), "status", DEAL_STATUSES)
    reason = _choice(v.get("lost_reason"), "lost_reason", tuple(LOST_BY_KEY), required=False)
    if status == "lost" and reason is None:
        raise UsageError(_("a lost deal needs its lost_reason"))
    close = _moment(v.get("close_on"), "close_on", required=False)
    if close is not None and len(close) != 10:
        raise _not_a_date("close_on", v.get("close_on"))
    return {"id": _int(v.get("id"), "id"),
            "account_id": _int(v.get("account_id"), "account_id", required=False),
            "title": fields.line("title", _str(v.get("title"), "title"), required=True),
            "stage": _choice(v.get("stage"), "stage", tuple(BUYING_BY_KEY)),
            "status": status,
            "value_milli": value.milli if value else None,
            "currency": value.currency if value else None, "close_on": close,
            "buy_class": _choice(v.get("buy_class"), "buy_class",
                                 tuple(k for k, _, _ in BUY_CLASSES), required=False),
            "people": _ids(v.get("people_ids"), "people_ids"),
            "won_milli": won.milli if won else None,
            "won_currency": won.currency if won else None, "lost_reason": reason,
            "note": _text(v.get("note"), "note"),
            "closed_at": _moment(v.get("closed_at"), "closed_at", required=False),
            "created_at": _moment(v.get("created_at"), "created_at"),
            "updated_at": _moment(v.get("updated_at"), "updated_at")}


def _book_deal_change(v: dict[str, Any], book_currency: str) -> dict[str, Any]:
    amount = _amount(v.get("amount"), "amount", book_currency, v.get("currency"))
    return {"id": _int(v.get("id"), "id"), "deal_id": _int(v.get("deal_id"), "deal_id"),
            "at": _moment(v.get("at"), "at"),
            "action": _choice(v.get("action"), "action", DEAL_ACTIONS),
            "from_stage": _choice(v.get("from_stage"), "from_stage", tuple(BUYING_BY_KEY),
                                  required=False),
            "to_stage": _choice(v.get("to_stage"), "to_stage", tuple(BUYING_BY_KEY),
                                required=False),
            "reason": _text(v.get("reason"), "reason"), "note": _text(v.get("note"), "note"),
            "amount_milli": amount.milli if amount else None,
            "currency": amount.currency if amount else None}


def _next_step_of(plan: Plan, take: Callable[[str], int], pid: int, due: str,
                  text: str | None, created: str) -> None:
    """An open step for the next step a prospect carried in an older relcrm's export."""
    step_id = take("step")
    plan.steps.append({"id": step_id, "prospect_id": pid, "account_id": None, "kind": "todo",
                       "text": text, "due_at": due, "minutes": None, "status": "open",
                       "created_at": created, "closed_at": None, "note": None,
                       "uid": uuid.uuid4().hex})
    plan.step_changes.append({"id": take("step_change"), "step_id": step_id, "at": created,
                              "action": "added", "from_due": None, "to_due": due,
                              "note": "the next step of an older export"})


# The export joins a call's SPIN notes of one kind with newlines; a note's own blank lines and
# indented lines have white space beside their newline, so they stay in the note, and the notes
# join back to the same cell (each note is within the text limit, as the one it came from).
_NOTE_BREAK = re.compile(r"(?<=\S)\n(?=\S)")


# -- writing -----------------------------------------------------------------------------------
class _Moved:
    """On a team database no seller writes an id: each row the plan numbered goes in without
    its id, the database gives one, and the rows written after it that refer to it follow (a
    planned id is past every id the seller can see, so it names no row already there)."""

    def __init__(self) -> None:
        from ..pg import _solo_schema, _with_ids

        con = _solo_schema()
        self.refs = {t: {r[3]: r[2] for r in con.execute(f"PRAGMA foreign_key_list({t})")}
                     for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = "
                                             "'table'")}
        self.with_ids = _with_ids()
        self.ids: dict[str, dict[int, int]] = {}

    def keyed(self, table: str) -> bool:
        return table in self.with_ids

    def follow(self, table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for row in rows:
            row = dict(row)
            for column, target in self.refs.get(table, {}).items():
                value = row.get(column)
                if value is not None and value in self.ids.get(target, {}):
                    row[column] = self.ids[target][value]
            if table == "prospect_alias":  # an old id of the book it came from: a new one
                row.pop("id", None)
            out.append(row)
        return out

    def record(self, table: str, given: list[int | None], made: list[int]) -> None:
        for planned, real in zip(given, made):
            if planned is not None:
                self.ids.setdefault(table, {})[planned] = real


def apply(session, plan: Plan, progress: Progress | None = None, chunk: int = 2000) -> None:
    """Write a plan in the session's transaction: bulk inserts and updates (the derived
    columns follow at commit)."""
    from sqlalchemy import insert

    from ..models import (Account, AccountCriterion, CallNote, Contact, Deal, DealChange,
                          DealPerson, Fact, ImportantDate, KamChange, Occasion, Prospect,
                          ProspectAlias, ProspectRole, Qualification, StageChange, Step,
                          StepChange, StepPerson, Tag, Touch, TouchPerson)
    from .accounts import link

    from ..db import on_team

    team = on_team(derive.session_con(session))
    moved = _Moved() if team else None

    def bulk(table, rows: list[dict[str, Any]], prefix: str | None = None) -> None:
        if moved is not None:  # a team database gives the ids: the plan's follow them
            rows = moved.follow(table.__tablename__, rows)
        statement = insert(table.__table__)
        if prefix and moved is not None:  # OR IGNORE: a row already there is left
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            statement = pg_insert(table.__table__).on_conflict_do_nothing()
        elif prefix:
            statement = statement.prefix_with(prefix)
        for start in range(0, len(rows), chunk):
            part = rows[start:start + chunk]
            if moved is not None and moved.keyed(table.__tablename__):
                given = [row.pop("id", None) for row in part]
                made = session.execute(statement.returning(
                    table.__table__.c.id, sort_by_parameter_order=True), part).scalars().all()
                moved.record(table.__tablename__, given, made)
            else:
                session.execute(statement, part)
            if progress:
                progress(len(part))

    account_columns = [c.name for c in Account.__table__.columns]
    derived_zero = {"customer": 0, "deciders": 0}  # derived at commit; NOT NULL until then
    bulk(Account, [{c: row.get(c, derived_zero.get(c)) for c in account_columns}
                   for row in plan.accounts])
    bulk(AccountCriterion, [{"account_id": a, "criterion": c} for a, c in plan.criteria])
    columns = [c.name for c in Prospect.__table__.columns]
    bulk(Prospect, [{c: row.get(c, derived_zero.get(c)) for c in columns
                     if c not in ("email", "phone")} for row in plan.new])
    # their emails and phones (the triggers make the first of each their email and phone)
    bulk(Contact, [{"prospect_id": row["id"], "kind": kind, "value": value, "key": key,
                    "position": position}
                   for row in plan.new for kind, items in row["_contacts"].items()
                   for position, (value, key) in enumerate(items, 1)])
    bulk(ProspectRole, [{"prospect_id": p, "role": r} for p, r in plan.roles], "OR IGNORE")
    bulk(KamChange, [r for r in plan.kam if r.get("id") is not None])
    bulk(KamChange, [{k: v for k, v in r.items() if k != "id"} for r in plan.kam
                     if r.get("id") is None])
    bulk(Tag, [{"prospect_id": pid, "name": name} for pid, name in plan.tags])
    for rows, table in ((plan.stages, StageChange), (plan.judgements, Qualification)):
        with_ids = [r for r in rows if r.get("id") is not None]
        without = [{k: v for k, v in r.items() if k != "id"} for r in rows if r.get("id") is None]
        bulk(table, with_ids)
        bulk(table, without)
    bulk(Deal, plan.deals)
    bulk(DealPerson, [{"deal_id": d, "prospect_id": p} for d, p in plan.deal_people])
    bulk(DealChange, [r for r in plan.deal_changes if r.get("id") is not None])
    bulk(DealChange, [{k: v for k, v in r.items() if k != "id"} for r in plan.deal_changes
                      if r.get("id") is None])
    bulk(ImportantDate, plan.dates)  # before the touches that greeted them (occasion_id)
    bulk(Fact, plan.facts)
    bulk(Occasion, plan.occasions)
    for row in plan.occasion_updates:
        derive.session_con(session).execute(
            "UPDATE occasion SET name = :name, month = :month, day = :day, lunar = :lunar, "
            "gifts = :gifts WHERE id = :id", {k: row[k] for k in ("id", *OCCASION_FIELDS)})
    bulk(Touch, plan.touches)
    bulk(CallNote, plan.notes)
    stamp = dates.iso(dates.now())
    for pid, change in plan.updates.items():
        tags = change.pop("tags", set())
        contacts = change.pop("_contacts", {})
        worth = change.pop("_value", None)
        change = {k: v for k, v in change.items() if k != "name"}
        added = []
        if contacts:
            from . import contacts as contact_rows

            session.flush()
            for kind, items in contacts.items():
                added += contact_rows.add(derive.session_con(session), pid, kind, items)
        if change or added:
            prospect = session.get(Prospect, pid)
            for key, value in change.items():
                setattr(prospect, key, value)
            if "company" in change:
                link(session, prospect)
            prospect.updated_at = stamp
            values = {c: getattr(prospect, c) for c in ("name", "company", "title", "url",
                                                         "source", "note")}
            keys = _keys(values)
            prospect.company_key, prospect.search_key = keys["company_key"], keys["search_key"]
        if worth:
            from .deals import set_person_value

            session.flush()
            set_person_value(session, session.get(Prospect, pid), worth)
        if tags:
            bulk(Tag, [{"prospect_id": pid, "name": t} for t in sorted(tags)], "OR IGNORE")
    bulk(TouchPerson, [{"touch_id": t, "prospect_id": p} for t, p in plan.touch_people])
    bulk(Step, plan.steps)
    bulk(StepPerson, [{"step_id": t, "prospect_id": p} for t, p in plan.step_people])
    bulk(StepChange, plan.step_changes)
    bulk(ProspectAlias, plan.aliases)
    for key, value in plan.settings:
        from .config import store

        store(derive.session_con(session), key, value)
    if plan.settings:
        from .. import workdays

        workdays.rebuild(derive.session_con(session))
    if moved is not None:  # what the report says it added: the ids the team database gave
        for action in plan.actions:
            if action.action == "add" and action.prospect_id is not None:
                action.prospect_id = moved.ids.get("prospect", {}).get(action.prospect_id,
                                                                      action.prospect_id)
    # the derived values of everything written follow at commit (derive.settle: the database
    # noted what changed)
    session.flush()
