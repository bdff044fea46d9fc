"""Ctrl-C (issue 15): the installed program exits 130 with no traceback, whatever it was
waiting for, and leaves the book as it was."""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest


def _relcrm() -> str:
    return shutil.which("relcrm") or os.path.join(os.path.dirname(sys.executable), "relcrm")


def _dump(path) -> str:
    con = sqlite3.connect(path)
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


@pytest.mark.parametrize("argv", [["import", "-"], ["call", "1", "-i"]],
                         ids=["import from a pipe", "an interactive call"])
def test_ctrl_c_exits_130_without_a_traceback(tmp_path, argv):
    book = tmp_path / "book.db"
    env = {**os.environ, "RELCRM_DB": str(book), "RELCRM_TODAY": "2026-11-25"}
    subprocess.run([_relcrm(), "add", "Nguyễn Văn An"], env=env, check=True,
                   capture_output=True)
    before = _dump(book)
    process = subprocess.Popen([_relcrm(), *argv], env=env, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if argv[0] == "call":
        process.stdin.write("two plants\n")  # an answer or two, then Ctrl-C
        process.stdin.flush()
    time.sleep(1.5)  # waiting for more input by now
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, (out, err)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert _dump(book) == before
