"""Keeping the book safe: online backups, checked restores, and a health report.

Backups use SQLite's online backup API, so they are consistent even while another relcrm
writes. A restore checks the file (integrity, foreign keys, that it is a relcrm book this
version can read) before anything is replaced, then, holding the book's write lock, copies the
current book aside and copies the backup's records into the open book in one transaction: the
file is never swapped under another relcrm's feet. Safety copies get names no other file has.
Every file made here is private (0600). No Typer, no Rich.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import dates, files, migrations
from .db import BUSY_TIMEOUT_S, read_only, real_path
from .errors import DatabaseError, RelcrmError, UsageError
from .i18n import _
from .registry import INTERNAL, TABLES



def _private_file(path: Path) -> None:
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def _backup_into(source: sqlite3.Connection, path: Path) -> None:
    """SQLite's online backup of `source` into the file `path` (one self-contained file)."""
    _private_file(path)
    dest = sqlite3.connect(path)
    try:
        source.backup(dest)
        dest.execute("PRAGMA journal_mode = DELETE")
    finally:
        dest.close()


def copy(source: sqlite3.Connection, target: Path) -> Path:
    """A consistent copy of an open book at `target` (0600): written to a registered hidden
    temporary beside it (files.temporary) and renamed into place."""
    try:
        with files.temporary(target) as tmp:
            _backup_into(source, tmp)
            os.replace(tmp, target)
    except OSError as exc:
        raise files.disk_error(exc, target) from None
    except sqlite3.Error as exc:
        if "full" in str(exc):
            raise UsageError(_("the disk is full: {target} was not written; free some space "
                               "and try again").format(target=target)) from None
        raise
    return target


def unique(path: Path) -> Path:
    """`path`, or `path-2`, `path-3` ... : the first name that is free, claimed at once (an
    empty 0600 file), so a safety copy never overwrites anything, even two in one second."""
    candidate, number = path, 1
    while True:
        try:
            fd = os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            number += 1
            candidate = path.with_name(f"{path.name}-{number}")
            continue
        except OSError as exc:
            raise files.disk_error(exc, candidate) from None
        os.close(fd)
        return candidate


def safety_copy(source: sqlite3.Connection, path: Path) -> Path:
    """A copy of the book under a name no other file has (see unique)."""
    target = unique(path)
    try:
        return copy(source, target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _legacy(book: Path) -> list[Path]:
    """Half-made copies named the way relcrm 0.1 named them (.book.db.restore-PID, its
    ..book.db.restore-PID.tmp-PID, .NAME.tmp-PID, and their -journal files), beside the book
    or in its backups folder."""
    found = []
    for folder, pattern in ((book.parent, f".{book.name}.*-*"),
                            (book.parent, f"..{book.name}.restore-*.tmp-*"),
                            (book.parent / "backups", f".{book.stem}-*.db.tmp-*")):
        if not folder.is_dir():
            continue
        for path in folder.glob(pattern):
            name = path.name[: -len("-journal")] if path.name.endswith("-journal") else path.name
            tail = name.rsplit("-", 1)[1]
            made_here = ".restore-" in name or ".tmp-" in name
            if made_here and tail.isdigit() and not files.alive(int(tail)):
                found.append(path)
    return found


def leftovers(book: Path) -> list[Path]:
    """Half-made copies that a killed backup, restore, export or upgrade left (kill -9, power
    loss): found through the registry of temporaries wherever they were written, and by name
    beside the book and in its backups folder. They hold personal data: every command that
    writes a file removes them (remove_leftovers); doctor lists them."""
    book = real_path(book)
    found, _ = files.stale_temporaries([book.parent, book.parent / "backups"])
    return sorted(set(found) | set(_legacy(book)))


def remove_leftovers(book: Path) -> int:
    """Remove what `leftovers` finds (and the registrations of gone processes)."""
    book = real_path(book)
    count = files.remove_stale([book.parent, book.parent / "backups"])
    for path in _legacy(book):
        path.unlink(missing_ok=True)
        count += 1
    return count


def default_backup_path(book: Path) -> Path:
    stamp = dates.now().strftime("%Y-%m-%d-%H%M%S")
    return book.parent / "backups" / f"{book.stem}-{stamp}.db"


def backup(book: Path, target: Path | None = None, *, replace: bool = False) -> tuple[Path, int]:
    """Back the book up (online, safe while another process writes); returns path and size.

    The target is never the book or one of its files, never a device; an existing file is
    replaced only when `replace` is given (a default or folder target gets a free name)."""
    from . import db

    real = real_path(book)
    if not real.exists():
        raise DatabaseError(_("there is no book at {book} to back up").format(book=book))
    chosen = target is not None and not target.expanduser().is_dir()
    target = (target or default_backup_path(book)).expanduser()
    if target.is_dir():
        target = target / default_backup_path(book).name
    resolved = Path(os.path.realpath(target))
    if resolved in files.book_files(real):
        raise UsageError(_("the backup cannot overwrite the book itself (or its -wal/-shm "
                           "files); give another FILE"))
    if resolved.exists():
        if not resolved.is_file():
            raise UsageError(_("{target} is not a regular file (a device, FIFO or socket); "
                               "give a file name for the backup").format(target=target))
        if chosen and not replace:
            raise UsageError(_("{target} exists; relcrm does not overwrite a file with a backup "
                               "unless asked: give a new name, a folder, or --replace").format(
                target=target))
    if not resolved.parent.exists():
        if resolved.parent == real.parent / "backups":
            db.make_private_dirs(resolved.parent)
        else:
            raise UsageError(_("cannot write {target}: folder {folder} does not exist").format(
                target=target, folder=target.parent))
    remove_leftovers(real)
    con = db.connect(real)
    try:
        if chosen:
            copy(con, resolved)
        else:
            resolved = safety_copy(con, resolved)
            target = target.with_name(resolved.name)
    finally:
        con.close()
    return target, resolved.stat().st_size


@dataclass
class Check:
    """What `check_file` found in a book file."""

    path: Path
    version: int
    integrity: list[str]
    foreign_keys: int
    counts: dict[str, int]

    @property
    def ok(self) -> bool:
        return self.integrity == ["ok"] and self.foreign_keys == 0


def check_file(path: Path) -> Check:
    """Open a file read-only and check it is a sound relcrm book this version can use."""
    if not path.is_file():
        raise UsageError(_("no file {path}").format(path=path) if not path.exists() else
                         _("{path} is not a regular file; give a backup file").format(path=path))
    if not files.is_sqlite(path):
        raise UsageError(_("{path} is not a relcrm book (not an SQLite database file); the "
                           "book was not changed").format(path=path))
    try:
        con = read_only(path)
        try:
            version = con.execute("PRAGMA user_version").fetchone()[0]
            integrity = [r[0] for r in con.execute("PRAGMA integrity_check")]
            foreign = len(con.execute("PRAGMA foreign_key_check").fetchall())
            names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = "
                                               "'table'")}
            counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                      for t in TABLES if t in names}
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        message = (_("{path} is damaged ({error}); the book was not changed")
                   if "malformed" in str(exc)
                   else _("{path} is not a relcrm book ({error}); the book was not changed"))
        raise UsageError(message.format(path=path, error=exc)) from None
    except UnicodeDecodeError:
        raise UsageError(_("{path} is damaged (it holds text that is not UTF-8); the book was "
                           "not changed").format(path=path)) from None
    if "_migrations" not in names or "prospect" not in names or version < 1:
        raise UsageError(_("{path} is an SQLite file but not a relcrm book").format(path=path))
    if version > migrations.LATEST:
        raise UsageError(_("{path} has schema version {version}, newer than this relcrm knows "
                           "({latest}); upgrade relcrm first").format(
            path=path, version=version, latest=migrations.LATEST))
    return Check(path, version, integrity, foreign, counts)


def restore(book: Path, source: Path) -> tuple[Check, Path | None]:
    """Put the backup `source` into the book after checking it; the old book is kept aside.

    The book's file is not swapped: the backup's records are copied INTO the open book in one
    transaction that holds its write lock, after a copy of the current book is written aside
    under the same lock. A relcrm writing at the same moment either commits before (and its
    write is in the copy aside) or waits and commits after (into the restored book): nothing
    that reported success is lost. Symlinks are followed: the target is restored.
    Returns the check of the source and where the old book was put (None if there was none).
    """
    from . import db

    source = source.expanduser()
    real = real_path(book)
    if source.exists() and (Path(os.path.realpath(source)) in files.book_files(real)):
        raise UsageError(_("that is the book itself (or one of its files); give a backup file"))
    found = check_file(source)
    if not found.ok:
        problem = found.integrity[0] if found.integrity != ["ok"] else \
            _("{n} broken links between records").format(n=found.foreign_keys)
        raise UsageError(_("{source} is damaged ({problem}); the book was not changed").format(
            source=source, problem=problem))
    db.make_private_dirs(real.parent)
    remove_leftovers(real)
    with files.temporary(real.with_name(f"{real.name}.restore")) as staged:
        try:
            src = read_only(source)
            try:
                _backup_into(src, staged)
            finally:
                src.close()
            con = sqlite3.connect(staged, isolation_level=None)
            try:
                migrations.upgrade(con)  # an older backup: to this version's schema
            finally:
                con.close()
        except OSError as exc:
            raise files.disk_error(exc, real) from None
        except sqlite3.Error as exc:
            raise _restore_error(exc) from None
        if not real.exists() or real.stat().st_size == 0:
            os.replace(staged, real)
            os.chmod(real, 0o600)
            return found, None
        try:
            current = db.connect(real)
            sound = current.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        except (DatabaseError, sqlite3.DatabaseError):
            sound = False
        if not sound:
            return found, _swap_damaged(real, staged)
        return found, _copy_in(current, real, staged)


def _restore_error(exc: sqlite3.Error) -> RelcrmError:
    text = str(exc)
    if "full" in text:
        return UsageError(_("the disk is full: the book was not restored (nothing was "
                            "changed); free some space and try again"))
    if "locked" in text or "busy" in text:
        return DatabaseError(_("the book is in use: another relcrm has been writing for more "
                               "than {seconds:.0f} s; nothing was changed; try again when it "
                               "has finished").format(seconds=BUSY_TIMEOUT_S))
    return DatabaseError(_("the restore failed ({text}); the book was not changed").format(
        text=text))


def _children_first(con: sqlite3.Connection, tables: tuple[str, ...]) -> list[str]:
    """`tables` in an order to empty them in: every table before the tables it references.
    No row is then deleted while another still references it, so no ON DELETE action (SET
    NULL, CASCADE) runs: such an action runs the triggers it sets off with its own conflict
    rule, which turns their INSERT OR IGNORE into _dirty into an error."""
    refers = {table: {row[2] for row in con.execute(f"PRAGMA main.foreign_key_list({table})")
                      if row[2] != table} for table in tables}
    order: list[str] = []
    left = list(tables)
    while left:
        free = [t for t in left if not any(t in refers[other] for other in left if other != t)]
        if not free:  # a cycle (none in relcrm's schema): the rest as registered, children last
            free = list(reversed(left))
        for table in free:
            order.append(table)
            left.remove(table)
    return order


def _copy_in(con: sqlite3.Connection, book: Path, staged: Path) -> Path:
    """Replace every record of the open book with those of `staged` (same schema), in one
    transaction holding the write lock; the current book is copied aside first."""
    aside = None
    try:
        con.execute("ATTACH DATABASE ? AS incoming", (str(staged),))
        try:
            con.execute("BEGIN IMMEDIATE")  # other writers finish first, or wait for us
            try:
                reader = read_only(book)  # sees exactly what we replace: nobody else can write
                try:
                    aside = safety_copy(reader, book.with_name(
                        f"{book.name}.before-restore-{dates.now().strftime('%Y-%m-%d-%H%M%S')}"))
                finally:
                    reader.close()
                con.execute("PRAGMA defer_foreign_keys = ON")
                # the records and the journal; not _dirty (the triggers fill it as the rows
                # go in: the derived values are settled from it before the commit), nor what
                # sync knows of the server (the server holds what this book sent: kept, the
                # next sync puts the restored book on the phone, instead of taking the
                # phone's newer state for changes made there)
                kept = ("_dirty", "_sync_item", "_sync_state")
                tables = TABLES + tuple(t for t in INTERNAL if t not in kept)
                for table in _children_first(con, tables):
                    con.execute(f"DELETE FROM main.{table}")
                for table in tables:
                    columns = ", ".join(r[1] for r in con.execute(
                        f"PRAGMA main.table_info({table})"))
                    con.execute(f"INSERT INTO main.{table} ({columns}) "
                                f"SELECT {columns} FROM incoming.{table}")
                from .core import derive

                derive.settle(con)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        finally:
            con.execute("DETACH DATABASE incoming")
    except BaseException as exc:
        if aside is not None:
            aside.unlink(missing_ok=True)
        if isinstance(exc, sqlite3.Error):
            raise _restore_error(exc) from None
        raise
    return aside


def _swap_damaged(book: Path, staged: Path) -> Path:
    """A book too damaged to copy into: it is moved aside whole (with its -wal), and the
    restored copy put in its place. Used only when the book cannot be read."""
    aside = unique(book.with_name(
        f"{book.name}.before-restore-{dates.now().strftime('%Y-%m-%d-%H%M%S')}"))
    from . import db

    db.close_all()
    os.replace(book, aside)
    for suffix in ("-wal", "-shm"):
        old = Path(f"{book}{suffix}")
        if old.exists():
            os.replace(old, Path(f"{aside}{suffix}"))
    os.replace(staged, book)
    os.chmod(book, 0o600)
    return aside


@dataclass
class Health:
    path: Path
    exists: bool
    size: int = 0
    wal_size: int = 0
    mode: str = ""
    private: bool = True
    version: int = 0
    latest: int = 0
    migrations: list[tuple[int, str, str]] | None = None
    integrity: list[str] | None = None
    foreign_keys: int = 0
    counts: dict[str, int] | None = None
    backups: list[Path] | None = None
    leftovers: list[Path] | None = None
    id_limits: list[str] | None = None  # tables whose ids are too large for new records
    stale: dict[str, list[int]] | None = None  # derived values that differ from a rebuild
    pending: int = 0  # rows of _dirty left by a write that did not settle (should be none)
    search_stale: int = 0  # entries of the search index that differ from the notes
    bad_settings: list[str] | None = None  # stored settings this relcrm cannot use
    bad_dates: list[str] | None = None  # dates and occasions with no day to place

    @property
    def ok(self) -> bool:
        return (not self.exists) or (self.integrity == ["ok"] and self.foreign_keys == 0
                                     and self.private and not self.id_limits
                                     and not any((self.stale or {}).values())
                                     and not self.pending and not self.bad_settings
                                     and not self.search_stale and not self.bad_dates)

    def record(self) -> dict[str, Any]:
        return {"path": str(self.path), "exists": self.exists, "ok": self.ok,
                "size_bytes": self.size, "wal_bytes": self.wal_size, "mode": self.mode,
                "private": self.private, "schema_version": self.version,
                "latest_version": self.latest, "integrity": "; ".join(self.integrity or []),
                "foreign_key_problems": self.foreign_keys,
                **{f"{t}_rows": n for t, n in (self.counts or {}).items()},
                "backups": len(self.backups or []), "leftovers": len(self.leftovers or []),
                "id_problems": ",".join(self.id_limits or []),
                "stale_search_entries": self.search_stale,
                "bad_dates": len(self.bad_dates or []),
                **{f"stale_{t}s": len(ids) for t, ids in (self.stale or {}).items()}}


# Ids above this break the importer's numbering and JSON readers (2^53: exact in a double).
MAX_SAFE_ID = 2**53 - 1


def health(book: Path) -> Health:
    """Everything `relcrm doctor` reports about a book. A book that cannot be opened is
    reported (damaged, not a book, newer), not raised."""
    from . import db

    book_real = real_path(book)
    if not book_real.exists():
        return Health(book, False, latest=migrations.LATEST)
    info = book_real.stat()
    wal = Path(f"{book_real}-wal")
    report = Health(book, True, info.st_size, wal.stat().st_size if wal.exists() else 0,
                    stat.filemode(info.st_mode), not info.st_mode & 0o077,
                    latest=migrations.LATEST)
    report.leftovers = leftovers(book_real)
    if info.st_size == 0 and not (wal.exists() and wal.stat().st_size):
        report.integrity = ["ok"]  # an empty file: no book yet (a write makes it one)
        report.counts = {t: 0 for t in TABLES}
        report.private = True  # nothing in it to read
        return report
    folder = book_real.parent / "backups"
    report.backups = sorted(folder.glob(f"{book_real.stem}-*.db")) if folder.is_dir() else []
    report.backups += sorted(book_real.parent.glob(f"{book_real.name}.bak-*"))
    try:
        con = db.connect(book_real)
    except DatabaseError as exc:
        report.integrity = [exc.message]
        return report
    try:
        report.version = migrations.version(con)
        report.migrations = [tuple(r) for r in con.execute(
            "SELECT version, name, applied_at FROM _migrations ORDER BY version")]
        report.integrity = [r[0] for r in con.execute("PRAGMA integrity_check")]
        report.foreign_keys = len(con.execute("PRAGMA foreign_key_check").fetchall())
        report.counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                         for t in TABLES}
        report.id_limits = [t for t in TABLES if (con.execute(
            f"SELECT max(rowid) FROM {t}").fetchone()[0] or 0) > MAX_SAFE_ID]
        if report.integrity == ["ok"]:
            from . import settings
            from .core import derive

            report.bad_settings = settings.problems(con)
            from .core import care

            report.bad_dates = care.unplaceable(con)
            if report.bad_settings:  # the rebuild needs them: report them alone
                return report
            report.stale = derive.stale(con)
            report.pending = con.execute("SELECT count(*) FROM _dirty").fetchone()[0]
            from .core import search

            report.search_stale = search.stale(con)
    except sqlite3.DatabaseError as exc:
        report.integrity = [_("cannot be read: {error}").format(error=exc)]
    finally:
        con.close()
    return report


def repair(book: Path) -> dict[str, int]:
    """What `doctor --repair` fixes: derived values that differ from a rebuild (rebuilt in one
    transaction) and half-made copies left by killed commands (removed). Returns the counts:
    {"leftovers": n, "prospect": n, "account": n}."""
    from . import db
    from .core import derive

    real = real_path(book)
    fixed = {"leftovers": remove_leftovers(real)}
    if not real.exists():
        return fixed
    con = db.connect(real)
    try:
        con.execute("BEGIN IMMEDIATE")
        try:
            stale = derive.stale(con)
            pending = con.execute("SELECT count(*) FROM _dirty").fetchone()[0]
            from .core import search

            notes = search.stale(con)
            if notes:
                search.rebuild(con)
            if any(stale.values()) or pending:
                from . import workdays

                workdays.ensure(con)
                derive.refresh_all(con)  # empties _dirty too
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()
    fixed.update({table: len(ids) for table, ids in stale.items()})
    fixed["search"] = notes
    return fixed
