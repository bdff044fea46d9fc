#!/usr/bin/env python3
"""relcrm's message catalogs: extract, update, compile (Babel).

    python scripts/messages.py            # extract relcrm.pot, update each .po, compile .mo

The messages are every help text of the command tree (commands and options, as Typer builds
them: they are translated by i18n.translate_tree) and every string marked _("...") / N_("...") or
ngettext("...", "...") in relcrm/ (Babel's Python extractor). Each language's catalog
relcrm/locale/<lang>/LC_MESSAGES/relcrm.po keeps its translations; new messages come in
untranslated (tests/test_i18n.py then fails until they are translated), messages no longer
used are dropped. The .mo beside it is what relcrm loads.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LOCALE = ROOT / "relcrm" / "locale"


def help_texts() -> list[tuple[str, str, None]]:
    """(message, where) for every help text of the command tree, in English."""
    from relcrm import i18n
    from relcrm.cli import full_command

    i18n.activate("en")
    found: list[tuple[str, str]] = []

    def walk(command, path: str) -> None:
        for attr in ("help", "short_help"):  # epilogs: examples (commands), built translated
            value = getattr(command, attr, None)
            if value:
                found.append((value, f"{path} ({attr})", None))
        for param in command.params:
            if getattr(param, "help", None):
                found.append((param.help, f"{path} {param.opts[0] if param.opts else ''}",
                              None))
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, f"{path} {name}")

    walk(full_command(), "relcrm")
    return found


def code_messages() -> list[tuple[str, str, str | None]]:
    """(message, where, context) for every _() / N_() / ngettext() / pgettext() in relcrm/
    (a context tells apart two meanings of one English word: a "Key" column of key accounts
    and one of keys)."""
    from babel.messages.extract import extract_from_dir

    found = []
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(ROOT / "relcrm"), method_map=[("**.py", "python")],
            keywords={"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}):
        found.append((message, f"relcrm/{filename}:{lineno}", context))  # a tuple: a plural
    return found


def template():
    """The catalog of every message (a babel Catalog), sorted for stable files."""
    from babel.messages.catalog import Catalog

    catalog = Catalog(project="relcrm", version="", copyright_holder="relcrm",
                      msgid_bugs_address="", charset="utf-8", fuzzy=False)
    seen: dict = {}
    for message, where, context in help_texts() + code_messages():
        seen.setdefault((message, context), []).append(where)
    for message, context in sorted(seen, key=lambda m: (m[0] if isinstance(m[0], str)
                                                        else m[0][0], m[1] or "")):
        catalog.add(message, auto_comments=sorted(set(seen[message, context]))[:3],
                    context=context)
    return catalog


def write_po(catalog, path: Path) -> None:
    from babel.messages.pofile import write_po as babel_write

    buffer = io.BytesIO()
    babel_write(buffer, catalog, width=100, omit_header=False, sort_output=True,
                no_location=True, include_previous=False)
    text = buffer.getvalue().decode("utf-8")
    # no dates in the files: they would change on every run
    lines = [line for line in text.splitlines()
             if not line.startswith(('"POT-Creation-Date:', '"PO-Revision-Date:'))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def compiled(po_path: Path) -> bytes:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    import datetime as dt

    with open(po_path, "rb") as handle:
        catalog = read_po(handle)
    # no dates in the header (Babel puts now there): the same .po always gives the same .mo
    catalog.creation_date = catalog.revision_date = dt.datetime(2026, 1, 1,
                                                                tzinfo=dt.timezone.utc)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def main() -> None:
    from babel.messages.pofile import read_po

    from relcrm.cli import index_text

    index = ROOT / "relcrm" / "cli" / "_index.py"
    index.write_text(index_text(), encoding="utf-8")  # the root --help's list of commands

    pot = template()
    LOCALE.mkdir(parents=True, exist_ok=True)
    write_po(pot, LOCALE / "relcrm.pot")
    for folder in sorted(p for p in LOCALE.iterdir() if p.is_dir()):
        po_path = folder / "LC_MESSAGES" / "relcrm.po"
        po_path.parent.mkdir(parents=True, exist_ok=True)
        if po_path.exists():
            with open(po_path, "rb") as handle:
                catalog = read_po(handle, locale=folder.name)
            catalog.update(pot, no_fuzzy_matching=True)
            catalog.obsolete.clear()
        else:
            from babel.messages.catalog import Catalog

            catalog = Catalog(locale=folder.name, project="relcrm", charset="utf-8")
            catalog.update(pot, no_fuzzy_matching=True)
        catalog.fuzzy = False  # the header: its charset must reach the .mo
        catalog.language_team = "relcrm"
        catalog.last_translator = "relcrm"
        write_po(catalog, po_path)
        (po_path.with_suffix(".mo")).write_bytes(compiled(po_path))
        missing = sum(1 for m in catalog if m.id and not m.string)
        print(f"{po_path.relative_to(ROOT)}: {len(catalog) - 1} messages, {missing} untranslated")


if __name__ == "__main__":
    main()
