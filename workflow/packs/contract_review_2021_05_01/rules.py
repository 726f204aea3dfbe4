"""The contract review's own hard rule (《宁波市法治乡村建设促进条例》第十三条), frozen with this pack."""

from __future__ import annotations

from workflow.engine.errors import Rule

CONTRACT_REVIEW_REQUIRED = Rule(
    "contract_review_required", "《宁波市法治乡村建设促进条例》第十三条",
    "未经合法性审查或者经审查不合法的，不得签订合同",
    "A contract may not be signed before a legality review without objection")
