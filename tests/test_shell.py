"""relcrm shell (issue 15): an interactive session driven through a pseudo-terminal, with TAB
completion of commands and names, errors that do not end it, and Ctrl-D to leave."""

import os
import pty
import select
import subprocess
import sys
import time


def _session(book, keys: list[bytes], env_extra: dict | None = None) -> tuple[str, int]:
    leader, follower = pty.openpty()
    env = {**os.environ, "RELCRM_DB": str(book), "RELCRM_TODAY": "2026-11-25",
           "TERM": "xterm", "NO_COLOR": "1", "COLUMNS": "120", **(env_extra or {})}
    proc = subprocess.Popen([sys.executable, "-m", "relcrm", "shell"], stdin=follower,
                            stdout=follower, stderr=follower, env=env, close_fds=True)
    os.close(follower)
    out = b""

    def pump(seconds: float) -> None:
        """Read what the session writes for up to `seconds` (less when it goes quiet)."""
        nonlocal out
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([leader], [], [], 0.1)
            if not ready:
                continue
            try:
                data = os.read(leader, 65536)
            except OSError:
                return
            if not data:
                return
            out += data

    def prompts(count: int) -> None:
        end = time.monotonic() + 30
        while out.count(b"relcrm> ") < count and proc.poll() is None \
                and time.monotonic() < end:
            pump(0.1)

    prompts(1)
    for key in keys:
        seen = out.count(b"relcrm> ")
        os.write(leader, key)
        if key.endswith(b"\n"):
            prompts(seen + 1)
        else:  # TAB, or a part of a line: let readline answer
            pump(0.3)
    proc.wait(timeout=20)
    pump(0.2)
    os.close(leader)
    return out.decode("utf-8", "replace").replace("\r\n", "\n"), proc.returncode


def test_a_session_of_commands_with_completion_errors_and_ctrl_d(tmp_path):
    book = tmp_path / "book.db"
    out, code = _session(book, [
        b'add "Nguy\xe1\xbb\x85n V\xc4\x83n An" --company "Minh Ph\xc3\xa1t"\n',
        b"show bogus\n",                      # an error: shown, the session goes on
        b"log an note 'first note'\n",
        b"fol", b"\t", b"\n",                 # TAB completes the command: followups
        b"show ngu", b"\t", b"\n",            # ... and a name: show Nguyễn\ Văn\ An
        b"step add an tomorrow 'call back' --k", b"\t", b"demo\n",   # ... and an option
        b"undo\n",                            # the journal keeps what was typed
        b"\x04",                              # Ctrl-D leaves
    ])
    assert code == 0, out
    assert "Added #1 Nguyễn Văn An" in out
    assert "relcrm: error: no prospect matches 'bogus'" in out
    assert "Logged note #1 with Nguyễn Văn An" in out
    assert "followups" in out and "Follow-ups Wed 2026-11-25" in out
    assert "Nguyễn\\ Văn\\ An " in out and "Timeline (newest first)" in out
    assert "--kind" in out and "Added step #1" in out
    assert "Undid change #" in out and "relcrm step add an tomorrow 'call back'" in out
    assert "--db" not in out.split("Undid change")[1].splitlines()[0]
    history = [p for p in (tmp_path / "data", tmp_path / "home") if p.exists()]
    assert any(f.name == "shell_history" for p in history for f in p.rglob("*")), history


def test_the_session_speaks_the_language_and_refuses_a_shell_in_a_shell(tmp_path):
    out, code = _session(tmp_path / "book.db", [b"shell\n", b"list\n", b"exit\n"],
                         {"RELCRM_LANG": "vi"})
    assert code == 0, out
    assert "bạn đang ở trong shell rồi" in out and "Chưa có khách hàng tiềm năng" in out


def test_a_bad_line_is_one_error_and_a_name_with_escape_codes_is_never_offered(tmp_path):
    """An unclosed quote is one line on stderr, the book unchanged, the session goes on; TAB
    offers names as the line reads them, and never stored text a terminal would act on."""
    import sqlite3

    from relcrm.cli.shell import Completer

    book = tmp_path / "book.db"
    env = {**os.environ, "RELCRM_DB": str(book), "RELCRM_TODAY": "2026-11-25"}
    for name in ("Evil Name", "Eve Trần"):
        subprocess.run([sys.executable, "-m", "relcrm", "add", name], env=env, check=True,
                       capture_output=True)
    assert Completer(book).people("ev") == ["Eve\\ Trần ", "Evil\\ Name "]
    con = sqlite3.connect(book)
    con.execute("UPDATE prospect SET name = ? WHERE id = 1", ("Evil\x1b]0;pwned\x07Name",))
    con.commit()
    con.close()
    assert Completer(book).people("ev") == ["Eve\\ Trần "]
    before = book.read_bytes()
    out, code = _session(book, [b'log 2 note "unclosed\n', b"exit\n"])
    assert code == 0, out
    assert "relcrm: error: cannot read the line: No closing quotation" in out
    assert book.read_bytes() == before


WARM = """
import sys, threading
from relcrm.cli import main, selling as cli_selling
from relcrm.core.selling import CallReport

seen = {}


def answered(found, next_, minutes):  # the seller answering: the write stack loads meanwhile
    seen["threads"] = [t.name for t in threading.enumerate()]
    seen["models_at_start"] = "relcrm.models" in sys.modules
    for thread in threading.enumerate():
        if thread.name == "relcrm-warm-writes":
            thread.join()
    seen["models_after"] = "relcrm.models" in sys.modules
    return CallReport(outcome="continuation", commitment=None, notes={}, summary="ok"), \\
        next_, minutes


cli_selling._ask = answered
sys.argv = ["relcrm", "call", "1", "-i"]
try:
    main()
except SystemExit as exit:
    print("EXIT", exit.code, seen, file=sys.stderr)
"""


def test_the_interactive_call_loads_the_write_stack_while_the_seller_answers(tmp_path):
    env = {**os.environ, "RELCRM_DB": str(tmp_path / "book.db"), "RELCRM_TODAY": "2026-11-25"}
    subprocess.run([sys.executable, "-m", "relcrm", "add", "Nguyễn Văn An"], env=env,
                   check=True, capture_output=True)
    result = subprocess.run([sys.executable, "-c", WARM], env=env, capture_output=True,
                            text=True)
    assert "Logged call #1" in result.stdout, result.stderr
    assert "EXIT 0" in result.stderr or "EXIT None" in result.stderr, result.stderr
    assert "'relcrm-warm-writes'" in result.stderr  # started before the questions
    assert "'models_after': True" in result.stderr
