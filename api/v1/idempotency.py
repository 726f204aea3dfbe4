"""``Idempotency-Key`` on POST: a retried request is answered from the first answer, never acted twice.

The key is scoped to the token. A request with a key runs in one database transaction shared by the
key's row and everything the request changes (``Database.shared``): the row (the SHA-256 of method,
path, query and body) is inserted first, the answer (any status below 500) is written into it after
the view, and then all of it commits together. So an action that committed always has its answer
stored, and a retry with the same key and request gets that answer again (``Idempotent-Replayed:
true``), even when the first answer was lost (a 503 because the connection broke during the commit,
a dropped client). A request that did not commit (a 5xx, a database that went away) leaves no key
behind, so its retry runs it. A concurrent retry waits for the first to end (the key's unique index
on PostgreSQL, the write lock on SQLite) and is answered from it. The same key with a different
request is refused with 422 ``idempotency_key_reused``; 409 ``idempotency_key_in_use`` is left for a
row still *processing* from before keys shared the action's transaction. Keys are kept 24 hours.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, cast

from flask import Response, current_app, g, request
from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from api.v1.auth import core
from api.v1.problems import database_unavailable
from workflow.admin.tokens import Principal
from workflow.engine.errors import InvalidInput
from workflow.persistence.api_models import IdempotencyKey
from workflow.persistence.db import unavailable
from workflow.persistence.store import naive

IK = cast(Table, IdempotencyKey.__table__)
TTL = dt.timedelta(hours=24)
HEADER = "Idempotency-Key"
KEPT_HEADERS = ("Content-Type", "ETag", "Location", "Cache-Control")


def request_hash() -> str:
    """What makes two requests the same request."""
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.query_string.decode("latin-1")):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\n")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(row: Any) -> Response:
    response = current_app.response_class(row.response_body or b"", status=int(row.response_status))
    for name, value in (row.response_headers or {}).items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def begin(who: Principal, key: str) -> Response | None:
    """Claim ``key`` for this request, or answer from an earlier one; None means "go ahead"."""
    juece = core()
    now = juece.clock()
    wanted = request_hash()
    g.api_shared = juece.db.shared()  # committed or rolled back by finish() / abandon()
    for _ in range(2):
        try:
            with juece.db.write() as conn:
                conn.execute(delete(IK).where(IK.c.token_id == who.token_id, IK.c.created_at < naive(now - TTL)))
                row = conn.execute(select(IK).where(IK.c.token_id == who.token_id, IK.c.key == key)).first()
                if row is None:
                    g.api_idempotency = int(conn.execute(insert(IK).values(
                        token_id=who.token_id, key=key, method=request.method, path=request.path,
                        request_hash=wanted, status="processing", created_at=naive(now)).returning(IK.c.id)).scalar_one())
                    return None
            break
        except IntegrityError:  # a concurrent request claimed the key first: look again
            continue
    else:  # pragma: no cover - the second attempt always finds the row
        raise InvalidInput("幂等键正在使用", "idempotency key in use", code="idempotency_key_in_use")
    if row.request_hash != wanted:
        raise InvalidInput("该幂等键已用于另一个请求", f"{HEADER} was already used for a different request",
                           code="idempotency_key_reused", details={"field": HEADER})
    if row.status != "done":
        raise InvalidInput("使用该幂等键的请求仍在处理中，请稍后重试", f"a request with this {HEADER} is still being processed",
                           code="idempotency_key_in_use", details={"field": HEADER})
    return _replay(row)


def finish(response: Response) -> Response:
    """Write the answer into the key's row and commit it with the request's changes (a 5xx rolls all back)."""
    shared = g.pop("api_shared", None)
    claimed = g.pop("api_idempotency", None)
    if shared is None or not shared.open:
        return response
    if response.status_code >= 500:
        shared.rollback()
        return response
    juece = core()
    try:
        if claimed is not None:
            headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
            shared.conn.execute(update(IK).where(IK.c.id == claimed).values(
                status="done", response_status=response.status_code, response_headers=headers,
                response_body=response.get_data(), completed_at=naive(juece.clock())))
        shared.commit()
    except Exception as error:
        if not unavailable(error):
            raise
        # Whether the commit reached the server is unknown: a retry with the key either replays the
        # stored answer (it did) or runs the request (it did not) — never both.
        current_app.logger.warning("database unavailable at commit of %s %s: %s", request.method, request.path, error)
        if shared.open:
            shared.rollback()
        return database_unavailable()
    return response


def abandon() -> None:
    """Roll back a shared transaction that no answer ended (the request failed before finish())."""
    shared = g.pop("api_shared", None)
    g.pop("api_idempotency", None)
    if shared is not None and shared.open:
        shared.rollback()
