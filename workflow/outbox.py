"""The outbox: deliveries handed to the queue, claimed, and recorded as sent or failed — never lost.

The database is the truth: a delivery stays ``pending`` until a worker records it ``sent``. The relay
hands due deliveries to the queue and leases them for a while; a delivery whose worker died (a
SIGKILL, a broker that lost the message) is handed out again when its lease runs out. A worker
claims a delivery before sending, and the idempotency key travels with the message, so a retried or
redelivered task does not send twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import literal_column, select, update

from workflow.persistence.store import DL, DY, ORG, N, aware, naive
from workflow.service import Juece

LEASE = dt.timedelta(seconds=60)
MAX_ATTEMPTS = 5
BACKOFF = (dt.timedelta(seconds=30), dt.timedelta(minutes=2), dt.timedelta(minutes=10), dt.timedelta(minutes=30))


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


def relay(core: Juece, now: dt.datetime | None = None, limit: int = 200,
          lease: dt.timedelta = LEASE) -> list[int]:
    """Deliveries due now, leased so that no other relay hands them out until the lease runs out."""
    now = now or core.clock()
    with core.db.write() as conn:
        ids = [int(r.id) for r in conn.execute(
            select(DY.c.id).where(DY.c.status.in_([literal_column("'pending'"), literal_column("'sending'")]),
                                  DY.c.next_attempt_at <= naive(now))
            .order_by(DY.c.next_attempt_at).limit(limit).with_for_update(skip_locked=True))]
        if ids:
            # A 'sending' row here outlived its claim (its worker died): it is pending again.
            conn.execute(update(DY).where(DY.c.id.in_(ids)).values(status="pending", next_attempt_at=naive(now + lease)))
    return ids


def claim(core: Juece, delivery_id: int, now: dt.datetime | None = None, lease: dt.timedelta = LEASE) -> Claim | None:
    """Take a delivery for sending; None when it is already sent, given up, or no longer wanted."""
    now = now or core.clock()
    with core.db.write() as conn:
        row = conn.execute(select(DY, N.c.subject, N.c.body, N.c.payload, N.c.kind, N.c.deadline_id,
                                  ORG.c.settings.label("office"))
                           .join(N, N.c.id == DY.c.notification_id).join(ORG, ORG.c.id == N.c.org_id)
                           .where(DY.c.id == delivery_id).with_for_update(of=DY)).first()
        if row is None or row.status in ("sent", "failed", "cancelled"):
            return None
        if row.status == "sending" and (aware(row.next_attempt_at) or now) > now:
            return None  # another worker holds it right now
        if row.deadline_id and row.kind == "reminder":
            status = conn.execute(select(DL.c.status).where(DL.c.id == row.deadline_id)).scalar()
            if status == "closed":  # met in the meantime: a reminder is no longer wanted
                conn.execute(update(DY).where(DY.c.id == delivery_id).values(status="cancelled",
                                                                             last_error="deadline met"))
                return None
        attempt = int(row.attempts) + 1
        conn.execute(update(DY).where(DY.c.id == delivery_id).values(
            status="sending", attempts=attempt, next_attempt_at=naive(now + lease)))
        return Claim(int(row.id), row.channel, row.target, row.idempotency_key, row.subject, row.body,
                     dict(row.payload), attempt, dict(row.office or {}))


def complete(core: Juece, delivery_id: int, error: str | None = None, now: dt.datetime | None = None,
             backoff: tuple[dt.timedelta, ...] = BACKOFF, max_attempts: int = MAX_ATTEMPTS) -> str:
    """Record the outcome of a send: sent, or failed with the reason (retried with back-off, then given up)."""
    now = now or core.clock()
    with core.db.write() as conn:
        attempts = int(conn.execute(select(DY.c.attempts).where(DY.c.id == delivery_id)).scalar_one())
        if error is None:
            values: dict[str, Any] = {"status": "sent", "sent_at": naive(now), "last_error": ""}
        elif attempts >= max_attempts:
            values = {"status": "failed", "last_error": error[:2000]}
        else:
            wait = backoff[min(attempts - 1, len(backoff) - 1)]
            values = {"status": "pending", "last_error": error[:2000], "next_attempt_at": naive(now + wait)}
        conn.execute(update(DY).where(DY.c.id == delivery_id).values(**values))
        return str(values["status"])
