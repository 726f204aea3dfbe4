"""Deadline scan, escalation, acknowledgement and the outbox, in-process on the real database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import http.server
import json
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, text

from tests.helpers import DELIVERY, PASSWORD, Clock, lease_end, new_decision, review_requested_feb_12
from workflow.admin import offices as admin
from workflow.engine.errors import Forbidden, NotFound, WorkflowError
from workflow.notices import outbox
from workflow.notices.alerts import acknowledge, scan
from workflow.notices.outbound import OutboundPolicy
from workflow.persistence.store import DL, DY, N
from workflow.record import keys
from workflow.record.audit import verify_all
from workflow.service import Juece
from workflow.timing.deadline_changes import change_deadline


def review_requested(core: Juece, clock: Clock, emails: bool = True) -> int:
    """Legality review requested on Thu 2026-02-12 with a 7-working-day limit: due end of Sat 02-28."""
    people = {"reviewer": "reviewer@gutang.test", "chief": "chief@gutang.test"} if emails else {}
    return review_requested_feb_12(core, clock, people)


def notifications(core: Juece) -> list[tuple[str, str, str]]:
    with core.db.read() as conn:
        rows = conn.execute(text("SELECT n.kind, u.name, n.subject FROM notification n "
                                 "LEFT JOIN app_user u ON u.id = n.user_id ORDER BY n.id")).all()
    return [(r[0], r[1], r[2]) for r in rows]


def test_reminders_fire_on_working_days_across_spring_festival(core: Juece, clock: Clock) -> None:
    review_requested(core, clock)
    clock.set("2026-02-26T08:59")
    assert scan(core).reminders == 0
    clock.set("2026-02-26T09:00")
    first = scan(core)
    assert (first.reminders, first.notifications, first.deliveries) == (1, 2, 2)
    assert scan(core).notifications == 0  # a second scan finds nothing new
    clock.set("2026-02-28T09:00")
    assert scan(core).reminders == 1
    clock.set("2026-02-28T23:59")
    assert scan(core).overdue == 0
    clock.set("2026-03-01T00:00")
    assert scan(core).overdue == 1
    kinds = [(k, who) for k, who, _ in notifications(core)]
    assert kinds == [("reminder", "reviewer"), ("reminder", "chief")] * 2 + [("overdue", "reviewer"),
                                                                             ("overdue", "chief")]
    assert all("合法性审查期限" in subject and "2026-02-28 24:00" in subject for _, _, subject in notifications(core))


def test_people_without_email_get_the_inbox_only(core: Juece, clock: Clock) -> None:
    review_requested(core, clock, emails=False)
    clock.set("2026-03-02T09:00")
    result = scan(core)
    # Catching up after the due instant: the overdue alert only, not stale reminders.
    assert (result.reminders, result.overdue) == (0, 1)
    assert result.notifications == 2 and result.deliveries == 0


def test_unacknowledged_overdue_item_escalates_to_the_supervisor(core: Juece, clock: Clock) -> None:
    review_requested(core, clock)
    clock.set("2026-03-01T00:30")
    scan(core)
    clock.set("2026-03-03T12:00")  # escalation after 2 working days: end of Tue 03-03
    assert scan(core).escalations == 0
    clock.set("2026-03-04T00:10")
    result = scan(core)
    assert result.escalations == 1 and notifications(core)[-1][:2] == ("escalation", "chief")
    assert scan(core).escalations == 0


def test_acknowledged_overdue_item_does_not_escalate(core: Juece, clock: Clock) -> None:
    review_requested(core, clock)
    clock.set("2026-03-01T00:30")
    scan(core)
    with core.db.read() as conn:
        mine = conn.execute(text("SELECT n.id FROM notification n JOIN app_user u ON u.id = n.user_id "
                                 "WHERE u.name = 'reviewer' AND n.kind = 'overdue'")).scalar_one()
    with pytest.raises(NotFound):
        acknowledge(core, mine, "owner")  # not theirs
    acknowledge(core, mine, "reviewer")
    clock.set("2026-03-05T10:00")
    assert scan(core).escalations == 0


def test_a_met_deadline_sends_nothing_more(core: Juece, clock: Clock) -> None:
    did = review_requested(core, clock)
    clock.set("2026-02-26T09:00")
    scan(core)
    clock.set("2026-02-26T15:00")
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": "合法"}, password=PASSWORD)
    core.act(did, "sign_legality_opinion", "reviewer", {"outcome": "lawful", "opinion": "合法"}, password=PASSWORD)
    clock.set("2026-03-10T10:00")
    result = scan(core)
    assert (result.reminders, result.overdue) == (0, 0)
    with core.db.read() as conn:
        statuses = {r.status for r in conn.execute(select(DL.c.status).where(DL.c.key == "legality_review_due"))}
    assert statuses == {"closed"}


def test_a_reminder_whose_deadline_was_met_before_sending_is_cancelled(core: Juece, clock: Clock) -> None:
    did = review_requested(core, clock)
    clock.set("2026-02-26T09:00")
    scan(core)
    core.act(did, "return_materials", "reviewer", {"reason": "缺少法律依据清单"})
    ids = outbox.relay(core, DELIVERY)
    assert len(ids) == 2 and all(outbox.claim(core, i, DELIVERY) is None for i in ids)
    with core.db.read() as conn:
        assert {r.status for r in conn.execute(select(DY.c.status))} == {"cancelled"}


def test_stalled_decision_alerts_owner_and_supervisor_once(core: Juece, clock: Clock) -> None:
    admin.update_org_settings(core, "古塘街道", {"supervisor": "chief"})
    did = new_decision(core)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办"})
    clock.advance(days=40)  # 20 working days with no action
    result = scan(core)
    assert result.stalls == 1 and {who for k, who, _ in notifications(core) if k == "stall"} == {"owner", "chief"}
    clock.advance(days=1)
    assert scan(core).stalls == 0
    core.act(did, "upload_draft", "owner", {"content": "草案"})  # the clock restarts
    clock.advance(days=40)
    assert scan(core).stalls == 1


def test_extend_and_pause_are_audited_and_only_for_the_chief(core: Juece, clock: Clock) -> None:
    did = review_requested(core, clock)
    admin.add_user(core, "管理员", ["admin"], "古塘街道", "党政综合办")
    keys.change_password(core, "管理员", PASSWORD)
    # The 行政首长 answers for statutory deadlines: neither the owner nor an administrator moves one.
    for who in ("owner", "管理员"):
        with pytest.raises(Forbidden):
            change_deadline(core, did, "legality_review_due", who, "材料补充", dt.date(2026, 3, 10), password=PASSWORD)
    with pytest.raises(WorkflowError) as info:  # the chief's own act, signed: a typed name is not enough
        change_deadline(core, did, "legality_review_due", "chief", "审查事项复杂", dt.date(2026, 3, 10))
    assert info.value.code == "signing_password_required"
    change_deadline(core, did, "legality_review_due", "chief", "审查事项复杂，延长审查期限", dt.date(2026, 3, 10),
                    password=PASSWORD)
    clock.set("2026-03-01T00:30")
    assert scan(core).overdue == 0
    change_deadline(core, did, "legality_review_due", "chief", "等待上级答复", None, password=PASSWORD)
    clock.set("2026-03-11T00:30")
    assert scan(core).overdue == 0
    with core.db.read() as conn:
        report = verify_all(conn, core.catalog, [did])
        actions = [r[0] for r in conn.execute(text("SELECT action FROM audit_event WHERE stream = :s ORDER BY seq"),
                                              {"s": f"decision:{did}"})]
    assert report.ok, report.problems
    assert actions[-2:] == ["deadline_extended", "deadline_paused"]
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": "合法"}, password=PASSWORD)  # the decision moves on as usual


def test_outbox_retries_with_backoff_then_gives_up(core: Juece, clock: Clock) -> None:
    review_requested(core, clock)
    clock.set("2026-02-26T09:00")
    scan(core)
    delivery = outbox.relay(core, DELIVERY)[0]
    policy = dataclasses.replace(DELIVERY, backoff=(dt.timedelta(seconds=30), dt.timedelta(minutes=2)), max_attempts=3)
    for attempt, expected in [(1, "pending"), (2, "pending"), (3, "failed")]:
        claim = outbox.claim(core, delivery, policy)
        assert claim is not None and claim.attempt == attempt
        assert outbox.complete(core, delivery, policy, "550 refused") == expected
        clock.advance(minutes=3)
    assert outbox.claim(core, delivery, DELIVERY) is None
    with core.db.read() as conn:
        row = conn.execute(select(DY.c.status, DY.c.last_error).where(DY.c.id == delivery)).one()
    assert row == ("failed", "550 refused")


def test_concurrent_scans_on_postgres_notify_once(pg_database: object, clock: Clock) -> None:
    from tests.conftest import make_core

    core = make_core(pg_database, clock)  # type: ignore[arg-type]
    review_requested(core, clock)
    clock.set("2026-03-01T00:30")
    threads = [threading.Thread(target=scan, args=(core,)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with core.db.read() as conn:
        # The overdue alert to the reviewer and to the supervisor, each once, whatever the number of scans.
        assert conn.execute(select(func.count()).select_from(N)).scalar_one() == 2
        assert conn.execute(select(func.count()).select_from(DY)).scalar_one() == 2


class _Hook(http.server.BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append((dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def hook_url() -> Iterator[str]:
    _Hook.received = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("fmt", ["json", "dingtalk"])
def test_webhook_is_signed_and_optionally_dingtalk_shaped(core: Juece, clock: Clock, hook_url: str, fmt: str) -> None:
    from worker.channels import send_webhook

    core.outbound = OutboundPolicy(("127.0.0.1",))  # a test server on this machine: allowed explicitly
    admin.update_org_settings(core, "古塘街道", {"webhook_url": hook_url, "webhook_secret": "s3cret",
                                             "webhook_format": fmt})
    review_requested(core, clock, emails=False)
    clock.set("2026-02-26T09:00")
    assert scan(core).deliveries == 1  # one message to the office's group channel
    delivery = outbox.relay(core, DELIVERY)[0]
    claim = outbox.claim(core, delivery, DELIVERY)
    assert claim is not None
    send_webhook(claim, "s3cret", fmt, policy=core.outbound, deadline=lease_end())
    headers, body = _Hook.received[0]
    payload = json.loads(body)
    if fmt == "json":
        expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        assert headers["X-Juece-Signature"] == expected
        assert payload["subject"].startswith("【提醒】") and payload["idempotency_key"] == claim.wire_key == headers["X-Juece-Idempotency-Key"]
    else:
        assert payload["msgtype"] == "markdown" and "合法性审查期限" in payload["markdown"]["text"]


def test_the_yearly_catalogue_deadline_is_named_for_the_office(core: Juece, clock: Clock) -> None:
    admin.update_org_settings(core, "古塘街道", {"supervisor": "chief"})
    did = new_decision(core)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办"})  # starts the office's catalogue deadline
    clock.set("2026-04-01T00:30")
    scan(core)
    subjects = [subject for kind, who, subject in notifications(core) if kind == "overdue"]
    assert subjects == ["【逾期】古塘街道：年度决策事项目录公布已于2026-03-31 24:00届满"]
