"""Decree 713 (2019-09-01): what the pack tells the engine and the read models beyond its YAML.

``input_refs``: the comments and expert opinions an adoption report must answer (Art. 18).
``catalogue_steps``: the yearly catalogue's five step columns (公众参与, 专家论证, 风险评估, 合法性审查, 集体讨论).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow.packs.cn_713_2019_09_01.records import input_refs

__all__ = ["catalogue_steps", "input_refs"]

_PARTICIPATION_TASKS = ("public_comment", "hearing", "group_consultation")
_LAWFUL = ("lawful", "exploratory_reform")
_DECIDED = ("adopted", "adopted_with_changes", "rejected")


def catalogue_steps(procedure_tasks: Mapping[str, Mapping[str, Any]], facts: Mapping[str, Any]) -> dict[str, str]:
    """The five catalogue steps' statuses from the task statuses and the facts."""
    flags = set(facts.get("flags") or [])
    parts = [procedure_tasks.get(t, {}).get("status", "not_required") for t in _PARTICIPATION_TASKS]
    if "done" in parts or facts.get("participation"):
        participation = "done"
    elif "confidential" in flags:
        participation = "not_required"
    else:
        participation = "open"
    out = {"participation": participation}
    for task in ("expert_review", "risk_assessment"):
        out[task] = str(procedure_tasks.get(task, {}).get("status", "not_required"))
    opinion = facts.get("opinion") or {}
    out["legality_review"] = "done" if opinion.get("outcome") in _LAWFUL else "open"
    decision = facts.get("decision") or {}
    out["collective_discussion"] = "done" if decision.get("outcome") in _DECIDED else "open"
    return out
