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

import hashlib

from flask import Response, current_app, g, request

from api.v1.auth import core
from api.v1.problems import database_unavailable
from workflow.admin import idempotency_keys as keys
from workflow.admin.tokens import Principal
from workflow.outage import unavailable

HEADER = keys.HEADER
KEPT_HEADERS = ("Content-Type", "ETag", "Location", "Cache-Control")


def request_hash() -> str:
    """What makes two requests the same request."""
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.query_string.decode("latin-1")):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\n")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(answer: keys.Answer) -> Response:
    response = current_app.response_class(answer.body, status=answer.status)
    for name, value in answer.headers.items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def begin(who: Principal, key: str) -> Response | None:
    """Claim ``key`` for this request, or answer from an earlier one; None means "go ahead"."""
    juece = core()
    g.api_shared = juece.db.shared()  # committed or rolled back by finish() / abandon()
    claimed = keys.claim(juece.db, who.token_id, key, request.method, request.path, request_hash(), juece.clock())
    if isinstance(claimed, keys.Answer):
        return _replay(claimed)
    g.api_idempotency = claimed
    return None


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
            keys.store_answer(shared.conn, claimed, keys.Answer(response.status_code, headers, response.get_data()),
                              juece.clock())
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
