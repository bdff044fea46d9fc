"""add, list, show, edit."""

from typing import Annotated, Any, Optional

import typer

from .. import dates
from ..i18n import _, current, named
from ..methodology import CRITERIA, STAGE_BY_KEY
from .common import (FormatOpt, NextStepOpt, QuietOpt, RefArg, SellerOpt, TeamOpt, WhenOpt,
                     complete_accounts, emit_record, fmt, money, read, when, with_sellers)

CompanyOpt = Annotated[Optional[str], typer.Option(
    "--company", "-c", metavar="TEXT", help="Company (its account is made on first use).",
    autocompletion=complete_accounts)]
TitleOpt = Annotated[Optional[str], typer.Option(
    "--title", "-t", metavar="TEXT", help="Job title.")]
EmailOpt = Annotated[Optional[list[str]], typer.Option(
    "--email", "-e", metavar="EMAIL", help="An email address (repeat for several; edit adds "
    "it to theirs).", show_default=False)]
PhoneOpt = Annotated[Optional[list[str]], typer.Option(
    "--phone", "-p", metavar="PHONE", help="A phone number, e.g. 0912 345 678 or +84 912 345 "
    "678 (repeat for several; edit adds it). Read in `config region` without +.",
    show_default=False)]
UrlOpt = Annotated[Optional[str], typer.Option(
    "--url", "-u", metavar="URL", help="Web page: LinkedIn profile, company site ...")]
SourceOpt = Annotated[Optional[str], typer.Option(
    "--source", "-s", metavar="TEXT", help="Where they came from (referral, event, LinkedIn ...).")]
TagOpt = Annotated[Optional[list[str]], typer.Option(
    "--tag", metavar="TAG", help="A tag (repeat for several).", show_default=False)]
ValueOpt = Annotated[Optional[str], typer.Option(
    "--value", metavar="AMOUNT", help="Expected deal value in the book's currency (config "
    "currency), e.g. 450.000.000, 68tr, 1,2 tỷ, 12,000 USD.")]
NoteOpt = Annotated[Optional[str], typer.Option(
    "--note", "-n", metavar="TEXT", help="Free-text note.")]


def add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The person's full name.",
                                        show_default=False)],
    company: CompanyOpt = None, title: TitleOpt = None, email: EmailOpt = None,
    phone: PhoneOpt = None, url: UrlOpt = None, source: SourceOpt = None,
    tag: TagOpt = None, value: ValueOpt = None, next_: WhenOpt = None,
    next_step: NextStepOpt = None, note: NoteOpt = None,
    allow_duplicate: Annotated[bool, typer.Option(
        "--allow-duplicate", help="Add them even if someone in the book has the same email, "
        "phone or profile URL, or the same name at the same company.")] = False,
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Add a prospect at stage 1 (Attract). Without --next it is due for first contact today.
    Someone already in the book (same email, phone or profile URL; or the same name, accents
    and all, at the same company, when no email, phone or URL says otherwise) is refused
    unless --allow-duplicate."""
    from .. import db, queries
    from ..core import prospects

    details = prospects.Details(name=name, company=company, title=title, email=email,
                                phone=phone, url=url, source=source, value=value, note=note,
                                next_at=when(next_), next_step=next_step, tags=tag or [],
                                allow_duplicate=allow_duplicate)
    from ..core.derive import session_con

    notes: list[str] = []
    with db.write_session() as session:
        new_id = prospects.create(session, details, notes).id
        record = queries.prospect(session_con(session), new_id)
    from .. import render

    for note in notes:
        render.note(note)
    emit_record(format_, queries.PROSPECT_COLUMNS, record,
                lambda: _("Added #{id} {name} at stage {stage}; {follow_up}").format(
                    id=new_id, name=record["name"], stage=named(STAGE_BY_KEY[record["stage"]]),
                    follow_up=_follow_up_sentence(record)))


def _listed(values: str | None) -> str:
    return ", ".join(values.split(" ::: ")) if values else _("none")


def _follow_up_sentence(record: dict[str, Any]) -> str:
    if record["next_at"]:
        return _("next step {when}.").format(when=dates.show(record["next_at"]))
    return _("first contact due {when} (contact them at once).").format(
        when=dates.show(record["due_on"]))


def list_(
    stage: Annotated[Optional[str], typer.Option(
        "--stage", metavar="STAGE",
        help="Only this stage (1-7, key or name; lost shows lost ones).")] = None,
    tag: Annotated[Optional[str], typer.Option(
        "--tag", metavar="TAG", help="Only prospects with this tag.")] = None,
    company: Annotated[Optional[str], typer.Option(
        "--company", "-c", metavar="TEXT",
        help="Only companies containing this (accents optional).",
        autocompletion=complete_accounts)] = None,
    search: Annotated[Optional[str], typer.Option(
        "--search", "-S", metavar="TEXT", help="Text anywhere in name, company, title, email, "
        "phone, source, note or tags.")] = None,
    status: Annotated[Optional[str], typer.Option(
        "--status", metavar="STATUS",
        help="Qualification: qualified, open or disqualified.")] = None,
    all_: Annotated[bool, typer.Option(
        "--all", "-a", help="Include lost relationships.")] = False,
    sort: Annotated[str, typer.Option(
        "--sort", metavar="ORDER",
        help="name, stage, last-touch, due, value or created.")] = "name",
    limit: Annotated[Optional[int], typer.Option(
        "--limit", "-l", metavar="N", help="At most N rows (default: 100 in a table, all "
        "otherwise; 0 = all).")] = None,
    format_: FormatOpt = "table",
    team: TeamOpt = False,
    seller: SellerOpt = None,
) -> None:
    """List prospects (lost ones only with --all or --stage lost)."""
    from .. import queries
    from ..errors import UsageError
    from ..methodology import STATUSES, resolve_stage

    if sort not in queries.SORTS:
        raise UsageError(_("unknown sort {sort!r}; use one of: {sorts}").format(
            sort=sort, sorts=", ".join(queries.SORTS)))
    if status is not None and status not in STATUSES:
        raise UsageError(_("unknown status {status!r}; use one of: {statuses}").format(
            status=status, statuses=", ".join(STATUSES)))
    stage_key = resolve_stage(stage).key if stage else None
    kind = fmt(format_)
    limit = _limit(limit, kind)
    tag_name = None
    if tag is not None:
        from ..core.fields import tag as clean_tag

        tag_name = clean_tag(tag)
    con = read(team, seller)
    team = team or seller is not None
    rows, total = queries.list_prospects(con, stage=stage_key, tag=tag_name,
                                         company=company, search=search, status=status,
                                         include_lost=all_, sort=sort, limit=limit)
    columns = with_sellers(con, rows, queries.PROSPECT_COLUMNS, team)  # --team: whose each one is
    if kind != "table":
        from .. import render

        render.machine(kind, columns, rows)
        return
    from .. import render
    from ..render import Col
    from .shown import status_text

    today = dates.today()
    cols = [
        Col("#", "id", justify="right", style="dim"),
        Col(_("Name"), "name", style="bold", no_wrap=True),
        *([Col(_("Seller"), "seller", no_wrap=True)] if team else []),
        Col(_("Company"), "company", max_width=28, drop=5),
        Col(_("Stage"), lambda r: _stage_label(r["stage"]), style=_stage_style, no_wrap=True,
            drop=2),
        Col(_("Qualified"), lambda r: status_text(r["qualification"]), style=_qual_style,
            drop=4),
        Col(_("Last touch"), lambda r: dates.show_day(r["last_touch_at"]), no_wrap=True,
            drop=3),
        Col(_("Follow-up"), lambda r: dates.show_day(r["due_on"]), no_wrap=True,
            style=lambda r: _due_style(r["due_on"], today)),
        Col(_("Value"), lambda r: money(r["value"], column=True), justify="right"),
        Col(_("Tags"), "tags", style="cyan", drop=6),
    ]
    caption = None
    if total > len(rows):
        caption = _("{shown} of {total} shown; --limit 0 shows all").format(
            shown=len(rows), total=total)
    render.table(rows, cols, caption=caption,
                 empty=_("No prospects match.") if (stage or tag or company or search or status)
                 else _("No prospects yet. Add one: relcrm add \"NAME\" --company COMPANY"))


def _limit(limit: Optional[int], kind: str) -> Optional[int]:
    from ..errors import UsageError

    if limit is not None and limit < 0:
        raise UsageError(_("--limit must be 0 (all) or more, not {limit}").format(limit=limit))
    if limit == 0:
        return None
    if limit is None:
        return 100 if kind == "table" else None
    return limit


def _stage_label(key: str) -> str:
    stage = STAGE_BY_KEY[key]
    return f"{stage.number} {named(stage)}" if stage.number else named(stage)


def _stage_style(row: dict[str, Any]) -> str:
    return "red" if row["stage"] == "lost" else "magenta"


def _qual_style(row: dict[str, Any]) -> Optional[str]:
    return {"qualified": "green", "disqualified": "red"}.get(row["qualification"])


def _due_style(due_on: Optional[str], today) -> Optional[str]:
    if not due_on:
        return None
    day = dates.from_iso(due_on)
    return "bold red" if day < today else "yellow" if day == today else None


def show(
    ref: RefArg,
    limit: Annotated[int, typer.Option(
        "--limit", "-l", metavar="N", help="Timeline entries to show (0 = all).")] = 20,
    format_: FormatOpt = "table",
) -> None:
    """A prospect's profile and timeline (touches, calls, stage changes, judgements)."""
    from .. import queries
    from ..methodology import qualification_status

    con = read()
    found = queries.resolve(con, ref)
    record = queries.prospect(con, found["id"])
    record["merged_from"] = queries.aliases(con, found["id"])
    steps, _total = queries.step_list(con, prospect_id=found["id"])
    events, total = queries.timeline(con, found["id"], None if limit <= 0 else limit)
    notes = queries.call_notes(con, [e["ref"] for e in events if e["event"] == "call"])
    for event in events:
        event["notes"] = notes.get(event["ref"], {}) if event["event"] == "call" else {}
    status, missing = qualification_status({c.key: record[c.key] for c in CRITERIA},
                                           bool(record["customer"]))
    from ..core import care
    from ..methodology import TYPE_BY_KEY

    type_key = con.execute("SELECT type FROM prospect WHERE id = ?",
                           (found["id"],)).fetchone()[0]
    kind_of = TYPE_BY_KEY.get(type_key or "")
    personal = {"type": type_key, "type_tip": kind_of.tip if kind_of else None,
                "facts": care.facts(con, found["id"]),
                "dates": care.upcoming(con, dates.today(), pid=found["id"])}
    kind = fmt(format_)
    if kind == "json":
        from .. import render

        render.document({**record, "missing": missing, "steps": steps, "timeline": events,
                         **personal})
        return
    if kind in ("csv", "tsv"):
        from .. import render

        flat = [{**e, "notes": _notes_text(e["notes"])} for e in events]
        render.machine(kind, queries.TIMELINE_COLUMNS + ("notes",), flat)
        return
    from .. import settings
    from .views import profile

    cadence = int(settings.get(con, f"cadence.{record['stage']}")) \
        if record["stage"] != "lost" else None
    profile({**record, "_personal": personal}, status, missing, events, total, steps, cadence)


def _notes_text(notes: dict[str, list[str]]) -> str:
    from ..methodology import SPIN_BY_KEY

    return "\n".join(f"{SPIN_BY_KEY[k].label}: {t}" for k, texts in notes.items() for t in texts)


def edit(
    ref: RefArg,
    name: Annotated[Optional[str], typer.Option(
        "--name", metavar="TEXT", help="New full name.")] = None,
    company: CompanyOpt = None, title: TitleOpt = None, email: EmailOpt = None,
    phone: PhoneOpt = None, url: UrlOpt = None, source: SourceOpt = None,
    tag: TagOpt = None,
    untag: Annotated[Optional[list[str]], typer.Option(
        "--untag", metavar="TAG", help="Remove a tag (repeat for several).",
        show_default=False)] = None,
    drop_email: Annotated[Optional[list[str]], typer.Option(
        "--drop-email", metavar="EMAIL", help="Remove one of their emails (repeat for several).",
        show_default=False)] = None,
    drop_phone: Annotated[Optional[list[str]], typer.Option(
        "--drop-phone", metavar="PHONE", help="Remove one of their phones (repeat for several).",
        show_default=False)] = None,
    value: ValueOpt = None, next_: WhenOpt = None, next_step: NextStepOpt = None,
    no_next: Annotated[bool, typer.Option(
        "--no-next", help="Drop their own open steps (each is kept in its history).")] = False,
    cadence: Annotated[Optional[str], typer.Option(
        "--cadence", metavar="DAYS", help="Their own touch cadence in days (1-365), or `stage` "
        "for their stage's again.", show_default=False)] = None,
    type_: Annotated[Optional[str], typer.Option(
        "--type", metavar="TYPE", help="Their customer type, with a tip for handling it "
        "(relcrm types lists the ten): bargainer, expert, anxious, questioner, conservative, "
        "changeable, sociable, unconfident, overconfident, enthusiast, or the Vietnamese name; "
        '"" clears it.', show_default=False)] = None,
    note: NoteOpt = None,
    format_: FormatOpt = "table", quiet: QuietOpt = False,
) -> None:
    """Change a prospect's details. An empty value ("") clears an optional field; --note
    replaces the note and prints the one it replaced. --email and --phone add to theirs,
    --drop-email and --drop-phone remove. --next adds a step (several may be open); --next-step
    alone renames their earliest own step. relcrm undo takes it all back."""
    from .. import db, queries
    from ..core import prospects
    from ..core.derive import session_con
    from ..errors import UsageError

    if no_next and (next_ is not None or next_step is not None):
        raise UsageError(_("--no-next cannot be combined with --next or --next-step"))
    details = prospects.Details(name=name, company=company, title=title, email=email,
                                phone=phone, url=url, source=source, value=value, note=note,
                                next_at=when(next_), next_step=next_step, clear_next=no_next,
                                cadence=cadence, type=type_, tags=tag or [],
                                untags=untag or [], drop_emails=drop_email or [],
                                drop_phones=drop_phone or [])
    with db.write_session() as session:
        before = queries.prospect(session_con(session),
                                  queries.resolve(session_con(session), ref)["id"])
        edited = prospects.edit_more(session, ref, details)
        prospect_id = edited.prospect.id
        record = queries.prospect(session_con(session), prospect_id)
        type_key = session_con(session).execute("SELECT type FROM prospect WHERE id = ?",
                                                (prospect_id,)).fetchone()[0]
    from .. import render

    for line in edited.notes:
        render.note(line)

    def sentence() -> str:
        text = _("Updated #{id} {name}.").format(id=prospect_id, name=record["name"])
        if edited.dropped:
            text += " " + _("Dropped {steps}.").format(steps=", ".join(
                _("step #{id} ({what}, {when})").format(
                    id=s.id, what=s.text or _("next step"), when=dates.show(s.due_at))
                for s in edited.dropped))
        if edited.planned is not None:
            step = edited.planned
            text += " " + (_("Added step #{id} {when} ({what}).") if step.text
                           else _("Added step #{id} {when}.")).format(
                id=step.id, when=dates.show(step.due_at), what=step.text)
        if cadence is not None:
            text += " " + (_("Cadence: every {days} days.").format(days=record["cadence_days"])
                           if record["cadence_days"] else _("Cadence: the stage's."))
        if type_ is not None:
            from ..methodology import TYPE_BY_KEY
            from .shown import stage_shown

            kind = TYPE_BY_KEY.get(type_key or "")
            if kind:
                tip = kind.tip if current() != "vi" else (kind.tip_vi or kind.tip)
                text += " " + _("Type: {type}; tip: {tip}.").format(type=stage_shown(kind),
                                                                    tip=tip)
            else:
                text += " " + _("Type: none.")
        for kind, given in (("emails", email), ("phones", phone), ("emails", drop_email),
                            ("phones", drop_phone)):
            if given:
                text += " " + (_("Emails: {list}.") if kind == "emails"
                               else _("Phones: {list}.")).format(list=_listed(record[kind]))
                break
        old_note = before.get("note")
        if note is not None and old_note and old_note != record["note"]:
            text += " " + _("The note replaced was: {note!r} (relcrm undo brings it back).").format(
                note=old_note)
        return text

    old_note = before.get("note")
    if quiet and note is not None and old_note and old_note != record["note"]:
        from .. import render  # the old note is nowhere else: said on stderr

        render.note(_("The note replaced was: {note!r} (relcrm undo brings it back).").format(
            note=old_note))
    emit_record(format_, queries.PROSPECT_COLUMNS, record, sentence)
