"""Back-entries (补录) and corrections: the two ways history enters the record other than as it happens.

A **back-entry** records a step that really happened offline (typically for a decision begun before
juece was installed). It is a separate, two-step act (Art. 33: the record must say truthfully how it
was made): the person who would have taken the step requests it with the stated occurrence time and a
reason (``backfill_requested``, an audited event that changes nothing else); a chief executive of the
office other than the requester confirms it, and only then is the step applied, judged by the rules
as of its occurrence time and marked ``backfill`` in its event — which every page, export,
notification and API answer shows. A request may also be rejected with a reason.

A back-entry of a signed step is signed by its requester — the holder of the key — when they request
it, with their password: the signature covers the request (step, data, occurrence time, reason). The
chief's confirmation applies exactly that request and carries the requester's signature into the
step's event (``over_request``); nobody signs in the requester's name at confirmation.

A **correction** replaces a recorded meeting, legality opinion, hearing record or comment window by a
new version with a reason. The earlier version stays in the facts (``superseded``) and in the chain;
only the version in force can be corrected, and a correction never changes an outcome.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from workflow.engine import decide as engine
from workflow.engine import fields, rules
from workflow.engine.context import Actor, parse_iso, utc_iso
from workflow.engine.effects import META_ACTIONS, effective_at
from workflow.engine.errors import ActionNotAllowed, Forbidden, InvalidInput, NotFound, RuleViolation
from workflow.notices import alerts
from workflow.persistence.store import Store
from workflow.record.approvals import append_meta
from workflow.service import ActResult, Juece, stream_of

#: Who confirms a back-entry: the chief executive answers for the office's record (Art. 30, 33).
APPROVER_ROLES = frozenset({"chief_executive"})


def _occurred(value: dt.datetime | str, tz: dt.tzinfo) -> dt.datetime:
    """The stated occurrence instant; without an offset it is the office's local time (as forms send it)."""
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    return fields.instant(value, "occurred_at", tz).astimezone(dt.UTC)


def _previous_step(st: Store, decision_id: int) -> dt.datetime | None:
    """When the decision's latest procedure step happened (creation and meta events do not count)."""
    steps = [e for e in st.events_of(stream_of(decision_id))
             if e.action not in META_ACTIONS and e.action != "create"]
    return parse_iso(effective_at(steps[-1].event)) if steps else None


def _append_meta(st: Store, row: Any, actor: Actor, action: str, data: Mapping[str, Any],
                 now: dt.datetime, *, sign: bool = False, password: str | None = None) -> int:
    """An audited event in the decision's chain that changes neither state nor facts (signed with ``sign``)."""
    return append_meta(st, row, actor, action, data, now, sign=sign, password=password)[0]


def request_backfill(core: Juece, decision_id: int, action_id: str, actor_name: str, data: Mapping[str, Any],
                     occurred_at: dt.datetime | str, reason: str, expected_version: int | None = None, *,
                     password: str | None = None) -> int:
    """Request a back-entry of ``action_id`` as it happened at ``occurred_at``; returns the request's seq.

    A signed step is signed now, by the requester with their ``password``: confirmation signs nothing.
    """
    with core.db.write() as conn:
        st, now = Store(conn), core.clock()
        row, actor, office, cal, view = core._locked(st, decision_id, actor_name, expected_version)
        if not str(reason or "").strip():
            raise RuleViolation.of(rules.BACKFILL_REASON_REQUIRED)
        occurred = _occurred(occurred_at, cal.tz)
        previous = _previous_step(st, decision_id)
        if occurred > now or (previous is not None and occurred < previous):
            raise RuleViolation.of(rules.BACKFILL_OUT_OF_ORDER, occurred_at=utc_iso(occurred),
                                   previous=utc_iso(previous) if previous else "—")
        action = view.procedure.actions.get(action_id)
        clean = dict(data)
        core._store_documents(st, action, clean, now, actor) if action else None
        # Judged now as it would be at confirmation, so a request that can never be confirmed is refused at once.
        trial = engine.Backfill(occurred, reason.strip(), actor.name, 0, "")
        engine.decide(view, action_id, actor, clean, now, office, cal, core._resolver(st, actor.org_id),
                      history=core.history(st, decision_id, action) if action else {}, backfill=trial)
        seq = _append_meta(st, row, actor, "backfill_requested", {
            "action": action_id, "data": clean, "occurred_at": utc_iso(occurred), "reason": reason.strip()}, now,
            sign=bool(action and action.signed), password=password)
        label = action.label if action else None
        when = occurred.astimezone(cal.tz).strftime("%Y-%m-%d %H:%M")
        alerts.notify_roles(
            conn, now, org_id=int(row.org_id), decision_id=decision_id, roles=APPROVER_ROLES, owner_id=None,
            kind="backfill", key=f"backfill:{decision_id}:{seq}",
            subject=f"【补录待确认】{row.title}：{label.zh if label else action_id}",
            body=f"{actor.name} 申请补录“{label.zh if label else action_id}”（发生于 {when}），理由：{reason.strip()}。"
                 f"请在决策事项页面确认或不予确认。\n"
                 f"Back-entry awaiting your confirmation: '{label.en if label else action_id}' on {when}, "
                 f"requested by {actor.name}: {reason.strip()}",
            payload={"decision_id": decision_id, "request": seq, "action": action_id, "backfill": True,
                     "occurred_at": utc_iso(occurred)})
        return seq


def pending_backfills(core: Juece, decision_id: int) -> list[dict[str, Any]]:
    """Back-entry requests of a decision neither confirmed nor rejected yet."""
    with core.db.read() as conn:
        return _pending(Store(conn), decision_id)


def _pending(st: Store, decision_id: int) -> list[dict[str, Any]]:
    requests: dict[int, dict[str, Any]] = {}
    for e in st.events_of(stream_of(decision_id)):
        if e.action == "backfill_requested":
            requests[int(e.seq)] = {"seq": int(e.seq), "requested_by": e.event["actor"]["name"],
                                    "requested_at": e.event["at"]} | dict(e.event["data"])
        elif e.action == "backfill_rejected":
            requests.pop(int(e.event["data"]["request_seq"]), None)
        elif "backfill" in e.event:
            requests.pop(int(e.event["backfill"]["request_seq"]), None)
    return list(requests.values())


def _request(st: Store, decision_id: int, request_seq: int) -> dict[str, Any]:
    for request in _pending(st, decision_id):
        if request["seq"] == request_seq:
            return request
    raise NotFound(f"没有待确认的补录申请：{request_seq}", f"no pending back-entry request {request_seq}",
                   code="backfill_not_pending", details={"request": request_seq})


def _approver(st: Store, row: Any, approver_name: str, request: Mapping[str, Any]) -> Actor:
    approver = st.actor(approver_name)
    if approver is None or not approver.active or int(approver.org_id) != int(row.org_id):
        raise NotFound(f"没有这个用户：{approver_name}", f"no such user: {approver_name}", details={"user": approver_name})
    if not set(approver.roles) & APPROVER_ROLES:
        raise Forbidden("补录应当由行政首长确认", "a back-entry is confirmed by the chief executive",
                        code="role_not_permitted", details={"roles": sorted(APPROVER_ROLES)})
    if approver.name == request["requested_by"]:
        raise RuleViolation.of(rules.BACKFILL_SELF_APPROVAL)
    return Actor(int(approver.id), str(approver.name), frozenset(approver.roles), int(approver.org_id),
                        str(approver.unit or ""))


def confirm_backfill(core: Juece, decision_id: int, request_seq: int, approver_name: str) -> ActResult:
    """The chief executive confirms a back-entry: the step is applied as of its occurrence time, marked 补录."""
    with core.db.write() as conn:
        st, now = Store(conn), core.clock()
        request = _request(st, decision_id, request_seq)
        row, actor, office, cal, view = core._locked(st, decision_id, request["requested_by"], None)
        approver = _approver(st, row, approver_name, request)
        action = view.procedure.actions.get(request["action"])
        backfill = engine.Backfill(parse_iso(request["occurred_at"]), request["reason"], actor.name, request_seq,
                                   approver.name)
        decided = engine.decide(view, request["action"], actor, request["data"], now, office, cal,
                                core._resolver(st, actor.org_id), history=core.history(st, decision_id, action) if action else {},
                                backfill=backfill)
        documents = {name: (str(decided.event["data"][name]), str(request["data"].get("filename") or ""))
                     for name, spec in (action.fields.items() if action else []) if spec.type == "document"
                     and decided.event["data"].get(name)}
        carried = _request_signature(st, decision_id, request_seq) if action and action.signed else None
        result = core.write(st, row, view, actor, office, cal, decided, documents, now, carried=carried)
        label = action.label.zh if action else request["action"]
        alerts.notify_roles(
            conn, now, org_id=int(row.org_id), decision_id=decision_id, roles=("owner",), owner_id=actor.id,
            kind="backfill", key=f"backfill:{decision_id}:{request_seq}:confirmed",
            subject=f"【补录】{row.title}：{label} 已由 {approver.name} 确认",
            body=f"补录“{label}”（发生于 {request['occurred_at']}）已确认记入。\n"
                 f"The back-entry of '{request['action']}' was confirmed by {approver.name}.",
            payload={"decision_id": decision_id, "request": request_seq, "action": request["action"],
                     "backfill": True, "approved_by": approver.name})
        return result


def _request_signature(st: Store, decision_id: int, request_seq: int) -> dict[str, Any]:
    """The requester's signature over their request, carried into the confirmed step's event."""
    found = [e for e in st.events_of(stream_of(decision_id), ["backfill_requested"]) if int(e.seq) == request_seq]
    signature = found[0].event.get("signature") if found else None
    if not signature:
        raise ActionNotAllowed("该补录申请未经申请人签名，请申请人输入密码重新申请",
                               "this back-entry request was not signed by its requester: request it again, signed",
                               code="backfill_unsigned", details={"request": request_seq})
    return {**signature, "over_request": request_seq}


def reject_backfill(core: Juece, decision_id: int, request_seq: int, approver_name: str, reason: str) -> int:
    """The chief executive declines a back-entry request, with a reason; nothing else changes."""
    if not str(reason or "").strip():
        raise InvalidInput("请说明不予确认的理由", "a reason is required", details={"field": "reason"})
    with core.db.write() as conn:
        st, now = Store(conn), core.clock()
        request = _request(st, decision_id, request_seq)
        row = st.lock_decision(decision_id)
        approver = _approver(st, row, approver_name, request)
        return _append_meta(st, row, approver, "backfill_rejected",
                            {"request_seq": request_seq, "reason": reason.strip()}, now)


def correct(core: Juece, decision_id: int, action_id: str, actor_name: str, data: Mapping[str, Any], reason: str,
            of_version: int | None = None, expected_version: int | None = None, *, password: str | None = None,
            grant: int | None = None) -> ActResult:
    """Correct the record ``action_id`` made: a new version with a reason; the earlier one is kept.

    A correction of a signed record is signed by the corrector with their own ``password``.
    """
    with core.db.write() as conn:
        st, now = Store(conn), core.clock()
        row, actor, office, cal, view = core._locked(st, decision_id, actor_name, expected_version, grant)
        action = view.procedure.actions.get(action_id)
        if action is None or not action.record:
            raise ActionNotAllowed(f"“{action_id}”不是可以更正的记录", f"'{action_id}' is not a correctable record",
                                   code="correction_not_possible", details={"action": action_id})
        originals = st.events_of(stream_of(decision_id), [action_id])
        if not originals:
            raise ActionNotAllowed("尚无可更正的记录", "there is no record to correct",
                                   code="correction_not_possible", details={"action": action_id})
        clean = dict(data)
        documents = core._store_documents(st, action, clean, now, actor)
        decided = engine.decide_correction(view, action_id, actor, clean, reason, of_version, originals[-1].event,
                                           now, office, cal, core._resolver(st, actor.org_id),
                                           history=core.history(st, decision_id, action))
        return core.write(st, row, view, actor, office, cal, decided, documents, now, password=password)
