"""The one registry of what a book holds: every table, its nouns, and how its rows belong.

Restore, doctor, backup's counts, export and (later) undo, delete and merge derive their lists
of tables from here; tests/test_schema.py checks that every table of the schema is registered,
so a new table cannot be forgotten by any of them. Light: no imports beyond the standard
library (and i18n, which is light too).
"""

from __future__ import annotations

from dataclasses import dataclass

from .i18n import N_, dynamic, number


@dataclass(frozen=True)
class Entity:
    table: str
    one: str  # "touch"
    many: str  # "touches"
    export: str | None = None  # its `relcrm export` entity, if it has one of its own
    parent: str | None = None  # the table its rows belong to (deleted with it)
    derived: bool = False  # holds values rebuilt from facts (doctor compares them)
    # the rows about one prospect (:pid), as an SQL condition: what delete removes, what
    # delete --forget erases from the journal too
    person: str | None = None


# In the order they are reported (doctor, restore); restore defers foreign-key checks to its
# commit, so no order between parents and children is needed.
_OWN = "prospect_id = :pid"
# the deals that go with a prospect: without an account, and with nobody else
OWN_DEALS = ("SELECT d.id FROM deal d JOIN deal_person dp ON dp.deal_id = d.id WHERE "
             "dp.prospect_id = :pid AND d.account_id IS NULL AND NOT EXISTS (SELECT 1 FROM "
             "deal_person o WHERE o.deal_id = d.id AND o.prospect_id <> :pid)")
ENTITIES: tuple[Entity, ...] = (
    Entity("prospect", N_("prospect"), N_("prospects"), "prospects", derived=True,
           person="id = :pid"),
    Entity("tag", N_("tag"), N_("tags"), None, "prospect", person=_OWN),
    Entity("touch", N_("touch"), N_("touches"), "touches", "prospect", person=_OWN),
    Entity("call_note", N_("call note"), N_("call notes"), None, "touch",
           person="touch_id IN (SELECT id FROM touch WHERE prospect_id = :pid)"),
    Entity("stage_change", N_("stage change"), N_("stage changes"), "stages", "prospect",
           person=_OWN),
    Entity("qualification", N_("judgement"), N_("judgements"), "qualifications", "prospect",
           person=_OWN),
    Entity("account", N_("account"), N_("accounts"), "accounts", derived=True),
    Entity("prospect_role", N_("role"), N_("roles"), "roles", "prospect", person=_OWN),
    Entity("kam_change", N_("KAM change"), N_("KAM changes"), "kam", "account"),
    Entity("account_criterion", N_("choice criterion"), N_("choice criteria"), None, "account"),
    Entity("touch_person", N_("person in a touch"), N_("people in touches"), None, "touch",
           person=_OWN),
    Entity("step", N_("step"), N_("steps"), "steps", person=_OWN),
    Entity("step_person", N_("person in a step"), N_("people in steps"), None, "step", person=_OWN),
    Entity("step_change", N_("step change"), N_("step changes"), "step_changes", "step",
           person="step_id IN (SELECT id FROM step WHERE prospect_id = :pid)"),
    Entity("setting", N_("setting"), N_("settings"), "settings"),
    Entity("prospect_alias", N_("merged id"), N_("merged ids"), "aliases", "prospect", person=_OWN),
    Entity("contact", N_("contact detail"), N_("contact details"), None, "prospect", person=_OWN),
    # a deal belongs to its account; a deal without one (a person with no company) goes with
    # its only person
    Entity("deal", N_("deal"), N_("deals"), "deals", "account", person=f"id IN ({OWN_DEALS})"),
    Entity("deal_person", N_("person in a deal"), N_("people in deals"), None, "deal", person=_OWN),
    Entity("deal_change", N_("deal change"), N_("deal changes"), "deal_changes", "deal",
           person=f"deal_id IN ({OWN_DEALS})"),
    Entity("fact", N_("fact"), N_("facts"), "facts", "prospect", person=_OWN),
    Entity("important_date", N_("important date"), N_("important dates"), "dates", "prospect",
           person=_OWN),
    Entity("occasion", N_("occasion"), N_("occasions"), "occasions"),
)
BY_TABLE: dict[str, Entity] = {e.table: e for e in ENTITIES}
TABLES: tuple[str, ...] = tuple(e.table for e in ENTITIES)
# Tables of the machinery, not of the seller's records (copied by restore, never counted).
INTERNAL: tuple[str, ...] = ("_migrations", "_day_off", "_dirty", "_change", "_journal",
                             "_sync_item", "_sync_state")
# The full-text index of every note (core/search.py) and SQLite's tables behind it: rebuilt
# from the records, never copied, counted or journaled.
SEARCH: tuple[str, ...] = ("_search", "_search_data", "_search_idx", "_search_content",
                           "_search_docsize", "_search_config")


def noun(table: str, count: int) -> str:
    """'1 touch', '3 touches', for people (in the language relcrm speaks: '3 lần tiếp xúc')."""
    entity = BY_TABLE[table]
    return f"{number(count)} {dynamic(entity.one if count == 1 else entity.many)}"


def stored_noun(table: str, count: int) -> str:
    """'1 touch', '3 touches' in English, for text stored in the book (the journal's
    summaries), which does not change with the language."""
    entity = BY_TABLE[table]
    return f"{count:,} {entity.one if count == 1 else entity.many}"
