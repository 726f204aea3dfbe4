"""How the enforcement-review actions change a case's facts: pure folds over audit events (spec section 8).

Names are resolved in this pack only (``__all__``); Decree 713's shared effects are imported explicitly.
"""

from __future__ import annotations

from typing import Any

from workflow.engine.definition import ProcedureDef
from workflow.engine.effects import Event, Facts, effective_at
from workflow.packs.cn_713_2019_09_01.effects import add_adviser_opinion, new_draft, note

# The names procedure.yaml may use; those of Decree 713 are reused explicitly (its pack).
__all__ = ["add_adviser_opinion", "er_accept_for_review", "er_disposition", "er_open_case", "er_record_decision", "er_record_meeting", "er_return_for_supplement", "er_review_opinion", "er_submit_materials", "new_draft", "note"]

#: The required-materials list of a submission (spec 5.3; 辽宁 (一)–(六), 宁夏), in the order a refusal names them.
MATERIALS = ("investigation_report", "evidence", "evidence_list", "legal_basis", "discretion_statement",
             "proposal_statement", "hearing_record", "assessment_report", "statement_and_defence")

#: What an opinion confirms item by item (GB118 R, 宁夏 V: 主体、程序、事实证据、法律与裁量、权限、文书).
CHECKLIST = ("subject_ok", "procedure_ok", "facts_evidence_ok", "law_discretion_ok", "within_authority", "documents_ok")


def er_open_case(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """The grounds for review (CF58) and the case: number, kind, filing date, parties, handlers."""
    data = ev["data"]
    facts["flags"] = sorted(set(data.get("flags") or []))
    facts["case"] = {"number": data["case_number"], "kind": data["decision_kind"], "filed_on": data.get("filed_on"),
                     "parties": data["parties"], "handlers": list(data.get("case_handlers") or [])}


def er_submit_materials(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """A submission: the materials given now over those given before (a supplement adds to them)."""
    data = ev["data"]
    previous = facts.get("materials") or {}
    items = dict(previous.get("items") or {}) | {k: data[k] for k in MATERIALS if k in data}
    facts["materials"] = {"submission": int(previous.get("submission", 0)) + 1, "items": items,
                          # a supplement within the same round keeps the answer to the last opinion
                          "response_to_opinion": data.get("response_to_opinion") or previous.get(
                              "response_to_opinion", ""), "at": effective_at(ev),
                          "draft_hash": (facts.get("draft") or {}).get("hash")}


def er_accept_for_review(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Acceptance opens a review round; "材料齐备之日为受理日" (朔州): the review limit runs from here."""
    previous = (facts.get("review") or {}).get("round", 0)
    draft = facts.get("draft") or {}
    facts["review"] = {"round": previous + 1, "accepted_at": effective_at(ev), "draft_version": draft.get("version"),
                       "draft_hash": draft.get("hash")}


def er_return_for_supplement(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """A return lists the materials to supply; a round under review ends without an opinion."""
    data = ev["data"]
    review = facts.get("review")
    facts.setdefault("returns", []).append({"reason": data.get("reason", ""), "missing": list(data.get("missing") or []),
                                            "round": review["round"] if review else None, "at": effective_at(ev)})
    if review is not None:
        review["returned"] = True


def er_review_opinion(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """The reviewer's signed opinion, bound to the round and the exact proposed decision it reviewed."""
    data = ev["data"]
    checklist = {k: bool(data.get(k)) for k in CHECKLIST}
    facts["opinion"] = {
        "outcome": data["outcome"], "hash": data["opinion"], "draft_hash": facts["draft"]["hash"],
        "draft_version": facts["draft"]["version"], "reviewer": ev["actor"]["id"], "round": facts["review"]["round"],
        "checklist": checklist, "suspected_crime": bool(data.get("suspected_crime")),
        "issues": list(data.get("issues") or []), "qualification_no": data.get("qualification_no", ""),
    }



def er_record_meeting(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """CF57(2): the leaders' collective discussion, tied to the opinion round it followed."""
    data = ev["data"]
    facts["meeting"] = {k: data.get(k) for k in ("held_at", "attendees", "views", "minutes")} | {
        "opinion_round": (facts.get("opinion") or {}).get("round")}


def er_record_decision(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """The decision as made, with the text it was made on (the reviewed proposed decision)."""
    data = ev["data"]
    facts["decision"] = {k: data.get(k) for k in ("decision_number", "decided_on", "decision_document", "summary")} | {
        "draft_hash": (facts.get("draft") or {}).get("hash"), "at": effective_at(ev)}


def er_disposition(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """How a case ends or goes on without this decision: revise again, close, transfer; with the reason."""
    data: dict[str, Any] = dict(ev["data"])
    facts["disposition"] = {k: data.get(k) for k in ("next", "disposition", "reason", "reference") if k in data}
