"""The pre-call brief: everything to read in the minute before a call or a visit, on one screen.

`build` gathers it from the book (reads only); `show` prints it for people. What the method
suggests next comes from the facts: a stalled sale (continuations in a row) needs a proposed
commitment; no explicit need yet means investigating before offering a solution (seed 004:
solutions offered too early draw objections); an explicit need without an advance means
showing the benefits that meet it and proposing a commitment; qualification gaps, a buying
centre without a decider, an important date within its lead time, the customer type's tip.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from .. import dates, queries
from ..methodology import (DECIDER, KAM_BY_KEY, SPIN_BY_KEY, STAGE_BY_KEY, STALLED_AFTER,
                           TYPE_BY_KEY)
from ..i18n import _, current, dynamic, named
from . import care

LAST_TOUCHES = 3


def _rows(con: sqlite3.Connection, sql: str, params: tuple) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def build(con: sqlite3.Connection, ref: str, today: dt.date) -> dict[str, Any]:
    found = queries.resolve(con, ref)
    pid = found["id"]
    person = queries.prospect(con, pid)
    type_key = con.execute("SELECT type FROM prospect WHERE id = ?", (pid,)).fetchone()[0]
    kind = TYPE_BY_KEY.get(type_key or "")
    account = None
    if person["account_id"] is not None:
        account = _rows(con, "SELECT id, name, is_key, kam_stage, buy_class, deciders, "
                             "customer FROM account WHERE id = ?", (person["account_id"],))[0]
    touches = _rows(con, """
        SELECT t.id, t.at, t.kind, t.summary, t.outcome, t.commitment FROM touch t
        WHERE (t.prospect_id = ? OR t.id IN (SELECT touch_id FROM touch_person
                                             WHERE prospect_id = ?)) AND t.kind <> 'note'
        ORDER BY t.at DESC, t.seq DESC LIMIT ?""", (pid, pid, LAST_TOUCHES))
    needs = _rows(con, """
        SELECT n.kind, n.text, t.at FROM call_note n JOIN touch t ON t.id = n.touch_id
        WHERE t.prospect_id = ? AND n.kind IN ('explicit_need', 'implied_need')
        ORDER BY n.kind = 'implied_need', t.at DESC, n.position""", (pid,))
    commitment = _rows(con, """
        SELECT t.at, t.outcome, t.commitment FROM touch t
        WHERE t.prospect_id = ? AND t.commitment IS NOT NULL
        ORDER BY t.at DESC, t.seq DESC LIMIT 1""", (pid,))
    steps = _rows(con, """
        SELECT s.id, s.due_at, s.kind, s.text FROM step s
        WHERE s.status = 'open' AND (s.prospect_id = ? OR (s.account_id = ? AND (
            NOT EXISTS (SELECT 1 FROM step_person sp WHERE sp.step_id = s.id)
            OR EXISTS (SELECT 1 FROM step_person sp WHERE sp.step_id = s.id
                       AND sp.prospect_id = ?))))
        ORDER BY s.due_at, s.id""", (pid, person["account_id"], pid))
    deals = _rows(con, """
        SELECT d.id, d.title, d.stage, money(d.value_milli) AS value, d.currency, d.close_on
        FROM deal d WHERE d.status = 'open' AND (d.account_id = ? OR d.id IN (
            SELECT deal_id FROM deal_person WHERE prospect_id = ?))
        ORDER BY d.id""", (person["account_id"], pid))
    upcoming = care.upcoming(con, today, days=60, pid=pid)
    facts = care.facts(con, pid)
    data = {
        "id": pid, "name": person["name"], "title": person["title"],
        "company": person["company"], "email": person["email"], "phone": person["phone"],
        "stage": person["stage"], "stage_since": person["stage_since"],
        "qualification": person["qualification"], "need": person["need"],
        "budget": person["budget"], "authority": person["authority"],
        "roles": person["roles"], "customer": person["customer"],
        "account": account and {"id": account["id"], "name": account["name"],
                                "key": bool(account["is_key"]),
                                "kam_stage": account["kam_stage"],
                                "deciders": account["deciders"]},
        "type": kind and {"key": kind.key, "name": kind.name, "vietnamese": kind.vietnamese,
                          "tip": kind.tip, "tip_vi": kind.tip_vi},
        "facts": facts, "dates": upcoming, "steps": steps, "deals": deals,
        "last_touches": touches, "needs": needs,
        "last_commitment": commitment[0] if commitment else None,
        "continuations": person["continuations"],
        "last_touch_at": person["last_touch_at"],
    }
    data["next"] = suggestions(data, today)
    return data


def suggestions(data: dict[str, Any], today: dt.date) -> list[str]:
    out = []
    explicit = [n for n in data["needs"] if n["kind"] == "explicit_need"]
    if data["stage"] == "lost":
        out.append(_("the relationship was lost: find out why before selling again"))
    if data["last_touch_at"] is None:
        out.append(_("first contact: say who you are, why you came, and ask permission to ask "
                     "questions (preliminaries)"))
    if data["continuations"] >= STALLED_AFTER:
        out.append(_("stalled: {n} continuations in a row; propose a commitment that moves "
                     "the sale on (a trial, a demonstration, a meeting with the decider)")
                   .format(n=data["continuations"]))
    if not explicit:
        out.append(_("no explicit need yet: keep investigating (problem and implication "
                     "questions) before offering a solution; one offered too early draws "
                     "objections"))
    elif not data["last_commitment"]:
        out.append(_("explicit need recorded ({need}): show the benefits that meet it, then "
                     "propose a commitment").format(need=explicit[0]["text"]))
    words = {"need": _("need"), "budget": _("budget"), "authority": _("authority")}
    missing = [words[c] for c in ("need", "budget", "authority") if data[c] != "yes"]
    if missing and not data["customer"]:
        out.append(_("still to establish: {missing}").format(missing=", ".join(missing)))
    account = data["account"]
    if account and account["key"] and not account["deciders"]:
        out.append(_("nobody at the account is known to decide: ask who decides and map the "
                     "buying centre"))
    for row in data["dates"]:
        if row["days"] <= row["lead_days"] and not row["done_at"]:
            out.append(_("{date}: greet them (relcrm log {ref} message --occasion {id})")
                       .format(date=care.describe(row, today), ref=data["id"], id=row["id"]))
    return out


def show_roles(keys: str) -> str:
    """A person's roles (stored keys, comma-separated) for people: the keys in English, the
    roles' Vietnamese names in Vietnamese."""
    from ..methodology import ROLE_BY_KEY

    if current() != "vi":
        return keys.replace(",", ", ")
    return ", ".join(named(ROLE_BY_KEY[k]) if k in ROLE_BY_KEY else k for k in keys.split(","))


def show(data: dict[str, Any]) -> None:
    """The brief for people: a heading, then short labelled lines and lists."""
    from rich.table import Table
    from rich.text import Text

    from .. import render

    out = render.console()
    styled = out.is_terminal and out.color_system is not None
    today = dates.today()

    def line(label: str, value: str) -> None:
        grid.add_row(Text(label, style="bold" if styled else ""), render.safe_text(value))

    head = f"#{data['id']} {data['name']}"
    if data["title"] or data["company"]:
        head += " — " + ", ".join(x for x in (data["title"], data["company"]) if x)
    render.emit(out, render.safe_text(head, "bold" if styled else ""))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column()
    stage = STAGE_BY_KEY.get(data["stage"])
    vi = current() == "vi"
    if stage:
        line(_("stage"), named(stage) if vi else f"{stage.name} ({stage.vietnamese})")
    else:
        line(_("stage"), data["stage"])
    from ..cli.shown import status_text
    from ..methodology import levels_shown

    line(_("qualification"), status_text(data["qualification"])
         + ("" if data["customer"] else " — " + levels_shown(
             [(key, data[key]) for key in ("need", "budget", "authority")])))
    contact = " · ".join(x for x in (data["email"], data["phone"]) if x)
    if contact:
        line(_("contact"), contact)
    account = data["account"]
    if account:
        text = account["name"]
        if account["key"]:
            kam = KAM_BY_KEY.get(account["kam_stage"] or "")
            text += (_(", key account ({stage})").format(stage=named(kam)) if kam
                     else _(", key account"))
        line(_("account"), text)
    if data["roles"]:
        line(_("role"), show_roles(data["roles"])
             + ("" if DECIDER in (data["roles"] or "") else ""))
    kind = data["type"]
    if kind:
        line(_("type"), f"{kind['vietnamese']}: {kind['tip_vi'] or kind['tip']}" if vi
             else f"{kind['name']} ({kind['vietnamese']}): {kind['tip']}")
    for fact in data["facts"]:
        line(dynamic(fact["about"]), fact["text"])
    for row in data["dates"]:
        line(_("date"), care.describe(row, today)
             + (_(", greeted {day}").format(day=dates.show_day(row["done_at"]))
                if row["done_at"] else ""))
    for step in data["steps"]:
        line(_("open step"), f"{dates.show(step['due_at'])} {dynamic(step['kind'])}: "
                             f"{step['text'] or ''} (#{step['id']})")
    from ..cli.common import money

    for deal in data["deals"]:
        from .deals import stage_name

        line(_("open deal"), _("#{id} {title}, customer at {stage}")
             .format(id=deal["id"], title=deal["title"], stage=stage_name(deal["stage"]))
             + (f", {money(deal['value'], deal['currency'])}" if deal["value"] is not None
                else ""))
    for need in data["needs"]:
        spin = SPIN_BY_KEY[need["kind"]]
        line(spin.vietnamese if vi else spin.label.lower(),
             f"{need['text']} ({dates.show_day(need['at'])})")
    if data["last_commitment"]:
        c = data["last_commitment"]
        line(_("last commitment"), f"{c['commitment']} "
             f"({dynamic(c['outcome']) if c['outcome'] else _('touch')}, "
             f"{dates.show_day(c['at'])})")
    for touch in data["last_touches"]:
        text = dynamic(touch["kind"]) + (f" ({dynamic(touch['outcome'])})"
                                         if touch["outcome"] else "")
        if touch["summary"]:
            text += f": {touch['summary']}"
        line(_("touch"), f"{dates.show(touch['at'])} {text}")
    if not data["last_touches"]:
        line(_("touch"), _("never contacted"))
    for advice in data["next"]:
        line(_("next"), advice)
    render.emit(out, grid)
