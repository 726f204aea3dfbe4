"""Typed SQLAlchemy 2 models: the schema. Alembic migrations create and evolve these tables.

The hot write path uses Core statements on these tables (``store.py``); the ORM classes serve reads,
administration and the migrations' metadata.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JsonType = JSON().with_variant(JSONB(), "postgresql")
#: JSON that stores Python None as SQL NULL (not the JSON 'null'), so "IS NOT NULL" finds the set rows.
NullableJson = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
BigId = BigInteger().with_variant(Integer(), "sqlite")

intpk = Annotated[int, mapped_column(BigId, primary_key=True, autoincrement=True)]
instant = Annotated[dt.datetime, mapped_column(DateTime(timezone=False))]  # always naive UTC
hexhash = Annotated[str, mapped_column(String(64))]


class Base(DeclarativeBase):
    """Declarative base with the project's naming convention for constraints."""

    type_annotation_map = {dict[str, Any]: JsonType, list[Any]: JsonType}


Base.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Org(Base):
    """An office (决策机关) with its own settings."""

    __tablename__ = "org"
    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(200), unique=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[instant]


class User(Base):
    """A person: roles, office and unit (科室/单位)."""

    __tablename__ = "app_user"
    id: Mapped[intpk]
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))  # unique within the office, not across offices
    roles: Mapped[list[Any]] = mapped_column(default=list)
    unit: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[instant]

    __table_args__ = (UniqueConstraint("org_id", "name"),)


class UserKey(Base):
    """A user's Ed25519 key: public half on record, private half sealed under the holder's password.

    ``kind`` is ``sealed`` (juece holds it, only the holder's password opens it) or ``legacy`` (made
    before holder-only signing: its private half was deleted by migration 0004s, it only verifies).
    A retired key is never deleted: ``revoked_at`` and ``retired_reason`` say when and why it stopped.
    """

    __tablename__ = "user_key"
    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    public_hex: Mapped[hexhash]
    kind: Mapped[str] = mapped_column(String(16), default="sealed")
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    wrap: Mapped[dict[str, Any] | None]
    created_at: Mapped[instant]
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))
    retired_reason: Mapped[str | None] = mapped_column(String(200))


class Decision(Base):
    """A decision: its pinned procedure version, state, version counter and folded facts."""

    __tablename__ = "decision"
    id: Mapped[intpk]
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    procedure_id: Mapped[str] = mapped_column(String(60))
    procedure_version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    state: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer)
    facts: Mapped[dict[str, Any]]
    last_hash: Mapped[hexhash]
    linked_from: Mapped[int | None] = mapped_column(ForeignKey("decision.id"))
    created_at: Mapped[instant]
    updated_at: Mapped[instant]
    stall_due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))
    #: The stall clock while it awaits a year's calendar: its fixed rule, start instant and the year.
    stall_awaiting: Mapped[dict[str, Any] | None] = mapped_column(NullableJson)

    __table_args__ = (
        # The list pages (migration 0007p): each list's WHERE and ORDER BY in one index, for keyset pages.
        Index("ix_decision_org_id_id", "org_id", "id"),
        Index("ix_decision_org_id_state_id", "org_id", "state", "id"),
        Index("ix_decision_org_id_created_at_id", "org_id", "created_at", "id"),
        Index("ix_decision_stall_due_at", "stall_due_at", postgresql_where=text("stall_due_at IS NOT NULL"),
              sqlite_where=text("stall_due_at IS NOT NULL")),
        Index("ix_decision_stall_awaiting", "org_id", postgresql_where=text("stall_awaiting IS NOT NULL"),
              sqlite_where=text("stall_awaiting IS NOT NULL")),
    )


class AuditEvent(Base):
    """One append-only audit event, hash-chained within its stream (a decision, or 'system')."""

    __tablename__ = "audit_event"
    id: Mapped[intpk]
    stream: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(60))
    actor_id: Mapped[int | None] = mapped_column(BigId)
    from_state: Mapped[str | None] = mapped_column(String(60))
    to_state: Mapped[str | None] = mapped_column(String(60))
    at: Mapped[instant]
    event: Mapped[dict[str, Any]]
    prev_hash: Mapped[hexhash]
    hash: Mapped[hexhash]

    __table_args__ = (UniqueConstraint("stream", "seq"),)


class AuditHead(Base):
    """The head of a non-decision stream (decisions keep theirs in ``decision``)."""

    __tablename__ = "audit_head"
    stream: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[hexhash]


class Document(Base):
    """A stored file, addressed by the SHA-256 of its content."""

    __tablename__ = "document"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[instant]


class DocumentVersion(Base):
    """A version of one of a decision's documents (draft, opinion, minutes, report)."""

    __tablename__ = "document_version"
    id: Mapped[intpk]
    decision_id: Mapped[int] = mapped_column(ForeignKey("decision.id"))
    kind: Mapped[str] = mapped_column(String(60))
    version_no: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(ForeignKey("document.sha256"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    event_seq: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[instant]

    __table_args__ = (UniqueConstraint("decision_id", "kind", "version_no"),)


class Deadline(Base):
    """One durable alert instant of a statutory deadline (a reminder, or the due instant)."""

    __tablename__ = "deadline"
    id: Mapped[intpk]
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decision.id"))
    key: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20))
    # Both None while the deadline awaits the calendar of a year without official data (status 'awaiting').
    fire_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))
    recipients: Mapped[list[Any]]
    article: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | fired | closed | paused | awaiting
    #: What waits for a year's calendar: the whole deadline (status awaiting: fixed rule, start instant, year,
    #: reminders) or a fired overdue alert's escalation. Cleared once computed or closed.
    awaiting: Mapped[dict[str, Any] | None] = mapped_column(NullableJson)
    dedupe: Mapped[str | None] = mapped_column(String(160), unique=True)
    created_at: Mapped[instant]
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))
    fired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))
    escalate_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))

    __table_args__ = (
        Index("ix_deadline_open_fire_at", "fire_at", postgresql_where=text("status = 'open'"),
              sqlite_where=text("status = 'open'")),
        Index("ix_deadline_escalate_at", "escalate_at",
              postgresql_where=text("status = 'fired' AND escalated_at IS NULL AND acknowledged_at IS NULL"),
              sqlite_where=text("status = 'fired' AND escalated_at IS NULL AND acknowledged_at IS NULL")),
        Index("ix_deadline_decision_id_key", "decision_id", "key"),
        Index("ix_deadline_awaiting", "org_id", postgresql_where=text("awaiting IS NOT NULL"),
              sqlite_where=text("awaiting IS NOT NULL")),
    )


class CalendarDay(Base):
    """A national working-day fact (an imported State Council notice, or a system administrator's correction)
    that overrides or extends the package data; an office's own facts are in ``office_calendar_day``."""

    __tablename__ = "calendar_day"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(60), default="")
    source: Mapped[str] = mapped_column(Text, default="")
    entered_by: Mapped[str] = mapped_column(String(200), default="")
    entered_at: Mapped[instant]


class OfficeCalendarDay(Base):
    """A working-day fact one office's administrator entered: it affects only that office's deadlines."""

    __tablename__ = "office_calendar_day"
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), primary_key=True, autoincrement=False)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(60), default="")
    entered_by: Mapped[str] = mapped_column(String(200), default="")
    entered_at: Mapped[instant]


class DocumentOwner(Base):
    """Who stored which bytes: a hash is usable only by its uploader or on their office's decisions."""

    __tablename__ = "document_owner"
    sha256: Mapped[str] = mapped_column(ForeignKey("document.sha256"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True, autoincrement=False)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    created_at: Mapped[instant]

    __table_args__ = (Index("ix_document_owner_org_id_sha256", "org_id", "sha256"),)


class CalendarYear(Base):
    """A year whose official holiday notice has been imported."""

    __tablename__ = "calendar_year"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(Text, default="")
    imported_by: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[instant]


class Notification(Base):
    """A message to a person (or to an office's group channel) about a deadline or event."""

    __tablename__ = "notification"
    id: Mapped[intpk]
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decision.id"))
    deadline_id: Mapped[int | None] = mapped_column(ForeignKey("deadline.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    kind: Mapped[str] = mapped_column(String(20))  # reminder | overdue | escalation | stall
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]]
    dedupe: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[instant]
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    __table_args__ = (Index("ix_notification_user_id_created_at", "user_id", "created_at"),
                      Index("ix_notification_user_id_id", "user_id", "id"),
                      Index("ix_notification_org_id_user_id_id", "org_id", "user_id", "id"))


class Delivery(Base):
    """The outbox: one channel send of a notification, retried until sent or given up, sent once."""

    __tablename__ = "delivery"
    id: Mapped[intpk]
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))  # email | webhook
    target: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|sending|sent|failed|cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[instant]
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[instant]
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))
    #: When the current attempt handed the whole message over; its outcome is unknown until recorded.
    handed_over_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))
    #: Attempts that ended after a hand-over without an answer: each may have left a copy with the receiver.
    unconfirmed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        Index("ix_delivery_due", "next_attempt_at", postgresql_where=text("status IN ('pending', 'sending')"),
              sqlite_where=text("status IN ('pending', 'sending')")),
    )


class LogLeaf(Base):
    """An audit event's place in the transparency log: its index in the Merkle tree and its leaf hash.

    No foreign key to ``audit_event`` on purpose: a deleted event leaves its leaf behind, which names it.
    """

    __tablename__ = "log_leaf"
    log_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(BigId, unique=True)
    leaf_hash: Mapped[hexhash]
    sequenced_at: Mapped[instant]


class LogKey(Base):
    """The installation's log key: it signs tree heads and is no person's key (private half encrypted)."""

    __tablename__ = "log_key"
    key_hash: Mapped[str] = mapped_column(String(8), primary_key=True)
    origin: Mapped[str] = mapped_column(String(200))
    public_hex: Mapped[hexhash]
    private_pem: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[instant]
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))


class TreeHead(Base):
    """A signed tree head juece published: the log's size and root hash at an instant, as a signed note."""

    __tablename__ = "tree_head"
    id: Mapped[intpk]
    tree_size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[hexhash]
    timestamp: Mapped[instant]
    key_hash: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(Text)


class Installation(Base):
    """This installation's random id (one row, made by the migration): qualifies Message-IDs and keys sent out."""

    __tablename__ = "installation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    uid: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[instant]
