"""Consultation tasks: when each counts as done, and which are required for a decision right now.

Tasks are records inside the ``consultation`` state (procedure.md). A task is required when a flag
requires it, when it depends on input that exists (the adoption report), or once it has been started
(a comment window opened, a hearing scheduled): a started step must be finished, not abandoned.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from workflow.engine.context import Office, parse_iso
from workflow.engine.definition import ProcedureDef, TaskDef

Facts = Mapping[str, Any]
TaskPredicate = Callable[[str, Facts, dt.datetime, Office], bool]


def public_comment_done(task: str, facts: Facts, now: dt.datetime, office: Office) -> bool:
    """The window was opened and has closed (Art. 15)."""
    window = facts.get("comment_window")
    return window is not None and parse_iso(window["closes_at"]) <= now


def hearing_done(task: str, facts: Facts, now: dt.datetime, office: Office) -> bool:
    """Hearing scheduled, materials delivered, signed record stored (Art. 16-17)."""
    hearing = facts.get("hearing") or {}
    return bool(hearing.get("delivered_at") and hearing.get("record"))


def record_stored(task: str, facts: Facts, now: dt.datetime, office: Office) -> bool:
    """The task's own record (minutes, review record, agreement) is on file."""
    return bool((facts.get("records") or {}).get(task))


def expert_review_done(task: str, facts: Facts, now: dt.datetime, office: Office) -> bool:
    """At least the office's minimum of signed opinions from experts without an interest (Art. 19-20)."""
    opinions = [o for o in facts.get("expert_opinions", []) if not o.get("declared_interest")]
    return len(opinions) >= int(office.setting("expert_opinions_min"))


def risk_assessment_done(task: str, facts: Facts, now: dt.datetime, office: Office) -> bool:
    """A report found the risk controllable, or a prior assessment is referenced (Art. 22, 24)."""
    risk = facts.get("risk")
    return bool(facts.get("prior_risk_assessment")) or bool(risk and risk.get("controllable"))


def adoption_report_done(task: str, facts: Facts, now: dt.datetime, office: Office) -> bool:
    """Every comment and expert opinion on file is answered in the adoption report (Art. 18)."""
    report = facts.get("adoption") or {}
    return bool(report) and not missing_adoption_entries(facts, report.get("entries", {}))


TASK_PREDICATES: Mapping[str, TaskPredicate] = {
    "public_comment_done": public_comment_done,
    "hearing_done": hearing_done,
    "record_stored": record_stored,
    "expert_review_done": expert_review_done,
    "risk_assessment_done": risk_assessment_done,
    "adoption_report_done": adoption_report_done,
}


def input_refs(facts: Facts) -> list[str]:
    """References of every public comment and expert opinion that must be answered."""
    refs = [f"comment:{c['id']}" for c in facts.get("comments", [])]
    refs += [f"expert:{i + 1}" for i, _ in enumerate(facts.get("expert_opinions", []))]
    return refs


def missing_adoption_entries(facts: Facts, entries: Mapping[str, Any]) -> list[str]:
    """Inputs with no entry, or marked not adopted without a reason."""
    missing = []
    for ref in input_refs(facts):
        entry = entries.get(ref)
        if not entry:
            missing.append(ref)
        elif entry.get("adoption") == "not_adopted" and not str(entry.get("reason", "")).strip():
            missing.append(f"{ref}（未采纳须说明理由 / reason for not adopting）")
    return missing


def task_done(task: TaskDef, facts: Facts, now: dt.datetime, office: Office) -> bool:
    """Whether ``task`` is done."""
    return TASK_PREDICATES[task.done_when](task.id, facts, now, office)


def task_required(task: TaskDef, facts: Facts) -> bool:
    """Whether ``task`` is required for this decision now (waived tasks never are)."""
    state = (facts.get("tasks") or {}).get(task.id, {})
    if state.get("waived"):
        return False
    if task.required_for(frozenset(facts.get("flags", []))):
        return True
    if task.when_input and input_refs(facts):
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
