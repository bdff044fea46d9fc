"""How stored values read for people, in the current language (a stage, a qualification
status, a word relcrm stored, a kind): light, without rich, for tables drawn in a pipe."""

from typing import Any

from ..i18n import N_, dynamic
from ..methodology import STAGES


def _in_english() -> bool:
    from .. import i18n

    return i18n.current() != "vi"


def stage_shown(stage: Any, numbered: bool = False) -> str:
    """A stage for people: "4/7 Develop (Phát triển)" in English, "4/7 Phát triển" in
    Vietnamese (numbered: with its place among the seven)."""
    from .. import i18n

    name = (f"{stage.name} ({stage.vietnamese})" if _in_english() and stage.vietnamese
            else i18n.named(stage))
    return f"{stage.number}/{len(STAGES)} {name}" if numbered and stage.number else name


# The qualification statuses as shown (stored and typed as their keys, which English shows).
STATUS_TEXT = {"qualified": N_("qualified"), "open": N_("open (not yet qualified)"),
               "disqualified": N_("disqualified"), "customer": N_("customer")}


def status_text(status: str) -> str:
    """A qualification status for people: its key in English, its words in Vietnamese."""
    if _in_english() or status not in STATUS_TEXT:
        return status
    return dynamic(STATUS_TEXT[status])


# What a step kind, a touch kind, a call outcome or a step action stored in the book reads
# as (dynamic(value) at display): listed here for the catalog.
if False:  # noqa: SIM108
    N_("call"), N_("meeting"), N_("visit"), N_("demo"), N_("email"), N_("message"), N_("todo")
    N_("letter"), N_("gift"), N_("event"), N_("note")
    N_("order"), N_("advance"), N_("continuation"), N_("no-sale")
    N_("family"), N_("interests"), N_("work"), N_("other")
    N_("moved"), N_("done"), N_("dropped")


def stored_word(value: str) -> str:
    """A word relcrm itself stored (a first stage change's reason "added", an imported one's
    "imported", a step's action) for people: unchanged in English."""
    if _in_english() or not value:
        return value
    words = {"added": N_("added to the book"), "imported": N_("imported"),
             "marked key": N_("marked key")}
    return dynamic(words[value]) if value in words else value


def word(value: str | None) -> str:
    """A stored English word (a step or touch kind, an outcome) in the current language."""
    return dynamic(value) if value else (value or "")
