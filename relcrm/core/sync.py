"""Two-way sync with the seller's CalDAV/CardDAV server (`relcrm sync`): the book on the phone.

Out, the book as the phone should show it (`wanted`): every open step as a to-do (VTODO; an
appointment, a step with a time of day, as an event with its time), each person's and account's
important dates and the book's occasions as all-day events on the day they fall next with an
alarm their lead time ahead, and every prospect as a vCard (tags as CATEGORIES, stage and
follow-up date in X-RELCRM-* properties). Each object keeps one UID for life (a step's own
uid, as `followups --ics` writes it; a person's vCard UID as `export vcard` writes it), so the
phone never shows one twice.

In, only what the phone may decide: a to-do completed there marks its step done (at the time it
was completed); a step's event or to-do moved there moves the step; emails and phones added to a
contact there are added to the prospect. Anything else changed there is put back as the book
has it, and an object deleted there is created again (the book is the source of truth).

The state of each object on the server (`_sync_item`: where it is, its ETag, a digest of what
was last sent and the values the phone may change as sent) and the server's sync tokens
(`_sync_state`) are kept in the book, outside the journal (on a team database, each seller's
own rows: every seller syncs their own phone, see pgwrite.PERSONAL). A sync reads the
server's changes since the last token (RFC 6578 sync-collection), applies them in one
transaction with the new tokens, then sends what differs from what was last sent, recording
each object as the server took it. Interrupted anywhere, the next sync finds the same
changes again and completes.

The protocol is the `caldav` library's (calendars, and its DAV client for the address book);
the objects are written with icalendar and vobject. Imported only by `relcrm sync`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from .. import dates, queries, settings
from ..errors import RelcrmError, UsageError
from ..i18n import _, dynamic
from ..methodology import APPOINTMENT_MINUTES

PRODID = "-//relcrm//sync//EN"
CALENDAR, ADDRESSBOOK = "calendar", "addressbook"


class ServerError(RelcrmError):
    """The server could not be reached, or refused (exit 3): the URL, the HTTP status, what to
    check, in one line."""

    exit_code = 3


# -- what the book wants on the server ----------------------------------------------------------

@dataclass
class Item:
    uid: str
    collection: str  # CALENDAR or ADDRESSBOOK
    kind: str  # step, date, occasion, prospect
    ref_id: int
    body: str
    sent: dict[str, Any]  # the values the phone may change, as this body has them
    label: str  # how the summary names it: "step #4", "Nguyễn Văn An"
    digest: str = ""

    def __post_init__(self) -> None:
        self.digest = digest(self.body)


def digest(body: str) -> str:
    """A fingerprint of an object's content, without its timestamps (DTSTAMP, REV)."""
    kept = [line for line in body.replace("\r\n", "\n").split("\n")
            if not line.startswith(("DTSTAMP", "REV"))]
    return hashlib.sha256("\n".join(kept).encode()).hexdigest()[:32]


_STEPS = """
SELECT s.id, s.uid, s.kind, s.text, s.due_at, s.minutes, s.prospect_id, p.name, p.company,
       a.name AS account, coalesce(s.account_id, p.account_id) AS account_id,
       (SELECT count(*) FROM step_change c WHERE c.step_id = s.id AND c.action = 'moved')
           AS sequence
FROM step s INDEXED BY ix_step_due
LEFT JOIN prospect p ON p.id = s.prospect_id
LEFT JOIN account a ON a.id = coalesce(s.account_id, p.account_id)
WHERE s.status = 'open' AND s.due_at IS NOT NULL
  AND (p.id IS NULL OR p.stage <> 'lost')  -- as followups and plan: nothing for the lost
ORDER BY s.due_at, s.id
"""


def _calendar(component: Any) -> str:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add_component(component)
    return calendar.to_ical().decode()


def _step(row: dict[str, Any], stamp: dt.datetime) -> Item:
    from icalendar import Event, Todo

    from ..formats.ics import step_uid

    timed = len(row["due_at"]) > 10
    entry = Event() if timed else Todo()
    entry.add("uid", step_uid(row["uid"]))
    entry.add("dtstamp", stamp)
    entry.add("sequence", row["sequence"])
    if row["prospect_id"] is not None:
        who = row["name"] + (f" ({row['company']})" if row["company"] else "")
    else:
        who = row["account"] or ""
    label = (_("Follow up") if row["kind"] == "todo" else dynamic(row["kind"]).capitalize())
    entry.add("summary", f"{label}: {who}" + (f" — {row['text']}" if row["text"] else ""))
    lines = [f"relcrm step done {row['id']}"]
    lines.append(f"relcrm show {row['prospect_id']}" if row["prospect_id"] is not None
                 else f"relcrm account show {row['account_id']}")
    entry.add("description", "\n".join(lines))
    entry.add("categories", ["relcrm"])
    if timed:
        start = dt.datetime.fromisoformat(row["due_at"])
        entry.add("dtstart", start)
        entry.add("dtend", start + dt.timedelta(minutes=row["minutes"] or APPOINTMENT_MINUTES))
    else:
        entry.add("due", dt.date.fromisoformat(row["due_at"][:10]))
        entry.add("status", "NEEDS-ACTION")
    return Item(step_uid(row["uid"]), CALENDAR, "step", row["id"], _calendar(entry),
                {"due": row["due_at"]}, _("step #{id}").format(id=row["id"]))


def _day_event(uid: str, kind: str, ref: int, on: dt.date, summary: str, lead: int,
               label: str, stamp: dt.datetime, description: str = "") -> Item:
    from icalendar import Alarm, Event

    entry = Event()
    entry.add("uid", uid)
    entry.add("dtstamp", stamp)
    entry.add("summary", summary)
    if description:
        entry.add("description", description)
    entry.add("dtstart", on)
    entry.add("dtend", on + dt.timedelta(days=1))
    entry.add("transp", "TRANSPARENT")
    entry.add("categories", ["relcrm"])
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", dt.timedelta(days=-lead))
    entry.add_component(alarm)
    return Item(uid, CALENDAR, kind, ref, _calendar(entry), {"on": on.isoformat()}, label)


def _dates(con: sqlite3.Connection, today: dt.date, stamp: dt.datetime) -> list[Item]:
    from . import care

    out = []
    for row in care.upcoming(con, today):
        if row["stage"] == "lost":
            continue  # as followups: no greeting planned for the lost
        on = dt.date.fromisoformat(row["on"])
        whom = row["name"] or row["account"] or ""
        summary = f"{dynamic(row['kind'])}: {whom}"
        if row["years"]:
            summary += f" ({row['years']})"
        ref = (f"relcrm show {row['prospect_id']}" if row["prospect_id"] is not None
               else f"relcrm account show {row['account_id']}")
        out.append(_day_event(f"relcrm-date-{row['id']}-{on.year}@relcrm", "date", row["id"],
                              on, summary, row["lead_days"], summary, stamp,
                              (row["note"] + "\n" if row["note"] else "") + ref))
    values = settings.all_values(con)
    for row in care.occasion_rows(con, today):
        on = dt.date.fromisoformat(row["next_on"])
        lead = int(values["occasion.gift_lead_days"]) if row["gifts"] else int(
            values["occasion.lead_days"])
        out.append(_day_event(f"relcrm-occasion-{row['id']}-{on.year}@relcrm", "occasion",
                              row["id"], on, row["name"], lead, row["name"], stamp,
                              f"relcrm occasion gifts {row['key']}" if row["gifts"] else ""))
    return out


def _cards(con: sqlite3.Connection) -> list[Item]:
    from ..formats import vcard

    region = settings.get(con, "region")
    keys: dict[tuple[int, str], list[str]] = {}  # the keys the book keeps of each contact
    for pid, kind, key in con.execute("SELECT prospect_id, kind, key FROM contact "
                                      "ORDER BY key"):
        keys.setdefault((pid, kind), []).append(key)
    columns, records = queries.export(con, "prospects")
    out = []
    for record in records:
        row = dict(zip(columns, record))
        body, uid = vcard.card(row, region, relcrm=True)
        sent = {f"{kind}s": keys.get((row["id"], kind), []) for kind in ("email", "phone")}
        out.append(Item(uid, ADDRESSBOOK, "prospect", row["id"], body, sent, row["name"]))
    return out


def wanted(con: sqlite3.Connection, today: dt.date) -> dict[str, Item]:
    """Every object the book wants on the server, by UID."""
    stamp = dates.now().astimezone(dt.timezone.utc).replace(microsecond=0)
    items: list[Item] = []
    cursor = con.execute(_STEPS)
    names = [d[0] for d in cursor.description]
    items += [_step(dict(zip(names, r)), stamp) for r in cursor]
    items += _dates(con, today, stamp)
    items += _cards(con)
    return {item.uid: item for item in items}


# -- what the book knows of the server --------------------------------------------------------

@dataclass
class Known:
    uid: str
    collection: str
    kind: str
    ref_id: int
    href: str | None
    etag: str | None
    digest: str | None
    sent: dict[str, Any]


def known(con: sqlite3.Connection) -> dict[str, Known]:
    return {r[0]: Known(r[0], r[1], r[2], r[3], r[4], r[5], r[6], _sent(r[7]))
            for r in con.execute("SELECT uid, collection, kind, ref_id, href, etag, digest, "
                                 "sent FROM _sync_item")}


def _sent(text: str | None) -> dict[str, Any]:
    """The values an object was sent with (JSON); what is not a JSON object (the state edited
    by another program) reads as nothing sent: the phone's values are then its own changes,
    each checked as any change from the phone."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def remember(con: sqlite3.Connection, item: Item | Known, href: str | None, etag: str | None,
             sent_digest: str | None) -> None:
    # a delete and an insert, on both engines (a team database keeps each seller's own rows:
    # the seller is the database's to fill in, and the delete sees only theirs)
    forget(con, item.uid)
    con.execute("INSERT INTO _sync_item (uid, collection, kind, ref_id, href, etag, digest, "
                "sent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (item.uid, item.collection, item.kind, item.ref_id, href, etag, sent_digest,
                 json.dumps(item.sent, sort_keys=True)))


def forget(con: sqlite3.Connection, uid: str) -> None:
    con.execute("DELETE FROM _sync_item WHERE uid = ?", (uid,))


def state(con: sqlite3.Connection, key: str) -> str | None:
    row = con.execute("SELECT value FROM _sync_state WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def set_state(con: sqlite3.Connection, key: str, value: str | None) -> None:
    con.execute("DELETE FROM _sync_state WHERE key = ?", (key,))
    if value is not None:
        con.execute("INSERT INTO _sync_state (key, value) VALUES (?, ?)", (key, value))


# -- the plan of a sync -------------------------------------------------------------------------

@dataclass
class Summary:
    """What a sync did (or, dry, would do): counts and one line per conflict or re-creation."""

    sent: dict[str, int] = field(default_factory=dict)  # "created", "updated", "deleted"
    received: list[str] = field(default_factory=list)  # one line per change taken
    settled: list[str] = field(default_factory=list)  # conflicts, and how each was settled
    recreated: list[str] = field(default_factory=list)
    unsent: list[str] = field(default_factory=list)  # changed on the server meanwhile

    def count(self, what: str, n: int = 1) -> None:
        self.sent[what] = self.sent.get(what, 0) + n


@dataclass
class Outgoing:
    puts: list[tuple[Item, Known | None]]
    deletes: list[Known]


def outgoing(want: dict[str, Item], have: dict[str, Known]) -> Outgoing:
    """What to send: objects new or changed since they were last sent (or to be put back),
    and objects the book no longer wants."""
    puts = [(item, have.get(uid)) for uid, item in want.items()
            if uid not in have or have[uid].digest != item.digest or have[uid].href is None]
    deletes = [k for uid, k in have.items() if uid not in want and k.href is not None]
    return Outgoing(puts, deletes)


# -- what the server says changed --------------------------------------------------------------

@dataclass
class Change:
    """An object the server reports changed or deleted since the last token; its body is
    read only when it is needed (Server.get)."""

    href: str
    etag: str | None
    body: str | None
    deleted: bool = False


def _component(body: str) -> Any | None:
    """The VTODO or VEVENT of an iCalendar object (None if it holds neither or is unreadable)."""
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(body)
    except Exception:  # noqa: BLE001 - anything the phone wrote that icalendar cannot read
        return None
    for component in calendar.walk():
        if component.name in ("VTODO", "VEVENT"):
            return component
    return None


def _uid_of(body: str, collection: str) -> str | None:
    if collection == CALENDAR:
        component = _component(body)
        return None if component is None else str(component.get("uid") or "") or None
    for line in body.replace("\r\n", "\n").replace("\n ", "").split("\n"):
        if line.upper().startswith("UID:") or line.upper().startswith("UID;"):
            return line.split(":", 1)[1].strip()
    return None


def _local(value: Any) -> dt.datetime | dt.date:
    """A DTSTART/DUE/COMPLETED value as the book keeps times: local, without a zone."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone().replace(tzinfo=None)
        return value.replace(microsecond=0)
    return value


def _stored(value: dt.datetime | dt.date) -> str:
    """A step's date as the book stores due_at (dates.iso)."""
    return dates.iso(value)


def _card_contacts(body: str) -> tuple[list[str], list[str]]:
    """The emails and phones of a vCard, as written there."""
    import vobject

    try:
        card = vobject.readOne(body)
    except Exception:  # noqa: BLE001 - a card the phone wrote that vobject cannot read
        return [], []
    emails = [str(e.value).strip() for e in card.contents.get("email", [])]
    phones = []
    for tel in card.contents.get("tel", []):
        text = str(tel.value).strip()
        phones.append(text[4:] if text.lower().startswith("tel:") else text)
    return [e for e in emails if e], [p for p in phones if p]


@dataclass
class Applied:
    summary: Summary
    etags: dict[str, tuple[str, str | None]]  # uid -> (href, etag) as the server has it now
    redo: set[str]  # uids to send again whatever was sent (put back, re-created)
    gone: set[str]  # uids whose object the server no longer has


def apply(session: Any, changes: dict[str, list[Change]], today: dt.date) -> Applied:
    """Take the server's changes into the book (in the write session's transaction): what the
    phone may decide is applied, the rest is put back."""
    from . import contacts, fields, steps
    from .derive import session_con

    con = session_con(session)
    have = known(con)
    by_href = {k.href: k for k in have.values() if k.href}
    out = Applied(Summary(), {}, set(), set())
    region = settings.get(con, "region")
    for collection, listed in changes.items():
        for change in listed:
            mine = by_href.get(change.href)
            if change.deleted:
                if mine is not None:
                    out.gone.add(mine.uid)
                continue
            if mine is not None and change.etag is not None and change.etag == mine.etag:
                continue  # relcrm's own write
            if mine is None:  # at an href relcrm did not record: one of its own objects?
                mine = have.get(_uid_of(change.body or "", collection) or "")
            if mine is None or mine.collection != collection:
                continue  # made on the phone: not the book's (nothing there changes the book)
            out.etags[mine.uid] = (change.href, change.etag)
            if change.etag is not None and change.etag == mine.etag:
                continue  # relcrm's own write
            if mine.kind == "step":
                _step_change(session, con, mine, change, out, steps)
            elif mine.kind in ("date", "occasion"):
                component = _component(change.body)
                start = component.get("dtstart") if component is not None else None
                if start is None or _local(start.dt).isoformat()[:10] != mine.sent.get("on"):
                    out.redo.add(mine.uid)
                    out.summary.settled.append(_(
                        "{what}: moved or changed on the phone; put back as the book has it"
                    ).format(what=_label(con, mine)))
            elif mine.kind == "prospect":
                emails, phones = _card_contacts(change.body)
                pid = mine.ref_id
                merged = con.execute("SELECT prospect_id FROM prospect_alias WHERE id = ?",
                                     (pid,)).fetchone()
                pid = merged[0] if merged else pid  # merged since: theirs now
                row = con.execute("SELECT name FROM prospect WHERE id = ?", (pid,)).fetchone()
                if row is None:
                    out.summary.settled.append(_(
                        "{what}: changed on the phone, but deleted in relcrm; it stays so")
                        .format(what=_label(con, mine)))
                    continue
                found = []
                for kind, values, checked in (
                        ("email", emails, fields.emails),
                        ("phone", phones, lambda given: fields.phones(given, region))):
                    sent = set(mine.sent.get(f"{kind}s", []))
                    new = []
                    for value in values:
                        if not value.isprintable():
                            continue  # control characters: never into the book
                        try:  # only what `relcrm edit --email/--phone` would take, as it would
                            new += [(v, k) for v, k in checked([value]) if k not in sent]
                        except UsageError:
                            continue  # not an email, not a phone number: nothing to add
                    found += [(kind, v) for v in contacts.add(con, pid, kind, new)]
                if not found and digest(change.body) != mine.digest:
                    out.redo.add(mine.uid)  # edited there: put back as the book has it
                    out.summary.settled.append(_(
                        "{what}: changed on the phone; put back as the book has it").format(
                        what=row[0]))
                for kind, value in found:
                    out.summary.received.append(
                        (_("{name}: email {value} added on the phone") if kind == "email"
                         else _("{name}: phone {value} added on the phone")).format(
                            name=row[0], value=value))
    return out


def _label(con: sqlite3.Connection, mine: Known) -> str:
    if mine.kind == "step":
        return _("step #{id}").format(id=mine.ref_id)
    if mine.kind == "date":
        return _("important date #{id}").format(id=mine.ref_id)
    if mine.kind == "occasion":
        row = con.execute("SELECT name FROM occasion WHERE id = ?", (mine.ref_id,)).fetchone()
        return row[0] if row else _("occasion #{id}").format(id=mine.ref_id)
    row = con.execute("SELECT name FROM prospect WHERE id = ?", (mine.ref_id,)).fetchone()
    return row[0] if row else f"#{mine.ref_id}"


def _step_change(session: Any, con: sqlite3.Connection, mine: Known, change: Change,
                 out: Applied, steps: Any) -> None:
    what = _label(con, mine)
    row = con.execute("SELECT status, due_at FROM step WHERE id = ?", (mine.ref_id,)).fetchone()
    component = _component(change.body or "")
    if component is None:
        return
    if row is None or row[0] != "open":
        out.summary.settled.append(_(
            "{what}: changed on the phone, but closed or deleted in relcrm; it stays so")
            .format(what=what))
        return
    moved_here = row[1] != mine.sent.get("due")  # moved in relcrm since it was last sent
    completed = component.get("completed")
    status = str(component.get("status") or "").upper()
    if component.name == "VTODO" and (status == "COMPLETED" or completed is not None):
        when = _local(completed.dt) if completed is not None else None
        if isinstance(when, dt.date) and not isinstance(when, dt.datetime):
            when = dt.datetime.combine(when, dt.time(12))
        if when is not None:  # a phone's clock ahead of ours: done now, not in the future
            when = min(when, dates.now())
        steps.done(session, mine.ref_id, _("done on the phone (relcrm sync)"), at=when)
        out.summary.received.append(_("{what} done on the phone").format(what=what))
        if moved_here:
            out.summary.settled.append(_(
                "{what}: moved in relcrm and done on the phone; it is done").format(what=what))
        return
    start = component.get("dtstart" if component.name == "VEVENT" else "due")
    if start is None:
        return
    there = _local(start.dt)
    if _stored(there) in (mine.sent.get("due"), row[1]):  # not moved (or as relcrm moved it)
        if digest(change.body or "") != mine.digest and not moved_here:
            out.redo.add(mine.uid)  # edited there (its text ...): put back as the book has it
            out.summary.settled.append(_(
                "{what}: changed on the phone; put back as the book has it").format(what=what))
        return
    if there.year > dates.MAX_YEAR:
        out.redo.add(mine.uid)
        out.summary.settled.append(_("{what}: moved on the phone to {when}, beyond any plan; "
                                     "put back").format(what=what, when=there.isoformat()[:10]))
        return
    if moved_here:
        out.redo.add(mine.uid)
        out.summary.settled.append(_(
            "{what}: moved both in relcrm and on the phone; kept relcrm's {when}").format(
            what=what, when=dates.show(row[1])))
        return
    try:
        steps.move(session, mine.ref_id, there, _("moved on the phone (relcrm sync)"))
    except UsageError as exc:  # a day in the past, or the day it already has
        out.redo.add(mine.uid)
        out.summary.settled.append(_("{what}: moved on the phone but not taken ({why}); put "
                                     "back").format(what=what, why=exc.message))
        return
    out.summary.received.append(_("{what} moved on the phone to {when}").format(
        what=what, when=dates.show(_stored(there))))


# -- a sync -----------------------------------------------------------------------------------

class _DryRun(Exception):
    """Raised inside the write session of a dry run: everything it did is rolled back."""

    def __init__(self, applied: Applied, plan: Outgoing) -> None:
        self.applied, self.plan = applied, plan


def _server_key(config: dict[str, str]) -> str:
    return json.dumps([config["url"], config["user"], config["calendar"],
                       config["addressbook"]])


def setup(config: dict[str, str], secret: str) -> dict[str, Any]:
    """Check the server, find or create the calendar and the address book, and keep the
    settings (config sync.*) and where the collections are. A different server or collection
    than before starts afresh: nothing of the old one is taken for this one's."""
    from .. import db
    from .config import store
    from .derive import session_con

    server = Server.connect(config, secret)
    found = server.collections(create=True)
    with db.write_session() as session:
        con = session_con(session)
        for key in ("url", "user", "calendar", "addressbook"):
            store(con, f"sync.{key}", config[key])
        if state(con, "server") != _server_key(config):
            con.execute("DELETE FROM _sync_item")
            # (a team database's lock row of a sync running now stays: see _one_at_a_time)
            con.execute("DELETE FROM _sync_state WHERE key <> 'lock'")
            set_state(con, "server", _server_key(config))
        for collection in (CALENDAR, ADDRESSBOOK):  # made again (deleted on the server ...):
            url = found[f"{collection}_url"]      # what was sent there is sent again
            if state(con, f"{collection}_url") != url:
                con.execute("DELETE FROM _sync_item WHERE collection = ?", (collection,))
                set_state(con, f"{collection}_token", None)
            set_state(con, f"{collection}_url", url)
    return found


def run(config: dict[str, str], secret: str, *, dry_run: bool = False) -> Summary:
    """One sync (see the module doc): the server's changes taken in one transaction with the
    new tokens, then what differs sent, each object recorded as the server took it."""
    with _one_at_a_time():
        return _run(config, secret, dry_run)


def _one_at_a_time() -> Any:
    """An exclusive lock for the whole sync: a second sync of the same book says so at once
    instead of sending everything twice. On a book file, a lock on a file beside it (never
    the book itself: closing a handle on it would drop SQLite's locks); on a team database, a
    lock of the seller's held by a connection of its own (each seller syncs their own phone;
    the lock goes with the connection, also when relcrm is killed)."""
    import contextlib
    import fcntl
    import os

    from .. import db

    if db.url() is not None:
        return _one_seller_at_a_time(db.url())
    book = db.real_path(db.db_path())

    @contextlib.contextmanager
    def held() -> Any:
        fd = os.open(f"{book}.sync-lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise RelcrmError(_("another relcrm sync of this book is running; wait for it "
                                    "to finish, then sync again")) from None
            yield
        finally:
            os.close(fd)
    return held()


@contextmanager
def _one_seller_at_a_time(url: str) -> Iterator[None]:
    """A lock on a row of the seller's own sync state, held by a connection of its own: no
    one else can see that row, so no colleague can take the lock and keep a seller from
    syncing (an advisory lock's key anyone could take)."""
    import psycopg

    from .. import pg

    raw = pg.raw_connect(url)
    try:
        raw.execute("INSERT INTO _sync_state (key, value) VALUES ('lock', '') "
                    "ON CONFLICT DO NOTHING")
        raw.autocommit = False
        try:
            raw.execute("SELECT 1 FROM _sync_state WHERE key = 'lock' FOR UPDATE NOWAIT")
        except psycopg.errors.LockNotAvailable:
            raise RelcrmError(_("another relcrm sync of yours on this team database is "
                                "running; wait for it to finish, then sync again")) from None
        yield
    except psycopg.Error as exc:
        from ..errors import DatabaseError

        raise DatabaseError(pg.describe(exc, url)) from None
    finally:
        raw.close()


@contextmanager
def _state_connection() -> Iterator[Any]:
    """A connection that writes the sync state alone, outside any command's change."""
    from .. import db

    if db.url() is None:
        con = db.connect(create=False)
    else:
        from .. import pg

        con = pg.Connection(pg.raw_connect(db.url()), db.url())
    try:
        yield con
    finally:
        con.close()


@contextmanager
def _transaction(con: Any) -> Iterator[None]:
    from .. import db

    if db.on_team(con):
        with con.raw.transaction():
            yield
        return
    con.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _run(config: dict[str, str], secret: str, dry_run: bool) -> Summary:
    from .. import db
    from .derive import session_con, settle_session

    con = db.connect(create=False)
    if state(con, "server") != _server_key(config):  # set by `config sync.*`, not setup
        raise UsageError(_("the sync settings changed since relcrm sync setup; run relcrm sync "
                           "setup {url} --user {user} again").format(
            url=config["url"], user=config["user"] or "?"))
    server = Server.connect(config, secret, state(con, "calendar_url"),
                            state(con, "addressbook_url"))
    tokens = {c: state(con, f"{c}_token") for c in (CALENDAR, ADDRESSBOOK)}
    etags = {k.href: k.etag for k in known(con).values() if k.href}
    con.close()
    fetched = {c: server.changes(c, tokens[c]) for c in (CALENDAR, ADDRESSBOOK)}
    for listed, _token in fetched.values():  # bodies read before the book is locked
        for change in listed:
            if not change.deleted and (change.etag is None or etags.get(change.href)
                                       != change.etag):
                change.body, etag = server.get(change.href)
                change.etag = etag or change.etag
                change.deleted = change.body is None  # gone since the report
    today = dates.today()
    try:
        with db.write_session() as session:
            con = session_con(session)
            applied = apply(session, {c: fetched[c][0] for c in fetched}, today)
            settle_session(session)
            have = known(con)
            for uid, (href, etag) in applied.etags.items():  # as the server has them now
                con.execute("UPDATE _sync_item SET href = ?, etag = ? WHERE uid = ?",
                            (href, etag, uid))
            want = wanted(con, today)
            for uid in applied.redo | applied.gone:
                if uid in want and uid in have:
                    con.execute("UPDATE _sync_item SET digest = NULL WHERE uid = ?", (uid,))
                    if uid in applied.gone:
                        con.execute("UPDATE _sync_item SET href = NULL, etag = NULL "
                                    "WHERE uid = ?", (uid,))
                        applied.summary.recreated.append(want[uid].label)
                elif uid in applied.gone:
                    forget(con, uid)  # deleted there, and no longer in the book: done
            plan = outgoing(want, known(con))
            if dry_run:
                raise _DryRun(applied, plan)
            for collection in (CALENDAR, ADDRESSBOOK):
                set_state(con, f"{collection}_token", fetched[collection][1])
    except _DryRun as dry:
        summary = dry.applied.summary
        for item, before in dry.plan.puts:
            summary.count("updated" if before is not None and before.href else "created")
        summary.count("deleted", len(dry.plan.deletes))
        return summary
    summary = applied.summary
    try:
        _send(server, plan, summary)
    except ServerError as exc:  # what was taken from the phone is in the book: say it too
        exc.summary = summary
        raise
    return summary


def _send(server: "Server", plan: Outgoing, summary: Summary) -> None:
    """PUT and DELETE what the plan says, recording each object as the server took it, a
    batch at a time (an interrupted sync leaves the rest to send next time)."""
    with _state_connection() as con:
        _send_on(con, server, plan, summary)


def _send_on(con: Any, server: "Server", plan: Outgoing, summary: Summary) -> None:
    done: list[tuple[str, Any]] = []

    def record() -> None:
        if not done:
            return
        with _transaction(con):
            for what, args in done:
                if what == "put":
                    remember(con, *args)
                else:
                    forget(con, args)
        done.clear()

    total = len(plan.puts) + len(plan.deletes)
    progress = _Progress(total)
    try:
        for item, before in plan.puts:
            progress.step()
            href = before.href if before is not None else None
            etag = before.etag if before is not None else None
            try:
                href, etag = server.put(item, href, etag)
            except Changed:
                summary.unsent.append(item.label)
                continue
            summary.count("updated" if before is not None and before.href else "created")
            done.append(("put", (item, href, etag, item.digest)))
            if len(done) >= 100:
                record()
        for gone in plan.deletes:
            progress.step()
            try:
                server.delete(gone.href, gone.etag)
            except Changed:
                summary.unsent.append(gone.uid)
                continue
            summary.count("deleted")
            done.append(("delete", gone.uid))
            if len(done) >= 100:
                record()
    finally:
        progress.end()
        record()  # what the server took is recorded, also when the rest failed
    with _transaction(con):
        set_state(con, "last_sync", dates.iso(dates.now()))


class _Progress:
    """How far a long send has come, on one line of stderr rewritten in place (a terminal
    only: never in a pipe or a log)."""

    EVERY = 25

    def __init__(self, total: int) -> None:
        import sys

        self.total, self.done, self.width = total, 0, 0
        self.shown = total > 100 and sys.stderr.isatty()

    def step(self) -> None:
        self.done += 1
        if self.shown and self.done % self.EVERY == 0:
            import sys

            line = _("sending {done:,} of {total:,} …").format(done=self.done, total=self.total)
            self.width = max(self.width, len(line))
            sys.stderr.write("\r" + line)
            sys.stderr.flush()

    def end(self) -> None:
        if self.shown and self.width:  # spaces over it: no terminal codes (NO_COLOR too)
            import sys

            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()


def pending(con: sqlite3.Connection) -> dict[str, int]:
    """What a sync would send now (before taking the server's changes)."""
    plan = outgoing(wanted(con, dates.today()), known(con))
    return {"created": sum(1 for _item, before in plan.puts
                           if before is None or not before.href),
            "updated": sum(1 for _item, before in plan.puts if before is not None
                           and before.href),
            "deleted": len(plan.deletes)}


def incoming_count(config: dict[str, str], secret: str, con: sqlite3.Connection) -> int:
    """How many objects of the book's the server changed since the last sync (relcrm's own
    writes not counted)."""
    server = Server.connect(config, secret, state(con, "calendar_url"),
                            state(con, "addressbook_url"), timeout=10)
    have = known(con)
    by_href = {k.href: k for k in have.values() if k.href}
    count = 0
    for collection in (CALENDAR, ADDRESSBOOK):
        changes, _token = server.changes(collection, state(con, f"{collection}_token"))
        for change in changes:
            mine = by_href.get(change.href)
            if mine is None and change.body is not None:
                mine = have.get(_uid_of(change.body, collection) or "")
            if mine is not None and (change.etag is None or change.etag != mine.etag):
                count += 1
    return count


# -- the server ---------------------------------------------------------------------------------

class Changed(Exception):
    """The object changed on the server since relcrm last read it (HTTP 412): not sent now;
    the next sync reads the change first."""


_CARDDAV = "urn:ietf:params:xml:ns:carddav"
_MKCOL = ('<?xml version="1.0" encoding="utf-8"?>'
          '<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop>'
          '<D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>'
          '<D:displayname>{name}</D:displayname></D:prop></D:set></D:mkcol>')
_TYPES = {CALENDAR: ("text/calendar; charset=utf-8", ".ics"),
          ADDRESSBOOK: ("text/vcard; charset=utf-8", ".vcf")}


class Server:
    """The seller's CalDAV/CardDAV server through the caldav library: its calendar for steps
    and dates, and an address book (caldav's DAV client speaks WebDAV to it: MKCOL, PUT, GET,
    DELETE, and the same sync-collection REPORT as for a calendar). Every failure to reach it
    or be let in becomes a ServerError naming the URL, the HTTP status and what to check."""

    def __init__(self, config: dict[str, str], client: Any, principal: Any) -> None:
        self.config, self.client, self.principal = config, client, principal
        self.urls: dict[str, str] = {}

    @classmethod
    def connect(cls, config: dict[str, str], secret: str, calendar_url: str | None = None,
                addressbook_url: str | None = None, timeout: int = 30) -> "Server":
        import logging

        import caldav
        from caldav.lib import error  # noqa: F401 - it sets the logger's level when imported

        # the library logs what it finds odd (a vCard's content type ...) on stderr: relcrm
        # says what matters itself, in one line
        quiet = logging.getLogger("caldav")
        quiet.setLevel(logging.CRITICAL + 1)
        quiet.propagate = False
        if not quiet.handlers:
            quiet.addHandler(logging.NullHandler())

        def login() -> Any:
            client = caldav.DAVClient(url=config["url"], username=config["user"] or None,
                                      password=secret, timeout=timeout)
            return client, client.principal()

        client, principal = _guarded(config, _("logging in"), login)
        server = cls(config, client, principal)
        if calendar_url:
            server.urls[CALENDAR] = calendar_url
        if addressbook_url:
            server.urls[ADDRESSBOOK] = addressbook_url
        return server

    def collections(self, *, create: bool) -> dict[str, Any]:
        """Find (or create) the calendar and the address book named in the settings."""
        from caldav.lib import error

        name = self.config["calendar"]

        def calendar() -> tuple[str, bool]:
            try:
                return str(self.principal.calendar(name=name).url), False
            except error.NotFoundError:
                if not create:
                    raise
            made = self.principal.make_calendar(
                name=name, supported_calendar_component_set=["VTODO", "VEVENT"])
            return str(made.url), True

        calendar_url, calendar_made = _guarded(self.config, _("finding the calendar"), calendar)
        book_url, book_made = _guarded(self.config, _("finding the address book"),
                                       self._addressbook)
        self.urls = {CALENDAR: calendar_url, ADDRESSBOOK: book_url}
        return {"calendar_url": calendar_url, "calendar_created": calendar_made,
                "addressbook_url": book_url, "addressbook_created": book_made}

    def _addressbook(self) -> tuple[str, bool]:
        """The address book named in the settings in the user's address-book home (RFC 6352:
        the principal's addressbook-home-set, else the principal's own collection), made
        there with an extended MKCOL (RFC 5689) when there is none."""
        import uuid
        from urllib.parse import urljoin
        from xml.sax.saxutils import escape

        name = self.config["addressbook"]
        home = str(self.principal.url)
        answer = self.client.propfind(home, _PROPS.format(
            props=f'<CR:addressbook-home-set xmlns:CR="{_CARDDAV}"/>'), depth=0)
        found = answer.tree.find(f".//{{{_CARDDAV}}}addressbook-home-set/{{DAV:}}href") \
            if answer.tree is not None else None
        if found is not None and found.text:
            home = urljoin(home, found.text.strip())
        home = home if home.endswith("/") else home + "/"
        answer = self.client.propfind(home, _PROPS.format(
            props="<D:resourcetype/><D:displayname/>"), depth=1)
        for response in answer.tree.iter("{DAV:}response") if answer.tree is not None else ():
            href = response.findtext("{DAV:}href") or ""
            kinds = response.find(".//{DAV:}resourcetype")
            shown = response.findtext(".//{DAV:}displayname")
            if kinds is not None and kinds.find(f"{{{_CARDDAV}}}addressbook") is not None and (
                    shown == name or (not shown and href.rstrip("/").rsplit("/", 1)[-1]
                                      == name)):
                return urljoin(home, href), False
        url = urljoin(home, f"relcrm-{uuid.uuid4().hex[:12]}/")
        made = self.client.request(url, "MKCOL", _MKCOL.format(name=escape(name)),
            {"Content-Type": "application/xml; charset=utf-8"})
        if made.status not in (200, 201):
            raise _status_error(self.config, made.status, _("creating the address book"))
        return url, True

    def _collection(self, collection: str) -> Any:
        import caldav

        # an address book answers the same sync-collection REPORT (RFC 6578) as a calendar
        return caldav.Calendar(client=self.client, url=self.urls[collection])

    def changes(self, collection: str, token: str | None) -> tuple[list[Change], str]:
        """The objects changed or deleted in a collection since `token` (every object when
        None or when the server no longer knows the token), and the new token. Bodies are not
        read here (see get)."""
        from caldav.lib import error

        target = self._collection(collection)

        def ask() -> Any:
            try:
                return target.get_objects_by_sync_token(sync_token=token, load_objects=False,
                                                        disable_fallback=True)
            except error.DAVError as exc:  # a token the server forgot: from every object
                if token is None or "valid-sync-token" not in str(
                        getattr(exc, "preconditions", None)):
                    raise
            return target.get_objects_by_sync_token(sync_token=None, load_objects=False,
                                                    disable_fallback=True)

        found = _guarded(self.config, _("reading the changes"), ask)
        deleted = {str(url) for url in found.deleted_urls}
        out = []
        for obj in found:
            href = str(obj.url)
            gone = obj.url.canonical() in found.deleted_urls or href in deleted
            out.append(Change(href, None if gone else obj.etag, None if gone else "", gone))
        return out, found.sync_token

    def get(self, href: str) -> tuple[str | None, str | None]:
        """An object's body and ETag (None, None when it is gone)."""
        answer = _guarded(self.config, _("reading an object"),
                          lambda: self.client.request(href))
        if answer.status == 404:
            return None, None
        if answer.status >= 400:
            raise _status_error(self.config, answer.status, _("reading {href}").format(
                href=href))
        body = answer._raw_body
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        return text, answer.headers.get("ETag")

    def put(self, item: Item, href: str | None, etag: str | None) -> tuple[str, str | None]:
        """Send an object (new: If-None-Match *; known: If-Match its ETag); its href and new
        ETag. An object relcrm made whose earlier send was not recorded is taken over."""
        import hashlib as _hash

        content_type, suffix = _TYPES[item.collection]
        if href is None:
            href = self.urls[item.collection] + _hash.sha1(item.uid.encode()).hexdigest() \
                + suffix
            condition = {"If-None-Match": "*"}
        else:
            condition = {"If-Match": etag} if etag else {}
        answer = self._put(href, item, content_type, condition)
        if answer.status == 412 and "If-None-Match" in condition:  # there already: ours?
            body, there = self.get(href)
            if body is None or _uid_of(body, item.collection) != item.uid:
                raise Changed(item.uid)
            answer = self._put(href, item, content_type, {"If-Match": there} if there else {})
        elif answer.status == 404 and "If-Match" in condition:  # deleted meanwhile: again
            answer = self._put(href, item, content_type, {"If-None-Match": "*"})
        if answer.status == 412:
            raise Changed(item.uid)
        if answer.status >= 400:
            raise _status_error(self.config, answer.status, _("sending {what}").format(
                what=item.label))
        return href, answer.headers.get("ETag")

    def _put(self, href: str, item: Item, content_type: str, condition: dict[str, str]) -> Any:
        return _guarded(self.config, _("sending {what}").format(what=item.label),
                        lambda: self.client.put(href, item.body,
                                                {"Content-Type": content_type, **condition}))

    def delete(self, href: str, etag: str | None) -> None:
        answer = _guarded(self.config, _("deleting an object"), lambda: self.client.request(
            href, "DELETE", "", {"If-Match": etag} if etag else {}))
        if answer.status == 412:
            raise Changed(href)
        if answer.status >= 400 and answer.status != 404:
            raise _status_error(self.config, answer.status, _("deleting {href}").format(
                href=href))


_PROPS = '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>{props}' \
         '</D:prop></D:propfind>'


def _status_error(config: dict[str, str], status: int | None, doing: str) -> ServerError:
    if status == 401:
        return ServerError(_(
            "the sync server at {url} refused the login for {user} (HTTP 401); check the user "
            "name (relcrm sync setup URL --user USER) and the password "
            "(RELCRM_SYNC_PASSWORD)").format(url=config["url"], user=config["user"] or "-"))
    if status == 403:
        return ServerError(_(
            "the sync server at {url} said no when {doing} (HTTP 403); check that {user} may use "
            "that calendar and address book").format(url=config["url"], doing=doing,
                                                      user=config["user"] or "-"))
    return ServerError(_(
        "the sync server at {url} answered HTTP {status} when {doing}; check the server's log, "
        "then run relcrm sync again (nothing was lost)").format(
        url=config["url"], status=status if status is not None else "?", doing=doing))


def _guarded(config: dict[str, str], doing: str, call: Any) -> Any:
    """call() with every network or protocol failure turned into one ServerError line."""
    from caldav.lib import error

    try:
        return call()
    except (ServerError, Changed, UsageError):
        raise
    except error.NotFoundError:  # the calendar or address book is gone from the server
        raise ServerError(_(
            "the sync server at {url} has no longer what relcrm uses (HTTP 404 when {doing}); "
            "run relcrm sync setup {url} --user {user} again to find or create it").format(
            url=config["url"], doing=doing, user=config["user"] or "?")) from None
    except error.DAVError as exc:
        raise _status_error(config, getattr(exc, "status", None), doing) from None
    except OSError as exc:  # the connection: refused, reset, timed out, no such host
        reason, seen = None, exc
        while seen is not None and reason is None:  # the socket's own words, deepest cause
            reason = getattr(seen, "strerror", None)
            seen = seen.__cause__ or seen.__context__
        reason = " ".join(str(reason or type(exc).__name__).split())
        raise ServerError(_(
            "could not reach the sync server at {url} when {doing} ({reason}); check that it "
            "is running and its address (relcrm config sync.url); nothing was lost").format(
            url=config["url"], doing=doing, reason=reason[:80])) from None
    except Exception as exc:  # noqa: BLE001 - an answer the library cannot read (XML ...)
        raise ServerError(_(
            "the sync server at {url} gave an answer relcrm cannot read when {doing} "
            "({what}); check the URL (relcrm config sync.url) and the server's log").format(
            url=config["url"], doing=doing, what=type(exc).__name__)) from None
