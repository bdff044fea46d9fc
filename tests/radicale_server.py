"""A real Radicale CalDAV/CardDAV server in a subprocess, for the sync tests (no mocks).

    with Radicale() as server:          # or Radicale(storage=tmp_path / "dav")
        client = caldav.DAVClient(url=server.url, username=server.user,
                                  password=server.password)

The server listens on 127.0.0.1 on a free port, keeps its collections in ``storage``, knows
one user (htpasswd, plain text), lets each user see only their own collections, and reads no
configuration file of the machine or of the user (only its own, in a temporary folder; without
fsync, which a test's storage does not need). ``stop()`` then
``restart()`` brings it back on the same port with the same storage, as a server that went
away mid-sync and came back.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

START_TIMEOUT = 20.0
_LAUNCH = ("import sys\n"
           "from radicale import config, server\n"
           "configuration = config.load([(sys.argv[1], False)])\n"
           "configuration.update({'storage': {'_filesystem_fsync': 'False'}}, 'relcrm tests',\n"
           "                     privileged=True)\n"
           "server.serve(configuration)\n")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Radicale:
    """One Radicale server; a context manager that starts it and stops it."""

    def __init__(self, storage: Path | None = None, user: str = "seller",
                 password: str = "s3cret") -> None:
        self.user, self.password = user, password
        self._home = Path(tempfile.mkdtemp(prefix="radicale-"))  # htpasswd and the log
        self.storage = Path(storage) if storage is not None else self._home / "collections"
        self.storage.mkdir(parents=True, exist_ok=True)
        (self._home / "htpasswd").write_text(f"{user}:{password}\n", encoding="utf-8")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self._proc: subprocess.Popen | None = None

    def start(self) -> Radicale:
        """Start the server and wait until it answers HTTP; raise with its stderr if not."""
        if self._proc is not None and self._proc.poll() is None:
            return self
        self.stop()  # a server that died: start it again
        (self._home / "config").write_text(
            "[server]\n"
            f"hosts = 127.0.0.1:{self.port}\n"
            "[auth]\n"
            "type = htpasswd\n"
            f"htpasswd_filename = {self._home / 'htpasswd'}\n"
            "htpasswd_encryption = plain\n"
            # no second's wait after a refused login: every client's first, anonymous request
            # is one (a wrong password still gets HTTP 401)
            "delay = 0\n"
            "[rights]\n"
            "type = owner_only\n"
            "[storage]\n"
            "type = multifilesystem\n"
            f"filesystem_folder = {self.storage}\n"
            "use_mtime_and_size_for_item_cache = True\n"
            "[logging]\n"
            "level = warning\n", encoding="utf-8")
        with open(self._home / "stderr.log", "wb") as log:  # the child keeps its own copy
            # Radicale's own way to run without fsync (as its test suite does: a privileged
            # setting no config file may set): a test's storage need not survive a power cut
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _LAUNCH, str(self._home / "config")],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no *_proxy
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                opener.open(self.url, timeout=1).close()
                return self
            except urllib.error.HTTPError:  # any HTTP answer (e.g. 401) means it is up
                return self
            except OSError:
                pass
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                err = (self._home / "stderr.log").read_text(errors="replace")
                raise RuntimeError(f"Radicale did not come up on {self.url}:\n{err}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server (terminate, then kill if it lingers). Safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def restart(self) -> Radicale:
        """Stop if running, then start again on the same port and storage."""
        self.stop()
        return self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        shutil.rmtree(self._home, ignore_errors=True)  # storage too, unless it was given
