"""How the normative-document pack's actions change a document's facts (pure folds, prefix ``nd_``).

Where a cn-713 effect records what this pack needs, the definition names it directly; these add the
records of this procedure (docs/procedure/normative-document.md §9).
"""

from __future__ import annotations

from typing import Any

from workflow.engine.definition import ProcedureDef
from workflow.engine.effects import Event, Facts
from workflow.packs.cn_713_2019_09_01 import effects as base
from workflow.packs.cn_713_2019_09_01.effects import (
    add_adviser_opinion,
    add_comment,
    edit_comment,
    new_draft,
    note,
    open_public_comment,
    record_adoption_report,
    record_meeting,
    record_participation,
    record_task,
    waive_task,
    withdrawal,
)

# The names procedure.yaml may use; those of Decree 713 are reused explicitly (its pack).
__all__ = ["add_adviser_opinion", "add_comment", "edit_comment", "nd_legality_opinion", "nd_publish", "nd_record_cleanup", "nd_record_evaluation", "nd_record_filing", "nd_record_outcome", "nd_repeal", "nd_return_materials", "nd_start_consultation", "nd_start_drafting", "nd_submit_legality_review", "new_draft", "note", "open_public_comment", "record_adoption_report", "record_meeting", "record_participation", "record_task", "waive_task", "withdrawal"]


def _pick(data: Any, *keys: str) -> dict[str, Any]:
    return {k: data.get(k) for k in keys}


def nd_start_drafting(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """The document's title, drafting unit, flags and the document it amends."""
    base.initiate(facts, ev, procedure)
    for key in ("title", "amends"):
        if ev["data"].get(key):
            facts[key] = ev["data"][key]


def nd_start_consultation(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """GB37 二(六): the legal bases and the drafting statement (起草说明) on file."""
    data = ev["data"]  # a draft back from review keeps what is on file unless given anew
    facts["legal_bases"] = list(data.get("legal_bases") or facts.get("legal_bases") or [])
    facts["drafting_statement"] = data.get("drafting_statement") or facts.get("drafting_statement")


def nd_submit_legality_review(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """A new review round over the current draft, with the requested due date and the procedure statement."""
    base.submit_legality_review(facts, ev, procedure)
    facts["review"] |= _pick(ev["data"], "due_on", "procedure_statement")


def nd_return_materials(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Materials returned: the round ends without an opinion; what is missing is recorded."""
    facts["review"]["returned"] = _pick(ev["data"], "reason", "missing")


def nd_legality_opinion(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """GB37 二(六): the signed opinion bound to the draft it reviewed, with its checklist and issues."""
    base.legality_opinion(facts, ev, procedure)
    data = ev["data"]
    facts["opinion"]["checklist"] = _pick(data, "authority_ok", "procedure_ok", "no_licence_penalty_coercion",
                                          "no_burden_without_basis", "no_competition_restriction")
    facts["opinion"]["issues"] = list(data.get("issues") or [])


def nd_record_outcome(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """The deliberation's outcome; a document sent back for revision is deliberated afresh later."""
    base.record_decision(facts, ev, procedure)
    if ev["data"]["outcome"] == "revise":
        facts["meeting"] = None


def nd_publish(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """GB37 二(八): registration, number, dates, validity, channels and the published text."""
    data = ev["data"]
    facts["published"] = _pick(data, "doc_number", "registration_number", "published_on", "effective_on",
                               "expires_on", "channels", "adoption_explanation") | {"text_hash": data["text"]}
    # The public read model (workflow.views.visibility) shows a published document by this record.
    facts["publication"] = _pick(data, "channels", "published_on", "adoption_explanation")


def nd_record_filing(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """备案: when and with whom the document was filed, and the receipt."""
    facts["filing"] = _pick(ev["data"], "filed_on", "filing_body", "reference", "receipt")


def nd_record_evaluation(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """The pre-expiry evaluation; continuing the document re-publishes it with a new validity end."""
    data = ev["data"]
    facts.setdefault("evaluations", []).append(_pick(data, "outcome", "report", "republished_on", "expires_on"))
    if data["outcome"] == "continue":
        facts["published"]["expires_on"] = data["expires_on"]


def nd_record_cleanup(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """A periodic clean-up's finding on this document."""
    facts.setdefault("cleanups", []).append(_pick(ev["data"], "round", "finding"))


def nd_repeal(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """The repeal and its published announcement."""
    facts["repealed"] = _pick(ev["data"], "reason", "repealed_on", "announcement")
