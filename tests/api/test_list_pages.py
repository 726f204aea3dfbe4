"""The API's lists a page at a time: ``after`` cursors, a ``next`` link that keeps the filters, a capped
limit, every item once, a citizen shown only public decisions, and a bad cursor a 400 problem."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.api.conftest import Api, problem
from tests.helpers import Clock, local_iso, new_decision, to_consultation
from workflow.service import Juece


def walk(api: Api, path: str, user: str = "owner") -> tuple[list[int], list[str]]:
    """The ids of every page from ``path`` following ``next``, and the addresses followed."""
    seen: list[int] = []
    links = [path]
    while True:
        body: dict[str, Any] = api.get(links[-1], user).get_json()
        assert len(body["items"]) <= 2
        seen += [int(i["id"]) for i in body["items"]]
        if body["next"] is None:
            assert body["next_cursor"] is None
            return seen, links
        assert body["next"].startswith("/api/v1/") and f"after={body['next_cursor']}" in body["next"]
        links.append(body["next"].removeprefix("/api/v1/"))


def test_decisions_page_by_after_and_next_keeping_filters(api: Api, core: Juece) -> None:
    ids = [new_decision(core) for _ in range(7)]
    for did in ids[:5]:
        to_consultation(core, did)
    seen, links = walk(api, "decisions?limit=2&state=consultation")
    assert seen == ids[:5][::-1] and len(links) == 3
    assert all("state=consultation" in link and "limit=2" in link for link in links[1:])


def test_the_limit_is_capped_and_a_bad_cursor_is_a_problem(api: Api, core: Juece) -> None:
    new_decision(core)
    assert problem(api.get("decisions?limit=201"), 400)["field"] == "limit"
    for bad in ("garbage", "aWQ6LTE", "aWQ6MTIzNDU2Nzg5MDEyMzQ1Njc4OTA"):
        assert problem(api.get(f"decisions?after={bad}"), 400)["field"] == "cursor"
        assert problem(api.get(f"notifications?after={bad}"), 400)["field"] == "cursor"
        assert problem(api.get(f"decisions?after={bad}", "citizen1"), 400)["field"] == "cursor"


def test_a_citizens_pages_hold_public_decisions_only(api: Api, core: Juece, clock: Clock) -> None:
    ids = [new_decision(core) for _ in range(7)]
    for did in ids:
        to_consultation(core, did)
    for did in ids[1::2]:
        core.act(did, "open_public_comment", "owner", {
            "opens_at": local_iso(clock.now), "closes_at": local_iso(clock.now + dt.timedelta(days=32))})
    seen, _ = walk(api, "decisions?limit=2", "citizen1")
    assert seen == ids[1::2][::-1]
