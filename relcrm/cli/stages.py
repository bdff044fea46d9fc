"""stage list / advance / set / history."""

from typing import Annotated, Any, Optional

import typer

from .. import dates
from ..i18n import _, dynamic, named
from ..methodology import ALL_STAGES, STAGE_BY_KEY
from .common import FormatOpt, QuietOpt, RefArg, StageArg, emit_record, fmt, read, settled

app = typer.Typer(help="The seven relationship stages (7 giai đoạn), and moving between them.",
                  no_args_is_help=True, rich_markup_mode=None)

ReasonOpt = Annotated[Optional[str], typer.Option(
    "--reason", "-r", metavar="TEXT", help="Why (kept in the history; required for lost).")]
STAGE_COLUMNS = ("number", "key", "name", "vietnamese", "cadence_days", "focus")


@app.command("list")
def list_(format_: FormatOpt = "table") -> None:
    """The seven stages in order, with their touch cadence (and the lost end state)."""
    show_stages(format_, ALL_STAGES)


def show_stages(format_: Any, stages: Any) -> None:
    """A list of stages (relationship or key-account) with their cadence (the book's setting,
    else relcrm's default) and focus."""
    from .. import render, settings

    values = settings.all_values(read())
    rows = [{"number": s.number or None, "key": s.key, "name": s.name,
             "vietnamese": s.vietnamese,
             "cadence_days": int(values[f"cadence.{s.key}"]) if s.cadence_days else None,
             "focus": s.hint} for s in stages]
    kind = fmt(format_)
    if kind != "table":
        render.machine(kind, STAGE_COLUMNS, rows)
        return
    render.table(rows, [
        render.Col("#", "number", justify="right"),
        render.Col(_("Key"), "key", style="magenta"),
        render.Col(_("Stage"), "name", style="bold"),
        render.Col(_("Vietnamese"), "vietnamese"),
        render.Col(_("Touch every"), lambda r: _("{n} days").format(n=r["cadence_days"])
                   if r["cadence_days"] else "—", justify="right"),
        render.Col(_("Focus"), lambda r: dynamic(r["focus"]) if r["focus"] else ""),
    ])


def _moved(format_: Any, moved: Any, con) -> None:
    from .. import queries, settings

    record = queries.prospect(con, moved.prospect.id)
    every = record["cadence_days"] or settings.get(con, f"cadence.{moved.after.key}") \
        if moved.after.cadence_days else None

    def sentence() -> str:
        from .shown import stage_shown

        text = f"#{record['id']} {record['name']}: {named(moved.before)} → " \
               f"{stage_shown(moved.after)}."
        if every:
            text += " " + _("Touch every {days} days; next follow-up {when}.").format(
                days=every, when=dates.show(record["due_on"]))
        elif record["due_on"]:
            text += " " + _("Revisit on {when}.").format(when=dates.show(record["due_on"]))
        return text

    emit_record(format_, queries.PROSPECT_COLUMNS, record, sentence)


@app.command("advance")
def advance(ref: RefArg, reason: ReasonOpt = None, format_: FormatOpt = "table",
            quiet: QuietOpt = False) -> None:
    """Move a relationship to the next stage (n → n+1). At Loyal there is no next stage."""
    from .. import db
    from ..core import stages

    with db.write_session() as session:
        moved = stages.advance(session, ref, reason)
        _moved(format_, moved, settled(session))


@app.command("set")
def set_(ref: RefArg, stage: StageArg, reason: ReasonOpt = None,
         revisit: Annotated[Optional[str], typer.Option(
             "--revisit", metavar="WHEN", help="With lost: when to come back to them (they "
             "return in followups that day).", show_default=False)] = None,
         format_: FormatOpt = "table", quiet: QuietOpt = False) -> None:
    """Put a relationship at any stage, by number, key or name; `lost` ends it (with --reason,
    and --revisit WHEN to come back later) and any other stage reopens it."""
    from .. import db
    from ..core import stages
    from ..methodology import resolve_stage
    from .common import when

    target = resolve_stage(stage)  # a bad stage is an error before the book is opened
    revisit_on = when(revisit)
    with db.write_session() as session:
        moved = stages.set_stage(session, ref, target, reason, revisit_on)
        _moved(format_, moved, settled(session))


HISTORY_COLUMNS = ("at", "from_stage", "to_stage", "reason", "days")


@app.command("history")
def history(ref: RefArg, format_: FormatOpt = "table") -> None:
    """Every stage change of a relationship, oldest first, with how long each stage lasted."""
    from .. import queries, render

    con = read()
    found = queries.resolve(con, ref)
    rows = queries.stage_history(con, found["id"])
    today = dates.today()
    for i, row in enumerate(rows):
        start = dates.from_iso(row["at"][:10])
        end = dates.from_iso(rows[i + 1]["at"][:10]) if i + 1 < len(rows) else today
        row["days"] = (end - start).days
    kind = fmt(format_)
    if kind != "table":
        render.machine(kind, HISTORY_COLUMNS, rows)
        return
    from .shown import stored_word

    name = lambda key: named(STAGE_BY_KEY[key]) if key else "—"  # noqa: E731
    render.table(rows, [
        render.Col(_("When"), lambda r: dates.show(r["at"]), no_wrap=True),
        render.Col(_("From"), lambda r: name(r["from_stage"])),
        render.Col(_("To"), lambda r: name(r["to_stage"]), style="magenta"),
        render.Col(_("Days there"), "days", justify="right"),
        render.Col(_("Reason"), lambda r: stored_word(r["reason"])),
    ], title=_("#{id} {name}: stage history").format(id=found["id"], name=found["name"]))
