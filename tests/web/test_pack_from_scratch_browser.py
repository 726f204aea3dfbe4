"""In Chromium: the pack written from scratch (``tests/test_pack_from_scratch.py``) through the generated pages.

The office's juece names the extra procedures folder; the owner creates a matter of the new procedure, is refused
sending it before the text is up (the pack's own rule text and article), uploads it and sends it (the pack's deadline
appears); the legal reviewer signs the approval. Every word on the page comes from the pack, none from Decree 713.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.helpers import PASSWORD, Clock
from tests.test_pack_from_scratch import ARTICLE, RULE_ZH, pack_core, write_pack
from tests.web.conftest import People, make_app
from tests.web.test_browser import browser_page, check_accessibility, open_action, sign_in, submit
from workflow.admin import offices as admin
from workflow.persistence.db import Database
from workflow.service import Juece

__all__ = ["browser_page"]  # the fixture, imported for pytest
DECREE_713_WORDS = ("重大行政决策程序", "决策事项", "决策草案", "合法性审查意见", "草案第", "第十五条")


@pytest.fixture()
def procedures(tmp_path: Path) -> Path:
    """The office's extra procedures folder with the pack written from scratch."""
    return write_pack(tmp_path)


@pytest.fixture()
def core(database: Database, clock: Clock, procedures: Path) -> Juece:
    """The core of the office whose juece has the extra folder."""
    return pack_core(database, clock, procedures)


@pytest.fixture()
def app(core: Juece, tmp_path: Path, procedures: Path) -> Flask:
    """The web application of that office, its settings naming the folder."""
    admin.add_user(core, "admin", ["admin"], "古塘街道", unit="党政综合办")
    return make_app(core, tmp_path, procedures_dir=procedures)


def test_the_new_pack_runs_through_the_pages(browser_page: tuple[Any, str], core: Juece, clock: Clock,
                                             people: People) -> None:
    page, base = browser_page
    for name in ("owner", "reviewer"):
        people.ensure(name)

    sign_in(page, base, "owner")
    page.goto(f"{base}/decisions/new")
    page.fill("#title", "界牌村村规民约")
    page.select_option("#procedure", "village-rules")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    did = int(page.url.rsplit("/", 1)[1])
    main = page.inner_text("main")
    assert "已创建审查事项" in main and "村规民约合法性审查" in main and "起草文本" in main

    # Sending before the text is up: the pack's guard refuses, with its own words and article.
    open_action(page, "send_for_review")
    submit(page, "send_for_review")
    refusal = page.inner_text("#act-send_for_review .refusal")
    assert RULE_ZH in refusal and ARTICLE in refusal and "vr_text_required" in refusal

    open_action(page, "put_text")
    page.set_input_files("#put_text-content", files=[{
        "name": "村规民约.docx", "mimeType": "application/octet-stream", "buffer": "村规民约（草稿）".encode()}])
    submit(page, "put_text")
    open_action(page, "send_for_review")
    submit(page, "send_for_review")
    main = page.inner_text("main")
    assert "合法性审查中" in main and "村规民约审查期限" in main
    check_accessibility(page, "the new pack (owner)")

    clock.advance(days=1)
    sign_in(page, base, "reviewer")
    page.goto(f"{base}/decisions/{did}")
    open_action(page, "approve")
    assert "村规民约文本版本" in page.inner_text("#act-approve")  # the signing hint in the pack's word
    page.fill("#approve-opinion__text", "经审查，未发现违法内容。")
    page.fill("#approve-password", PASSWORD)
    submit(page, "approve")
    main = page.inner_text("main")
    assert "审查通过" in main and "由 reviewer 签名，已验证" in main and "村规民约文本第 1 版" in main
    assert "创建审查事项" in main and not [w for w in DECREE_713_WORDS if w in main], main
    check_accessibility(page, "the new pack (approved)")
    with core.db.read() as conn:
        assert conn.exec_driver_sql(f"SELECT state FROM decision WHERE id = {did}").scalar() == "approved"
