"""Relationship care: date add/list/drop, account date, occasion list/add/drop/gifts, types,
fact, brief."""

from typing import Annotated, Optional

import typer

from .. import dates
from ..i18n import _, current, dynamic, ngettext
from ..methodology import CUSTOMER_TYPES, FACT_ABOUT
from .common import (FormatOpt, QuietOpt, RefArg, complete_accounts, complete_words, emit_record,
                     fmt, money, read, when)

dates_app = typer.Typer(help="Important dates: birthdays, anniversaries, founding days, giỗ "
                        "(solar or lunar); shown a few days ahead in followups and plan.",
                        no_args_is_help=True, rich_markup_mode=None)
occasion_app = typer.Typer(help="The occasions the book greets customers on (Tết, Trung "
                           "thu, 8/3, 20/10, 20/11 ...) and their gift lists.",
                           no_args_is_help=True, rich_markup_mode=None)

KindArg = Annotated[str, typer.Argument(
    metavar="KIND", help="birthday, anniversary, founding, or any word you use (giỗ ...).",
    autocompletion=complete_words(("birthday", "anniversary", "founding", "giỗ")),
    show_default=False)]
WhenArg = Annotated[str, typer.Argument(
    metavar="DATE", help="DAY/MONTH, DAY/MONTH/YEAR or YEAR-MONTH-DAY: 14/11, 14/11/1978, "
    "1978-11-14 (the year is optional).", show_default=False)]
LunarOpt = Annotated[bool, typer.Option(
    "--lunar", help="The date is in the lunar calendar (âm lịch) and recurs on that lunar "
    "day each year; a date in a leap month: add 'nhuận' (10/3 nhuận).")]
NoteOpt = Annotated[Optional[str], typer.Option("--note", "-n", metavar="TEXT",
                                                show_default=False)]


def _said(date, kind: str, who: str, ident: int) -> str:
    from ..core import occasions

    on, adjusted = occasions.next_on(date, dates.today())
    text = _("Added date #{id}: {who}'s {kind}, {date}; next on {day}").format(
        id=ident, who=who, kind=dynamic(kind), date=occasions.show(date),
        day=dates.show_day(on))
    years = occasions.years(date, on)
    if years is not None and years > 0:
        text += (_(" (turns {n})") if kind == "birthday" else _(" ({n} years)")).format(n=years)
    if date.note:
        text += f"; {date.note}"
    if adjusted:
        text += f"; {adjusted}"
    return text + "."


@dates_app.command("add")
def date_add(ref: RefArg, kind: KindArg, date: WhenArg, lunar: LunarOpt = False,
             note: NoteOpt = None, quiet: QuietOpt = False) -> None:
    """Add a person's important date (a birthday, an anniversary, a giỗ ...). It shows in
    followups and plan a few days ahead (config occasion.lead_days) until you greet them
    (relcrm log REF message --occasion ID); it never touches a business step."""
    from .. import db
    from ..core import care, prospects
    from ..core.derive import session_con

    with db.write_session() as session:
        person = prospects.resolve(session, ref)
        ident, parsed = care.add_date(session_con(session), pid=person.id, account_id=None,
                                      kind=kind, when=date, lunar=lunar, note=note)
        name = person.name
    from .. import render

    print(ident if quiet else render.escape(_said(parsed, care.kind_of(kind), name, ident)))


def account_date(account: Annotated[str, typer.Argument(
        metavar="ACCOUNT", help="The account (id or unique part of its name).",
        autocompletion=complete_accounts, show_default=False)],
        kind: KindArg, date: WhenArg, lunar: LunarOpt = False, note: NoteOpt = None,
        quiet: QuietOpt = False) -> None:
    """Add an account's important date (its founding day, an anniversary of working
    together): it shows in followups and plan a few days ahead."""
    from .. import db
    from ..core import accounts, care
    from ..core.derive import session_con

    with db.write_session() as session:
        found = accounts.resolve(session, account)
        ident, parsed = care.add_date(session_con(session), pid=None, account_id=found.id,
                                      kind=kind, when=date, lunar=lunar, note=note)
        name = found.name
    from .. import render

    print(ident if quiet else render.escape(_said(parsed, care.kind_of(kind), name, ident)))


@dates_app.command("list")
def date_list(
    ref: Annotated[Optional[str], typer.Argument(
        metavar="[REF]", help="Only this person's (and their account's) dates.",
        show_default=False)] = None,
    days: Annotated[Optional[int], typer.Option(
        "--days", "-d", metavar="N", help="Only those in the next N days (default: all, "
        "soonest first).", show_default=False)] = None,
    format_: FormatOpt = "table",
) -> None:
    """The important dates, soonest first: whose, the solar day it falls on next (for a lunar
    date too), how old they turn or how many years, and whether this year's greeting is
    logged."""
    from .. import queries, render
    from ..core import care
    from ..errors import UsageError

    if days is not None and not 0 <= days <= 3660:
        raise UsageError(_("--days must be between 0 and 3660, not {days}").format(days=days))
    con = read()
    today = dates.today()
    if ref is not None:
        person = queries.resolve(con, ref)
        rows = care.upcoming(con, today, days=days, pid=person["id"])
        if person.get("account_id"):
            rows += care.upcoming(con, today, days=days, account_id=person["account_id"])
            rows.sort(key=lambda r: (r["on"], r["id"]))
    else:
        rows = care.upcoming(con, today, days=days)
    if fmt(format_) != "table":
        render.machine(fmt(format_), care.DATE_COLUMNS, rows)
        return
    render.table(rows, [
        render.Col("#", "id", justify="right", style="dim"),
        render.Col(_("Next"), lambda r: dates.show_day(r["on"]), style="cyan", no_wrap=True),
        render.Col(_("In"), lambda r: _("today") if not r["days"]
                   else _("{n} d").format(n=r["days"]), justify="right"),
        render.Col(_("Whose"), lambda r: (f"#{r['prospect_id']} {r['name']}" if r["name"]
                                          else r["account"] or ""), style="bold", no_wrap=True),
        render.Col(_("Kind"), lambda r: dynamic(r["kind"])),
        render.Col(_("Date"), "date", no_wrap=True),
        render.Col(_("Years"), lambda r: r["years"] if r["years"] and r["years"] > 0 else "",
                   justify="right"),
        render.Col(_("Greeted"), lambda r: dates.show_day(r["done_at"]) if r["done_at"] else "",
                   style="green"),
        render.Col(_("Note"), lambda r: "; ".join(x for x in (r["note"], r["adjusted"]) if x),
                   style="dim"),
    ], empty=(_("No important dates in the next {days} days: add one with relcrm date add REF "
                "birthday 14/11").format(days=days) if days is not None else
              _("No important dates: add one with relcrm date add REF birthday 14/11")))


@dates_app.command("drop")
def date_drop(ident: Annotated[str, typer.Argument(metavar="ID", show_default=False)],
              quiet: QuietOpt = False) -> None:
    """Remove an important date (relcrm undo brings it back)."""
    from .. import db, render
    from ..core import care
    from ..core.derive import session_con

    with db.write_session() as session:
        gone = care.drop_date(session_con(session), ident)
    if quiet:
        print(gone["id"])
        return
    print(render.escape(_("Dropped date #{id}: {name}'s {kind}.").format(
        id=gone["id"], name=gone["name"], kind=dynamic(gone["kind"]))))


# -- occasions ----------------------------------------------------------------------------


@occasion_app.command("list")
def occasion_list(format_: FormatOpt = "table") -> None:
    """The book's occasions, the next first, with the solar day each falls on."""
    from .. import render
    from ..core import care

    rows = care.occasion_rows(read(), dates.today())
    if fmt(format_) != "table":
        render.machine(fmt(format_), care.OCCASION_COLUMNS, rows)
        return
    render.table(rows, [
        render.Col(_("Key"), "key", style="magenta", no_wrap=True),
        render.Col(_("Occasion"), "name", style="bold"),
        render.Col(_("Date"), "date", no_wrap=True),
        render.Col(_("Next"), lambda r: dates.show_day(r["next_on"]), style="cyan",
                   no_wrap=True),
        render.Col(_("In"), lambda r: _("{n} d").format(n=r["days"]), justify="right"),
        render.Col(_("Gifts"), lambda r: _("yes") if r["gifts"] else "", style="green"),
    ], empty=_("No occasions: add one with relcrm occasion add KEY NAME DATE"))


@occasion_app.command("add")
def occasion_add(
    key: Annotated[str, typer.Argument(metavar="KEY", help="A short key: founding-day.",
                                       show_default=False)],
    name: Annotated[str, typer.Argument(metavar="NAME", help="Its name.", show_default=False)],
    date: Annotated[str, typer.Argument(metavar="DATE", help="DAY/MONTH (14/11).",
                                        show_default=False)],
    lunar: LunarOpt = False,
    gifts: Annotated[bool, typer.Option(
        "--gifts", help="A gift occasion: followups announces its gift list.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Add an occasion the book greets every customer on."""
    from .. import db, render
    from ..core import care, occasions
    from ..core.derive import session_con

    with db.write_session() as session:
        care.add_occasion(session_con(session), key, name, date, lunar=lunar, gifts=gifts)
        row = care.find_occasion(session_con(session), key)
    if quiet:
        print(row["key"])
        return
    date_ = occasions.DayOfYear(row["day"], row["month"], None, bool(row["lunar"]))
    on, _adjusted = occasions.next_on(date_, dates.today())
    said = (_("Added the occasion {key}: {name}, {date}; next on {day}; a gift occasion.")
            if gifts else _("Added the occasion {key}: {name}, {date}; next on {day}."))
    print(render.escape(said.format(key=row["key"], name=row["name"], date=occasions.show(date_),
                                    day=dates.show_day(on))))


@occasion_app.command("drop")
def occasion_drop(key: Annotated[str, typer.Argument(metavar="KEY", show_default=False)],
                  quiet: QuietOpt = False) -> None:
    """Remove one of the book's occasions (relcrm undo brings it back)."""
    from .. import db, render
    from ..core import care
    from ..core.derive import session_con

    with db.write_session() as session:
        row = care.find_occasion(session_con(session), key)
        session_con(session).execute("DELETE FROM occasion WHERE id = ?", (row["id"],))
    if quiet:
        print(row["key"])
        return
    print(render.escape(_("Dropped the occasion {key} ({name}).").format(key=row["key"],
                                                                          name=row["name"])))


@occasion_app.command("gifts")
def occasion_gifts(
    occasion: Annotated[str, typer.Argument(
        metavar="OCCASION", help="A gift occasion: tet, trung-thu ...", show_default=False)],
    year: Annotated[Optional[int], typer.Option(
        "--year", metavar="Y", help="The occasion of that year (default: the next one).",
        show_default=False)] = None,
    budget: Annotated[Optional[str], typer.Option(
        "--budget", metavar="AMOUNT", help="Share this budget over the gifts still to send, "
        "by tier (A 3 shares, B 2, C 1).", show_default=False)] = None,
    format_: FormatOpt = "table",
) -> None:
    """The gift list of an occasion: key accounts first, then relationships at Consolidate
    and Loyal, then customers by last year's order value; at each account the people to greet,
    deciders first; a suggested tier (A: key account or Loyal; B: Consolidate or among the
    accounts making 80% of last year's orders; C: other customers) and who already got a gift
    (a gift touch logged in the weeks before)."""
    from .. import render, settings
    from ..core import care, fields

    con = read()
    amount = fields.amount(budget, "budget", settings.get(con, "currency")) if budget else None
    gifts = care.gift_list(con, occasion, dates.today(), year=year, budget=amount)
    if fmt(format_) != "table":
        from .. import db

        rows = [{**r, "orders_value": db.money(r["orders_value"]),
                 "suggested": db.money(r["suggested"])} for r in gifts.rows]
        render.machine(fmt(format_), care.GIFT_COLUMNS, rows)
        return
    from .. import db

    shown = []
    last_group = None
    for row in gifts.rows:
        first = (row["account"] or row["name"]) != last_group
        last_group = row["account"] or row["name"]
        shown.append({**row, "_first": first})
    if gifts.to_send != len(gifts.rows):
        title = ngettext("{occasion} {day}: {n} gift to send of {total}",
                         "{occasion} {day}: {n} gifts to send of {total}", gifts.to_send)
    else:
        title = ngettext("{occasion} {day}: {n} gift to send",
                         "{occasion} {day}: {n} gifts to send", gifts.to_send)
    title = title.format(occasion=gifts.occasion["name"], day=dates.show_day(gifts.on),
                         n=gifts.to_send, total=len(gifts.rows))
    from ..core.brief import show_roles

    cols = [
        render.Col("#", "rank", justify="right", style="dim"),
        render.Col(_("Tier"), "tier", style="bold"),
        render.Col(_("Account"), lambda r: (r["account"] or "") if r["_first"] else "",
                   style="bold", no_wrap=True),
        render.Col(_("Greet"), lambda r: f"#{r['prospect_id']} {r['name']}", no_wrap=True),
        render.Col(_("Role"), lambda r: show_roles(r["role"] or "")),
        render.Col(_("Stage"), lambda r: care.stage_name(r["stage"]), style="magenta"),
        render.Col(_("Orders last year"), lambda r: money(db.money(r["orders_value"]),
                                                          r["currency"])
                   if r["orders_value"] and r["_first"] else "", justify="right"),
        render.Col(_("Gift sent"), lambda r: dates.show_day(r["gifted_at"]) if r["gifted_at"]
                   else "", style="green"),
    ]
    if amount is not None:
        cols.append(render.Col(_("Suggested"), lambda r: money(db.money(r["suggested"]),
                                                               amount.currency)
                               if r["suggested"] is not None else "", justify="right"))
    render.table(shown, cols, title=title,
                 empty=_("Nobody on the {occasion} list yet: key accounts, relationships at "
                         "Consolidate or Loyal, and customers are.")
                 .format(occasion=gifts.occasion["name"]))


# -- customer types and facts --------------------------------------------------------------


def types(format_: FormatOpt = "table") -> None:
    """The ten customer types (10 kiểu khách hàng khó tính) with what each means
    for a B2B seller; set one with relcrm edit REF --type TYPE."""
    from .. import render

    rows = [{"key": t.key, "name": t.name, "vietnamese": t.vietnamese, "tip": t.tip,
             "tip_vi": t.tip_vi} for t in CUSTOMER_TYPES]
    if fmt(format_) != "table":
        render.machine(fmt(format_), ("key", "name", "vietnamese", "tip", "tip_vi"), rows)
        return
    render.table(rows, [
        render.Col(_("Key"), "key", style="magenta", no_wrap=True),
        render.Col(_("Vietnamese"), "vietnamese", no_wrap=True),
        render.Col(_("How to handle them"),
                   lambda r: (r["tip_vi"] or r["tip"]) if current() == "vi" else r["tip"]),
    ])


FACT_COLUMNS = ("id", "prospect_id", "about", "text", "at")


def fact(
    words: Annotated[list[str], typer.Argument(
        metavar="REF TEXT | list REF | drop ID",
        help="REF TEXT records what you know about the person; list REF shows it; drop ID "
        "removes one.", show_default=False)],
    about_: Annotated[Optional[str], typer.Option(
        "--about", "-a", metavar="WHAT", help="family, interests, work or other (default).",
        autocompletion=complete_words(FACT_ABOUT), show_default=False)] = None,
    at: Annotated[Optional[str], typer.Option(
        "--at", metavar="WHEN", help="When you learnt it (default: now).",
        show_default=False)] = None,
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Personal facts: what you know about a person beyond business (children, hobbies, a
    football team), kept apart from business notes and shown in show and brief."""
    from .. import db, queries, render
    from ..core import care
    from ..core.derive import session_con
    from ..errors import UsageError

    if words[0] == "list":
        if len(words) != 2:
            raise UsageError(_("fact list takes one REF: relcrm fact list an"))
        con = read()
        person = queries.resolve(con, words[1])
        rows = care.facts(con, person["id"])
        if fmt(format_) != "table":
            render.machine(fmt(format_), FACT_COLUMNS, rows)
            return
        render.table(rows, [
            render.Col("#", "id", justify="right", style="dim"),
            render.Col(_("About"), lambda r: dynamic(r["about"]), style="magenta"),
            render.Col(_("Fact"), "text"),
            render.Col(_("Since"), lambda r: dates.show_day(r["at"]), style="dim",
                       no_wrap=True),
        ], title=_("#{id} {name}: what you know").format(id=person["id"], name=person["name"]),
           empty=_("Nothing known about {name} yet: relcrm fact {id} \"TEXT\" --about family")
           .format(name=person["name"], id=person["id"]))
        return
    if words[0] == "drop":
        if len(words) != 2:
            raise UsageError(_("fact drop takes one ID: relcrm fact drop 3"))
        with db.write_session() as session:
            gone = care.drop_fact(session_con(session), words[1])
        if quiet:
            print(gone["id"])
            return
        print(render.escape(_("Dropped fact #{id} about {name}: {text}.").format(
            id=gone["id"], name=gone["name"], text=gone["text"])))
        return
    if len(words) != 2:
        raise UsageError(_("give the person and the fact in quotes: relcrm fact an \"two "
                           "children, loves football\" --about family"))
    from ..core import prospects

    with db.write_session() as session:
        person = prospects.resolve(session, words[0])
        ident = care.add_fact(session_con(session), person.id, words[1], about_,
                              when(at, past=True))
        record = {"id": ident, "prospect_id": person.id, "about": care.about(about_),
                  "text": words[1].strip(), "at": None}
        name = person.name
    emit_record(format_, FACT_COLUMNS, record,
                lambda: _("Noted fact #{id} about {name} ({about}): {text}.").format(
                    id=ident, name=name, about=dynamic(record["about"]), text=record["text"]))


# -- the brief -----------------------------------------------------------------------------


def brief(ref: RefArg, format_: FormatOpt = "table") -> None:
    """Everything to read in the minute before a call or a visit: who they are, their role and
    the account's key-account stage, customer type and its tip, personal facts, upcoming
    dates, open steps and deals, the last three touches, the needs recorded so far, the last
    commitment, and what the method suggests next."""
    from .. import render
    from ..core import brief as core

    con = read()
    data = core.build(con, ref, dates.today())
    if fmt(format_) == "json":
        render.document(data)
        return
    if fmt(format_) != "table":
        from ..errors import UsageError

        raise UsageError(_("brief prints one document: --format table or json"))
    core.show(data)
