"""Decree 713 (2019-09-01): when each consultation task counts as done (the YAML's ``done_when`` names).

A predicate has the signature ``(task id, facts, now, office) -> bool`` (``workflow.engine.tasks.TaskPredicate``).
Frozen with this pack.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from workflow.engine.context import Office, parse_iso
from workflow.packs.cn_713_2019_09_01.records import missing_adoption_entries

Facts = Mapping[str, Any]


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
