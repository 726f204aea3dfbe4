"""The engine: decide whether an action may be taken and what it changes. No I/O.

``decide`` checks, in order: the action exists and leaves the current state, the actor may take it,
the input fits the fields, every guard (hard rule) allows it, and the machine has a transition for
the outcome. It returns the event to append and the new facts; the service persists them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from workflow.engine import fields, machine, rules
from workflow.engine.context import Actor, Attempt, DecisionView, Office, parse_iso, utc_iso
from workflow.engine.definition import ActionDef, ProcedureDef
from workflow.engine.effects import META_ACTIONS, apply_event, effective_at
from workflow.engine.errors import ActionNotAllowed, Forbidden, InvalidInput, RuleViolation
from workflow.timing import timetruth
from workflow.timing.calendar import WorkCalendar
from workflow.timing.deadlines import DeadlinePlan, plan

UserResolver = Callable[[str], Mapping[str, Any] | None]


@dataclass(frozen=True, slots=True)
class Decided:
    """An accepted action: the event to append, the state and facts after it, its deadlines."""

    event: dict[str, Any]
    from_state: str
    to_state: str
    facts: dict[str, Any]
    deadlines: DeadlinePlan


def normalize(action: ActionDef, data: Mapping[str, Any], procedure: ProcedureDef, tz: ZoneInfo,
              resolve_user: UserResolver) -> dict[str, Any]:
    """Input checked against the action's fields (``workflow.engine.fields``): unknown ones refused, required present."""
    if not isinstance(data, Mapping):
        raise InvalidInput("输入应为 JSON 对象", "input must be a JSON object", details={"field": "data"})
    unknown = sorted(set(data) - set(action.fields))
    if unknown:
        raise fields.bad(unknown[0], "此操作没有这个字段", f"is not a field of '{action.id}'")
    out: dict[str, Any] = {}
    context = fields.ParseContext(tz, resolve_user)
    for spec in action.fields.values():
        value = data.get(spec.name)
        blank = value is None or (isinstance(value, str | list | dict) and not (value.strip() if isinstance(
            value, str) else value))
        if blank:
            if spec.required:
                raise fields.bad(spec.name, "必填", "is required")
            continue
        out[spec.name] = fields.parse(spec, value, context)
    return out


def may_act(action: ActionDef, actor: Actor, decision: DecisionView) -> bool:
    """Whether the actor's roles allow ``action``; owner actions belong to the owner or the owner unit."""
    if actor.org_id != decision.org_id:
        return False
    if "any" in action.roles:
        return True
    roles = set(action.roles) & actor.roles
    if roles == {"owner"}:
        unit = decision.facts.get("owner_unit")
        if actor.deputy is not None:  # the owner's deputy stands where the owner stands
            return actor.deputy.principal_id == decision.owner_id or bool(unit and actor.deputy.principal_unit == unit)
        return actor.id == decision.owner_id or bool(unit and actor.unit == unit)
    return bool(roles)


@dataclass(frozen=True, slots=True)
class Backfill:
    """A back-entry (补录): history that happened offline, entered now with a reason and confirmed."""

    occurred_at: dt.datetime
    reason: str
    requested_by: str
    request_seq: int
    approved_by: str

    def as_record(self) -> dict[str, Any]:
        """The marker written into the event (every page, export and answer shows it)."""
        return {"occurred_at": utc_iso(self.occurred_at), "reason": self.reason, "requested_by": self.requested_by,
                "request_seq": self.request_seq, "approved_by": self.approved_by}


#: Role names as a refusal states them (the approvers of an action).
ROLE_ZH = {"chief_executive": "行政首长", "owner": "承办人员", "legal_reviewer": "合法性审查人员",
           "secretary": "会议记录人员", "publisher": "公布人员", "executor": "执行人员", "admin": "管理员"}


def roles_zh(action: ActionDef) -> str:
    """Who approves ``action``, in Chinese."""
    return "或".join(ROLE_ZH.get(r, r) for r in (action.approval.by if action.approval else ()))


def _action(procedure: ProcedureDef, action_id: str) -> ActionDef:
    action = procedure.actions.get(action_id)
    if action is None:
        raise ActionNotAllowed(f"没有这个操作：{action_id}", f"no such action: {action_id}",
                               code="unknown_action", details={"action": action_id})
    return action


def decide(decision: DecisionView, action_id: str, actor: Actor, data: Mapping[str, Any], now: dt.datetime,
           office: Office, cal: WorkCalendar, resolve_user: UserResolver, *,
           history: timetruth.History | None = None, backfill: Backfill | None = None,
           approval: Mapping[str, Any] | None = None) -> Decided:
    """Check an action against the definition and the hard rules; return what it changes.

    With ``backfill`` the action is judged as of its stated occurrence time (the rules held then);
    the event still carries the real instant of entry ``now``. ``approval`` marks the confirmation of
    someone else's request (``workflow.record.approvals``): who asked, and which request.
    """
    procedure = decision.procedure
    action = _action(procedure, action_id)
    if decision.state not in action.sources:
        raise ActionNotAllowed(
            f"当前环节“{procedure.states[decision.state].label.zh}”不能进行“{action.label.zh}”",
            f"'{action_id}' is not possible in state '{decision.state}'",
            details={"action": action_id, "state": decision.state})
    if not may_act(action, actor, decision):
        raise Forbidden(f"{actor.name} 无权进行“{action.label.zh}”", f"{actor.name} may not take '{action_id}'",
                        code="role_not_permitted", details={"action": action_id, "roles": list(action.roles)})
    if action.approval is not None and "approver" in data:
        # The field forms used to carry: a typed name is not an approval (issue 11, item 2).
        raise RuleViolation.of(rules.APPROVAL_NOT_TYPED, action=action.label.zh, approvers=roles_zh(action),
                               approvers_en=" or ".join(r.replace("_", " ") for r in action.approval.by))
    clean = normalize(action, data, procedure, cal.tz, resolve_user)
    effective = backfill.occurred_at if backfill else now
    _check(decision, action, actor, clean, effective, office, cal, history or {}, effective)
    outcome = str(clean.get(action.outcome_field)) if action.outcome_field else None
    target = machine.fire(procedure, decision.state, action.id, outcome)
    if target is None:
        raise ActionNotAllowed("该结论没有对应的下一环节", f"no transition for outcome '{outcome}'",
                               details={"action": action_id, "outcome": outcome})
    event = _event(decision, action, actor, clean, now, outcome)
    if backfill is not None:
        event["backfill"] = backfill.as_record()
    if approval is not None:
        event["approval"] = dict(approval)
    facts = apply_event(procedure, decision.facts, event)
    deadlines = plan(procedure, action.id, outcome, clean, target, effective, office, cal, decision.org_id)
    return Decided(event, decision.state, target, facts, deadlines)


def _check(decision: DecisionView, action: ActionDef, actor: Actor, clean: Mapping[str, Any], now: dt.datetime,
           office: Office, cal: WorkCalendar, history: timetruth.History, window_floor: dt.datetime,
           correcting: bool = False) -> None:
    """Stated times first (they are facts about the world), then the procedure's guards."""
    refusal = timetruth.check_action(decision.procedure, action, clean, decision.facts, history, now, cal,
                                     window_floor)
    if refusal is not None:
        raise refusal
    office = office.under(decision.procedure.settings)  # its guards read the settings the procedure declares
    attempt = Attempt(decision, action, actor, clean, now, office, cal, correcting)
    for check in action.checks:  # resolved at load time, in the order the definition lists them
        refusal = check(attempt)
        if refusal is not None:
            raise refusal


def _event(decision: DecisionView, action: ActionDef, actor: Actor, clean: dict[str, Any], now: dt.datetime,
           outcome: str | None) -> dict[str, Any]:
    event: dict[str, Any] = {"action": action.id, "actor": actor.as_record(), "at": utc_iso(now), "data": clean}
    if actor.deputy is not None:
        event["deputy"] = actor.deputy.as_record()
    if outcome is not None:
        event["outcome"] = outcome
    draft = decision.facts.get("draft")
    if action.signed and draft:
        # Rule 6: a signed opinion names the exact draft version it was given on.
        event["draft"] = {"version": draft["version"], "hash": draft["hash"]}
    return event


def decide_correction(decision: DecisionView, action_id: str, actor: Actor, data: Mapping[str, Any], reason: str,
                      of_version: int | None, original: Mapping[str, Any], now: dt.datetime, office: Office,
                      cal: WorkCalendar, resolve_user: UserResolver, *,
                      history: timetruth.History | None = None) -> Decided:
    """A correction of a recorded meeting, opinion, hearing record or window: a new version, never an edit.

    ``original`` is the event that recorded the version in force. The state does not change; the
    earlier version stays in the facts (``superseded``) and in the trail.
    """
    procedure = decision.procedure
    action = _action(procedure, action_id)
    record = decision.facts.get(action.record or "") if action.record else None
    if decision.state not in action.correctable_in or not record:
        raise ActionNotAllowed(f"当前环节不能更正“{action.label.zh}”", f"'{action_id}' cannot be corrected now",
                               code="correction_not_possible", details={"action": action_id, "state": decision.state})
    if not may_act(action, actor, decision):
        raise Forbidden(f"{actor.name} 无权更正“{action.label.zh}”", f"{actor.name} may not correct '{action_id}'",
                        code="role_not_permitted", details={"action": action_id, "roles": list(action.roles)})
    if not str(reason or "").strip():
        raise RuleViolation.of(rules.CORRECTION_REASON_REQUIRED)
    current = int(record.get("version", 1)) if isinstance(record, Mapping) else 1
    if of_version is not None and of_version != current:
        raise RuleViolation.of(rules.CORRECTION_NOT_CURRENT, current=current, requested=of_version)
    clean = normalize(action, data, procedure, cal.tz, resolve_user)
    outcome = str(clean.get(action.outcome_field)) if action.outcome_field else None
    recorded = original.get("outcome")
    if action.outcome_field and outcome != recorded:
        raise RuleViolation.of(rules.CORRECTION_CHANGES_OUTCOME, recorded=recorded)
    # A corrected window keeps the instant it was first entered as its "moment of entry".
    _check(decision, action, actor, clean, now, office, cal, history or {}, parse_iso(effective_at(original)),
           correcting=True)
    event = _event(decision, action, actor, clean, now, outcome)
    event["correction"] = {"reason": reason.strip(), "version": current + 1, "of_version": current}
    facts = apply_event(procedure, decision.facts, event)
    deadlines = plan(procedure, action.id, outcome, clean, decision.state, now, office, cal, decision.org_id)
    return Decided(event, decision.state, decision.state, facts, deadlines)


def replay(procedure: ProcedureDef, events: Sequence[Mapping[str, Any]],
           resolve: Callable[[str], ProcedureDef] | None = None) -> tuple[str, dict[str, Any]]:
    """State and facts folded from a decision's events (creation first).

    A migrated decision folds under each version in turn (``resolve`` finds them by ``id@version``):
    the old version's effects up to the migration, its recorded mapping, then the new version's.
    """
    from workflow.engine import migration
    from workflow.engine.effects import initial_facts

    if resolve is not None:
        procedure = migration.first_procedure(procedure, events, resolve)
    state, facts = procedure.initial, initial_facts()
    for event in events:
        if event["action"] in META_ACTIONS:
            continue
        if event["action"] == migration.ACTION:
            procedure, facts = migration.replay_step(procedure, event, facts, resolve)
            state = event["to"]
            continue
        if event["action"] == "create":
            facts["flags"] = list(event["data"].get("flags") or [])
            state = event["to"]
            continue
        facts = apply_event(procedure, facts, event)
        state = event["to"]
    return state, facts


def explain_refusal(error: RuleViolation) -> str:
    """One line for a refused action: code, article, Chinese and English message."""
    return f"{error.code} · {error.article} · {error.zh} / {error.en}"


__all__ = ["Backfill", "Decided", "decide", "decide_correction", "normalize", "may_act", "replay", "explain_refusal", "parse_iso"]
