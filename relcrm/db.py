"""Where the book lives, how it is opened, and its schema version.

Two doors into the database (see ../shared/architecture.md):
- `connect()` gives a standard-library sqlite3 connection for reads (and for migrations);
  it never imports SQLAlchemy, so read commands stay fast.
- `write_session()` gives a SQLModel session inside one IMMEDIATE transaction: everything a
  write command does either happens entirely or not at all, and the derived values of what it
  changed are recomputed before it commits (core/derive.py settle).

The file is created 0600 in a 0700 folder. An existing file is checked read-only first (never
another program's database, never a newer book); then it is opened in WAL mode with foreign
keys on and a 10 s busy timeout. Opening a database applies any pending migrations (see
migrations.py). Symlinks are followed: the book is always opened by its real path.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from .errors import DatabaseError
from .i18n import _

if TYPE_CHECKING:
    from sqlmodel import Session

ENV_DB = "RELCRM_DB"
BUSY_TIMEOUT_S = 10.0
command = "relcrm"  # the command line being run (set by the CLI root), kept with each change
_selected: Path | None = None  # set by the --db global option
_selected_url: str | None = None  # a team database: --db postgresql://... (pg.py)
_open: list[sqlite3.Connection] = []  # closed by close_all() when a command ends


def is_team_url(text: str | Path | None) -> bool:
    """Whether --db or RELCRM_DB names a team database (a PostgreSQL URL), not a book file."""
    return bool(text) and str(text).strip().lower().startswith(("postgresql://", "postgres://"))


def select(path: str | Path | None) -> None:
    """Use `path` for this process (the --db option), or go back to the default with None."""
    global _selected, _selected_url
    _selected_url = None
    if is_team_url(path):
        _selected, _selected_url = None, str(path).strip()
        return
    _selected = Path(path).expanduser() if path else None


def on_team(con: object) -> bool:
    """Whether a connection is to a team database (pg.Connection), not to a book file: the
    one test the shared code makes where the two differ (without importing relcrm.pg)."""
    return type(con).__module__ == "relcrm.pg"


def url() -> str | None:
    """The team database in use (a PostgreSQL URL from --db or $RELCRM_DB), else None."""
    if _selected_url is not None:
        return _selected_url
    if _selected is not None:
        return None
    env = os.environ.get(ENV_DB, "").strip()
    return env if is_team_url(env) else None


def data_dir() -> Path:
    """The per-user data folder (XDG_DATA_HOME/relcrm on Linux)."""
    from platformdirs import user_data_path

    return user_data_path("relcrm", appauthor=False)


def book_file_only() -> DatabaseError:
    """What a command that works on a book file says on a team database."""
    return DatabaseError(_("this command works on a book file; it is not available on a team "
                           "database (PostgreSQL) yet"))


def db_path() -> Path:
    """The book in use: --db, else $RELCRM_DB, else <user data dir>/relcrm.db. A command that
    works on a book file only says so when the book is a team database (PostgreSQL)."""
    if url() is not None:
        raise book_file_only()
    if _selected is not None:
        return _selected
    env = os.environ.get(ENV_DB, "").strip()
    if env:
        return Path(env).expanduser()
    return data_dir() / "relcrm.db"


def real_path(path: Path) -> Path:
    """The file a book path names, symlinks followed. SQLite names the -wal and -shm files
    after the path it is given, so every door into one book must use one name: the target's.
    Replacing the book (restore) acts on the target too, never on the link."""
    return Path(os.path.realpath(path))


def make_private_dirs(folder: Path) -> None:
    """Create `folder` and any missing parents readable by their owner only (0700), whatever
    the umask."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for part in reversed(missing):
        try:
            os.mkdir(part, 0o700)
        except FileExistsError:
            continue
        os.chmod(part, 0o700)


def _create_private(path: Path) -> None:
    """Make the folder (0700 when new) and an empty file readable by its owner only."""
    if path.exists():
        return
    try:
        make_private_dirs(path.parent)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError as exc:
        raise DatabaseError(_("cannot create the book at {path}: {why}").format(
            path=path, why=_why(exc, path))) from None


def _why(exc: OSError, path: Path) -> str:
    import errno

    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return _("permission denied (is {folder} writable? relcrm keeps its -wal and -shm "
                 "files beside the book)").format(folder=path.parent)
    if exc.errno == errno.ENOSPC:
        return _("the disk is full; free some space and try again")
    return exc.strerror or str(exc)


_warned: set[Path] = set()


def _warn_if_shared(path: Path) -> None:
    """One line on stderr when other users can read the book (it holds personal data)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & 0o044 and path not in _warned:
        from .render import escape

        _warned.add(path)
        print(escape(_("relcrm: warning: {path} can be read by other users (mode {mode:o}); "
                       "make it private: chmod 600 {path}").format(path=path,
                                                                    mode=mode & 0o777)),
              file=sys.stderr)


SQLITE_HEADER = b"SQLite format 3\x00"


def _blank(path: Path) -> bool:
    """A zero-byte file with no write-ahead log: no book yet (a read treats it as empty)."""
    try:
        if path.stat().st_size:
            return False
        wal = Path(f"{path}-wal")
        return not (wal.exists() and wal.stat().st_size)
    except OSError:
        return False


def money(milli: int | None) -> int | float | str | None:
    """SQL `money(milli)`: an amount stored in thousandths as an exact number for output: an
    int when it is whole, else a float whose shortest form is the exact decimal (12500.5),
    else (beyond 15 digits) the exact decimal as text. Machine formats print it as it is."""
    if milli is None:
        return None
    units, rest = divmod(int(milli), 1000)
    if not rest:
        return units
    exact = f"{units}.{rest:03d}".rstrip("0")
    number = int(milli) / 1000
    return number if repr(number) == exact else exact


def _functions(con: sqlite3.Connection) -> sqlite3.Connection:
    con.create_function("money", 1, money, deterministic=True)
    return con


def read_only(path: Path, *, untouched: bool = False) -> sqlite3.Connection:
    """A read-only sqlite3 connection that changes nothing in the file (mode=ro). With
    `untouched`, when the file has no write-ahead log beside it (nobody is writing: all its
    content is in the file), it is read as immutable, so that not even the -wal and -shm files
    a WAL-mode database would get are made (another program's database is left as it was)."""
    from urllib.parse import quote

    mode = "ro"
    if untouched and not Path(f"{path}-wal").exists():
        mode = "ro&immutable=1"
    return _functions(sqlite3.connect(f"file:{quote(str(path))}?mode={mode}", uri=True,
                                      timeout=BUSY_TIMEOUT_S, isolation_level=None))


def describe_error(exc: sqlite3.Error, shown: Path) -> str:
    """What an SQLite error opening or reading a book means, and what to do."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return _("{shown} is locked by another program (it is writing to the book); try "
                 "again when it has finished").format(shown=shown)
    if "not a database" in text:
        return _("{shown} is not a relcrm book (it is not an SQLite database file)").format(
            shown=shown)
    if "malformed" in text or "corrupt" in text:
        return _("{shown} is damaged ({text}); `relcrm doctor` checks it and `relcrm restore "
                 "FILE` puts a backup back").format(shown=shown, text=text)
    if "disk is full" in text or "disk full" in text:
        return _("the disk is full; free some space and try again (nothing was changed)")
    if "readonly" in text or "read-only" in text:
        return _("{shown} cannot be written (read-only file or folder); relcrm needs to write "
                 "the book and its -wal and -shm files beside it").format(shown=shown)
    if "unable to open" in text:
        if not os.access(shown.parent, os.W_OK):
            return _("cannot open {shown}: its folder {folder} is not writable (relcrm "
                     "keeps its -wal and -shm files beside the book)").format(
                shown=shown, folder=shown.parent)
        if shown.exists() and not os.access(shown, os.R_OK | os.W_OK):
            return _("cannot open {shown}: permission denied (check its owner and mode)").format(
                shown=shown)
        return _("cannot open {shown} ({text})").format(shown=shown, text=text)
    return _("cannot use {shown} ({text})").format(shown=shown, text=text)


def check_book(path: Path, shown: Path | None = None) -> int:
    """Check, without changing a byte, that an existing file is a relcrm book this version can
    use: an SQLite file holding relcrm's tables (or no tables at all) and a schema version no
    newer than ours. Returns its version; raises DatabaseError otherwise."""
    from .migrations import LATEST

    shown = shown or path
    # The file is read through SQLite only, never opened by hand: closing any handle of ours on
    # it would drop every POSIX lock this process holds there (SQLite's included: another
    # process would then checkpoint and delete the -wal under our open connections), and a
    # command may check the book again while it has it open (a sync, the shell).
    if not os.access(path, os.R_OK):
        raise DatabaseError(_("cannot read {shown}: {why}").format(
            shown=shown, why=_why(PermissionError(errno.EACCES, "Permission denied"), path)))
    try:
        con = read_only(path, untouched=True)
        try:
            version = con.execute("PRAGMA user_version").fetchone()[0]
            tables = [r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite%' ORDER BY name")]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise DatabaseError(_("{shown} is not a relcrm book (it is not an SQLite database "
                                  "file); nothing was changed").format(shown=shown)) from None
        raise DatabaseError(describe_error(exc, shown)) from None
    if version > LATEST:
        raise DatabaseError(
            _("{shown} has schema version {version}, newer than this relcrm knows ({latest}); "
              "upgrade relcrm (pip install -U relcrm). The file was not changed.").format(
                shown=shown, version=version, latest=LATEST))
    if version == 0 and tables or version > 0 and not {"_migrations", "prospect"} <= set(tables):
        listed = ", ".join(tables[:5]) + (" ..." if len(tables) > 5 else "")
        raise DatabaseError(_("{shown} is an SQLite database of another program (its tables: "
                              "{listed}), not a relcrm book; nothing was changed").format(
            shown=shown, listed=listed))
    return version


def connect(path: Path | None = None, *, migrate: bool = True,
            create: bool = True) -> sqlite3.Connection:
    """An open sqlite3 connection to the book, created and migrated as needed.

    With create=False (read commands) a book that does not exist yet, or a zero-byte file, is
    not created: the connection is to an empty in-memory book instead, so reading never
    writes. An existing file is checked before anything is set on it (check_book): another
    program's database, or a newer book, is refused with its bytes untouched.
    The connection is in autocommit mode (isolation_level=None): every transaction is begun
    explicitly (migrations, and the SQLModel session's BEGIN IMMEDIATE).
    """
    if path is None and url() is not None:
        from . import pg

        return pg.connect(url())  # type: ignore[return-value]
    shown = path or db_path()
    path = real_path(shown)
    if path.is_dir():
        raise DatabaseError(_("{shown} is a folder, not a database file").format(shown=shown))
    if not create and (not path.exists() or _blank(path)):
        return _empty()
    if path.exists() and not _blank(path):
        check_book(path, shown)
    else:
        _create_private(path)
    _warn_if_shared(path)
    try:
        con = _functions(sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None))
    except sqlite3.Error as exc:
        raise DatabaseError(describe_error(exc, shown)) from None
    try:
        con.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        con.execute("PRAGMA foreign_keys = ON")
        mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise DatabaseError(_("cannot use WAL journaling on {shown} (got {mode})").format(
                shown=shown, mode=mode))
        con.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.Error as exc:
        con.close()
        raise DatabaseError(describe_error(exc, shown)) from None
    con.row_factory = sqlite3.Row
    _open.append(con)
    if migrate:
        from .migrations import upgrade

        upgrade(con, path)
    return con


_warming: list = []


def warm_writes() -> None:
    """Import the write stack (SQLModel, SQLAlchemy, the models, their mappers configured) in
    a background thread, while the seller is typing: the interactive call and the shell start
    it, so that the write they end with does not wait ~0.4 s for it. A second call does
    nothing; an import the main thread needs meanwhile waits for the thread's (the import
    lock), never runs twice."""
    if _warming or "sqlmodel" in sys.modules:
        return
    import threading

    def work() -> None:
        try:
            from sqlalchemy import event  # noqa: F401 - what write_session uses
            from sqlalchemy.orm import configure_mappers
            from sqlalchemy.pool import StaticPool  # noqa: F401

            from . import models  # noqa: F401

            configure_mappers()
        except Exception:  # noqa: BLE001 - the write itself will say what is wrong
            pass

    thread = threading.Thread(target=work, name="relcrm-warm-writes")
    _warming.append(thread)
    thread.start()  # not a daemon: the process waits for it rather than die mid-import


def close_all() -> None:
    """Close every connection this process opened (the last close checkpoints the WAL)."""
    if "relcrm.pg" in sys.modules:
        sys.modules["relcrm.pg"].close_all()
    while _open:
        try:
            _open.pop().close()
        except sqlite3.Error:
            pass


def _empty() -> sqlite3.Connection:
    from .migrations import upgrade

    con = _functions(sqlite3.connect(":memory:", isolation_level=None))
    con.row_factory = sqlite3.Row
    upgrade(con)
    return con


@contextmanager
def write_session(path: Path | None = None, *, journal: bool = True) -> Iterator["Session"]:
    """A SQLModel session in one transaction: committed at the end, rolled back on error.

    With `journal` (every command but undo) the transaction is one change of the journal:
    every row it writes is recorded, so `relcrm undo` can take it back (journal.py)."""
    for thread in _warming:  # the models are being imported (warm_writes): never twice at once
        thread.join()
    from sqlalchemy import event
    from sqlalchemy.pool import StaticPool
    from sqlmodel import Session, create_engine

    if path is None and url() is not None:
        from . import pgwrite

        with pgwrite.write_session(url(), journal=journal) as session:
            yield session
        return
    path = real_path(path or db_path())
    new = not path.exists()
    blank = not new and _blank(path)  # a zero-byte file stays one if this write fails
    con = connect(path)
    engine = create_engine("sqlite://", creator=lambda: con, poolclass=StaticPool)

    @event.listens_for(engine, "begin")
    def _begin(conn):  # take the write lock at once: no deadlock-prone lock upgrades
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    try:
        with Session(engine, expire_on_commit=False) as session:
            with session.begin():
                session.connection()  # BEGIN IMMEDIATE now: the change opens inside it
                if journal:
                    from . import journal as changes

                    changes.begin(con, command)
                yield session
                from .core.derive import settle_session

                settle_session(session)  # derived values follow every fact, before commit
                if journal:
                    changes.end(con)
    except BaseException:
        engine.dispose()
        con.close()
        if new or blank:  # the first write failed: leave no empty book behind
            for suffix in ("-wal", "-shm") if blank else ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            if blank:
                os.truncate(path, 0)
        raise
    engine.dispose()
    con.close()
