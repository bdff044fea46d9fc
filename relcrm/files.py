"""Every file relcrm writes besides the book itself: exports, calendars, cards, backups.

- Everything relcrm writes holds personal data: files are 0600 and the folders it makes 0700,
  whatever the umask.
- A file is written to a hidden temporary beside its target and renamed into place, so a failed
  or killed write never leaves half a file under the name the seller asked for. Each temporary
  is named after the process that makes it (`.NAME.PID.relcrm-tmp`) and registered in the data
  folder first, so one left behind by kill -9 or a power cut is found wherever it is (`doctor`
  lists it) and removed by the next command that writes a file.
- No output may overwrite a book: the book in use, its -wal/-shm/-journal files, its backups,
  or any SQLite database are refused (symlinks are followed before comparing). A device, a FIFO
  or a socket is never unlinked or renamed over: character devices and FIFOs (/dev/null,
  /dev/stdout, a named pipe) are written directly, anything else is refused.
No Typer, no Rich.
"""

from __future__ import annotations

import errno
import os
import stat
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from .errors import UsageError
from .i18n import N_, _, dynamic

TEMP_SUFFIX = ".relcrm-tmp"
SQLITE_HEADER = b"SQLite format 3\x00"


def _registry() -> Path:
    from .db import data_dir

    return data_dir() / "pending"


def temp_name(target: Path) -> Path:
    """The hidden temporary a write to `target` goes through, named after this process."""
    return target.with_name(f".{target.name}.{os.getpid()}{TEMP_SUFFIX}")


@contextmanager
def temporary(target: Path) -> Iterator[Path]:
    """A registered temporary path beside `target`; whatever is left of it (and of its SQLite
    -journal) is removed when the block ends, and so is its registration."""
    from .db import make_private_dirs

    tmp = temp_name(target)
    marker = None
    try:
        folder = _registry()
        make_private_dirs(folder)
        marker = folder / f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as out:
            out.write(str(tmp))
    except OSError:
        marker = None  # no data folder to register in: the name pattern still finds it
    try:
        yield tmp
    finally:
        for path in (tmp, Path(f"{tmp}-journal")):
            try:
                path.unlink()
            except FileNotFoundError:
                pass
        if marker is not None:
            marker.unlink(missing_ok=True)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # another user's process, or not a pid we can ask about: leave it
    return True


def _pid_of_temp(path: Path) -> int | None:
    """The process that made a temporary named by temp_name (its -journal too), or None."""
    name = path.name
    if name.endswith("-journal"):
        name = name[: -len("-journal")]
    if not (name.startswith(".") and name.endswith(TEMP_SUFFIX)):
        return None
    pid = name[: -len(TEMP_SUFFIX)].rsplit(".", 1)[-1]
    return int(pid) if pid.isdigit() else None


def stale_temporaries(folders: list[Path]) -> tuple[list[Path], list[Path]]:
    """Temporaries whose process is gone: (files holding data, registrations to drop).

    Found through the registry (wherever they were written) and by name in `folders`."""
    found: set[Path] = set()
    markers: list[Path] = []
    folder = _registry()
    if folder.is_dir():
        for marker in folder.iterdir():
            pid = marker.name.split("-", 1)[0]
            if not pid.isdigit() or alive(int(pid)):
                continue
            markers.append(marker)
            try:
                tmp = Path(marker.read_text(encoding="utf-8", errors="surrogateescape"))
            except OSError:
                continue
            for path in (tmp, Path(f"{tmp}-journal")):
                if path.is_file() and _pid_of_temp(path) is not None:
                    found.add(path)
    for place in folders:
        if not place.is_dir():
            continue
        for path in place.glob(f".*{TEMP_SUFFIX}*"):
            pid = _pid_of_temp(path)
            if pid is not None and path.is_file() and not alive(pid):
                found.add(path)
    return sorted(found), markers


def remove_stale(folders: list[Path]) -> int:
    """Remove what stale_temporaries finds; returns how many files held data."""
    found, markers = stale_temporaries(folders)
    for path in found + markers:
        try:
            path.unlink()
        except OSError:
            pass
    return len(found)


def is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def book_files(book: Path) -> set[Path]:
    """The book's own files: itself and SQLite's -wal, -shm and -journal beside it."""
    real = Path(os.path.realpath(book))
    return {real} | {Path(f"{real}{suffix}") for suffix in ("-wal", "-shm", "-journal")}


def is_backup_of(path: Path, book: Path) -> bool:
    """A copy relcrm keeps of the book: backups/..., .bak-N, .before-restore-..."""
    real = Path(os.path.realpath(book))
    return (path.parent == real.parent / "backups"
            or path.name.startswith((f"{real.name}.bak-", f"{real.name}.before-restore-")))


_A = {"output": N_("an output"), "export": N_("an export"), "calendar": N_("a calendar")}


def _a(noun: str) -> str:
    if noun in _A:
        return dynamic(_A[noun])
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def check_output(target: Path, book: Path | None = None, *, what: str = "output") -> Path:
    """The real path `target` names, once it is safe to write there; else a UsageError."""
    from .db import db_path, url

    real = Path(os.path.realpath(target))
    if book is None and url() is None:  # on a team database there is no book file to guard
        book = db_path()
    if book is not None and real in book_files(book):
        raise UsageError(_("{target} is the book (or one of its files); relcrm never writes "
                           "{what} over it: give another file").format(target=target,
                                                                       what=_a(what)))
    if book is not None and is_backup_of(real, book):
        raise UsageError(_("{target} is a backup of the book; give another file").format(
            target=target))
    try:
        info = real.stat()
    except FileNotFoundError:
        if not real.parent.is_dir():
            raise UsageError(_("cannot write {target}: folder {folder} does not exist").format(
                target=target, folder=real.parent)) from None
        return real
    except OSError as exc:
        raise UsageError(_("cannot write {target}: {reason}").format(
            target=target, reason=exc.strerror)) from None
    if stat.S_ISDIR(info.st_mode):
        raise UsageError(_("{target} is a folder; give a file name").format(target=target))
    if stat.S_ISBLK(info.st_mode) or stat.S_ISSOCK(info.st_mode):
        raise UsageError(_("{target} is a device or a socket, not a file; give a file "
                           "name").format(target=target))
    if stat.S_ISREG(info.st_mode) and is_sqlite(real):
        raise UsageError(_("{target} is an SQLite database (a book or a backup?); relcrm never "
                           "writes {what} over one: give another file").format(
                               target=target, what=_a(what)))
    return real


def disk_error(exc: OSError, target: Path) -> UsageError:
    """One clear line for a failed write."""
    if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
        return UsageError(_("the disk is full: {target} was not written; free some space and "
                            "try again").format(target=target))
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return UsageError(_("cannot write {target}: permission denied").format(target=target))
    return UsageError(_("cannot write {target}: {reason}").format(
        target=target, reason=exc.strerror or exc))


def write(target: Path, produce: Callable[[Any], Any], *, newline: str | None = "",
          binary: bool = False, book: Path | None = None, what: str = "export") -> Any:
    """Run `produce(stream)` into `target` safely (see the module doc); returns its result."""
    real = check_output(target, book, what=what)
    mode = "wb" if binary else "w"
    encoding = None if binary else "utf-8"
    try:
        if real.exists() and not stat.S_ISREG(real.stat().st_mode):
            # a character device or a FIFO: written in place, never replaced
            with open(real, mode, encoding=encoding, newline=None if binary else newline) \
                    as out:
                return produce(out)
        remove_stale([real.parent])
        with temporary(real) as tmp:
            fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            with os.fdopen(fd, mode, encoding=encoding,
                           newline=None if binary else newline) as out:
                result = produce(out)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, real)
            return result
    except OSError as exc:
        raise disk_error(exc, target) from None


def private_folder(folder: Path, book: Path | None = None) -> Path:
    """A folder to write several files into (export all -o FOLDER), made 0700 if new."""
    from .db import db_path, make_private_dirs, url

    real = Path(os.path.realpath(folder))
    if real.exists() and not real.is_dir():
        raise UsageError(_("{folder} is a file; give a folder").format(folder=folder))
    if book is None and url() is None:  # on a team database there is no book file to guard
        book = db_path()
    if book is not None and real == Path(os.path.realpath(book)).parent / "backups":
        raise UsageError(_("{folder} is the book's backups folder; give another folder").format(
            folder=folder))
    try:
        make_private_dirs(real)
    except OSError as exc:
        raise disk_error(exc, folder) from None
    return real
