"""review: what a week (or a month, or any period) of selling did, against the period before."""

from typing import Annotated, Any, Optional

import typer

from .. import dates
from ..i18n import N_, _, dynamic, named, ngettext, number
from .common import FormatOpt, SellerOpt, TeamOpt, book_currency, fmt, money, read, when

# figures with a row per key: on a table, the rows where both periods are 0 are left out
# (unless --all); a bar on a terminal compares the keys of one figure
_GROUPS = {"touches_by_kind", "touches_by_day", "calls_by_outcome", "reached", "moves",
           "conversion", "median_days", "lost_by_reason", "won_value"}
_BARS = {"touches_by_kind", "touches_by_day", "calls_by_outcome", "reached", "moves",
         "lost_by_reason"}
_TITLES = {"effort": N_("Effort"), "spin": N_("SPIN calls"), "funnel": N_("Relationship funnel"),
           "deals": N_("Deals and sales"), "slipped": N_("Who slipped"),
           "key_accounts": N_("Key accounts")}


def _label(figure: str, key: Optional[str]) -> str:
    from ..methodology import LOST_BY_KEY, STAGE_BY_KEY, STAGES

    def stage(k: str) -> str:
        return named(STAGE_BY_KEY[k]) if k in STAGE_BY_KEY else k

    after = {s.key: named(STAGES[i + 1]) for i, s in enumerate(STAGES[:-1])}
    if figure == "touches_by_kind":
        return "  " + dynamic(str(key))
    if figure == "touches_by_day":
        days = {"mon": _("on Mon"), "tue": _("on Tue"), "wed": _("on Wed"), "thu": _("on Thu"),
                "fri": _("on Fri"), "sat": _("on Sat"), "sun": _("on Sun")}
        return "  " + days.get(str(key), f"on {str(key).title()}")
    if figure == "effort_split":
        return {"customers": _("Touches with customers"),
                "prospects": _("Touches with prospects")}.get(str(key), f"Touches with {key}")
    if figure == "calls_by_outcome":
        return _("Calls ending in {outcome}").format(outcome=dynamic(str(key)))
    if figure == "reached":
        return _("Reached {stage}").format(stage=stage(str(key)))
    if figure == "moves":
        return " → ".join(stage(k) for k in str(key).split("->"))
    if figure == "conversion":
        return _("{stage} → {next}: went on").format(stage=stage(str(key)),
                                                     next=after.get(str(key), ""))
    if figure == "median_days":
        return _("Median days at {stage}").format(stage=stage(str(key)))
    if figure == "won_value":
        return _("Won value ({currency})").format(currency=key)
    if figure == "lost_by_reason":
        return "  " + _("lost on {reason}").format(
            reason=named(LOST_BY_KEY[key]).lower() if key in LOST_BY_KEY else str(key))
    if figure == "sales":
        return {"new": _("Sales to new customers"),
                "repeat": _("Sales to repeat customers")}.get(str(key), f"Sales to {key} customers")
    labels = {
        "touches": _("Touches (every contact)"),
        "calls": _("Calls logged with an outcome"),
        "minutes": _("Minutes spent"),
        "customer_share": _("Share of touches with customers"),
        "advance_rate": _("Advance rate (advances and orders per call)"),
        "early_advances": _("Advances before an explicit need"),
        "stalled_now": _("Stalled sales now"),
        "opened": _("Deals opened"),
        "won": _("Deals won"),
        "lost": _("Deals lost"),
        "win_rate": _("Win rate (won of the deals closed)"),
        "repeat_share": _("Repeat customers' share of sales"),
        "overdue_steps": _("Steps gone overdue"),
        "went_cold": _("Gone cold (cadence ran out, untouched)"),
        "thinning_now": _("Care thinning out now"),
        "single_contact_now": _("Key accounts with one contact now"),
        "untouched_deciders": _("Deciders at key accounts not touched"),
        "quiet_accounts": _("Key accounts with no contact"),
    }
    return labels.get(figure, figure)


def _show(value: Any, kind: str, currency: Optional[str], book: str) -> str:
    if value is None:
        return "–"
    if kind == "percent":
        return number(value, ",.1f") + "%"
    if kind == "days":
        return _("{days} d").format(days=number(value, ",.1f"))
    if kind == "money":
        return money(value, currency, book)
    return number(value)


def _change(current: Any, previous: Any, kind: str, currency: Optional[str], book: str) -> str:
    if current is None or previous is None:
        return ""
    if kind == "money":
        from decimal import Decimal

        delta = Decimal(str(current)) - Decimal(str(previous))
        if not delta:
            return "="
        return ("+" if delta > 0 else "−") + money(abs(delta), currency, book)
    delta = current - previous
    if not delta:
        return "="
    sign = "+" if delta > 0 else "−"
    if kind == "percent":
        return _("{sign}{points} pts").format(sign=sign, points=number(abs(delta), ",.1f"))
    if kind == "days":
        return _("{sign}{days} d").format(sign=sign, days=number(abs(delta), ",.1f"))
    return f"{sign}{number(abs(delta))}"


def _bar(value: Any, top: Any, width: int = 16) -> str:
    if not value or not top:
        return ""
    eighths = round(8 * width * value / top)
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


def review(
    week: Annotated[bool, typer.Option(
        "--week", "-w", help="This week so far, Monday to today (the default).")] = False,
    month: Annotated[bool, typer.Option(
        "--month", "-m", help="This month so far, the 1st to today.")] = False,
    last: Annotated[bool, typer.Option(
        "--last", "-l", help="The whole week (or month, with --month) before this one.")
    ] = False,
    from_: Annotated[Optional[str], typer.Option(
        "--from", metavar="WHEN", help="The first day of the period (a date, mon, -30d…).",
        show_default=False)] = None,
    to: Annotated[Optional[str], typer.Option(
        "--to", metavar="WHEN", help="The last day of the period (default: today).",
        show_default=False)] = None,
    all_: Annotated[bool, typer.Option(
        "--all", "-a", help="Show the rows where both periods are 0 too.")] = False,
    format_: FormatOpt = "table",
    team: TeamOpt = False,
    seller: SellerOpt = None,
) -> None:
    """The review of a period of selling, each figure beside the period before: effort
    (touches by kind and day, calls, minutes, customers against prospects), SPIN calls (by
    outcome, the advance rate, advances before an explicit need, stalled sales), the
    relationship funnel (moves, conversion, median days at each stage), deals and sales (opened,
    won with their value, lost by reason, win rate, new against repeat customers), who slipped
    (overdue steps, people gone cold, care thinning out) and key accounts (one contact,
    deciders not touched, quiet accounts).

    The default is this week so far against the same days of last week. --format csv|tsv|json
    gives every figure, one row each (section, figure, key, current, previous and the dates).
    """
    from .. import db, render
    from ..core import review as core
    from ..errors import UsageError

    kind = fmt(format_)
    if week and month:
        raise UsageError(_("--week and --month: choose one period"))
    start = dates.to_day(when(from_, past=True)) if from_ is not None else None
    end = dates.to_day(when(to, past=True)) if to is not None else None
    today = dates.today()
    period, before = core.periods(today, month=month, last=last, start=start, end=end)
    con = read(team, seller)
    result = core.build(con, period, before, today)
    by_seller = _by_seller(con, period, before, today) if team and seller is None else []
    if kind != "table":
        if not team and seller is None:
            render.machine(kind, core.COLUMNS, result.rows())
            return
        # the team's figures (no seller), then each seller's
        rows = [{**r, "seller": seller} for r in result.rows()]
        for name, own in by_seller:
            rows += [{**r, "seller": name} for r in own.rows()]
        render.machine(kind, core.COLUMNS + ("seller",), rows)
        return

    import sys

    from rich.text import Text

    bars = render.is_tty(sys.stdout)
    book = book_currency()

    def span(p: Any) -> str:
        days = ngettext("{n} day", "{n} days", p.days).format(n=p.days)
        if p.start == p.end:
            return f"{dates.show_day(p.start)}"
        return _("{start} to {end}, {days}").format(start=dates.show_day(p.start),
                                                    end=dates.show_day(p.end), days=days)

    name = dynamic(period.name) if period.name != "custom" else _("the period")
    against = dynamic(before.name) if before.name != "before" else _("the days before")
    out = render.console()
    render.emit(out, Text(_("Review of {name} ({span}) against {against} ({before})").format(
        name=name, span=span(period), against=against, before=span(before))))
    tops: dict[str, Any] = {}
    for f in result.figures:
        if f.figure in _BARS:
            tops[f.figure] = max(tops.get(f.figure) or 0, f.current or 0)
    for section in core.SECTIONS:
        rows = []
        for f in result.figures:
            if f.section != section:
                continue
            if f.figure in _GROUPS and not all_ and not f.current and not f.previous:
                continue
            current, previous = f.current, f.previous
            if f.kind == "money":  # stored in thousandths
                current, previous = db.money(current), db.money(previous)
            rows.append({"figure": _label(f.figure, f.key),
                         "now": _show(current, f.kind, f.currency, book),
                         "before": "" if f.figure.endswith("_now")
                         else _show(previous, f.kind, f.currency, book),
                         "change": _change(current, previous, f.kind, f.currency, book),
                         "bar": _bar(f.current, tops.get(f.figure)) if bars else "",
                         "_sub": f.figure in _GROUPS})
        cols = [render.Col(_("Figure"), "figure",
                           style=lambda r: None if r["_sub"] else "bold"),
                render.Col(_("Now"), "now", justify="right", no_wrap=True),
                render.Col(_("Before"), "before", justify="right", no_wrap=True, style="dim"),
                render.Col(_("Change"), "change", justify="right", no_wrap=True,
                           style=lambda r: "green" if r["change"].startswith("+") else
                           "red" if r["change"].startswith("−") else "dim")]
        if bars:
            cols.append(render.Col("", "bar", style="cyan", no_wrap=True))
        print()
        render.table(rows, cols, title=dynamic(_TITLES[section]))
        listed = []
        for (where, figure), people in result.who.items():
            if where != section or not people:
                continue
            for index, person in enumerate(people[:core.LISTED]):
                listed.append({"figure": _label(figure, None) if index == 0 else "",
                              "id": person["id"], "name": person["name"],
                              "detail": person["detail"]})
            if len(people) > core.LISTED:
                listed.append({"figure": "", "id": "",
                              "name": _("and {n} more").format(n=len(people) - core.LISTED),
                              "detail": ""})
        if listed:
            print()
            render.table(listed, [
                render.Col(_("Who"), "figure", style="bold"),
                render.Col("#", "id", justify="right", style="dim"),
                render.Col(_("Name"), "name", no_wrap=True),
                render.Col(_("Why"), "detail", style="dim"),
            ])
    if by_seller:
        print()
        _seller_table(by_seller, book)


# the figures a manager compares sellers by (review --team): (figure, column title)
_HEADLINE = (("touches", N_("Touches")), ("calls", N_("Calls")),
             ("advance_rate", N_("Advance rate")), ("won", N_("Won")),
             ("won_value", N_("Won value")), ("win_rate", N_("Win rate")),
             ("overdue_steps", N_("Overdue steps")), ("went_cold", N_("Gone cold")))


def _by_seller(con: Any, period: Any, before: Any, today: Any) -> list[tuple[str, Any]]:
    """Each seller's review of the same period (review --team), by name."""
    from .. import pg
    from ..core import review as core

    pg.narrowable(con)
    out = []
    try:
        for name in pg.sellers_in(con):
            pg.narrow(con, name)
            out.append((name, core.build(con, period, before, today)))
    finally:
        pg.narrow(con, None)
    return out


def _seller_table(by_seller: list[tuple[str, Any]], book: str) -> None:
    """One row per seller: the headline figures of their period, each with its change."""
    from .. import db, render

    rows = []
    for name, own in by_seller:
        row: dict[str, Any] = {"seller": name}
        for figure, _title in _HEADLINE:
            shown = []  # (won value: one per currency, the book's first)
            for f in sorted((f for f in own.figures if f.figure == figure),
                            key=lambda f: (f.key != book, f.key or "")):
                current, previous = f.current, f.previous
                if f.kind == "money":
                    if not current and not previous:
                        continue
                    current, previous = db.money(current), db.money(previous)
                change = _change(current, previous, f.kind, f.currency, book)
                shown.append(_show(current, f.kind, f.currency, book) + (
                    f" ({change})" if change and change != "=" else ""))
            row[figure] = "; ".join(shown) or "–"
        rows.append(row)
    render.table(rows, [render.Col(_("Seller"), "seller", style="bold", no_wrap=True)] + [
        render.Col(dynamic(title), figure, justify="right", no_wrap=True)
        for figure, title in _HEADLINE], title=_("By seller"))
