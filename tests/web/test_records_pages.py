"""补录 and 更正 on the pages, in the API answer and in the export (Art. 33: the record says how it was made)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from flask import Flask

from api.web.forms import VIEW_ROWS
from tests.helpers import MEETING, Clock, local_iso, new_decision, to_collective_discussion, to_consultation
from tests.web.conftest import People, post_action, token
from workflow.service import Juece


def _backfilled_window(core: Juece, clock: Clock, people: People) -> tuple[int, str]:
    """A comment window that ran offline before juece, entered by the owner as 补录 on the page."""
    did = new_decision(core)
    to_consultation(core, did)
    clock.advance(days=60)
    opens = clock.now - dt.timedelta(days=50)
    owner = people.client("owner")
    fields = {"opens_at": local_iso(opens)[:16], "closes_at": local_iso(opens + dt.timedelta(days=35))[:16],
              "backfill_occurred_at": local_iso(opens)[:16], "backfill_reason": "系统上线前已在政府网站公开征求意见"}
    # Without the 补录 fields the same past window is refused, naming the rule and the instants.
    plain = {k: v for k, v in fields.items() if not k.startswith("backfill")}
    refused = post_action(owner, did, "open_public_comment", plain)
    assert refused.status_code == 422
    assert "window_starts_before_entry" in refused.get_data(as_text=True)
    requested = post_action(owner, did, "open_public_comment", fields)
    assert requested.status_code == 303, requested.get_data(as_text=True)[:2000]
    return did, opens.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")


def test_art33_backfill_on_the_page_waits_for_the_chief_and_is_marked(
        core: Juece, clock: Clock, people: People) -> None:
    did, occurred = _backfilled_window(core, clock, people)
    owner_page = people.client("owner").get(f"/decisions/{did}").get_data(as_text=True)
    assert "待确认的补录申请" in owner_page and "待行政首长确认" in owner_page
    assert "确认补录" not in owner_page  # the requester cannot answer their own request
    chief = people.client("chief")
    inbox = chief.get("/").get_data(as_text=True)
    assert "【补录待确认】" in inbox
    page = chief.get(f"/decisions/{did}").get_data(as_text=True)
    seq = int(re.search(rf"/decisions/{did}/backfills/(\d+)/confirm", page).group(1))  # type: ignore[union-attr]
    answered = chief.post(f"/decisions/{did}/backfills/{seq}/confirm", data={"csrf_token": token(page)})
    assert answered.status_code == 303
    page = people.client("owner").get(f"/decisions/{did}").get_data(as_text=True)
    assert "待确认的补录申请" not in page
    assert 'class="badge backfill">补录</span>' in page
    assert f"实际发生于 {occurred}" in page and "系统上线前已在政府网站公开征求意见" in page


def test_art33_backfill_is_marked_in_the_api_answer_and_the_export(
        core: Juece, clock: Clock, people: People, app: Flask) -> None:
    from workflow.admin.tokens import create_token
    from workflow.record import records

    did, _ = _backfilled_window(core, clock, people)
    seq = records.pending_backfills(core, did)[0]["seq"]
    records.confirm_backfill(core, did, seq, "chief")
    token_text = create_token(core, "owner", days=1).secret
    answer = app.test_client().get(f"/api/v1/decisions/{did}", headers={"Authorization": f"Bearer {token_text}"})
    assert answer.status_code == 200
    marked = [h for h in answer.get_json()["history"] if h.get("backfill")]
    assert [h["action"] for h in marked] == ["open_public_comment"]
    assert (marked[0]["backfill"]["approved_by"], marked[0]["backfill"]["requested_by"]) == ("chief", "owner")
    year = clock.now.astimezone(dt.timezone(dt.timedelta(hours=8))).year
    exported = people.client("owner").get(f"/catalogue.csv?year={year}").get_data(as_text=True).lstrip("\ufeff")
    table = list(csv.reader(io.StringIO(exported)))
    column = table[0].index("补录环节")
    row = next(r for r in table[1:] if r[0] == str(did))
    assert row[column] == "公开征求意见"


def test_art33_a_meeting_corrected_on_the_page_keeps_its_first_version(
        core: Juece, clock: Clock, people: People) -> None:
    did = new_decision(core)
    to_collective_discussion(core, clock, did)
    core.act(did, "record_meeting", "secretary", MEETING)
    client = people.client("secretary")
    page = client.get(f"/decisions/{did}").get_data(as_text=True)
    assert "更正：记录集体讨论（现行第 1 版）" in page
    version = re.search(r'name="fix-record_meeting-expected_version" type="hidden" value="(\d+)"', page)
    assert version
    fields = {"fix-record_meeting-csrf_token": token(page), "fix-record_meeting-expected_version": version.group(1),
              "fix-record_meeting-held_at": "2026-05-06T09:00", "fix-record_meeting-attendees": "chief\nmember1\nsecretary",
              "fix-record_meeting-correction_reason": "补记会议名称",
              "fix-record_meeting-body": "主任办公会议（第5次）"}
    views = list(MEETING["views"])
    for i in range(VIEW_ROWS):  # the browser sends every row of the table, empty ones as ""
        view = views[i] if i < len(views) else {"member": "", "view": "", "remarks": ""}
        fields[f"fix-record_meeting-views__{i}__member"] = view["member"]
        fields[f"fix-record_meeting-views__{i}__view"] = view["view"]
        fields[f"fix-record_meeting-views__{i}__remarks"] = view.get("remarks", "")
    done = client.post(f"/decisions/{did}/correct/record_meeting", data=fields, content_type="multipart/form-data")
    assert done.status_code == 303, re.findall(r"role=\"alert\">(.*?)</div>", done.get_data(as_text=True), re.S)
    page = client.get(f"/decisions/{did}").get_data(as_text=True)
    assert 'class="badge correction">更正</span>' in page and "补记会议名称" in page
    assert "更正前的版本" in page and "更正：记录集体讨论（现行第 2 版）" in page
    assert "完整，未被篡改" in page
