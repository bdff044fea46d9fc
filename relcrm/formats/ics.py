"""Follow-ups as iCalendar (RFC 5545), written with the icalendar library.

One entry per follow-up line, with the reason in its description. As events (the default) an
appointment (a step with a time of day) is a timed event of its length (an hour unless given);
other steps and care dates are all-day, on their date or today for overdue ones, so they show in
this week's calendar. As to-dos they are due on their date (overdue ones show as overdue).
Every entry keeps one UID for life (a step's own uid; a person's or a key account's care line by
its id), and a moved step carries a higher SEQUENCE, so importing the file again updates the
entries instead of duplicating them or leaving the old date behind.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from .. import dates
from ..i18n import _, dynamic
from ..methodology import APPOINTMENT_MINUTES


def step_uid(uid: str) -> str:
    """A step's UID in every calendar, for life (its own uid; `relcrm sync` uses it too)."""
    return f"relcrm-step-{uid}@relcrm"


def write(rows: Iterable[dict[str, Any]], today: dt.date, *, todo: bool = False) -> bytes:
    from icalendar import Calendar, Event, Todo

    calendar = Calendar()
    calendar.add("prodid", "-//relcrm//follow-ups//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "relcrm follow-ups")
    stamp = dates.now().astimezone(dt.timezone.utc)
    minutes_since_2020 = int((dates.now() - dt.datetime(2020, 1, 1)).total_seconds() // 60)
    for row in rows:
        due = dt.date.fromisoformat(row["due_on"])
        entry = Todo() if todo else Event()
        if row.get("reason") in ("occasion", "gifts"):  # a date or a gift occasion
            entry.add("uid", f"relcrm-occasion-{row.get('_date_id') or row['why'][:20]}-"
                             f"{row['due_on'][:4]}@relcrm".replace(" ", "-"))
            entry.add("dtstamp", stamp)
            entry.add("summary", row["why"].split(":")[0]
                      + (f": {row['name'] or row['company']}" if row.get("name")
                         or row.get("company") else ""))
            entry.add("description", row["why"])
            entry.add("due" if todo else "dtstart", due)
            calendar.add_component(entry)
            continue
        account = row.get("subject") == "account"
        step = bool(row.get("uid"))
        if step:
            uid = step_uid(row["uid"])
        elif account:
            uid = f"relcrm-account-{row['account_id']}@relcrm"
        else:
            uid = f"relcrm-care-{row['id']}@relcrm"
        entry.add("uid", uid)
        entry.add("dtstamp", stamp)
        # a step counts its moves; a care line's date moves with every touch: its sequence is
        # the minute it was written, so a calendar takes each new file as an update
        entry.add("sequence", row["sequence"] if step else minutes_since_2020)
        if account:
            whom = row["name"] or _("whole account")
            who = (f"{row['company']} ({whom})" if step
                   else _("key account {company}").format(company=row["company"]))
        else:
            who = row["name"] + (f" ({row['company']})" if row["company"] else "")
        label = (_("Follow up") if not step or row["kind"] == "todo"
                 else dynamic(row["kind"]).capitalize())
        entry.add("summary", f"{label}: {who}"
                  + (f" — {row['next_step']}" if step and row["next_step"] else ""))
        lines = [row["why"]]
        lines += [f"{label}: {row[key]}" for key, label in (("email", _("Email")),
                                                              ("phone", _("Phone")))
                  if row.get(key)]
        if step:
            lines.append(f"relcrm step done {row['step_ids']}")
        lines.append(f"relcrm account show {row['account_id']}" if account
                     else f"relcrm show {row['id']}")
        entry.add("description", "\n".join(lines))
        entry.add("categories", ["relcrm", *row["reason"].split(",")])
        timed = step and len(row["due_at"]) > 10
        start = dt.datetime.fromisoformat(row["due_at"]) if timed else None
        if todo:
            entry.add("due", start or due)
            entry.add("status", "NEEDS-ACTION")
            entry.add("priority", 1 if row["days_overdue"] else 5)
        elif timed:
            entry.add("dtstart", start)
            entry.add("dtend", start + dt.timedelta(
                minutes=row.get("minutes") or APPOINTMENT_MINUTES))
        else:
            day = max(due, today)
            entry.add("dtstart", day)
            entry.add("dtend", day + dt.timedelta(days=1))
            entry.add("transp", "TRANSPARENT")
        calendar.add_component(entry)
    return calendar.to_ical()
