"""backup, restore, doctor: keeping the book safe."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..i18n import _, current, ngettext
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

    if db.url() is not None:
        from .. import pg

        url = db.url()
        target, size, how = pg.backup(url, file, replace=replace)
        emit_record(format_, ("book", "backup", "bytes", "method"),
                    {"book": pg.shown(url), "backup": str(target), "bytes": size, "method": how},
                    lambda: (_("Backed up the team database {url} with pg_dump to {target} "
                               "({size:,} bytes); pg_restore puts it back.") if how == "pg_dump"
                             else _("Backed up the team database {url} as an export to {target} "
                                    "({size:,} bytes; pg_dump was not found); relcrm import "
                                    "reads it back.")).format(
                        url=pg.shown(url), target=target, size=size))
        return
    book = db.db_path()
    target, size = maintenance.backup(book, file, replace=replace)
    emit_record(format_, ("book", "backup", "bytes"),
                {"book": str(book), "backup": str(target), "bytes": size},
                lambda: _("Backed up {book} to {target} ({size:,} bytes).").format(
                    book=book, target=target, size=size))


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

    if db.url() is not None:
        from .. import pg
        from ..errors import DatabaseError

        raise DatabaseError(_("relcrm restore replaces a book file; a team database is put back "
                              "by its administrator with PostgreSQL's own tool: pg_restore "
                              "--clean --dbname {url} FILE (nothing was changed)").format(
            url=pg.shown(db.url())))
    book = db.db_path()
    found, aside = maintenance.restore(book, file)
    counts = found.counts
    record = {"book": str(book), "restored_from": str(file), "previous": str(aside or ""),
              "schema_version": found.version, **{f"{t}_rows": n for t, n in counts.items()}}

    def sentence() -> str:
        from ..registry import noun

        text = _("Restored {book} from {file}: {prospects}, {touches} (schema version "
                 "{version}).").format(book=book, file=file,
                                       prospects=noun("prospect", counts.get("prospect", 0)),
                                       touches=noun("touch", counts.get("touch", 0)),
                                       version=found.version)
        if aside:
            text += " " + _("The previous book is kept at {path}.").format(path=aside)
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

    if db.url() is not None:
        _team_doctor(db.url(), repair, fmt(format_))
        return
    if repair:
        from ..registry import noun

        fixed = maintenance.repair(db.db_path())
        done = [ngettext("{n:,} half-made copy removed", "{n:,} half-made copies removed",
                         n).format(n=n) if what == "leftovers"
                else _("the search index rebuilt") if what == "search"
                else _("derived values of {records} rebuilt").format(records=noun(what, n))
                for what, n in fixed.items() if n]
        render.note(_("Repaired: {done}.").format(done=", ".join(done)) if done
                    else _("Repaired: nothing needed repair."))
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


def _team_doctor(url: str, repair: bool, kind: str) -> None:
    """doctor on a team database: its schema, row-level security, the sellers' roles."""
    from .. import pg, render
    from ..errors import UsageError

    if repair:
        raise UsageError(_("doctor --repair is for a book file; on a team database run doctor "
                           "alone, and relcrm team add-seller NAME to put a seller's role "
                           "right"))
    lines = pg.doctor(url)
    if kind != "table":
        record = {key: text for key, text, _ok in lines}
        render.machine(kind, tuple(record), [record])
    else:
        labels = {**_labels(), "security": _("security"), "sellers": _("sellers")}
        width = max(12, max(len(label) for label in labels.values()) + 2)
        for key, text, _ok in lines:
            print(render.escape(labels[key].ljust(width) + text))
    if not all(ok for _key, _text, ok in lines):
        raise typer.Exit(1)


def _labels() -> dict[str, str]:
    """The names of the report's lines, in the current language."""
    return {"book": _("book"), "state": _("state"), "size": _("size"),
            "privacy": _("privacy"), "schema": _("schema"), "integrity": _("integrity"),
            "links": _("links"), "records": _("records"), "backups": _("backups"),
            "settings": _("settings"), "derived": _("derived"), "search": _("search"),
            "ids": _("ids"), "leftovers": _("leftovers"), "dates": _("dates"),
            "verdict": _("verdict")}


def _line(key: str, text: str) -> str:
    """'book        /path': the line's name, padded so that the values line up."""
    labels = _labels()
    width = max(12, max(len(label) for label in labels.values()) + 2)
    return labels[key].ljust(width) + text


def _problem(details: str) -> str:
    return _("PROBLEM: {details}").format(details=details)


def _describe(report) -> str:
    from .. import dates
    from ..registry import noun

    if not report.exists:
        return "\n".join([_line("book", str(report.path)),
                          _line("state", _("not created yet (it is made by the first command "
                                           "that writes)"))])
    if report.size == 0 and report.migrations is None and report.counts is not None:
        return "\n".join([_line("book", str(report.path)),
                          _line("state", _("an empty file: not a book yet (the first command "
                                           "that writes makes it one)")),
                          _line("verdict", _("healthy"))])
    size = _("{size:,} bytes").format(size=report.size)
    if report.counts is None:  # it could not be opened
        lines = [_line("book", str(report.path)),
                 _line("size", size),
                 _line("state", _problem("; ".join(report.integrity or [])))]
        lines += _leftover_lines(report)
        lines.append(_line("verdict", _("needs attention")))
        return "\n".join(lines)

    def day(at: str) -> str:  # a migration's date
        return at[:10] if current() == "en" else dates.show_day(at)

    lines = [
        _line("book", str(report.path)),
        _line("size", _("{size:,} bytes (+ {wal:,} in the write-ahead log)").format(
            size=report.size, wal=report.wal_size) if report.wal_size else size),
        _line("privacy", _("{mode} ok: only you can read it").format(mode=report.mode)
              if report.private else
              _("{mode} PROBLEM: others can read it; chmod 600 {path}").format(
                  mode=report.mode, path=report.path)),
        _line("schema", _("version {version} of {latest}; migrations: {migrations}").format(
            version=report.version, latest=report.latest,
            migrations=", ".join(f"{v} {n} ({day(at)})" for v, n, at in report.migrations or []))),
        _line("integrity", _("ok") if report.integrity == ["ok"] else
              _problem("; ".join(report.integrity or []))),
        _line("links", _("ok") if report.foreign_keys == 0 else
              _("PROBLEM: {n} records point at missing ones").format(n=report.foreign_keys)),
        _line("records", ", ".join(noun(t, n) for t, n in (report.counts or {}).items())),
        _line("backups", _("{n}, newest {name}").format(n=len(report.backups),
                                                        name=report.backups[-1].name)
              if report.backups else
              _("{n} (make one: relcrm backup)").format(n=len(report.backups or []))),
    ]
    stale = {t: ids for t, ids in (report.stale or {}).items() if ids}
    if report.bad_settings:
        lines.append(_line("settings", _(
            "PROBLEM: {problems} (set them again with relcrm config KEY VALUE, or KEY "
            "--reset)").format(problems="; ".join(report.bad_settings))))
    if report.bad_dates:
        lines.append(_line("dates", _problem(_(
            "{n} with no day relcrm can place, left out of follow-ups and plans: {dates}")
            .format(n=len(report.bad_dates), dates="; ".join(report.bad_dates)))))
    if report.pending:
        lines.append(_line("derived", _(
            "PROBLEM: {n:,} records wait to be recomputed (a write was stopped half-way outside "
            "relcrm?); relcrm doctor --repair does it").format(n=report.pending)))
    elif report.stale is not None:
        lines.append(_line("derived", _(
            "ok: follow-up dates and other derived values equal a rebuild") if not stale else _(
            "PROBLEM: stale values in {values}; relcrm doctor --repair rebuilds them").format(
            values=", ".join(_("{records} (e.g. #{id})").format(records=noun(t, len(ids)),
                                                                id=ids[0])
                             for t, ids in stale.items()))))
    if report.stale is not None:
        lines.append(_line("search", _("ok: every note is in the search index") if not
                           report.search_stale else _(
                               "PROBLEM: {n:,} entries of the search index differ from the "
                               "notes; relcrm doctor --repair rebuilds it").format(
                               n=report.search_stale)))
    if report.id_limits:
        lines.append(_line("ids", _(
            "PROBLEM: ids too large for new records in {tables}; export the book (relcrm export "
            "all) and import it into a new one to renumber").format(
            tables=", ".join(report.id_limits))))
    lines += _leftover_lines(report)
    lines.append(_line("verdict", _("healthy") if report.ok else _("needs attention")))
    return "\n".join(lines)


def _leftover_lines(report) -> list[str]:
    if not report.leftovers:
        return []
    count = len(report.leftovers)
    return [_line("leftovers", ngettext(
        "{n} half-made copy from a backup, restore or export that was stopped, e.g. {path}; "
        "the next relcrm backup removes them",
        "{n} half-made copies from a backup, restore or export that was stopped, e.g. {path}; "
        "the next relcrm backup removes them", count).format(n=count, path=report.leftovers[0]))]
