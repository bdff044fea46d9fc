"""pipeline: open deals by where the customer is in their buying process, and the people at
each relationship stage."""

from typing import Annotated, Any

import typer

from .. import dates
from ..i18n import _, named
from .common import FormatOpt, book_currency, fmt, money, read

COLUMNS = ("section", "stage", "currency", "count", "customers", "value", "weighted",
           "probability", "age_days")


def _amount(milli: int | None) -> Any:
    from .. import db

    return db.money(milli)


def rows() -> list[dict[str, Any]]:
    """Every figure of the pipeline, one row per section, stage and currency (machine form)."""
    from .. import queries

    con = read()
    out = []
    for row in queries.pipeline_deals(con, dates.today().isoformat()):
        out.append({"section": "deals", "stage": row["stage"], "currency": row["currency"],
                    "count": row["deals"], "customers": None,
                    "value": _amount(row["value_milli"]),
                    "weighted": _amount(row["weighted_milli"]),
                    "probability": row["probability"], "age_days": row["age_days"]})
    for row in queries.relationship_funnel(con):
        out.append({"section": "relationships", "stage": row["stage"],
                    "currency": row["currency"], "count": row["people"],
                    "customers": row["customers"], "value": _amount(row["value_milli"]),
                    "weighted": None, "probability": None, "age_days": None})
    return out


def pipeline(
    format_: FormatOpt = "table",
    all_: Annotated[bool, typer.Option(
        "--all", "-a", help="Show stages with nothing at them too.")] = False,
) -> None:
    """The pipeline: open deals by where the customer is in their buying process (count,
    value, value weighted by the stage's chance of winning — config deal.probability.STAGE —
    and age), and how many people are at each relationship stage, with the value of their
    open deals. Money is summed per currency, never across currencies."""
    from .. import render
    from ..methodology import BUYING_STAGES, LOST, STAGES

    figures = rows()
    kind = fmt(format_)
    if kind != "table":
        render.machine(kind, COLUMNS, figures)
        return
    book = book_currency()

    def worth(milli_value: Any, currency: str | None) -> str:
        return money(milli_value, currency, book, column=True) if milli_value is not None else ""

    deals = [r for r in figures if r["section"] == "deals"]
    people = [r for r in figures if r["section"] == "relationships"]
    table_rows = []
    for stage in BUYING_STAGES:
        mine = [r for r in deals if r["stage"] == stage.key] or (
            [{"count": 0, "currency": None, "value": None, "weighted": None,
              "probability": None, "age_days": None}] if all_ else [])
        for index, row in enumerate(mine):
            table_rows.append({
                "stage": f"{stage.number} {named(stage)}" if index == 0 else "",
                "count": row["count"], "value": worth(row["value"], row["currency"]),
                "weighted": worth(row["weighted"], row["currency"]),
                "chance": f"{row['probability']}%" if row["probability"] is not None else "",
                "age": _("{days:.0f} d").format(days=row["age_days"])
                if row["age_days"] is not None else ""})
    totals: dict[str | None, list[int]] = {}
    from decimal import Decimal

    for row in deals:
        if row["value"] is not None:
            total = totals.setdefault(row["currency"], [Decimal(0), Decimal(0)])
            total[0] += Decimal(str(row["value"]))
            total[1] += Decimal(str(row["weighted"] or 0))
    count = sum(r["count"] for r in deals)
    currencies = sorted(totals, key=lambda c: (c != book, c or ""))
    for index, currency in enumerate(currencies or [None]):
        value, weighted = totals.get(currency, (None, None))
        table_rows.append({"stage": _("Total") if index == 0 else "",
                           "count": count if index == 0 else "",
                           "value": worth(value, currency), "weighted": worth(weighted, currency),
                           "chance": "", "age": "", "_total": True})
    cols = [
        render.Col(_("Customer is at"), "stage", no_wrap=True,
                   style=lambda r: "bold" if r.get("_total") else "magenta"),
        render.Col(_("Deals"), "count", justify="right"),
        render.Col(_("Value"), "value", justify="right"),
        render.Col(_("Weighted"), "weighted", justify="right"),
        render.Col(_("Chance"), "chance", justify="right", style="dim"),
        render.Col(_("Age"), "age", justify="right", style="dim"),
    ]
    render.table(table_rows if deals or all_ else [], cols, title=_("Open deals"),
                 empty=_("No open deals: open one with relcrm deal add ACCOUNT TITLE --value "
                         "AMOUNT"))
    print()
    funnel = []
    for stage in (*STAGES, LOST):
        mine = [r for r in people if r["stage"] == stage.key]
        if not mine and not all_:
            continue
        count = sum(r["count"] for r in mine)
        values = [worth(r["value"], r["currency"]) for r in mine if r["value"] is not None]
        funnel.append({"stage": f"{stage.number} {named(stage)}" if stage.number
                       else named(stage),
                       "people": count, "customers": sum(r["customers"] or 0 for r in mine),
                       "value": "; ".join(values)})
    render.table(funnel, [
        render.Col(_("Relationship"), "stage", no_wrap=True, style="magenta"),
        render.Col(_("People"), "people", justify="right"),
        render.Col(_("Customers"), "customers", justify="right"),
        render.Col(_("Open deal value"), "value", justify="right"),
    ], title=_("People by relationship stage"), empty=_("No prospects yet."))
