"""The API's ``Idempotency-Key`` rows: claiming a key for a request, and storing the answer it got.

The key is scoped to the token; rows are kept ``TTL``. The caller runs both steps inside the one shared
transaction of the request (``Database.shared``), so the stored answer commits with the change it answers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Connection, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from workflow.engine.errors import InvalidInput
from workflow.persistence.api_models import IdempotencyKey
from workflow.persistence.db import Database
from workflow.persistence.store import naive

IK = cast(Table, IdempotencyKey.__table__)
TTL = dt.timedelta(hours=24)
HEADER = "Idempotency-Key"


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer stored for a key: status, the headers kept and the body."""

    status: int
    headers: dict[str, str]
    body: bytes


def claim(db: Database, token_id: int, key: str, method: str, path: str, request_hash: str,
          now: dt.datetime) -> int | Answer:
    """Claim ``key`` for this request (its row id), or the answer of the earlier request that claimed it.

    The same key for a different request is ``idempotency_key_reused``; one whose request has not answered
    yet is ``idempotency_key_in_use``.
    """
    for _ in range(2):
        try:
            with db.write() as conn:
                conn.execute(delete(IK).where(IK.c.token_id == token_id, IK.c.created_at < naive(now - TTL)))
                row = conn.execute(select(IK).where(IK.c.token_id == token_id, IK.c.key == key)).first()
                if row is None:
                    return int(conn.execute(insert(IK).values(
                        token_id=token_id, key=key, method=method, path=path, request_hash=request_hash,
                        status="processing", created_at=naive(now)).returning(IK.c.id)).scalar_one())
            break
        except IntegrityError:  # a concurrent request claimed the key first: look again
            continue
    else:  # pragma: no cover - the second attempt always finds the row
        raise InvalidInput("幂等键正在使用", "idempotency key in use", code="idempotency_key_in_use")
    if row.request_hash != request_hash:
        raise InvalidInput("该幂等键已用于另一个请求", f"{HEADER} was already used for a different request",
                           code="idempotency_key_reused", details={"field": HEADER})
    if row.status != "done":
        raise InvalidInput("使用该幂等键的请求仍在处理中，请稍后重试", f"a request with this {HEADER} is still being processed",
                           code="idempotency_key_in_use", details={"field": HEADER})
    return Answer(int(row.response_status), dict(row.response_headers or {}), bytes(row.response_body or b""))


def store_answer(conn: Connection, key_id: int, answer: Answer, now: dt.datetime) -> None:
    """Write the answer into the claimed key's row (in the request's shared transaction)."""
    conn.execute(update(IK).where(IK.c.id == key_id).values(
        status="done", response_status=answer.status, response_headers=answer.headers,
        response_body=answer.body, completed_at=naive(now)))


__all__ = ["HEADER", "TTL", "Answer", "claim", "store_answer"]
