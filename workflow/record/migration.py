"""Migrating an in-flight decision to a newer version of its procedure: one locked, audited transaction.

The engine (``workflow.engine.migration``) decides whether the migration may happen and what it changes;
this writes it like every action: the decision row locked, the version the chief saw checked, the
``procedure_migrated`` event signed by the chief and chained, the row moved to the new version, state and
facts, and the deadlines re-planned, all in the one transaction. A dry run answers the same checks and
writes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from workflow.engine.errors import ActionNotAllowed, InvalidInput
from workflow.engine.migration import ACTION, decide_migration
from workflow.persistence.store import D, Store, naive
from workflow.record import approvals, keys
from workflow.record.records import _pending as pending_backfills
from workflow.record.signing import chain_hash
from workflow.service import Juece, stream_of


def target_key(procedure_id: str, to: str) -> str:
    """``id@version`` from what a person typed (``cn-713@2027-01-01`` or just ``2027-01-01``)."""
    to = str(to or "").strip()
    if not to:
        raise InvalidInput("必须指定目标版本", "the target version is required", details={"field": "to"})
    return to if "@" in to else f"{procedure_id}@{to}"


def migrate(core: Juece, decision_id: int, to: str, actor_name: str, basis: str, *, dry_run: bool = False,
            password: str | None = None, expected_version: int | None = None) -> dict[str, Any]:
    """Move a decision to version ``to`` on ``basis`` as ``actor_name`` (a chief executive); the preview when
    ``dry_run``, else the preview with the new version and chain head."""
    with core.db.write() as conn:
        st, now = Store(conn), core.clock()
        # The same lock and version check as every action (``Juece.act``): two migrations cannot interleave.
        row, actor, office, cal, view = core._locked(st, decision_id, actor_name, expected_version)
        target = core.catalog.get(target_key(view.procedure.id, to))
        migrated = decide_migration(view, target, actor, basis, now, office, cal, preview=dry_run)
        if approvals.open_requests(st, view) or pending_backfills(st, decision_id):
            # A request was filed (and signed) under the old version's rules: it is answered under them first.
            raise ActionNotAllowed("有待批准或待确认补录的申请，请先处理后再迁移",
                                   "answer the pending approval or back-entry requests before migrating",
                                   code="migration_requests_pending")
        preview = migrated.preview(view.facts) | {"decision": decision_id, "dry_run": dry_run}
        if dry_run:
            return preview | {"version": int(row.version)}
        stream, event = stream_of(decision_id), migrated.event
        event["signature"] = keys.sign_event(st, actor.id, actor.name, password, stream, event, now)
        seq = int(row.version) + 1
        digest = chain_hash(str(row.last_hash), stream, seq, migrated.from_state, migrated.to_state, event)
        plan = migrated.deadlines
        st.update_decision(decision_id, state=migrated.to_state, version=seq, facts=migrated.facts,
                           last_hash=digest, now=now, stall_due_at=plan.stall_due_at,
                           stall_awaiting=plan.stall_awaiting)
        conn.execute(update(D).where(D.c.id == decision_id).values(
            procedure_version=target.version, updated_at=naive(now)))
        st.insert_event(stream=stream, seq=seq, action=ACTION, actor_id=actor.id, from_state=migrated.from_state,
                        to_state=migrated.to_state, at=now, event=event, prev_hash=str(row.last_hash), hash_=digest)
        if plan.close:
            st.close_deadlines(decision_id, plan.close, now)
        if plan.open:
            st.open_deadlines(int(row.org_id), decision_id, plan.open, now)
        return preview | {"version": seq, "hash": digest}
