"""Keeping the book safe: online backups, checked restores, and a health report.

Backups use SQLite's online backup API, so they are consistent even while another relcrm
writes. A restore checks the file (integrity, foreign keys, that it is a relcrm book this
version can read) before anything is replaced, copies the current book aside first, and swaps
the file in with an atomic rename while holding the book's write lock. Every file made here is
private (0600). No Typer, no Rich.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import dates, migrations
from .db import BUSY_TIMEOUT_S
from .errors import DatabaseError, UsageError

TABLES = ("prospect", "tag", "touch", "call_note", "stage_change", "qualification", "account",
          "prospect_role", "kam_change")


def _private_file(path: Path) -> None:
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def copy(source: sqlite3.Connection, target: Path) -> Path:
    """A consistent copy of an open book at `target` (0600), written beside it and renamed."""
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    _private_file(tmp)
    try:
        dest = sqlite3.connect(tmp)
        try:
            source.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE")  # a backup is one self-contained file
        finally:
            dest.close()
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)  # gone already unless the copy failed
    return target


def leftovers(book: Path) -> list[Path]:
    """Half-made copies that a backup or restore killed mid-way (kill -9, power loss) left
    beside the book or in its backups folder: hidden files named after the process that made
    them, when that process is gone. They hold a copy of personal data: backup and restore
    remove them (remove_leftovers), doctor lists them."""
    found = []
    for folder, pattern in ((book.parent, f".{book.name}.*-*"),
                            (book.parent / "backups", f".{book.stem}-*.db.tmp-*")):
        if not folder.is_dir():
            continue
        for path in folder.glob(pattern):
            tail = path.name.rsplit("-", 1)[1]
            made_here = ".restore-" in path.name or ".tmp-" in path.name
            if not made_here or not tail.isdigit():
                continue
            if not _alive(int(tail)):
                found.append(path)
    return sorted(found)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process, or not a pid we can ask about: leave it
    return True


def remove_leftovers(book: Path) -> int:
    """Remove what `leftovers` finds; returns how many."""
    found = leftovers(book)
    for path in found:
        path.unlink(missing_ok=True)
    return len(found)


def default_backup_path(book: Path) -> Path:
    stamp = dates.now().strftime("%Y-%m-%d-%H%M%S")
    return book.parent / "backups" / f"{book.stem}-{stamp}.db"


def backup(book: Path, target: Path | None = None) -> tuple[Path, int]:
    """Back the book up (online, safe while another process writes); returns path and size."""
    from . import db

    if not book.exists():
        raise DatabaseError(f"there is no book at {book} to back up")
    target = (target or default_backup_path(book)).expanduser()
    if target.is_dir():
        target = target / default_backup_path(book).name
    if target.resolve() == book.resolve():
        raise UsageError("the backup cannot overwrite the book itself; give another FILE")
    if not target.parent.exists():
        if target.parent == book.parent / "backups":
            target.parent.mkdir(mode=0o700, exist_ok=True)
        else:
            raise UsageError(f"cannot write {target}: folder {target.parent} does not exist")
    remove_leftovers(book)
    con = db.connect(book)
    try:
        copy(con, target)
    finally:
        con.close()
    return target, target.stat().st_size


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
        raise UsageError(f"no file {path}")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
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
        what = "is damaged" if "malformed" in str(exc) else "is not a relcrm book"
        raise UsageError(f"{path} {what} ({exc}); the book was not changed") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is damaged (it holds text that is not UTF-8); the book was "
                         "not changed") from None
    if "_migrations" not in names or "prospect" not in names or version < 1:
        raise UsageError(f"{path} is an SQLite file but not a relcrm book")
    if version > migrations.LATEST:
        raise UsageError(f"{path} has schema version {version}, newer than this relcrm knows "
                         f"({migrations.LATEST}); upgrade relcrm first")
    return Check(path, version, integrity, foreign, counts)


def restore(book: Path, source: Path) -> tuple[Check, Path | None]:
    """Replace the book with `source` after checking it; the old book is kept aside.

    Returns the check of the source and where the old book was put (None if there was none).
    """
    source = source.expanduser()
    if source.exists() and book.exists() and source.resolve() == book.resolve():
        raise UsageError("that is the book itself; give a backup file")
    found = check_file(source)
    if not found.ok:
        problem = found.integrity[0] if found.integrity != ["ok"] else \
            f"{found.foreign_keys} broken links between records"
        raise UsageError(f"{source} is damaged ({problem}); the book was not changed")
    book.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    remove_leftovers(book)
    staged = book.with_name(f".{book.name}.restore-{os.getpid()}")
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            copy(src, staged)
        finally:
            src.close()
        aside = _swap(book, staged)
    finally:
        staged.unlink(missing_ok=True)  # gone already unless the restore failed
    os.chmod(book, 0o600)
    return found, aside


def _swap(book: Path, staged: Path) -> Path | None:
    """Put `staged` in the book's place; the current book, if any, is copied aside first."""
    from . import db

    if not book.exists():
        os.replace(staged, book)
        return None
    current = db.connect(book, migrate=False)
    guard = sqlite3.connect(book, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        current.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        # Hold the write lock on a second connection (a connection that is writing cannot
        # be the source of a backup), so no other relcrm writes while we copy and swap.
        guard.execute("BEGIN IMMEDIATE")
        aside = book.with_name(f"{book.name}.before-restore-"
                               f"{dates.now().strftime('%Y-%m-%d-%H%M%S')}")
        copy(current, aside)
        os.replace(staged, book)
        guard.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        raise DatabaseError(f"the book is in use ({exc}); close other relcrm commands and "
                            "try again") from None
    finally:
        guard.close()
        current.close()
    for suffix in ("-wal", "-shm"):  # they belonged to the old file
        Path(f"{book}{suffix}").unlink(missing_ok=True)
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

    @property
    def ok(self) -> bool:
        return (not self.exists) or (self.integrity == ["ok"] and self.foreign_keys == 0
                                     and self.private)

    def record(self) -> dict[str, Any]:
        return {"path": str(self.path), "exists": self.exists, "ok": self.ok,
                "size_bytes": self.size, "wal_bytes": self.wal_size, "mode": self.mode,
                "private": self.private, "schema_version": self.version,
                "latest_version": self.latest, "integrity": "; ".join(self.integrity or []),
                "foreign_key_problems": self.foreign_keys,
                **{f"{t}_rows": n for t, n in (self.counts or {}).items()},
                "backups": len(self.backups or []), "leftovers": len(self.leftovers or [])}


def health(book: Path) -> Health:
    """Everything `relcrm doctor` reports about a book."""
    from . import db

    if not book.exists():
        return Health(book, False, latest=migrations.LATEST)
    info = book.stat()
    wal = Path(f"{book}-wal")
    report = Health(book, True, info.st_size, wal.stat().st_size if wal.exists() else 0,
                    stat.filemode(info.st_mode), not info.st_mode & 0o077,
                    latest=migrations.LATEST)
    con = db.connect(book)
    try:
        report.version = migrations.version(con)
        report.migrations = [tuple(r) for r in con.execute(
            "SELECT version, name, applied_at FROM _migrations ORDER BY version")]
        report.integrity = [r[0] for r in con.execute("PRAGMA integrity_check")]
        report.foreign_keys = len(con.execute("PRAGMA foreign_key_check").fetchall())
        report.counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                         for t in TABLES}
    finally:
        con.close()
    folder = book.parent / "backups"
    report.backups = sorted(folder.glob(f"{book.stem}-*.db")) if folder.is_dir() else []
    report.backups += sorted(book.parent.glob(f"{book.name}.bak-*"))
    report.leftovers = leftovers(book)
    return report
