"""The one registry of what a book holds: every table, its nouns, and how its rows belong.

Restore, doctor, backup's counts, export and (later) undo, delete and merge derive their lists
of tables from here; tests/test_schema.py checks that every table of the schema is registered,
so a new table cannot be forgotten by any of them. Light: no imports beyond the standard
library.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    Entity("prospect", "prospect", "prospects", "prospects", derived=True, person="id = :pid"),
    Entity("tag", "tag", "tags", None, "prospect", person=_OWN),
    Entity("touch", "touch", "touches", "touches", "prospect", person=_OWN),
    Entity("call_note", "call note", "call notes", None, "touch",
           person="touch_id IN (SELECT id FROM touch WHERE prospect_id = :pid)"),
    Entity("stage_change", "stage change", "stage changes", "stages", "prospect", person=_OWN),
    Entity("qualification", "judgement", "judgements", "qualifications", "prospect",
           person=_OWN),
    Entity("account", "account", "accounts", "accounts", derived=True),
    Entity("prospect_role", "role", "roles", "roles", "prospect", person=_OWN),
    Entity("kam_change", "KAM change", "KAM changes", "kam", "account"),
    Entity("account_criterion", "choice criterion", "choice criteria", None, "account"),
    Entity("touch_person", "person in a touch", "people in touches", None, "touch",
           person=_OWN),
    Entity("step", "step", "steps", "steps", person=_OWN),
    Entity("step_person", "person in a step", "people in steps", None, "step", person=_OWN),
    Entity("step_change", "step change", "step changes", "step_changes", "step",
           person="step_id IN (SELECT id FROM step WHERE prospect_id = :pid)"),
    Entity("setting", "setting", "settings", "settings"),
    Entity("prospect_alias", "merged id", "merged ids", "aliases", "prospect", person=_OWN),
    Entity("contact", "contact detail", "contact details", None, "prospect", person=_OWN),
    # a deal belongs to its account; a deal without one (a person with no company) goes with
    # its only person
    Entity("deal", "deal", "deals", "deals", "account", person=f"id IN ({OWN_DEALS})"),
    Entity("deal_person", "person in a deal", "people in deals", None, "deal", person=_OWN),
    Entity("deal_change", "deal change", "deal changes", "deal_changes", "deal",
           person=f"deal_id IN ({OWN_DEALS})"),
    Entity("fact", "fact", "facts", "facts", "prospect", person=_OWN),
    Entity("important_date", "important date", "important dates", "dates", "prospect",
           person=_OWN),
    Entity("occasion", "occasion", "occasions", "occasions"),
)
BY_TABLE: dict[str, Entity] = {e.table: e for e in ENTITIES}
TABLES: tuple[str, ...] = tuple(e.table for e in ENTITIES)
# Tables of the machinery, not of the seller's records (copied by restore, never counted).
INTERNAL: tuple[str, ...] = ("_migrations", "_day_off", "_dirty", "_change", "_journal")
# The full-text index of every note (core/search.py) and SQLite's tables behind it: rebuilt
# from the records, never copied, counted or journaled.
SEARCH: tuple[str, ...] = ("_search", "_search_data", "_search_idx", "_search_content",
                           "_search_docsize", "_search_config")


def noun(table: str, count: int) -> str:
    """'1 touch', '3 touches'."""
    entity = BY_TABLE[table]
    return f"{count:,} {entity.one if count == 1 else entity.many}"
