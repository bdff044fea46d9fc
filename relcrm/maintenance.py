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

TABLES = ("prospect", "tag", "touch", "call_note", "stage_change", "qualification")


def _private_file(path: Path) -> None:
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def copy(source: sqlite3.Connection, target: Path) -> Path:
    """A consistent copy of an open book at `target` (0600), written beside it and renamed."""
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    _private_file(tmp)
    dest = sqlite3.connect(tmp)
    try:
        source.backup(dest)
        dest.execute("PRAGMA journal_mode = DELETE")  # a backup is one self-contained file
    finally:
        dest.close()
    os.replace(tmp, target)
    return target


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
    from . import db

    source = source.expanduser()
    if source.exists() and book.exists() and source.resolve() == book.resolve():
        raise UsageError("that is the book itself; give a backup file")
    found = check_file(source)
    if not found.ok:
        problem = found.integrity[0] if found.integrity != ["ok"] else \
            f"{found.foreign_keys} broken links between records"
        raise UsageError(f"{source} is damaged ({problem}); the book was not changed")
    book.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    staged = book.with_name(f".{book.name}.restore-{os.getpid()}")
    staged.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        copy(src, staged)
    finally:
        src.close()
    aside = None
    if book.exists():
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
            staged.unlink(missing_ok=True)
            raise DatabaseError(f"the book is in use ({exc}); close other relcrm commands and "
                                "try again") from None
        finally:
            guard.close()
            current.close()
        for suffix in ("-wal", "-shm"):  # they belonged to the old file
            Path(f"{book}{suffix}").unlink(missing_ok=True)
    else:
        os.replace(staged, book)
    os.chmod(book, 0o600)
    return found, aside


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
                "backups": len(self.backups or [])}


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
    return report
