"""The decision page's read model: the audit trail with each signature checked, documents, inputs.

Reads only. A signed event is shown as "signed by …, verified" only when its signature verifies
against the signer's public key on record and covers the stored event (``workflow.signing``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from workflow.persistence.store import DOC, DV, E, K, U, aware
from workflow.signing import chain_hash, signing_digest, verify
from workflow.tasks import input_refs


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
    #: 补录: the step happened offline at ``occurred_at`` and was entered later (``workflow.records``).
    backfill: dict[str, Any] | None = None
    #: 更正: this event is a new version of a record (reason, version, of_version).
    correction: dict[str, Any] | None = None


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


def _keys(conn: Connection) -> dict[str, tuple[str, str]]:
    rows = conn.execute(select(K.c.key_id, K.c.public_hex, U.c.name).join(U, U.c.id == K.c.user_id)).all()
    return {str(r.key_id): (str(r.public_hex), str(r.name)) for r in rows}


def trail(conn: Connection, decision_id: int) -> list[TrailEvent]:
    """The decision's events, oldest first, each with its chain link and signature checked."""
    keys = _keys(conn)
    stream = f"decision:{decision_id}"
    out: list[TrailEvent] = []
    prev = None
    for row in conn.execute(select(E).where(E.c.stream == stream).order_by(E.c.seq)):
        event = dict(row.event)
        chain_ok = chain_hash(row.prev_hash, stream, row.seq, row.from_state, row.to_state, event) == row.hash and (
            prev is None or row.prev_hash == prev)
        prev = row.hash
        signature = event.get("signature") or {}
        signer, signature_ok = "", False
        if signature:
            public, signer = keys.get(str(signature.get("key", "")), ("", "?"))
            digest = signing_digest(stream, event)
            signature_ok = bool(public) and digest == signature.get("digest") and verify(
                public, digest, str(signature.get("sig", "")))
        at = aware(row.at)
        assert at is not None
        out.append(TrailEvent(
            int(row.seq), str(row.action), str((event.get("actor") or {}).get("name", "")), at.isoformat(),
            row.from_state, row.to_state, dict(event.get("data") or {}), event.get("outcome"), str(row.hash),
            chain_ok, bool(signature), signature_ok, signer, (event.get("draft") or {}).get("version"),
            event.get("backfill"), event.get("correction")))
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


def inputs(events: list[TrailEvent], facts: dict[str, Any]) -> list[dict[str, str]]:
    """The public comments and expert opinions an adoption report must answer: ref, author, text or hash."""
    comments = {int(e.data.get("comment_id", 0)): e for e in events if e.action == "edit_comment"}
    texts: dict[str, tuple[str, str]] = {}
    number = 0
    for e in events:
        if e.action == "submit_comment":
            number += 1
            latest = comments.get(number)
            texts[f"comment:{number}"] = (e.actor, str((latest or e).data.get("text", "")))
    expert = 0
    for e in events:
        if e.action == "submit_expert_opinion":
            expert += 1
            texts[f"expert:{expert}"] = (e.actor, str(e.data.get("opinion", "")))
    return [{"ref": ref, "author": texts.get(ref, ("", ""))[0], "text": texts.get(ref, ("", ""))[1]}
            for ref in input_refs(facts)]


def office_people(conn: Connection, org_id: int) -> list[dict[str, Any]]:
    """The office's active people (for user fields and member names)."""
    rows = conn.execute(select(U.c.id, U.c.name, U.c.roles, U.c.unit).where(
        U.c.org_id == org_id, U.c.active.is_(True)).order_by(U.c.id)).all()
    return [{"id": int(r.id), "name": str(r.name), "roles": list(r.roles), "unit": str(r.unit or "")} for r in rows]
