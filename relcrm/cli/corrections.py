"""delete, merge, account delete, touch edit / delete, call edit: correcting the book."""

import sys
from typing import Annotated, Optional

import typer

from .. import dates
from ..i18n import N_, _, dynamic, ngettext
from ..methodology import TOUCH_KINDS
from .common import (AtOpt, FormatOpt, QuietOpt, Outcome, RefArg, complete_accounts, complete_refs,
                     complete_words, emit_record, fmt, read, settled, when)

touch_app = typer.Typer(help="Fix a touch logged wrong: its text, time, kind, length or "
                        "person; or delete it.", no_args_is_help=True, rich_markup_mode=None)
TouchIdArg = Annotated[str, typer.Argument(
    metavar="ID", help="The touch's id (shown by log and call, and in `relcrm show REF`).",
    show_default=False)]
YesOpt = Annotated[bool, typer.Option(
    "--yes", "-y", help="Do it without asking (needed in a script).")]
# the kinds of touch as shown in sentences (stored in English; translated with dynamic())
KIND_WORDS = (N_("call"), N_("meeting"), N_("email"), N_("message"), N_("visit"),
              N_("letter"), N_("gift"), N_("event"), N_("note"))


def _confirm(what: str, yes: bool) -> None:
    """On a terminal ask; in a script --yes is needed."""
    from ..errors import UsageError

    if yes:
        return
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(_("{what}: give --yes to do it from a script; nothing was "
                           "removed").format(what=what))
    from .. import render

    if not typer.confirm(render.escape(_("{what}?").format(what=what)), default=False,
                         err=True):
        raise UsageError(_("not confirmed; nothing was removed"))


def delete(
    ref: RefArg,
    yes: YesOpt = False,
    forget: Annotated[bool, typer.Option(
        "--forget", help="Erase them: also from the undo journal (this cannot be undone), "
        "with the freed space wiped; lists the backups that still hold them.")] = False,
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Delete a prospect and everything about them (touches, calls, stage changes, judgements,
    roles, steps, tags). It says what it will remove and asks; `relcrm undo` takes it back.
    With --forget (a person who asks to be forgotten) it cannot be undone.

    Examples: relcrm delete 12 --yes; relcrm delete "nguyen van an" --forget
    """
    from .. import db, queries, render
    from ..core import people

    con = read()
    found = queries.resolve(con, ref)
    record = queries.prospect(con, found["id"])
    plan = people.plan_removal(con, found["id"])
    _confirm((_("Erase {what}") if forget else _("Delete {what}")).format(what=plan.describe()),
             yes)
    team = db.url() is not None
    with db.write_session() as session:
        from ..core.derive import session_con

        if forget and not team:  # the freed pages are overwritten with zeros
            session_con(session).execute("PRAGMA secure_delete = ON")
        removal = people.delete_prospect(session, found["id"])
        erased = 0
        if forget:
            erased = people.erase_from_journal(session_con(session), found["id"])
            # what sync last sent of them (their email and phone keys) goes too; where their
            # card is stays, so the next sync deletes it from the phone
            session_con(session).execute(
                "UPDATE _sync_item SET sent = '{}' WHERE kind = 'prospect' AND ref_id = ?",
                (found["id"],))
    if forget and not team:  # (a team database's own copies: VACUUM, by its administrator)
        _wipe(db.db_path())
    kept = people.backups_holding(db.db_path(), record) if forget and not team else []
    result = {"id": removal.prospect_id, "name": removal.name, "erased": forget,
              "journal_entries_erased": erased,
              "backups_holding": render.Listed(kept, ",") if kept else None,
              **{f"{t}_rows": n for t, n in removal.counts.items()}}
    kind = fmt(format_)
    if quiet:
        print(removal.prospect_id)
        if kept:  # the one warning an erasure must give: said on stderr
            render.note(ngettext("{n} backup still holds them: {files}.",
                                 "{n} backups still hold them: {files}.",
                                 len(kept)).format(n=len(kept), files=", ".join(kept)))
        return
    if kind != "table":
        render.machine(kind, tuple(result), [result])
        return
    text = (_("Erased {what}.") if forget else _("Deleted {what}.")).format(
        what=removal.describe())
    if forget:
        text += " " + _("It cannot be undone.")
        if kept:
            text += " " + ngettext("{n} backup still holds them: {files}.",
                                   "{n} backups still hold them: {files}.",
                                   len(kept)).format(n=len(kept), files=", ".join(kept))
    else:
        text += " " + _("(relcrm undo takes it back.)")
    print(render.escape(text))


def _wipe(book) -> None:
    """After an erasure: no copy of the removed rows in the search index, the write-ahead log
    or free pages."""
    import sqlite3

    from ..db import real_path

    con = sqlite3.connect(real_path(book), isolation_level=None, timeout=10)
    try:
        # the search index keeps a deleted note's words in its segments until they merge
        con.execute("INSERT INTO _search (_search) VALUES ('optimize')")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.execute("VACUUM")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError:
        pass  # another relcrm is busy: the pages are overwritten (secure_delete) anyway
    finally:
        con.close()


def merge(
    source: Annotated[str, typer.Argument(
        metavar="SOURCE", help="The record to fold in (it goes; its id stays an alias).",
        autocompletion=complete_refs, show_default=False)],
    target: Annotated[list[str], typer.Argument(
        metavar="TARGET", help="The record that stays (`into` before it is optional).",
        autocompletion=complete_refs, show_default=False)],
    prefer: Annotated[str, typer.Option(
        "--prefer", metavar="SIDE", help="Whose value wins where both differ: target "
        "(default) or source.", autocompletion=complete_words(["target", "source"]))
    ] = "target",
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Merge two records of one person: SOURCE's history moves to TARGET, empty fields are
    filled from it, tags and roles are united, both notes kept; where both have a different
    value the target's stays (--prefer source: the source's) and it is reported. `relcrm show
    OLDID` then shows TARGET. `relcrm undo` takes it back.

    Examples: relcrm merge 14 into 3; relcrm merge "an nguyen" "nguyễn văn an" --prefer source
    """
    from .. import db, queries
    from ..core import people
    from ..errors import UsageError

    if len(target) == 2 and target[0].lower() == "into":
        target = target[1:]
    if len(target) != 1:
        raise UsageError(_("give SOURCE and TARGET (e.g. relcrm merge 14 into 3)"))
    if prefer not in ("target", "source"):
        raise UsageError(_("--prefer must be target or source, not {prefer!r}").format(
            prefer=prefer))
    with db.write_session() as session:
        merged = people.merge(session, source, target[0], prefer_source=prefer == "source")
        record = queries.prospect(settled(session), merged.target_id)

    def sentence() -> str:
        from ..registry import noun

        moved = [noun(t, n) for t, n in merged.moved.items()
                 if t in ("touch", "stage_change", "qualification", "step", "tag",
                          "prospect_role")]
        values = {"source_id": merged.source_id, "source_name": merged.source_name,
                  "target_id": merged.target_id, "name": record["name"]}
        if moved:
            text = _("Merged #{source_id} {source_name} into #{target_id} {name}: moved "
                     "{moved}").format(moved=", ".join(moved), **values)
        else:
            text = _("Merged #{source_id} {source_name} into #{target_id} {name}").format(
                **values)
        if merged.filled:
            text += "; " + _("filled in {fields}").format(fields=", ".join(merged.filled))
        for name, kept, other in merged.conflicts:
            text += "; " + _("{field}: kept {kept} (the other record had {other})").format(
                field=name, kept=kept, other=other)
        return text + ". " + _("#{source_id} now shows #{target_id}.").format(**values)

    if quiet:  # the values a merge set aside are said nowhere else: on stderr
        from .. import render

        for name, kept, other in merged.conflicts:
            render.note(_("{field}: kept {kept} (the other record had {other})").format(
                field=name, kept=kept, other=other))
    emit_record(format_, queries.PROSPECT_COLUMNS, record, sentence)


def account_delete(
    account: Annotated[str, typer.Argument(
        metavar="ACCOUNT", help="An account id, or a unique part of its name.",
        autocompletion=complete_accounts, show_default=False)],
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Delete an account that has no people (an empty one, made by a typo). Its choice
    criteria, key-account history and steps go with it; `relcrm undo` takes it back.

    Example: relcrm account delete "minh phat jsc"
    """
    from .. import db
    from ..core import people
    from ..registry import noun

    with db.write_session() as session:
        account_id, name, counts = people.delete_account(session, account)
    record = {"id": account_id, "name": name, **{f"{t}_rows": n for t, n in counts.items()}}
    extra = [noun(t, n) for t, n in counts.items() if n]
    emit_record(format_, tuple(record), record,
                lambda: (_("Deleted account #{id} {name} with {extra}.") if extra else
                         _("Deleted account #{id} {name}.")).format(
                    id=account_id, name=name, extra=", ".join(extra)))


AmountFixOpt = Annotated[Optional[str], typer.Option(
    "--amount", metavar="AMOUNT", help="The value of the order it brought (\"\" clears it).",
    show_default=False)]
TOUCH_COLUMNS = ("id", "prospect_id", "prospect", "kind", "at", "summary", "minutes",
                 "outcome", "commitment", "amount", "changed", "currency")


def _touch_record(con, touch_id: int, changed: list[str]) -> dict:
    row = con.execute("SELECT t.id, t.prospect_id, p.name AS prospect, t.kind, t.at, "
                      "t.summary, t.minutes, t.outcome, t.commitment, "
                      "money(t.amount_milli) AS amount, t.amount_currency AS currency FROM touch t "
                      "JOIN prospect p ON p.id = t.prospect_id WHERE t.id = ?",
                      (touch_id,)).fetchone()
    return {**dict(row), "changed": ",".join(changed)}


@touch_app.command("edit")
def touch_edit(
    touch_id: TouchIdArg,
    text: Annotated[Optional[str], typer.Option("--text", metavar="TEXT",
                                                help="What happened.")] = None,
    at: AtOpt = None,
    kind: Annotated[Optional[str], typer.Option(
        "--kind", metavar="KIND", help=", ".join(TOUCH_KINDS) + ".",
        autocompletion=complete_words(TOUCH_KINDS))] = None,
    minutes: Annotated[Optional[int], typer.Option("--minutes", "-m", metavar="N",
                                                   help="How long it took.")] = None,
    prospect: Annotated[Optional[str], typer.Option(
        "--prospect", metavar="REF", help="The person it was really with (their last touch "
        "moves with it).", autocompletion=complete_refs)] = None,
    amount: AmountFixOpt = None,
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Fix a touch: its text, time, kind, length, order amount, or the person it was with.

    Examples: relcrm touch edit 14 --prospect "tran thi binh"; relcrm touch edit 14 --at
    "yesterday 16:00" --text "sent the price list"
    """
    _edit(format_, touch_id, call=False, text=text, at=at, kind=kind, minutes=minutes,
          prospect=prospect, amount=amount)


@touch_app.command("delete")
def touch_delete(touch_id: TouchIdArg, format_: FormatOpt = "table",
                 quiet: QuietOpt = False) -> None:
    """Delete a touch logged by mistake (relcrm undo takes it back).

    Example: relcrm touch delete 14
    """
    from .. import db
    from ..core import touches

    with db.write_session() as session:
        found = touches.delete(session, touch_id)
    record = {"id": found[0], "kind": found[1], "prospect": found[2]}
    emit_record(format_, tuple(record), record,
                lambda: _("Deleted {kind} #{id} with {prospect}.").format(
                    kind=dynamic(found[1]), id=found[0], prospect=found[2]))


def call_edit(
    touch_id: Annotated[str, typer.Argument(metavar="ID", help="The call's id.",
                                            show_default=False)],
    situation: Annotated[Optional[list[str]], typer.Option(
        "--situation", metavar="TEXT", help="Replace the situation notes (repeatable).",
        show_default=False)] = None,
    problem: Annotated[Optional[list[str]], typer.Option(
        "--problem", metavar="TEXT", show_default=False)] = None,
    implication: Annotated[Optional[list[str]], typer.Option(
        "--implication", metavar="TEXT", show_default=False)] = None,
    need_payoff: Annotated[Optional[list[str]], typer.Option(
        "--need-payoff", metavar="TEXT", show_default=False)] = None,
    implied_need: Annotated[Optional[list[str]], typer.Option(
        "--implied-need", metavar="TEXT", show_default=False)] = None,
    explicit_need: Annotated[Optional[list[str]], typer.Option(
        "--explicit-need", metavar="TEXT", show_default=False)] = None,
    outcome: Annotated[Optional[Outcome], typer.Option(  # type: ignore[valid-type]
        "--outcome", "-o", case_sensitive=False, show_default=False,
        help="order, advance, continuation or no-sale.")] = None,
    commitment: Annotated[Optional[str], typer.Option(
        "--commitment", metavar="TEXT", help="What the customer committed to.",
        show_default=False)] = None,
    note: Annotated[Optional[str], typer.Option("--note", "-n", metavar="TEXT",
                                                help="The summary.")] = None,
    at: AtOpt = None,
    minutes: Annotated[Optional[int], typer.Option("--minutes", "-m", metavar="N")] = None,
    prospect: Annotated[Optional[str], typer.Option(
        "--prospect", metavar="REF", autocompletion=complete_refs)] = None,
    amount: AmountFixOpt = None,
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Fix a SPIN call: its notes (a kind given replaces that kind's notes; "" clears them),
    outcome, commitment, summary, time, length or person.

    Examples: relcrm call edit 7 --outcome advance --commitment "trial in March";
    relcrm call edit 7 --problem "film tears at speed" --problem "late deliveries"
    """
    notes = {key: [v for v in value if v.strip()] for key, value in (
        ("situation", situation), ("problem", problem), ("implication", implication),
        ("need_payoff", need_payoff), ("implied_need", implied_need),
        ("explicit_need", explicit_need)) if value is not None}
    _edit(format_, touch_id, call=True, text=note, at=at, minutes=minutes, prospect=prospect,
          outcome=fmt(outcome) if outcome is not None else None, commitment=commitment,
          notes=notes, amount=amount)


def _edit(format_, touch_id: str, *, call: bool, text=None, at=None, kind=None, minutes=None,
          prospect=None, outcome=None, commitment=None, notes=None, amount=None) -> None:
    from .. import db
    from ..core import touches

    fix = touches.Fix(text=text, at=when(at, past=True), kind=kind, minutes=minutes,
                      prospect=prospect, outcome=outcome, commitment=commitment,
                      amount=amount, notes=notes or {})
    with db.write_session() as session:
        fixed = touches.edit(session, touch_id, fix, call=call)
        record = _touch_record(settled(session), fixed.touch.id, fixed.changed)
    what = "call" if call else record["kind"]

    def sentence() -> str:
        values = {"what": dynamic(what), "id": record["id"], "prospect": record["prospect"],
                  "at": dates.show(record["at"]), "changed": ", ".join(fixed.changed)}
        if fixed.moved_from:
            return _("Updated {what} #{id} with {prospect} ({at}): {changed}; moved from "
                     "#{from_id} {from_name}.").format(from_id=fixed.moved_from[0],
                                                       from_name=fixed.moved_from[1], **values)
        return _("Updated {what} #{id} with {prospect} ({at}): {changed}.").format(**values)

    emit_record(format_, TOUCH_COLUMNS, record, sentence)
