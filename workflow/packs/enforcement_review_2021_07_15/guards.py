"""The hard rules of the enforcement-review pack (spec section 6), as pure guards named ``er_…``.

A guard looks at an ``Attempt`` and returns ``None`` or the refusal naming its rule and article. Names resolve
in this pack only (``__all__``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from workflow.engine.context import Attempt
from workflow.engine.errors import RuleViolation
from workflow.packs.enforcement_review_2021_07_15 import rules
from workflow.packs.enforcement_review_2021_07_15.effects import CHECKLIST, MATERIALS

# The names procedure.yaml may use; all defined here.
__all__ = ["er_close_reason_given", "er_collective_discussion_when_required", "er_decision_matches_reviewed", "er_major_case_ground", "er_materials_complete", "er_meeting_once", "er_meeting_record_complete", "er_opinion_complete", "er_return_reason_given", "er_review_passed_on_current_draft", "er_reviewer_independent", "er_reviewer_qualified", "er_revision_addresses_opinion"]

#: CF58 第一款 (一)–(四): the grounds that make a decision need a legal review.
GROUNDS = frozenset({"public_interest", "hearing_held", "complex_case", "required_by_law"})
#: Materials every submission carries (辽宁 (一)–(四), 宁夏: 证据资料、拟作出的决定文书; GB118 R: 裁量基准).
ALWAYS = ("investigation_report", "evidence", "evidence_list", "legal_basis", "discretion_statement",
          "proposal_statement")
LABELS = {
    "investigation_report": "案件调查终结报告", "evidence": "证据材料", "evidence_list": "证据清单",
    "legal_basis": "适用的法律依据", "discretion_statement": "裁量基准适用说明", "proposal_statement": "拟作出决定的建议及情况说明",
    "hearing_record": "听证笔录", "assessment_report": "评估报告", "draft": "行政执法决定书代拟稿", "case": "案件登记信息",
    "subject_ok": "执法主体与执法资格", "procedure_ok": "程序合法", "facts_evidence_ok": "事实清楚、证据确实充分",
    "law_discretion_ok": "适用法律准确、裁量适当", "within_authority": "未超越法定权限", "documents_ok": "执法文书完备规范",
    "suspected_crime": "涉嫌犯罪需移送司法机关", "issues": "存在的问题",
}
#: CF58 第二款 binds reviewers who first take up penalty review once the 2021 law is in force.
LAW_IN_FORCE = dt.date(2021, 7, 15)
PASSING = "agree"


def _blank(value: Any) -> bool:
    return value is None or value is False or (isinstance(value, str | list | dict) and not value) or (
        isinstance(value, str) and not value.strip())


def _flags(a: Attempt) -> set[str]:
    return set(a.facts.get("flags", []))


def _materials(a: Attempt) -> dict[str, Any]:
    """The materials on file, with those this attempt supplies over them (a supplement adds, never removes)."""
    items = dict((a.facts.get("materials") or {}).get("items") or {})
    return items | {k: a.data[k] for k in MATERIALS if not _blank(a.data.get(k))}


def er_major_case_ground(a: Attempt) -> RuleViolation | None:
    """CF58 第一款: a case belongs here only on one of the four grounds for review."""
    if not set(a.data.get("flags") or []) & GROUNDS:
        return RuleViolation.of(rules.NOT_A_MAJOR_CASE)
    return None


def er_materials_complete(a: Attempt) -> RuleViolation | None:
    """GB118, 辽宁 (一)–(六): the whole materials list, the registered case and the proposed decision; CF58(二)."""
    items = _materials(a)
    missing = [k for k in ("case", "draft") if not a.facts.get(k)]
    missing += [k for k in ALWAYS if _blank(items.get(k))]
    if "assessed" in _flags(a) and _blank(items.get("assessment_report")):
        missing.append("assessment_report")
    if missing:
        return RuleViolation.of(rules.MATERIALS_INCOMPLETE, missing="、".join(LABELS[k] for k in missing),
                                fields=missing)
    if "hearing_held" in _flags(a) and _blank(items.get("hearing_record")):
        return RuleViolation.of(rules.HEARING_RECORD_REQUIRED)
    return None


def er_return_reason_given(a: Attempt) -> RuleViolation | None:
    """GB118: a return lists every material to supply, once."""
    return RuleViolation.of(rules.RETURN_REASON_REQUIRED) if _blank(a.data.get("missing")) else None


def er_reviewer_independent(a: Attempt) -> RuleViolation | None:
    """CF58, CF43: the reviewer is not the owner, a named case handler, nor anyone who drafted the decision."""
    handlers = {str(h) for h in (a.facts.get("case") or {}).get("handlers", [])}
    if (a.actor.id == a.decision.owner_id or a.actor.id in a.facts.get("drafters", [])
            or str(a.actor.name) in handlers):
        return RuleViolation.of(rules.REVIEWER_IS_HANDLER)
    return None


def er_reviewer_qualified(a: Attempt) -> RuleViolation | None:
    """CF58 第二款: a first-time penalty reviewer holds the 法律职业资格 (declared in the signed opinion)."""
    if (a.facts.get("case") or {}).get("kind") != "penalty" or not _blank(a.data.get("qualification_no")):
        return None
    since = a.data.get("reviewing_since")
    if since and dt.date.fromisoformat(str(since)) < LAW_IN_FORCE:
        return None  # reviewing penalties before the 2021 law: not "初次从事" under it
    return RuleViolation.of(rules.REVIEWER_NOT_QUALIFIED)


def er_opinion_complete(a: Attempt) -> RuleViolation | None:
    """GB118: "agree" confirms every item and no suspected crime; "revise"/"disagree" lists the issues."""
    if a.data.get("outcome") == PASSING:
        missing = [k for k in CHECKLIST if not a.data.get(k)]
        missing += ["suspected_crime"] if a.data.get("suspected_crime") else []
    else:
        missing = ["issues"] if _blank(a.data.get("issues")) else []
    if missing:
        return RuleViolation.of(rules.OPINION_INCOMPLETE, missing="、".join(LABELS[k] for k in missing), items=missing)
    return None


def er_revision_addresses_opinion(a: Attempt) -> RuleViolation | None:
    """GB118, 宁夏: after an opinion with issues, the submission says how each was handled."""
    opinion = a.facts.get("opinion") or {}
    if opinion and opinion.get("outcome") != PASSING and _blank(a.data.get("response_to_opinion")):
        return RuleViolation.of(rules.REVISION_UNANSWERED)
    return None


def review_passed(facts: Mapping[str, Any]) -> bool:
    """A passing ("agree") opinion of the latest review round is on file."""
    opinion, review = facts.get("opinion"), facts.get("review")
    return bool(opinion and review and opinion["outcome"] == PASSING and opinion["round"] == review["round"]
                and not review.get("returned"))


def er_review_passed_on_current_draft(a: Attempt) -> RuleViolation | None:
    """CF58: "未经法制审核或者审核未通过的，不得作出决定"."""
    return None if review_passed(a.facts) else RuleViolation.of(rules.REVIEW_NOT_PASSED)


def er_decision_matches_reviewed(a: Attempt) -> RuleViolation | None:
    """CF58: the decision made is the text reviewed; a changed text goes back to review."""
    opinion, draft = a.facts.get("opinion") or {}, a.facts.get("draft") or {}
    return None if opinion.get("draft_hash") == draft.get("hash") else RuleViolation.of(rules.DECISION_NOT_REVIEWED)


def er_collective_discussion_when_required(a: Attempt) -> RuleViolation | None:
    """CF57(2): a complex or serious case is decided after the leaders' collective discussion of the reviewed case."""
    if "collective_required" not in _flags(a):
        return None
    meeting, opinion = a.facts.get("meeting") or {}, a.facts.get("opinion") or {}
    if not meeting or meeting.get("opinion_round") != opinion.get("round"):
        return RuleViolation.of(rules.COLLECTIVE_DISCUSSION_REQUIRED)
    return None


def er_meeting_record_complete(a: Attempt) -> RuleViolation | None:
    """CF57(2): the record names the leaders present and attaches the minutes."""
    missing = [label for key, label in (("attendees", "出席的负责人 / leaders present"), ("minutes", "会议纪要 / minutes"))
               if _blank(a.data.get(key))]
    if missing:
        return RuleViolation.of(rules.MEETING_RECORD_INCOMPLETE, missing="、".join(missing))
    return None


def er_meeting_once(a: Attempt) -> RuleViolation | None:
    """CF57(2), GB118 全过程记录: the discussion is recorded once; a later change is a correction."""
    if a.facts.get("meeting") and not a.correcting:
        return RuleViolation.of(rules.MEETING_ALREADY_RECORDED)
    return None


def er_close_reason_given(a: Attempt) -> RuleViolation | None:
    """GB118: a closed case says how it was disposed of and why; a transfer names its transfer document."""
    missing = ["理由 / reason"] if _blank(a.data.get("reason")) else []
    if a.data.get("disposition") == "transferred_to_judiciary" and _blank(a.data.get("reference")):
        missing.append("移送文书文号 / transfer reference")
    if missing:
        return RuleViolation.of(rules.CLOSE_REASON_REQUIRED, missing="、".join(missing))
    return None
