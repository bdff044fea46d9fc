"""backup, restore, doctor: keeping the book safe."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import FormatOpt, emit_record, fmt


def backup(
    file: Annotated[Optional[Path], typer.Argument(
        metavar="[FILE]", help="Where to write it (default: backups/relcrm-DATE-TIME.db beside "
        "the book). A folder gets a dated file inside.", show_default=False)] = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Overwrite FILE if it exists (never the book itself).")] = False,
    format_: FormatOpt = "table",
) -> None:
    """Copy the book with SQLite's online backup API (safe while relcrm is in use elsewhere)."""
    from .. import db, maintenance

    book = db.db_path()
    target, size = maintenance.backup(book, file, replace=replace)
    emit_record(format_, ("book", "backup", "bytes"),
                {"book": str(book), "backup": str(target), "bytes": size},
                lambda: f"Backed up {book} to {target} ({size:,} bytes).")


def restore(
    file: Annotated[Path, typer.Argument(
        metavar="FILE", help="A backup (or any relcrm book file) to restore.",
        show_default=False)],
    format_: FormatOpt = "table",
) -> None:
    """Replace the book with a backup, after checking the backup's integrity and schema.

    The current book is kept beside it as relcrm.db.before-restore-DATE-TIME. An older
    backup is upgraded the next time the book is opened.
    """
    from .. import db, maintenance

    book = db.db_path()
    found, aside = maintenance.restore(book, file)
    counts = found.counts
    record = {"book": str(book), "restored_from": str(file), "previous": str(aside or ""),
              "schema_version": found.version, **{f"{t}_rows": n for t, n in counts.items()}}

    def sentence() -> str:
        from ..registry import noun

        text = (f"Restored {book} from {file}: {noun('prospect', counts.get('prospect', 0))}, "
                f"{noun('touch', counts.get('touch', 0))} (schema version {found.version}).")
        if aside:
            text += f" The previous book is kept at {aside}."
        return text

    emit_record(format_, tuple(record), record, sentence)


def doctor(
    repair: Annotated[bool, typer.Option(
        "--repair", help="Rebuild derived values that differ from the records (follow-up "
        "dates, last touches ...) and remove half-made copies left by stopped commands.")
    ] = False,
    format_: FormatOpt = "table",
) -> None:
    """Check the book: integrity, links between records, derived values against a rebuild,
    schema version, sizes, privacy.

    Exits 1 when something is wrong, so scripts can run it.
    """
    from .. import db, maintenance, render

    if repair:
        from ..registry import noun

        fixed = maintenance.repair(db.db_path())
        done = [f"{n:,} half-made {'copy' if n == 1 else 'copies'} removed" if what ==
                "leftovers" else "the search index rebuilt" if what == "search"
                else f"derived values of {noun(what, n)} rebuilt"
                for what, n in fixed.items() if n]
        render.note("Repaired: " + (", ".join(done) if done else "nothing needed repair") + ".")
    report = maintenance.health(db.db_path())
    kind = fmt(format_)
    if kind != "table":
        record = report.record()
        render.machine(kind, tuple(record), [record])
    else:
        for line in _describe(report).splitlines():
            print(render.escape(line))
    if not report.ok:
        raise typer.Exit(1)


def _describe(report) -> str:
    from ..registry import noun

    if not report.exists:
        return (f"book        {report.path}\nstate       not created yet (it is made by the "
                "first command that writes)")
    if report.size == 0 and report.migrations is None and report.counts is not None:
        return (f"book        {report.path}\nstate       an empty file: not a book yet (the "
                "first command that writes makes it one)\nverdict     healthy")
    if report.counts is None:  # it could not be opened
        lines = [f"book        {report.path}",
                 f"size        {report.size:,} bytes",
                 "state       PROBLEM: " + "; ".join(report.integrity or [])]
        lines += _leftover_lines(report)
        lines.append("verdict     needs attention")
        return "\n".join(lines)
    lines = [
        f"book        {report.path}",
        f"size        {report.size:,} bytes" + (f" (+ {report.wal_size:,} in the write-ahead "
                                                "log)" if report.wal_size else ""),
        f"privacy     {report.mode} " + ("ok: only you can read it" if report.private else
                                         f"PROBLEM: others can read it; chmod 600 {report.path}"),
        f"schema      version {report.version} of {report.latest}; migrations: "
        + ", ".join(f"{v} {n} ({at[:10]})" for v, n, at in report.migrations or []),
        "integrity   " + ("ok" if report.integrity == ["ok"] else
                           "PROBLEM: " + "; ".join(report.integrity or [])),
        "links       " + ("ok" if report.foreign_keys == 0 else
                           f"PROBLEM: {report.foreign_keys} records point at missing ones"),
        "records     " + ", ".join(noun(t, n) for t, n in (report.counts or {}).items()),
        f"backups     {len(report.backups or [])}"
        + (f", newest {report.backups[-1].name}" if report.backups else
           " (make one: relcrm backup)"),
    ]
    stale = {t: ids for t, ids in (report.stale or {}).items() if ids}
    if report.bad_settings:
        lines.append("settings    PROBLEM: " + "; ".join(report.bad_settings) + " (set them "
                     "again with relcrm config KEY VALUE, or KEY --reset)")
    if report.pending:
        lines.append(f"derived     PROBLEM: {report.pending:,} records wait to be recomputed "
                     "(a write was stopped half-way outside relcrm?); relcrm doctor --repair "
                     "does it")
    elif report.stale is not None:
        lines.append("derived     " + ("ok: follow-up dates and other derived values equal a "
                                       "rebuild" if not stale else "PROBLEM: stale values in "
                                       + ", ".join(f"{noun(t, len(ids))} (e.g. #{ids[0]})"
                                                   for t, ids in stale.items())
                                       + "; relcrm doctor --repair rebuilds them"))
    if report.stale is not None:
        lines.append("search      " + ("ok: every note is in the search index" if not
                                       report.search_stale else
                                       f"PROBLEM: {report.search_stale:,} entries of the search "
                                       "index differ from the notes; relcrm doctor --repair "
                                       "rebuilds it"))
    if report.id_limits:
        lines.append("ids         PROBLEM: ids too large for new records in "
                     + ", ".join(report.id_limits) + "; export the book (relcrm export all) and "
                     "import it into a new one to renumber")
    lines += _leftover_lines(report)
    lines.append("verdict     " + ("healthy" if report.ok else "needs attention"))
    return "\n".join(lines)


def _leftover_lines(report) -> list[str]:
    if not report.leftovers:
        return []
    return [f"leftovers   {len(report.leftovers)} half-made "
            f"{'copy' if len(report.leftovers) == 1 else 'copies'} from a backup, restore or "
            "export that was stopped, e.g. " + str(report.leftovers[0])
            + "; the next relcrm backup removes them"]
