"""Errors as ``application/problem+json`` (RFC 9457), translated once for the whole API.

Every problem carries the engine's stable ``code``, the ``article`` and ``rule`` when a hard rule
refused, and the message in Chinese and English. The status policy (also in the OpenAPI document; an
engine error's status comes from ``api.errors``, the one table the pages use too):

=====  ==========================================================================================
400    malformed input: bad JSON, a field of the wrong type, unknown or missing (``field`` names it)
401    no token, or an unknown, expired or revoked token (``WWW-Authenticate: Bearer``)
403    the token's person may not do this (role, separation of duties, admin-only endpoint); a signed
       step without the signer's password or with a wrong one; an act under an ended deputy grant
404    no such resource, or one of another office (never told apart), or no such action
405    the path exists but not with this method (``Allow`` lists the methods)
409    the action is not possible in the decision's current state; a name already taken; the same
       ``Idempotency-Key`` still being processed
412    ``If-Match`` names a version that is no longer current (``details``: who acted, what, when)
413    a body larger than the limit
422    a hard rule refused (``article``, ``rule``); a year without an official calendar; an
       ``Idempotency-Key`` reused with a different request
429    too many requests for this token (``Retry-After``)
503    ``database_unavailable``: the database cannot be reached now (``Retry-After``); nothing was
       done, or — for a request with an ``Idempotency-Key`` — a retry with the key says what was
=====  ==========================================================================================
"""

from __future__ import annotations

import http
from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, json, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from api.errors import status_of
from workflow.engine.errors import WorkflowError
from workflow.outage import RETRY_AFTER_SECONDS

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:juece:problem:"

HTTP_CODES: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "请求有误", "The request is malformed"),
    401: ("unauthorized", "需要有效的 API 令牌", "A valid API token is required"),
    403: ("forbidden", "无权进行此操作", "Not allowed"),
    404: ("not_found", "资源不存在", "No such resource"),
    405: ("method_not_allowed", "此路径不支持该请求方法", "Method not allowed on this path"),
    406: ("not_acceptable", "无法提供所要求的格式", "Not acceptable"),
    409: ("conflict", "与当前状态冲突", "Conflict with the current state"),
    412: ("precondition_failed", "前提条件不成立", "Precondition failed"),
    413: ("payload_too_large", "请求内容过大", "The request body is too large"),
    415: ("unsupported_media_type", "不支持的内容类型", "Unsupported media type"),
    422: ("unprocessable", "请求无法处理", "The request cannot be processed"),
    429: ("rate_limited", "请求过于频繁，请稍后再试", "Too many requests; slow down"),
    500: ("internal_error", "服务器内部错误", "Internal error"),
}
#: The database cannot be reached (a restart, a network failure, a lock held too long): try again shortly.
DATABASE_UNAVAILABLE = ("database_unavailable", "系统维护中：数据库暂时无法访问，请稍后重试",
                        "The database cannot be reached right now; try again shortly")


def problem(status: int, code: str, zh: str, en: str, *, article: str | None = None, rule: int | None = None,
            details: Mapping[str, Any] | None = None, field: str | None = None,
            errors: Mapping[str, list[str]] | None = None, headers: Mapping[str, str] | None = None) -> Response:
    """A problem document response."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + code, "title": http.HTTPStatus(status).phrase, "status": status, "detail": en,
        "instance": request.path, "code": code, "message_zh": zh, "message_en": en,
    }
    if article:
        body["article"] = article
    if rule is not None:
        body["rule"] = rule
    if field:
        body["field"] = field
    if errors:
        body["errors"] = dict(errors)
    if details:
        body["details"] = dict(details)
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_workflow_error(error: WorkflowError) -> Response:
    """The one translation of an engine error into a problem document."""
    status = status_of(error)
    details = dict(error.details)
    field = details.get("field") if isinstance(details.get("field"), str) else None
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = (
            'Bearer realm="juece"' if error.code == "token_missing" else 'Bearer realm="juece", error="invalid_token"')
    return problem(status, error.code, error.zh, error.en, article=error.article, rule=error.rule,
                   details=details, field=field, headers=headers)


def database_unavailable() -> Response:
    """503 ``database_unavailable`` with ``Retry-After``: the database cannot be reached now."""
    code, zh, en = DATABASE_UNAVAILABLE
    return problem(503, code, zh, en, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs/marshmallow messages ({"json": {"views": {0: {"member": [...]}}}}) as dotted paths."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = str(key)
            if not prefix and name in ("json", "query", "headers", "form", "files", "view_args"):
                out |= _flatten(value, "")
                continue
            path = f"{prefix}.{name}" if prefix else name
            out |= _flatten(value, path)
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            out[prefix or "body"] = [str(m) for m in messages]
        else:
            for index, value in enumerate(messages):
                out |= _flatten(value, f"{prefix}.{index}" if prefix else str(index))
    else:
        out[prefix or "body"] = [str(messages)]
    return {("body" if k == "_schema" else k.replace("._schema", "")): v for k, v in out.items()}


def validation_problem(errors: dict[str, list[str]]) -> Response:
    """400 naming the fields that do not fit the schema."""
    field = next(iter(errors), "body")
    text = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items())
    return problem(400, "invalid_input", f"请求数据有误（字段“{field}”）：{text}", f"invalid input ({text})",
                   field=field, errors=errors)


def from_http_exception(error: HTTPException) -> Response:
    """Werkzeug and webargs errors (bad JSON, validation, 405, 413, 429 …) as problem documents."""
    status = int(error.code or 500)
    data = getattr(error, "data", None)
    if isinstance(data, Mapping) and "messages" in data:
        return validation_problem(_flatten(data["messages"]))
    code, zh, en = HTTP_CODES.get(status, ("http_" + str(status), "请求错误", http.HTTPStatus(status).phrase))
    headers: dict[str, str] = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    if status == 429:
        description = str(getattr(error, "description", "") or "")
        if description:
            en = f"{en} (limit: {description})"
    return problem(status, code, zh, en, headers=headers)


def response_component(status: int) -> dict[str, Any]:
    """The OpenAPI response object documenting a problem with ``status``."""
    return {"description": http.HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
