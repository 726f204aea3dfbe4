"""The decision page's read model: the audit trail with each signature checked, documents, inputs.

Reads only. A signed event is shown as "signed by …, verified" only when its signature verifies
against the signer's public key as the system stream registers it, by the actor's own key not yet
retired, and covers the stored event (``workflow.record.keyring``). An act by a deputy shows for whom.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from workflow.engine.definition import ProcedureDef
from workflow.persistence.store import DOC, DV, E, U, aware
from workflow.record.keyring import Keyring
from workflow.record.signing import chain_hash


@dataclass(frozen=True, slots=True)
class TrailEvent:
    """One audit event as the page shows it."""

    seq: int
    action: str
    actor: str
    at: str
    from_state: str | None
    to_state: str | None
    data: dict[str, Any]
    outcome: str | None
    hash: str
    chain_ok: bool
    signed: bool
    signature_ok: bool
    signer: str
    draft_version: int | None
    #: 补录: the step happened offline at ``occurred_at`` and was entered later (``workflow.record.records``).
    backfill: dict[str, Any] | None = None
    #: 更正: this event is a new version of a record (reason, version, of_version).
    correction: dict[str, Any] | None = None
    #: 代理: the actor acted for someone else under a grant (grant, for, role, until).
    deputy: dict[str, Any] | None = None
    #: Why the deputy marker is not covered by its grant ("" when it is, or when there is none).
    deputy_problem: str = ""
    #: 批准: the action was requested by someone else and approved by the actor (``workflow.record.approvals``).
    approval: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class DocumentEntry:
    """One version of one of a decision's documents."""

    kind: str
    version: int
    sha256: str
    filename: str
    size: int
    media_type: str
    by: str
    at: str
    event_seq: int


def trail(conn: Connection, decision_id: int) -> list[TrailEvent]:
    """The decision's events, oldest first, each with its chain link, signature and deputy grant checked."""
    ring = Keyring.load(conn)
    stream = f"decision:{decision_id}"
    out: list[TrailEvent] = []
    prev = None
    requests: dict[int, dict[str, Any]] = {}
    for row in conn.execute(select(E).where(E.c.stream == stream).order_by(E.c.seq)):
        event = dict(row.event)
        chain_ok = chain_hash(row.prev_hash, stream, row.seq, row.from_state, row.to_state, event) == row.hash and (
            prev is None or row.prev_hash == prev)
        prev = row.hash
        if row.action == "backfill_requested":
            requests[int(row.seq)] = event
        signature = event.get("signature") or {}
        signer, signature_ok = "", False
        if signature:
            record = ring.keys.get(str(signature.get("key", "")))
            signer = record.user if record else "?"
            signature_ok = ring.signature_problem(stream, event, requests.get) is None
        at = aware(row.at)
        assert at is not None
        out.append(TrailEvent(
            int(row.seq), str(row.action), str((event.get("actor") or {}).get("name", "")), at.isoformat(),
            row.from_state, row.to_state, dict(event.get("data") or {}), event.get("outcome"), str(row.hash),
            chain_ok, bool(signature), signature_ok, signer, (event.get("draft") or {}).get("version"),
            event.get("backfill"), event.get("correction"), event.get("deputy"), ring.deputy_problem(event) or "",
            event.get("approval")))
    return out


def documents(conn: Connection, decision_id: int) -> list[DocumentEntry]:
    """Every version of every document of the decision, newest version first within a kind."""
    rows = conn.execute(
        select(DV, DOC.c.size, DOC.c.media_type, U.c.name.label("by"))
        .join(DOC, DOC.c.sha256 == DV.c.sha256).join(U, U.c.id == DV.c.created_by)
        .where(DV.c.decision_id == decision_id).order_by(DV.c.kind, DV.c.version_no.desc())).all()
    out = []
    for r in rows:
        at = aware(r.created_at)
        assert at is not None
        out.append(DocumentEntry(str(r.kind), int(r.version_no), str(r.sha256), str(r.filename or ""), int(r.size),
                                 str(r.media_type), str(r.by), at.isoformat(), int(r.event_seq)))
    return out


def document_of(conn: Connection, decision_id: int, sha256: str) -> tuple[bytes, str, str] | None:
    """(content, media type, file name) of a document that belongs to the decision, else None."""
    version = conn.execute(select(DV.c.filename).where(DV.c.decision_id == decision_id, DV.c.sha256 == sha256)
                           .order_by(DV.c.id.desc()).limit(1)).first()
    if version is None:
        return None
    doc = conn.execute(select(DOC.c.content, DOC.c.media_type).where(DOC.c.sha256 == sha256)).one()
    return bytes(doc.content), str(doc.media_type), str(version.filename or "")


def document_text(conn: Connection, sha256: str, limit: int = 2000) -> str | None:
    """A stored document's text when it is UTF-8 text (opinions typed into a form), else None."""
    doc = conn.execute(select(DOC.c.content, DOC.c.media_type).where(DOC.c.sha256 == sha256)).first()
    if doc is None or not str(doc.media_type).startswith("text/"):
        return None
    try:
        return bytes(doc.content)[:limit].decode("utf-8")
    except UnicodeDecodeError:
        return None


#: The reference prefix of the inputs an adoption report answers, by the mark of the action that gives them.
INPUT_MARKS = {"comment": "comment", "expert_opinion": "expert"}


def input_refs_by_seq(events: list[TrailEvent], procedure: ProcedureDef) -> dict[int, str]:
    """The input reference (``comment:2``, ``expert:1``) each input-giving event carries, by its seq."""
    counts = dict.fromkeys(INPUT_MARKS.values(), 0)
    out: dict[int, str] = {}
    for e in events:
        action = procedure.actions.get(e.action)
        for mark, prefix in INPUT_MARKS.items():
            if action is not None and mark in action.marks:
                counts[prefix] += 1
                out[e.seq] = f"{prefix}:{counts[prefix]}"
    return out


def inputs(events: list[TrailEvent], facts: dict[str, Any], procedure: ProcedureDef) -> list[dict[str, str]]:
    """The public comments and expert opinions an adoption report must answer: ref, author, text or hash."""
    edits = {int(e.data.get("comment_id", 0)): e for e in events
             if e.action in procedure.actions and "comment_edit" in procedure.actions[e.action].marks}
    texts: dict[str, tuple[str, str]] = {}
    refs = input_refs_by_seq(events, procedure)
    for e in events:
        ref = refs.get(e.seq)
        if ref is None:
            continue
        if ref.startswith("comment:"):
            latest = edits.get(int(ref.split(":")[1]))
            texts[ref] = (e.actor, str((latest or e).data.get("text", "")))
        else:
            texts[ref] = (e.actor, str(e.data.get("opinion", "")))
    return [{"ref": ref, "author": texts.get(ref, ("", ""))[0], "text": texts.get(ref, ("", ""))[1]}
            for ref in procedure.hooks.input_refs(facts)]


def office_people(conn: Connection, org_id: int) -> list[dict[str, Any]]:
    """The office's active people (for user fields and member names)."""
    rows = conn.execute(select(U.c.id, U.c.name, U.c.roles, U.c.unit).where(
        U.c.org_id == org_id, U.c.active.is_(True)).order_by(U.c.id)).all()
    return [{"id": int(r.id), "name": str(r.name), "roles": list(r.roles), "unit": str(r.unit or "")} for r in rows]
