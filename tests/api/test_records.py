"""补录 and 更正 over the REST API: the same two-step back-entry and appended corrections as the pages."""

from __future__ import annotations

import datetime as dt

from tests.api.conftest import Api, problem
from tests.helpers import MEETING, Clock, local_iso, new_decision, to_collective_discussion, to_consultation
from workflow.service import Juece


def test_backfill_requested_by_the_owner_and_confirmed_by_the_chief(api: Api, core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    clock.advance(days=60)
    opens = clock.now - dt.timedelta(days=50)
    window = {"opens_at": local_iso(opens), "closes_at": local_iso(opens + dt.timedelta(days=35))}
    # As an ordinary action the past window is refused with the instants involved.
    body = problem(api.act(did, "open_public_comment", data=window), 422, "window_starts_before_entry")
    assert body["article"] == "Art. 15, Art. 33"
    created = api.post(f"decisions/{did}/backfills", json={
        "action": "open_public_comment", "data": window, "occurred_at": local_iso(opens), "reason": "线下已征求意见"})
    assert created.status_code == 201, created.get_data(as_text=True)
    seq = created.get_json()["request"]
    listed = api.get(f"decisions/{did}/backfills").get_json()["items"]
    assert [(r["seq"], r["action"], r["requested_by"]) for r in listed] == [(seq, "open_public_comment", "owner")]
    problem(api.post(f"decisions/{did}/backfills/{seq}/confirm", "owner"), 403, "role_not_permitted")
    problem(api.post(f"decisions/{did}/backfills/{seq}/confirm", "outsider"), 404)
    done = api.post(f"decisions/{did}/backfills/{seq}/confirm", "chief")
    assert done.status_code == 200, done.get_data(as_text=True)
    history = done.get_json()["decision"]["history"]
    assert history[-1]["backfill"]["reason"] == "线下已征求意见"
    assert done.get_json()["decision"]["facts"]["backfilled"][0]["action"] == "open_public_comment"
    problem(api.post(f"decisions/{did}/backfills/{seq}/confirm", "chief"), 404, "backfill_not_pending")


def test_backfill_input_errors_are_problems_not_crashes(api: Api, core: Juece) -> None:
    did = new_decision(core)
    problem(api.post(f"decisions/{did}/backfills", json={"action": "initiate", "data": {"owner_unit": "城建办"},
                                                        "occurred_at": "yesterday", "reason": "补"}), 400)
    problem(api.post(f"decisions/{did}/backfills", json={"action": "initiate", "data": {"owner_unit": "城建办"},
                                                        "occurred_at": "2024-01-01T12:99:00Z", "reason": "补"}), 400)
    problem(api.post(f"decisions/{did}/backfills", json={"action": "no_such_action", "data": {},
                                                        "occurred_at": "2026-03-02T08:00+08:00", "reason": "补"}),
            404, "unknown_action")


def test_a_meeting_is_corrected_over_the_api_and_the_old_version_stays(api: Api, core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_collective_discussion(core, clock, did)
    core.act(did, "record_meeting", "secretary", MEETING)
    problem(api.post(f"decisions/{did}/corrections/record_meeting", "secretary",
                     json={"data": MEETING, "reason": "补记会议名称", "of_version": 2}), 422,
            "correction_of_superseded_version")
    fixed = api.post(f"decisions/{did}/corrections/record_meeting", "secretary",
                     json={"data": MEETING | {"body": "主任办公会议（第5次）"}, "reason": "补记会议名称", "of_version": 1})
    assert fixed.status_code == 200, fixed.get_data(as_text=True)
    decision = fixed.get_json()["decision"]
    assert decision["facts"]["meeting"]["version"] == 2
    assert decision["facts"]["superseded"]["meeting"][0]["body"] is None
    assert decision["history"][-1]["correction"]["reason"] == "补记会议名称"
    problem(api.post(f"decisions/{did}/corrections/publish", "secretary", json={"data": {}, "reason": "x"}), 409,
            "correction_not_possible")
