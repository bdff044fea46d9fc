"""config: the book's settings (working days, holidays, cadences, import spreading ...)."""

from typing import Annotated, Optional

import typer

from .common import FormatOpt, QuietOpt, fmt, read


def _complete_keys(incomplete: str) -> list[str]:
    from ..settings import SETTINGS

    return [s.key for s in SETTINGS if s.key.startswith(incomplete.lower())]


def config(
    key: Annotated[Optional[str], typer.Argument(
        metavar="[KEY]", help="A setting (relcrm config lists them).",
        autocompletion=_complete_keys, show_default=False)] = None,
    value: Annotated[Optional[str], typer.Argument(
        metavar="[VALUE]", help="Its new value.", show_default=False)] = None,
    reset: Annotated[bool, typer.Option(
        "--reset", help="Put KEY back to its default.")] = False,
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """List the book's settings, read one, or set one. They live in the book, so backups and
    exports carry them; a setting never set has its default.

    Examples: relcrm config workdays mon-sat; relcrm config country VN;
    relcrm config cadence.build 7; relcrm config import.per_day 5; relcrm config cadence.build
    --reset
    """
    from .. import render, settings
    from ..errors import UsageError
    from ..i18n import _

    kind = fmt(format_)
    if key is None:
        if reset or value is not None:
            raise UsageError(_("--reset and VALUE need a KEY"))
        values = settings.all_values(read())
        rows = [{"key": s.key, "value": settings.shown(s.key, values[s.key]),
                 "default": settings.shown(s.key, s.default), "changed": values[s.key] !=
                 s.default, "meaning": s.help, "setting": s} for s in settings.SETTINGS]
        if kind != "table":
            render.machine(kind, ("key", "value", "default", "changed", "meaning"), rows)
            return
        render.table(rows, [
            render.Col(_("Setting"), "key", style="bold", no_wrap=True),
            render.Col(_("Value"), "value", style=lambda r: "yellow" if r["changed"] else None,
                       no_wrap=True),
            render.Col(_("Default"), lambda r: "" if not r["changed"] else r["default"],
                       style="dim", no_wrap=True),
            render.Col(_("Meaning"), lambda r: settings.describe(r["setting"])),
        ])
        return
    setting = settings.find(key)
    if value is None and not reset:
        current = settings.get(read(), setting.key)
        if kind != "table":
            record = {"key": setting.key, "value": settings.shown(setting.key, current)}
            render.machine(kind, tuple(record), [record])
            return
        print(render.escape(settings.shown(setting.key, current)))
        return
    if reset and value is not None:
        raise UsageError(_("give either a VALUE or --reset, not both"))
    if value is not None:
        setting.parse(value)  # a bad value is refused before the book is opened
    from .. import db
    from ..core import config as core

    with db.write_session() as session:
        changed = core.set_value(session, setting.key, value)
    if quiet:  # a setting's id is its key
        print(changed.key)
        return
    shown_after = settings.shown(changed.key, changed.after)
    record = {"key": changed.key, "value": shown_after,
              "was": settings.shown(changed.key, changed.before)}
    if kind != "table":
        render.machine(kind, tuple(record), [record])
        return
    if changed.before != changed.after:
        text = _("{key} = {value} (was {was})").format(key=changed.key, value=shown_after,
                                                        was=record["was"])
    else:
        text = _("{key} = {value} (unchanged)").format(key=changed.key, value=shown_after)
    if changed.followups:
        text += "; " + _("follow-up dates recomputed")
    print(render.escape(text + "."))
