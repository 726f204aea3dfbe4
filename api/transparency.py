"""The transparency log for outsiders: signed tree heads, the log key and consistency proofs, no token.

Witnesses (the archive, the 司法所, anyone) are not users of juece, so these JSON documents need no
sign-in. They reveal sizes and hashes only; inclusion proofs, which carry events, stay behind the API.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from workflow.engine.errors import NotFound
from workflow.record import tlog_verify, transparency
from workflow.record.merkle import ProofError
from workflow.service import Juece

bp = Blueprint("transparency", __name__, url_prefix="/api/public/log")


def _core() -> Juece:
    core: Juece = current_app.extensions["juece"]
    return core


def _json(value: Any, status: int = 200) -> Response:
    response = jsonify(value)
    response.status_code = status
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Access-Control-Allow-Origin"] = "*"  # any witness may fetch it from anywhere
    return response


def _problem(status: int, code: str, message: str) -> Response:
    response = _json({"type": "about:blank", "status": status, "code": code, "message_en": message}, status)
    response.mimetype = "application/problem+json"
    return response


@bp.get("/head")
def head() -> Response:
    """The newest signed tree head."""
    with _core().db.read() as conn:
        value = transparency.latest_head(conn)
    return _json(value) if value else _problem(404, "no_tree_head", "no tree head published yet")


@bp.get("/heads")
def heads() -> Response:
    """Published heads, newest first (``?before=ID`` pages, ``?limit=`` up to 200)."""
    try:
        limit = min(max(int(request.args.get("limit", 50)), 1), 200)
        before = int(request.args["before"]) if "before" in request.args else None
    except ValueError:
        return _problem(400, "invalid_input", "limit and before are whole numbers")
    with _core().db.read() as conn:
        return _json({"items": transparency.heads(conn, limit, before)})


@bp.get("/key")
def key() -> Response:
    """The log's public key and verifier key."""
    try:
        with _core().db.read() as conn:
            return _json(transparency.require_key(conn))
    except NotFound as exc:
        return _problem(404, "no_log_key", exc.en)


@bp.get("/consistency")
def consistency() -> Response:
    """An RFC 9162 consistency proof between ``?first=`` and ``?second=`` tree sizes."""
    try:
        first, second = int(request.args["first"]), int(request.args["second"])
        with _core().db.read() as conn:
            return _json(tlog_verify.consistency(conn, first, second))
    except ProofError as exc:  # a ValueError too: caught first
        return _problem(400, "invalid_input", str(exc))
    except (KeyError, ValueError) as exc:
        return _problem(400, "invalid_input", f"first and second are tree sizes ({exc})")
