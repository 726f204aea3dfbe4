"""A citizen's token (role ``public``) sees over the API only what the public may see (workflow.views.visibility)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict

import pytest

from tests.api.conftest import Api, problem
from tests.helpers import STORY_TEXTS, Clock, PublicStory, public_story
from workflow.admin import offices as admin
from workflow.notices import alerts
from workflow.service import Juece


def sha(key: str) -> str:
    """The hash of one of the story's documents."""
    return hashlib.sha256(STORY_TEXTS[key].encode("utf-8")).hexdigest()


@pytest.fixture()
def story(core: Juece, clock: Clock) -> PublicStory:
    """The decisions a citizen meets (tests.helpers.public_story)."""
    return public_story(core, clock)


INTERNAL_PATHS = ["decisions/{internal}", "decisions/{internal}/documents", "decisions/{internal}/comments",
                  "decisions/{internal}/audit", "decisions/{internal}/audit/verify", "decisions/{contract}",
                  "decisions/{contract}/documents", "decisions/{contract}/comments", "decisions/{reviewed}/audit",
                  "decisions/{reviewed}/audit/verify", "decisions/{window}/audit",
                  "documents/{sha_opinion}", "documents/{sha_adviser}", "documents/{sha_internal_draft}",
                  "documents/{sha_contract}", "documents/{sha_contract_opinion}"]


@pytest.mark.parametrize("template", INTERNAL_PATHS)
def test_what_is_not_public_does_not_exist_for_a_citizen(api: Api, story: PublicStory, template: str) -> None:
    path = template.format(**asdict(story), **{f"sha_{k}": sha(k) for k in STORY_TEXTS})
    problem(api.get(path, "citizen1"), 404)
    assert api.get(path, "owner").status_code == 200  # the same path for an official of the office


def test_the_list_holds_only_decisions_put_before_the_public(api: Api, story: PublicStory) -> None:
    items = api.get("decisions", "citizen1").get_json()["items"]
    assert [d["id"] for d in items] == [story.window, story.reviewed]
    assert api.get("decisions?procedure=contract-review", "citizen1").get_json()["items"] == []
    first = api.get("decisions?limit=1", "citizen1").get_json()
    second = api.get(f"decisions?limit=1&cursor={first['next_cursor']}", "citizen1").get_json()
    assert [d["id"] for d in first["items"] + second["items"]] == [story.window, story.reviewed]
    assert second["next_cursor"] is None
    assert {d["id"] for d in api.get("decisions", "owner").get_json()["items"]} >= {story.internal, story.contract}


def test_a_reviewed_decision_shows_the_draft_and_my_comment_only(api: Api, story: PublicStory) -> None:
    response = api.get(f"decisions/{story.reviewed}", "citizen1")
    body = response.get_json()
    assert response.status_code == 200 and response.headers["ETag"] == body["etag"]
    assert body["state"] == "collective_discussion" and body["history"] == [] and body["deadlines"] == []
    assert body["tasks"] == {} and body["owner"] == "" and body["last_hash"] == "" and body["next_actions"] == []
    assert [d["sha256"] for d in body["documents"]] == [sha("draft")]
    assert [c["text"] for c in body["facts"]["my_comments"]] == ["意见1"]
    text = response.get_data(as_text=True)
    for secret in ("意见2", "citizen2", "reviewer", "adviser", sha("opinion"), sha("adviser"), "lawful"):
        assert secret not in text, secret
    assert [d["sha256"] for d in api.get(f"decisions/{story.reviewed}/documents", "citizen1").get_json()["items"]] == [
        sha("draft")]
    comments = api.get(f"decisions/{story.reviewed}/comments", "citizen1").get_json()["items"]
    assert [(c["id"], c["author"], c["text"]) for c in comments] == [(1, "citizen1", "意见1")]
    assert [c["id"] for c in api.get(f"decisions/{story.reviewed}/comments", "citizen2").get_json()["items"]] == [2]
    draft = api.get(f"documents/{sha('draft')}", "citizen1")
    assert draft.status_code == 200 and draft.data == STORY_TEXTS["draft"].encode()


def test_a_citizen_comments_and_is_answered_with_the_public_view(api: Api, story: PublicStory) -> None:
    done = api.act(story.window, "submit_comment", "citizen1", {"text": "请保留老街"})
    assert done.status_code == 200, done.get_json()
    decision = done.get_json()["decision"]
    assert decision["history"] == [] and [c["text"] for c in decision["facts"]["my_comments"]] == ["请保留老街"]
    assert sorted(decision["next_actions"]) == ["edit_comment", "submit_comment"]
    other = api.get(f"decisions/{story.window}", "citizen2").get_json()
    assert other["facts"]["my_comments"] == [] and "请保留老街" not in str(other)
    # Acting on what they may not see is a 404, even where the action would be refused for a reason.
    problem(api.act(story.internal, "submit_comment", "citizen1", {"text": "意见"}), 404)
    problem(api.act(story.contract, "submit_comment", "citizen1", {"text": "意见"}), 404)
    # A stale version names no one (the audit trail is not public).
    stale = problem(api.act(story.window, "submit_comment", "citizen1", {"text": "再提"},
                            headers={"If-Match": f'"{story.window}.5"'}), 412)
    assert "owner" not in stale["message_zh"] + stale["message_en"]


def test_a_citizen_stores_no_documents(api: Api, story: PublicStory) -> None:
    # "Stored before" (200) against "new" (201) would tell whether a guessed opinion text is on file.
    problem(api.post("documents", "citizen1", data=STORY_TEXTS["opinion"].encode(), content_type="text/plain"), 403)
    assert api.post("documents", "owner", data=STORY_TEXTS["opinion"].encode(),
                    content_type="text/plain").status_code == 200


def test_a_citizen_gets_only_their_own_notifications(api: Api, core: Juece, clock: Clock, story: PublicStory) -> None:
    admin.update_org_settings(core, "古塘街道", {"webhook_url": "https://hooks.gutang.test/juece"})  # group notices
    clock.advance(days=40)  # the open window has closed, the other decisions have stalled
    alerts.scan(core)
    seen = api.get("notifications", "owner").get_json()["items"]
    assert any(n["personal"] for n in seen) and any(not n["personal"] for n in seen)  # officials are alerted …
    assert api.get("notifications", "citizen1").get_json()["items"] == []  # … a citizen is not
