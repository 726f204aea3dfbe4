"""Contract review (2021-05-01): its guards. The draft and reviewer rules are Decree 713's, reused explicitly."""

from __future__ import annotations

from workflow.engine.context import Attempt
from workflow.engine.errors import RuleViolation
from workflow.packs.cn_713_2019_09_01.guards import draft_present, reviewer_not_owner
from workflow.packs.contract_review_2021_05_01 import rules

__all__ = ["contract_cleared_on_current_draft", "draft_present", "reviewer_not_owner"]


def contract_cleared_on_current_draft(a: Attempt) -> RuleViolation | None:
    """Ningbo rule art. 13: no signing before a no-objection review of this very text."""
    opinion, draft = a.facts.get("opinion"), a.facts.get("draft")
    if opinion and draft and opinion["outcome"] == "no_objection" and opinion["draft_hash"] == draft["hash"]:
        return None
    return RuleViolation.of(rules.CONTRACT_REVIEW_REQUIRED)
