"""Scripting conventions (issue 15): `-` is standard input or output, as every Unix tool reads
it; a completion script for the shell asked for."""

import os
import subprocess
import sys


def test_import_dash_reads_standard_input(cli):
    result = cli("import", "-", input="Name,Company\nZed Zhou,Acme\n")
    assert "Imported 1 new prospect from standard input (csv)" in result.err + result.out
    vcard = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Anh Ba\r\nEMAIL:ba@x.vn\r\nEND:VCARD\r\n"
    cli("import", "-", input=vcard)
    import json

    names = [p["name"] for p in json.loads(cli("list", "-f", "json").out)]
    assert sorted(names) == ["Anh Ba", "Zed Zhou"]


def test_output_dash_writes_standard_output_and_no_file(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cli.add("Nguyễn Văn An", "--company", "Minh Phát", "--next", "tomorrow")
    out = cli("export", "prospects", "-o", "-", "-f", "csv").out
    assert out.startswith("id,name,company") and "Nguyễn Văn An" in out
    assert cli("export", "vcard", "an", "-o", "-").out.startswith("BEGIN:VCARD")
    calendar = cli("followups", "--ics", "-").out
    assert calendar.startswith("BEGIN:VCALENDAR") and "Nguyễn Văn An" in calendar
    assert not (tmp_path / "-").exists()


def test_show_completion_prints_the_script_of_the_shell_asked_for(tmp_path):
    env = {**os.environ, "RELCRM_DB": str(tmp_path / "book.db")}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "relcrm", *args], capture_output=True,
                              text=True, env=env)

    assert run("--show-completion", "zsh").stdout.startswith("#compdef relcrm")
    assert run("--show-completion", "fish").stdout.startswith("complete --command relcrm")
    assert "_relcrm_completion()" in run("--show-completion", "bash").stdout
    bad = run("--show-completion", "tcsh")
    assert bad.returncode == 2 and bad.stderr.startswith("relcrm: error: no completion for")
    assert not (tmp_path / "book.db").exists()
