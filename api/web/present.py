"""What the decision page shows, prepared from the read models: diagram, tasks, deadlines, trail, forms."""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Mapping
from typing import Any

from api.web import labels
from api.web.common import core, due_time, label, lang, local_time, to_local
from api.web.forms import ActionForm, ApprovalDecisionForm, BackfillDecisionForm, build_form, field_rows
from workflow.engine import fields
from workflow.engine.context import Actor, DecisionView, Office
from workflow.engine.decide import may_act
from workflow.engine.definition import ActionDef, FieldDef, Label, ProcedureDef
from workflow.engine.errors import NotFound, enforced
from workflow.engine.graph import edges
from workflow.engine.migration import ACTION as MIGRATED
from workflow.engine.migration import MAY_PREVIEW, targets
from workflow.engine.tasks import task_status
from workflow.record import approvals
from workflow.timing.calendar import WorkCalendar
from workflow.views import decision, dossier
from workflow.views.inbox import actions_for, due_of


def flow(procedure: ProcedureDef, current: str, visited: set[str]) -> dict[str, list[dict[str, Any]]]:
    """The procedure as a flow: the main line in order (breadth-first from the start), then the end states."""
    nexts: dict[str, list[str]] = {}
    for source, dest, _ in edges(procedure):
        nexts.setdefault(source, []).append(dest)
    seen, order, queue = {procedure.initial}, [procedure.initial], deque([procedure.initial])
    while queue:
        for dest in nexts.get(queue.popleft(), []):
            if dest not in seen:
                seen.add(dest)
                order.append(dest)
                queue.append(dest)
    order += [s for s in procedure.states if s not in seen]

    def node(sid: str) -> dict[str, Any]:
        status = "current" if sid == current else ("done" if sid in visited else "todo")
        return {"id": sid, "label": label(procedure.states[sid].label), "status": status}

    return {"main": [node(s) for s in order if not procedure.terminal(s)],
            "ends": [node(s) for s in order if procedure.terminal(s)]}


def action_label(procedure: ProcedureDef, action: str) -> str:
    """An action id as its label (or one of the non-procedure events)."""
    if action in procedure.actions:
        return label(procedure.actions[action].label)
    if action == "create":  # the matter is named in its procedure's noun
        item = procedure.nouns.item
        return labels.pick(Label(f"创建{item.zh}", f"Create the {item.en}"), lang())
    return labels.pick(labels.SPECIAL_ACTIONS.get(action), lang(), action)


def _tz() -> dt.tzinfo | None:
    """The time zone pages show instants in (as ``local_time`` does)."""
    moment = to_local(dt.datetime.now(dt.UTC))
    return moment.tzinfo if moment else None


def describe(procedure: ProcedureDef, spec: FieldDef | None, key: str, value: Any) -> str:
    """One recorded datum as text: by its field's type (``workflow.engine.fields``); data of no field (creation) plainly."""
    if spec is not None:
        return fields.display(spec, value, lang(), _tz())
    if key == "flags" and isinstance(value, list):
        return "、".join(label(procedure.flags[f].label) if f in procedure.flags else str(f) for f in value)
    if isinstance(value, list):
        return "；".join(describe(procedure, None, key, v) for v in value)
    if isinstance(value, dict):
        return str(value.get("name") or ", ".join(f"{k}: {v}" for k, v in value.items()))
    text = str(value)
    if len(text) == 64 and all(c in "0123456789abcdef" for c in text):
        return f"#{text[:12]}"
    return text


def versions_of(procedure: ProcedureDef, events: list[dossier.TrailEvent]) -> list[dict[str, str]]:
    """The versions a migrated decision went through, each with the basis it was moved on ([] if it never was)."""
    moves = [e.data for e in events if e.action == MIGRATED]
    if not moves:
        return []
    return [{"key": str(moves[0].get("from")), "basis": ""}] + [
        {"key": str(m.get("to")), "basis": str(m.get("basis", ""))} for m in moves]


def _version(key: str, fallback: ProcedureDef) -> ProcedureDef:
    try:
        return core().catalog.get(key)
    except NotFound:
        return fallback


def _state(procedure: ProcedureDef, sid: str | None) -> str:
    if not sid:
        return ""
    return label(procedure.states[sid].label) if sid in procedure.states else sid


def outcome_label(procedure: ProcedureDef, action_id: str, outcome: str | None) -> str:
    """An action's outcome as its option's label in the definition."""
    action = procedure.actions.get(action_id)
    spec = action.fields.get(action.outcome_field) if action and action.outcome_field else None
    if not outcome:
        return ""
    return fields.display(spec, outcome, lang()) if spec else outcome


def trail_rows(procedure: ProcedureDef, events: list[dossier.TrailEvent]) -> list[dict[str, Any]]:
    """The audit trail with labels, local times and each datum described (each event under its own version)."""
    rows = []
    final, path = procedure, versions_of(procedure, events)
    procedure = _version(path[0]["key"], final) if path else final
    for e in events:
        before = procedure
        if e.action == MIGRATED:
            procedure = _version(str(e.data.get("to")), final)
        action = procedure.actions.get(e.action)
        data = []
        for key, value in e.data.items():
            spec = action.fields.get(key) if action else None
            data.append((label(spec.label, key) if spec else key, describe(procedure, spec, key, value)))
        rows.append({"e": e, "action": action_label(procedure, e.action), "at": local_time(e.at),
                     "from": _state(before, e.from_state), "to": _state(procedure, e.to_state),
                     "outcome": outcome_label(procedure, e.action, e.outcome), "data": data,
                     "backfill": e.backfill and {**e.backfill, "occurred_at": local_time(str(e.backfill["occurred_at"]))},
                     "correction": e.correction, "deputy": e.deputy, "deputy_problem": e.deputy_problem,
                     "approval": e.approval})
    return rows


def _deadline_row(procedure: ProcedureDef, key: str, kind: str, status: str, article: str, due_at: Any,
                  fire_at: Any, year: int | None, now: Any, cal: WorkCalendar) -> dict[str, Any]:
    """One line of the deadline table; one awaiting a year's calendar says so instead of a date."""
    definition = procedure.deadlines.get(key)
    standing = due_of(key, definition.label if definition else Label(key, key), article, due_at, now, cal,
                      year) if kind == "due" and status in ("open", "fired", "awaiting") else None
    return {"label": label(definition.label) if definition else key, "article": article,
            "kind": labels.pick(labels.DEADLINE_KIND.get(kind), lang(), kind),
            "due_at": due_time(due_at), "fire_at": local_time(fire_at),
            "status": labels.pick(labels.DEADLINE_STATUS.get(status), lang(), status), "standing": standing}


def window_rules(procedure: ProcedureDef, office: Office) -> dict[str, dict[str, Any]]:
    """For each action opening a comment window, the shortest window its guards enforce (days, article, rule).

    The page warns early with the pack's own numbers and article; the engine still decides.
    """
    out: dict[str, dict[str, Any]] = {}
    for action_id in procedure.marked("comment_window"):
        for rule in enforced(procedure.actions[action_id].checks):
            days = rule.terms.get("min_days")
            if days is not None:
                out[action_id] = {"min_days": int(days(office.under(procedure.settings)) if callable(days) else days),
                                  "article": rule.rule.article, "code": rule.rule.code}
    return out


def page_context(row: Any, view: DecisionView, person: Actor, failed: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything decision.html needs; ``failed`` carries a refused form to show again as typed."""
    c, procedure, now = core(), view.procedure, core().clock()
    with c.db.read() as conn:
        page = decision.decision_page(conn, c.catalog, view, person, now)
        cal = c.office_calendar(conn, view.org_id)
    office, owner, events, docs, inputs = page.record.office, page.record.owner, page.events, page.documents, page.inputs
    people, report, opinion_text, grants, stand_ins = page.people, page.report, page.opinion_text, page.grants, \
        page.stand_ins
    can_sign = page.can_sign
    deadlines = [_deadline_row(procedure, str(d.key), str(d.kind), str(d.status), str(d.article), decision.aware(d.due_at),
                               decision.aware(d.fire_at), decision.awaiting_year(d), now, cal)
                 for d in page.record.deadlines_by("due_at")]
    stall = next((d for d in procedure.deadlines.values() if "*" in d.starts_on), None)
    if stall is not None and (row.stall_due_at or row.stall_awaiting):  # the stall clock (Art. 38) lives on the row
        year = int(row.stall_awaiting["year"]) if row.stall_awaiting else None
        deadlines.append(_deadline_row(procedure, stall.key, "due", "awaiting" if year else "open", stall.article,
                                       decision.aware(row.stall_due_at), None, year, now, cal))
    tasks = []
    if procedure.tasks:
        for tid, st in task_status(procedure, dict(view.facts), now, office).items():
            if st["status"] != "not_required" or st["required"]:
                tasks.append({"label": label(procedure.tasks[tid].label), "status": st["status"],
                              "status_label": labels.pick(labels.TASK_STATUS.get(st["status"]), lang()),
                              "required": st["required"], "reason": st["reason"]})
    forms: list[dict[str, Any]] = []
    available = actions_for(person, view)
    if failed and failed["action"] in procedure.actions and failed["action"] not in {a.id for a in available}:
        available.insert(0, procedure.actions[failed["action"]])  # refused as no longer possible: show why
    for action in available:
        is_failed = bool(failed and failed["action"] == action.id)
        form: ActionForm = failed["form"] if failed and is_failed else build_form(
            action, procedure, lang=lang(), people=people, inputs=inputs, version=view.version,
            signs=signs(action, person))
        held = [g for g, _ in stand_ins if str(form.grant.data or "") == str(g["id"])]
        forms.append({"action": action, "label": label(action.label), "form": form,
                      "rows": field_rows(form, action), "failed": failed if is_failed else None, "can_sign": can_sign,
                      "deputy": held[0] if held else None, "signs": signs(action, person),
                      "requests": not approvals.is_approver(action, person), "approvers": approvers_of(action)})
    offered = {a.id for a in available}
    for grant, as_deputy in stand_ins:  # what this person may do for someone else, in their own name
        for action in actions_for(as_deputy, view, include_any=False):
            if action.id in offered:
                continue
            offered.add(action.id)
            form = build_form(action, procedure, lang=lang(), people=people, inputs=inputs, version=view.version,
                              signs=signs(action, as_deputy))
            form.grant.data = str(grant["id"])
            forms.append({"action": action, "label": label(action.label), "form": form,
                          "rows": field_rows(form, action), "failed": None, "deputy": grant, "can_sign": can_sign,
                          "signs": signs(action, as_deputy), "requests": not approvals.is_approver(action, as_deputy),
                          "approvers": approvers_of(action)})
    corrections = correction_forms(person, view, people, inputs, failed)
    if failed and failed["action"].startswith("fix-") and not any(f["failed"] for f in corrections):
        # The record can no longer be corrected (state moved on): say so where the form was.
        action = procedure.actions[failed["action"][4:]]
        corrections.insert(0, {"action": action, "label": label(action.label), "form": failed["form"],
                               "rows": field_rows(failed["form"], action), "failed": failed,
                               "prefix": failed["action"], "version": 0})
    visited = {e.to_state for e in events if e.to_state} | {e.from_state for e in events if e.from_state}
    opinion_events = [e for e in events if e.action in procedure.marked("review_opinion")]
    return {
        "row": row, "view": view, "procedure": procedure, "owner": owner, "office": office.name,
        "state_label": label(procedure.states[view.state].label),
        "flags": [label(procedure.flags[f].label) for f in view.facts.get("flags", []) if f in procedure.flags],
        "flow": flow(procedure, view.state, {s for s in visited if s}), "tasks": tasks, "deadlines": deadlines,
        "trail": trail_rows(procedure, events), "versions": versions_of(procedure, events),
        "migration_targets": [p.key for p in targets(procedure.key, c.catalog.all())]
        if set(person.roles) & MAY_PREVIEW and not procedure.terminal(view.state) else [], "documents": docs, "inputs": inputs, "report": report,
        "forms": forms, "opinion": view.facts.get("opinion"), "opinion_event": opinion_events[-1] if
        opinion_events else None, "opinion_outcome": outcome_label(procedure, opinion_events[-1].action, str(
            (view.facts.get("opinion") or {}).get("outcome") or "")) if opinion_events else "", "opinion_text": opinion_text, "people": people, "now": now,
        "comment_window": view.facts.get("comment_window"),
        "window_rules": window_rules(procedure, office),
        "corrections": corrections, "superseded": superseded_rows(procedure, view.facts),
        "backfills": pending_rows(procedure, events, person), "backfill_form": BackfillDecisionForm(),
        "approvals": approval_rows(view, events, person), "approval_form": ApprovalDecisionForm(),
        "grants": grants,
    }


def correction_forms(person: Actor, view: DecisionView, people: list[str], inputs: list[dict[str, str]],
                     failed: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A 更正 form for each record this person may correct now (a new version, with a reason)."""
    out = []
    for action in view.procedure.actions.values():
        if not (action.record and view.state in action.correctable_in and view.facts.get(action.record)
                and may_act(action, person, view)):
            continue
        prefix = f"fix-{action.id}"
        is_failed = bool(failed and failed["action"] == prefix)
        form: ActionForm = failed["form"] if failed and is_failed else build_form(
            action, view.procedure, lang=lang(), people=people, inputs=inputs, version=view.version, prefix=prefix)
        record = view.facts[action.record]
        out.append({"action": action, "label": label(action.label), "form": form, "rows": field_rows(form, action),
                    "failed": failed if is_failed else None, "prefix": prefix,
                    "version": int(record.get("version", 1)) if isinstance(record, dict) else 1})
    return out


def superseded_rows(procedure: ProcedureDef, facts: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Earlier versions of corrected records: each stays visible (Art. 33)."""
    rows = []
    for key, versions in (facts.get("superseded") or {}).items():
        action = next((a for a in procedure.actions.values() if a.record == key), None)
        specs = action.fields if action else {}
        for number, old in enumerate(versions, start=1):
            items = old.items() if isinstance(old, dict) else []
            rows.append({"record": key, "version": int(old.get("version", number)) if isinstance(old, dict) else number,
                         "data": [(k, describe(procedure, specs.get(k), k, v)) for k, v in items if k not in ("version",)]})
    return rows


def pending_rows(procedure: ProcedureDef, events: list[dossier.TrailEvent], person: Actor) -> list[dict[str, Any]]:
    """Back-entry requests not yet answered, and whether this person may answer them."""
    pending: dict[int, dict[str, Any]] = {}
    for e in events:
        if e.action == "backfill_requested":
            action = str(e.data.get("action", ""))
            pending[e.seq] = {"seq": e.seq, "action": action_label(procedure, action), "by": e.actor,
                              "occurred_at": local_time(str(e.data.get("occurred_at"))),
                              "reason": str(e.data.get("reason", "")),
                              "may_answer": "chief_executive" in person.roles and person.name != e.actor}
        elif e.action == "backfill_rejected":
            pending.pop(int(e.data.get("request_seq", 0)), None)
        elif e.backfill:
            pending.pop(int(e.backfill.get("request_seq", 0)), None)
    return list(pending.values())


def signs(action: ActionDef, person: Actor) -> bool:
    """Whether this person's taking of ``action`` is signed: a signed step, or an approver's own act."""
    return action.signed or (action.approval is not None and approvals.is_approver(action, person))


def approvers_of(action: ActionDef) -> str:
    """Who approves ``action``, as the page names the roles."""
    by = action.approval.by if action.approval else ()
    return ("、" if lang() != "en" else " or ").join(labels.pick(labels.ROLES.get(r), lang(), r) for r in by)


def approval_rows(view: DecisionView, events: list[dossier.TrailEvent], person: Actor) -> list[dict[str, Any]]:
    """Requests awaiting approval that can still apply, and whether this person may answer them."""
    pending: dict[int, dict[str, Any]] = {}
    for e in events:
        if e.action == "approval_requested":
            action = view.procedure.actions.get(str(e.data.get("action", "")))
            if action is None or action.approval is None:
                continue
            pending[e.seq] = {"seq": e.seq, "action": label(action.label), "action_id": action.id, "by": e.actor,
                              "at": local_time(e.at), "reason": str((e.data.get("data") or {}).get("reason", "")),
                              "approvers": approvers_of(action),
                              "may_answer": approvals.is_approver(action, person) and person.name != e.actor}
        elif e.action == "approval_declined":
            pending.pop(int(e.data.get("request_seq", 0)), None)
        elif e.approval:
            pending.pop(int(e.approval.get("request_seq", 0)), None)
    return [r for r in pending.values() if view.state in view.procedure.actions[r["action_id"]].sources]


def changes_since(decision_id: int, procedure: ProcedureDef, seen: int) -> list[dict[str, str]]:
    """What happened to the decision after version ``seen`` (who, which action, when, which new input), oldest first."""
    with core().db.read() as conn:
        events = dossier.trail(conn, decision_id)
    refs = dossier.input_refs_by_seq(events, procedure)  # numbered as dossier.inputs numbers them
    out: list[dict[str, str]] = []
    for e in events:
        item = refs.get(e.seq, "")
        if e.seq > seen:
            out.append({"by": e.actor, "action": action_label(procedure, e.action), "at": local_time(e.at),
                        "item": item})
    return out
