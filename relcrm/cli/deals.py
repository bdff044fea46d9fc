"""deal add / list / show / stage / won / lost / reopen / edit: sales you can count."""

from typing import Annotated, Any, Optional

import typer

from .. import dates
from ..i18n import _, current, dynamic, named
from ..methodology import BUY_CLASSES, BUYING_STAGES, LOST_REASONS
from .common import (FormatOpt, QuietOpt, complete_accounts, complete_refs, complete_words,
                     emit_record, fmt, money, read, settled, when)

app = typer.Typer(help="Deals (thương vụ): one sale in progress with an account, at the stage "
                  "of the customer's buying process, in its own currency, until won or lost.",
                  no_args_is_help=True, rich_markup_mode=None)

IdArg = Annotated[str, typer.Argument(metavar="ID", help="A deal id (relcrm deal list).",
                                      show_default=False)]
ValueOpt = Annotated[Optional[str], typer.Option(
    "--value", metavar="AMOUNT", help="Its value, in the book's currency unless it names one: "
    "450.000.000, 1,2 tỷ, 12,000 USD.", show_default=False)]
CloseOpt = Annotated[Optional[str], typer.Option(
    "--close", metavar="WHEN", help=f"When you expect it to close. WHEN: {dates.WHEN_HELP}.",
    show_default=False)]
BuyClassOpt = Annotated[Optional[str], typer.Option(
    "--buy-class", metavar="CLASS", help="straight-rebuy, modified-rebuy or new-task (default: "
    "the account's).", autocompletion=complete_words([k for k, _, _ in BUY_CLASSES]),
    show_default=False)]
WithOpt = Annotated[Optional[list[str]], typer.Option(
    "--with", metavar="REF", help="A person involved (repeat for several).",
    autocompletion=complete_refs, show_default=False)]
StageWords = [s.key for s in BUYING_STAGES]
ReasonWords = [r.key for r in LOST_REASONS]


def _today() -> str:
    return dates.today().isoformat()


def _record(deal_id: int, con=None) -> dict[str, Any]:
    from .. import queries

    return queries.deal(con or read(), deal_id, _today())


def _stage(key: str | None) -> str:
    from ..core.deals import stage_name

    return stage_name(key)


def _worth(record: dict[str, Any], column: bool = False) -> str:
    return (money(record["value"], record["currency"], column=column)
            if record["value"] is not None else "")


@app.command("add")
def add(
    account: Annotated[str, typer.Argument(
        metavar="ACCOUNT", help="The account (id or unique part of its name).",
        autocompletion=complete_accounts, show_default=False)],
    title: Annotated[str, typer.Argument(metavar="TITLE", help="What the sale is.",
                                         show_default=False)],
    value: ValueOpt = None, close: CloseOpt = None, buy_class: BuyClassOpt = None,
    with_: WithOpt = None,
    stage: Annotated[Optional[str], typer.Option(
        "--stage", metavar="STAGE", help="Where the customer is (default need): "
        + ", ".join(StageWords) + ".", autocompletion=complete_words(StageWords),
        show_default=False)] = None,
    note: Annotated[Optional[str], typer.Option("--note", "-n", metavar="TEXT")] = None,
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Open a deal with an account, with the people involved.

    Example: relcrm deal add "minh phat" "Film for line 2" --value "1,2 tỷ" --close +6w
    --with an --with lan
    """
    from .. import db, queries
    from ..core import deals

    with db.write_session() as session:
        opened = deals.add(session, account, title, value=value, close=when(close),
                           buy_class=buy_class, with_refs=with_ or [], stage=stage, note=note)
        record = _record(opened.deal.id, settled(session))
    emit_record(format_, queries.DEAL_COLUMNS, record,
                lambda: _("Opened deal #{id} {title} with {who}").format(
                    id=record["id"], title=record["title"],
                    who=record["account"] or record["people"])
                + (f" ({record['people']})" if record["people"] and record["account"] else "")
                + (f", {_worth(record)}" if record["value"] is not None else "")
                + _("; the customer is at {stage}").format(stage=_stage(record["stage"]))
                + (_("; expected to close {day}").format(day=dates.show_day(record["close_on"]))
                   if record["close_on"] else "") + ".")


@app.command("list")
def list_(
    open_: Annotated[bool, typer.Option("--open", help="Open deals (the default).")] = False,
    won: Annotated[bool, typer.Option("--won", help="Won deals.")] = False,
    lost: Annotated[bool, typer.Option("--lost", help="Lost deals.")] = False,
    all_: Annotated[bool, typer.Option("--all", "-a", help="Every deal.")] = False,
    account: Annotated[Optional[str], typer.Option(
        "--account", metavar="ACCOUNT", help="Only this account's.",
        autocompletion=complete_accounts, show_default=False)] = None,
    person: Annotated[Optional[str], typer.Option(
        "--prospect", metavar="REF", help="Only the deals this person is in.",
        autocompletion=complete_refs, show_default=False)] = None,
    limit: Annotated[Optional[int], typer.Option(
        "--limit", "-l", metavar="N", help="At most N rows (default: 100 in a table, all "
        "otherwise; 0 = all).", show_default=False)] = None,
    format_: FormatOpt = "table",
) -> None:
    """Deals: open ones by the customer's buying stage (furthest first), then won and lost."""
    from .. import queries, render
    from ..errors import UsageError

    chosen = [name for name, on in (("open", open_), ("won", won), ("lost", lost)) if on]
    if len(chosen) > 1 or (chosen and all_):
        raise UsageError(_("give one of --open, --won, --lost or --all"))
    status = None if all_ else (chosen[0] if chosen else "open")
    kind = fmt(format_)
    if limit is not None and limit < 0:
        raise UsageError(_("--limit must be 0 (all) or more, not {limit}").format(limit=limit))
    if limit is None:
        limit = 100 if kind == "table" else 0
    con = read()
    account_id = queries.resolve_account(con, account)["id"] if account else None
    prospect_id = queries.resolve(con, person)["id"] if person else None
    rows, total = queries.deal_list(con, _today(), status=status, account_id=account_id,
                                    prospect_id=prospect_id, limit=limit or None)
    if kind != "table":
        render.machine(kind, queries.DEAL_COLUMNS, rows)
        return
    cols = [
        render.Col("#", "id", justify="right", style="dim"),
        render.Col(_("Account"), lambda r: r["account"] or "", style="bold"),  # may wrap
        render.Col(_("Deal"), "title"),
        render.Col(_("Customer is at"), lambda r: _stage(r["stage"]), no_wrap=True,
                   style="magenta", drop=1),
        render.Col(_("Value"), lambda r: _worth(r, column=True), justify="right"),
        render.Col(_("Close"), lambda r: dates.show_day(r["close_on"]) if r["close_on"] else "",
                   no_wrap=True, drop=2),
        render.Col(_("Age"), lambda r: _("{n} d").format(n=r["age_days"]), justify="right",
                   drop=3),
    ]
    if status != "open":
        cols.insert(3, render.Col(_("Status"), lambda r: _status(r), style=lambda r: {
            "won": "green", "lost": "red"}.get(r["status"], "")))
    empty = {"open": _("No open deals: open one with relcrm deal add ACCOUNT TITLE --value "
                       "AMOUNT"),
             "won": _("No won deals."), "lost": _("No lost deals."), None: _("No deals.")}
    render.table(rows, cols, empty=empty[status],
                 caption=(_("{shown:,} of {total:,} shown; --limit 0 shows all")
                          .format(shown=len(rows), total=total)
                          if total > len(rows) else None))


def _status(row: dict[str, Any]) -> str:
    if row["status"] == "won":
        amount = money(row["won_amount"], row["won_currency"]) if row["won_amount"] is not None \
            else ""
        return _("won {amount}").format(amount=amount) if amount else _("won")
    if row["status"] == "lost":
        return _("lost: {reason}").format(reason=_reason(row["lost_reason"]))
    return _("open")


def _reason(key: str | None) -> str:
    from ..core.deals import reason_name

    return reason_name(key) if key else f"{key}"


@app.command("show")
def show(deal_id: IdArg, format_: FormatOpt = "table") -> None:
    """A deal: account, people, value, the customer's buying stage and its history."""
    from rich.table import Table

    from .. import queries, render
    from ..errors import NotFound

    con = read()
    text = deal_id.strip().lstrip("#")
    if not text.isdigit():
        raise NotFound(_("no deal with id {id}; see them with relcrm deal list")
                       .format(id=deal_id))
    record = _record(int(text), con)
    history = queries.deal_history(con, record["id"])
    kind = fmt(format_)
    if kind == "json":
        render.document({**record, "history": history})
        return
    if kind != "table":
        render.machine(kind, queries.DEAL_COLUMNS, [record])
        return
    out = render.console()
    styled = out.color_system is not None

    def t(value: Any, style: str = ""):
        return render.safe_text(value, style if styled else "")
    render.emit(out, t(f"#{record['id']} ", "dim") + t(record["title"], "bold")
                + t(f" — {record['account'] or record['people'] or ''}"))
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="dim", no_wrap=True)
    facts.add_column()
    facts.add_row(t(_("status")), t(_status(record)))
    stage = next(s for s in BUYING_STAGES if s.key == record["stage"]) \
        if record["stage"] in StageWords else None
    if stage:
        name = named(stage) if current() == "vi" else f"{stage.name} ({stage.vietnamese})"
        facts.add_row(t(_("customer is at")), t(f"{stage.number}/{len(BUYING_STAGES)} {name}: "
                                                f"{dynamic(stage.hint)}"))
    if record["value"] is not None:
        facts.add_row(t(_("value")), t(_worth(record)))
    if record["people"]:
        facts.add_row(t(_("people")), t(record["people"]))
    if record["close_on"]:
        facts.add_row(t(_("expected close")), t(dates.show_day(record["close_on"])))
    if record["buy_class"]:
        facts.add_row(t(_("buy class")), t(record["buy_class"]))
    if record["note"]:
        facts.add_row(t(_("note")), t(record["note"]))
    opened = (_("{date} ({days} days open)") if record["status"] == "open"
              else _("{date} ({days} days to close)"))
    facts.add_row(t(_("opened")), t(opened.format(date=dates.show(record["created_at"]),
                                                  days=record["age_days"])))
    render.emit(out, facts)
    if history:
        from rich.text import Text

        render.emit(out, Text())
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), pad_edge=False,
                      title=t(_("History"), "bold"), title_justify="left")
        table.add_column(no_wrap=True, style="dim")
        table.add_column()
        for change in history:
            table.add_row(t(dates.show(change["at"])), t(_change_text(change)))
        render.emit(out, table)


def _change_text(change: dict[str, Any]) -> str:
    action = change["action"]
    amount = money(change["amount"], change["currency"]) if change["amount"] is not None else ""
    if action == "opened":
        text = (_("opened at {stage}").format(stage=_stage(change["to_stage"]))
                + (f", {amount}" if amount else ""))
    elif action == "stage":
        text = f"{_stage(change['from_stage'])} → {_stage(change['to_stage'])}"
    elif action == "won":
        text = _("won") + (f", {amount}" if amount else "")
    elif action == "lost":
        text = _("lost at {stage}").format(stage=_stage(change["from_stage"]))
    elif action == "value":
        text = _("value {amount}").format(amount=amount) if amount else _("value cleared")
    elif action == "reopened":
        text = _("reopened")
    else:
        text = action
    if change["reason"]:
        text += f": {change['reason']}"
    if change["note"]:
        text += f" ({change['note']})"
    return text


@app.command("stage")
def stage(
    deal_id: IdArg,
    stage_: Annotated[str, typer.Argument(
        metavar="STAGE", help="Where the customer is now: " + ", ".join(StageWords) + ".",
        autocompletion=complete_words(StageWords), show_default=False)],
    reason: Annotated[Optional[str], typer.Option("--reason", metavar="TEXT")] = None,
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Move a deal to the stage of the customer's buying process they are at (kept in its
    history). Stages: need, specification, search, proposals, evaluation, order, feedback."""
    from .. import db, queries
    from ..core import deals

    with db.write_session() as session:
        deal, before = deals.set_stage(session, deal_id, stage_, reason)
        record = _record(deal.id, settled(session))
    emit_record(format_, queries.DEAL_COLUMNS, record,
                lambda: _("Deal #{id} {title}: {before} → {stage}.").format(
                    id=record["id"], title=record["title"], before=_stage(before),
                    stage=_stage(record["stage"])))


@app.command("won")
def won(
    deal_id: IdArg,
    amount: Annotated[Optional[str], typer.Option(
        "--amount", metavar="AMOUNT", help="What it was won for (default: its value).",
        show_default=False)] = None,
    note: Annotated[Optional[str], typer.Option("--note", "-n", metavar="TEXT")] = None,
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Mark a deal won: its people and account become customers."""
    from .. import db, queries
    from ..core import deals

    with db.write_session() as session:
        deal = deals.won(session, deal_id, amount, note)
        record = _record(deal.id, settled(session))
    emit_record(format_, queries.DEAL_COLUMNS, record,
                lambda: (_("Won deal #{id} {title} for {amount} with {who}.")
                         if record["won_amount"] is not None else
                         _("Won deal #{id} {title} with {who}.")).format(
                    id=record["id"], title=record["title"],
                    amount=money(record["won_amount"], record["won_currency"])
                    if record["won_amount"] is not None else "",
                    who=record["account"] or record["people"]))


@app.command("lost")
def lost(
    deal_id: IdArg,
    reason: Annotated[Optional[str], typer.Option(
        "--reason", metavar="REASON", help="Why: " + ", ".join(ReasonWords) + ".",
        autocompletion=complete_words(ReasonWords), show_default=False)] = None,
    note: Annotated[Optional[str], typer.Option("--note", "-n", metavar="TEXT",
                                                help="What happened.")] = None,
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Mark a deal lost, with the reason (price, competitor, no-budget, no-decision, timing,
    relationship, product-fit, other)."""
    from .. import db, queries
    from ..core import deals

    with db.write_session() as session:
        deal = deals.lost(session, deal_id, reason, note)
        record = _record(deal.id, settled(session))
    emit_record(format_, queries.DEAL_COLUMNS, record,
                lambda: _("Lost deal #{id} {title} at {stage}: {reason}.").format(
                    id=record["id"], title=record["title"], stage=_stage(record["stage"]),
                    reason=_reason(record["lost_reason"])))


@app.command("reopen")
def reopen(
    deal_id: IdArg,
    reason: Annotated[Optional[str], typer.Option("--reason", metavar="TEXT")] = None,
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Open a won or lost deal again (marked by mistake, or they came back)."""
    from .. import db, queries
    from ..core import deals

    with db.write_session() as session:
        deal = deals.reopen(session, deal_id, reason)
        record = _record(deal.id, settled(session))
    emit_record(format_, queries.DEAL_COLUMNS, record,
                lambda: _("Reopened deal #{id} {title} at {stage}.").format(
                    id=record["id"], title=record["title"], stage=_stage(record["stage"])))


@app.command("edit")
def edit(
    deal_id: IdArg,
    title: Annotated[Optional[str], typer.Option("--title", metavar="TEXT")] = None,
    value: ValueOpt = None, close: CloseOpt = None,
    no_close: Annotated[bool, typer.Option("--no-close",
                                           help="Clear the expected close date.")] = False,
    buy_class: BuyClassOpt = None,
    account: Annotated[Optional[str], typer.Option(
        "--account", metavar="ACCOUNT", autocompletion=complete_accounts,
        show_default=False)] = None,
    with_: WithOpt = None,
    without: Annotated[Optional[list[str]], typer.Option(
        "--without", metavar="REF", help="A person no longer involved.",
        autocompletion=complete_refs, show_default=False)] = None,
    note: Annotated[Optional[str], typer.Option("--note", "-n", metavar="TEXT")] = None,
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Change a deal's title, value ("" clears it), expected close, buy class, account or
    people."""
    from .. import db, queries
    from ..core import deals

    changes = deals.DealEdit(title=title, value=value, close=when(close), clear_close=no_close,
                             buy_class=buy_class, note=note, with_refs=with_ or [],
                             without_refs=without or [], account=account)
    with db.write_session() as session:
        deal, changed = deals.edit(session, deal_id, changes)
        record = _record(deal.id, settled(session))
    emit_record(format_, queries.DEAL_COLUMNS, record,
                lambda: _("Updated deal #{id} {title}: {changes}.").format(
                    id=record["id"], title=record["title"], changes=", ".join(changed)))
