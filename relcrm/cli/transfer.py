"""export and import: every record out, for scripts, spreadsheets and phones; contacts in."""

import enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ..i18n import _, dynamic, ngettext
from ..queries import EXPORTS
from .common import Format, QuietOpt, fmt, read

ENTITIES = tuple(EXPORTS) + ("all", "vcard")
Entity = enum.Enum("Entity", {name: name for name in ENTITIES}, type=str)  # type: ignore[misc]
ExportFormat = enum.Enum("ExportFormat", {n: n for n in ("csv", "tsv", "json", "jsonl")},
                         type=str)  # type: ignore[misc]
OutputOpt = Annotated[Optional[Path], typer.Option(
    "--output", "-o", metavar="FILE", help="Write to FILE instead of standard output "
    "(a folder for `export all` as csv/tsv).")]


def export(
    entity: Annotated[Entity, typer.Argument(  # type: ignore[valid-type]
        case_sensitive=False, metavar="[ENTITY]",
        help="prospects (default), touches, calls, stages, qualifications, accounts, roles, "
        "kam, steps, step_changes, deals, deal_changes, settings, aliases, facts, dates "
        "(important dates), occasions, all (the whole book), or vcard (contact cards).")
    ] = "prospects",
    refs: Annotated[Optional[list[str]], typer.Argument(
        metavar="[REF]...", help="Only these prospects (and their history).",
        show_default=False)] = None,
    format_: Annotated[Optional[ExportFormat], typer.Option(  # type: ignore[valid-type]
        "--format", "-f", case_sensitive=False,
        help="csv (default), tsv, json or jsonl (one JSON object per line).",
        show_default=False)] = None,
    output: OutputOpt = None,
    since: Annotated[Optional[str], typer.Option(
        "--since", metavar="WHEN", help="Only records from WHEN on (touches, calls, stages and "
        "qualifications by date; prospects by last update).", show_default=False)] = None,
    excel: Annotated[bool, typer.Option(
        "--excel", help="For spreadsheets: UTF-8 with BOM, CRLF, every cell quoted, and a ' "
        "put before a formula trigger (= + - @ tab CR) at the start of a cell or after a , ; "
        "or tab inside it, so no cell runs as a formula whatever the list separator.")
    ] = False,
) -> None:
    """Export records with stable, documented columns (UTF-8), to stdout or a file.

    Entities: prospects, touches, calls, stages, qualifications, accounts, roles, kam, steps,
    step_changes, deals, deal_changes, settings, aliases, facts, dates, occasions.

    `export all -f json` writes the whole book as one JSON document that `relcrm import` reads
    back (a round trip gives identical files); `export all -o FOLDER` writes one CSV per entity.
    `export vcard` writes vCard 4.0 cards for phones and Google Contacts.
    """
    from .. import dates, queries, render
    from ..errors import UsageError

    name = fmt(entity)
    kind = fmt(format_) if format_ is not None else None
    if name == "vcard" and kind is not None:
        raise UsageError(_("export vcard writes vCard 4.0; leave out --format"))
    kind = kind or "csv"
    if excel and kind not in ("csv", "tsv"):
        raise UsageError(_("--excel is for csv and tsv"))
    from .. import files

    if output is not None and str(output) == "-":  # -o -: standard output, as tools read it
        output = None
    target = output.expanduser() if output is not None else None
    folder = name == "all" and kind in ("csv", "tsv")
    if folder and target is None:
        raise UsageError(_("export all as {format} writes one file per entity: give --output "
                           "FOLDER").format(format=kind))
    if folder and target is not None and target.exists() and not target.is_dir():
        raise UsageError(_("{output} is a file; export all as {format} needs a folder").format(
            output=output, format=kind))
    if target is not None and not folder:
        files.check_output(target)  # before any work: never the book, a backup or a database
    since_iso = dates.iso(dates.parse_when(since, past=True)) if since else None
    con = read()
    ids = sorted({queries.resolve(con, ref)["id"] for ref in refs}) if refs else None

    def rows(entity_name: str):
        return queries.export(con, entity_name, since=since_iso, prospect_ids=ids)

    if name == "vcard":
        from ..formats import vcard

        columns, records = rows("prospects")
        from .. import settings

        text = vcard.write((dict(zip(columns, r)) for r in records),
                           settings.get(con, "region"))
        _write(target, lambda out: out.write(render.lines(text, out)), newline="")
        if target is not None:
            cards = text.count("BEGIN:VCARD")
            render.note(ngettext("Exported {n:,} vCard to {output}.",
                                 "Exported {n:,} vCards to {output}.", cards).format(
                                     n=cards, output=output))
        return
    if folder:
        target = files.private_folder(target)
        for entity_name in EXPORTS:
            columns, records = rows(entity_name)
            path = target / f"{entity_name}.{kind}"
            count = _write(path, lambda out: render.machine(kind, columns, records, out,
                                                            excel=excel))
            render.note(_("Exported {records} to {output}.").format(
                records=_count(count, entity_name), output=path))
        return
    if name == "all":
        count = _write(target, lambda out: write_book(out, rows, kind))
        if target is not None:
            render.note(_("Exported the book ({n:,} records) to {output}.").format(
                n=count, output=output))
        return
    columns, records = rows(name)
    count = _write(target, lambda out: render.machine(kind, columns, records, out, excel=excel))
    if target is not None:
        render.note(_("Exported {records} to {output}.").format(records=_count(count, name),
                                                                 output=output))


def write_book(out, rows, kind: str = "json") -> int:
    """The whole book as one relcrm JSON document (or JSON lines), every entity's `rows(name)`
    (columns, records) in turn; returns the count of records. `relcrm import` reads it back."""
    from .. import render

    if kind == "jsonl":
        return sum(render.machine("jsonl", *rows(e), out, extra={"entity": e}) for e in EXPORTS)
    out.write('{"format": "relcrm-book", "version": 1')
    total = 0
    for entity_name in EXPORTS:
        out.write(f',\n"{entity_name}": ')
        total += render.machine("json", *rows(entity_name), out)
    out.write("}\n")
    return total


_COUNTS = {
    "prospects": lambda n: ngettext("{n:,} prospect", "{n:,} prospects", n),
    "touches": lambda n: ngettext("{n:,} touch", "{n:,} touches", n),
    "calls": lambda n: ngettext("{n:,} call", "{n:,} calls", n),
    "stages": lambda n: ngettext("{n:,} stage change", "{n:,} stage changes", n),
    "qualifications": lambda n: ngettext("{n:,} qualification", "{n:,} qualifications", n),
    "accounts": lambda n: ngettext("{n:,} account", "{n:,} accounts", n),
    "roles": lambda n: ngettext("{n:,} role", "{n:,} roles", n),
    "kam": lambda n: ngettext("{n:,} key-account stage change",
                              "{n:,} key-account stage changes", n),
    "steps": lambda n: ngettext("{n:,} step", "{n:,} steps", n),
    "step_changes": lambda n: ngettext("{n:,} step change", "{n:,} step changes", n),
    "settings": lambda n: ngettext("{n:,} setting", "{n:,} settings", n),
    "deals": lambda n: ngettext("{n:,} deal", "{n:,} deals", n),
    "deal_changes": lambda n: ngettext("{n:,} deal change", "{n:,} deal changes", n),
    "aliases": lambda n: ngettext("{n:,} alias", "{n:,} aliases", n),
    "facts": lambda n: ngettext("{n:,} fact", "{n:,} facts", n),
    "dates": lambda n: ngettext("{n:,} important date", "{n:,} important dates", n),
    "occasions": lambda n: ngettext("{n:,} occasion", "{n:,} occasions", n)}


def _count(count: int, entity: str) -> str:
    """'3 touches', '1 stage change' ... (in the language relcrm speaks)."""
    if entity in _COUNTS:
        return _COUNTS[entity](count).format(n=count)
    return f"{count:,} {entity}"


def _write(target: Optional[Path], produce, newline: Optional[str] = "") -> Any:
    """Run `produce(stream)` on stdout, or into `target` through files.write: never over the
    book or a backup, 0600, through a temporary renamed at the end (a failed export leaves no
    half-written file), devices and FIFOs written in place."""
    import sys

    from .. import files

    if target is None:
        return produce(sys.stdout)
    return files.write(target, produce, newline=newline)


ImportFormat = enum.Enum("ImportFormat", {n: n for n in (
    "auto", "relcrm", "linkedin", "google", "vcard", "csv")}, type=str)  # type: ignore[misc]
Policy = enum.Enum("Policy", {n: n for n in ("skip", "update", "error")},
                   type=str)  # type: ignore[misc]


def import_(
    file: Annotated[Path, typer.Argument(
        metavar="FILE", help="A CSV, vCard (.vcf) or relcrm export file, or a folder made by "
        "`relcrm export all -o FOLDER`.", show_default=False)],
    format_: Annotated[ImportFormat, typer.Option(  # type: ignore[valid-type]
        "--format", "-F", case_sensitive=False,
        help="auto (default: from the content), relcrm, linkedin, google, vcard or csv.")
    ] = "auto",
    map_: Annotated[Optional[list[str]], typer.Option(
        "--map", metavar="COLUMN=FIELD", help="Which CSV column is which field: name, "
        "first_name, middle_name, last_name, company, title, email, phone, url, source, tags, "
        "value, note, birthday, anniversary (dates: day first when ambiguous, see config "
        "date_order), or skip. Repeatable.", show_default=False)] = None,
    tag: Annotated[Optional[list[str]], typer.Option(
        "--tag", metavar="TAG", help="Tag every imported prospect (repeatable).",
        show_default=False)] = None,
    on_duplicate: Annotated[Policy, typer.Option(  # type: ignore[valid-type]
        "--on-duplicate", case_sensitive=False,
        help="skip (default), update (fill in the existing prospect), or error.")] = "skip",
    skip_bad_rows: Annotated[bool, typer.Option(
        "--skip-bad-rows", help="Import the good rows even if some are bad (they are "
        "listed).")] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", "-n", help="Show what would happen; write nothing.")] = False,
    next_: Annotated[Optional[str], typer.Option(
        "--next", metavar="WHEN", help="Plan the first contact of every new prospect on WHEN "
        "(default: spread over the coming working days, see --per-day).",
        show_default=False)] = None,
    per_day: Annotated[Optional[int], typer.Option(
        "--per-day", metavar="N", help="Plan at most N first contacts a working day, in file "
        "order (default: config import.per_day, 10); 0: none planned, all due at once.",
        show_default=False)] = None,
    encoding: Annotated[Optional[str], typer.Option(
        "--encoding", metavar="ENC", help="The file's encoding if not UTF-8/UTF-16 "
        "(e.g. cp1252, latin-1, cp1258).", show_default=False)] = None,
    report: Annotated[Format, typer.Option(  # type: ignore[valid-type]
        "--report", "-r", case_sensitive=False,
        help="table (a summary); csv, tsv or json: each row's outcome, for scripts. (--format "
        "names the file's format here.)")] = "table",
    quiet: QuietOpt = False,
) -> None:
    """Import prospects from LinkedIn, Google Contacts, vCard, any CSV, or a relcrm export.

    Duplicates (same email, else same name and company, accents and case ignored) are skipped
    by default. The whole import is one transaction: with bad rows nothing is written unless
    --skip-bad-rows. With --report csv/json the outcome of each row is printed.

    Birthdays and anniversaries in the file become the person's important dates. Columns
    with values that are not imported are named in the summary.
    """
    from .. import db, formats, render
    from ..core import importing
    from ..core.prospects import session_con
    from ..errors import UsageError
    from ..formats.contacts import parse_mapping
    from .common import when

    mapping = parse_mapping(map_ or [])
    next_at = when(next_)
    source = formats.read(file.expanduser(), fmt(format_), encoding=encoding, mapping=mapping)
    shown = _("standard input") if str(file) == "-" else file.name  # what the notes name
    policy = fmt(on_duplicate)
    total = len(source.records)
    kind = fmt(report)
    if source.format == "relcrm" and (next_ is not None or tag or per_day is not None):
        raise UsageError(_("--next, --per-day and --tag are for contact lists, not relcrm "
                           "exports"))
    if per_day is not None and not 0 <= per_day <= 10_000:
        raise UsageError(_("--per-day must be from 0 to 10000, not {n}").format(n=per_day))
    if per_day is not None and next_ is not None:
        raise UsageError(_("give --next (one day for all) or --per-day (spread), not both"))
    with _progress(total * 2, _("Importing {name}").format(name=render.escape(shown))) \
            as step:
        def planned(con) -> Any:
            """The plan on `con`; bad rows (without --skip-bad-rows) stop the import."""
            if source.format == "relcrm":
                plan = importing.plan_book(con, source, on_duplicate=policy, progress=step)
            else:
                plan = importing.plan_contacts(con, source, tags=tag or [], on_duplicate=policy,
                                               next_at=next_at, origin=file.name,
                                               per_day=per_day, progress=step)
            bad = plan.errors
            if bad and not skip_bad_rows:
                _report_rows("table" if quiet else kind, plan, shown)
                raise UsageError(ngettext(
                    "{n:,} bad row in {name}; nothing was imported (fix them, or import the "
                    "rest with --skip-bad-rows)",
                    "{n:,} bad rows in {name}; nothing was imported (fix them, or import the "
                    "rest with --skip-bad-rows)", len(bad)).format(n=len(bad), name=shown))
            return plan

        if dry_run or not source.records:  # nothing to write: no write transaction, no book
            plan = planned(read())
        else:  # planned in the write transaction: ids and duplicates are those it writes to
            with db.write_session() as session:
                plan = planned(session_con(session))
                if not plan.empty:
                    importing.apply(session, plan, progress=step)
    _report_rows("table" if quiet else kind, plan, shown)  # (bad rows on stderr)
    for line in plan.messages:
        render.note(line)
    if quiet and not dry_run:  # the ids of the people it added, one a line
        for action in plan.actions:
            if action.action == "add" and action.entity in ("", "prospects") \
                    and action.prospect_id is not None:
                print(action.prospect_id)
    if kind == "table" and not quiet:
        print(render.escape(_summary(plan, shown, dry_run)))
    elif plan.unused:  # the report is data on stdout: the columns left out are said on stderr
        render.note(f"{shown}: {_unused(plan)}")


def _report_rows(kind: str, plan: Any, name: str) -> None:
    """Per-row outcomes: bad rows on stderr for people; every row with --format for scripts."""
    from .. import render
    from ..core.importing import ACTION_COLUMNS

    if kind != "table":
        render.machine(kind, ACTION_COLUMNS, [vars(a) for a in plan.actions])
        return
    bad = plan.errors
    for action in bad[:20]:
        if action.entity not in ("", "prospects"):
            render.note(_("{name}: {entity} line {line}: {reason}").format(
                name=name, entity=action.entity, line=action.line, reason=action.reason))
        else:
            render.note(_("{name}: line {line}: {reason}").format(
                name=name, line=action.line, reason=action.reason))
    if len(bad) > 20:
        render.note(_("{name}: ... and {n} more bad rows").format(name=name, n=len(bad) - 20))


def _summary(plan: Any, name: str, dry_run: bool) -> str:
    from .. import dates

    added, updated, skipped = plan.count("add"), plan.count("update"), plan.count("skip")
    if dry_run:
        text = ngettext("Would import {n:,} new prospect from {name} ({format})",
                        "Would import {n:,} new prospects from {name} ({format})", added)
    else:
        text = ngettext("Imported {n:,} new prospect from {name} ({format})",
                        "Imported {n:,} new prospects from {name} ({format})", added)
    text = text.format(n=added, name=name, format=plan.format)
    parts = []
    if updated:
        parts.append((_("would update {n:,}") if dry_run else _("updated {n:,}")).format(
            n=updated))
    if skipped:
        reasons: dict[str, int] = {}
        for action in plan.actions:
            if action.action == "skip" and action.entity == "prospects":
                how = action.matched or action.reason.split("(same ")[-1].rstrip(")")
                reasons[how] = reasons.get(how, 0) + 1
        why = ", ".join(_("{n:,} by {how}").format(n=count, how=dynamic(how))
                        for how, count in sorted(reasons.items()))
        parts.append(ngettext("skipped {n:,} duplicate ({why})",
                              "skipped {n:,} duplicates ({why})", skipped).format(
                                  n=skipped, why=why))
    bad = len(plan.errors)
    if bad:
        parts.append(ngettext("left out {n:,} bad row", "left out {n:,} bad rows", bad).format(
            n=bad))
    history = [(e, plan.count("add", e)) for e in ("touches", "calls", "stages", "qualifications",
                                                   "accounts", "roles", "kam", "steps",
                                                   "step_changes", "deals", "deal_changes",
                                                   "settings", "facts", "occasions")]
    history.append(("dates", len(plan.dates)))  # a contact list's dates are not records
    history = [(e, c) for e, c in history if c]
    if history:
        parts.append(_("with {records}").format(
            records=", ".join(_count(c, e) for e, c in history)))
    occasions = plan.count("update", "occasions")
    if occasions:
        if dry_run:
            said = ngettext("would update {n:,} occasion", "would update {n:,} occasions",
                            occasions)
        else:
            said = ngettext("updated {n:,} occasion", "updated {n:,} occasions", occasions)
        parts.append(said.format(n=occasions))
    if plan.value_deals:
        if dry_run:
            said = ngettext("would open {n:,} deal for the values given",
                            "would open {n:,} deals for the values given", plan.value_deals)
        else:
            said = ngettext("opened {n:,} deal for the values given",
                            "opened {n:,} deals for the values given", plan.value_deals)
        parts.append(said.format(n=plan.value_deals))
    if parts:
        text += "; " + "; ".join(parts)
    if len(plan.spread) > 1:
        first, last = plan.spread[0][0], plan.spread[-1][0]
        most = max(n for _day, n in plan.spread)
        text += "; " + _("first contact planned for {n:,} a day over {days} working days, "
                         "{first} to {last}").format(n=most, days=len(plan.spread),
                                                     first=dates.show_day(first),
                                                     last=dates.show_day(last))
    elif plan.spread:
        text += "; " + _("first contact planned for {day}").format(
            day=dates.show_day(plan.spread[0][0]))
    elif plan.at_once and added:
        text += "; " + _("no first contact planned: all due at once (--per-day 0)")
    if plan.unused:
        text += f"; {_unused(plan)}"
    return text + "." + (" " + _("Nothing was written (--dry-run).") if dry_run else "")


def _unused(plan: Any) -> str:
    """'columns not used: Sở thích, Fax' (a vCard's: 'properties not used: ADR, PHOTO')."""
    names = ", ".join(plan.unused)
    if plan.unused_noun == "properties":
        return _("properties not used: {names}").format(names=names)
    return _("columns not used: {names}").format(names=names)


class _progress:
    """A rich progress bar on a terminal for imports of more than a few hundred rows."""

    def __init__(self, total: int, label: str):
        self.total, self.label, self.bar = total, label, None

    def __enter__(self):
        import sys

        if self.total < 1000 or not sys.stderr.isatty():
            return None
        from rich.progress import Progress

        from ..render import console

        from rich.markup import escape as markup

        self.bar = Progress(console=console(stderr=True), transient=True)
        self.bar.start()
        task = self.bar.add_task(markup(self.label), total=self.total)
        return lambda n: self.bar.advance(task, n)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False
