"""Effects: how an accepted action changes a decision's facts. Pure folds over audit events.

``apply_event`` is used both when an action is taken and when a decision is replayed from its audit
trail, so the stored facts must always equal the fold of the events (tests assert it). An effect reads
only the facts and the event, never the clock, the database or the office settings.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from workflow.engine.definition import ProcedureDef

Facts = dict[str, Any]
Event = Mapping[str, Any]
Effect = Callable[[Facts, Event, ProcedureDef], None]
EFFECTS: dict[str, Effect] = {}
#: Audited events that are not procedure actions and change neither state nor facts.
META_ACTIONS = frozenset({"deadline_extended", "deadline_paused", "backfill_requested", "backfill_rejected",
                          "approval_requested", "approval_declined"})


def effect(fn: Effect) -> Effect:
    """Register ``fn`` under its own name."""
    EFFECTS[fn.__name__] = fn
    return fn


def effective_at(ev: Event) -> str:
    """When the event happened: a back-entry's stated occurrence, otherwise its instant of entry."""
    backfill = ev.get("backfill")
    return str(backfill["occurred_at"]) if backfill else str(ev["at"])


def _task(facts: Facts, task: str) -> dict[str, Any]:
    tasks: dict[str, dict[str, Any]] = facts.setdefault("tasks", {})
    return tasks.setdefault(task, {})


def _add_unique(facts: Facts, key: str, sub: str, value: Any) -> None:
    bucket: list[Any] = facts.setdefault(key, {}).setdefault(sub, [])
    if value not in bucket and value not in ("", None):
        bucket.append(value)


@effect
def note(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """The event itself is the record (reasons, dates)."""


@effect
def withdrawal(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Why a decision was withdrawn and who approved it; a confirmed request also names its requester."""
    data, approval = ev["data"], ev.get("approval")
    # Events recorded before approvals were acts carry the typed `approver` field: they replay as they were.
    approver = data["approver"]["name"] if "approver" in data else ev["actor"]["name"]
    facts["withdrawn"] = {"reason": data.get("reason", ""), "approver": approver}
    if approval:
        facts["withdrawn"]["requested_by"] = approval["requested_by"]


@effect
def initiate(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Owner unit and flags; tasks the flags require are created (procedure.md, flags table)."""
    data = ev["data"]
    if "flags" in data:  # flags given at initiation replace those proposed at creation
        facts["flags"] = sorted(set(data["flags"]))
    for key in ("owner_unit", "lead_unit", "confidential_basis", "prior_risk_assessment"):
        if data.get(key):
            facts[key] = data[key]
    for task in procedure.tasks:
        _task(facts, task)


@effect
def new_draft(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """A new draft version becomes current; an earlier opinion no longer covers it (rule 7)."""
    previous = (facts.get("draft") or {}).get("version", 0)
    facts["draft"] = {"version": previous + 1, "hash": ev["data"]["content"]}
    drafters: list[int] = facts.setdefault("drafters", [])
    if ev["actor"]["id"] not in drafters:
        drafters.append(ev["actor"]["id"])


@effect
def start_consultation(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 12: the legal bases the draft relies on."""
    facts["legal_bases"] = list(ev["data"]["legal_bases"])


@effect
def open_public_comment(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 15: the comment window, its channels and any shortened-period reason."""
    data = ev["data"]
    facts["comment_window"] = {k: data.get(k) for k in ("opens_at", "closes_at", "short_reason", "channels")}
    _task(facts, "public_comment")["started"] = True


@effect
def add_comment(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """A public comment (its text stays in the event)."""
    comments: list[dict[str, Any]] = facts.setdefault("comments", [])
    comments.append({"id": len(comments) + 1, "author": ev["actor"]["id"], "reply_to": ev["data"].get("reply_to")})


@effect
def edit_comment(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """An edit within the window; the earlier text stays in the audit trail."""
    for comment in facts.get("comments", []):
        if comment["id"] == ev["data"]["comment_id"]:
            comment["edits"] = comment.get("edits", 0) + 1


@effect
def schedule_hearing(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 17: time, place, participant selection and list."""
    data = ev["data"]
    facts["hearing"] = {k: data[k] for k in ("hearing_at", "place", "selection_method", "participants")}
    _task(facts, "hearing")["started"] = True


@effect
def deliver_hearing_materials(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 17: when the materials reached the participants."""
    facts["hearing"]["delivered_at"] = ev["data"].get("delivered_at") or effective_at(ev)


@effect
def record_hearing(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """The signed hearing record."""
    facts["hearing"]["record"] = ev["data"]["record"]


@effect
def record_participation(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 14: symposium, field visit, written consultation, questionnaire or poll."""
    facts.setdefault("participation", []).append(ev["data"]["method"])


@effect
def record_task(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """The record that completes a task named by the action (group consultation, etc.)."""
    task = procedure.actions[ev["action"]].task
    assert task is not None
    facts.setdefault("records", {})[task] = ev["data"]["record"]


@effect
def add_expert_opinion(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 19-20: a signed expert opinion; the expert becomes a pre-decision assessor (Art. 36)."""
    facts.setdefault("expert_opinions", []).append(
        {"expert": ev["actor"]["id"], "hash": ev["data"]["opinion"],
         "declared_interest": bool(ev["data"].get("declared_interest"))})
    _add_unique(facts, "assessors", "people", ev["actor"]["id"])


@effect
def record_risk_assessment(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 22-24: the report and its finding; its unit may not evaluate later (Art. 36)."""
    data = ev["data"]
    facts["risk"] = {"controllable": data["controllable"] == "true", "report": data["report"],
                     "assessor_unit": data["assessor_unit"]}
    _add_unique(facts, "assessors", "units", data["assessor_unit"])
    _add_unique(facts, "assessors", "people", ev["actor"]["id"])


@effect
def waive_task(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """An optional step not carried out, with its reason on file."""
    _task(facts, ev["data"]["task"])["waived"] = ev["data"]["reason"]


@effect
def record_adoption_report(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 18: how every comment and expert opinion was used."""
    facts["adoption"] = {"entries": ev["data"]["entries"], "summary": ev["data"].get("summary", "")}


@effect
def submit_legality_review(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 26: a new review round over the current draft."""
    previous = (facts.get("review") or {}).get("round", 0)
    facts["review"] = {"round": previous + 1, "requested_at": effective_at(ev), "draft_version": facts["draft"]["version"]}


@effect
def add_adviser_opinion(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 28: a legal adviser's or government lawyer's signed opinion for this round."""
    facts.setdefault("adviser_opinions", []).append(
        {"adviser": ev["actor"]["id"], "hash": ev["data"]["opinion"], "round": facts["review"]["round"]})


@effect
def legality_opinion(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 28: the reviewer's signed opinion, bound to the exact draft version it reviewed."""
    data = ev["data"]
    facts["opinion"] = {
        "outcome": data["outcome"], "hash": data["opinion"], "risk_note": data.get("risk_note", ""),
        "draft_hash": facts["draft"]["hash"], "draft_version": facts["draft"]["version"],
        "reviewer": ev["actor"]["id"], "round": facts["review"]["round"],
    }


@effect
def return_materials(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 26: materials returned; this round ends without an opinion."""
    facts["review"]["returned"] = ev["data"]["reason"]


@effect
def record_meeting(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 30: attendees and each member's view in speaking order, dissent included."""
    data = ev["data"]
    facts["meeting"] = {k: data.get(k) for k in ("body", "held_at", "attendees", "views", "minutes")}
    facts.setdefault("meetings", 0)
    facts["meetings"] += 1


@effect
def record_decision(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 30: the chief executive's decision; a deferral needs a new discussion."""
    data = ev["data"]
    facts["decision"] = {k: data.get(k) for k in ("outcome", "reason", "changes")} | {"at": effective_at(ev)}
    if data["outcome"] == "deferred":
        facts["meeting"] = None
        facts["decision"] = None


@effect
def record_party_consent(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 31: the report to the Party committee."""
    facts["party_report"] = {"reference": ev["data"]["reference"], "reported_on": ev["data"].get("reported_on")}


@effect
def publish(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 32: channels, date and the adoption explanation."""
    data = ev["data"]
    facts["publication"] = {k: data.get(k) for k in ("channels", "published_on", "adoption_explanation")}


@effect
def withhold(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 32: not published, on the stated legal basis."""
    facts["publication"] = {"withheld": ev["data"]["legal_basis"]}


@effect
def report_progress(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 34: an implementation report."""
    facts["progress_reports"] = facts.get("progress_reports", 0) + 1


@effect
def report_problem(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 35: a problem reported by the executing unit."""
    facts["problems"] = facts.get("problems", 0) + 1


@effect
def start_evaluation(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 36: the evaluating unit."""
    facts["evaluation"] = {"unit": ev["data"]["evaluation_unit"]}


@effect
def record_evaluation(facts: Facts, ev: Event, procedure: ProcedureDef) -> None:
    """Art. 36-37: the evaluation's conclusion; a major change starts a new linked decision."""
    facts.setdefault("evaluations", []).append(ev["data"]["outcome"])
    facts["evaluation"] = None


def initial_facts() -> Facts:
    """Facts of a decision that has just been proposed."""
    return {"flags": [], "tasks": {}}


def _correct(facts: Facts, ev: Event, procedure: ProcedureDef, effect: Effect, key: str) -> None:
    """A correction appends a version of one record: the effect runs on a copy, only its record moves over."""
    scratch = copy.deepcopy(facts)
    effect(scratch, ev, procedure)
    facts.setdefault("superseded", {}).setdefault(key, []).append(facts.get(key))
    corrected = dict(scratch.get(key) or {})
    corrected["version"] = ev["correction"]["version"]
    corrected["correction"] = {"reason": ev["correction"]["reason"], "at": ev["at"], "by": ev["actor"].get("name")}
    facts[key] = corrected


def apply_event(procedure: ProcedureDef, facts: Mapping[str, Any], event: Event) -> Facts:
    """The facts after ``event``: a pure function of the facts before and the event."""
    new = copy.deepcopy(dict(facts))
    action = procedure.actions[event["action"]]
    effect = action.apply or EFFECTS[action.effect]
    if "correction" in event and action.record:
        _correct(new, event, procedure, effect, action.record)
    else:
        effect(new, event, procedure)
    if "backfill" in event:
        # Statistics and pages tell back-entered steps apart (补录).
        new.setdefault("backfilled", []).append({"action": event["action"], "occurred_at": effective_at(event)})
    return new
