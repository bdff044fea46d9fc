"""Layouts that are more than one table: the profiles of `show` and `account show`.

On a terminal they are drawn by rich, and everything reaches rich as a rich.Text made by `_t`
(render.safe_text: escaped, never markup), labels and titles included. Into a pipe or a file
the same lines are written without importing rich (`_Plain`, `_Grid`: text, no styles, columns
two spaces apart, nothing wrapped), as rich would write them there; a section holding a
character whose width rich might count differently is handed to rich after all."""

import sys
from typing import Any

from .. import dates, render
from ..i18n import _, dynamic, ngettext
from ..methodology import (CRITERIA, SPIN_KINDS, STAGE_BY_KEY, STALLED_AFTER,
                           criterion_shown, levels_shown)
from ..render import safe_text
from .common import money
from .shown import (STATUS_TEXT, _in_english, stage_shown, status_text,  # noqa: F401
                    stored_word, word)

_plain: list[bool] = [False]  # this command writes to a pipe or a file: no rich


class _Plain:
    """A rich.Text as a pipe shows it: its text (styles are not written there)."""

    __slots__ = ("plain",)

    def __init__(self, plain: str = "") -> None:
        self.plain = plain

    def __add__(self, other: "_Plain") -> "_Plain":
        return _Plain(self.plain + other.plain)


# characters whose width render.cell_width counts as rich does without asking rich
_SAME_WIDTH = render.SAME_WIDTH


class _Grid:
    """A rich table without borders or header as a pipe shows it: optionally a title line,
    then the cells, each column as wide as its widest line and two spaces before the next;
    a cell of several lines takes as many, line ends without padding."""

    def __init__(self, title: _Plain | None = None) -> None:
        self.title, self.rows, self.columns = title, [], []

    def add_column(self, **options: Any) -> None:
        self.columns.append(options)

    def add_row(self, *cells: _Plain) -> None:
        self.rows.append([cell.plain for cell in cells])

    def lines(self) -> list[str]:
        cells = [[cell.split("\n") for cell in row] for row in self.rows]
        count = max((len(row) for row in cells), default=0)
        widths = [max((render.cell_width(line) for row in cells if i < len(row)
                       for line in row[i]), default=0) for i in range(count)]
        lines = []
        for row in cells:
            for k in range(max(len(cell) for cell in row)):
                parts = [cell[k] if k < len(cell) else "" for cell in row]
                lines.append("  ".join(part + " " * (widths[i] - render.cell_width(part))
                                       if i < len(parts) - 1 else part
                                       for i, part in enumerate(parts)).rstrip())
        title = self.title.plain if self.title is not None else None
        if title is not None and (render.cell_width(title) > max(
                sum(widths) + 2 * (count - 1), 0) or not _SAME_WIDTH.fullmatch(title)):
            return None  # rich would wrap the title to the table's width: let it
        return ([title] if title is not None else []) + lines

    def same_as_rich(self) -> bool:
        return all(_SAME_WIDTH.fullmatch(line) for row in self.rows for cell in row
                   for line in cell.split("\n"))

    def rich(self) -> Any:
        """The rich table of the same cells (a section _Grid cannot lay out as rich would)."""
        from rich.text import Text

        table = _rich_grid() if self.title is None else _rich_section(Text(self.title.plain))
        for options in self.columns:
            table.add_column(**options)
        for row in self.rows:
            table.add_row(*(Text(cell) for cell in row))
        return table


class _Out:
    """The console of a pipe: no colour system, lines written as they come."""

    color_system = None
    file = sys.stdout


def _output() -> Any:
    """rich's console on a terminal; into a pipe or a file, _Out (no rich)."""
    _plain[0] = not render.is_tty(sys.stdout)
    if _plain[0]:
        out = _Out()
        out.file = sys.stdout
        return out
    return render.console()


def emit(out: Any, item: Any) -> None:
    if not isinstance(out, _Out):
        render.emit(out, item)
        return
    if isinstance(item, _Plain):
        lines = item.plain.split("\n")
    else:
        lines = item.lines() if item.same_as_rich() else None
        if lines is None:
            render.emit(render.console(), item.rich())
            return
    out.file.write("".join(line.rstrip() + "\n" for line in lines))


def _t(value: Any, style: str = "") -> Any:
    if _plain[0]:
        return _Plain(render.escape("" if value is None else str(value)))
    return safe_text(value, style)


def Text(plain: str = "") -> Any:  # noqa: N802 - rich.Text, or a _Plain into a pipe
    if _plain[0]:
        return _Plain(plain)
    from rich.text import Text as Rich

    return Rich(plain)


def _rich_grid() -> Any:
    """rich's grid of labelled facts: two spaces between columns."""
    from rich.table import Table

    return Table.grid(padding=(0, 2))


def _rich_section(title: Any) -> Any:
    """rich's titled section: no borders or header, two spaces after each column."""
    from rich.table import Table

    return Table(box=None, show_header=False, padding=(0, 2, 0, 0), pad_edge=False,
                 title=title, title_justify="left")


def _facts(s) -> Any:
    """A two-column grid of labelled facts."""
    if _plain[0]:
        grid = _Grid()
    else:
        grid = _rich_grid()
    grid.add_column(style=s("dim"), no_wrap=True)
    grid.add_column()
    return grid


def profile(record: dict[str, Any], status: str, missing: list[str],
            events: list[dict[str, Any]], total: int, steps: list[dict[str, Any]] = (),
            stage_cadence: int | None = None) -> None:
    from ..i18n import named

    out = _output()
    styled = out.color_system is not None
    s = (lambda style: style) if styled else (lambda style: "")
    today = dates.today()

    head = _t(f"#{record['id']} ", s("dim")) + _t(record["name"], s("bold"))
    role = ", ".join(v for v in (record["title"], record["company"]) if v)
    if role:
        head += _t(f" — {role}")
    emit(out, head)
    for alias in record.get("merged_from") or ():  # show OLDID still finds them
        emit(out, _t(_("merged from #{id} {name} ({day})").format(
            id=alias["id"], name=alias["name"], day=dates.show(alias["merged_at"])), s("dim")))

    facts = _facts(s)
    stage = STAGE_BY_KEY[record["stage"]]
    since = dates.from_iso(record["stage_since"][:10])
    in_stage = (today - since).days
    facts.add_row(_t(_("stage")), _t(stage_shown(stage, numbered=True), s("magenta")) + _t(
        ", " + ngettext("{n} day in stage (since {day})", "{n} days in stage (since {day})",
                        in_stage).format(n=in_stage, day=dates.show_day(since))))
    levels = levels_shown([(c.key, record[c.key]) for c in CRITERIA])
    qual_style = {"qualified": "green", "disqualified": "red"}.get(status, "yellow")
    qual = _t(status_text(status), s(qual_style)) + _t(f" — {levels}")
    if missing and status != "disqualified":
        qual += _t("; " + _("missing: {criteria}").format(
            criteria=", ".join(criterion_shown(key) for key in missing)))
    facts.add_row(_t(_("qualification")), qual)
    contact = " · ".join(v for v in (*(record["emails"] or "").split(" ::: "),
                                     *(record["phones"] or "").split(" ::: "), record["url"])
                         if v)
    if contact:
        facts.add_row(_t(_("contact")), _t(contact))
    if record["value"] is not None:
        facts.add_row(_t(_("value")), _t(money(record["value"], record["currency"])))

    if record["roles"]:
        from ..methodology import ROLE_BY_KEY

        keys = record["roles"].split(",")
        roles = (", ".join(keys) if _in_english() else
                 ", ".join(named(ROLE_BY_KEY[k]) if k in ROLE_BY_KEY else k for k in keys))
        facts.add_row(_t(_("roles")), _t(_("{roles} (buying centre of {company})").format(
            roles=roles, company=record["company"]), s("cyan")))
    if record["tags"]:
        facts.add_row(_t(_("tags")), _t(record["tags"].replace(",", ", "), s("cyan")))
    if record["source"]:
        facts.add_row(_t(_("source")), _t(record["source"]))
    personal = record.get("_personal") or {}
    if personal.get("type"):
        from ..methodology import TYPE_BY_KEY

        kind = TYPE_BY_KEY[personal["type"]]
        tip = kind.tip if _in_english() else (kind.tip_vi or kind.tip)
        facts.add_row(_t(_("type")), _t(stage_shown(kind), s("cyan")) + _t(f": {tip}"))
    for fact in personal.get("facts") or ():
        facts.add_row(_t(word(fact["about"])), _t(fact["text"]))
    if personal.get("dates"):
        from ..core.care import describe

        facts.add_row(_t(_("dates")), _t("; ".join(
            f"#{d['id']} {describe(d, today)}" for d in personal["dates"])))
    if record["last_touch_at"]:
        last = dates.from_iso(record["last_touch_at"][:10])
        facts.add_row(_t(_("last touch")), _t(f"{dates.show(record['last_touch_at'])} "
                                             f"({dates.ago(last, today)})"))
    else:
        facts.add_row(_t(_("last touch")), _t(_("never contacted"), s("yellow")))
    for index, step in enumerate(steps):
        if step["prospect_id"]:
            who = ""
        elif step["people"]:
            who = " " + _("(with {account}: {people})").format(account=step["account"],
                                                               people=step["people"])
        else:
            who = " " + _("(with {account}, whole account)").format(account=step["account"])
        what = step["text"] or _("next step")
        facts.add_row(_t(_("steps") if index == 0 else ""),
                      _t(f"#{step['id']} {dates.show(step['due_at'])} {word(step['kind'])}: "
                         f"{what}{who}",
                         s("bold red") if step["due_at"][:10] < today.isoformat() else ""))
    if record["cadence_days"]:
        facts.add_row(_t(_("cadence")), _t(
            _("every {days} days (their own; {stage}: every {stage_days} days)").format(
                days=record["cadence_days"], stage=named(stage), stage_days=stage_cadence)))
    if record["snoozed_until"] and record["snoozed_until"] > today.isoformat():
        reason = f": {record['snooze_reason']}" if record["snooze_reason"] else ""
        facts.add_row(_t(_("snoozed")), _t(
            _("until {day}").format(day=dates.show_day(record["snoozed_until"])) + reason,
            s("yellow")))
    if record["due_on"]:
        due = dates.from_iso(record["due_on"])
        late = due < today
        facts.add_row(_t(_("follow-up")), _t(f"{dates.show_day(due)} ({dates.ago(due, today)})",
                                            s("bold red" if late else "")))
    if record["note"]:
        facts.add_row(_t(_("note")), _t(record["note"]))
    facts.add_row(_t(_("added")), _t(dates.show(record["created_at"])))
    emit(out, facts)

    if not events:
        return
    emit(out, Text())
    line = _section(_("Timeline (newest first)"), out, s, s("dim"), "", None)
    for event in _merge_judgements(events):
        what, detail = _event(event, s)
        line.add_row(_t(dates.show(event["at"])), what, detail)
    emit(out, line)
    if total > len(events):
        emit(out, _t(_("{shown} of {total} shown; --limit 0 shows all").format(
            shown=len(events), total=total), s("dim")))
    if record["stage"] != "lost" and record["continuations"] >= STALLED_AFTER:
        emit(out, _t(_("stalled: {n} continuations in a row without an advance; plan a call "
                       "that asks for a commitment").format(n=record["continuations"]),
                     s("bold yellow")))


def _event(event: dict[str, Any], s) -> tuple[Text, Text]:
    from ..i18n import named

    kind = event["event"]
    if kind == "stage":
        before = named(STAGE_BY_KEY[event["detail"]]) if event["detail"] else "—"
        after = named(STAGE_BY_KEY[event["kind"]])
        text = _t(f"{before} → {after}")
        if event["summary"]:
            text += _t(f": {stored_word(event['summary'])}")
        if event["next_at"]:
            text += _t(" " + _("(revisit {day})").format(day=dates.show_day(event["next_at"])))
        return _t(_("stage"), s("magenta")), text
    if kind == "qualify":
        text = _t(levels_shown(event["levels"]))
        if event["summary"]:
            text += _t(f": {event['summary']}")
        return _t(_("qualify"), s("green")), text
    if kind == "step":
        return _t(_("step"), s("yellow")), _t(_step_event(event))
    # a touch's id: what touch edit, touch delete and call edit take
    label = _t(word(event["kind"]), s("cyan")) + _t(f" #{event['ref']}", s("dim"))
    text = Text()
    worth = (money(event["amount"], event["currency"]) if event.get("amount") is not None
             else None)
    if worth and kind != "call":
        text += _t(_("order of {worth}").format(worth=worth), s("bold")) + _t(
            " — " if event["summary"] else "")
    if kind == "call":
        outcome = word(event["outcome"])
        text += _t(_("{outcome} of {worth}").format(outcome=outcome, worth=worth) if worth
                   else outcome, s("bold"))
        if event["commitment"]:
            text += _t(" — " + _("committed: {commitment}").format(
                commitment=event["commitment"]))
        if event["summary"]:
            text += _t(f" — {event['summary']}")
        for spin in SPIN_KINDS:
            label_text = spin.label if _in_english() else spin.vietnamese
            for note in event["notes"].get(spin.key, []):
                text += Text("\n") + _t(f"{label_text}: ", s("dim")) + _t(note)
    elif event["summary"]:
        text += _t(event["summary"])
    if event.get("with_names"):
        text += _t(("  " if text.plain else "") + _("(with {names})").format(
            names=event["with_names"]), s("dim"))
    extras = []
    if event["minutes"]:
        extras.append(_("{n} min").format(n=event["minutes"]))
    if event["next_at"]:
        extras.append(_("next {when}").format(when=dates.show(event["next_at"])))
    if extras:
        text += _t(("  " if text.plain else "") + f"({', '.join(extras)})", s("dim"))
    return label, text


def _step_event(event: dict[str, Any]) -> str:
    """'added #3 Fri 2026-11-27 meeting: demo', 'moved #3 Fri 2026-11-27 → Mon 2026-11-30',
    'done #3: demo (call #7)', 'dropped #3: demo (no longer needed)'."""
    what = event["summary"] or _("next step")
    action, ref = event["kind"], event["ref"]
    if action == "added":
        text = _("added #{ref} {when} {kind}: {what}").format(
            ref=ref, when=dates.show(event["next_at"]), kind=word(event["commitment"]),
            what=what)
    elif action == "moved":
        text = _("moved #{ref} {before} → {after}: {what}").format(
            ref=ref, before=dates.show(event["detail"]), after=dates.show(event["next_at"]),
            what=what)
    elif action == "done":
        text = _("done #{ref}: {what}").format(ref=ref, what=what)
    elif action == "dropped":
        text = _("dropped #{ref}: {what}").format(ref=ref, what=what)
    else:
        text = f"{action} #{ref}: {what}"
    return text + (f" ({event['outcome']})" if event["outcome"] else "")


def _merge_judgements(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per qualify command: its criteria (in the methodology's order) together."""
    order = {c.key: i for i, c in enumerate(CRITERIA)}
    merged: list[dict[str, Any]] = []
    for event in events:
        last = merged[-1] if merged else None
        if (event["event"] == "qualify" and last is not None and last["event"] == "qualify"
                and last["at"] == event["at"] and last["summary"] == event["summary"]):
            last["levels"].append((event["kind"], event["detail"]))
            last["levels"].sort(key=lambda pair: order.get(pair[0], 99))
            continue
        if event["event"] == "qualify":
            event = {**event, "levels": [(event["kind"], event["detail"])]}
        merged.append(event)
    return merged


def account_profile(record: dict[str, Any], problems: list[str], people: list[dict[str, Any]],
                    history: list[dict[str, Any]], touches: list[dict[str, Any]],
                    steps: list[dict[str, Any]] = ()) -> None:
    """`account show`: the buying centre by role, KAM stage, buying situation, gaps, steps."""
    from ..i18n import named
    from ..methodology import BUY_CLASSES, CHOICE_BY_KEY, KAM_BY_KEY, ROLES

    out = _output()
    styled = out.color_system is not None
    s = (lambda style: style) if styled else (lambda style: "")
    today = dates.today()
    head = _t(f"#{record['id']} ", s("dim")) + _t(record["name"], s("bold"))
    if record["industry"]:
        head += _t(f" — {record['industry']}")
    emit(out, head)

    facts = _facts(s)
    if record["key"] and record["kam_stage"]:
        stage = KAM_BY_KEY[record["kam_stage"]]
        since = dates.from_iso(record["kam_since"][:10])
        facts.add_row(_t(_("key account")), _t(stage_shown(stage), s("magenta"))
                      + _t(", " + _("since {day} ({ago})").format(
                          day=dates.show_day(since), ago=dates.ago(since, today))
                           + f"; {dynamic(stage.hint)}"))
    elif record["kam_stage"]:
        facts.add_row(_t(_("key account")), _t(_("no (was {stage})").format(
            stage=named(KAM_BY_KEY[record["kam_stage"]]))))
    else:
        facts.add_row(_t(_("key account")), _t(_("no")))
    if record["buy_class"]:
        name = next(f"{n} ({vn})" if _in_english() else vn
                    for k, n, vn in BUY_CLASSES if k == record["buy_class"])
        facts.add_row(_t(_("buying")), _t(name))
    if record["criteria"]:
        for kind, label in (("economic", _("economic criteria")),
                            ("emotional", _("emotional criteria"))):
            chosen = [CHOICE_BY_KEY[c].name.lower() if _in_english() else named(CHOICE_BY_KEY[c])
                      for c in record["criteria"].split(",") if CHOICE_BY_KEY[c].kind == kind]
            if chosen:
                facts.add_row(_t(label), _t(", ".join(chosen)))
    if record["order_value"]:
        facts.add_row(_t(_("orders")), _t(_("{count} worth {worth}").format(
            count=record["orders"], worth=money(record["order_value"]))))
    if record["note"]:
        facts.add_row(_t(_("note")), _t(record["note"]))
    emit(out, facts)
    for problem in problems:
        emit(out, _t(_("gap:") + " ", s("bold yellow")) + _t(problem))

    emit(out, Text())
    centre = _section(_("Buying centre (đơn vị quyết định)"), out, s, s("cyan"), "", None)
    groups = [(named(role), [p for p in people if role.key in (p["roles"] or "").split(",")])
              for role in ROLES]
    nobody = _("no role known")
    groups.append((nobody, [p for p in people if not p["roles"]]))
    for index_group, (label, members) in enumerate(groups):
        for index, person in enumerate(members):
            last = person["last_touch_at"]
            detail = ", ".join(v for v in (person["title"],
                                           named(STAGE_BY_KEY[person["stage"]])) if v)
            detail += "; " + (_("last touch {day}").format(day=dates.show_day(last)) if last
                              else _("never touched"))
            centre.add_row(_t(label if index == 0 else ""),
                           _t(f"#{person['id']} ", s("dim")) + _t(person["name"], s("bold")),
                           _t(detail))
        if not members and index_group < len(ROLES):
            centre.add_row(_t(label), _t("—", s("dim")), _t(""))
    emit(out, centre)

    if steps:
        emit(out, Text())
        table = _section(_("Open steps"), out, s, s("dim"), s("dim"), "", "", None)
        for step in steps:
            who = step["prospect"] or (step["people"] or _("whole account"))
            table.add_row(_t(f"#{step['id']}"), _t(dates.show(step["due_at"])),
                          _t(who, s("bold")), _t(word(step["kind"])),
                          _t(step["text"] or _("next step")))
        emit(out, table)
    if history:
        emit(out, Text())
        table = _section(_("Key-account history"), out, s, s("dim"), None)
        for change in history:
            before = named(KAM_BY_KEY[change["from_stage"]]) if change["from_stage"] else "—"
            reason = f": {stored_word(change['reason'])}" if change["reason"] else ""
            table.add_row(_t(dates.show(change["at"])),
                          _t(f"{before} → {named(KAM_BY_KEY[change['to_stage']])}{reason}"))
        emit(out, table)
    if touches:
        emit(out, Text())
        table = _section(_("Last touches with anyone there"), out, s, s("dim"), "", "", None)
        for touch in touches:
            kind = word(touch["kind"]) + (f" {word(touch['outcome'])}" if touch["outcome"]
                                          else "")
            detail = [touch["summary"]] if touch["summary"] else []
            if touch["amount"] is not None:
                worth = money(touch["amount"], touch["currency"])
                detail.insert(0, worth if touch["outcome"] == "order"
                              else _("order of {worth}").format(worth=worth))
            table.add_row(_t(dates.show(touch["at"])), _t(touch["prospect"], s("bold")),
                          _t(kind), _t("; ".join(detail)))
        emit(out, table)


def _section(title: str, out, s, *styles: str | None) -> Any:
    """A titled grid of columns, no borders or header: one per style. A style of None marks
    the free-text column last: it wraps on a terminal and stays on one line in a pipe."""
    if _plain[0]:
        table = _Grid(_t(title))
    else:
        table = _rich_section(_t(title, s("bold")))
    for style in styles:
        if style is None:
            table.add_column(no_wrap=not render.is_tty(out.file))
        else:
            table.add_column(no_wrap=True, style=style)
    return table
