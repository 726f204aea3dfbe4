"""Decree 713 (2019-09-01): how each accepted action changes a decision's facts. Pure folds over audit events.

Frozen with this pack: old decisions replay through exactly these functions, so a change in what an action
records is a new pack (a new procedure version), never an edit here. An effect reads only the facts and the
event, never the clock, the database or the office settings. The YAML names them by function name.
"""

from __future__ import annotations

from typing import Any

from workflow.engine.definition import ProcedureDef
from workflow.engine.effects import Event, Facts, effective_at


def _task(facts: Facts, task: str) -> dict[str, Any]:
    tasks: dict[str, dict[str, Any]] = facts.setdefault("tasks", {})
    return tasks.setdefault(task, {})


def _add_unique(facts: Facts, key: str, sub: str, value: Any) -> None:
    bucket: list[Any] = facts.setdefault(key, {}).setdefault(sub, [])
    if value not in bucket and value not in ("", None):
        bucket.append(value)


def note(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """The event itself is the record (reasons, dates)."""


def withdrawal(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Why a decision was withdrawn and who approved it; a confirmed request also names its requester."""
    data, approval = ev["data"], ev.get("approval")
    # Events recorded before approvals were acts carry the typed `approver` field: they replay as they were.
    approver = data["approver"]["name"] if "approver" in data else ev["actor"]["name"]
    facts["withdrawn"] = {"reason": data.get("reason", ""), "approver": approver}
    if approval:
        facts["withdrawn"]["requested_by"] = approval["requested_by"]


def initiate(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Owner unit and flags; tasks the flags require are created (docs/procedure/cn-713.md, "Flags")."""
    data = ev["data"]
    if "flags" in data:  # flags given at initiation replace those proposed at creation
        facts["flags"] = sorted(set(data["flags"]))
    for key in ("owner_unit", "lead_unit", "confidential_basis", "prior_risk_assessment"):
        if data.get(key):
            facts[key] = data[key]
    for task in procedure.tasks:
        _task(facts, task)


def new_draft(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """A new draft version becomes current; an earlier opinion no longer covers it (rule 7)."""
    previous = (facts.get("draft") or {}).get("version", 0)
    facts["draft"] = {"version": previous + 1, "hash": ev["data"]["content"]}
    drafters: list[int] = facts.setdefault("drafters", [])
    if ev["actor"]["id"] not in drafters:
        drafters.append(ev["actor"]["id"])


def start_consultation(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 12: the legal bases the draft relies on."""
    facts["legal_bases"] = list(ev["data"]["legal_bases"])


def open_public_comment(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 15: the comment window, its channels and any shortened-period reason."""
    data = ev["data"]
    facts["comment_window"] = {k: data.get(k) for k in ("opens_at", "closes_at", "short_reason", "channels")}
    _task(facts, "public_comment")["started"] = True


def add_comment(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """A public comment (its text stays in the event)."""
    comments: list[dict[str, Any]] = facts.setdefault("comments", [])
    comments.append({"id": len(comments) + 1, "author": ev["actor"]["id"], "reply_to": ev["data"].get("reply_to")})


def edit_comment(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """An edit within the window; the earlier text stays in the audit trail."""
    for comment in facts.get("comments", []):
        if comment["id"] == ev["data"]["comment_id"]:
            comment["edits"] = comment.get("edits", 0) + 1


def schedule_hearing(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 17: time, place, participant selection and list."""
    data = ev["data"]
    facts["hearing"] = {k: data[k] for k in ("hearing_at", "place", "selection_method", "participants")}
    _task(facts, "hearing")["started"] = True


def deliver_hearing_materials(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 17: when the materials reached the participants."""
    facts["hearing"]["delivered_at"] = ev["data"].get("delivered_at") or effective_at(ev)


def record_hearing(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """The signed hearing record."""
    facts["hearing"]["record"] = ev["data"]["record"]


def record_participation(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 14: symposium, field visit, written consultation, questionnaire or poll."""
    facts.setdefault("participation", []).append(ev["data"]["method"])


def record_task(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """The record that completes a task named by the action (group consultation, etc.)."""
    task = procedure.actions[ev["action"]].task
    assert task is not None
    facts.setdefault("records", {})[task] = ev["data"]["record"]


def add_expert_opinion(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 19-20: a signed expert opinion; the expert becomes a pre-decision assessor (Art. 36)."""
    facts.setdefault("expert_opinions", []).append(
        {"expert": ev["actor"]["id"], "hash": ev["data"]["opinion"],
         "declared_interest": bool(ev["data"].get("declared_interest"))})
    _add_unique(facts, "assessors", "people", ev["actor"]["id"])


def record_risk_assessment(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 22-24: the report and its finding; its unit may not evaluate later (Art. 36)."""
    data = ev["data"]
    facts["risk"] = {"controllable": data["controllable"] == "true", "report": data["report"],
                     "assessor_unit": data["assessor_unit"]}
    _add_unique(facts, "assessors", "units", data["assessor_unit"])
    _add_unique(facts, "assessors", "people", ev["actor"]["id"])


def waive_task(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """An optional step not carried out, with its reason on file."""
    _task(facts, ev["data"]["task"])["waived"] = ev["data"]["reason"]


def record_adoption_report(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 18: how every comment and expert opinion was used."""
    facts["adoption"] = {"entries": ev["data"]["entries"], "summary": ev["data"].get("summary", "")}


def submit_legality_review(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 26: a new review round over the current draft."""
    previous = (facts.get("review") or {}).get("round", 0)
    facts["review"] = {"round": previous + 1, "requested_at": effective_at(ev), "draft_version": facts["draft"]["version"]}


def add_adviser_opinion(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 28: a legal adviser's or government lawyer's signed opinion for this round."""
    facts.setdefault("adviser_opinions", []).append(
        {"adviser": ev["actor"]["id"], "hash": ev["data"]["opinion"], "round": facts["review"]["round"]})


def legality_opinion(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 28: the reviewer's signed opinion, bound to the exact draft version it reviewed."""
    data = ev["data"]
    facts["opinion"] = {
        "outcome": data["outcome"], "hash": data["opinion"], "risk_note": data.get("risk_note", ""),
        "draft_hash": facts["draft"]["hash"], "draft_version": facts["draft"]["version"],
        "reviewer": ev["actor"]["id"], "round": facts["review"]["round"],
    }


def return_materials(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 26: materials returned; this round ends without an opinion."""
    facts["review"]["returned"] = ev["data"]["reason"]


def record_meeting(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 30: attendees and each member's view in speaking order, dissent included."""
    data = ev["data"]
    facts["meeting"] = {k: data.get(k) for k in ("body", "held_at", "attendees", "views", "minutes")}
    facts.setdefault("meetings", 0)
    facts["meetings"] += 1


def record_decision(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 30: the chief executive's decision; a deferral needs a new discussion."""
    data = ev["data"]
    facts["decision"] = {k: data.get(k) for k in ("outcome", "reason", "changes")} | {"at": effective_at(ev)}
    if data["outcome"] == "deferred":
        facts["meeting"] = None
        facts["decision"] = None


def record_party_consent(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 31: the report to the Party committee."""
    facts["party_report"] = {"reference": ev["data"]["reference"], "reported_on": ev["data"].get("reported_on")}


def publish(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 32: channels, date and the adoption explanation."""
    data = ev["data"]
    facts["publication"] = {k: data.get(k) for k in ("channels", "published_on", "adoption_explanation")}


def withhold(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 32: not published, on the stated legal basis."""
    facts["publication"] = {"withheld": ev["data"]["legal_basis"]}


def report_progress(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 34: an implementation report."""
    facts["progress_reports"] = facts.get("progress_reports", 0) + 1


def report_problem(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 35: a problem reported by the executing unit."""
    facts["problems"] = facts.get("problems", 0) + 1


def start_evaluation(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 36: the evaluating unit."""
    facts["evaluation"] = {"unit": ev["data"]["evaluation_unit"]}


def record_evaluation(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 36-37: the evaluation's conclusion; a major change starts a new linked decision."""
    facts.setdefault("evaluations", []).append(ev["data"]["outcome"])
    facts["evaluation"] = None
