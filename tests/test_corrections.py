"""Corrections append (Art. 33): a new version with a reason; the earlier one stays visible and verifiable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from tests.helpers import MEETING, PASSWORD, Clock, local_iso, new_decision, to_collective_discussion, to_consultation
from workflow.engine.errors import RuleViolation
from workflow.persistence.store import DL
from workflow.record import records
from workflow.record.audit import verify_all
from workflow.service import Juece
from workflow.views.queries import show_decision


def refusal(call: Callable[[], Any]) -> RuleViolation:
    with pytest.raises(RuleViolation) as info:
        call()
    assert info.value.article
    return info.value


def shown(core: Juece, clock: Clock, did: int) -> dict[str, Any]:
    with core.db.read() as conn:
        assert verify_all(conn, core.catalog, [did]).ok
        return show_decision(conn, core.catalog, did, clock.now)


def window(clock: Clock, days: int) -> dict[str, str]:
    return {"opens_at": local_iso(clock.now), "closes_at": local_iso(clock.now + dt.timedelta(days=days))}


def hearing_recorded(core: Juece, clock: Clock) -> int:
    did = new_decision(core, ["hearing_required"])
    to_consultation(core, did, ["hearing_required"])
    core.act(did, "schedule_hearing", "owner", {
        "hearing_at": local_iso(clock.now + dt.timedelta(days=8)), "place": "会议室", "selection_method": "随机抽取",
        "participants": ["甲"]})
    core.act(did, "deliver_hearing_materials", "owner")
    clock.advance(days=8)
    core.act(did, "record_hearing", "owner", {"record": "听证笔录（初稿）"}, password=PASSWORD)
    return did


def meeting_recorded(core: Juece, clock: Clock) -> int:
    did = new_decision(core)
    to_collective_discussion(core, clock, did)
    core.act(did, "record_meeting", "secretary", MEETING)
    return did


# Each record type: (set-up, action, who corrects, corrected data, facts key, a field that changed)
CASES: dict[str, tuple[Callable[[Juece, Clock], int], str, str, Callable[[Clock], dict[str, Any]], str, str]] = {
    "meeting": (meeting_recorded, "record_meeting", "secretary",
                lambda c: MEETING | {"minutes": "会议纪要（更正：补记秘书意见）"}, "meeting", "minutes"),
    "opinion": (lambda core, clock: _collective(core, clock), "sign_legality_opinion", "reviewer",
                lambda c: {"outcome": "lawful", "opinion": "经审查合法（更正笔误）"}, "opinion", "hash"),
    "hearing record": (hearing_recorded, "record_hearing", "owner",
                       lambda c: {"record": "听证笔录（参加人签字版）"}, "hearing", "record"),
    "window": (lambda core, clock: _window(core, clock), "open_public_comment", "owner",
               lambda c: window(c, 40), "comment_window", "closes_at"),
}


def _collective(core: Juece, clock: Clock) -> int:
    did = new_decision(core)
    to_collective_discussion(core, clock, did)
    return did


def _window(core: Juece, clock: Clock) -> int:
    did = new_decision(core)
    to_consultation(core, did)
    core.act(did, "open_public_comment", "owner", window(clock, 32))
    return did


@pytest.mark.parametrize("case", CASES)
def test_art33_a_correction_appends_a_version_and_keeps_the_first(core: Juece, clock: Clock, case: str) -> None:
    setup, action, who, data, key, changed = CASES[case]
    did = setup(core, clock)
    before = shown(core, clock, did)
    first = before["facts"][key]
    result = records.correct(core, did, action, who, data(clock), "原记录有笔误", password=PASSWORD)
    assert result.state == before["state"]
    after = shown(core, clock, did)  # audit verify holds (checked in shown)
    current = after["facts"][key]
    assert (current["version"], current["correction"]["reason"]) == (2, "原记录有笔误")
    assert current[changed] != first[changed]
    assert after["facts"]["superseded"][key] == [first]  # the earlier version stays visible
    assert after["history"][-1]["correction"] == {"reason": "原记录有笔误", "version": 2, "of_version": 1}
    # Only the version in force can be corrected: version 1 is history now.
    error = refusal(lambda: records.correct(core, did, action, who, data(clock), "再改", of_version=1))
    assert (error.code, error.details) == ("correction_of_superseded_version", {"current": 2, "requested": 1})
    records.correct(core, did, action, who, data(clock), "第三版", of_version=2, password=PASSWORD)
    assert shown(core, clock, did)["facts"]["superseded"][key] == [first, current]


@pytest.mark.parametrize("case", CASES)
def test_art33_a_correction_needs_its_reason(core: Juece, clock: Clock, case: str) -> None:
    setup, action, who, data, _, _ = CASES[case]
    did = setup(core, clock)
    assert refusal(lambda: records.correct(core, did, action, who, data(clock), "  ")).code == (
        "correction_reason_required")


def test_art33_a_correction_never_changes_the_opinion_outcome(core: Juece, clock: Clock) -> None:
    did = _collective(core, clock)
    error = refusal(lambda: records.correct(core, did, "sign_legality_opinion", "reviewer",
                                            {"outcome": "unlawful", "opinion": "不合法"}, "改结论"))
    assert (error.code, error.details["recorded"]) == ("correction_changes_outcome", "lawful")


def test_art30_recording_the_meeting_again_is_refused_in_favour_of_a_correction(core: Juece, clock: Clock) -> None:
    did = meeting_recorded(core, clock)
    error = refusal(lambda: core.act(did, "record_meeting", "secretary", MEETING))
    assert error.code == "record_exists_use_correction"


def test_art15_a_corrected_window_closes_the_old_deadline_rows(core: Juece, clock: Clock) -> None:
    did = _window(core, clock)
    assert refusal(lambda: core.act(did, "open_public_comment", "owner", window(clock, 35))).code == (
        "record_exists_use_correction")
    records.correct(core, did, "open_public_comment", "owner", window(clock, 40), "延长征求意见期限")
    with core.db.read() as conn:
        rows = conn.execute(select(DL.c.key, DL.c.kind, DL.c.due_at, DL.c.status).where(
            DL.c.decision_id == did, DL.c.key == "public_comment_close")).all()
    open_rows = [r for r in rows if r.status == "open"]
    assert open_rows and {r.status for r in rows if r not in open_rows} == {"closed"}
    new_close = (clock.now + dt.timedelta(days=40)).replace(tzinfo=None, microsecond=0)
    assert {r.due_at.replace(microsecond=0) for r in open_rows if r.kind == "due"} == {new_close}
