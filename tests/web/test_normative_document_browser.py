"""A 行政规范性文件 through the web pages in Chromium: drafted, put out for comment, reviewed for legality,
deliberated, registered and published, then filed (pack normative-document).

A citizen comments through the public page; the adoption report is entered through the core; every
other official's step is a form on the document's page.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from tests.helpers import CST, Clock, local_iso
from tests.web.conftest import PASSWORD, People
from tests.web.test_browser import ARTIFACTS, browser_page, check_accessibility, open_action, sign_in, submit
from workflow.service import Juece

__all__ = ["browser_page"]  # the fixture, imported for pytest

TEXT = "古塘街道住宅小区物业服务补助办法（草案）"


def local_day(clock: Clock) -> dt.date:
    return clock.now.astimezone(CST).date()


def test_a_normative_document_in_the_browser(browser_page: tuple[Any, str], core: Juece, clock: Clock,
                                             people: People) -> None:
    page, base = browser_page
    for name in ("owner", "reviewer", "secretary", "chief", "publisher"):
        people.ensure(name)

    # The owner drafts the document and puts it out for public comment.
    sign_in(page, base, "owner")
    page.click("text=新建决策事项")
    page.fill("#title", "物业服务补助办法")
    page.select_option("#procedure", "normative-document")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    did = int(page.url.rsplit("/", 1)[1])
    open_action(page, "start_drafting")
    page.fill("#start_drafting-owner_unit", "城建办")
    page.fill("#start_drafting-title", "古塘街道住宅小区物业服务补助办法")
    page.check("input[name='start_drafting-flags'][value='affects_rights']")
    submit(page, "start_drafting")
    open_action(page, "upload_draft")
    page.fill("#upload_draft-content__text", TEXT)
    submit(page, "upload_draft")
    open_action(page, "start_consultation")
    page.fill("#start_consultation-legal_bases", "《物业管理条例》\n《浙江省物业管理条例》")
    page.fill("#start_consultation-drafting_statement__text", "起草说明：补助对象、标准和程序")
    submit(page, "start_consultation")
    opens = clock.now
    open_action(page, "open_public_comment")
    page.fill("#open_public_comment-opens_at", local_iso(opens)[:16])
    page.fill("#open_public_comment-closes_at", local_iso(opens + dt.timedelta(days=32))[:16])
    page.fill("#open_public_comment-channels", "古塘街道门户网站")
    submit(page, "open_public_comment")
    check_accessibility(page, "normative document (owner, consultation)")

    # A citizen comments on the draft through the public page (GB37 二(五)).
    clock.advance(days=1)
    people.ensure("citizen1")
    sign_in(page, base, "citizen1")
    page.goto(f"{base}/decisions/{did}")
    open_action(page, "submit_comment")
    page.fill("#submit_comment-text", "补助标准偏低")
    submit(page, "submit_comment")
    assert "补助标准偏低" in page.inner_text("#my-comments + ul")
    check_accessibility(page, "normative document (citizen)")
    clock.advance(days=33)
    core.act(did, "record_adoption_report", "owner", {"entries": {"comment:1": {"adoption": "adopted"}}})
    sign_in(page, base, "owner")
    page.goto(f"{base}/decisions/{did}")
    open_action(page, "submit_legality_review")
    page.fill("#submit_legality_review-procedure_statement", "已公开征求意见32日，意见已逐条答复")
    submit(page, "submit_legality_review")
    assert "合法性审核" in page.inner_text("main")

    # The reviewer confirms each item and signs the opinion.
    clock.advance(days=2)
    sign_in(page, base, "reviewer")
    page.goto(f"{base}/decisions/{did}")
    open_action(page, "sign_legality_opinion")
    page.select_option("#sign_legality_opinion-outcome", "lawful")
    page.fill("#sign_legality_opinion-opinion__text", "经审核，制定主体、程序和内容合法。")
    for item in ("authority_ok", "procedure_ok", "no_licence_penalty_coercion", "no_burden_without_basis",
                 "no_competition_restriction"):
        page.check(f"#sign_legality_opinion-{item}")
    page.fill("#sign_legality_opinion-password", PASSWORD)
    submit(page, "sign_legality_opinion")
    assert "由 reviewer 签名，已验证" in page.inner_text("#main")

    # The secretary records the deliberation; the chief executive records its outcome.
    clock.advance(days=1)
    sign_in(page, base, "secretary")
    page.goto(f"{base}/decisions/{did}")
    open_action(page, "record_meeting")
    page.fill("#record_meeting-held_at", local_iso(clock.now - dt.timedelta(hours=1))[:16])
    page.fill("#record_meeting-attendees", "chief\nmember1")
    page.fill("#record_meeting-minutes__text", "街道主任办公会议纪要：审议通过")
    submit(page, "record_meeting")
    clock.advance(hours=1)
    sign_in(page, base, "chief")
    page.goto(f"{base}/decisions/{did}")
    open_action(page, "record_deliberation_outcome")
    page.select_option("#record_deliberation_outcome-outcome", "adopted")
    page.fill("#record_deliberation_outcome-password", PASSWORD)
    submit(page, "record_deliberation_outcome")

    # The publisher registers, numbers and publishes the adopted text.
    clock.advance(days=1)
    day = local_day(clock)
    sign_in(page, base, "publisher")
    page.goto(f"{base}/decisions/{did}")
    open_action(page, "publish")
    page.fill("#publish-doc_number", "古街发〔2026〕3号")
    page.fill("#publish-registration_number", "ZJGT-2026-0003")
    page.fill("#publish-published_on", day.isoformat())
    page.fill("#publish-effective_on", day.isoformat())
    page.fill("#publish-expires_on", day.replace(year=day.year + 5).isoformat())
    page.fill("#publish-channels", "古塘街道门户网站\n政府公报")
    page.fill("#publish-text__text", TEXT)
    submit(page, "publish")
    assert "报送备案期限" in page.inner_text("main")
    check_accessibility(page, "normative document (in force)")

    # The owner records the filing (备案).
    sign_in(page, base, "owner")
    page.goto(f"{base}/decisions/{did}")
    open_action(page, "record_filing")
    page.fill("#record_filing-filed_on", day.isoformat())
    page.fill("#record_filing-filing_body", "区司法局")
    submit(page, "record_filing")
    page.screenshot(path=str(ARTIFACTS / "normative-document.png"), full_page=True)
    with core.db.read() as conn:
        state, facts = conn.exec_driver_sql(f"SELECT state, facts FROM decision WHERE id = {did}").one()
    assert state == "in_force"
    filing = (facts if isinstance(facts, dict) else json.loads(facts))["filing"]
    assert filing["filing_body"] == "区司法局"

    # The citizen sees the document published, with its date and channels (GB37 二(八)).
    sign_in(page, base, "citizen1")
    page.goto(f"{base}/decisions/{did}")
    text = page.inner_text("main")
    assert day.isoformat() in text and "政府公报" in text and "合法性审核意见" not in text
