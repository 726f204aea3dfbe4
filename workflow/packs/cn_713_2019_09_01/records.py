"""Decree 713 (2019-09-01): what the facts say is on record (read by the guards, the archive and tests).

Not guards: the pack's YAML names only the functions of ``guards.py``, ``effects.py`` and ``tasks.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from workflow.engine.context import Office
from workflow.engine.definition import ProcedureDef, TaskDef
from workflow.engine.tasks import task_done, task_required

Facts = Mapping[str, Any]


def has_lawful_opinion(facts: Mapping[str, Any]) -> bool:
    """A lawful (or exploratory-reform) opinion of the latest round bound to the current draft."""
    opinion, draft = facts.get("opinion"), facts.get("draft")
    return bool(
        opinion and draft and opinion["outcome"] in ("lawful", "exploratory_reform")
        and opinion["draft_hash"] == draft["hash"]
        and opinion["round"] == (facts.get("review") or {}).get("round")
    )


def consultation_record_gaps(procedure: ProcedureDef, facts: Mapping[str, Any], now: dt.datetime,
                             office: Office) -> list[str]:
    """Consultation records the archive needs that are missing (Art. 33, with Art. 14-24, 29)."""
    gaps = []
    for task in procedure.tasks.values():
        # A waived step's record is its stated reason (task_waivable refuses a waiver without one);
        # task_required is False for it. Otherwise a step required by a flag, by the input it answers
        # (the adoption report) or by having been started (a window opened, a hearing scheduled) is filed.
        if not task_required(task, facts) or _record_on_file(task, facts, now, office):
            continue
        gaps.append(f"{task.label.zh}记录 / {task.label.en} record")
    if procedure.tasks and not ("confidential" in facts.get("flags", []) or facts.get("participation") or any(
            t.participation and task_done(t, facts, now, office) for t in procedure.tasks.values())):
        gaps.append("公众参与记录 / public participation record (Art. 14)")
    return gaps


def _record_on_file(task: TaskDef, facts: Mapping[str, Any], now: dt.datetime, office: Office) -> bool:
    if task.done_when == "expert_review_done":
        # The archive asks whether the signed opinions are on file. How many an office wants was checked
        # when the review was requested (rule 4); raising the minimum later does not unmake the record.
        return any(not o.get("declared_interest") for o in facts.get("expert_opinions", []))
    return task_done(task, facts, now, office)


def dossier_gaps(facts: Mapping[str, Any]) -> list[str]:
    """Main-line records the archive needs that are missing (Art. 33)."""
    needed = [
        ("draft", "决策草案 / draft"), ("opinion", "合法性审查意见 / legality opinion"),
        ("meeting", "集体讨论记录 / discussion record"), ("decision", "决定 / decision record"),
        ("party_report", "党委请示报告 / Party report"), ("publication", "公布或不予公开记录 / publication record"),
    ]
    gaps = [label for key, label in needed if not facts.get(key)]
    if not facts.get("progress_reports"):
        gaps.append("执行情况报告 / implementation report (Art. 34)")
    return gaps


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
