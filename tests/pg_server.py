"""A throwaway PostgreSQL cluster for the team-mode tests (a real server, no mocks).

    with Postgres() as server:
        server.url("alice")           # postgresql://alice@127.0.0.1:PORT/relcrm
        server.psql("SELECT 1", user="alice")

`initdb` from the Debian package (/usr/lib/postgresql/*/bin, or the PATH) makes a cluster in a
temporary folder; the server listens on 127.0.0.1 on a free port (its socket in that folder),
with trust authentication for local connections (each role is who it says: the tests connect as
each seller), and is stopped and removed at the end. PostgreSQL refuses to run as root: run as
root (CI in a container), the cluster belongs to the `postgres` user the package creates.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DATABASE = "relcrm"


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl, or None when PostgreSQL is not installed."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True,
                         key=lambda f: float(Path(f).parent.name)):  # 16 after 9.6
        if Path(folder, "initdb").exists():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Postgres:
    def __init__(self) -> None:
        self.bin = binaries()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed (apt-get install -y postgresql)")
        self.home = Path(tempfile.mkdtemp(prefix="relcrm-pg-"))
        self.data = self.home / "data"
        self.port = _free_port()
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str, **kw) -> subprocess.CompletedProcess:
        return subprocess.run([*self._as, *args], check=True, capture_output=True, text=True,
                              **kw)

    def start(self) -> Postgres:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                   f"-c unix_socket_directories={self.home} -c fsync=off "
                   f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=40")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                  str(self.home / "log"), "-o", options, "-w", "-t", "60", "start")
        deadline = time.monotonic() + 30
        while True:
            try:
                self.psql(f"CREATE DATABASE {DATABASE}", database="postgres")
                break
            except subprocess.CalledProcessError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        return self

    def url(self, user: str = "postgres", database: str = DATABASE) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, *, user: str = "postgres", database: str = DATABASE) -> str:
        """Run `sql` through the psql client as `user`; its output, unaligned, tuples only.
        Raises CalledProcessError (with psql's stderr) when the server refuses."""
        psql = shutil.which("psql") or str(self.bin / "psql")
        result = subprocess.run(
            [psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d",
             self.url(user, database), "-c", sql], capture_output=True, text=True,
            env={**os.environ, "PGCONNECT_TIMEOUT": "10"})
        if result.returncode:
            raise subprocess.CalledProcessError(result.returncode, "psql", result.stdout,
                                                result.stderr)
        return result.stdout.strip()

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run([*self._as, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m",
                            "immediate", "stop"], capture_output=True)
        shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> Postgres:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
