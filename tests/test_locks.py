"""A command that opens the book twice in one process (a sync: its read, its incoming write, its
record of what was sent) keeps SQLite's locks on it. The book was once checked by opening the
file by hand: closing that handle dropped every POSIX lock the process held on the file, so
another relcrm process closing its connection took itself for the last one, checkpointed and
deleted the -wal under the open connections, and their later commits were lost (found by a
review of relcrm sync: 'database disk image is malformed', records of a sync gone)."""

import os
import subprocess
import sys

from relcrm import db


def test_a_second_connection_keeps_the_first_ones_locks(tmp_path):
    path = tmp_path / "book.db"
    env = {**os.environ, "RELCRM_DB": str(path), "RELCRM_TODAY": "2026-11-25"}
    subprocess.run([sys.executable, "-m", "relcrm", "add", "An", "-q"], env=env, check=True,
                   capture_output=True)
    first = db.connect(path, create=False)
    first.execute("SELECT count(*) FROM prospect").fetchone()  # it holds its locks now
    second = db.connect(path, create=False)  # checks the book again while `first` is open
    for name in ("Bình", "Cường"):
        second.execute("BEGIN IMMEDIATE")
        second.execute("INSERT INTO setting (key, value) VALUES (?, 'x')", (f"test.{name}",))
        second.execute("COMMIT")
        # another relcrm process opens and closes the book: it must not take itself for the
        # last one (and checkpoint and delete the -wal our connections write into)
        subprocess.run([sys.executable, "-m", "relcrm", "list", "-f", "tsv"], env=env,
                       check=True, capture_output=True)
        assert os.path.exists(f"{path}-wal"), "another process deleted the -wal under us"
    first.close()
    second.close()
    for con in db._open:
        try:
            con.close()
        except Exception:  # noqa: BLE001 - closed already
            pass
    import sqlite3

    check = sqlite3.connect(path)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert {r[0] for r in check.execute("SELECT key FROM setting WHERE key LIKE 'test.%'")} == {
        "test.Bình", "test.Cường"}
