"""How an accepted action changes a decision's facts: the fold of audit events through the pack's effects.

``apply_event`` is used both when an action is taken and when a decision is replayed from its audit
trail, so the stored facts must always equal the fold of the events (tests assert it). The effect functions
themselves belong to the procedure's pack (its ``effects.py``), resolved when the pack loads: an effect
reads only the facts and the event, never the clock, the database or the office settings.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from workflow.engine.definition import ProcedureDef

Facts = dict[str, Any]
Event = Mapping[str, Any]
Effect = Callable[[Facts, Event, ProcedureDef], None]
#: Audited events that are not procedure actions and change neither state nor facts.
META_ACTIONS = frozenset({"deadline_extended", "deadline_paused", "backfill_requested", "backfill_rejected",
                          "approval_requested", "approval_declined"})


def effective_at(ev: Event) -> str:
    """When the event happened: a back-entry's stated occurrence, otherwise its instant of entry."""
    backfill = ev.get("backfill")
    return str(backfill["occurred_at"]) if backfill else str(ev["at"])


def initial_facts() -> Facts:
    """Facts of a decision that has just been proposed."""
    return {"flags": [], "tasks": {}}


def _unchanged(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """An action without an effect: the event itself is the record."""


def _correct(facts: Facts, ev: Event, procedure: ProcedureDef, effect: Effect, key: str) -> None:
    """A correction appends a version of one record: the effect runs on a copy, only its record moves over."""
    scratch = copy.deepcopy(facts)
    effect(scratch, ev, procedure)
    facts.setdefault("superseded", {}).setdefault(key, []).append(facts.get(key))
    corrected = dict(scratch.get(key) or {})
    corrected["version"] = ev["correction"]["version"]
    corrected["correction"] = {"reason": ev["correction"]["reason"], "at": ev["at"], "by": ev["actor"].get("name")}
    facts[key] = corrected


def apply_event(procedure: ProcedureDef, facts: Mapping[str, Any], event: Event) -> Facts:
    """The facts after ``event``: a pure function of the facts before and the event."""
    new = copy.deepcopy(dict(facts))
    action = procedure.actions[event["action"]]
    effect = action.apply or _unchanged
    if "correction" in event and action.record:
        _correct(new, event, procedure, effect, action.record)
    else:
        effect(new, event, procedure)
    if "backfill" in event:
        # Statistics and pages tell back-entered steps apart (补录).
        new.setdefault("backfilled", []).append({"action": event["action"], "occurred_at": effective_at(event)})
    return new
