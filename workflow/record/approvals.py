"""Approvals are acts, never a typed name: request, then the approver's own signed confirmation.

An action whose definition declares ``approval: {by: [roles], article}`` (withdrawing a decision:
the chief executive answers for it, Art. 30) is taken in one of two ways:

* by an approver (a person of the office holding one of those roles): directly, signed with their
  own key (password typed at that moment);
* by anyone else who may take it: as a **request** (``approval_requested``, an audited event in the
  decision's chain that changes neither state nor facts) after the same checks the action itself
  passes; the office's approvers are told in their inbox. An approver of the **same** office, not the
  requester, then confirms it with their own signature — only then the action applies, its event
  acting in the approver's name with ``approval`` (request number, hash, requester) — or declines it
  with a reason (``approval_declined``).

Another office's approver cannot see the decision at all (404), so cannot confirm. Nothing here knows
an action id: which actions need approval, and by whom, is data in the procedure file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update

from workflow.engine import decide as engine
from workflow.engine import rules
from workflow.engine.context import Actor, DecisionView, utc_iso
from workflow.engine.definition import ActionDef
from workflow.engine.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from workflow.notices import alerts
from workflow.persistence.store import D, E, Store, naive
from workflow.record import keys
from workflow.record.signing import chain_hash
from workflow.service import ActResult, Juece, stream_of


def append_meta(st: Store, row: Any, actor: Actor, action: str, data: Mapping[str, Any],
                now: dt.datetime, *, sign: bool = False, password: str | None = None) -> tuple[int, str]:
    """An audited event in the decision's chain that changes neither state nor facts; returns (seq, hash)."""
    stream, seq = stream_of(int(row.id)), int(row.version) + 1
    event: dict[str, Any] = {"action": action, "actor": actor.as_record(), "at": utc_iso(now), "data": dict(data)}
    if sign:
        event["signature"] = keys.sign_event(st, actor.id, actor.name, password, stream, event, now)
    digest = chain_hash(str(row.last_hash), stream, seq, row.state, row.state, event)
    st.insert_event(stream=stream, seq=seq, action=action, actor_id=actor.id, from_state=row.state,
                    to_state=row.state, at=now, event=event, prev_hash=str(row.last_hash), hash_=digest)
    st.conn.execute(update(D).where(D.c.id == int(row.id)).values(version=seq, last_hash=digest, updated_at=naive(now)))
    return seq, digest


def is_approver(action: ActionDef, actor: Actor) -> bool:
    """Whether ``actor`` approves ``action`` by taking it (True for an action that needs no approval)."""
    return action.approval is None or bool(set(action.approval.by) & actor.roles)


def file_request(core: Juece, st: Store, row: Any, view: DecisionView, actor: Actor, decided: engine.Decided,
                 now: dt.datetime) -> ActResult:
    """The action, checked and accepted, recorded as a request for approval; the approvers are notified."""
    action_id = str(decided.event["action"])
    action = view.procedure.actions[action_id]
    approval = action.approval
    if approval is None:  # only actions that need approval are requested (the service checks)
        raise ValueError(f"{action_id} needs no approval")
    waiting = [r for r in open_requests(st, view) if r["action"] == action_id]
    if waiting:
        raise RuleViolation.of(rules.APPROVAL_ALREADY_PENDING, action=action.label.zh, request=waiting[0]["seq"])
    data = dict(decided.event["data"])
    seq, digest = append_meta(st, row, actor, "approval_requested", {"action": action_id, "data": data}, now)
    reason = str(data.get("reason") or "")
    alerts.notify_roles(
        st.conn, now, org_id=int(row.org_id), decision_id=view.id, roles=approval.by, owner_id=None,
        kind="approval", key=f"approval:{view.id}:{seq}",
        subject=f"【待批准】{row.title}：{action.label.zh}",
        body=f"{actor.name} 申请“{action.label.zh}”{('，理由：' + reason) if reason else ''}。"
             f"请在决策事项页面签名批准或不予批准（{approval.article}）。\n"
             f"Awaiting your approval: '{action.label.en}', requested by {actor.name}.",
        payload={"decision_id": view.id, "request": seq, "action": action_id, "approval": True})
    return ActResult(view.id, action_id, str(row.state), str(row.state), seq, digest, None, request=seq)


def pending(core: Juece, decision_id: int) -> list[dict[str, Any]]:
    """Requests of a decision awaiting approval that can still be applied in its current state."""
    with core.db.read() as conn:
        st = Store(conn)
        found = conn.execute(select(D).where(D.c.id == decision_id)).first()
        if found is None:
            return []
        procedure = core.catalog.get(f"{found.procedure_id}@{found.procedure_version}")
        view = DecisionView(int(found.id), int(found.org_id), int(found.owner_id), procedure, str(found.state),
                            int(found.version), dict(found.facts))
        return open_requests(st, view)


def open_requests(st: Store, view: DecisionView) -> list[dict[str, Any]]:
    """The decision's requests neither approved nor declined that its current state still allows."""
    requests: dict[int, dict[str, Any]] = {}
    for e in st.events_of(stream_of(view.id)):
        if e.action == "approval_requested":
            requests[int(e.seq)] = {"seq": int(e.seq), "requested_by": e.event["actor"]["name"],
                                    "requested_at": e.event["at"]} | dict(e.event["data"])
        elif e.action == "approval_declined":
            requests.pop(int(e.event["data"]["request_seq"]), None)
        elif "approval" in e.event:
            requests.pop(int(e.event["approval"]["request_seq"]), None)
    # A request the decision has moved past (withdrawn meanwhile by the chief, say) can no longer apply.
    return [r for r in requests.values()
            if r["action"] in view.procedure.actions and view.state in view.procedure.actions[r["action"]].sources]


def _answer(core: Juece, st: Store, decision_id: int, request_seq: int, approver_name: str
            ) -> tuple[Any, Actor, Any, Any, DecisionView, dict[str, Any], ActionDef]:
    """The locked decision and the pending request, if ``approver_name`` may answer it."""
    # The approver's own office only: another office's decision is "no such decision" (404).
    row, approver, office, cal, view = core._locked(st, decision_id, approver_name, None)
    found = [r for r in open_requests(st, view) if r["seq"] == request_seq]
    if not found:
        raise NotFound(f"没有待批准的申请：{request_seq}", f"no pending approval request {request_seq}",
                       code="approval_not_pending", details={"request": request_seq})
    request = found[0]
    action = view.procedure.actions[request["action"]]
    if action.approval is None or not is_approver(action, approver):
        roles = sorted(action.approval.by) if action.approval else []
        raise Forbidden(f"“{action.label.zh}”应当由{engine.roles_zh(action)}批准",
                        f"'{action.id}' is approved by: {', '.join(roles)}", code="role_not_permitted",
                        details={"roles": roles})
    if approver.name == request["requested_by"]:
        raise RuleViolation.of(rules.APPROVAL_SELF_CONFIRMATION)
    return row, approver, office, cal, view, request, action


def confirm(core: Juece, decision_id: int, request_seq: int, approver_name: str, *,
            password: str | None = None) -> ActResult:
    """An approver confirms a request with their own signature: the action applies now, in their name."""
    with core.db.write() as conn:
        st, now = Store(conn), core.clock()
        row, approver, office, cal, view, request, action = _answer(core, st, decision_id, request_seq,
                                                                    approver_name)
        marker = {"request_seq": request_seq, "requested_by": request["requested_by"],
                  "requested_at": request["requested_at"], "article": action.approval.article if action.approval
                  else "", "request_hash": _hash_of(st, decision_id, request_seq)}
        # Judged again now, by the rules as they stand: the decision may have changed since the request.
        decided = engine.decide(view, action.id, approver, request["data"], now, office, cal,
                                core._resolver(st, approver.org_id), history=core.history(st, decision_id, action),
                                approval=marker)
        result = core.write(st, row, view, approver, office, cal, decided, {}, now, password=password)
        _tell_requester(st, now, row, request, action, "confirmed", f"【已批准】{row.title}：{action.label.zh}",
                        f"您申请的“{action.label.zh}”已由 {approver.name} 签名批准。\n"
                        f"'{action.label.en}' was approved and signed by {approver.name}.",
                        {"approved_by": approver.name})
        return result


def _tell_requester(st: Store, now: Any, row: Any, request: dict[str, Any], action: ActionDef, outcome: str,
                    subject: str, body: str, answered_by: dict[str, str]) -> None:
    """Notify the requester (as the decision's owner role) how their request was answered; once per outcome."""
    requester = st.user_by_name(request["requested_by"], int(row.org_id))
    alerts.notify_roles(
        st.conn, now, org_id=int(row.org_id), decision_id=int(row.id), roles=("owner",),
        owner_id=int(requester.id) if requester is not None else None, kind="approval",
        key=f"approval:{row.id}:{request['seq']}:{outcome}", subject=subject, body=body,
        payload={"decision_id": int(row.id), "request": request["seq"], "action": action.id} | answered_by)


def _hash_of(st: Store, decision_id: int, seq: int) -> str:
    """The chain hash of event ``seq``: the confirmation names exactly the request it approves."""
    return str(st.conn.execute(select(E.c.hash).where(
        E.c.stream == stream_of(decision_id), E.c.seq == seq)).scalar_one())


def decline(core: Juece, decision_id: int, request_seq: int, approver_name: str, reason: str) -> int:
    """An approver declines a request, with a reason; the decision stays as it was. Returns the event's seq."""
    if not str(reason or "").strip():
        raise InvalidInput("请说明不予批准的理由", "a reason is required", details={"field": "reason"})
    with core.db.write() as conn:
        st, now = Store(conn), core.clock()
        row, approver, _, _, view, request, action = _answer(core, st, decision_id, request_seq, approver_name)
        seq, _ = append_meta(st, row, approver, "approval_declined",
                             {"request_seq": request_seq, "action": action.id, "reason": reason.strip()}, now)
        _tell_requester(st, now, row, request, action, "declined", f"【不予批准】{row.title}：{action.label.zh}",
                        f"您申请的“{action.label.zh}”未获 {approver.name} 批准，理由：{reason.strip()}\n"
                        f"'{action.label.en}' was declined by {approver.name}: {reason.strip()}",
                        {"declined_by": approver.name})
        return seq


__all__ = ["append_meta", "confirm", "decline", "file_request", "is_approver", "open_requests", "pending"]
