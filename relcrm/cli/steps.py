"""step add / list / done / move / drop / history, account step, snooze."""

from typing import Annotated, Any, Optional

import typer

from .. import dates
from ..i18n import _, dynamic
from ..methodology import STEP_KINDS
from .common import FormatOpt, QuietOpt, RefArg, complete_refs, complete_words, fmt, read, when

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
    people = record["people"] or _("whole account")
    return f"{record['account']} ({people})"


def _kind(record: dict[str, Any]) -> str:
    return dynamic(record["kind"]) if record["kind"] else ""


def describe(record: dict[str, Any]) -> str:
    return _("#{id} {kind} {when} with {who}: {what}").format(
        id=record["id"], kind=_kind(record), when=dates.show(record["due_at"]), who=who(record),
        what=record["text"] or _("next step"))


@app.command("add")
def add(ref: RefArg, when_: WhenArg, text: TextArg, kind: KindOpt = None,
        minutes: MinutesOpt = None, format_: FormatOpt = "table", quiet: QuietOpt = False) -> None:
    """Plan a step with a prospect. Several may be open at once; each stays open until you
    close it (step done / drop, or log/call --done)."""
    from .. import db
    from ..core import steps
    from ..core.derive import session_con

    due = when(when_)
    with db.write_session() as session:
        planned = steps.add(session, ref, due, text, step_kind=kind, minutes=minutes)
        record = _record(planned.step.id, session_con(session))
    _say(format_, record, _("Added step {step}.").format(step=describe(record)), planned.notes)


def account_step(
    account: Annotated[str, typer.Argument(
        metavar="ACCOUNT", help="An account id, or a unique part of its name.",
        show_default=False)],
    when_: WhenArg, text: TextArg, kind: KindOpt = None,
    with_: Annotated[Optional[list[str]], typer.Option(
        "--with", "-w", metavar="REF", help="A person at the account it involves (repeatable; "
        "none: the whole account).", autocompletion=complete_refs, show_default=False)] = None,
    minutes: MinutesOpt = None, format_: FormatOpt = "table", quiet: QuietOpt = False,
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
    _say(format_, record, _("Added step {step}.").format(step=describe(record)), planned.notes)


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
        render.Col(_("Due"), lambda r: dates.show(r["due_at"]), no_wrap=True,
                   style=lambda r: "bold red" if not done and r["due_at"][:10] < today.isoformat()
                   else None),
        render.Col(_("Kind"), _kind, style="cyan", drop=1),
        render.Col(_("With"), who, style="bold"),
        render.Col(_("Step"), lambda r: r["text"] or _("next step")),
    ]
    if done:
        cols += [render.Col(_("Closed"), lambda r: f"{_status(r['status'])} "
                            f"{dates.show_day(r['closed_at'])}", no_wrap=True),
                 render.Col(_("Note"), "note")]
    render.table(rows, cols, caption=(
        _("{shown} of {total} shown; --limit 0 shows all").format(shown=len(rows), total=total)
        if total > len(rows) else None),
                 empty=_("No closed steps.") if done else
                 _("No open steps. Plan one: relcrm step add REF WHEN TEXT"))


def _status(status: str | None) -> str:
    """A closed step's status (done, dropped) in the current language."""
    from ..i18n import N_

    if False:  # noqa: SIM108 - for the catalog
        N_("done"), N_("dropped")
    return dynamic(status) if status else ""


def _action(action: str | None) -> str:
    """A step change's action (added, moved, done, dropped) in the current language; "added"
    has its own words (the catalog's "added" is the date a prospect was added)."""
    from ..i18n import N_, current

    if not action or current() != "vi":
        return action or ""
    words = {"added": N_("added (step)"), "moved": N_("moved"), "done": N_("done"),
             "dropped": N_("dropped")}
    return dynamic(words.get(action, action))


def _close(format_: Any, action: str, step_id: str, text: Optional[str]) -> None:
    from .. import db
    from ..core import steps
    from ..core.derive import session_con

    with db.write_session() as session:
        step = getattr(steps, action)(session, step_id, text)
        record = _record(step.id, session_con(session))
    sentence = (_("Done: step {step}.") if action == "done"
                else _("Dropped: step {step}.")).format(step=describe(record))
    _say(format_, record, sentence)


@app.command("done")
def done_(step_id: IdArg, note: Annotated[Optional[str], typer.Option(
        "--note", "-n", metavar="TEXT", help="What came of it.")] = None,
        format_: FormatOpt = "table", quiet: QuietOpt = False) -> None:
    """Mark a step done (kept in its history with when)."""
    _close(format_, "done", step_id, note)


@app.command("drop")
def drop(step_id: IdArg, reason: Annotated[Optional[str], typer.Option(
        "--reason", "-r", metavar="TEXT", help="Why it is not needed.")] = None,
        format_: FormatOpt = "table", quiet: QuietOpt = False) -> None:
    """Drop a step that will not happen (kept in its history with when and why)."""
    _close(format_, "drop", step_id, reason)


@app.command("move")
def move(step_id: IdArg, when_: WhenArg, note: Annotated[Optional[str], typer.Option(
        "--note", "-n", metavar="TEXT", help="Why it moved.")] = None,
        format_: FormatOpt = "table", quiet: QuietOpt = False) -> None:
    """Move a step to another date (or time). It keeps its id and its calendar entry."""
    from .. import db
    from ..core import steps
    from ..core.derive import session_con

    due = when(when_)
    with db.write_session() as session:
        before = steps.get(session, step_id).due_at
        planned = steps.move(session, step_id, due, note)
        record = _record(planned.step.id, session_con(session))
    _say(format_, record, _("Moved step #{id} from {before} to {after} ({kind} with {who}: "
                            "{what}).").format(
        id=record["id"], before=dates.show(before), after=dates.show(record["due_at"]),
        kind=_kind(record), who=who(record), what=record["text"] or _("next step")),
        planned.notes)


@app.command("history")
def history(step_id: IdArg, format_: FormatOpt = "table") -> None:
    """What happened to a step: added, moved, done, dropped, with when and why."""
    from .. import queries, render
    from ..errors import NotFound

    con = read()
    text = step_id.strip().lstrip("#")
    if not text.isdigit() or int(text) > queries.MAX_ID:
        raise NotFound(_("no step with id {id}").format(id=step_id))
    record = _record(int(text), con)
    rows = queries.step_history(con, record["id"])
    kind = fmt(format_)
    if kind != "table":
        render.machine(kind, ("at", "action", "from_due", "to_due", "note"), rows)
        return
    render.table(rows, [
        render.Col(_("When"), lambda r: dates.show(r["at"]), no_wrap=True),
        render.Col(_("What"), lambda r: _action(r["action"]), style="magenta"),
        render.Col(_("From"), lambda r: dates.show(r["from_due"]), no_wrap=True),
        render.Col(_("To"), lambda r: dates.show(r["to_due"]), no_wrap=True),
        render.Col(_("Note"), "note"),
    ], title=_("Step {step}").format(step=describe(record)))


def snooze(ref: RefArg, when_: Annotated[str, typer.Argument(
        metavar="WHEN", help="Until when (they come back in followups that day).",
        show_default=False)],
        reason: Annotated[Optional[str], typer.Option(
            "--reason", "-r", metavar="TEXT", help="Why: shown when they come back.")] = None,
        format_: FormatOpt = "table", quiet: QuietOpt = False) -> None:
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
    text = (_("Snoozed #{id} {name} until {day} ({reason}).") if record["snooze_reason"]
            else _("Snoozed #{id} {name} until {day}.")).format(
        id=record["id"], name=record["name"], day=dates.show_day(record["snoozed_until"]),
        reason=record["snooze_reason"])
    for step in snoozed.moved:
        text += " " + _("Moved step #{id} ({what}) to {when}.").format(
            id=step.id, what=step.text or _("next step"), when=dates.show(step.due_at))
    from .. import render

    for note in snoozed.notes:
        render.note(note)
    if quiet:  # the steps it moved are said nowhere else: on stderr
        for step in snoozed.moved:
            render.note(_("Moved step #{id} ({what}) to {when}.").format(
                id=step.id, what=step.text or _("next step"), when=dates.show(step.due_at)))
    emit_record(format_, queries.PROSPECT_COLUMNS, record, lambda: text)
