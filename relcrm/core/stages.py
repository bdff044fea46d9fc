"""Moving a relationship through the seven stages; every change is kept with date and reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import dates
from ..errors import UsageError
from ..i18n import _
from ..methodology import LOST, STAGE_BY_KEY, Stage, next_stage, resolve_stage
from . import derive, fields
from .prospects import resolve

if TYPE_CHECKING:
    from sqlmodel import Session

    from ..models import Prospect


@dataclass
class Moved:
    prospect: "Prospect"
    before: Stage
    after: Stage


def set_stage(session: "Session", ref: str, stage: str | Stage,
              reason: str | None = None, revisit=None) -> Moved:
    """Put a relationship at any stage (number, key or name), including lost and back. A lost
    one may carry a revisit date: it comes back in followups then."""
    target = stage if isinstance(stage, Stage) else resolve_stage(stage)
    reason = fields.text("reason", reason)
    if target is LOST and not reason:
        raise UsageError(_("marking a relationship lost needs --reason (what ended it?)"))
    revisit_on = None
    if revisit is not None:
        if target is not LOST:
            raise UsageError(_("--revisit goes with `lost` (when to come back to a lost "
                               "relationship); other stages are followed up by their "
                               "cadence"))
        day = dates.to_day(revisit)
        if day <= dates.today():
            raise UsageError(_("--revisit {day}: give a date after today").format(
                day=dates.show_day(day)))
        revisit_on = day.isoformat()
    prospect = resolve(session, ref)
    before = STAGE_BY_KEY[prospect.stage]
    if before is target:
        raise UsageError(_("{name} is already at {stage}").format(name=prospect.name,
                                                                  stage=_label(target)))
    return _move(session, prospect, before, target, reason, revisit_on)


def advance(session: "Session", ref: str, reason: str | None = None) -> Moved:
    """Stage n -> n+1. Refuses at Loyal (the last stage) and for lost relationships."""
    reason = fields.text("reason", reason)
    prospect = resolve(session, ref)
    before = STAGE_BY_KEY[prospect.stage]
    if before is LOST:
        raise UsageError(_("{name} is lost; reopen with `relcrm stage set {id} "
                           "STAGE`").format(name=prospect.name, id=prospect.id))
    after = next_stage(before)
    if after is None:
        raise UsageError(_("{name} is already at {stage}, the last stage; keep the "
                           "relationship with regular care").format(name=prospect.name,
                                                                    stage=_label(before)))
    return _move(session, prospect, before, after, reason)


def _move(session: "Session", prospect: "Prospect", before: Stage, after: Stage,
          reason: str | None, revisit_on: str | None = None) -> Moved:
    from ..models import StageChange

    stamp = dates.iso(dates.now())
    session.add(StageChange(prospect_id=prospect.id, at=stamp, from_stage=before.key,
                            to_stage=after.key, reason=reason,
                            seq=derive.next_seq(session, prospect.id), revisit_on=revisit_on))
    prospect.updated_at = stamp
    return Moved(derive.refresh(session, prospect.id), before, after)


def _label(stage: Stage) -> str:
    from ..i18n import named

    return (_("{stage} (stage {number})").format(stage=named(stage), number=stage.number)
            if stage.number else named(stage))
