"""The list pages a page at a time: 上一页/下一页 links that keep the filters, every row once, and a bad
cursor answered with a message (never a 500)."""

from __future__ import annotations

import datetime as dt
import html
import re

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import Clock, local_iso, new_decision, to_consultation
from tests.web.conftest import People
from workflow.service import Juece

NEXT = re.compile(r'<a rel="next" href="([^"]+)">')
PREV = re.compile(r'<a rel="prev" href="([^"]+)">')


def ids_in(part: str) -> list[int]:
    """The decisions linked from a part of a page, in order, once each."""
    return list(dict.fromkeys(int(i) for i in re.findall(r'href="/decisions/(\d+)"', part)))


def walk(client: FlaskClient, start: str, cut: str = "</table>") -> tuple[list[int], list[str]]:
    """The decisions of every page from ``start`` following 下一页, and the addresses visited."""
    seen: list[int] = []
    visited = [start]
    while True:
        page = client.get(visited[-1])
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        table = text.split("<table>")[-1 if cut == "last" else 1].split("</table>")[0]
        assert len(ids_in(table)) <= 2
        seen += ids_in(table)
        found = NEXT.search(text.split("<h2>通知")[0] if "<h2>通知" in text else text)
        if found is None:
            return seen, visited
        visited.append(html.unescape(found.group(1)))


def test_the_inbox_pages_with_next_and_previous_links(core: Juece, app: Flask, people: People) -> None:
    app.config["JUECE_PAGE_SIZE"] = 2
    ids = [new_decision(core) for _ in range(5)]
    client = people.client("owner")
    seen, visited = walk(client, "/")
    assert seen == ids and len(visited) == 3
    last = client.get(visited[-1]).get_data(as_text=True)
    back = client.get(html.unescape(PREV.findall(last)[0])).get_data(as_text=True)
    assert ids_in(back.split("<table>")[1]) == ids[2:4] and "上一页" in back and "下一页" in back


def test_the_catalogue_pages_keep_the_filters(core: Juece, app: Flask, clock: Clock, people: People) -> None:
    app.config["JUECE_PAGE_SIZE"] = 2
    ids = [new_decision(core) for _ in range(6)]
    for did in ids[:5]:
        to_consultation(core, did)
    client = people.client("owner")
    seen, visited = walk(client, f"/catalogue?year={clock.now.year}&state=consultation&unit=城建办&q=社区", "last")
    assert seen == ids[:5]
    assert all("state=consultation" in url and "q=" in url and "unit=" in url for url in visited)
    text = client.get(visited[1]).get_data(as_text=True)
    exports = re.search(r'href="/catalogue.csv\?([^"]+)"', text)
    assert exports and "after" not in exports.group(1) and "state=consultation" in html.unescape(exports.group(1))


def test_a_citizens_catalogue_pages_hold_public_decisions_only(core: Juece, app: Flask, clock: Clock,
                                                             people: People) -> None:
    app.config["JUECE_PAGE_SIZE"] = 2
    ids = [new_decision(core) for _ in range(6)]
    for did in ids:
        to_consultation(core, did)
    for did in ids[::2]:
        core.act(did, "open_public_comment", "owner", {
            "opens_at": local_iso(clock.now), "closes_at": local_iso(clock.now + dt.timedelta(days=32))})
    seen, _ = walk(people.client("citizen1"), f"/catalogue?year={clock.now.year}", "last")
    assert seen == ids[::2]


def test_a_bad_cursor_is_a_message_on_the_page(core: Juece, app: Flask, people: People) -> None:
    client = people.client("owner")
    for url in ("/?after=garbage", "/?n_before=%E4%B8%AD", "/catalogue?after=W10&year=2026", "/catalogue?before=x"):
        page = client.get(url)
        assert page.status_code == 400, url
        assert "分页游标无效" in page.get_data(as_text=True)
    page = people.client("citizen1").get("/catalogue?after=garbage")
    assert page.status_code == 400 and "分页游标无效" in page.get_data(as_text=True)
