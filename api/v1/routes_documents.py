"""Documents over HTTP: storing bytes by their hash, fetching them back, and a decision's document
versions."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from flask import Response, current_app, request

from api.v1 import schemas as s
from api.v1.auth import core, principal
from api.v1.route_helpers import (
    ID,
    Problems,
    public_document_out,
    viewer_of,
    visible_decision,
    who_is_public,
)
from api.v1.smorest_types import Blp
from workflow.engine.errors import NotFound
from workflow.views import documents
from workflow.views.visibility import public_document, public_documents

_MEDIA = re.compile(r"^[\x20-\x7e]{1,120}$")


def register(blp: Blp, problems: Problems) -> None:
    """Add the document operations (upload, download, a decision's versions) to ``blp``."""

    @blp.route("/documents", methods=["POST"], tags=["documents"])
    @blp.arguments(s.IdempotencyHeaders, location="headers", arg_name="headers")
    @blp.doc(requestBody={"required": True, "description": "the document's bytes (at most 20 MB); the "
                          "Content-Type header is kept as its media type",
                          "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                                      "text/plain": {"schema": {"type": "string"}}}})
    @blp.response(201, s.StoredDocument)
    @blp.alt_response(200, schema=s.StoredDocument, description="the same bytes were stored before", success=True)
    @problems(403, 409, 413, 422)
    def upload(headers: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Store a document's bytes; use the returned hash as {"sha256": …} in an action's document field

        A stored document belongs to no decision until an action names it (e.g. ``upload_draft`` with
        ``{"content": {"sha256": …}, "filename": "草案.docx"}`` adds a draft version).
        """
        media = request.headers.get("Content-Type") or "application/octet-stream"
        if not _MEDIA.match(media):
            media = "application/octet-stream"
        stored = core().store_document(principal().user, request.get_data(cache=True), media)
        out = {"sha256": stored.sha256, "size": stored.size, "media_type": stored.media_type,
               "created": stored.created}
        return out, 201 if stored.created else 200

    @blp.route("/documents/<juece_sha256:sha256>", methods=["GET"], tags=["documents"])
    @blp.doc(responses={"200": {"description": "the document's bytes, with the media type it was stored with",
                                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}})
    @problems(404)
    def download(sha256: str) -> Response:
        """A document of one of the office's decisions, by its hash (for a citizen: public material only)"""
        who = principal()
        missing = NotFound(f"没有这个文档：{sha256}", f"no such document: {sha256}", details={"document": sha256})
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise missing
        with core().db.read() as conn:
            if who_is_public(who):  # only public material of a decision the citizen may see, not any hash
                found = public_document(conn, viewer_of(who), sha256, core().clock(), catalog=core().catalog)
            else:
                found = documents.office_document(conn, who.org_id, sha256)
        if found is None:
            raise missing
        content, media, name = found
        response = current_app.response_class(content, mimetype=media)
        filename = name or sha256[:12]
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "sandbox"
        response.headers["ETag"] = f'"{sha256}"'
        return response

    @blp.route(f"/decisions/<{ID}:decision_id>/documents", methods=["GET"], tags=["documents"])
    @blp.response(200, s.DocumentList)
    @problems(404)
    def decision_documents(decision_id: int) -> dict[str, Any]:
        """Every version of a decision's documents (drafts, opinions, records, reports)"""
        who = principal()
        with core().db.read() as conn:
            visible_decision(conn, decision_id, who)
            if who_is_public(who):
                return {"items": [public_document_out(d) for d in public_documents(
                    conn, decision_id, core().clock(), catalog=core().catalog)]}
            return {"items": documents.versions(conn, decision_id)}


__all__ = ["register"]
