"""The book's settings: what `relcrm config` lists, reads and sets.

Settings live in the book (the `setting` table), so a backup, a restore and `export all` carry
them; a setting never stored has its default. Each setting is declared once here with its
default, its meaning and the rule that checks (and normalises) a value; `config`, its help and
completion, the follow-up rules and the tests all read this table. Light: no heavy imports.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any, Callable

from .errors import UsageError
from .i18n import N_, _, dynamic
from .methodology import BUYING_STAGES, KAM_STAGES, STAGES

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = set(WEEKDAYS) | {"monday", "tuesday", "wednesday", "thursday", "friday",
                              "saturday", "sunday", "tues", "thur", "thurs"}


def _workdays(value: str) -> str:
    """mon-fri, mon-sat, or a list (mon,tue,thu); normalised to a comma list in week order."""
    text = value.strip().lower().replace(" ", "")
    days: set[int] = set()
    for part in filter(None, text.split(",")):
        ends = part.split("-")
        if len(ends) > 2 or not all(ends) or any(end not in _DAY_NAMES for end in ends):
            raise UsageError(_("workdays {value!r} is not a list of weekdays; use e.g. mon-fri, "
                               "mon-sat or mon,tue,thu,fri (mon tue wed thu fri sat sun)")
                             .format(value=value))
        first, last = WEEKDAYS.index(ends[0][:3]), WEEKDAYS.index(ends[-1][:3])
        if last < first:
            raise UsageError(_("workdays {value!r}: {first}-{last} runs backwards; "
                               "write it from Monday's side, e.g. mon-fri").format(
                value=value, first=ends[0], last=ends[-1]))
        days.update(range(first, last + 1))
    if not days:
        raise UsageError(_("workdays cannot be empty; use e.g. mon-fri or mon-sat"))
    return ",".join(WEEKDAYS[d] for d in sorted(days))


def show_workdays(value: str) -> str:
    """mon,tue,wed,thu,fri -> mon-fri (a run is shown as a range)."""
    if any(d not in WEEKDAYS for d in value.split(",")):
        return value  # a broken stored value is shown as it is
    days = [WEEKDAYS.index(d) for d in value.split(",")]
    if days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        return f"{WEEKDAYS[days[0]]}-{WEEKDAYS[days[-1]]}"
    return value


def workday_numbers(value: str) -> set[int]:
    """Monday = 0 ... Sunday = 6."""
    return {WEEKDAYS.index(d) for d in value.split(",")}


def _country(value: str) -> str:
    text = value.strip().upper()
    if text in ("NONE", "-", ""):
        return "none"
    from holidays import list_supported_countries

    supported = list_supported_countries()
    if text not in supported:
        raise UsageError(_("country {value!r} has no public holiday calendar here; use an ISO "
                           "3166 code such as VN, SG, TH, US, or none (e.g. {codes} ...)").format(
            value=value, codes=", ".join(sorted(supported)[:12])))
    return text


def _days(label: str, low: int, high: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        text = value.strip()
        if not re.fullmatch(r"\d{1,6}", text) or not low <= int(text) <= high:
            raise UsageError(_("{label} must be a whole number from {low} to {high}, "
                               "not {value!r}").format(label=label, low=low, high=high,
                                                       value=value))
        return str(int(text))
    return parse


def _currency(value: str) -> str:
    from .money import lookup_currency

    return lookup_currency(value).code


def _region(value: str) -> str:
    from .identity import region

    return region(value)


def _lead(label: str) -> Callable[[str], str]:
    """Days ahead, or empty: the same as occasion.lead_days."""
    days = _days(label, 0, 60)

    def parse(value: str) -> str:
        return "" if not value.strip() else days(value)
    return parse


def _date_order(value: str) -> str:
    text = value.strip().lower()
    if text not in ("", "dmy", "mdy"):
        raise UsageError(_("date_order must be dmy (14/11/1978, as written in Vietnam) or mdy "
                           "(11/14/1978), or empty, not {value!r}").format(value=value))
    return text


def _url(value: str) -> str:
    """An http(s) URL of a CalDAV/CardDAV server, or empty (no sync)."""
    from urllib.parse import urlsplit

    text = value.strip()
    if not text:
        return ""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or any(
            ch.isspace() or not ch.isprintable() for ch in text):
        raise UsageError(_("sync.url {value!r} is not an http or https URL; give the server's "
                           "address, e.g. https://dav.example.com/ or http://127.0.0.1:5232/")
                         .format(value=value))
    if parts.username is not None or parts.password is not None:  # never kept in the book
        raise UsageError(_("sync.url must not hold a user name or password; give the user with "
                           "--user and the password in RELCRM_SYNC_PASSWORD (or the keyring)"))
    return text if parts.path else text + "/"  # one server, one spelling (setup compares)


def _line(label: str, default: str = "") -> Callable[[str], str]:
    """One line of text (a user name, a collection's name)."""
    def parse(value: str) -> str:
        text = value.strip()
        if any(not ch.isprintable() for ch in text) or len(text) > 200:
            raise UsageError(_("{label} must be one line of at most 200 characters, not "
                               "{value!r}").format(label=label, value=value))
        return text or default
    return parse


def _language(value: str) -> str:
    from .i18n import LANGUAGES, normalize

    if not value.strip():
        return ""
    code = normalize(value)
    if code is None:
        raise UsageError(_("language {value!r}: relcrm speaks {languages} (empty: the "
                           "system's)").format(value=value, languages=", ".join(LANGUAGES)))
    return code


# the kinds of date with lead days of their own, as the setting names them
OCCASION_KINDS = {"birthday": N_("a birthday"), "anniversary": N_("an anniversary"),
                  "founding": N_("a founding day"), "gio": N_("a giỗ (death anniversary)")}

# settings whose check needs a library (holidays, phonenumbers): checked when set and by doctor,
# not on every read (a bad value then fails where it is used, with its own message)
_CHECKED_WHEN_SET = ("country", "region")


@dataclass(frozen=True)
class Setting:
    key: str
    default: str
    help: str
    parse: Callable[[str], str]
    followups: bool = False  # changing it moves follow-up dates (they are recomputed)
    # a help made from a template: the template (N_) and the stage or occasion it names
    template: str = ""
    item: Any = None


def _item_name(item: Any, english: bool = False) -> str:
    """How a setting's help names its stage ("Attract (Thu hút)"; in Vietnamese "Thu hút")
    or occasion kind ("a birthday")."""
    if isinstance(item, str):
        return item if english else dynamic(item)
    from .i18n import current, named

    if current() == "vi" and not english:
        return named(item)
    return f"{item.name} ({item.vietnamese})"


def _made(key: str, default: str, template: str, item: Any, parse: Callable[[str], str],
          followups: bool = False) -> Setting:
    """A setting whose help names a stage or an occasion kind: the help is the English text
    (as exported); describe() gives it in the language relcrm speaks."""
    return Setting(key, default, template.format(name=_item_name(item, english=True)), parse,
                   followups, template=template, item=item)


def describe(setting: Setting) -> str:
    """A setting's meaning for people, in the language relcrm speaks (`relcrm config`)."""
    if setting.template:
        return dynamic(setting.template).format(name=_item_name(setting.item))
    return dynamic(setting.help)


SETTINGS: tuple[Setting, ...] = (
    Setting("workdays", "mon,tue,wed,thu,fri", N_("the days you work; a cadence date that "
            "falls on another day moves to the next working day"), _workdays, True),
    Setting("country", "VN", N_("whose public holidays are days off (ISO code, or none)"),
            _country, True),
    *(_made(f"cadence.{s.key}", str(s.cadence_days), N_("days between touches at {name}"), s,
            _days(f"cadence.{s.key}", 1, 365), True) for s in STAGES),
    *(_made(f"cadence.{s.key}", str(s.cadence_days),
            N_("days between touches with someone at a key account at {name}"), s,
            _days(f"cadence.{s.key}", 1, 365), True) for s in KAM_STAGES),
    Setting("import.per_day", "10", N_("new prospects an import schedules for first contact on "
            "one working day (0: all at once)"), _days("import.per_day", 0, 10_000)),
    Setting("undo.keep", "100", N_("how many of the last changes relcrm undo can take back"),
            _days("undo.keep", 1, 10_000)),
    *(_made(f"deal.probability.{b.key}", str(b.probability),
            N_("the chance (%) that a deal whose customer is at {name} is won: the pipeline's "
               "weight"), b, _days(f"deal.probability.{b.key}", 0, 100)) for b in BUYING_STAGES),
    Setting("occasion.lead_days", "3", N_("days ahead that followups and plan show a person's "
            "important date (a birthday, an anniversary)"), _days("occasion.lead_days", 0, 60),
            True),
    *(_made(f"occasion.lead_days.{kind}", "", N_("days ahead for {name} (empty: "
            "occasion.lead_days)"), name, _lead(f"occasion.lead_days.{kind}"), True)
      for kind, name in OCCASION_KINDS.items()),
    Setting("occasion.gift_lead_days", "21", N_("days before a gift occasion (Tết, Trung thu) "
            "that followups announces the gift list"), _days("occasion.gift_lead_days", 0, 90),
            True),
    Setting("date_order", "", N_("how a date such as 03/04 is read (WHEN, imports): dmy (3 "
            "April, the Vietnamese way) or mdy (March 4); empty: day first, said once"),
            _date_order),
    Setting("language", "", N_("the language relcrm speaks: en, vi, or empty for the system's "
            "(RELCRM_LANG overrides it)"), _language),
    Setting("currency", "VND", N_("the currency of an amount that names none (ISO 4217 code); "
            "each amount keeps its own"), _currency),
    Setting("region", "VN", N_("where a phone number typed without + is read (ISO 3166 code)"),
            _region),
    Setting("sync.url", "", N_("the CalDAV/CardDAV server relcrm sync uses (set by relcrm sync "
            "setup; empty: no sync)"), _url),
    Setting("sync.user", "", N_("the user name on the sync server (the password is never "
            "stored in the book)"), _line("sync.user")),
    Setting("sync.calendar", "relcrm", N_("the name of the calendar that holds relcrm's steps "
            "and dates on the sync server"), _line("sync.calendar", "relcrm")),
    Setting("sync.addressbook", "relcrm", N_("the name of the address book that holds relcrm's "
            "prospects on the sync server"), _line("sync.addressbook", "relcrm")),
)
BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}


def find(key: str) -> Setting:
    setting = BY_KEY.get(key.strip().lower())
    if setting is None:
        raise UsageError(_("unknown setting {key!r}; the settings are: {keys}").format(
            key=key, keys=", ".join(s.key for s in SETTINGS)))
    return setting


def personal(key: str) -> bool:
    """A setting that is one seller's own (their phone sync): on a team database each seller
    has theirs, where a book file has one of each."""
    return key.startswith("sync.")


def table_of(con: Any, key: str) -> str:
    """Where a setting is kept: the book's `setting`; on a team database a seller's own ones
    in `seller_setting` (pgwrite.PERSONAL), which shows each seller only theirs."""
    from .db import on_team

    return "seller_setting" if personal(key) and on_team(con) else "setting"


def get(con: sqlite3.Connection, key: str) -> str:
    """A setting's value in the book (its default when never set). A stored value is checked
    (a book edited by another program could hold anything): a bad one is a clear error."""
    table = table_of(con, key)
    if table == "setting":
        row = con.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
    else:
        found = _own(con).get(key)
        row = None if found is None else (found,)
    if row is None:
        return BY_KEY[key].default
    if key not in _CHECKED_WHEN_SET:
        check(key, row[0])
    return row[0]


def check(key: str, value: str) -> None:
    """Refuse a stored value this relcrm cannot use, naming the way out."""
    from .errors import DatabaseError

    try:
        ok = BY_KEY[key].parse(value) == value
    except UsageError:
        ok = False
    if not ok:
        raise DatabaseError(_("the book's setting {key} = {value!r} is not valid; set it again "
                              "(relcrm config {key} VALUE) or go back to the default "
                              "(relcrm config {key} --reset)").format(key=key, value=value))


def all_values(con: sqlite3.Connection) -> dict[str, str]:
    """Every setting's value (stored ones checked, as by get)."""
    stored = _stored(con)
    for key, value in stored.items():
        if key in BY_KEY and key not in _CHECKED_WHEN_SET:
            check(key, value)
    return {s.key: stored.get(s.key, s.default) for s in SETTINGS}


def _stored(con: Any) -> dict[str, str]:
    """Every stored setting, by key: on a team database the team's, and the seller's own."""
    from .db import on_team

    stored = dict(con.execute("SELECT key, value FROM setting").fetchall())
    if on_team(con):
        stored = {k: v for k, v in stored.items() if not personal(k)}
        stored.update(_own(con))
    return stored


def has_own(con: Any) -> bool:
    """Whether a team database keeps each seller's own settings (seller_setting): one
    readied by an older relcrm has none until team init. Asked once per connection."""
    if not hasattr(con, "has_own"):
        con.has_own = con.raw.execute(
            "SELECT to_regclass('seller_setting') IS NOT NULL").fetchone()[0]
    return con.has_own


def _own(con: Any) -> dict[str, str]:
    """On a team database, the connected seller's own settings (none for its administrator,
    nor on a team database readied by an older relcrm, until team init)."""
    if not has_own(con):
        return {}
    return {k: v for k, v in con.raw.execute(
        "SELECT key, value FROM seller_setting WHERE seller = current_user") if personal(k)}


def problems(con: sqlite3.Connection) -> list[str]:
    """Stored settings this relcrm cannot use (doctor), and rows of unknown keys."""
    found = []
    for key, value in sorted(_stored(con).items()):
        if key not in BY_KEY:
            found.append(_("unknown setting {key!r}").format(key=key))
            continue
        try:
            ok = BY_KEY[key].parse(value) == value
        except UsageError:
            ok = False
        if not ok:
            found.append(_("{key} = {value!r} is not valid").format(key=key, value=value))
    return found


def shown(key: str, value: str) -> str:
    return show_workdays(value) if key == "workdays" else value
