"""Read models: lists of decisions and deadlines (one decision: ``workflow.views.decision``). Reads only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, select

from workflow.engine.catalog import Catalog
from workflow.persistence.store import DL, D
from workflow.views.decision import awaiting_year, iso, show_decision
from workflow.views.decision import summary as decision_summary


def list_decisions(conn: Connection, catalog: Catalog, *, org_id: int | None = None,
                   state: str | None = None) -> list[dict[str, Any]]:
    """Decisions, newest first, optionally of one office and in one state."""
    query = select(D).order_by(D.c.id.desc())
    if org_id is not None:
        query = query.where(D.c.org_id == org_id)
    if state is not None:
        query = query.where(D.c.state == state)
    return [decision_summary(r, catalog) for r in conn.execute(query)]


def office_page(conn: Connection, org_id: int, *, limit: int, state: str | None = None,
                procedure_id: str | None = None, procedure_version: str | None = None,
                below: int | None = None) -> list[Any]:
    """Up to ``limit`` of the office's decision rows, newest first, below id ``below``, by state and procedure."""
    query = select(D).where(D.c.org_id == org_id).order_by(D.c.id.desc()).limit(limit)
    if state is not None:
        query = query.where(D.c.state == state)
    if procedure_id:
        query = query.where(D.c.procedure_id == procedure_id)
        if procedure_version:
            query = query.where(D.c.procedure_version == procedure_version)
    if below is not None:
        query = query.where(D.c.id < below)
    return list(conn.execute(query).all())


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


__all__ = ["awaiting_stalls", "awaiting_year", "decision_summary", "iso", "list_deadlines", "list_decisions",
           "office_page", "show_decision"]
