"""The deputy grants table (代理): who may act in whose role, for which period, granted by whom.

Kept apart from ``models.py`` so that it evolves in its own migration (``0004s``). The system audit
stream holds the signed truth of every grant; this table is its index for the write path and pages.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflow.persistence.models import Base, instant, intpk


class DeputyGrant(Base):
    """A chief executive's signed grant of ``principal``'s ``role`` to ``deputy`` for a period."""

    __tablename__ = "deputy_grant"
    id: Mapped[intpk]
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    principal_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    deputy_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    role: Mapped[str] = mapped_column(String(40))
    starts_at: Mapped[instant]
    ends_at: Mapped[instant]
    reason: Mapped[str] = mapped_column(Text)
    granted_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    granted_at: Mapped[instant]
    #: The grant's event in the system stream (signed by the granter).
    system_seq: Mapped[int] = mapped_column(Integer)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    #: When the expiry was written to the system stream (the deadline scan does it once).
    expiry_recorded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))

    __table_args__ = (
        Index("ix_deputy_grant_deputy_id_ends_at", "deputy_id", "ends_at"),
        Index("ix_deputy_grant_org_id_ends_at", "org_id", "ends_at"),
    )
