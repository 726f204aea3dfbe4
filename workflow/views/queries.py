"""Read models: a decision as people see it, lists, deadlines. Reads only, never a write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, select

from workflow.engine.catalog import Catalog
from workflow.engine.context import Office, utc_iso
from workflow.engine.errors import NotFound
from workflow.engine.migration import ACTION as MIGRATED
from workflow.engine.tasks import task_status
from workflow.persistence.store import DL, DV, ORG, D, E, U, aware


def iso(moment: dt.datetime | None) -> str | None:
    value = aware(moment)
    return utc_iso(value) if value else None


def decision_summary(row: Any, catalog: Catalog) -> dict[str, Any]:
    """The list form of a decision."""
    procedure = catalog.get(f"{row.procedure_id}@{row.procedure_version}")
    state = procedure.states[row.state]
    return {"id": row.id, "title": row.title, "procedure": procedure.key, "state": row.state,
            "state_zh": state.label.zh, "state_en": state.label.en, "terminal": state.terminal,
            "version": row.version, "updated_at": iso(row.updated_at)}


def list_decisions(conn: Connection, catalog: Catalog, *, org_id: int | None = None,
                   state: str | None = None) -> list[dict[str, Any]]:
    """Decisions, newest first, optionally of one office and in one state."""
    query = select(D).order_by(D.c.id.desc())
    if org_id is not None:
        query = query.where(D.c.org_id == org_id)
    if state is not None:
        query = query.where(D.c.state == state)
    return [decision_summary(r, catalog) for r in conn.execute(query)]


def show_decision(conn: Connection, catalog: Catalog, decision_id: int, now: dt.datetime,
                  org_id: int | None = None) -> dict[str, Any]:
    """Everything about one decision: state, tasks, deadlines, documents, history, next actions."""
    row = conn.execute(select(D).where(D.c.id == decision_id)).first()
    if row is None or (org_id is not None and row.org_id != org_id):
        raise NotFound(f"没有这个决策事项：{decision_id}", f"no such decision: {decision_id}")
    org = conn.execute(select(ORG).where(ORG.c.id == row.org_id)).one()
    owner = conn.execute(select(U.c.name).where(U.c.id == row.owner_id)).scalar_one()
    procedure = catalog.get(f"{row.procedure_id}@{row.procedure_version}")
    office = Office(org.id, org.name, dict(org.settings))
    out = decision_summary(row, catalog)
    out |= {
        "office": org.name, "owner": owner, "linked_from": row.linked_from, "facts": row.facts,
        "flags": row.facts.get("flags", []), "created_at": iso(row.created_at),
        "stall_due_at": iso(row.stall_due_at),
        # The stall clock restarted at a moment whose end needs a year without calendar data.
        "stall_awaiting_year": int(row.stall_awaiting["year"]) if row.stall_awaiting else None,
        "last_hash": row.last_hash,
        "tasks": task_status(procedure, row.facts, now, office) if procedure.tasks else {},
        "next_actions": [a.id for a in procedure.actions_from(row.state)],
    }
    out["deadlines"] = [
        {"key": d.key, "kind": d.kind, "fire_at": iso(d.fire_at), "due_at": iso(d.due_at), "status": d.status,
         "recipients": d.recipients, "article": d.article, "awaiting_year": awaiting_year(d)}
        for d in conn.execute(select(DL).where(DL.c.decision_id == decision_id)
                              .order_by(DL.c.fire_at.is_(None), DL.c.fire_at, DL.c.id))
    ]
    out["documents"] = [
        {"kind": d.kind, "version": d.version_no, "sha256": d.sha256, "filename": d.filename,
         "event_seq": d.event_seq, "created_at": iso(d.created_at)}
        for d in conn.execute(select(DV).where(DV.c.decision_id == decision_id).order_by(DV.c.id))
    ]
    out["history"] = [
        {"seq": e.seq, "action": e.action, "from": e.from_state, "to": e.to_state, "at": e.event["at"],
         "actor": (e.event.get("actor") or {}).get("name"), "signed": "signature" in e.event, "hash": e.hash,
         "outcome": e.event.get("outcome"),
         "backfill": e.event.get("backfill"), "correction": e.event.get("correction"),
         "deputy": e.event.get("deputy"), "approval": e.event.get("approval")}
        | ({"migration": {k: e.event["data"].get(k) for k in ("from", "to", "basis")}}
           if e.action == MIGRATED else {})
        for e in conn.execute(select(E).where(E.c.stream == f"decision:{decision_id}").order_by(E.c.seq))
    ]
    return out


def awaiting_year(row: Any) -> int | None:
    """The year whose calendar a deadline row waits for (None once it has its instants)."""
    return int(row.awaiting["year"]) if row.status == "awaiting" and row.awaiting else None


def awaiting_stalls(conn: Connection, org_id: int | None = None) -> list[dict[str, Any]]:
    """Decisions whose stall clock (Art. 38) awaits a year's calendar, in the form of ``list_deadlines``."""
    query = select(D.c.id, D.c.stall_awaiting).where(D.c.stall_awaiting.is_not(None)).order_by(D.c.id)
    if org_id is not None:
        query = query.where(D.c.org_id == org_id)
    return [{"id": None, "decision_id": r.id, "key": "stall", "kind": "due", "fire_at": None, "due_at": None,
             "status": "awaiting", "recipients": ["owner", "supervisor"], "article": "Art. 38",
             "awaiting_year": int(r.stall_awaiting["year"])} for r in conn.execute(query)]


def list_deadlines(conn: Connection, *, overdue_at: dt.datetime | None = None,
                   status: str | None = "open") -> list[dict[str, Any]]:
    """Deadline rows (open ones by default); with ``overdue_at``, only due rows past that instant."""
    query = select(DL).order_by(DL.c.due_at.is_(None), DL.c.due_at, DL.c.id)
    if status:
        query = query.where(DL.c.status == status)
    if overdue_at is not None:
        query = query.where(DL.c.kind == "due", DL.c.due_at <= overdue_at.astimezone(dt.UTC).replace(tzinfo=None))
    return [
        {"id": d.id, "decision_id": d.decision_id, "key": d.key, "kind": d.kind, "fire_at": iso(d.fire_at),
         "due_at": iso(d.due_at), "status": d.status, "recipients": d.recipients, "article": d.article,
         "awaiting_year": awaiting_year(d)}
        for d in conn.execute(query)
    ]
