"""The web app in a real browser (Debian's Chromium driven by Playwright), with axe-core accessibility checks.

The 界牌新潮塘 decision goes through the procedure as its officials would take it: the owner creates it
and opens public comment, the legal adviser and the reviewer sign the opinion, the secretary records the
meeting, the chief executive decides and the publisher publishes. Time moves with the tests' clock.
With CI=true a missing Chromium or axe-core fails these tests instead of skipping them.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.helpers import Clock, adopt_all, local_iso, public_story
from tests.web.conftest import PASSWORD, People
from workflow.service import Juece

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "tests" / "web" / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "tests" / "artifacts"
IN_CI = os.environ.get("CI", "").lower() == "true"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _require(ok: bool, what: str) -> None:
    if not ok:
        message = f"{what} is needed for the browser tests: run .ci/browser-setup"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture()
def browser_page(app: Flask) -> Iterator[tuple[Any, str]]:
    """A Chromium page and the base URL of the app served from a background thread."""
    _require(CHROMIUM.exists(), str(CHROMIUM))
    _require(AXE.exists(), "axe-core")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require(False, "playwright (pip)")
        raise
    app.config["TESTING"] = False
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True,
                                      viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page, f"http://127.0.0.1:{server.server_port}"
        finally:
            context.close()
            browser.close()
            server.shutdown()
            thread.join(5)


def check_accessibility(page: Any, where: str) -> None:
    """axe-core in the page: no serious or critical violations (labels, contrast, keyboard order …)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}));
    }""")
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not bad, f"{where}: {bad}"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip", f"{where}: the skip link is not first"


def sign_in(page: Any, base: str, name: str) -> None:
    """Sign out whoever is signed in, then sign in as ``name``."""
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def open_action(page: Any, action: str) -> None:
    """Unfold an action's form on the decision page."""
    page.click(f"#act-{action} > summary")


def submit(page: Any, action: str) -> None:
    """Submit an action's form and wait for the page that follows."""
    with page.expect_navigation():
        page.click(f"#act-{action} button[type=submit]")


def test_jiepai_decision_in_the_browser(browser_page: tuple[Any, str], core: Juece, clock: Clock,
                                        people: People) -> None:
    page, base = browser_page
    for name in ("owner", "adviser", "reviewer", "secretary", "chief", "publisher"):
        people.ensure(name)

    # The owner creates the decision and opens public comment.
    page.goto(f"{base}/login")
    check_accessibility(page, "login")
    sign_in(page, base, "owner")
    page.click("text=新建决策事项")
    page.fill("#title", "界牌新潮塘未来社区建设")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    did = int(page.url.rsplit("/", 1)[1])
    open_action(page, "initiate")
    page.fill("#initiate-owner_unit", "城建办")
    page.check("input[name='initiate-flags'][value='technical']")
    page.check("input[name='initiate-flags'][value='affects_specific_group']")
    submit(page, "initiate")
    clock.advance(hours=2)
    open_action(page, "upload_draft")
    page.set_input_files("#upload_draft-content", files=[{
        "name": "界牌新潮塘未来社区建设方案（征求意见稿）.docx", "mimeType": "application/octet-stream",
        "buffer": "界牌新潮塘未来社区建设方案".encode()}])
    page.fill("#upload_draft-note", "第一稿")
    submit(page, "upload_draft")
    open_action(page, "start_consultation")
    page.fill("#start_consultation-legal_bases", "《中华人民共和国城乡规划法》\n《浙江省未来社区建设试点工作方案》")
    submit(page, "start_consultation")
    opens = clock.now
    open_action(page, "open_public_comment")
    page.fill("#open_public_comment-opens_at", local_iso(opens)[:16])
    page.fill("#open_public_comment-closes_at", local_iso(opens + dt.timedelta(days=10))[:16])
    warning = page.locator("[data-window-check]")
    assert "少于 30 日" in warning.inner_text()
    page.fill("#open_public_comment-closes_at", local_iso(opens + dt.timedelta(days=32))[:16])
    assert "少于 30 日" not in warning.inner_text()
    page.fill("#open_public_comment-channels", "古塘街道门户网站\n界牌村公告栏")
    submit(page, "open_public_comment")
    assert "已完成：公开征求意见" in page.inner_text("main")
    check_accessibility(page, "decision page (owner)")

    # Comments, expert opinions and the group consultation; then the review request.
    clock.advance(days=1)
    core.act(did, "submit_comment", "citizen1", {"text": "建议保留老街风貌"})
    core.act(did, "submit_expert_opinion", "expert1", {"opinion": "方案可行，建议分期实施"}, password=PASSWORD)
    core.act(did, "submit_expert_opinion", "expert2", {"opinion": "规划指标合理"}, password=PASSWORD)
    core.act(did, "record_group_consultation", "owner", {"record": "与界牌村村民代表座谈会记录"})
    core.act(did, "waive_task", "owner", {"task": "risk_assessment", "reason": "不涉及社会稳定风险，不开展风险评估"})
    clock.advance(days=33)
    adopt_all(core, did, ["comment:1", "expert:1", "expert:2"])
    core.act(did, "submit_legality_review", "owner", {"procedure_statement": "已履行公众参与、专家论证程序"})
    clock.advance(hours=3)

    # The legal adviser gives an opinion; the reviewer signs the legality opinion.
    sign_in(page, base, "adviser")
    page.goto(f"{base}/decisions/{did}")
    open_action(page, "submit_adviser_opinion")
    page.fill("#submit_adviser_opinion-opinion__text", "经审查，方案符合《城乡规划法》规定。")
    page.fill("#submit_adviser_opinion-password", PASSWORD)
    submit(page, "submit_adviser_opinion")
    clock.advance(days=2)
    sign_in(page, base, "reviewer")
    assert "界牌新潮塘未来社区建设" in page.inner_text("main") and "合法性审查期限" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "inbox.png"), full_page=True)
    check_accessibility(page, "inbox")
    page.click("text=界牌新潮塘未来社区建设")
    open_action(page, "sign_legality_opinion")
    page.select_option("#sign_legality_opinion-outcome", "lawful")
    page.fill("#sign_legality_opinion-opinion__text", "经审查，该决策草案合法。")
    page.fill("#sign_legality_opinion-password", PASSWORD)
    page.locator("#act-sign_legality_opinion").screenshot(path=str(ARTIFACTS / "legality-opinion-form.png"))
    submit(page, "sign_legality_opinion")
    assert "由 reviewer 签名，已验证" in page.inner_text("#main")

    # The secretary records the meeting, with dissent; the chief executive decides, speaking last.
    clock.advance(days=3)
    sign_in(page, base, "secretary")
    page.goto(f"{base}/decisions/{did}")
    open_action(page, "record_meeting")
    page.fill("#record_meeting-body", "街道主任办公会议")
    page.fill("#record_meeting-held_at", local_iso(clock.now)[:16])
    page.fill("#record_meeting-attendees", "member1\nsecretary\nchief")
    for i, (member, view, remarks) in enumerate([("member1", "for", ""), ("secretary", "against", "资金压力较大"),
                                                 ("chief", "for", "")]):
        page.select_option(f"#record_meeting-views__{i}__member", member)
        page.select_option(f"#record_meeting-views__{i}__view", view)
        page.fill(f"#record_meeting-views__{i}__remarks", remarks)
    submit(page, "record_meeting")
    assert "已完成：记录集体讨论" in page.inner_text("main")
    clock.advance(hours=1)
    sign_in(page, base, "chief")
    page.goto(f"{base}/decisions/{did}")
    open_action(page, "record_decision")
    page.select_option("#record_decision-outcome", "adopted")
    page.fill("#record_decision-password", PASSWORD)
    submit(page, "record_decision")
    assert "向党委请示报告" in page.inner_text("main")
    core.act(did, "record_party_consent", "secretary", {"reference": "古街党〔2026〕12号"})
    clock.advance(days=2)

    # The publisher publishes.
    sign_in(page, base, "publisher")
    page.goto(f"{base}/decisions/{did}")
    open_action(page, "publish")
    page.fill("#publish-channels", "古塘街道门户网站")
    page.fill("#publish-published_on", clock.now.astimezone(dt.timezone(dt.timedelta(hours=8))).date().isoformat())
    page.fill("#publish-adoption_explanation", "公众意见和专家意见均已逐条答复并采纳")
    submit(page, "publish")
    text = page.inner_text("main")
    assert "已完成：公布决策" in text and "决策执行" in text and "完整，未被篡改" in text
    assert page.locator("ol.flow li[aria-current=step]").inner_text().startswith("决策执行")
    page.screenshot(path=str(ARTIFACTS / "decision.png"), full_page=True)
    check_accessibility(page, "decision page (published)")
    page.goto(f"{base}/catalogue")
    check_accessibility(page, "catalogue")
    with core.db.read() as conn:
        assert conn.exec_driver_sql(f"SELECT state FROM decision WHERE id = {did}").scalar() == "implementation"


def test_a_citizen_comments_in_the_browser(browser_page: tuple[Any, str], core: Juece, clock: Clock,
                                           people: People) -> None:
    page, base = browser_page
    story = public_story(core, clock)
    people.ensure("citizen1")
    sign_in(page, base, "citizen1")
    assert "古塘老街改造" in page.inner_text("main") and "内部事项" not in page.inner_text("main")
    check_accessibility(page, "inbox (citizen)")
    page.goto(f"{base}/catalogue")
    assert "界牌新潮塘未来社区建设" in page.inner_text("main") and "安置房施工合同审查" not in page.inner_text("main")
    check_accessibility(page, "catalogue (citizen)")
    page.goto(f"{base}/decisions/{story.window}")
    open_action(page, "submit_comment")
    page.fill("#submit_comment-text", "建议保留老街的青石板路")
    submit(page, "submit_comment")
    assert "建议保留老街的青石板路" in page.inner_text("#my-comments + ul")
    page.screenshot(path=str(ARTIFACTS / "public-decision.png"), full_page=True)
    check_accessibility(page, "decision page (citizen)")
    page.goto(f"{base}/decisions/{story.reviewed}")
    text = page.inner_text("main")
    assert "意见1" in text and "意见2" not in text and "合法性审查意见" not in text
