"""In Chromium: stale adoption-report and meeting forms keep every answer on its own item and are taken when sent again."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.helpers import PASSWORD, Clock, local_iso, new_decision, to_collective_discussion
from tests.web.conftest import People
from tests.web.test_browser import browser_page, check_accessibility, open_action, sign_in, submit
from tests.web.test_stale_forms import ANSWERS, comments_open_with_inputs, recorded_entries
from workflow.record import records
from workflow.service import Juece
from workflow.views import dossier

__all__ = ["browser_page"]  # the fixture, imported for pytest


def test_a_stale_adoption_report_in_the_browser(browser_page: tuple[Any, str], core: Juece, clock: Clock,
                                                people: People) -> None:
    page, base = browser_page
    people.ensure("owner")
    did = comments_open_with_inputs(core, clock)
    sign_in(page, base, "owner")
    page.goto(f"{base}/decisions/{did}")
    open_action(page, "record_adoption_report")
    for key, (adoption, reason) in ANSWERS.items():
        page.select_option(f"#record_adoption_report-entries__{key}__adoption", adoption)
        page.fill(f"#record_adoption_report-entries__{key}__reason", reason)
    clock.advance(hours=1)
    core.act(did, "submit_comment", "citizen1", {"text": "建议夜间施工限时"})  # comment 3 arrives meanwhile
    submit(page, "record_adoption_report")

    alert = page.locator("#stale")
    assert "表单已过期" in alert.inner_text() and "新增 comment:3" in alert.inner_text()
    box = alert.bounding_box()
    assert box is not None and box["y"] < 400, f"the message is at the top of the page, not at {box}"
    for key, (adoption, reason) in ANSWERS.items():
        assert page.input_value(f"#record_adoption_report-entries__{key}__adoption") == adoption, key
        assert page.input_value(f"#record_adoption_report-entries__{key}__reason") == reason, key
    assert page.input_value("#record_adoption_report-entries__comment-3__adoption") == ""
    assert "新增" in page.locator("tr.new-row").inner_text()
    check_accessibility(page, "stale adoption report")

    page.select_option("#record_adoption_report-entries__comment-3__adoption", "adopted")
    submit(page, "record_adoption_report")
    assert "已完成：记录意见采纳情况" in page.inner_text("main")
    entries = recorded_entries(core, did)
    assert {ref: e["adoption"] for ref, e in entries.items()} == {
        "comment:1": "adopted", "comment:2": "not_adopted", "expert:1": "partly_adopted", "comment:3": "adopted"}
    assert entries["comment:2"]["reason"] == "与控制性详细规划冲突"


SPEAKERS = [("member1", "for", ""), ("secretary", "against", "资金压力较大"), ("chief", "for", "同意")]


def test_a_stale_meeting_record_in_the_browser(browser_page: tuple[Any, str], core: Juece, clock: Clock,
                                               people: People) -> None:
    page, base = browser_page
    people.ensure("secretary")
    did = new_decision(core)
    to_collective_discussion(core, clock, did)
    sign_in(page, base, "secretary")
    page.goto(f"{base}/decisions/{did}")
    open_action(page, "record_meeting")
    page.fill("#record_meeting-body", "街道主任办公会议")
    page.fill("#record_meeting-held_at", local_iso(clock.now + dt.timedelta(minutes=30))[:16])
    page.fill("#record_meeting-attendees", "member1\nsecretary\nchief")
    for i, (member, view, remarks) in enumerate(SPEAKERS):
        page.select_option(f"#record_meeting-views__{i}__member", member)
        page.select_option(f"#record_meeting-views__{i}__view", view)
        page.fill(f"#record_meeting-views__{i}__remarks", remarks)
    records.correct(core, did, "sign_legality_opinion", "reviewer", {"outcome": "lawful", "opinion": "经审查合法（更正）"},
                    "原意见有笔误", password=PASSWORD)  # the opinion is corrected meanwhile, before the meeting
    clock.advance(hours=1)
    submit(page, "record_meeting")

    alert = page.locator("#stale")
    assert "表单已过期" in alert.inner_text() and "reviewer" in alert.inner_text()
    box = alert.bounding_box()
    assert box is not None and box["y"] < 400, f"the message is at the top of the page, not at {box}"
    for i, (member, view, remarks) in enumerate(SPEAKERS):
        assert page.input_value(f"#record_meeting-views__{i}__member") == member
        assert page.input_value(f"#record_meeting-views__{i}__view") == view
        assert page.input_value(f"#record_meeting-views__{i}__remarks") == remarks
    assert page.input_value(f"#record_meeting-views__{len(SPEAKERS)}__member") == ""

    submit(page, "record_meeting")
    assert "已完成：记录集体讨论" in page.inner_text("main"), page.inner_text("main")[:1500]
    with core.db.read() as conn:
        event = [e for e in dossier.trail(conn, did) if e.action == "record_meeting"][-1]
    assert [(v["member"], v["view"], v["remarks"]) for v in event.data["views"]] == SPEAKERS
