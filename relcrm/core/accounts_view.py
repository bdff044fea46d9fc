"""Judgements about accounts made from their records: buying-centre gaps, order-value ranks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..i18n import _
from ..methodology import DECIDER, DECIDER_QUIET_DAYS, PARETO_SHARE


def gaps(account: dict[str, Any], people: list[dict[str, Any]], today: dt.date) -> list[str]:
    """What is missing in an account's buying centre (seed 004, chương 6)."""
    active = [p for p in people if p["stage"] != "lost"]
    deciders = [p for p in active if DECIDER in (p["roles"] or "").split(",")]
    found = []
    if not active:
        return [_("no contact there yet")]
    if not deciders:
        found.append(_("no known decider: who chooses the product and the supplier?"))
    if len(active) == 1:
        found.append(_("only one contact: a single point of contact is the most fragile tie "
                       "with an account; meet others in the buying centre"))
    for person in deciders:
        last = person["last_touch_at"]
        days = (today - dt.date.fromisoformat(last[:10])).days if last else None
        if days is None or days > DECIDER_QUIET_DAYS:
            if days is not None:
                found.append(_("the decider {name} has not been touched for {days} days (more "
                               "than {limit})").format(name=person["name"], days=days,
                                                       limit=DECIDER_QUIET_DAYS))
            else:
                found.append(_("the decider {name} has not been touched yet").format(
                    name=person["name"]))
    return found


def pareto(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Accounts by order value with share, cumulative share, and whether they are among the
    few that together make PARETO_SHARE (80%) of it."""
    total = sum(r["order_milli"] for r in rows) or 1  # exact integers (thousandths)
    out, running = [], 0
    for rank, row in enumerate(rows, 1):
        before = running
        running += row["order_milli"]
        out.append({**row, "rank": rank, "key": bool(row["key"]),
                    "share": row["order_milli"] / total, "cumulative_share": running / total,
                    "in_80": before / total < PARETO_SHARE})
    return out
