"""December without next year's calendar, in the browser's place: pages and the API answer, deadlines that
need 2027 say they await its calendar, administrators are told, and importing the notice (the system administrator's, on the CLI)
computes them."""

from __future__ import annotations

import io
from pathlib import Path

from flask import Flask

from tests.helpers import Clock, local_iso, new_decision, to_consultation, to_implementation
from tests.web.conftest import People, post_action, token
from workflow.admin import offices as admin
from workflow.admin import tokens
from workflow.notices.alerts import scan
from workflow.service import Juece

FIXTURE_2027 = Path(__file__).parent.parent / "fixtures" / "calendar-2027.yaml"  # a fixture, not the real notice
AWAITING = "待导入2027年节假日安排后计算"


def _page(people: People, user: str, path: str) -> str:
    response = people.client(user).get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def test_pages_work_on_while_2027_is_missing_and_the_import_computes_what_waited(
        core: Juece, clock: Clock, people: People, app: Flask) -> None:
    clock.set("2026-11-02T09:00")
    published = new_decision(core)
    to_implementation(core, clock, published)  # published early December
    clock.set("2026-12-10T10:00")
    # Art. 34: the next implementation report falls due 3 months on, 2027-03-10; whether that is a working day
    # needs 2027.
    core.act(published, "report_progress", "executor", {"report": "一期工程已开工"})
    commented = new_decision(core)
    to_consultation(core, commented)
    core.act(commented, "open_public_comment", "owner", {  # a shortened window with its reason, closing in 2027
        "opens_at": local_iso(clock.now), "closes_at": "2027-01-05T17:00:00+08:00", "short_reason": "防汛工程紧急"})
    reviewed = new_decision(core)
    to_consultation(core, reviewed)
    core.act(reviewed, "record_participation", "owner", {"method": "symposium", "summary": "座谈会"})
    core.act(reviewed, "submit_legality_review", "owner", {"due_on": "2027-01-20"})

    # The web form path works too: a new decision initiated on the page.
    client = people.client("owner")
    fresh = new_decision(core)
    assert post_action(client, fresh, "initiate", {"owner_unit": "城建办"}).status_code == 303

    implementation = _page(people, "executor", f"/decisions/{published}")
    assert "执行情况报告" in implementation and AWAITING in implementation
    review = _page(people, "reviewer", f"/decisions/{reviewed}")
    assert "合法性审查期限" in review and AWAITING in review
    assert AWAITING in _page(people, "reviewer", "/")  # the reviewer's inbox: the due date awaits the calendar
    owner_inbox = _page(people, "owner", "/")
    assert "2027-01-05 17:00" in owner_inbox and "剩余工作日待导入2027年日历后计算" in owner_inbox
    created = _page(people, "owner", f"/decisions/{fresh}")
    assert "久拖不决" in created and AWAITING in created  # the stall clock of a decision created in December
    for path in ("/catalogue", f"/decisions/{commented}", "/decisions/new"):
        _page(people, "owner", path)
    administrator = people.client("admin")
    calendar_page = administrator.get("/admin/calendar").get_data(as_text=True)
    assert "缺少 2027 年的国务院办公厅节假日安排" in calendar_page

    secret = tokens.create_token(core, "reviewer", name="tests").secret
    detail = app.test_client().get(f"/api/v1/decisions/{reviewed}", headers={"Authorization": f"Bearer {secret}"})
    assert detail.status_code == 200
    body = detail.get_json()
    assert [(d["key"], d["status"], d["due_at"], d["awaiting_year"]) for d in body["deadlines"]
            if d["key"] == "legality_review_due"] == [("legality_review_due", "awaiting", None, 2027)]
    assert (body["stall_due_at"], body["stall_awaiting_year"]) == (None, 2027)

    assert scan(core).calendar_notices == 1
    admin_inbox = _page(people, "admin", "/")
    assert "请导入2027年法定节假日安排" in admin_inbox and "节假日日历" in admin_inbox

    upload = {"which": "import", "import-csrf_token": token(calendar_page),
              "import-notice": (io.BytesIO(FIXTURE_2027.read_bytes()), "2027.yaml")}
    refused = administrator.post("/admin/calendar", data=upload, content_type="multipart/form-data")
    # A national notice moves every office's deadlines: an office's admin may not import it, the system
    # administrator does (juece calendar import).
    assert refused.status_code == 403 and "juece calendar import" in refused.get_data(as_text=True)
    assert "缺少 2027" in administrator.get("/admin/calendar").get_data(as_text=True)
    assert admin.import_calendar(core, FIXTURE_2027)["resolved"]["deadlines"] >= 1
    after = administrator.get("/admin/calendar").get_data(as_text=True)
    assert "2027：已导入" in after and "缺少 2027" not in after

    implementation = _page(people, "executor", f"/decisions/{published}")
    assert AWAITING not in implementation and "2027-03-10 24:00" in implementation  # a Wednesday in the fixture
    review = _page(people, "reviewer", f"/decisions/{reviewed}")
    assert AWAITING not in review and "2027-01-20 24:00" in review
    reminders = app.test_client().get(f"/api/v1/decisions/{reviewed}",
                                      headers={"Authorization": f"Bearer {secret}"}).get_json()["deadlines"]
    # Reminders 2 working days before (Mon 01-18) and on the day, computed at the import.
    assert sorted((d["kind"], d["fire_at"]) for d in reminders if d["key"] == "legality_review_due") == [
        ("due", "2027-01-20T16:00:00.000000Z"), ("reminder", "2027-01-18T01:00:00.000000Z"),
        ("reminder", "2027-01-20T01:00:00.000000Z")]
    assert scan(core).calendar_notices == 0
