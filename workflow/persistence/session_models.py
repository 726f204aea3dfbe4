"""Tables of sign-in: server-side sessions and the failed attempts that lock a name or an address.

Kept apart from ``models.py`` so that this schema evolves in its own migration (``0005l``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from workflow.persistence.models import Base, hexhash, instant, intpk


class WebSession(Base):
    """A signed-in browser: the cookie carries a secret whose SHA-256 is ``secret_hash``; ended means signed out."""

    __tablename__ = "web_session"
    id: Mapped[intpk]
    secret_hash: Mapped[hexhash] = mapped_column(unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[instant]
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))
    ended_reason: Mapped[str | None] = mapped_column(String(40))


class AuthFailure(Base):
    """One failed sign-in or signing password, counted against a name (``name:…``) and an address (``addr:…``)."""

    __tablename__ = "auth_failure"
    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(260))
    at: Mapped[instant]

    __table_args__ = (Index("ix_auth_failure_key_at", "key", "at"),)
