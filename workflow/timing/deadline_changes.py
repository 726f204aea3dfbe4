"""Extending or pausing a statutory deadline: audited in the decision's own chain, with a reason.

Only the chief executive moves a statutory deadline, and signs the move with their own key (password
typed at that moment). The 行政首长 answers for the decision's deadlines (Art. 26 review period, Art. 38
supervision of delay); an administrator keeps the system, not the procedure, so an administrator does
not extend a deadline — they ask the chief, who acts. (Approvals are acts, never a typed name: issue 11.)
The event goes into the decision's hash chain (it changes neither state nor facts, so replay passes
over it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update

from workflow.admin import people
from workflow.engine.context import utc_iso
from workflow.engine.errors import Forbidden, InvalidInput, NotFound
from workflow.persistence.store import DL, D, Store, naive
from workflow.record import keys
from workflow.record.signing import chain_hash
from workflow.service import Juece, stream_of
from workflow.timing.deadlines import schedule

MAY_MOVE = frozenset({"chief_executive"})


def change_deadline(core: Juece, decision_id: int, key: str, actor_name: str, reason: str,
                    until: dt.date | None = None, *, password: str | None = None) -> dict[str, Any]:
    """Extend (``until`` given) or pause (no ``until``) a decision's open deadline ``key``, signed by the chief."""
    if not reason.strip():
        raise InvalidInput("必须说明理由", "a reason is required", details={"field": "reason"})
    now = core.clock()
    with core.db.write() as conn:
        st = Store(conn)
        actor = people.find_person(conn, actor_name)
        row = st.lock_decision(decision_id)
        if actor is None or row is None or row.org_id != actor.org_id:
            raise NotFound(f"没有这个决策事项：{decision_id}", f"no such decision: {decision_id}")
        if not set(actor.roles) & MAY_MOVE:
            raise Forbidden("法定期限由行政首长本人调整并签名；请报请行政首长办理",
                            "only the chief executive moves a statutory deadline, signed with their own key",
                            code="role_not_permitted", details={"roles": sorted(MAY_MOVE)})
        rows = conn.execute(select(DL).where(DL.c.decision_id == decision_id, DL.c.key == key,
                                             DL.c.status.in_(["open", "fired", "paused", "awaiting"]))).all()
        due_rows = [r for r in rows if r.kind == "due"]
        if not due_rows:
            raise NotFound(f"没有进行中的期限：{key}", f"no running deadline '{key}' on decision {decision_id}")
        procedure = core.catalog.get(f"{row.procedure_id}@{row.procedure_version}")
        cal = core.calendar_for(st, st.system_seq(), int(row.org_id))
        ids = [r.id for r in rows]
        if until is None:
            action, data = "deadline_paused", {"key": key, "reason": reason.strip()}
            conn.execute(update(DL).where(DL.c.id.in_(ids)).values(status="paused"))
        else:
            if until < cal.local_date(now):
                raise InvalidInput("新的期限不能早于今天", "the new due date is in the past", details={"field": "until"})
            new_due = cal.end_of_day(until)
            action = "deadline_extended"
            data = {"key": key, "reason": reason.strip(), "until": until.isoformat(), "due_at": utc_iso(new_due)}
            conn.execute(update(DL).where(DL.c.id.in_(ids)).values(status="closed", closed_at=naive(now), awaiting=None))
            deadline = procedure.deadlines[key]
            # The new day is a person's choice; only its working-day reminders may wait for a year's calendar.
            fixed = {"kind": "on_day", "day": until.isoformat()}
            st.open_deadlines(int(row.org_id), decision_id, schedule(deadline, fixed, now, cal, int(row.org_id)), now)
        event = {"action": action, "actor": {"id": actor.id, "name": actor.name, "unit": actor.unit,
                                             "roles": sorted(actor.roles)}, "at": utc_iso(now), "data": data}
        seq = int(row.version) + 1
        stream = stream_of(decision_id)
        event["signature"] = keys.sign_event(st, int(actor.id), str(actor.name), password, stream, event, now)
        digest = chain_hash(str(row.last_hash), stream, seq, row.state, row.state, event)
        st.insert_event(stream=stream, seq=seq, action=action, actor_id=actor.id, from_state=row.state,
                        to_state=row.state, at=now, event=event, prev_hash=str(row.last_hash), hash_=digest)
        conn.execute(update(D).where(D.c.id == decision_id).values(
            version=seq, last_hash=digest, updated_at=naive(now)))
        return {"decision": decision_id, "action": action, "version": seq} | data

