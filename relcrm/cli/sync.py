"""sync: the book on the seller's phone, two ways, over CalDAV/CardDAV (core/sync.py)."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any, Optional

import typer

from ..i18n import _, ngettext
from .common import FormatOpt, fmt, read

app = typer.Typer(help="Two-way sync of steps, dates and contacts with a CalDAV/CardDAV server "
                  "(Radicale, Nextcloud, Fastmail, iCloud ...), so the book is on your phone.",
                  invoke_without_command=True, rich_markup_mode=None)

PASSWORD_ENV = "RELCRM_SYNC_PASSWORD"
KEYRING_SERVICE = "relcrm sync"


def _keyring() -> Any | None:
    """The keyring package when it is installed and has a usable backend, else None."""
    try:
        import keyring
        from keyring.backends.fail import Keyring as NoBackend
    except Exception:  # noqa: BLE001 - not installed, or broken: no keyring
        return None
    try:
        if isinstance(keyring.get_keyring(), NoBackend):
            return None
    except Exception:  # noqa: BLE001
        return None
    return keyring


def password(url: str, user: str, *, ask: bool) -> tuple[str, str]:
    """The password for `user` at `url`, and where it came from (env, keyring, prompt): from
    RELCRM_SYNC_PASSWORD, else the system keyring, else (`ask`, on a terminal) a prompt. It
    is never stored in the book, never printed."""
    from ..errors import UsageError

    given = os.environ.get(PASSWORD_ENV)
    if given:
        return given, "env"
    keyring = _keyring()
    if keyring is not None:
        try:
            stored = keyring.get_password(KEYRING_SERVICE, f"{user}@{url}")
        except Exception:  # noqa: BLE001 - a locked or broken keyring: as if none
            stored = None
        if stored:
            return stored, "keyring"
    if ask and sys.stdin.isatty():
        typed = typer.prompt(_("Password for {user} at {url}").format(user=user, url=url),
                             hide_input=True, err=True, default="", show_default=False)
        if typed:
            return typed, "prompt"
    raise UsageError(_("no password for {user} at {url}: set {env}, or run relcrm sync setup on "
                       "a terminal (it keeps the password in the system keyring when there "
                       "is one)").format(user=user or "?", url=url, env=PASSWORD_ENV))


@app.callback()
def sync(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", "-n", help="Say what a sync would send and take, changing nothing on "
        "either side.")] = False,
    format_: FormatOpt = "table",
) -> None:
    """Sync the book with the phone through the CalDAV/CardDAV server set up by relcrm sync
    setup: open steps go out as to-dos (appointments as events), important dates and
    occasions as all-day events with an alarm, prospects as contacts. A to-do completed on the
    phone marks its step done; a step moved there moves; emails and phones added to a
    contact there are added to the prospect. Nothing else on the phone changes the book: the
    rest is put back, and what is deleted there is created again.

    Exits 3 when the server cannot be reached or refuses, changing nothing.
    """
    ctx.obj = _own()  # one connection for the command, its subcommand's too
    if ctx.invoked_subcommand is not None:
        return
    from ..core import sync as core

    config = _config(ctx.obj)
    secret, _source = password(config["url"], config["user"], ask=True)
    try:
        summary = core.run(config, secret, dry_run=dry_run)
    except core.ServerError as exc:  # sending failed: what was taken is said, then the error
        if getattr(exc, "summary", None) is not None:
            _show(exc.summary, config, fmt(format_), dry_run, stopped=True)
        raise
    _show(summary, config, fmt(format_), dry_run)


def _own() -> Any:
    """A read connection to the book. On a team database: each seller's sync state must be
    there (team init lays it), whoever syncs is a seller of the team, and the connection shows
    their own records, also to a manager whose connection asks for the team's (a phone is its
    seller's own)."""
    con = read()
    from .. import db

    if db.on_team(con):
        from .. import pg

        pg.require_installed(con.raw, con.url)
        if not con.raw.execute("SELECT 1 FROM seller WHERE name = current_user").fetchone():
            from ..errors import UsageError

            raise UsageError(_("relcrm sync is each seller's own: connect to the team database "
                               "as a seller of the team, not as {name}").format(
                name=con.raw.info.user))
        con.raw.execute(f"SELECT set_config('{pg.TEAM_SETTING}', 'off', false)")
    return con


def _config(con: Any) -> dict[str, str]:
    from .. import settings
    from ..errors import UsageError

    values = settings.all_values(con)
    if not values["sync.url"]:
        raise UsageError(_("sync is not set up; run relcrm sync setup URL --user USER first "
                           "(e.g. http://127.0.0.1:5232/ for a Radicale on this machine)"))
    return {"url": values["sync.url"], "user": values["sync.user"],
            "calendar": values["sync.calendar"], "addressbook": values["sync.addressbook"]}


def _show(summary: Any, config: dict[str, str], kind: str, dry_run: bool,
          stopped: bool = False) -> None:
    from .. import render

    if kind != "table":
        record = {"url": config["url"], "dry_run": dry_run, "complete": not stopped,
                  "created": summary.sent.get("created", 0),
                  "updated": summary.sent.get("updated", 0),
                  "deleted": summary.sent.get("deleted", 0),
                  "received": summary.received, "settled": summary.settled,
                  "recreated": summary.recreated, "unsent": summary.unsent}
        render.machine(kind, tuple(record), [record])
        return
    out = []
    sent = summary.sent
    head = (_("Dry run with {url} as {user}: nothing was changed on either side.")
            if dry_run else _("Sync with {url} as {user} stopped while sending; the rest is "
                              "sent next time.") if stopped
            else _("Synced with {url} as {user}.")).format(
        url=config["url"], user=config["user"] or "-")
    out.append(head)
    counts = (_("{created} created, {updated} updated, {deleted} deleted")).format(
        created=sent.get("created", 0), updated=sent.get("updated", 0),
        deleted=sent.get("deleted", 0))
    out.append((_("Would send: {counts}.") if dry_run else _("Sent: {counts}.")).format(
        counts=counts))
    n = len(summary.received)
    out.append((ngettext("Would take {n} change from the phone.",
                         "Would take {n} changes from the phone.", n) if dry_run else
                ngettext("Received {n} change from the phone.",
                         "Received {n} changes from the phone.", n)).format(n=n))
    out += [f"  {line}" for line in summary.received]
    for lines, heading in (
            (summary.settled, ngettext("{n} conflict, settled:", "{n} conflicts, settled:",
                                       len(summary.settled))),
            (summary.recreated, ngettext(
                "{n} deleted on the phone, created again (the book keeps it):",
                "{n} deleted on the phone, created again (the book keeps them):",
                len(summary.recreated))),
            (summary.unsent, ngettext(
                "{n} changed on the server during the sync, to send next time:",
                "{n} changed on the server during the sync, to send next time:",
                len(summary.unsent)))):
        if lines:
            out.append(heading.format(n=len(lines)))
            out += [f"  {line}" for line in lines]
    sys.stdout.write("".join(render.escape(line) + "\n" for line in out))


@app.command("setup")
def setup(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(
        metavar="URL", help="The server's address: https://dav.example.com/, or "
        "http://127.0.0.1:5232/ for Radicale on this machine.", show_default=False)],
    user: Annotated[Optional[str], typer.Option(
        "--user", "-u", metavar="USER", help="Your user name on the server.")] = None,
    calendar: Annotated[Optional[str], typer.Option(
        "--calendar", metavar="NAME", help="The calendar for steps and dates (found or "
        "created; default relcrm).")] = None,
    addressbook: Annotated[Optional[str], typer.Option(
        "--addressbook", metavar="NAME", help="The address book for prospects (found or "
        "created; default relcrm).")] = None,
) -> None:
    """Check the server, find or create relcrm's calendar (to-dos and events) and address
    book there, and keep the settings in the book (config sync.*). The password comes from
    RELCRM_SYNC_PASSWORD, the system keyring (the keyring package) or a prompt; it is never
    stored in the book or printed.
    """
    from .. import settings
    from ..core import sync as core

    con = ctx.obj  # (sync's own connection: see sync())
    url = settings.BY_KEY["sync.url"].parse(url)
    if not url:
        from ..errors import UsageError

        raise UsageError(_("URL cannot be empty; give the server's address, e.g. "
                           "https://dav.example.com/"))
    values = settings.all_values(con)
    user = settings.BY_KEY["sync.user"].parse(user if user is not None else values["sync.user"])
    calendar = settings.BY_KEY["sync.calendar"].parse(calendar or values["sync.calendar"])
    addressbook = settings.BY_KEY["sync.addressbook"].parse(addressbook
                                                           or values["sync.addressbook"])
    secret, source = password(url, user, ask=True)
    found = core.setup({"url": url, "user": user, "calendar": calendar,
                        "addressbook": addressbook}, secret)
    lines = [_("Sync is set up with {url} as {user}.").format(url=url, user=user or "-"),
             (_("Calendar {name}: created.") if found["calendar_created"]
              else _("Calendar {name}: found.")).format(name=calendar),
             (_("Address book {name}: created.") if found["addressbook_created"]
              else _("Address book {name}: found.")).format(name=addressbook)]
    keyring = _keyring() if source == "prompt" else None
    if keyring is not None:
        try:
            keyring.set_password(KEYRING_SERVICE, f"{user}@{url}", secret)
            lines.append(_("The password is kept in the system keyring."))
        except Exception:  # noqa: BLE001 - a keyring that refuses: say how to give it
            keyring = None
    if source == "prompt" and keyring is None:
        lines.append(_("The password was not kept: give it in {env} (or install the keyring "
                       "package) for relcrm sync.").format(env=PASSWORD_ENV))
    lines.append(_("Run relcrm sync to send the book to the phone."))
    from .. import render

    sys.stdout.write("".join(render.escape(line) + "\n" for line in lines))


@app.command("status")
def status(ctx: typer.Context, format_: FormatOpt = "table") -> None:
    """When the book was last synced, and what is waiting in each direction: what the book
    would send, and what the server has changed since (asked of the server when the password
    is at hand without a prompt)."""
    from .. import render
    from ..core import sync as core
    from ..errors import RelcrmError

    con = ctx.obj  # (sync's own connection: see sync())
    config = _config(con)
    pending = core.pending(con)
    incoming: Optional[int] = None
    why = ""
    try:
        secret, _source = password(config["url"], config["user"], ask=False)
        incoming = core.incoming_count(config, secret, con)
    except RelcrmError as exc:  # unreachable, refused, or no password at hand: said, not fatal
        why = exc.message
    record = {"url": config["url"], "user": config["user"],
              "last_sync": core.state(con, "last_sync"), "to_create": pending["created"],
              "to_update": pending["updated"], "to_delete": pending["deleted"],
              "incoming": incoming}
    if fmt(format_) != "table":
        render.machine(fmt(format_), tuple(record), [record])
        return
    from .. import dates

    lines = [_("Server: {url} as {user}").format(url=config["url"], user=config["user"] or "-"),
             _("Last sync: {when}").format(when=dates.show(record["last_sync"])
                                            if record["last_sync"] else _("never")),
             _("To send: {created} to create, {updated} to update, {deleted} to delete").format(
                 created=pending["created"], updated=pending["updated"],
                 deleted=pending["deleted"]),
             (_("To receive: {n} changed on the server since the last sync").format(n=incoming)
              if incoming is not None else
              _("To receive: unknown ({why})").format(why=why))]
    sys.stdout.write("".join(render.escape(line) + "\n" for line in lines))
