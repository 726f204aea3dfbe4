"""The outbox: deliveries handed to the queue, claimed, and recorded as sent or failed — never lost.

The database is the truth: a delivery stays ``pending`` until a worker records it ``sent``. The relay
hands due deliveries to the queue and leases them for a while; a delivery whose worker died (a
SIGKILL, a broker that lost the message) is handed out again when its lease runs out. A worker
claims a delivery before sending and records the outcome as soon as the receiver answers.

What that guarantees differs by channel (README, "Deadlines, reminders and alerts"): a worker that
dies after handing the whole message over and before its answer is recorded leaves the outcome
unknown. The retry then sends it again under the same key (the same Message-ID for e-mail), and the
delivery counts that attempt in ``unconfirmed``: the receiver may hold one copy more per count.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite

from workflow.persistence.store import DL, DY, INST, ORG, N, aware, naive
from workflow.service import Juece

UNCONFIRMED = ("上次发送已交出消息但未收到应答，接收方可能已收到一份（以相同标识重发） / "
               "an attempt handed the message over and stopped before its answer was recorded: "
               "the receiver may hold a copy; sent again under the same key")


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How long a relay or a claim holds a delivery, the waits between attempts, and when to give up.

    No defaults here: the numbers are the operator's (``Settings.delivery_*``, built by ``config.runtime``).
    """

    lease: dt.timedelta
    backoff: tuple[dt.timedelta, ...]
    max_attempts: int


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery a worker now holds: what to send, where, and under which idempotency key."""

    delivery_id: int
    channel: str
    target: str
    idempotency_key: str
    subject: str
    body: str
    payload: dict[str, Any]
    attempt: int
    office: dict[str, Any]
    installation: str

    @property
    def wire_key(self) -> str:
        """The key receivers see: qualified by the installation, so two installations never share one."""
        return f"{self.installation}/{self.idempotency_key}"


def installation_id(conn: Connection) -> str:
    """This installation's random id (made by the migration; made here if the row went missing)."""
    uid = conn.execute(select(INST.c.uid).where(INST.c.id == 1)).scalar()
    if uid is None:
        dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        conn.execute(dialect_insert(INST).values(id=1, uid=secrets.token_hex(8), created_at=naive(dt.datetime.now(dt.UTC)))
                     .on_conflict_do_nothing(index_elements=["id"]))
        uid = conn.execute(select(INST.c.uid).where(INST.c.id == 1)).scalar_one()
    return str(uid)


def _abandoned(conn: Connection, ids: list[int]) -> None:
    """Leased rows whose worker stopped after a hand-over: count the unknown outcome before retrying."""
    if ids:
        conn.execute(update(DY).where(DY.c.id.in_(ids), DY.c.handed_over_at.is_not(None)).values(
            unconfirmed=DY.c.unconfirmed + 1, handed_over_at=None, last_error=UNCONFIRMED))


def relay(core: Juece, policy: DeliveryPolicy, now: dt.datetime | None = None, limit: int = 200) -> list[int]:
    """Deliveries due now, leased so that no other relay hands them out until the lease runs out."""
    now = now or core.clock()
    with core.db.write() as conn:
        rows = conn.execute(
            select(DY.c.id, DY.c.status).where(DY.c.status.in_([literal_column("'pending'"), literal_column("'sending'")]),
                                               DY.c.next_attempt_at <= naive(now))
            .order_by(DY.c.next_attempt_at).limit(limit).with_for_update(skip_locked=True)).all()
        ids = [int(r.id) for r in rows]
        if ids:
            # A 'sending' row here outlived its claim (its worker died): it is pending again.
            _abandoned(conn, [int(r.id) for r in rows if r.status == "sending"])
            conn.execute(update(DY).where(DY.c.id.in_(ids)).values(status="pending", next_attempt_at=naive(now + policy.lease)))
    return ids


def claim(core: Juece, delivery_id: int, policy: DeliveryPolicy, now: dt.datetime | None = None) -> Claim | None:
    """Take a delivery for sending; None when it is already sent, given up, or no longer wanted."""
    now = now or core.clock()
    with core.db.write() as conn:
        row = conn.execute(select(DY, N.c.subject, N.c.body, N.c.payload, N.c.kind, N.c.deadline_id,
                                  ORG.c.settings.label("office"))
                           .join(N, N.c.id == DY.c.notification_id).join(ORG, ORG.c.id == N.c.org_id)
                           .where(DY.c.id == delivery_id).with_for_update(of=DY)).first()
        if row is None or row.status in ("sent", "failed", "cancelled"):
            return None
        if row.status == "sending":
            if (aware(row.next_attempt_at) or now) > now:
                return None  # another worker holds it right now
            _abandoned(conn, [delivery_id])
        if row.deadline_id and row.kind == "reminder":
            status = conn.execute(select(DL.c.status).where(DL.c.id == row.deadline_id)).scalar()
            if status == "closed":  # met in the meantime: a reminder is no longer wanted
                conn.execute(update(DY).where(DY.c.id == delivery_id).values(status="cancelled",
                                                                             last_error="deadline met"))
                return None
        attempt = int(row.attempts) + 1
        conn.execute(update(DY).where(DY.c.id == delivery_id).values(
            status="sending", attempts=attempt, next_attempt_at=naive(now + policy.lease), handed_over_at=None))
        return Claim(int(row.id), row.channel, row.target, row.idempotency_key, row.subject, row.body,
                     dict(row.payload), attempt, dict(row.office or {}), installation_id(conn))


def handed_over(core: Juece, delivery_id: int, now: dt.datetime | None = None) -> None:
    """The whole message is about to reach the receiver: from here until the answer, the outcome is unknown."""
    now = now or core.clock()
    with core.db.write() as conn:
        conn.execute(update(DY).where(DY.c.id == delivery_id, DY.c.status == "sending")
                     .values(handed_over_at=naive(now)))


def complete(core: Juece, delivery_id: int, policy: DeliveryPolicy, error: str | None = None,
             now: dt.datetime | None = None, unknown_outcome: bool = False) -> str:
    """Record the outcome of a send: sent, or failed with the reason (retried with back-off, then given up).

    ``unknown_outcome``: the attempt failed after the hand-over without an answer (a timeout, a lost
    connection), so the receiver may have the message; it is counted in ``unconfirmed``.
    """
    now = now or core.clock()
    with core.db.write() as conn:
        row = conn.execute(select(DY.c.attempts, DY.c.unconfirmed).where(DY.c.id == delivery_id)).one()
        attempts, unconfirmed = int(row.attempts), int(row.unconfirmed) + (1 if error and unknown_outcome else 0)
        if error is None:
            # Sent; an earlier attempt cut off after its hand-over is still worth saying (a possible second copy).
            note = "" if not unconfirmed else (
                f"已发送；此前 {unconfirmed} 次发送结果不明，接收方可能多收到 {unconfirmed} 份（标识相同） / sent; "
                f"{unconfirmed} earlier attempt(s) ended without an answer: up to {unconfirmed} more copies "
                "with the same key")
            values: dict[str, Any] = {"status": "sent", "sent_at": naive(now), "last_error": note}
        elif attempts >= policy.max_attempts:
            values = {"status": "failed", "last_error": error[:2000]}
        else:
            wait = policy.backoff[min(attempts - 1, len(policy.backoff) - 1)]
            values = {"status": "pending", "last_error": error[:2000], "next_attempt_at": naive(now + wait)}
        conn.execute(update(DY).where(DY.c.id == delivery_id).values(
            **values, unconfirmed=unconfirmed, handed_over_at=None))
        return str(values["status"])
