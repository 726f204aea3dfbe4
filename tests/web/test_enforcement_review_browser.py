"""In Chromium: a major enforcement decision (重大行政执法决定法制审核) through the generated pages.

The case officer registers the case and submits it with its materials; the chief executive's early decision is
refused with 《行政处罚法》第五十八条's own words; the legal reviewer accepts and signs an "agree" opinion; the
chief executive then makes the decision. With CI=true a missing Chromium or axe-core fails the test.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.helpers import PASSWORD, Clock
from tests.web.conftest import People
from tests.web.test_browser import ARTIFACTS, browser_page, check_accessibility, open_action, sign_in, submit
from workflow.service import Juece

__all__ = ["browser_page"]  # the fixture, imported for pytest
CST = dt.timezone(dt.timedelta(hours=8))


def test_an_enforcement_decision_is_reviewed_and_decided_in_the_browser(
        browser_page: tuple[Any, str], core: Juece, clock: Clock, people: People) -> None:
    page, base = browser_page
    for name in ("owner", "reviewer", "chief"):
        people.ensure(name)

    # The case officer registers the case, uploads the proposed decision and submits the materials.
    sign_in(page, base, "owner")
    page.click("text=新建决策事项")
    page.fill("#title", "某餐饮店油烟污染案")
    page.select_option("#procedure", "enforcement-review")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    did = int(page.url.rsplit("/", 1)[1])
    open_action(page, "open_case")
    page.fill("#open_case-case_number", "古街综执立〔2026〕15号")
    page.select_option("#open_case-decision_kind", "penalty")
    page.fill("#open_case-filed_on", "2026-02-10")
    page.fill("#open_case-parties", "某餐饮店")
    page.check("input[name='open_case-flags'][value='public_interest']")
    page.fill("#open_case-case_handlers", "owner")
    submit(page, "open_case")
    open_action(page, "upload_proposed_decision")
    page.set_input_files("#upload_proposed_decision-content", files=[{
        "name": "行政处罚决定书（代拟稿）.docx", "mimeType": "application/octet-stream",
        "buffer": "行政处罚决定书（代拟稿）：罚款人民币二万元".encode()}])
    submit(page, "upload_proposed_decision")
    open_action(page, "submit_for_review")
    page.fill("#submit_for_review-investigation_report__text", "案件调查终结报告：违法事实清楚。")
    page.fill("#submit_for_review-evidence__text", "现场检查笔录、询问笔录、监测报告（合订本）")
    page.fill("#submit_for_review-evidence_list", "现场检查笔录\n询问笔录\n油烟监测报告")
    page.fill("#submit_for_review-legal_basis", "《中华人民共和国大气污染防治法》第一百一十八条")
    page.fill("#submit_for_review-discretion_statement", "依照本机关裁量基准第三档。")
    page.fill("#submit_for_review-proposal_statement", "拟罚款人民币二万元，并责令改正。")
    submit(page, "submit_for_review")
    assert "已送审待受理" in page.inner_text("main")
    check_accessibility(page, "enforcement case (owner)")

    # The chief executive may not decide before the review (CF58).
    clock.advance(hours=1)
    sign_in(page, base, "chief")
    page.goto(f"{base}/decisions/{did}")
    open_action(page, "record_decision")
    page.fill("#record_decision-decision_number", "古街综执罚决字〔2026〕8号")
    page.fill("#record_decision-decided_on", clock.now.astimezone(CST).date().isoformat())
    page.fill("#record_decision-decision_document__text", "行政处罚决定书")
    page.fill("#record_decision-summary", "罚款人民币二万元")
    page.fill("#record_decision-password", PASSWORD)
    submit(page, "record_decision")
    assert "未经法制审核或者审核未通过的，不得作出决定" in page.inner_text("main")

    # The legal reviewer accepts the case and signs an "agree" opinion.
    clock.advance(hours=1)
    sign_in(page, base, "reviewer")
    page.goto(f"{base}/decisions/{did}")
    open_action(page, "accept_for_review")
    submit(page, "accept_for_review")
    assert "法制审核期限" in page.inner_text("main")
    clock.advance(days=2)
    page.goto(f"{base}/decisions/{did}")
    open_action(page, "sign_review_opinion")
    page.select_option("#sign_review_opinion-outcome", "agree")
    page.fill("#sign_review_opinion-opinion__text", "经审核，事实清楚，证据确实充分，适用法律正确，同意作出决定。")
    for item in ("subject_ok", "procedure_ok", "facts_evidence_ok", "law_discretion_ok", "within_authority",
                 "documents_ok"):
        page.check(f"#sign_review_opinion-{item}")
    page.fill("#sign_review_opinion-qualification_no", "A20193301001234")
    page.fill("#sign_review_opinion-password", PASSWORD)
    page.locator("#act-sign_review_opinion").screenshot(path=str(ARTIFACTS / "enforcement-review-opinion-form.png"))
    submit(page, "sign_review_opinion")
    assert "审核通过" in page.inner_text("main") and "由 reviewer 签名，已验证" in page.inner_text("main")
    check_accessibility(page, "enforcement case (reviewer)")

    # Now the chief executive decides.
    clock.advance(hours=2)
    sign_in(page, base, "chief")
    page.goto(f"{base}/decisions/{did}")
    open_action(page, "record_decision")
    page.fill("#record_decision-decision_number", "古街综执罚决字〔2026〕8号")
    page.fill("#record_decision-decided_on", clock.now.astimezone(CST).date().isoformat())
    page.fill("#record_decision-decision_document__text", "行政处罚决定书（正式）")
    page.fill("#record_decision-summary", "罚款人民币二万元，责令改正")
    page.fill("#record_decision-password", PASSWORD)
    submit(page, "record_decision")
    assert "已作出决定" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "enforcement-review.png"), full_page=True)
    check_accessibility(page, "enforcement case (decided)")
    with core.db.read() as conn:
        assert conn.exec_driver_sql(f"SELECT state FROM decision WHERE id = {did}").scalar() == "decided"
