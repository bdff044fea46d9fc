"""account add/list/show/edit/candidates, role, kam list/set/advance/history."""

from typing import Annotated, Any, Optional

import typer

from .. import dates
from ..i18n import _, current, named, ngettext, number, pgettext
from ..methodology import (ALL_KAM_STAGES, BUY_CLASSES, CHOICE_CRITERIA, KAM_BY_KEY, ROLES,
                           resolve_kam)
from .common import (FormatOpt, QuietOpt, RefArg, book_currency, complete_accounts, complete_words,
                     emit_record, fmt, money, read, settled)

app = typer.Typer(help="Accounts: the organisations your prospects work for, and key-account "
                  "management (khách hàng lớn).", no_args_is_help=True, rich_markup_mode=None)
kam = typer.Typer(help="Key-account stages (Millman & Wilson): pre, early, mid, partnership, "
                  "synergistic, or uncoupling.", no_args_is_help=True, rich_markup_mode=None)

AccountArg = Annotated[str, typer.Argument(
    metavar="ACCOUNT", help="An account id, or a unique part of its name (accents optional).",
    autocompletion=complete_accounts, show_default=False)]
IndustryOpt = Annotated[Optional[str], typer.Option("--industry", metavar="TEXT",
                                                    help="Industry.")]
NoteOpt = Annotated[Optional[str], typer.Option("--note", "-n", metavar="TEXT", help="A note.")]
BuyClassOpt = Annotated[Optional[str], typer.Option(
    "--buy-class", metavar="CLASS", help="The buying situation: "
    + ", ".join(k for k, _, _ in BUY_CLASSES) + ".",
    autocompletion=complete_words([k for k, _, _ in BUY_CLASSES]), show_default=False)]
CriterionOpt = Annotated[Optional[list[str]], typer.Option(
    "--criterion", metavar="NAME", help="A choice criterion they buy on (repeatable). Economic: "
    + ", ".join(c.key for c in CHOICE_CRITERIA if c.kind == "economic") + ". Emotional: "
    + ", ".join(c.key for c in CHOICE_CRITERIA if c.kind == "emotional") + ".",
    autocompletion=complete_words([c.key for c in CHOICE_CRITERIA]), show_default=False)]
ReasonOpt = Annotated[Optional[str], typer.Option(
    "--reason", "-r", metavar="TEXT", help="Why (kept in the history; required for "
    "uncoupling).")]


def _record(account_id: int, con=None) -> dict[str, Any]:
    from .. import queries

    return queries.account(con or read(), account_id)


def _label(record: dict[str, Any]) -> str:
    if not record["key"]:
        return _("not key")
    stage = KAM_BY_KEY.get(record["kam_stage"])
    return _("key, {stage}").format(stage=named(stage)) if stage else _("key")


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The organisation's name.",
                                        show_default=False)],
    industry: IndustryOpt = None,
    key: Annotated[bool, typer.Option("--key", help="A key account: starts at pre-KAM.")
                   ] = False,
    note: NoteOpt = None, buy_class: BuyClassOpt = None, criterion: CriterionOpt = None,
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Add an account. (Prospects' companies become accounts by themselves.)"""
    from .. import db, queries
    from ..core import accounts

    with db.write_session() as session:
        account_id = accounts.create(session, accounts.AccountDetails(
            name=name, industry=industry, note=note, key=key or None, buy_class=buy_class,
            criteria=criterion or [])).id
        record = _record(account_id, settled(session))
    emit_record(format_, queries.ACCOUNT_COLUMNS, record,
                lambda: _("Added account #{id} {name} ({label}).").format(
                    id=account_id, name=record["name"], label=_label(record)))


@app.command("edit")
def edit(
    ref: AccountArg,
    name: Annotated[Optional[str], typer.Option("--name", metavar="TEXT",
                                                help="New name (its people's company too).")
                    ] = None,
    industry: IndustryOpt = None,
    key: Annotated[Optional[bool], typer.Option(
        "--key/--no-key", help="Mark as a key account (starts at pre-KAM), or not.",
        show_default=False)] = None,
    note: NoteOpt = None, buy_class: BuyClassOpt = None, criterion: CriterionOpt = None,
    drop_criterion: Annotated[Optional[list[str]], typer.Option(
        "--drop-criterion", metavar="NAME", help="Remove a choice criterion (repeatable).",
        show_default=False)] = None,
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Change an account: name, industry, key or not, buying situation, choice criteria."""
    from .. import db, queries
    from ..core import accounts

    with db.write_session() as session:
        account_id = accounts.edit(session, ref, accounts.AccountDetails(
            name=name, industry=industry, note=note, key=key, buy_class=buy_class,
            criteria=criterion or [], drop_criteria=drop_criterion or [])).id
        record = _record(account_id, settled(session))
    emit_record(format_, queries.ACCOUNT_COLUMNS, record,
                lambda: _("Updated account #{id} {name} ({label}).").format(
                    id=account_id, name=record["name"], label=_label(record)))


@app.command("merge")
def merge(
    source: Annotated[str, typer.Argument(
        metavar="SOURCE", help="The account to fold in and remove (id or part of its name).",
        autocompletion=complete_accounts, show_default=False)],
    into: Annotated[str, typer.Argument(
        metavar="INTO", help="The account that stays (id or part of its name).",
        autocompletion=complete_accounts, show_default=False)],
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Merge two spellings of one organisation: SOURCE's people, criteria and KAM history move
    to INTO, and SOURCE is removed."""
    from .. import db, queries
    from ..core import accounts

    with db.write_session() as session:
        merged = accounts.merge(session, source, into)
        account_id = merged.account.id
        record = _record(account_id, settled(session))

    def sentence() -> str:
        moved = [text.format(n=n) for n, text in (
            (merged.people, ngettext("{n} person", "{n} people", merged.people)),
            (merged.kam_changes, ngettext("{n} KAM change", "{n} KAM changes",
                                          merged.kam_changes)),
            (merged.steps, ngettext("{n} step", "{n} steps", merged.steps)),
            (merged.deals, ngettext("{n} deal", "{n} deals", merged.deals))) if n]
        values = {"source_id": merged.source_id, "source_name": merged.source_name,
                  "id": account_id, "name": record["name"], "label": _label(record)}
        if not moved:
            return _("Merged account #{source_id} {source_name} into #{id} {name}: nobody to "
                     "move ({label}).").format(**values)
        listed = moved[0]
        for item in moved[1:]:
            listed = _("{first} and {second}").format(first=listed, second=item)
        return _("Merged account #{source_id} {source_name} into #{id} {name}: {moved} moved "
                 "({label}).").format(moved=listed, **values)

    emit_record(format_, queries.ACCOUNT_COLUMNS, record, sentence)


from .steps import account_step  # noqa: E402

app.command("step")(account_step)


@app.command("list")
def list_(
    key: Annotated[bool, typer.Option("--key", help="Only key accounts.")] = False,
    kam_stage: Annotated[Optional[str], typer.Option(
        "--kam", metavar="STAGE", help="Only key accounts at this KAM stage (pre, early, mid, "
        "partnership, synergistic, uncoupling).",
        autocompletion=complete_words([s.key for s in ALL_KAM_STAGES]),
        show_default=False)] = None,
    search: Annotated[Optional[str], typer.Option(
        "--search", "-s", metavar="TEXT", help="Only accounts whose name contains this (accents "
        "optional).", show_default=False)] = None,
    limit: Annotated[Optional[int], typer.Option(
        "--limit", "-l", metavar="N", help="At most N rows (default: 100 in a table, all "
        "otherwise; 0 = all).", show_default=False)] = None,
    format_: FormatOpt = "table",
) -> None:
    """Accounts, key ones first: KAM stage, people, deciders, last touch, orders."""
    from .. import queries, render
    from .prospects import _limit

    kind = fmt(format_)
    stage = resolve_kam(kam_stage).key if kam_stage is not None else None
    rows, total = queries.list_accounts(read(), key_only=key, kam=stage, search=search,
                                        limit=_limit(limit, kind))
    if kind != "table":
        render.machine(kind, queries.ACCOUNT_COLUMNS, rows)
        return
    render.table(rows, [
        render.Col("#", "id", justify="right", style="dim"),
        render.Col(_("Account"), "name", style="bold", no_wrap=True),
        render.Col(_("Industry"), "industry", drop=5),
        render.Col(pgettext("key account", "Key"),
                   lambda r: named(KAM_BY_KEY[r["kam_stage"]]) if r["key"] and
                   r["kam_stage"] else (_("key") if r["key"] else ""), style="magenta",
                   drop=1),
        render.Col(_("People"), "people", justify="right", drop=3),
        render.Col(_("Deciders"), "deciders", justify="right",
                   style=lambda r: "red" if r["key"] and not r["deciders"] else None, drop=2),
        render.Col(_("Last touch"), lambda r: dates.show_day(r["last_touch_at"]),
                   no_wrap=True, drop=4),
        render.Col(_("Orders"), lambda r: money(r["order_value"], r["order_currency"], column=True),
                   justify="right"),
    ], caption=(_("{shown:,} of {total:,} shown; --limit 0 shows all").format(
        shown=len(rows), total=total) if total > len(rows) else None),
        empty=(_("No accounts match.") if stage or search is not None else
               _("No key accounts: mark one with `relcrm account edit ACCOUNT --key`.") if key
               else _("No accounts yet: they appear when prospects have a --company.")))


@app.command("show")
def show(ref: AccountArg, format_: FormatOpt = "table") -> None:
    """An account: its buying centre by role, KAM stage and history, buying situation, choice
    criteria, gaps, open steps (its own and its people's), and the last touches with anyone."""
    from .. import queries
    from ..core.accounts_view import gaps

    con = read()
    found = queries.resolve_account(con, ref)
    record = queries.account(con, found["id"])
    people = queries.account_people(con, found["id"])
    history = queries.kam_history(con, found["id"])
    touches = queries.account_touches(con, found["id"])
    steps, _total = queries.step_list(con, account_id=found["id"])
    problems = gaps(record, people, dates.today())
    kind = fmt(format_)
    if kind == "json":
        from .. import render

        render.document({**record, "gaps": problems, "people": people, "kam_history": history,
                         "steps": steps, "last_touches": touches})
        return
    if kind in ("csv", "tsv"):
        from .. import render

        render.machine(kind, ("id", "name", "title", "roles", "stage", "last_touch_at",
                              "next_at", "next_step", "email", "phone"), people)
        return
    from .views import account_profile

    account_profile(record, problems, people, history, touches, steps)


@app.command("candidates")
def candidates(
    limit: Annotated[Optional[int], typer.Option(
        "--limit", "-l", metavar="N", help="At most N rows (default: 50 in a table, all "
        "otherwise; 0 = all).", show_default=False)] = None,
    format_: FormatOpt = "table",
) -> None:
    """Rank accounts by their share of recorded order value, and show which few together make
    80% of it: the few customers that carry the business are the candidates for key-account
    management. Orders: `call --outcome order --amount` or `log ... --amount`."""
    from .. import queries, render
    from ..core.accounts_view import pareto
    from ..methodology import PARETO_SHARE

    from ..errors import UsageError

    kind = fmt(format_)
    if limit is not None and limit < 0:
        raise UsageError(_("--limit must be 0 (all) or more, not {limit}").format(limit=limit))
    if limit is None:
        limit = 50 if kind == "table" else 0
    ranked = pareto(queries.order_values(read()))
    rows = ranked[:limit] if limit else ranked
    for other in queries.orders_elsewhere(read()):  # no exchange rate: said, not converted
        render.note(ngettext(
            "note: {n:,} order in {currency} ({value}) is not ranked: the ranking is in "
            "{book_currency} (config currency), and the book has no exchange rate",
            "note: {n:,} orders in {currency} ({value}) are not ranked: the ranking is in "
            "{book_currency} (config currency), and the book has no exchange rate",
            other["orders"]).format(n=other["orders"], currency=other["currency"],
                                    value=money(other["value"], other["currency"]),
                                    book_currency=book_currency()))
    if kind != "table":
        render.machine(kind, queries.CANDIDATE_COLUMNS, rows)
        return
    carrying = [r for r in ranked if r["in_80"]]
    title = None
    if ranked:
        title = _("{carrying:,} of {ranked:,} accounts with orders make {share:.0%} of order "
                  "value").format(carrying=len(carrying), ranked=len(ranked), share=PARETO_SHARE)
    render.table(rows, [
        render.Col(_("Rank"), "rank", justify="right"),
        render.Col("#", "id", justify="right", style="dim"),
        render.Col(_("Account"), "name", style="bold", no_wrap=True),
        render.Col(_("Orders"), "orders", justify="right"),
        render.Col(_("Value"), lambda r: money(r["order_value"], r["currency"], column=True),
                   justify="right"),
        render.Col(_("Share"), lambda r: number(r["share"], ".1%"), justify="right"),
        render.Col(_("Cumulative"), lambda r: number(r["cumulative_share"], ".1%"),
                   justify="right"),
        render.Col("80%", lambda r: _("yes") if r["in_80"] else "", style="green"),
        render.Col(pgettext("key account", "Key"),
                   lambda r: named(KAM_BY_KEY[r["kam_stage"]]) if r["key"] and
                   r["kam_stage"] else ("" if not r["in_80"] else _("not yet")),
                   style=lambda r: "yellow" if r["in_80"] and not r["key"] else "magenta"),
    ], title=title, caption=(_("{shown:,} of {total:,} shown; --limit 0 shows all").format(
        shown=len(rows), total=len(ranked)) if len(ranked) > len(rows) else None),
        empty=_("No orders recorded yet: log them with `relcrm call REF --outcome order "
                "--amount N` (or `log ... --amount N`)."))


def _role_shown(key: str) -> str:
    """A role as people read it: the key typed in English (decider), its name in Vietnamese."""
    from ..methodology import ROLE_BY_KEY

    role = ROLE_BY_KEY.get(key)
    return named(role) if role is not None and current() == "vi" else key


def role(
    ref: RefArg,
    roles: Annotated[Optional[list[str]], typer.Argument(
        metavar="[ROLE]...", help="Roles to add: " + ", ".join(r.key for r in ROLES) + ".",
        autocompletion=complete_words([r.key for r in ROLES]), show_default=False)] = None,
    remove: Annotated[Optional[list[str]], typer.Option(
        "--remove", metavar="ROLE", help="A role to take away (repeatable).",
        autocompletion=complete_words([r.key for r in ROLES]), show_default=False)] = None,
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Place a person in their account's decision-making unit (đơn vị quyết định): initiator,
    user, decider, influencer, buyer, gatekeeper; a person may hold several. Without roles,
    show theirs. A decider counts as authority = yes unless judged otherwise."""
    from .. import db
    from ..core import accounts

    with db.write_session() as session:
        result = accounts.set_roles(session, ref, roles or [], remove or [])
        person = {"id": result.prospect.id, "name": result.prospect.name,
                  "company": result.prospect.company, "roles": ",".join(result.roles),
                  "authority": result.prospect.authority}
    emit_record(format_, tuple(person), person,
                lambda: (_("#{id} {name} at {company}: {roles}.") if person["company"] else
                         _("#{id} {name}: {roles}.")).format(
                    id=person["id"], name=person["name"], company=person["company"],
                    roles=", ".join(_role_shown(key) for key in result.roles)
                    if result.roles else _("no role known")))


@kam.command("list")
def kam_list(format_: FormatOpt = "table") -> None:
    """The key-account stages, with how often someone there needs a touch."""
    from .stages import show_stages

    show_stages(format_, ALL_KAM_STAGES)


def _kam_moved(format_: Any, moved: Any, record: dict[str, Any]) -> None:
    from .. import queries

    def sentence() -> str:
        before = named(moved.before) if moved.before else "—"
        after = (named(moved.after) if current() == "vi" else
                 f"{moved.after.name} ({moved.after.vietnamese})")
        return _("#{id} {name}: {before} → {after}.").format(
            id=record["id"], name=record["name"], before=before, after=after)

    emit_record(format_, queries.ACCOUNT_COLUMNS, record, sentence)


@kam.command("set")
def kam_set(account: AccountArg, stage: Annotated[str, typer.Argument(
        metavar="STAGE", help="pre, early, mid, partnership, synergistic or uncoupling (or "
        "1-5).", autocompletion=complete_words([s.key for s in ALL_KAM_STAGES]),
        show_default=False)], reason: ReasonOpt = None,
        format_: FormatOpt = "table", quiet: QuietOpt = False) -> None:
    """Put a key account at any KAM stage; uncoupling needs --reason."""
    from .. import db
    from ..core import accounts

    target = resolve_kam(stage)
    with db.write_session() as session:
        moved = accounts.set_kam(session, account, target, reason)
        record = _record(moved.account.id, settled(session))
    _kam_moved(format_, moved, record)


@kam.command("advance")
def kam_advance(account: AccountArg, reason: ReasonOpt = None,
                format_: FormatOpt = "table", quiet: QuietOpt = False) -> None:
    """Move a key account to the next KAM stage."""
    from .. import db
    from ..core import accounts

    with db.write_session() as session:
        moved = accounts.advance_kam(session, account, reason)
        record = _record(moved.account.id, settled(session))
    _kam_moved(format_, moved, record)


@kam.command("history")
def kam_history(account: AccountArg, format_: FormatOpt = "table") -> None:
    """Every KAM stage change of an account, oldest first."""
    from .. import queries, render

    con = read()
    found = queries.resolve_account(con, account)
    rows = queries.kam_history(con, found["id"])
    kind = fmt(format_)
    if kind != "table":
        render.machine(kind, ("at", "from_stage", "to_stage", "reason"), rows)
        return
    name = lambda key: named(KAM_BY_KEY[key]) if key else "—"  # noqa: E731
    render.table(rows, [
        render.Col(_("When"), lambda r: dates.show(r["at"]), no_wrap=True),
        render.Col(_("From"), lambda r: name(r["from_stage"])),
        render.Col(_("To"), lambda r: name(r["to_stage"]), style="magenta"),
        render.Col(_("Reason"), "reason"),
    ], title=_("#{id} {name}: key-account history").format(id=found["id"], name=found["name"]),
        empty=_("{name} has no key-account history (mark it key: relcrm account edit {id} "
                "--key).").format(name=found["name"], id=found["id"]))
