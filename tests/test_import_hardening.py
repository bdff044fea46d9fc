"""import against files that hang, hostile relcrm JSON, huge ids, garbage values, and
concurrent imports (issue 9). Every refusal is one line on stderr, exit 2, the book unchanged.
"""

import base64
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from relcrm import formats

MAX_ID = 2**53 - 1


@pytest.fixture
def deadline():
    """Fail, rather than hang, when an import blocks (on a FIFO) for 10 s."""
    def expired(*_):
        raise TimeoutError("the import blocked")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _book(cli) -> None:
    """A book with one person, so `unchanged` means something."""
    cli.add("Nguyễn Văn An", "--company", "Minh Phát", "--email", "an@mp.vn")


# -- 1. files that never end or never come -------------------------------------------------------
def test_a_fifo_is_refused_without_waiting_for_a_writer(cli, tmp_path, deadline):
    _book(cli)
    fifo = tmp_path / "contacts.csv"
    os.mkfifo(fifo)
    cli.fails(2, "import", str(fifo), match="is a FIFO (named pipe), not a file")


def test_a_device_is_refused_before_it_is_read(tmp_path):
    """/dev/zero never ends: the old importer grew to gigabytes. Run in a child process with a
    memory cap, so a regression fails instead of eating the machine."""
    import resource

    from test_entrypoint import _relcrm

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))

    book = tmp_path / "book.db"
    result = subprocess.run([*_relcrm(), "--db", str(book), "import", "/dev/zero"],
                            capture_output=True, text=True, timeout=30, preexec_fn=cap,
                            env={**os.environ, "RELCRM_TODAY": "2026-11-25"})
    assert result.returncode == 2, result.stderr
    assert result.stderr == ("relcrm: error: /dev/zero is a device, not a file; import reads "
                             "regular files only (a CSV, vCard or relcrm export, or a folder "
                             "made by `relcrm export all -o FOLDER`)\n")
    assert not book.exists()


def test_a_file_past_the_size_limit_is_refused(cli, tmp_path):
    _book(cli)
    big = tmp_path / "huge.csv"
    with big.open("wb") as out:  # sparse: no disk is used
        out.truncate(formats.MAX_IMPORT_BYTES + 1)
    cli.fails(2, "import", str(big), match="is larger than 256 MiB, the most relcrm imports")


def test_no_more_than_the_limit_is_read_from_a_file_that_says_it_is_empty(cli, monkeypatch):
    """/proc files are regular files of size 0 that hold more: the read itself is bounded."""
    _book(cli)
    monkeypatch.setattr(formats, "MAX_IMPORT_BYTES", 100)
    status = Path("/proc/self/status")
    assert status.stat().st_size == 0 and len(status.read_bytes()) > 100
    cli.fails(2, "import", str(status), match="is larger than 0 MiB")


def test_each_file_of_a_folder_is_checked(cli, tmp_path, deadline):
    _book(cli)
    folder = tmp_path / "export"
    cli("export", "all", "-o", str(folder))
    (folder / "touches.csv").unlink()
    os.mkfifo(folder / "touches.csv")
    cli.fails(2, "import", str(folder), match="touches.csv is a FIFO (named pipe), not a file")
    (folder / "touches.csv").unlink()
    (folder / "touches.csv").symlink_to("/dev/zero")
    cli.fails(2, "import", str(folder), match="touches.csv is a device, not a file")
    (folder / "touches.csv").unlink()
    with (folder / "touches.csv").open("wb") as out:
        out.truncate(formats.MAX_IMPORT_BYTES + 1)
    cli.fails(2, "import", str(folder), match="touches.csv is larger than 256 MiB")
