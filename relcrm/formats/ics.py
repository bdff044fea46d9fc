"""Follow-ups as iCalendar (RFC 5545), written with the icalendar library.

One entry per prospect, with the reason in its description. As events (the default) they are
all-day on the follow-up date, or today for overdue ones, so they show in this week's calendar;
as to-dos they are due on the follow-up date (overdue ones show as overdue). The UID depends on
the prospect and the date only, so importing the file again updates rather than duplicates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from .. import dates


def write(rows: Iterable[dict[str, Any]], today: dt.date, *, todo: bool = False) -> bytes:
    from icalendar import Calendar, Event, Todo

    calendar = Calendar()
    calendar.add("prodid", "-//relcrm//follow-ups//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "relcrm follow-ups")
    stamp = dates.now().astimezone(dt.timezone.utc)
    for row in rows:
        due = dt.date.fromisoformat(row["due_on"])
        entry = Todo() if todo else Event()
        account = row.get("subject") == "account"
        subject = f"account-{row['account_id']}" if account else str(row["id"])
        entry.add("uid", f"relcrm-followup-{subject}-{row['due_on']}@relcrm")
        entry.add("dtstamp", stamp)
        if account:
            who = f"key account {row['company']}"
        else:
            who = row["name"] + (f" ({row['company']})" if row["company"] else "")
        entry.add("summary", f"Follow up: {who}")
        lines = [row["why"]]
        lines += [f"{label}: {row[key]}" for key, label in (("email", "Email"), ("phone", "Phone"))
                  if row.get(key)]
        lines.append(f"relcrm account show {row['account_id']}" if account
                     else f"relcrm show {row['id']}")
        entry.add("description", "\n".join(lines))
        entry.add("categories", ["relcrm", *row["reason"].split(",")])
        if todo:
            entry.add("due", due)
            entry.add("status", "NEEDS-ACTION")
            entry.add("priority", 1 if row["days_overdue"] else 5)
        else:
            day = max(due, today)
            entry.add("dtstart", day)
            entry.add("dtend", day + dt.timedelta(days=1))
            entry.add("transp", "TRANSPARENT")
        calendar.add_component(entry)
    return calendar.to_ical()
