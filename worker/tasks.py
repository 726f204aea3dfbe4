"""Thin tasks: ids in, a service call, errors mapped to retry-or-record. Nothing durable lives here."""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from typing import Any

from celery import current_app, shared_task

from config import Settings
from config.runtime import delivery_policy, open_core
from worker.channels import DeliveryError, send_email, send_webhook
from workflow.notices import alerts, outbox
from workflow.record import transparency
from workflow.service import Juece

log = logging.getLogger("juece.worker")
_CORES: dict[int, Juece] = {}
#: Seconds of a delivery's lease kept free at its end (at most a fifth of the lease).
LEASE_MARGIN = 5.0


def _settings() -> Settings:
    settings: Settings = current_app.conf.juece_settings
    return settings


def _core() -> Juece:
    """One core per worker process (engines must not cross a fork)."""
    pid = os.getpid()
    if pid not in _CORES:
        _CORES.clear()
        _CORES[pid] = open_core(_settings())
    return _CORES[pid]


@shared_task(name="juece.scan_deadlines", ignore_result=True)
def scan_deadlines() -> dict[str, Any]:
    """Turn due deadlines into notifications, then hand the new deliveries out at once."""
    result = alerts.scan(_core(), calendar_notice_from=_settings().calendar_notice_from)
    if result.deliveries:
        relay.delay()
    for problem in result.problems:
        log.warning("deadline scan: %s", problem)
    return result.as_dict()


@shared_task(name="juece.relay", ignore_result=True)
def relay() -> int:
    """Hand due outbox rows to delivery tasks (leased, so a lost message is handed out again)."""
    ids = outbox.relay(_core(), delivery_policy(_settings()))
    for delivery_id in ids:
        deliver.delay(delivery_id)
    return len(ids)


@shared_task(name="juece.deliver", ignore_result=True, acks_late=True)
def deliver(delivery_id: int) -> str:
    """Send one delivery: claim it, mark the hand-over, record sent on the receiver's answer, or the failure."""
    core, settings = _core(), _settings()
    policy = delivery_policy(settings)
    lease = settings.delivery_lease_seconds
    # Measured before the claim, so this worker is done before its lease can run out anywhere else;
    # the margin leaves room to record the answer and for clocks that differ a little between hosts.
    deadline = time.monotonic() + lease - min(LEASE_MARGIN, lease / 5)
    claim = outbox.claim(core, delivery_id, policy)
    if claim is None:
        return "skipped"
    recorded: list[str] = []
    handed: list[bool] = []

    def handed_over() -> None:
        outbox.handed_over(core, delivery_id)
        handed.append(True)

    def accepted() -> None:
        answered = time.monotonic()
        recorded.append(outbox.complete(core, delivery_id, policy))
        # Until this commit a SIGKILL means a second copy: say how long that was (bench/email_drill.py reads it).
        log.info("delivery %s attempt %s: the server's 250 recorded %.1f ms after it arrived (at %.6f)",
                 delivery_id, claim.attempt, (time.monotonic() - answered) * 1000, time.time())

    try:
        if claim.channel == "email":
            send_email(settings, claim, deadline=deadline, handed_over=handed_over, accepted=accepted)
        elif claim.channel == "webhook":
            send_webhook(claim, str(claim.office.get("webhook_secret") or ""),
                         str(claim.office.get("webhook_format") or "json"), policy=core.outbound, deadline=deadline,
                         handed_over=handed_over)
        elif claim.channel == "witness":  # a tree head for a log witness: always plain signed JSON
            send_webhook(claim, str(claim.office.get("webhook_secret") or ""), "json", policy=core.outbound,
                         deadline=deadline, handed_over=handed_over)
        else:
            raise DeliveryError(f"unknown channel {claim.channel}")
    except Exception as error:  # noqa: BLE001 - whatever a channel raises is recorded, retried, then failed
        if recorded:  # the receiver's answer is on record: what failed afterwards (QUIT) changes nothing
            return recorded[0]
        reason = str(error) if isinstance(error, DeliveryError) else f"{type(error).__name__}: {error}"
        # Unknown to the channel (a bug, an encoding error): after the hand-over the receiver may have it.
        unknown = error.unknown_outcome if isinstance(error, DeliveryError) else bool(handed)
        status = outbox.complete(core, delivery_id, policy, reason, unknown_outcome=unknown)
        if isinstance(error, DeliveryError):
            log.warning("delivery %s attempt %s failed (%s): %s", delivery_id, claim.attempt, status, reason)
        else:
            log.exception("delivery %s attempt %s raised (%s)", delivery_id, claim.attempt, status)
        return status
    return recorded[0] if recorded else outbox.complete(core, delivery_id, policy)


@shared_task(name="juece.publish_tree_head", ignore_result=True)
def publish_tree_head() -> dict[str, Any] | None:
    """Log the new events, sign a tree head and queue it to the witnesses (nothing when the log did not grow)."""
    head = transparency.publish(_core(), _settings().log_origin)
    if head is not None:
        relay.delay()
        log.info("tree head published: size %s, root %s", head["tree_size"], head["root_hash"])
    return head


@shared_task(name="juece.cleanup_broker", ignore_result=True)
def cleanup_broker() -> int:
    """kombu's SQLAlchemy transport never deletes consumed messages (docs/architecture.md, "The embedded broker's traps", trap 3)."""
    settings = _settings()
    if not settings.broker_url.startswith("sqla+"):
        return 0
    from sqlalchemy import create_engine, text

    engine = create_engine(settings.broker_url.removeprefix("sqla+"))
    try:
        with engine.begin() as conn:
            removed = conn.execute(text("DELETE FROM kombu_message WHERE visible = 0 AND timestamp < :cut"),
                                   {"cut": _cutoff()}).rowcount
    finally:
        engine.dispose()
    return int(removed or 0)


def _cutoff() -> Any:
    return dt.datetime.now() - dt.timedelta(days=1)
