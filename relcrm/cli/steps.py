"""step add / list / done / move / drop / history, account step, snooze."""

from typing import Annotated, Any, Optional

import typer

from .. import dates
from ..methodology import STEP_KINDS
from .common import FormatOpt, RefArg, complete_refs, complete_words, fmt, read, when

app = typer.Typer(help="Steps: what you plan to do next, several at once, with a person or a "
                  "whole account. A step with a time of day is an appointment.",
                  no_args_is_help=True, rich_markup_mode=None)

KindOpt = Annotated[Optional[str], typer.Option(
    "--kind", "-k", metavar="KIND", help="call, meeting, visit, demo, email, message or todo "
    "(default todo).", autocompletion=complete_words(STEP_KINDS), show_default=False)]
WhenArg = Annotated[str, typer.Argument(
    metavar="WHEN", help=f"When: {dates.WHEN_HELP}; with a time (fri 14:00) it is an "
    "appointment.", show_default=False)]
TextArg = Annotated[str, typer.Argument(metavar="TEXT", help="What to do.",
                                        show_default=False)]
IdArg = Annotated[str, typer.Argument(metavar="ID", help="A step id (relcrm step list).",
                                      show_default=False)]
MinutesOpt = Annotated[Optional[int], typer.Option(
    "--minutes", "-m", metavar="N", help="How long an appointment takes (calendars; default "
    "60).", show_default=False)]


def _record(step_id: int, con=None) -> dict[str, Any]:
    from .. import queries

    return queries.step(con or read(), step_id)


def _say(format_: Any, record: dict[str, Any], sentence: str, notes: list[str] = ()) -> None:
    from .. import queries, render
    from .common import emit_record

    for note in notes:
        render.note(note)
    emit_record(format_, queries.STEP_COLUMNS, record, lambda: sentence)


def who(record: dict[str, Any]) -> str:
    """'Nguyễn Văn An' or 'Minh Phát (An, Bình)' or 'Minh Phát (whole account)'."""
    if record["prospect"]:
        return record["prospect"]
    return f"{record['account']} ({record['people'] or 'whole account'})"


def describe(record: dict[str, Any]) -> str:
    return (f"#{record['id']} {record['kind']} {dates.show(record['due_at'])} with "
            f"{who(record)}: {record['text'] or 'next step'}")


@app.command("add")
def add(ref: RefArg, when_: WhenArg, text: TextArg, kind: KindOpt = None,
        minutes: MinutesOpt = None, format_: FormatOpt = "table") -> None:
    """Plan a step with a prospect. Several may be open at once; each stays open until you
    close it (step done / drop, or log/call --done)."""
    from .. import db
    from ..core import steps
    from ..core.derive import session_con

    due = when(when_)
    with db.write_session() as session:
        planned = steps.add(session, ref, due, text, step_kind=kind, minutes=minutes)
        record = _record(planned.step.id, session_con(session))
    _say(format_, record, f"Added step {describe(record)}.", planned.notes)


def account_step(
    account: Annotated[str, typer.Argument(
        metavar="ACCOUNT", help="An account id, or a unique part of its name.",
        show_default=False)],
    when_: WhenArg, text: TextArg, kind: KindOpt = None,
    with_: Annotated[Optional[list[str]], typer.Option(
        "--with", "-w", metavar="REF", help="A person at the account it involves (repeatable; "
        "none: the whole account).", autocompletion=complete_refs, show_default=False)] = None,
    minutes: MinutesOpt = None, format_: FormatOpt = "table",
) -> None:
    """Plan a step with an account (a site survey, a meeting with several people). The people
    it names (or everyone there) are not counted as gone cold while it is booked."""
    from .. import db
    from ..core import steps
    from ..core.derive import session_con

    due = when(when_)
    with db.write_session() as session:
        planned = steps.add_for_account(session, account, due, text, step_kind=kind,
                                        people=with_ or [], minutes=minutes)
        record = _record(planned.step.id, session_con(session))
    _say(format_, record, f"Added step {describe(record)}.", planned.notes)


@app.command("list")
def list_(
    ref: Annotated[Optional[str], typer.Argument(
        metavar="[REF]", help="Only the steps involving this prospect.",
        show_default=False)] = None,
    account: Annotated[Optional[str], typer.Option(
        "--account", "-a", metavar="ACCOUNT", help="Only this account's steps (its own and "
        "its people's).", show_default=False)] = None,
    done: Annotated[bool, typer.Option(
        "--done", help="Closed steps (done and dropped), latest first.")] = False,
    limit: Annotated[Optional[int], typer.Option(
        "--limit", "-l", metavar="N", help="At most N rows (default: 100 in a table, all "
        "otherwise; 0 = all).", show_default=False)] = None,
    format_: FormatOpt = "table",
) -> None:
    """Open steps by date, each with its id, who or which account, kind, due date and time."""
    from .. import queries, render
    from .prospects import _limit

    con = read()
    prospect_id = queries.resolve(con, ref)["id"] if ref is not None else None
    account_id = queries.resolve_account(con, account)["id"] if account is not None else None
    kind = fmt(format_)
    rows, total = queries.step_list(con, prospect_id=prospect_id, account_id=account_id,
                                    closed=done, limit=_limit(limit, kind))
    if kind != "table":
        render.machine(kind, queries.STEP_COLUMNS, rows)
        return
    today = dates.today()
    cols = [
        render.Col("#", "id", justify="right", style="dim"),
        render.Col("Due", lambda r: dates.show(r["due_at"]), no_wrap=True,
                   style=lambda r: "bold red" if not done and r["due_at"][:10] < today.isoformat()
                   else None),
        render.Col("Kind", "kind", style="cyan"),
        render.Col("With", who, style="bold"),
        render.Col("Step", lambda r: r["text"] or "next step"),
    ]
    if done:
        cols += [render.Col("Closed", lambda r: f"{r['status']} {dates.show_day(r['closed_at'])}",
                            no_wrap=True),
                 render.Col("Note", "note")]
    render.table(rows, cols, caption=(f"{len(rows)} of {total} shown; --limit 0 shows all"
                                      if total > len(rows) else None),
                 empty="No closed steps." if done else
                 "No open steps. Plan one: relcrm step add REF WHEN TEXT")


def _close(format_: Any, action: str, step_id: str, text: Optional[str]) -> None:
    from .. import db
    from ..core import steps
    from ..core.derive import session_con

    with db.write_session() as session:
        step = getattr(steps, action)(session, step_id, text)
        record = _record(step.id, session_con(session))
    verb = {"done": "Done", "drop": "Dropped"}[action]
    _say(format_, record, f"{verb}: step {describe(record)}.")


@app.command("done")
def done_(step_id: IdArg, note: Annotated[Optional[str], typer.Option(
        "--note", "-n", metavar="TEXT", help="What came of it.")] = None,
        format_: FormatOpt = "table") -> None:
    """Mark a step done (kept in its history with when)."""
    _close(format_, "done", step_id, note)


@app.command("drop")
def drop(step_id: IdArg, reason: Annotated[Optional[str], typer.Option(
        "--reason", "-r", metavar="TEXT", help="Why it is not needed.")] = None,
        format_: FormatOpt = "table") -> None:
    """Drop a step that will not happen (kept in its history with when and why)."""
    _close(format_, "drop", step_id, reason)


@app.command("move")
def move(step_id: IdArg, when_: WhenArg, note: Annotated[Optional[str], typer.Option(
        "--note", "-n", metavar="TEXT", help="Why it moved.")] = None,
        format_: FormatOpt = "table") -> None:
    """Move a step to another date (or time). It keeps its id and its calendar entry."""
    from .. import db
    from ..core import steps
    from ..core.derive import session_con

    due = when(when_)
    with db.write_session() as session:
        before = steps.get(session, step_id).due_at
        planned = steps.move(session, step_id, due, note)
        record = _record(planned.step.id, session_con(session))
    _say(format_, record, f"Moved step #{record['id']} from {dates.show(before)} to "
                          f"{dates.show(record['due_at'])} ({record['kind']} with "
                          f"{who(record)}: {record['text'] or 'next step'}).", planned.notes)


@app.command("history")
def history(step_id: IdArg, format_: FormatOpt = "table") -> None:
    """What happened to a step: added, moved, done, dropped, with when and why."""
    from .. import queries, render
    from ..errors import NotFound

    con = read()
    text = step_id.strip().lstrip("#")
    if not text.isdigit() or int(text) > queries.MAX_ID:
        raise NotFound(f"no step with id {step_id}")
    record = _record(int(text), con)
    rows = queries.step_history(con, record["id"])
    kind = fmt(format_)
    if kind != "table":
        render.machine(kind, ("at", "action", "from_due", "to_due", "note"), rows)
        return
    render.table(rows, [
        render.Col("When", lambda r: dates.show(r["at"]), no_wrap=True),
        render.Col("What", "action", style="magenta"),
        render.Col("From", lambda r: dates.show(r["from_due"]), no_wrap=True),
        render.Col("To", lambda r: dates.show(r["to_due"]), no_wrap=True),
        render.Col("Note", "note"),
    ], title=f"Step {describe(record)}")


def snooze(ref: RefArg, when_: Annotated[str, typer.Argument(
        metavar="WHEN", help="Until when (they come back in followups that day).",
        show_default=False)],
        reason: Annotated[Optional[str], typer.Option(
            "--reason", "-r", metavar="TEXT", help="Why: shown when they come back.")] = None,
        format_: FormatOpt = "table") -> None:
    """Leave a person out of followups until WHEN (a prospect who postpones is not lost: come
    back at the right time). Their steps due before then move to that day, and it says so."""
    from .. import db, queries
    from ..core import prospects
    from ..core.derive import session_con
    from .common import emit_record

    until = when(when_)
    with db.write_session() as session:
        snoozed = prospects.snooze(session, ref, until, reason)
        record = queries.prospect(session_con(session), snoozed.prospect.id)
    text = (f"Snoozed #{record['id']} {record['name']} until "
            f"{dates.show_day(record['snoozed_until'])}"
            + (f" ({record['snooze_reason']})" if record["snooze_reason"] else "") + ".")
    for step in snoozed.moved:
        text += f" Moved step #{step.id} ({step.text or 'next step'}) to {dates.show(step.due_at)}."
    from .. import render

    for note in snoozed.notes:
        render.note(note)
    emit_record(format_, queries.PROSPECT_COLUMNS, record, lambda: text)
