"""The decision view: one decision as the web page, the API's answer and ``juece decisions show`` read it.

``load`` reads what every edge shows (the row, the office, the owner, deadlines and document versions);
``show_decision`` is its plain form (the API's ``DecisionDetail`` and the CLI's JSON), ``decision_page`` adds
what the page needs besides (the verified trail, the inputs an adoption report answers, the office's people,
the audit report, deputy grants). Reads only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from workflow.admin import deputies
from workflow.engine.catalog import Catalog
from workflow.engine.context import Actor, DecisionView, Office, utc_iso
from workflow.engine.errors import NotFound
from workflow.engine.migration import ACTION as MIGRATED
from workflow.engine.tasks import task_status
from workflow.persistence.store import DL, DV, ORG, D, E, U, aware
from workflow.record import keys
from workflow.record.audit import Report, verify_decision
from workflow.views import dossier
from workflow.views.documents import version_out


def iso(moment: dt.datetime | None) -> str | None:
    """A stored instant as UTC ISO 8601 (None stays None)."""
    value = aware(moment)
    return utc_iso(value) if value else None


def decision_row(conn: Connection, decision_id: int) -> Any:
    """The decision's stored row (None: no such decision); who may see it is the caller's check."""
    return conn.execute(select(D).where(D.c.id == decision_id)).first()


def events(conn: Connection, decision_id: int, actions: Iterable[str] | None = None) -> list[Any]:
    """The decision's stored audit events, oldest first (only those of ``actions`` when given)."""
    query = select(E).where(E.c.stream == f"decision:{decision_id}").order_by(E.c.seq)
    if actions is not None:
        query = query.where(E.c.action.in_(list(actions)))
    return list(conn.execute(query).all())


def awaiting_year(row: Any) -> int | None:
    """The year whose calendar a deadline row waits for (None once it has its instants)."""
    return int(row.awaiting["year"]) if row.status == "awaiting" and row.awaiting else None


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """What every edge shows of a decision: its row, office, owner, deadline rows and document versions."""

    row: Any
    office: Office
    owner: str
    deadlines: list[Any]
    documents: list[Any]

    def deadlines_by(self, instant: str) -> list[Any]:
        """The deadline rows ordered by ``fire_at`` or ``due_at`` (rows without one last), then by id."""
        floor = dt.datetime.min
        return sorted(self.deadlines, key=lambda d: (getattr(d, instant) is None, getattr(d, instant) or floor, d.id))


def load(conn: Connection, decision_id: int, org_id: int | None = None) -> DecisionRecord:
    """The decision ``decision_id`` (of office ``org_id`` when given; another office's does not exist)."""
    row = decision_row(conn, decision_id)
    if row is None or (org_id is not None and row.org_id != org_id):
        raise NotFound(f"没有这个决策事项：{decision_id}", f"no such decision: {decision_id}")
    org = conn.execute(select(ORG).where(ORG.c.id == row.org_id)).one()
    owner = str(conn.execute(select(U.c.name).where(U.c.id == row.owner_id)).scalar_one())
    deadlines = list(conn.execute(select(DL).where(DL.c.decision_id == decision_id)).all())
    documents = list(conn.execute(select(DV).where(DV.c.decision_id == decision_id).order_by(DV.c.id)).all())
    return DecisionRecord(row, Office(int(org.id), str(org.name), dict(org.settings)), owner, deadlines, documents)


def summary(row: Any, catalog: Catalog) -> dict[str, Any]:
    """The list form of a decision."""
    procedure = catalog.get(f"{row.procedure_id}@{row.procedure_version}")
    state = procedure.states[row.state]
    return {"id": row.id, "title": row.title, "procedure": procedure.key, "state": row.state,
            "state_zh": state.label.zh, "state_en": state.label.en, "terminal": state.terminal,
            "version": row.version, "updated_at": iso(row.updated_at)}


def show_decision(conn: Connection, catalog: Catalog, decision_id: int, now: dt.datetime,
                  org_id: int | None = None) -> dict[str, Any]:
    """Everything about one decision: state, tasks, deadlines, documents, history, next actions."""
    record = load(conn, decision_id, org_id)
    row = record.row
    procedure = catalog.get(f"{row.procedure_id}@{row.procedure_version}")
    out = summary(row, catalog)
    out |= {
        "office": record.office.name, "owner": record.owner, "linked_from": row.linked_from, "facts": row.facts,
        "flags": row.facts.get("flags", []), "created_at": iso(row.created_at),
        "stall_due_at": iso(row.stall_due_at),
        # The stall clock restarted at a moment whose end needs a year without calendar data.
        "stall_awaiting_year": int(row.stall_awaiting["year"]) if row.stall_awaiting else None,
        "last_hash": row.last_hash,
        "tasks": task_status(procedure, row.facts, now, record.office) if procedure.tasks else {},
        "next_actions": [a.id for a in procedure.actions_from(row.state)],
    }
    out["deadlines"] = [
        {"key": d.key, "kind": d.kind, "fire_at": iso(d.fire_at), "due_at": iso(d.due_at), "status": d.status,
         "recipients": d.recipients, "article": d.article, "awaiting_year": awaiting_year(d)}
        for d in record.deadlines_by("fire_at")
    ]
    out["documents"] = [version_out(d) for d in record.documents]
    out["history"] = [
        {"seq": e.seq, "action": e.action, "from": e.from_state, "to": e.to_state, "at": e.event["at"],
         "actor": (e.event.get("actor") or {}).get("name"), "signed": "signature" in e.event, "hash": e.hash,
         "outcome": e.event.get("outcome"),
         "backfill": e.event.get("backfill"), "correction": e.event.get("correction"),
         "deputy": e.event.get("deputy"), "approval": e.event.get("approval")}
        | ({"migration": {k: e.event["data"].get(k) for k in ("from", "to", "basis")}}
           if e.action == MIGRATED else {})
        for e in events(conn, decision_id)
    ]
    return out


@dataclass(frozen=True, slots=True)
class DecisionPage:
    """The decision as its page shows it to one person: the record and the verified trail around it."""

    record: DecisionRecord
    events: list[dossier.TrailEvent]
    documents: list[dossier.DocumentEntry]
    inputs: list[dict[str, str]]
    people: list[str]
    report: Report
    opinion_text: str | None
    grants: list[dict[str, Any]]
    stand_ins: list[tuple[dict[str, Any], Actor]]
    can_sign: bool


def decision_page(conn: Connection, catalog: Catalog, view: DecisionView, person: Actor,
                  now: dt.datetime) -> DecisionPage:
    """The decision page's read model for ``person`` (an official of the decision's office)."""
    record = load(conn, view.id)
    events = dossier.trail(conn, view.id)
    inputs = dossier.inputs(events, dict(view.facts), view.procedure)
    for item in inputs:
        if item["ref"].startswith("expert:"):
            item["text"] = dossier.document_text(conn, item["text"]) or item["text"]
    opinion_text = None
    if view.facts.get("opinion"):
        opinion_text = dossier.document_text(conn, str(view.facts["opinion"]["hash"]))
    # 代理: the grants this page shows (in force, or acted under here) and the ones this person holds.
    used = {int(e.deputy["grant"]) for e in events if e.deputy}
    grants = [g for g in deputies.office_grants(conn, view.org_id, now)
              if g["status"] in ("in_force", "scheduled") or g["id"] in used]
    stand_ins = [(g, deputies.acting_now(conn, person, g["id"], now))
                 for g in grants if g["status"] == "in_force" and g["deputy"] == person.name]
    return DecisionPage(record, events, dossier.documents(conn, view.id), inputs,
                        [p["name"] for p in dossier.office_people(conn, view.org_id)],
                        verify_decision(conn, catalog, view.id), opinion_text, grants, stand_ins,
                        keys.has_usable_key(conn, person.id))


__all__ = ["DecisionPage", "DecisionRecord", "aware", "awaiting_year", "decision_page", "decision_row", "events", "iso", "load",
           "show_decision", "summary"]
