#!/usr/bin/env python3
"""Build large books and time relcrm as a seller runs it, and side by side with Taskwarrior.

    python bench/bench.py                      # 10,000 / 200,000 and 100,000 / 2,000,000
    python bench/bench.py --sizes 10000:200000 --runs 9
    python bench/bench.py --no-taskwarrior     # relcrm alone

For each size (prospects : touches) it builds a book with bulk inserts (one transaction,
executemany; derived columns and the search index rebuilt with the code the program uses; many
touches and some people carry notes in Vietnamese, for `relcrm search`), then times whole
processes of the installed `relcrm` (median of --runs), and, inside one process, the follow-ups
query plus its table rendering alone. Results are printed as a Markdown table with the targets
from the issue. Timings are of this machine; nothing here is asserted by the test suite.

Team mode. With --postgres, each size of at most 10,000 prospects is also moved into a team
database on a throwaway PostgreSQL cluster (tests/pg_server.py: initdb from the Debian package,
127.0.0.1, a free port) as one seller's (`team import-book`, timed), and followups, list, show
and `list -f csv` are timed as that seller against the same commands on the SQLite book: wall
time (the server's work is in another process), median of interleaved runs, the issue's target
being at most 1.5x. `import psycopg` alone is timed beside them: the floor of any command on a
team database.

Taskwarrior. When `task` is on PATH (Debian/Ubuntu: `apt-get install taskwarrior`; 2.6 was
measured), or with --taskwarrior, each size also gets a Taskwarrior store of as many tasks, in
a temporary folder with its own taskrc (TASKRC, TASKDATA; confirmation and hooks off, gc on as
by default), built with one `task import` of generated JSON: one task per prospect, described
"follow up NAME", in a project named after the prospect's company (so an account is a
project), with the prospect's tags, a due date for 60% (two weeks ago to three weeks ahead:
some overdue), a priority for 20%, 2-5 annotations each (a history, as the book's 20 touches a
person; texts from the touch summaries) and 20% completed. Then the CPU time (user + system,
from os.wait4, not wall time) of relcrm and of Taskwarrior's nearest command is measured,
median of max(9, --runs) interleaved runs (relcrm, task, relcrm, ...) after a warm-up run of
each that must exit 0 and print something (else the pair is reported FAILED):

    relcrm followups                    task next
    relcrm list (100 rows by default)   task list limit:100
    relcrm show NAME                    task ID info
    relcrm account show ACCOUNT         task project.is:X list  (the key account with the most
                                        people; X: its company as a project)
    relcrm export prospects             task export
    relcrm stage list                   task projects
    relcrm review                       task summary
    relcrm --help                       task help
    relcrm TAB completion ("fol")       task _commands
    relcrm log ID email bench           task ID annotate "email bench"
    relcrm add NAME --allow-duplicate   task add NAME project:bench_co

The writes run on copies of the book and of the store made before them (both grow by one
record a run). A second table gives both medians, the ratio relcrm/Taskwarrior and the issue's
targets: reads below 1.0 on the 10,000 book (and export at every size), relcrm's reads growing
at most 1.2x from the first size to the last (export: linear), --help and completion at most
1.3x `python -c "import typer"`, writes at most `python -c "import relcrm.models"` (what
db.write_session brings in: sqlmodel, sqlalchemy) + 30 ms; those baselines are printed below it.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import io
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from relcrm import db, identity, migrations  # noqa: E402
from relcrm.core import derive, search  # noqa: E402
from relcrm.methodology import BUYING_STAGES, LOST_REASONS, STAGES, STEP_KINDS  # noqa: E402
from relcrm.text import fold  # noqa: E402

TODAY = dt.date(2026, 11, 25)
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
            "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Smith", "Johnson", "Tanaka", "Kim"]
MIDDLE = ["Văn", "Thị", "Minh", "Quốc", "Thanh", "Hoàng", "Ngọc", "Đức", "Thu", "Hữu"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hải", "Lan", "Mai", "Nam", "Phong",
         "Quân", "Sơn", "Trang", "Tuấn", "Vy", "Yến", "Anh", "Hà", "Linh", "Khoa"]
COMPANY = ["Minh Phát", "Hòa Bình", "Sài Gòn Tech", "Mekong Foods", "Đông Á", "Hải Đăng",
           "Cường Phát", "Pacific", "Vina Steel", "An Khang", "Phú Mỹ", "Thành Công"]
KINDS = ["call", "meeting", "email", "message", "visit", "email", "call", "note"]
OUTCOMES = ["advance", "continuation", "continuation", "order", "no-sale"]
# what a seller writes after a touch, and about a person: one or two of these, for search
SUMMARIES = ["gửi báo giá màng co", "giao hàng trễ hai ngày", "khách hàng phàn nàn về chất lượng",
             "hẹn gặp ở kho Bình Dương", "khách phàn nàn hàng bị đổ khi vận chuyển",
             "giao hàng đủ, khách hài lòng", "đặt thêm 500 cuộn băng keo",
             "khách hàng muốn giảm giá", "chưa có ngân sách quý này", "gặp giám đốc mua hàng",
             "gửi mẫu túi zip", "nhắc thanh toán công nợ", "khách hàng đổi nhà cung cấp",
             "hỏi lịch giao hàng tháng sau", "tặng quà Tết", "khách bận, gọi lại tuần sau",
             "demo máy đóng gói", "thảo luận hợp đồng năm", "kiểm tra hàng tồn kho",
             "khách hỏi chứng nhận ISO"]
PROFILE_NOTES = ["thích uống trà sen", "quyết định nhanh, cần số liệu", "hay đi công tác Hà Nội",
                 "người giới thiệu: anh Hùng", "khách hàng lâu năm, nhạy cảm về giá",
                 "con gái học lớp một", "không nghe máy buổi trưa", "thích đánh golf"]


def iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def recent(rng: random.Random, first: dt.datetime, last: dt.datetime,
           weight: float = 2) -> dt.datetime:
    """A moment between first and last, denser towards last: the density grows as
    x ** (weight - 1) (weight 1: uniform; 2: twice the average at the end, none at the
    start)."""
    seconds = max(int((last - first).total_seconds()), 1)
    return first + dt.timedelta(seconds=int(seconds * rng.random() ** (1 / weight)))


def build(path: Path, n_prospects: int, n_touches: int,
          seed: int = 7) -> tuple[float, float]:
    """A book of n_prospects and n_touches at `path`; returns the seconds it took, and those
    of the search index alone (part of them).

    Dates run over the three years before TODAY, denser in the last months (so a week's or a
    month's review has work to count): people added, their touches, deals opened and closed.
    About 60% of people have one deal at their account (20% of the deals won, 10% lost), 20%
    an open step (some overdue), 15% a done step; orders carry an amount in VND; some calls
    record an explicit need. 60% of touches have a summary of one or two SUMMARIES (the others
    "bench touch"), 10% of people a profile note. Derived columns are rebuilt by
    derive.refresh_all, the search index by search.rebuild (the triggers' marks are dropped)."""
    rng = random.Random(seed)
    words = random.Random(seed + 1)  # the notes: the rest of the book as without them

    def summary() -> str:
        first = words.choice(SUMMARIES)
        return first if words.random() < 0.7 else f"{first}; {words.choice(SUMMARIES)}"

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    con = db.connect(path)
    con.execute("PRAGMA synchronous = OFF")
    now = dt.datetime.combine(TODAY, dt.time(8))
    start = dt.datetime.combine(TODAY, dt.time(9)) - dt.timedelta(days=3 * 365)
    prospects, contacts, stage_rows, tags, quals = [], [], [], [], []
    steps, step_changes = [], []
    created_at, names = {}, {}

    def step(pid: int, due: dt.datetime, created: dt.datetime,
             closed: dt.datetime | None) -> None:
        sid = len(steps) + 1
        what = rng.choice(STEP_KINDS)
        due_at = iso(due) if what in ("meeting", "visit", "demo") else due.date().isoformat()
        steps.append((sid, pid, what, f"bench {what}", due_at, "done" if closed else "open",
                      iso(created), iso(closed) if closed else None,
                      f"{rng.getrandbits(128):032x}"))
        step_changes.append((sid, iso(created), "added", None, due_at))
        if closed:
            step_changes.append((sid, iso(closed), "done", due_at, None))

    for pid in range(1, n_prospects + 1):
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)} {pid}"
        company = f"{rng.choice(COMPANY)} {rng.randint(1, n_prospects // 20 + 1)}"
        created = recent(rng, start, now)
        created_at[pid], names[pid] = created, name
        stage = rng.choice(STAGES).key if rng.random() > 0.05 else "lost"
        email = f"p{pid}@example.com"
        stamp = iso(created)
        note = words.choice(PROFILE_NOTES) if words.random() < 0.1 else None
        prospects.append((pid, name, fold(name), company, fold(company), "Buyer", email,
                          None, "bench", note, stamp, stamp, None, None,
                          None, "attract", stamp, 0, fold(f"{name} | {company} | {email}")))
        contacts.append((pid, "email", email, identity.email_key(email), 1))
        stage_rows.append((pid, stamp, None, "attract", "added", 1))
        if stage != "attract":
            moved = created + dt.timedelta(days=rng.randint(1, 30))
            if moved < now:  # else not yet
                stage_rows.append((pid, iso(moved), "attract", stage, "bench", 2))
        if rng.random() < 0.3:
            tags.append((pid, rng.choice(["vip", "hcm", "hanoi", "event", "referral"])))
        if rng.random() < 0.4:
            for key in ("need", "budget", "authority"):
                level = rng.choice(["yes", "yes", "partial", "unknown"]) \
                    if rng.random() > 0.04 else "no"
                quals.append((pid, stamp, key, level, None, 3))
        if rng.random() < 0.2:  # an open step, due from two weeks ago to three weeks ahead
            due = dt.datetime.combine(TODAY + dt.timedelta(days=rng.randint(-14, 21)),
                                      dt.time(rng.choice([9, 10, 14, 16])))
            made = max(created, min(now, due - dt.timedelta(days=rng.randint(1, 14))))
            step(pid, due, made, None)
        if rng.random() < 0.15:  # a done step, some done late
            made = recent(rng, created, now)
            due = min(made + dt.timedelta(days=rng.randint(1, 14)),
                      now - dt.timedelta(days=1))
            step(pid, max(due, made), made,
                 min(max(due, made) + dt.timedelta(days=rng.randint(-1, 4)), now))
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO prospect (id, name, name_key, company, company_key, title, email, phone, "
        "source, note, created_at, updated_at, next_at, next_step, next_set_at, stage, "
        "stage_since, continuations, search_key) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", prospects)
    con.executemany("INSERT INTO contact (prospect_id, kind, value, key, position) "
                    "VALUES (?, ?, ?, ?, ?)", contacts)
    con.executemany("INSERT INTO stage_change (prospect_id, at, from_stage, to_stage, reason, "
                    "seq) VALUES (?, ?, ?, ?, ?, ?)", stage_rows)
    con.executemany("INSERT INTO tag (prospect_id, name) VALUES (?, ?)", tags)
    con.executemany("INSERT INTO qualification (prospect_id, at, criterion, level, note, seq) "
                    "VALUES (?, ?, ?, ?, ?, ?)", quals)
    con.executemany("INSERT INTO step (id, prospect_id, kind, text, due_at, status, "
                    "created_at, closed_at, uid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", steps)
    con.executemany("INSERT INTO step_change (step_id, at, action, from_due, to_due) "
                    "VALUES (?, ?, ?, ?, ?)", step_changes)
    del prospects, contacts, stage_rows, tags, quals
    steps.clear()
    step_changes.clear()
    notes = []

    # a touch's time first (denser in the last months), then someone added before it
    by_created = sorted(created_at, key=created_at.__getitem__)
    created_times = [created_at[pid] for pid in by_created]

    def touches():
        for tid in range(1, n_touches + 1):
            at = recent(rng, created_times[0], now)
            pid = by_created[rng.randrange(max(bisect.bisect(created_times, at), 1))]
            kind = rng.choice(KINDS)
            outcome = rng.choice(OUTCOMES) if kind == "call" and rng.random() < 0.5 else None
            if outcome is not None and rng.random() < 0.4:
                notes.append((tid, "explicit_need", 1, "bench: they want it cheaper"))
            amount = 1_000_000_000 * (tid % 97 + 1) if outcome == "order" else None
            text = summary() if words.random() < 0.6 else "bench touch"
            yield (tid, pid, kind, iso(at), text, None, outcome,
                   "next meeting" if outcome in ("advance", "order") else None, None, iso(at),
                   tid + 3, amount, "VND" if amount else None)

    con.executemany("INSERT INTO touch (id, prospect_id, kind, at, summary, minutes, outcome, "
                    "commitment, next_at, created_at, seq, amount_milli, amount_currency) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", touches())
    con.executemany("INSERT INTO call_note (touch_id, kind, position, text) "
                    "VALUES (?, ?, ?, ?)", notes)
    notes.clear()
    # accounts from the companies with the SQL of migration 2 (a released migration never
    # changes), 2% of them key, a decider in every seventh prospect
    for statement in migrations.M0002_ACCOUNTS.split(";"):
        if ("INSERT INTO account (" in statement
                or "UPDATE prospect SET account_id" in statement):
            con.execute(statement)
    accounts = [r[0] for r in con.execute("SELECT id FROM account")]
    key = accounts[::50]
    con.executemany("UPDATE account SET is_key = 1 WHERE id = ?", [(a,) for a in key])
    con.executemany("INSERT INTO kam_change (account_id, at, from_stage, to_stage, reason, seq) "
                    "VALUES (?, ?, NULL, ?, 'bench', 1)",
                    [(a, iso(start), rng.choice(["pre", "early", "mid", "partnership"]))
                     for a in key])
    con.execute("INSERT INTO prospect_role (prospect_id, role) SELECT id, 'decider' FROM "
                "prospect WHERE id % 7 = 0 AND account_id IS NOT NULL")
    # deals: one for ~60% of people, with them at their account; 20% won, 10% lost
    deals, people, changes = [], [], []
    stages = [s.key for s in BUYING_STAGES]
    reasons = [r.key for r in LOST_REASONS]
    for pid, account_id in con.execute("SELECT id, account_id FROM prospect ORDER BY id"):
        if rng.random() >= 0.6:
            continue
        did = len(deals) + 1
        opened = created_at[pid] + dt.timedelta(days=rng.expovariate(1 / 30))
        if opened > now:  # not yet
            continue
        stage = rng.choice(stages)
        milli = rng.randint(1, 500) * 1_000_000_000
        luck = rng.random()
        status = "won" if luck < 0.2 else "lost" if luck < 0.3 else "open"
        closed = None
        if status != "open":  # some weeks after it opened (still open if that is ahead)
            closed = opened + dt.timedelta(days=rng.expovariate(1 / 60), hours=1)
            if closed > now:
                status, closed = "open", None
        won = milli if status == "won" else None
        reason = rng.choice(reasons) if status == "lost" else None
        deals.append((did, account_id, f"Deal {did} with {names[pid]}", stage, status, milli,
                      "VND", won, "VND" if won else None, reason, iso(closed) if closed else None,
                      iso(opened), iso(closed or opened)))
        people.append((did, pid))
        changes.append((did, iso(opened), "opened", None, stage, None, milli, "VND"))
        if status == "won":
            changes.append((did, iso(closed), "won", stage, None, None, won, "VND"))
        elif status == "lost":
            changes.append((did, iso(closed), "lost", stage, None, reason, None, None))
    con.executemany("INSERT INTO deal (id, account_id, title, stage, status, value_milli, "
                    "currency, won_milli, won_currency, lost_reason, closed_at, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", deals)
    con.executemany("INSERT INTO deal_person (deal_id, prospect_id) VALUES (?, ?)", people)
    con.executemany("INSERT INTO deal_change (deal_id, at, action, from_stage, to_stage, "
                    "reason, amount_milli, currency) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", changes)
    del deals, people, changes
    derive.refresh_all(con)  # empties _dirty: the notes the triggers marked too
    indexed = time.perf_counter()
    search.rebuild(con)
    indexed = time.perf_counter() - indexed
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return time.perf_counter() - started, indexed


def timed(cmd: list[str], env: dict, runs: int) -> tuple[float, int]:
    """Median wall time in ms of a whole process, and its exit code."""
    times, code = [], 0
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # warm
    for _ in range(runs):
        started = time.perf_counter()
        code = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), code


def wall_interleaved(pairs: list[tuple[list[str], dict]], runs: int) -> list[float]:
    """Median wall ms of each command, run in turn (a, b, a, b ...) after a warm-up that must
    exit 0."""
    times: list[list[float]] = [[] for _ in pairs]
    for cmd, env in pairs:
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True)
    for _ in range(runs):
        for index, (cmd, env) in enumerate(pairs):
            started = time.perf_counter()
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[index].append((time.perf_counter() - started) * 1000)
    return [statistics.median(t) for t in times]


def versus_postgres(relcrm: str, env: dict, book: Path, name: str, label: str,
                    runs: int) -> None:
    """The book as one seller's in a team database on a throwaway cluster, timed beside the
    SQLite book (see the module doc)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from pg_server import Postgres

    runs = max(runs, 9)
    with Postgres() as server:
        admin = {**env, "RELCRM_DB": server.url()}
        subprocess.run([relcrm, "team", "init", server.url()], env=admin, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([relcrm, "team", "add-seller", "seller"], env=admin, check=True,
                       stdout=subprocess.DEVNULL)
        started = time.perf_counter()
        subprocess.run([relcrm, "team", "import-book", str(book), "--seller", "seller"],
                       env=admin, check=True, stdout=subprocess.DEVNULL)
        moved = time.perf_counter() - started
        print(f"| {label} | `team import-book` (every record, ids remapped, COPY) | "
              f"{moved:.1f} s | — |")
        seller = {**env, "RELCRM_DB": server.url("seller")}
        floor = wall_interleaved([([sys.executable, "-c", "import psycopg"], env)], runs)[0]
        print(f"| {label} | `python -c \"import psycopg\"` (team mode's floor) | {floor:.0f} ms "
              f"| — |")
        for what, argv in (("followups", ["followups"]), ("list", ["list"]),
                           ("show NAME", ["show", name]), ("list -f csv", ["list", "-f", "csv"]),
                           ("review", ["review"]), ("search NAME", ["search", name]),
                           ("log NAME email (a write)", ["log", name, "email", "bench"])):
            solo, team = wall_interleaved([([relcrm, *argv], env), ([relcrm, *argv], seller)],
                                          runs)
            ratio = team / solo
            print(f"| {label} | `relcrm {what}` on PostgreSQL (SQLite {solo:.0f} ms) | "
                  f"{team:.0f} ms | <= 1.5x: {ratio:.2f}x {'ok' if ratio <= 1.5 else 'MISSED'} |")


def in_process(path: Path, runs: int) -> tuple[float, float, int]:
    """Median ms of the follow-ups query, and of query plus table rendering, in one process."""
    from relcrm import render
    from relcrm.cli import followups as cli_followups
    from relcrm.core import followups

    os.environ["RELCRM_TODAY"] = TODAY.isoformat()
    db.select(path)
    query, whole, count = [], [], 0
    real_stdout = sys.stdout
    for _ in range(runs):
        con = db.connect(path, create=False)
        started = time.perf_counter()
        due = followups.due(con, limit=50)
        query.append((time.perf_counter() - started) * 1000)
        con.close()
        count = due.total
        sys.stdout = io.StringIO()
        try:
            started = time.perf_counter()
            cli_followups.followups(days=None, all_=False, limit=None, format_="table")
            whole.append((time.perf_counter() - started) * 1000)
        finally:
            sys.stdout = real_stdout
    del render
    return statistics.median(query), statistics.median(whole), count


def linkedin_file(path: Path, rows: int) -> Path:
    """A LinkedIn Connections.csv of `rows` connections, notes above the header as in the real
    export."""
    rng = random.Random(11)
    lines = ["Notes:", '"When exporting your connection data, you may notice that some of the '
             'email addresses are missing."', "",
             "First Name,Last Name,URL,Email Address,Company,Position,Connected On"]
    for i in range(rows):
        given, family = rng.choice(GIVEN), rng.choice(SURNAMES)
        lines.append(f"{rng.choice(MIDDLE)} {given},{family},https://www.linkedin.com/in/p{i},"
                     f"p{i}@example.com,{rng.choice(COMPANY)} {i % 300},Buyer,"
                     f"{rng.randint(1, 28):02d} Mar 20{rng.randint(10, 25)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---- side by side with Taskwarrior (CPU time, not wall time) ----

TASK_RC = """# relcrm bench: a store of its own, nothing asked on the terminal
data.location={data}
confirmation=off
hooks=off
news.version=2.6.0
# the default verbosity, less the lines about rc. overrides and sync
verbose=affected,blank,context,edit,header,footnote,label,new-id,project,special,recur
"""
# (news.version=2.6.0: 2.6.2 nags on stderr about `task news` unless it says 2.6.0)
# gc is left at its default (on), as a user has it: a read command moves finished tasks out of
# pending.data, but `task import` puts them in completed.data already, so after the warm-up run
# it has nothing to do and the ids stay stable (writes only add pending tasks).


def taskwarrior_store(folder: Path, book: Path,
                      seed: int = 3) -> tuple[dict, dict[int, int], float]:
    """A Taskwarrior store in `folder` (its own .taskrc and data) holding one task per prospect
    of `book`, built with one `task import`; returns the environment to run `task` in, the
    task id of each prospect whose task is pending, and the seconds the import took. Dates are
    around the real today (Taskwarrior has no clock of its own to set)."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)

    def stamp(moment: dt.datetime) -> str:
        return moment.strftime("%Y%m%dT%H%M%SZ")

    con = sqlite3.connect(book)
    tags = dict(con.execute("SELECT prospect_id, group_concat(name) FROM tag "
                            "GROUP BY prospect_id"))
    tasks, ids = [], {}
    for pid, name, company in con.execute("SELECT id, name, company FROM prospect ORDER BY id"):
        entry = now - dt.timedelta(days=rng.randint(30, 3 * 365), seconds=rng.randint(0, 86399))
        task = {"uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "description": f"follow up {name}",
                "entry": stamp(entry), "modified": stamp(entry),
                "project": fold(company or "none").replace(" ", "_"), "status": "pending"}
        if pid in tags:
            task["tags"] = tags[pid].split(",")
        if rng.random() < 0.6:  # due from two weeks ago to three weeks ahead: some overdue
            task["due"] = stamp(now + dt.timedelta(days=rng.randint(-14, 21)))
        if rng.random() < 0.2:
            task["priority"] = rng.choice("HML")
        annotations = []
        for _ in range(rng.randint(2, 5)):  # its history, as a prospect's touches
            at = recent(rng, entry, now - dt.timedelta(days=1))
            annotations.append({"entry": stamp(at), "description": rng.choice(SUMMARIES)})
        task["annotations"] = sorted(annotations, key=lambda a: a["entry"])
        if rng.random() < 0.2:
            task["status"] = "completed"
            task["end"] = task["modified"] = annotations[-1]["entry"]
        else:
            ids[pid] = len(ids) + 1  # pending tasks are numbered in the order imported
        tasks.append(task)
    con.close()
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "data").mkdir(parents=True)
    (folder / "taskrc").write_text(TASK_RC.format(data=folder / "data"), encoding="utf-8")
    (folder / "tasks.json").write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "TASKRC": str(folder / "taskrc"), "TASKDATA": str(folder / "data")}
    started = time.perf_counter()
    done = subprocess.run(["task", "import", str(folder / "tasks.json")], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"task import failed (exit {done.returncode}): {done.stderr[-500:]}")
    (folder / "tasks.json").unlink()
    return env, ids, time.perf_counter() - started


def cpu_ms(cmd: list[str], env: dict) -> float:
    """CPU time (user + system) in ms of one whole process, from its rusage."""
    child = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return (usage.ru_utime + usage.ru_stime) * 1000


def check(cmd: list[str], env: dict) -> str | None:
    """Run once (the warm-up): None when it exits 0 and prints something, else why not."""
    done = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True)
    if done.returncode != 0:
        return f"exit {done.returncode}: {done.stderr.decode(errors='replace').strip()[:120]}"
    if not done.stdout.strip():
        return "printed nothing"
    return None


def cpu_median(cmd: list[str], env: dict, runs: int) -> float:
    check(cmd, env)
    return statistics.median(cpu_ms(cmd, env) for _ in range(runs))


def side_by_side(pairs: list, runs: int) -> list[tuple]:
    """For each (what, relcrm cmd, env, task what, task cmd, env): a warm-up run of each that
    must exit 0 and print something, then `runs` interleaved runs (relcrm, task, relcrm, ...).
    Returns (what, task what, relcrm median ms, task median ms, failure or None)."""
    results = []
    for what, mine, my_env, theirs_what, theirs, their_env in pairs:
        failed = [f"{side}: {why}" for side, why in (("relcrm", check(mine, my_env)),
                                                     ("task", check(theirs, their_env))) if why]
        if failed:
            results.append((what, theirs_what, None, None, "; ".join(failed)))
            continue
        a, b = [], []
        for _ in range(runs):
            a.append(cpu_ms(mine, my_env))
            b.append(cpu_ms(theirs, their_env))
        results.append((what, theirs_what, statistics.median(a), statistics.median(b), None))
        print(f"  {what}: {results[-1][2]:.0f} ms vs {theirs_what}: {results[-1][3]:.0f} ms",
              file=sys.stderr)
    return results


READS = ("followups", "list", "show NAME", "account show ACCOUNT", "export prospects",
         "stage list", "review")


def versus_taskwarrior(relcrm: str, env: dict, book: Path, folder: Path, name: str, n_p: int,
                       runs: int) -> tuple[list[tuple], float]:
    """The pairs of one size: reads on the book and a Taskwarrior store of as many tasks, then
    --help and TAB completion, then writes on copies of both made here."""
    con = sqlite3.connect(book)
    account_id, account = con.execute(  # the key account with the most people
        "SELECT a.id, a.name FROM account a JOIN prospect p ON p.account_id = a.id "
        "WHERE a.is_key GROUP BY a.id ORDER BY count(*) DESC, a.id LIMIT 1").fetchone()
    con.close()
    task_env, ids, seconds = taskwarrior_store(folder, book)
    shown = ids.get(n_p // 2) or ids[min(ids, key=lambda pid: abs(pid - n_p // 2))]
    project = fold(account).replace(" ", "_")
    task = shutil.which("task") or "task"
    completion = {**env, "_RELCRM_COMPLETE": "complete_bash", "COMP_WORDS": "relcrm fol",
                  "COMP_CWORD": "1"}
    pairs = [
        ("followups", [relcrm, "followups"], env, "task next", [task, "next"], task_env),
        ("list", [relcrm, "list"], env,  # relcrm list shows 100 rows in a table by default
         "task list limit:100", [task, "list", "limit:100"], task_env),
        ("show NAME", [relcrm, "show", name], env,
         "task ID info", [task, str(shown), "info"], task_env),
        # an account's page gathers its people, their steps and touches: the tasks of one
        # project (the same company, as many tasks as it has people) is the nearest; one
        # task's info would be `show` (project.is: project:X also takes X1, X2, ...)
        ("account show ACCOUNT", [relcrm, "account", "show", str(account_id)], env,
         "task project.is:X list", [task, f"project.is:{project}", "list"], task_env),
        ("export prospects", [relcrm, "export", "prospects"], env,
         "task export", [task, "export"], task_env),
        ("stage list", [relcrm, "stage", "list"], env,
         "task projects", [task, "projects"], task_env),
        # counts over the whole book by group; burndown is a chart of the same counts
        ("review", [relcrm, "review"], env, "task summary", [task, "summary"], task_env),
        ("--help", [relcrm, "--help"], env, "task help", [task, "help"], task_env),
        ("TAB completion", [relcrm], completion,
         "task _commands", [task, "_commands"], task_env),
    ]
    rows = side_by_side(pairs, runs)
    # writes, on copies made once: each side grows by one touch/annotation or person per run
    copy = book.with_name(f"write-{book.name}")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    source, target = sqlite3.connect(book), sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    shutil.copytree(folder / "data", folder / "data-write", dirs_exist_ok=True)
    write_env = {**env, "RELCRM_DB": str(copy)}
    task_write = {**task_env, "TASKDATA": str(folder / "data-write")}
    rows += side_by_side([
        # logging a touch adds to a prospect's history as an annotation adds to a task's
        ("log ID email bench", [relcrm, "log", str(n_p // 3), "email", "bench"], write_env,
         "task ID annotate", [task, str(shown), "annotate", "email bench"], task_write),
        ("add NAME --allow-duplicate", [relcrm, "add", "Bench Person", "--company", "Bench Co",
                                        "--allow-duplicate"], write_env,
         "task add", [task, "add", "Bench Person", "project:bench_co"], task_write),
    ], runs)
    return rows, seconds


def report_versus(compared: list, stores: list[str], baselines: dict[str, float],
                  runs: int) -> None:
    """The second table: CPU time of relcrm and of Taskwarrior's nearest command, the growth
    of relcrm's reads from the first size to the last, and the baselines."""
    typer_ms, models_ms = baselines["import typer"], baselines["import relcrm.models"]
    print(f"\nCPU time (user + system) of whole processes, relcrm vs Taskwarrior "
          f"({subprocess.run(['task', '--version'], capture_output=True, text=True).stdout.strip()}"
          f"), medians of {runs} interleaved runs after a warm-up of each; Taskwarrior stores: "
          f"{'; '.join(stores)} (gc on, as by default)\n")
    print("| size | relcrm | Taskwarrior | relcrm CPU ms | task CPU ms | ratio | target |")
    print("|---|---|---|---|---|---|---|")
    for label, small, rows in compared:
        for what, theirs, mine_ms, their_ms, failed in rows:
            if failed:
                print(f"| {label} | `{what}` | `{theirs}` | — | — | — | FAILED: {failed} |")
                continue
            ratio = mine_ms / their_ms if their_ms else float("inf")
            if what in ("--help", "TAB completion"):
                limit, goal = 1.3 * typer_ms, "≤ 1.3× import typer"
            elif what.startswith(("log", "add")):
                limit, goal = models_ms + 30, "≤ import relcrm.models + 30 ms"
            else:
                limit = None
            if limit is not None:
                target = f"{goal} = {limit:.0f} ms {'ok' if mine_ms <= limit else 'MISSED'}"
            elif small or what == "export prospects":
                target = f"ratio < 1.0 (aim 0.7) {'ok' if ratio < 1 else 'MISSED'}"
            else:
                target = "— (growth below)"
            print(f"| {label} | `{what}` | `{theirs}` | {mine_ms:.0f} | {their_ms:.0f} | "
                  f"{ratio:.2f} | {target} |")
    if len(compared) > 1:
        (first, _, before), (last, _, after) = compared[0], compared[-1]
        print(f"\n| relcrm read | CPU ms {first} | CPU ms {last} | growth | target |")
        print("|---|---|---|---|---|")
        grown = {row[0]: row[2] for row in after}
        for what, _, mine_ms, _, _ in before:
            if what not in READS or mine_ms is None or grown.get(what) is None:
                continue
            growth = grown[what] / mine_ms
            target = ("linear (ratio < 1.0 at both, above)" if what == "export prospects" else
                      f"≤ 1.2× {'ok' if growth <= 1.2 else 'MISSED'}")
            print(f"| `{what}` | {mine_ms:.0f} | {grown[what]:.0f} | {growth:.2f}× | {target} |")
    print(f"\nCPU baselines: python -c pass {baselines['pass']:.0f} ms; import typer "
          f"{typer_ms:.0f} ms (× 1.3 = {1.3 * typer_ms:.0f} ms: --help, completion); import "
          f"relcrm.models {models_ms:.0f} ms (+ 30 = {models_ms + 30:.0f} ms: log, add)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000:200000,100000:2000000",
                        help="prospects:touches pairs, comma-separated")
    parser.add_argument("--runs", type=int, default=7, help="runs per measurement (median)")
    parser.add_argument("--dir", type=Path, default=None, help="where to build (default: temp)")
    side = parser.add_mutually_exclusive_group()
    side.add_argument("--taskwarrior", dest="taskwarrior", action="store_true", default=None,
                      help="time relcrm side by side with Taskwarrior (default: when `task` is "
                      "on PATH)")
    side.add_argument("--no-taskwarrior", dest="taskwarrior", action="store_false",
                      help="skip the comparison with Taskwarrior")
    parser.add_argument("--postgres", action="store_true",
                        help="also time team mode on a throwaway PostgreSQL (10,000 at most)")
    args = parser.parse_args()
    if args.taskwarrior is None:
        args.taskwarrior = shutil.which("task") is not None
    elif args.taskwarrior and shutil.which("task") is None:
        parser.error("--taskwarrior: `task` is not on PATH (apt-get install taskwarrior)")
    cpu_runs = max(9, args.runs)
    relcrm = shutil.which("relcrm") or str(Path(sys.executable).parent / "relcrm")
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="relcrm-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "RELCRM_TODAY": TODAY.isoformat()}
    env.pop("NO_COLOR", None)
    # time what a user runs: with cached bytecode (the warm-up run writes it)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q",
                    str(Path(__file__).resolve().parent.parent / "relcrm")], env=env)

    def py(code: str) -> float:
        return timed([sys.executable, "-c", code], env, args.runs)[0]

    print(f"relcrm benchmark, {dt.datetime.now():%Y-%m-%d %H:%M}, Python "
          f"{sys.version.split()[0]}, {os.cpu_count()} CPUs, median of {args.runs} runs\n")
    print(f"baseline: python -c pass {py('pass'):.0f} ms; "
          f"import typer {py('import typer'):.0f} ms; "
          f"import typer+rich.table {py('import typer, rich.table'):.0f} ms; "
          f"import sqlmodel {py('import sqlmodel'):.0f} ms\n")
    # CPU baselines for the comparison with Taskwarrior: the floor of any Python command, what a
    # Typer program cannot avoid (--help and TAB completion), what the write path imports
    # (db.write_session: sqlmodel and sqlalchemy, by way of relcrm.models)
    baselines = {code: cpu_median([sys.executable, "-c", code], env, cpu_runs)
                 for code in ("pass", "import typer", "import relcrm.models")
                 } if args.taskwarrior else {}
    compared, stores = [], []
    print("| size | measurement | median | target |")
    print("|---|---|---|---|")
    base_render = None
    for pair in args.sizes.split(","):
        n_p, n_t = (int(x) for x in pair.split(":"))
        label = f"{n_p:,} / {n_t:,}"
        path = workdir / f"bench-{n_p}.db"
        seconds, indexed = build(path, n_p, n_t)
        size_mb = path.stat().st_size / 1e6
        print(f"| {label} | build (bulk insert + derive + search index {indexed:.1f} s), "
              f"{size_mb:.0f} MB | {seconds:.1f} s | seconds, not minutes |")
        cmd_env = {**env, "RELCRM_DB": str(path)}
        con = sqlite3.connect(path)
        name = con.execute("SELECT name FROM prospect WHERE id = ?", (n_p // 2,)).fetchone()[0]
        found = {q: con.execute("SELECT count(*) FROM _search WHERE _search MATCH ?",
                                (search._query(q),)).fetchone()[0]
                 for q in ("giao hang", "khach hang phan nan")}
        con.close()
        small = n_p <= 10_000
        for what, argv, target in [
            ("relcrm --help", ["--help"], 150),
            ("relcrm stage list", ["stage", "list"], 150),
            ("relcrm followups", ["followups"], 200 if small else None),
            ("relcrm list", ["list"], 200 if small else None),
            ("relcrm show NAME", ["show", name], 200 if small else None),
            ("relcrm log ID email", ["log", str(n_p // 3), "email", "bench"], 700),
            ("relcrm add NAME", ["add", "Bench Person", "--company", "Bench Co",
                                 "--allow-duplicate"], 700),
            ("relcrm account list --key", ["account", "list", "--key"], None),
            ("relcrm account candidates", ["account", "candidates"], None),
            ("relcrm export prospects", ["export", "prospects"], 1000 if small else None),
            ("relcrm review", ["review"], 1000),
            ("relcrm review --month", ["review", "--month"], 1000),
            ("relcrm pipeline", ["pipeline"], 1000),
            ("relcrm plan week", ["plan", "week"], None),
            ("relcrm deal list", ["deal", "list"], None),
            *((f'relcrm search "{q}" ({n:,} hits)', ["search", q], 200)
              for q, n in found.items()),
        ]:
            ms, code = timed([relcrm, *argv], cmd_env, args.runs)
            status = "" if code == 0 else f" (exit {code}!)"
            goal = f"< {target} ms {'ok' if ms < target else 'MISSED'}" if target else "—"
            print(f"| {label} | `{what}`{status} | {ms:.0f} ms | {goal} |")
        # the Vietnamese catalog must not slow the read commands measurably (issue 14)
        for what, argv in (("relcrm --help", ["--help"]), ("relcrm stage list", ["stage", "list"]),
                           ("relcrm followups", ["followups"]), ("relcrm list", ["list"])):
            english, _ = timed([relcrm, *argv], {**cmd_env, "RELCRM_LANG": "en"}, args.runs)
            vietnamese, code = timed([relcrm, *argv], {**cmd_env, "RELCRM_LANG": "vi"},
                                     args.runs)
            status = "" if code == 0 else f" (exit {code}!)"
            print(f"| {label} | `RELCRM_LANG=vi {what}`{status} | {vietnamese:.0f} ms | "
                  f"English {english:.0f} ms: {vietnamese - english:+.0f} ms |")
        query_ms, render_ms, due = in_process(path, max(args.runs, 15))
        if base_render is None:
            base_render, goal = render_ms, f"< 50 ms {'ok' if render_ms < 50 else 'MISSED'}"
        else:
            ratio = render_ms / base_render
            goal = f"within 2x of {base_render:.1f} ms: {ratio:.2f}x " + (
                "ok" if ratio <= 2 else "MISSED")
        print(f"| {label} | follow-ups query alone ({due:,} due) | {query_ms:.1f} ms | — |")
        print(f"| {label} | follow-ups query + table rendering | {render_ms:.1f} ms | {goal} |")
        if args.postgres and small:
            versus_postgres(relcrm, cmd_env, path, name, label, args.runs)
        if args.taskwarrior:
            print(f"side by side with Taskwarrior, {label} ...", file=sys.stderr)
            rows, seconds = versus_taskwarrior(relcrm, cmd_env, path, workdir / f"task-{n_p}",
                                               name, n_p, cpu_runs)
            compared.append((label, small, rows))
            stores.append(f"{n_p:,} tasks imported in {seconds:.1f} s")
    connections = linkedin_file(workdir / "Connections.csv", 50_000)
    times = []
    for _ in range(max(3, args.runs // 2)):
        book = workdir / "import.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{book}{suffix}").unlink(missing_ok=True)
        started = time.perf_counter()
        code = subprocess.run([relcrm, "--db", str(book), "import", str(connections)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        times.append(time.perf_counter() - started)
    seconds = statistics.median(times)
    status = "" if code == 0 else f" (exit {code}!)"
    print(f"| empty book | `relcrm import Connections.csv` (50,000 LinkedIn rows){status} | "
          f"{seconds:.1f} s | < 10 s {'ok' if seconds < 10 else 'MISSED'} |")
    if args.taskwarrior:
        report_versus(compared, stores, baselines, cpu_runs)
    if args.dir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
