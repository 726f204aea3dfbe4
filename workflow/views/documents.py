"""Stored documents as the edges read them: a decision's versions, and one document by its hash for an
official of the office whose decision carries it. Reads only (bytes are stored through the service)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from workflow.engine.context import utc_iso
from workflow.persistence.store import DOC, DV, D, aware


def version_out(row: Any) -> dict[str, Any]:
    """One document version in its plain form (the API's ``DocumentVersion``)."""
    created = aware(row.created_at)
    return {"kind": row.kind, "version": row.version_no, "sha256": row.sha256, "filename": row.filename,
            "event_seq": row.event_seq, "created_at": utc_iso(created) if created else None}


def versions(conn: Connection, decision_id: int) -> list[dict[str, Any]]:
    """Every version of a decision's documents, in the order they were added."""
    return [version_out(d) for d in conn.execute(select(DV).where(DV.c.decision_id == decision_id)
                                                 .order_by(DV.c.id))]


def office_document(conn: Connection, org_id: int, sha256: str) -> tuple[bytes, str, str] | None:
    """(content, media type, file name) of a document on one of office ``org_id``'s decisions, else None."""
    version = conn.execute(
        select(DV.c.filename).join(D, D.c.id == DV.c.decision_id)
        .where(DV.c.sha256 == sha256, D.c.org_id == org_id).order_by(DV.c.id.desc()).limit(1)).first()
    if version is None:
        return None
    doc = conn.execute(select(DOC.c.content, DOC.c.media_type).where(DOC.c.sha256 == sha256)).first()
    return None if doc is None else (bytes(doc.content), str(doc.media_type), str(version.filename or ""))


__all__ = ["office_document", "version_out", "versions"]
