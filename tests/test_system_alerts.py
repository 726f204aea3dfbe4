"""Reminders and overdue alerts through real processes: Celery worker and beat, a real SMTP server.

The story: a legality review submitted on 2026-02-12 with a 7-working-day limit. Across the Spring
Festival (02-15..02-23 off, Saturdays 02-14 and 02-28 worked) it is due at the end of Saturday
2026-02-28. Reminders go out 2 working days before (Thursday 02-26) and on the day; the overdue alert
at 24:00. Each reaches the SMTP server exactly once.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import make_core
from tests.helpers import PASSWORD, Clock, review_requested_feb_12
from tests.system import PrivateRedis, Processes, SmtpServer, wait_for
from workflow.persistence.db import Database
from workflow.persistence.store import DY
from workflow.service import Juece

REVIEWER, CHIEF = "reviewer@gutang.test", "chief@gutang.test"
TITLE = "界牌新潮塘未来社区建设"
REMINDER = f"【提醒】{TITLE}：合法性审查期限将于2026-02-28 24:00届满"
OVERDUE = f"【逾期】{TITLE}：合法性审查期限已于2026-02-28 24:00届满"


def review_submitted_on_feb_12(core: Juece, clock: Clock, processes: Processes, chief_email: bool = True) -> int:
    """The review of the story, with the processes' clock moved along."""
    emails = {"reviewer": REVIEWER} | ({"chief": CHIEF} if chief_email else {})
    return review_requested_feb_12(core, clock, emails, processes.set_time)


@pytest.fixture()
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def _counts(smtp: SmtpServer) -> collections.Counter[tuple[str, str]]:
    return collections.Counter(smtp.sink.received())


def _run_the_story(processes: Processes, smtp: SmtpServer, people: int) -> None:
    processes.set_time("2026-02-26T09:00:30")
    wait_for(lambda: len(smtp.sink.received()) >= people, 180, "the first reminder")
    processes.set_time("2026-02-28T09:00:30")
    wait_for(lambda: len(smtp.sink.received()) >= 2 * people, 180, "the reminder on the day")
    processes.set_time("2026-02-28T23:59:00")
    import time

    time.sleep(2.5)  # not yet due: nothing more may arrive
    assert len(smtp.sink.received()) == 2 * people
    processes.set_time("2026-03-01T00:00:30")
    wait_for(lambda: len(smtp.sink.received()) >= 3 * people, 180, "the overdue alert")
    time.sleep(3)  # several more scans and relays: still nothing twice


@pytest.fixture(params=["embedded", "redis"])
def setup(request: pytest.FixtureRequest, tmp_path: Path, smtp: SmtpServer, clock: Clock) -> Iterator[tuple[Juece, Processes]]:
    """Worker and beat on the embedded broker (the run's database), or on Redis with PostgreSQL."""
    redis = None
    if request.param == "embedded":
        database: Database = request.getfixturevalue("database")
        broker = f"sqla+sqlite:///{tmp_path}/broker.db"
    else:
        database = request.getfixturevalue("pg_database")
        redis = PrivateRedis(tmp_path)
        redis.start()
        broker = redis.url
    core = make_core(database, clock)
    processes = Processes(tmp_path, database.url, broker, smtp.port, clock)
    processes.redis = redis  # type: ignore[attr-defined]
    try:
        yield core, processes
    finally:
        processes.close()
        if redis is not None:
            redis.stop()


def test_reminders_and_overdue_alert_arrive_exactly_once(setup: tuple[Juece, Processes], smtp: SmtpServer,
                                                         clock: Clock) -> None:
    core, processes = setup
    did = review_submitted_on_feb_12(core, clock, processes)
    processes.worker()
    processes.beat()
    try:
        _run_the_story(processes, smtp, people=2)
    except AssertionError:
        print(processes.logs())
        raise
    assert _counts(smtp) == {(REVIEWER, REMINDER): 2, (CHIEF, REMINDER): 2, (REVIEWER, OVERDUE): 1, (CHIEF, OVERDUE): 1}
    # Two reminders by design (2 working days before, and on the day): check they are distinct sends.
    with core.db.read() as conn:
        rows = conn.execute(select(DY.c.status, DY.c.idempotency_key)).all()
    assert {r.status for r in rows} == {"sent"} and len({r.idempotency_key for r in rows}) == 6
    shown = core.act  # the decision can still advance after the alerts
    shown(did, "submit_adviser_opinion", "adviser", {"opinion": "合法"}, password=PASSWORD)


def test_two_beats_at_once_notify_once(database: Database, tmp_path: Path, smtp: SmtpServer, clock: Clock) -> None:
    core = make_core(database, clock)
    processes = Processes(tmp_path, database.url, f"sqla+sqlite:///{tmp_path}/broker.db", smtp.port, clock)
    try:
        review_submitted_on_feb_12(core, clock, processes)
        processes.worker("w1")
        processes.worker("w2")
        processes.beat("-a")
        processes.beat("-b")
        _run_the_story(processes, smtp, people=2)
    finally:
        processes.close()
    assert set(_counts(smtp).values()) <= {1, 2} and sum(_counts(smtp).values()) == 6
    assert _counts(smtp)[(REVIEWER, OVERDUE)] == 1


def test_worker_killed_while_delivering_delivers_once_after_restart(database: Database, tmp_path: Path,
                                                                    smtp: SmtpServer, clock: Clock) -> None:
    core = make_core(database, clock)
    processes = Processes(tmp_path, database.url, f"sqla+sqlite:///{tmp_path}/broker.db", smtp.port, clock)
    try:
        review_submitted_on_feb_12(core, clock, processes, chief_email=False)
        smtp.sink.stall_next = 1  # the first SMTP conversation hangs at RCPT
        worker = processes.worker("w1")
        processes.beat()
        processes.set_time("2026-02-26T09:00:30")
        wait_for(smtp.sink.stalling.is_set, 180, "the worker to be in the middle of delivering")
        processes.kill(worker)  # SIGKILL, mid-conversation
        assert smtp.sink.received() == []
        processes.worker("w2")
        wait_for(lambda: len(smtp.sink.received()) >= 1, 180, "delivery after the restart")
        import time

        time.sleep(6)  # past another lease: no second copy
    finally:
        processes.close()
    assert smtp.sink.received() == [(REVIEWER, REMINDER)]


@pytest.mark.parametrize("stalled", ["data", "quit"])
def test_worker_killed_waiting_for_the_servers_answer(database: Database, tmp_path: Path, smtp: SmtpServer,
                                                      clock: Clock, stalled: str) -> None:
    """The e-mail guarantee, one round of bench/email_drill.py: killed after the server kept the message but
    before it answered DATA, the retry sends a second copy with the same Message-ID, and the delivery says
    so; killed while QUIT is unanswered, the 250 was already recorded and nothing is sent again."""
    core = make_core(database, clock)
    processes = Processes(tmp_path, database.url, f"sqla+sqlite:///{tmp_path}/broker.db", smtp.port, clock)

    def row() -> Any:
        with core.db.read() as conn:
            return conn.execute(select(DY).order_by(DY.c.id)).first()

    try:
        review_submitted_on_feb_12(core, clock, processes, chief_email=False)
        if stalled == "data":
            smtp.sink.stall_data_next = 1
        else:
            smtp.sink.stall_quit_next = 1
        worker = processes.worker("w1")
        processes.beat()
        processes.set_time("2026-02-26T09:00:30")
        wait_for(smtp.sink.stalling.is_set, 180, f"the worker to wait for the answer to {stalled.upper()}")
        processes.kill(worker)  # SIGKILL: the server has the message, the worker never heard back
        at_kill = row()
        assert (at_kill.status, at_kill.handed_over_at is not None) == (
            ("sending", True) if stalled == "data" else ("sent", False))
        processes.worker("w2")
        wait_for(lambda: row().status == "sent", 180, "the delivery to be recorded sent")
        # Past the first delivery's lease, later work goes through the restarted worker.
        processes.set_time("2026-02-28T09:00:30")
        first = smtp.sink.message_ids()[0]
        wait_for(lambda: any(m != first for m in smtp.sink.message_ids()), 180, "the reminder on the day")
    except AssertionError:
        print(processes.logs())
        raise
    finally:
        processes.close()
    copies = 2 if stalled == "data" else 1
    assert smtp.sink.message_ids().count(first) == copies and len(smtp.sink.message_ids()) == copies + 1
    done = row()
    assert (done.status, done.unconfirmed) == ("sent", copies - 1)
    assert ("up to 1 more" in done.last_error) == (stalled == "data")


def test_redis_down_for_a_while(pg_database: Database, tmp_path: Path, smtp: SmtpServer, clock: Clock) -> None:
    redis = PrivateRedis(tmp_path)
    redis.start()
    core = make_core(pg_database, clock)
    processes = Processes(tmp_path, pg_database.url, redis.url, smtp.port, clock)
    try:
        did = review_submitted_on_feb_12(core, clock, processes, chief_email=False)
        processes.worker()
        processes.beat()
        redis.stop()
        # Decisions advance without the broker: the database is the truth.
        core.act(did, "submit_adviser_opinion", "adviser", {"opinion": "程序合法"}, password=PASSWORD)
        processes.set_time("2026-02-26T09:00:30")
        import time

        time.sleep(4)
        assert smtp.sink.received() == []
        redis.start()  # same port
        wait_for(lambda: len(smtp.sink.received()) >= 1, 180, "the reminder after Redis returned")
        time.sleep(3)
    finally:
        processes.close()
        redis.stop()
    assert smtp.sink.received() == [(REVIEWER, REMINDER)]


def test_smtp_refusing_shows_failed_with_the_reason_after_retries(database: Database, tmp_path: Path,
                                                                  smtp: SmtpServer, clock: Clock) -> None:
    core = make_core(database, clock)
    processes = Processes(tmp_path, database.url, f"sqla+sqlite:///{tmp_path}/broker.db", smtp.port, clock)
    smtp.sink.refuse = True
    try:
        review_submitted_on_feb_12(core, clock, processes, chief_email=False)
        processes.worker()
        processes.beat()
        processes.set_time("2026-02-26T09:00:30")

        def delivery() -> tuple[str, int, str]:
            with core.db.read() as conn:
                row = conn.execute(select(DY.c.status, DY.c.attempts, DY.c.last_error)).first()
            return (row.status, row.attempts, row.last_error) if row else ("none", 0, "")

        wait_for(lambda: delivery()[0] == "pending" and delivery()[1] >= 1, 180, "a first failed attempt")
        assert "550" in delivery()[2]
        wait_for(lambda: delivery()[0] == "failed", 180, "giving up after the retries")
    finally:
        processes.close()
    status, attempts, error = delivery()
    assert (status, attempts) == ("failed", 3) and "mailbox unavailable" in error
    assert smtp.sink.received() == []
