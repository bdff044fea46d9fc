"""Every message relcrm writes for a person goes through the catalog (issue 14): a guard that
reads the code. An English sentence written straight into an error, a note, a prompt, a table
heading, title or caption (a string literal or an f-string, which gettext cannot look up) fails
here with its file and line, so a new message cannot ship without its Vietnamese translation
(test_i18n.py then asks for the translation of each marked one)."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "relcrm"

# the exceptions whose message reaches the user, and the calls that write for a person
ERRORS = {"RelcrmError", "UsageError", "NotFound", "Ambiguous", "DatabaseError", "Duplicate",
          "WhichDeal", "_Refused", "BadParameter", "_fail"}
WRITERS = {"note", "warn", "prompt", "confirm", "echo", "say", "Col"}
KEYWORDS = {"title", "caption", "empty"}
WORDS = re.compile(r"[A-Za-z]{2,}")


def _raw_text(node: ast.AST) -> bool:
    """English text the catalog never sees: a literal or an f-string with words, or such
    pieces glued with +, or a conditional between them."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(WORDS.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.Constant) and WORDS.search(str(part.value))
                   for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _raw_text(node.left) or _raw_text(node.right)
    if isinstance(node, ast.IfExp):
        return _raw_text(node.body) or _raw_text(node.orelse)
    return False


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def unmarked(source: str, filename: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        if name in ERRORS | WRITERS and node.args and _raw_text(node.args[0]):
            found.append(f"{filename}:{node.lineno}: {name}({ast.unparse(node.args[0])[:60]})")
        for keyword in node.keywords:
            if keyword.arg in KEYWORDS and _raw_text(keyword.value):
                found.append(f"{filename}:{node.lineno}: {keyword.arg}="
                             f"{ast.unparse(keyword.value)[:60]}")
    return found


def test_every_message_for_a_person_is_marked_for_the_catalog():
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        found += unmarked(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT.parent)))
    assert not found, f"{len(found)} messages not marked with _(): " + "\n".join(found[:40])


@pytest.mark.parametrize("code", [
    'raise UsageError(f"no prospect {ref}")',
    'raise NotFound("no such step")',
    'render.note("Added " + name)',
    'render.Col("Company", "company")',
    'render.table(rows, cols, title=f"Deals of {name}")',
    'typer.prompt("Outcome" if a else "Summary")',
])
def test_the_guard_sees_an_unmarked_message(code):
    """The guard itself can fail: each of these is a message written straight in English."""
    assert unmarked(code, "x.py")


@pytest.mark.parametrize("code", [
    'raise UsageError(_("no prospect {ref}").format(ref=ref))',
    'render.Col("#", "id")',
    'render.Col(_("Company"), "company")',
    'render.note(ngettext("{n} order", "{n} orders", n).format(n=n))',
    'render.table(rows, cols, empty=dynamic(EMPTY))',
])
def test_the_guard_lets_a_marked_message_pass(code):
    assert not unmarked(code, "x.py")
