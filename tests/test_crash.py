"""Crash and concurrency safety, through the installed entry point (slow: about a minute).

- kill -9 in the middle of a large import, 20 times at random points: the book always passes
  integrity_check and holds either all of the import or none of it;
- two and four processes logging 200 touches each at once: every touch is there and no
  "database is locked" reaches anyone.
Figures are printed (pytest -s) for the record.
"""

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from relcrm.core import derive
from test_entrypoint import _relcrm

pytestmark = pytest.mark.slow
ENV = {**os.environ, "RELCRM_TODAY": "2026-11-25"}


def _check(book: Path) -> int:
    """integrity_check and foreign_key_check pass; returns the number of prospects."""
    con = sqlite3.connect(book)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        return con.execute("SELECT count(*) FROM prospect").fetchone()[0]
    finally:
        con.close()


def test_kill_9_during_a_large_import_leaves_all_or_nothing(tmp_path):
    rows = 20_000
    csv_path = tmp_path / "Connections.csv"
    csv_path.write_text(
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        + "".join(f"P{i},Trần,https://linkedin.com/in/p{i},p{i}@x.vn,Co {i % 97},Buyer,"
                  f"01 Jan 2024\n" for i in range(rows)), encoding="utf-8")
    template = tmp_path / "template.db"
    for name in ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"):
        subprocess.run([*_relcrm(), "--db", str(template), "add", name], env=ENV, check=True,
                       capture_output=True)
    base = _check(template)
    started = time.perf_counter()
    probe = tmp_path / "probe.db"
    shutil.copy(template, probe)
    subprocess.run([*_relcrm(), "--db", str(probe), "import", str(csv_path)], env=ENV,
                   check=True, capture_output=True)
    full = time.perf_counter() - started
    assert _check(probe) == base + rows

    rng = random.Random(4)
    outcomes = {"none": 0, "all": 0, "killed": 0, "mid-write": 0}
    for run in range(20):
        book = tmp_path / f"kill{run}.db"
        shutil.copy(template, book)
        process = subprocess.Popen([*_relcrm(), "--db", str(book), "import", str(csv_path)],
                                   env=ENV, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        # from reading the file to after the commit, a little random around a spread of points
        time.sleep(full * (0.25 + 0.85 * run / 19) * rng.uniform(0.95, 1.05))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            outcomes["killed"] += 1
        process.wait()
        wal = Path(f"{book}-wal")
        if process.returncode == -signal.SIGKILL and wal.exists() and wal.stat().st_size:
            outcomes["mid-write"] += 1  # killed with pages of the transaction in the log
        count = _check(book)
        assert count in (base, base + rows), f"run {run}: {count} prospects, a partial import"
        outcomes["all" if count == base + rows else "none"] += 1
        listed = subprocess.run([*_relcrm(), "--db", str(book), "list", "-f", "csv", "-l", "0"],
                                env=ENV, capture_output=True, text=True)
        assert listed.returncode == 0 and listed.stdout.count("\n") == count + 1
    print(f"\nkill -9 during import of {rows:,} rows (full import {full:.1f} s): 20 runs, "
          f"{outcomes['killed']} killed mid-run ({outcomes['mid-write']} while writing); books "
          f"with none of it {outcomes['none']}, with all of it {outcomes['all']}; all passed "
          "integrity_check")
    assert outcomes["killed"] >= 10, "most kills must land while the import runs"
    assert outcomes["mid-write"] >= 1, "some kills must land inside the write transaction"


WORKER = """
import sys
from relcrm.cli import main
book, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
failures = 0
for i in range(count):
    sys.argv = ["relcrm", "--db", book, "log", "1", "email", f"{name}-{i}"]
    try:
        main()
    except SystemExit as exit:
        failures += bool(exit.code)
print(f"{name} failures={failures}", file=sys.stderr)
"""


@pytest.mark.parametrize("workers", [2, 4])
def test_concurrent_writers_lose_nothing(tmp_path, workers):
    book = tmp_path / "book.db"
    subprocess.run([*_relcrm(), "--db", str(book), "add", "Nguyễn Văn An"], env=ENV, check=True,
                   capture_output=True)
    started = time.perf_counter()
    processes = [subprocess.Popen([sys.executable, "-c", WORKER, str(book), f"w{n}", "200"],
                                  env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  text=True) for n in range(workers)]
    errors = [p.communicate(timeout=600)[1] for p in processes]
    seconds = time.perf_counter() - started
    for err in errors:
        assert "locked" not in err and "busy" not in err and "Traceback" not in err, err
        assert err.strip().endswith("failures=0"), err
    con = sqlite3.connect(book)
    assert con.execute("SELECT count(*) FROM touch").fetchone()[0] == 200 * workers
    for n in range(workers):
        assert con.execute("SELECT count(*) FROM touch WHERE summary LIKE ?",
                           (f"w{n}-%",)).fetchone()[0] == 200
    seqs = [r[0] for r in con.execute("SELECT seq FROM touch ORDER BY seq")]
    assert seqs == list(range(2, 200 * workers + 2)), "every touch got its own place in order"
    stored = con.execute("SELECT last_touch_at, due_on FROM prospect").fetchone()
    derive.refresh_all(con)
    assert con.execute("SELECT last_touch_at, due_on FROM prospect").fetchone() == stored
    con.close()
    _check(book)
    print(f"\n{workers} processes x 200 touches at once: {200 * workers} kept, 0 errors, "
          f"{seconds:.1f} s")
