"""Consultation tasks: whether each is done, and which are required for a decision right now.

A task is required when a flag requires it, when it depends on input that exists (the inputs an adoption
report answers, as the pack's ``input_refs`` hook finds them), or once it has been started (a comment window
opened, a hearing scheduled): a started step must be finished, not abandoned. When a task is done is the
pack's own predicate (its ``tasks.py``), named by ``done_when`` and resolved when the pack loads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from workflow.engine.context import Office
from workflow.engine.definition import ProcedureDef, TaskDef

Facts = Mapping[str, Any]
#: ``(task id, facts, now, office) -> done``: the signature of a pack's done-when predicate.
TaskPredicate = Callable[[str, Facts, dt.datetime, Office], bool]


def task_done(task: TaskDef, facts: Facts, now: dt.datetime, office: Office) -> bool:
    """Whether ``task`` is done, by its pack's predicate."""
    assert task.done is not None, f"task '{task.id}' has no resolved done_when predicate"
    return task.done(task.id, facts, now, office)


def task_required(task: TaskDef, facts: Facts) -> bool:
    """Whether ``task`` is required for this decision now (waived tasks never are)."""
    state = (facts.get("tasks") or {}).get(task.id, {})
    if state.get("waived"):
        return False
    if task.required_for(frozenset(facts.get("flags", []))):
        return True
    if task.when_input and task.inputs is not None and task.inputs(facts):
        return True
    return bool(state.get("started"))


def task_status(procedure: ProcedureDef, facts: Facts, now: dt.datetime, office: Office) -> dict[str, dict[str, Any]]:
    """Each task with ``required``, ``status`` (done / waived / open / not_required) and any reason."""
    out: dict[str, dict[str, Any]] = {}
    for task in procedure.tasks.values():
        state = (facts.get("tasks") or {}).get(task.id, {})
        required = task_required(task, facts)
        if state.get("waived"):
            status = "waived"
        elif task_done(task, facts, now, office):
            status = "done"
        else:
            status = "open" if required else "not_required"
        out[task.id] = {"required": required, "status": status, "reason": state.get("waived", "")}
    return out
