"""A citizen signed in to the pages (role ``public``) sees only what the public may see (workflow.views.visibility)."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import asdict

import pytest
from openpyxl import load_workbook

from tests.helpers import STORY_TEXTS, Clock, PublicStory, public_story
from tests.web.conftest import People, post_action
from workflow.service import Juece

PUBLIC_COLUMNS = ["编号", "事项名称", "当前环节", "征求意见开始", "征求意见截止", "公布日期"]
HIDDEN_TITLES = ("内部事项：机关食堂外包", "安置房施工合同审查")


def sha(key: str) -> str:
    """The hash of one of the story's documents."""
    return hashlib.sha256(STORY_TEXTS[key].encode("utf-8")).hexdigest()


@pytest.fixture()
def story(core: Juece, clock: Clock) -> PublicStory:
    """The decisions a citizen meets (tests.helpers.public_story)."""
    return public_story(core, clock)


HIDDEN_PAGES = ["/decisions/{internal}", "/decisions/{contract}",
                "/decisions/{internal}/documents/{sha_internal_draft}", "/decisions/{contract}/documents/{sha_contract}",
                "/decisions/{reviewed}/documents/{sha_opinion}", "/decisions/{reviewed}/documents/{sha_adviser}",
                "/decisions/{contract}/documents/{sha_contract_opinion}"]


@pytest.mark.parametrize("template", HIDDEN_PAGES)
def test_what_is_not_public_is_not_found_for_a_citizen(people: People, story: PublicStory, template: str) -> None:
    path = template.format(**asdict(story), **{f"sha_{k}": sha(k) for k in STORY_TEXTS})
    assert people.client("citizen1").get(path).status_code == 404
    assert people.client("owner").get(path).status_code == 200  # the same page for an official


def test_a_reviewed_decision_page_shows_the_draft_and_my_comment_only(people: People, story: PublicStory) -> None:
    client = people.client("citizen1")
    response = client.get(f"/decisions/{story.reviewed}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "集体讨论决定" in page and "意见1" in page
    assert f"/decisions/{story.reviewed}/documents/{sha('draft')}" in page and "已截止" in page
    for secret in ("意见2", "citizen2", "owner", "reviewer", "合法性审查意见", "办理过程与审计记录", "期限",
                   STORY_TEXTS["opinion"], sha("opinion")[:16], "承办人"):
        assert secret not in page, secret
    draft = client.get(f"/decisions/{story.reviewed}/documents/{sha('draft')}")
    assert draft.status_code == 200 and draft.data == STORY_TEXTS["draft"].encode()
    assert "意见1" not in people.client("citizen2").get(f"/decisions/{story.reviewed}").get_data(as_text=True)


def test_a_citizen_comments_through_the_public_page(core: Juece, people: People, story: PublicStory) -> None:
    client = people.client("citizen1")
    page = client.get(f"/decisions/{story.window}").get_data(as_text=True)
    assert "正在征求意见" in page and 'id="act-submit_comment"' in page
    assert post_action(client, story.window, "submit_comment", {"text": "请保留老街"}).status_code == 303
    assert "请保留老街" in client.get(f"/decisions/{story.window}").get_data(as_text=True)
    assert "请保留老街" not in people.client("citizen2").get(f"/decisions/{story.window}").get_data(as_text=True)
    refused = post_action(client, story.window, "edit_comment", {"comment_id": "1", "text": "改"}, version=1)
    assert refused.status_code == 412 and "owner" not in refused.get_data(as_text=True)  # stale: names no one
    assert post_action(client, story.internal, "submit_comment", {"text": "意见"}, version=1).status_code == 404
    assert post_action(client, story.contract, "submit_comment", {"text": "意见"}, version=1).status_code == 404


def test_inbox_and_catalogue_list_public_decisions_only(people: People, story: PublicStory) -> None:
    client = people.client("citizen1")
    inbox = client.get("/").get_data(as_text=True)
    assert f'/decisions/{story.window}"' in inbox and f'/decisions/{story.reviewed}"' not in inbox  # window closed
    page = client.get("/catalogue?year=2026&unit=城建办").get_data(as_text=True)
    assert "界牌新潮塘未来社区建设" in page and "古塘老街改造" in page
    for secret in (*HIDDEN_TITLES, "城建办", "承办单位", "未完成", "不需要"):  # no owner unit, no step columns
        assert secret not in page, secret


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_exports_hold_public_rows_and_columns_only(people: People, story: PublicStory, kind: str) -> None:
    response = people.client("citizen1").get(f"/catalogue.{kind}?year=2026")
    if kind == "csv":
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    else:
        sheet = load_workbook(io.BytesIO(response.data)).active
        assert sheet is not None
        rows = [["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == PUBLIC_COLUMNS
    assert sorted(int(r[0]) for r in rows[1:]) == sorted([story.reviewed, story.window])
    flat = repr(rows)
    assert all(title not in flat for title in (*HIDDEN_TITLES, "owner", "城建办"))
    official = people.client("owner").get(f"/catalogue.{kind}?year=2026")
    assert official.status_code == 200 and len(official.data) > len(response.data)  # officials get it all
