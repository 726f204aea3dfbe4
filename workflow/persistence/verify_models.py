"""Tables of incremental verification: how far each stream, and which documents, verified clean.

Kept apart from ``models.py`` so that this schema evolves in its own migration (``0006v``). These rows
are a cache of earlier findings, not part of the record: deleting them only makes the next
``juece audit verify`` do everything again, as ``--full`` does.
"""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from workflow.persistence.models import Base, hexhash, instant


class VerifiedStream(Base):
    """A stream verified clean up to ``seq``, whose event there had ``hash``; for a decision, its row's
    state and facts as they replayed (``row_hash``)."""

    __tablename__ = "audit_verified_stream"
    stream: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int]
    hash: Mapped[hexhash]
    row_hash: Mapped[str | None] = mapped_column(String(64))
    verified_at: Mapped[instant]


class VerifiedDocument(Base):
    """A stored document whose content was re-hashed and matched its address."""

    __tablename__ = "audit_verified_document"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    verified_at: Mapped[instant]
