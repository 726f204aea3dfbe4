"""The ``transitions`` machine built from a definition: one per procedure version, built once.

The machine is stateless and shared (``model=None``); each firing passes a throwaway model that
carries the decision's current state. ``auto_transitions`` is off, so a state can only be left by an
action the definition names; outcome-dependent destinations are conditions on the outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from transitions import EventData, Machine

from workflow.engine.definition import ProcedureDef


class _Probe:
    """A one-shot model: the state before the firing, the state after it."""

    def __init__(self, state: str) -> None:
        self.state = state


def _outcome_is(value: str) -> Callable[[EventData], bool]:
    def condition(event: EventData) -> bool:
        return bool(event.kwargs.get("outcome") == value)

    return condition


def build_machine(procedure: ProcedureDef) -> Machine:
    """A machine with every state and action of ``procedure``; guards are checked by the engine first."""
    machine = Machine(
        model=None, states=list(procedure.states), initial=procedure.initial,
        auto_transitions=False, send_event=True, ignore_invalid_triggers=False,
    )
    for action in procedure.actions.values():
        for source in action.sources:
            if action.outcome_field:
                for outcome, dest in action.outcomes.items():
                    machine.add_transition(action.id, source, None if dest == source else dest,
                                           conditions=[_outcome_is(outcome)])
            else:
                machine.add_transition(action.id, source, action.target)
    return machine


_MACHINES: dict[tuple[str, str], Machine] = {}


def machine_for(procedure: ProcedureDef) -> Machine:
    """The shared machine of one procedure version (built on first use, then reused)."""
    key = (procedure.key, procedure.source)
    if key not in _MACHINES:
        _MACHINES[key] = build_machine(procedure)
    return _MACHINES[key]


def fire(procedure: ProcedureDef, state: str, action: str, outcome: str | None) -> str | None:
    """The state after ``action`` from ``state`` with ``outcome``, or None when the machine refuses."""
    probe: Any = _Probe(state)
    machine = machine_for(procedure)
    event = machine.events.get(action)
    if event is None or state not in event.transitions:
        return None
    return str(probe.state) if event.trigger(probe, outcome=outcome) else None
