"""Where the book lives, how it is opened, and its schema version.

Two doors into the database (see ../shared/architecture.md):
- `connect()` gives a standard-library sqlite3 connection for reads (and for migrations);
  it never imports SQLAlchemy, so read commands stay fast.
- `write_session()` gives a SQLModel session inside one IMMEDIATE transaction: everything a
  write command does either happens entirely or not at all.

The file is created 0600 in a 0700 folder; it is opened in WAL mode with foreign keys on and a
10 s busy timeout. Opening a database applies any pending migrations (see migrations.py).
"""

from __future__ import annotations

import os
import sqlite3
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from .errors import DatabaseError

if TYPE_CHECKING:
    from sqlmodel import Session

ENV_DB = "RELCRM_DB"
BUSY_TIMEOUT_S = 10.0
_selected: Path | None = None  # set by the --db global option
_open: list[sqlite3.Connection] = []  # closed by close_all() when a command ends


def select(path: str | Path | None) -> None:
    """Use `path` for this process (the --db option), or go back to the default with None."""
    global _selected
    _selected = Path(path).expanduser() if path else None


def data_dir() -> Path:
    """The per-user data folder (XDG_DATA_HOME/relcrm on Linux)."""
    from platformdirs import user_data_path

    return user_data_path("relcrm", appauthor=False)


def db_path() -> Path:
    """The book in use: --db, else $RELCRM_DB, else <user data dir>/relcrm.db."""
    if _selected is not None:
        return _selected
    env = os.environ.get(ENV_DB, "").strip()
    if env:
        return Path(env).expanduser()
    return data_dir() / "relcrm.db"


def _create_private(path: Path) -> None:
    """Make the folder (0700 when new) and an empty file readable by its owner only."""
    if path.exists():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError as exc:
        raise DatabaseError(f"cannot create the database at {path}: {exc.strerror}") from None


_warned: set[Path] = set()


def _warn_if_shared(path: Path) -> None:
    """One line on stderr when other users can read the book (it holds personal data)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & 0o044 and path not in _warned:
        _warned.add(path)
        print(f"relcrm: warning: {path} can be read by other users (mode {mode & 0o777:o}); "
              f"make it private: chmod 600 {path}", file=sys.stderr)


def connect(path: Path | None = None, *, migrate: bool = True,
            create: bool = True) -> sqlite3.Connection:
    """An open sqlite3 connection to the book, created and migrated as needed.

    With create=False (read commands) a book that does not exist yet is not created: the
    connection is to an empty in-memory book instead, so reading never leaves a file behind.
    The connection is in autocommit mode (isolation_level=None): every transaction is begun
    explicitly (migrations, and the SQLModel session's BEGIN IMMEDIATE).
    """
    path = path or db_path()
    if path.is_dir():
        raise DatabaseError(f"{path} is a folder, not a database file")
    if not create and not path.exists():
        return _empty()
    _create_private(path)
    _warn_if_shared(path)
    try:
        con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        con.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        con.execute("PRAGMA foreign_keys = ON")
        mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise DatabaseError(f"cannot use WAL journaling on {path} (got {mode})")
        con.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} is not a relcrm database ({exc})") from None
    con.row_factory = sqlite3.Row
    _open.append(con)
    if migrate:
        from .migrations import upgrade

        upgrade(con, path)
    return con


def close_all() -> None:
    """Close every connection this process opened (the last close checkpoints the WAL)."""
    while _open:
        try:
            _open.pop().close()
        except sqlite3.Error:
            pass


def _empty() -> sqlite3.Connection:
    from .migrations import upgrade

    con = sqlite3.connect(":memory:", isolation_level=None)
    con.row_factory = sqlite3.Row
    upgrade(con)
    return con


@contextmanager
def write_session(path: Path | None = None) -> Iterator["Session"]:
    """A SQLModel session in one transaction: committed at the end, rolled back on error."""
    from sqlalchemy import event
    from sqlalchemy.pool import StaticPool
    from sqlmodel import Session, create_engine

    path = path or db_path()
    new = not path.exists()
    con = connect(path)
    engine = create_engine("sqlite://", creator=lambda: con, poolclass=StaticPool)

    @event.listens_for(engine, "begin")
    def _begin(conn):  # take the write lock at once: no deadlock-prone lock upgrades
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    try:
        with Session(engine, expire_on_commit=False) as session:
            with session.begin():
                yield session
    except BaseException:
        engine.dispose()
        con.close()
        if new:  # the first write failed: leave no empty book behind
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise
    engine.dispose()
    con.close()
