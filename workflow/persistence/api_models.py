"""Tables of the REST API: personal access tokens and the idempotency keys of retried requests.

Kept apart from ``models.py`` so that the API's schema evolves in its own migration (``0003a``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflow.persistence.models import Base, BigId, hexhash, instant, intpk


class ApiToken(Base):
    """A personal access token: only the SHA-256 of its secret is stored; it expires and can be revoked."""

    __tablename__ = "api_token"
    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[hexhash] = mapped_column(unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[instant]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    expires_at: Mapped[instant]
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))


class IdempotencyKey(Base):
    """A POST made with an ``Idempotency-Key``: the request's hash and, once answered, the response."""

    __tablename__ = "idempotency_key"
    id: Mapped[intpk]
    token_id: Mapped[int] = mapped_column(BigId, ForeignKey("api_token.id"))
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(Text)
    request_hash: Mapped[hexhash]
    status: Mapped[str] = mapped_column(String(20))  # processing | done
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[dict[str, Any] | None]
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[instant]
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))

    __table_args__ = (
        UniqueConstraint("token_id", "key"),
        Index("ix_idempotency_key_created_at", "created_at"),
    )
