"""The pages as an official uses them: inbox, catalogue and exports, decision page, forms, admin, XSS."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from flask import Flask
from openpyxl import load_workbook

from tests.helpers import (
    PASSWORD,
    Clock,
    adopt_all,
    local_iso,
    new_decision,
    to_collective_discussion,
    to_consultation,
    to_legality_review,
)
from tests.web.conftest import People, post_action, token
from workflow.admin import offices as admin
from workflow.notices.alerts import scan
from workflow.service import Juece

XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def _assert_escaped(page: str, shown: bool = True) -> None:
    assert "<script>alert(1)" not in page and "<img src=x onerror" not in page
    assert not shown or "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_inbox_orders_by_due_date_and_shows_overdue_working_days(core: Juece, clock: Clock, people: People) -> None:
    late, fresh = new_decision(core), new_decision(core)
    to_legality_review(core, clock, late)
    clock.advance(days=3)
    to_legality_review(core, clock, fresh)
    clock.advance(days=16)  # the first review (10 WD) is now overdue, the second nearly due
    page = people.client("reviewer").get("/").get_data(as_text=True)
    first, second = page.index(f'/decisions/{late}"'), page.index(f'/decisions/{fresh}"')
    assert first < second
    assert re.search(r'class="overdue">已逾期 \d+ 个工作日', page)
    assert "签署合法性审查意见" in page and "合法性审查期限" in page
    assert "目前没有等待您办理的事项" in people.client("expert2").get("/").get_data(as_text=True)


def test_notifications_can_be_acknowledged(core: Juece, clock: Clock, people: People) -> None:
    did = new_decision(core)
    to_legality_review(core, clock, did)
    clock.advance(days=20)
    scan(core)
    client = people.client("reviewer")
    page = client.get("/").get_data(as_text=True)
    assert "合法性审查期限" in page and 'type="submit">确认' in page
    number = int(re.search(r"/notifications/(\d+)/ack", page).group(1))  # type: ignore[union-attr]
    assert client.post(f"/notifications/{number}/ack", data={}).status_code == 400
    done = client.post(f"/notifications/{number}/ack", data={"csrf_token": token(page)})
    assert done.status_code == 303
    assert "已确认" in client.get("/").get_data(as_text=True)
    assert people.client("owner").post(f"/notifications/{number}/ack", data={"csrf_token": token(page)}).status_code in (
        400, 404)


def test_catalogue_filters_and_formula_safe_exports(core: Juece, clock: Clock, people: People) -> None:
    done = core.create_decision("cn-713", "=HYPERLINK(\"http://x\")界牌", "owner")
    to_collective_discussion(core, clock, done)
    core.create_decision("cn-713", "+SUM(A1)道路", "owner")
    client = people.client("owner")
    page = client.get("/catalogue?year=2026").get_data(as_text=True)
    assert "决策事项目录 2026" in page and "公众参与" in page and "已完成" in page
    only = client.get("/catalogue?year=2026&state=collective_discussion").get_data(as_text=True)
    assert "界牌" in only and "道路" not in only
    rows = list(csv.reader(io.StringIO(client.get("/catalogue.csv?year=2026").get_data(as_text=True).lstrip("\ufeff"))))
    titles = [r[1] for r in rows[1:]]
    assert "'=HYPERLINK(\"http://x\")界牌" in titles and "'+SUM(A1)道路" in titles
    book = load_workbook(io.BytesIO(client.get("/catalogue.xlsx?year=2026").data))
    cells = [c.value for c in book.active["B"]]  # type: ignore[index]
    assert "'=HYPERLINK(\"http://x\")界牌" in cells and all(not str(c).startswith("=") for c in cells)
    assert rows[0][:2] == ["编号", "事项名称"]


def test_refused_action_shows_rule_and_article_and_keeps_input(core: Juece, clock: Clock, people: People) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    client = people.client("owner")
    opens = clock.now
    response = post_action(client, did, "open_public_comment", {
        "opens_at": local_iso(opens)[:16], "closes_at": local_iso(opens + dt.timedelta(days=10))[:16],
        "channels": "街道网站\n公告栏"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "公开征求意见的期限一般不少于30日" in page and "Art. 15" in page and "comment_window_too_short" in page
    assert "街道网站\n公告栏" in page and "data-comment-window" in page
    client.get("/lang/en", headers={"Referer": f"/decisions/{did}"})
    english = post_action(client, did, "open_public_comment", {
        "opens_at": local_iso(opens)[:16], "closes_at": local_iso(opens + dt.timedelta(days=5))[:16]})
    assert "at least 30 days" in english.get_data(as_text=True) and "Refused" in english.get_data(as_text=True)


def test_stale_form_says_who_did_what_and_when(core: Juece, clock: Clock, people: People) -> None:
    did = new_decision(core)
    client = people.client("owner")
    page = client.get(f"/decisions/{did}").get_data(as_text=True)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办"})
    response = client.post(f"/decisions/{did}/act/decline", data={
        "decline-csrf_token": token(page), "decline-expected_version": "1", "decline-reason": "不再需要"})
    text = response.get_data(as_text=True)
    assert response.status_code == 412 and "表单已过期" in text and "启动决策程序" in text and "不再需要" in text


def test_stale_form_names_the_other_person(core: Juece, clock: Clock, people: People) -> None:
    did = new_decision(core)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办"})
    client = people.client("owner2")
    page = client.get(f"/decisions/{did}").get_data(as_text=True)
    core.act(did, "upload_draft", "owner", {"content": "草案"})
    response = client.post(f"/decisions/{did}/act/upload_draft", data={
        "upload_draft-csrf_token": token(page), "upload_draft-expected_version": "2",
        "upload_draft-content__text": "我的草案"})
    text = response.get_data(as_text=True)
    assert response.status_code == 412 and "表单已过期" in text and "owner 已于 2026-03-02 09:00" in text
    assert "上传决策草案" in text and "我的草案" in text


def test_signing_needs_the_password_and_shows_verified(core: Juece, clock: Clock, people: People) -> None:
    did = new_decision(core)
    to_legality_review(core, clock, did)
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": "合法"}, password=PASSWORD)
    client = people.client("reviewer")
    wrong = post_action(client, did, "sign_legality_opinion", {"outcome": "lawful", "opinion__text": "经审查合法",
                                                               "password": "not-my-password"})
    assert wrong.status_code == 403 and "密码不正确，未签名" in wrong.get_data(as_text=True)
    assert "经审查合法" in wrong.get_data(as_text=True)
    ok = post_action(client, did, "sign_legality_opinion", {"outcome": "lawful", "opinion__text": "经审查合法",
                                                            "password": "correct-horse-battery"})
    assert ok.status_code == 303
    page = client.get(f"/decisions/{did}").get_data(as_text=True)
    assert "由 reviewer 签名，已验证" in page and "针对草案第 1 版" in page and "集体讨论决定" in page


def test_uploads_are_limited_stored_by_hash_and_downloadable(core: Juece, people: People) -> None:
    did = new_decision(core)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办"})
    client = people.client("owner")
    page = client.get(f"/decisions/{did}").get_data(as_text=True)
    base = {"upload_draft-csrf_token": token(page), "upload_draft-expected_version": "2"}
    bad = client.post(f"/decisions/{did}/act/upload_draft", data=base | {
        "upload_draft-content": (io.BytesIO(b"MZ..."), "tool.exe")}, content_type="multipart/form-data")
    assert bad.status_code == 422 and "不接受这种文件类型" in bad.get_data(as_text=True)
    name = "<img src=x onerror=alert(2)>.docx"
    good = client.post(f"/decisions/{did}/act/upload_draft", data=base | {
        "upload_draft-content": (io.BytesIO("草案正文".encode()), name)}, content_type="multipart/form-data")
    assert good.status_code == 303
    page = client.get(f"/decisions/{did}").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(2)&gt;.docx" in page
    link = re.search(r'href="(/decisions/\d+/documents/[0-9a-f]{64})"', page).group(1)  # type: ignore[union-attr]
    download = client.get(link)
    assert download.data == "草案正文".encode() and download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_markup_is_shown_as_text_everywhere(core: Juece, clock: Clock, people: People) -> None:
    admin.add_user(core, XSS, ["public"], "古塘街道", unit=XSS)
    did = core.create_decision("cn-713", XSS, "owner")
    to_consultation(core, did)
    core.act(did, "open_public_comment", "owner", {"opens_at": local_iso(clock.now),
                                                   "closes_at": local_iso(clock.now + dt.timedelta(days=31))})
    clock.advance(days=1)
    core.act(did, "submit_comment", XSS, {"text": XSS})
    clock.advance(days=31)
    adopt_all(core, did, ["comment:1"])
    core.act(did, "submit_legality_review", "owner", {})
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": XSS}, password=PASSWORD)
    core.act(did, "sign_legality_opinion", "reviewer", {"outcome": "lawful", "opinion": f"意见{XSS}"}, password=PASSWORD)
    for name in ("reviewer", "secretary", XSS):
        client = people.client(name)
        for path in ("/", f"/decisions/{did}", "/catalogue"):
            _assert_escaped(client.get(path).get_data(as_text=True), shown=path != "/" or name == "secretary")
    users = people.client("admin").get("/admin/users").get_data(as_text=True)
    _assert_escaped(users)
    assert "Content-Security-Policy" in people.client("owner").get("/").headers


def test_admin_adds_people_sets_passwords_settings_and_calendar(core: Juece, people: People, app: Flask) -> None:
    client = people.client("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    added = client.post("/admin/users", data={"which": "add", "add-csrf_token": token(page), "add-name": "新人",
                                               "add-unit": "城建办", "add-roles": ["owner"],
                                               "add-password": "a-long-password"})
    assert added.status_code == 303
    fresh = app.test_client()
    login = fresh.get("/login").get_data(as_text=True)
    assert fresh.post("/login", data={"csrf_token": token(login), "username": "新人",
                                      "password": "a-long-password"}).status_code == 302
    short = client.post("/admin/users", data={"which": "pw", "pw-csrf_token": token(page), "pw-user": "新人",
                                               "pw-password": "short"})
    assert short.status_code == 400 and "密码至少 10 个字符" in short.get_data(as_text=True)
    office = client.get("/admin/office").get_data(as_text=True)
    saved = client.post("/admin/office", data={
        "csrf_token": token(office), "collective_body": "党工委会议", "legality_review_unit": "司法所",
        "legality_review_days": "12", "contract_review_days": "5", "stall_days": "20", "expert_opinions_min": "2",
        "escalation_working_days": "2", "supervisor": "chief"})
    assert saved.status_code == 303
    assert 'value="党工委会议"' in client.get("/admin/office").get_data(as_text=True)
    cal = client.get("/admin/calendar").get_data(as_text=True)
    assert client.post("/admin/calendar", data={"csrf_token": token(cal), "day": "2026-04-10",
                                                "name": "台风停工"}).status_code == 303
    assert "台风停工" in client.get("/admin/calendar").get_data(as_text=True)


def test_english_switch_and_local_times(core: Juece, clock: Clock, people: People) -> None:
    did = new_decision(core)
    client = people.client("owner")
    assert "我的待办" in client.get("/").get_data(as_text=True)
    client.get("/lang/en")
    page = client.get(f"/decisions/{did}").get_data(as_text=True)
    assert "Timeline and audit trail" in page and "Proposal" in page and "2026-03-02 09:00" in page
    assert "My inbox" in client.get("/").get_data(as_text=True)
    assert client.get("/lang/en", headers={"Referer": "https://evil.example/x"}).headers["Location"] == "/"


def test_art3_catalogue_page_records_the_catalogues_publication(core: Juece, clock: Clock, people: People) -> None:
    clock.set("2026-03-02T09:00")
    did = new_decision(core)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办"})  # starts the office's catalogue deadline
    owner = people.client("owner")
    page = owner.get("/catalogue?year=2026").get_data(as_text=True)
    assert "本年度目录尚未记录公布（应于 2026-03-31 前公布）" in page and "记录目录公布" not in page
    form = {"csrf_token": token(page), "year": "2026", "reference": "古街办〔2026〕5号", "party_consent": "古街党〔2026〕3号",
            "channels": "慈溪市人民政府网站\n古塘街道微信公众号", "published_on": ""}
    assert owner.post("/catalogue/publish", data=form).status_code == 403
    chief = people.client("chief")
    page = chief.get("/catalogue?year=2026").get_data(as_text=True)
    assert "记录目录公布" in page
    refused = chief.post("/catalogue/publish", data=form | {"csrf_token": token(page), "party_consent": ""})
    assert refused.status_code == 422 and "经同级党委同意后向社会公布" in refused.get_data(as_text=True)
    done = chief.post("/catalogue/publish", data=form | {"csrf_token": token(page)})
    assert done.status_code == 303 and done.headers["Location"].endswith("/catalogue?year=2026")
    page = chief.get("/catalogue?year=2026").get_data(as_text=True)
    assert "已记录 2026 年度决策事项目录公布（第 1 次）" in page
    assert "古街办〔2026〕5号" in page and "慈溪市人民政府网站、古塘街道微信公众号" in page and "记录目录调整" in page
    assert "本年度目录尚未记录公布" not in owner.get("/catalogue?year=2026").get_data(as_text=True)


def test_art30_meeting_form_lists_observers_apart_from_members(core: Juece, clock: Clock, people: People) -> None:
    did = new_decision(core)
    to_collective_discussion(core, clock, did)
    clock.set("2026-05-06T11:00")
    client = people.client("secretary")
    page = client.get(f"/decisions/{did}").get_data(as_text=True)
    assert 'id="record_meeting-observers"' in page and "每位出席成员都须发表意见" in page
    rows = {f"views__{i}__{part}": "" for i in range(8) for part in ("member", "view", "remarks")}
    fields = rows | {"held_at": "2026-05-06T09:00", "attendees": "member1\nchief", "observers": "secretary\nowner",
                     "views__0__member": "member1", "views__0__view": "for", "views__1__member": "chief",
                     "views__1__view": "for"}
    missing = post_action(client, did, "record_meeting", fields | {"attendees": "member1\nchief\nexpert1"})
    assert missing.status_code == 422 and "expert1" in missing.get_data(as_text=True)
    assert post_action(client, did, "record_meeting", fields).status_code == 303
