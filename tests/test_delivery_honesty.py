"""What juece can and cannot promise about a send: the outbox's hand-over accounting, Message-IDs per
installation, the server's 250 recorded before QUIT, and the deliver task against a real SMTP server."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text

from config import load_settings
from tests.conftest import make_core
from tests.helpers import DELIVERY, Clock, lease_end, new_decision
from tests.system import SmtpServer, free_port, wait_for
from worker import tasks
from worker.app import create_celery
from worker.channels import DeliveryError, message_id, send_webhook
from workflow.notices import alerts, outbox
from workflow.notices.outbound import OutboundPolicy
from workflow.persistence.db import Database
from workflow.persistence.store import DY, INST, ORG
from workflow.service import Juece

REVIEWER = "reviewer@gutang.test"

#: Test servers listen on this machine: allowed explicitly, as an operator would.
LOCAL = OutboundPolicy(("127.0.0.1",))


def one_email(core: Juece, key: str = "honesty:1") -> int:
    """One notification to the reviewer, with its e-mail delivery handed out by the relay."""
    with core.db.write() as conn:
        conn.execute(text("UPDATE app_user SET email = :e WHERE name = 'reviewer'"), {"e": REVIEWER})
    did = new_decision(core)
    with core.db.write() as conn:
        org = conn.execute(select(ORG.c.id).where(ORG.c.name == "古塘街道")).scalar_one()
        alerts.notify_roles(conn, core.clock(), org_id=org, decision_id=did, roles=["legal_reviewer"], owner_id=None,
                            kind="stall", key=key, subject="【提醒】测试", body="正文\n第二行", payload={})
    (delivery,) = outbox.relay(core, DELIVERY)
    return delivery


def delivery(core: Juece, delivery_id: int) -> tuple[str, int, int, str]:
    with core.db.read() as conn:
        row = conn.execute(select(DY.c.status, DY.c.attempts, DY.c.unconfirmed, DY.c.last_error)
                           .where(DY.c.id == delivery_id)).one()
    return row.status, row.attempts, row.unconfirmed, row.last_error


def test_a_worker_lost_after_the_hand_over_is_counted_and_retried(core: Juece, clock: Clock) -> None:
    first = one_email(core)
    assert outbox.claim(core, first, DELIVERY) is not None
    outbox.handed_over(core, first)
    clock.advance(minutes=2)  # the lease ran out: the worker is gone
    assert outbox.relay(core, DELIVERY) == [first]
    status, _, unconfirmed, note = delivery(core, first)
    assert (status, unconfirmed) == ("pending", 1) and "may hold a copy" in note
    assert outbox.claim(core, first, DELIVERY) is not None
    assert outbox.complete(core, first, DELIVERY) == "sent"
    status, attempts, unconfirmed, note = delivery(core, first)
    assert (status, attempts, unconfirmed) == ("sent", 2, 1) and "up to 1 more" in note


def test_a_worker_lost_before_the_hand_over_leaves_nothing_uncertain(core: Juece, clock: Clock) -> None:
    first = one_email(core)
    assert outbox.claim(core, first, DELIVERY) is not None
    clock.advance(minutes=2)
    again = outbox.claim(core, first, DELIVERY)  # claimed straight from the expired lease, without the relay
    assert again is not None and again.attempt == 2
    assert outbox.complete(core, first, DELIVERY) == "sent"
    assert delivery(core, first) == ("sent", 2, 0, "")


def test_an_expired_claim_after_a_hand_over_counts_even_without_the_relay(core: Juece, clock: Clock) -> None:
    first = one_email(core)
    assert outbox.claim(core, first, DELIVERY) is not None
    outbox.handed_over(core, first)
    clock.advance(minutes=2)
    assert outbox.claim(core, first, DELIVERY) is not None
    assert delivery(core, first)[:3] == ("sending", 2, 1)


def test_message_ids_differ_per_installation_and_delivery_and_repeat_on_retry(core: Juece, clock: Clock,
                                                                             tmp_path: Path) -> None:
    settings = load_settings({"JUECE_INSTANCE_DIR": str(tmp_path), "JUECE_SMTP_FROM": "决策 <juece@gutang.gov.cn>"})
    other_db = Database(f"sqlite:///{tmp_path}/other.db")
    try:
        other = make_core(other_db, clock)
        mine, theirs = one_email(core), one_email(other)
        claim, their_claim = outbox.claim(core, mine, DELIVERY), outbox.claim(other, theirs, DELIVERY)
        assert claim is not None and their_claim is not None
        # Same office, same people, same row ids, same key: still two different messages.
        assert claim.idempotency_key == their_claim.idempotency_key
        assert claim.installation != their_claim.installation
        assert message_id(settings, claim) != message_id(settings, their_claim)
        assert message_id(settings, claim).endswith("@gutang.gov.cn>")
        outbox.complete(core, mine, DELIVERY, "421 try later")
        retry = outbox.claim(core, mine, DELIVERY)
        assert retry is not None and retry.attempt == 2
        assert message_id(settings, retry) == message_id(settings, claim)
        second = one_email(core, "honesty:2")
        second_claim = outbox.claim(core, second, DELIVERY)
        assert second_claim is not None and message_id(settings, second_claim) != message_id(settings, claim)
    finally:
        other_db.dispose()


def test_the_installation_id_is_made_once_and_remade_if_lost(core: Juece) -> None:
    with core.db.write() as conn:
        made = outbox.installation_id(conn)
        assert len(made) == 16 and outbox.installation_id(conn) == made
        conn.execute(delete(INST))
        remade = outbox.installation_id(conn)
    assert remade != made and len(remade) == 16


@pytest.fixture()
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture()
def deliver(database: Database, core: Juece, clock: Clock, tmp_path: Path,
            smtp: SmtpServer) -> Iterator[Callable[..., str]]:
    """The worker's deliver task, run in this process against the test database and SMTP server."""
    clock_file = tmp_path / "clock.txt"

    def run(delivery_id: int, lease: float = 10.0, step: float = 5.0) -> str:
        clock_file.write_text(clock.now.isoformat())
        settings = load_settings({
            "JUECE_INSTANCE_DIR": str(tmp_path), "JUECE_DATABASE_URL": database.url, "JUECE_SECRET_KEY": "test-secret",
            "JUECE_BROKER_URL": f"sqla+sqlite:///{tmp_path}/broker.db", "JUECE_CLOCK_FILE": str(clock_file),
            "JUECE_SMTP_HOST": "127.0.0.1", "JUECE_SMTP_PORT": str(smtp.port), "JUECE_SMTP_FROM": "juece@gutang.test",
            "JUECE_SMTP_TIMEOUT_SECONDS": str(step), "JUECE_DELIVERY_LEASE_SECONDS": str(lease),
            "JUECE_DELIVERY_BACKOFF_SECONDS": "1"})
        create_celery(settings).set_current()
        tasks._CORES.clear()
        try:
            return str(tasks.deliver(delivery_id))
        finally:
            for opened in tasks._CORES.values():
                opened.db.dispose()
            tasks._CORES.clear()

    yield run


def test_the_servers_250_is_recorded_before_quit_and_a_stalled_quit_does_not_matter(
        core: Juece, smtp: SmtpServer, deliver: Callable[..., str]) -> None:
    first = one_email(core)
    smtp.sink.stall_quit_next, smtp.sink.stall_seconds = 1, 3.0
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(deliver(first, step=1.0)))
    worker.start()
    wait_for(smtp.sink.stalling.is_set, 20, "the worker to wait for the answer to QUIT")
    assert delivery(core, first)[0] == "sent"  # recorded while QUIT is still unanswered
    worker.join(10)
    assert outcome == ["sent"] and smtp.sink.received() == [(REVIEWER, "【提醒】测试")]


def test_no_answer_to_the_end_of_data_is_an_unknown_outcome_and_the_retry_repeats_the_message_id(
        core: Juece, smtp: SmtpServer, deliver: Callable[..., str]) -> None:
    first = one_email(core)
    smtp.sink.stall_data_next, smtp.sink.stall_seconds = 1, 4.0
    # A 2 s lease leaves 1.6 s to send: the server keeps the message but answers too late.
    assert deliver(first, lease=2.0) == "pending"
    status, attempts, unconfirmed, error = delivery(core, first)
    assert (status, attempts, unconfirmed) == ("pending", 1, 1) and "outcome unknown" in error
    assert deliver(first) == "sent"
    ids = smtp.sink.message_ids()
    assert len(ids) == 2 and ids[0] == ids[1]  # two copies: one message to a receiver that deduplicates
    assert "up to 1 more" in delivery(core, first)[3]


def test_a_refusal_is_a_known_outcome(core: Juece, smtp: SmtpServer, deliver: Callable[..., str]) -> None:
    first = one_email(core)
    smtp.sink.refuse = True
    assert deliver(first) == "pending"
    assert delivery(core, first)[2] == 0 and "550" in delivery(core, first)[3]


def test_webhook_refused_is_known_and_a_webhook_without_answer_is_not(core: Juece) -> None:
    claim = outbox.claim(core, one_email(core), DELIVERY)
    assert claim is not None
    with pytest.raises(DeliveryError) as nobody:
        send_webhook(dataclasses.replace(claim, target=f"http://127.0.0.1:{free_port()}/hook"), "", policy=LOCAL,
                     deadline=lease_end())
    assert not nobody.value.unknown_outcome
    with socket.socket() as silent:  # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        handed: list[bool] = []
        with pytest.raises(DeliveryError) as silence:
            send_webhook(dataclasses.replace(claim, target=f"http://127.0.0.1:{silent.getsockname()[1]}/hook"), "",
                         policy=LOCAL, deadline=time.monotonic() + 0.5, handed_over=lambda: handed.append(True))
    assert silence.value.unknown_outcome and handed == [True]


def test_a_delivery_whose_channel_raises_ends_failed_with_the_error(
        core: Juece, deliver: Callable[..., str], monkeypatch: pytest.MonkeyPatch) -> None:
    first = one_email(core)

    def broken(*args: object, **kwargs: object) -> None:
        raise UnicodeEncodeError("ascii", "决策", 0, 1, "a bug in the channel, not a refusal")

    monkeypatch.setattr(tasks, "send_email", broken)
    outcomes = [deliver(first) for _ in range(5)]  # JUECE_DELIVERY_MAX_ATTEMPTS defaults to 5
    assert outcomes == ["pending"] * 4 + ["failed"]
    status, attempts, unconfirmed, error = delivery(core, first)
    assert (status, attempts, unconfirmed) == ("failed", 5, 0)
    assert error.startswith("UnicodeEncodeError:") and "a bug in the channel" in error
    assert deliver(first) == "skipped"  # given up: no worker takes it again


def test_a_channel_that_raises_after_the_hand_over_counts_an_unknown_outcome(
        core: Juece, deliver: Callable[..., str], monkeypatch: pytest.MonkeyPatch) -> None:
    first = one_email(core)

    def broken_after_hand_over(*args: object, handed_over: Callable[[], None], **kwargs: object) -> None:
        handed_over()
        raise RuntimeError("lost after the hand-over")

    monkeypatch.setattr(tasks, "send_email", broken_after_hand_over)
    assert deliver(first) == "pending"
    status, attempts, unconfirmed, error = delivery(core, first)
    assert (status, attempts, unconfirmed) == ("pending", 1, 1) and "RuntimeError: lost after" in error
