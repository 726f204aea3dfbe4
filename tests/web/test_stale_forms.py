"""A stale form comes back with every answer on its own item, the new version taken and the changes named.

An adoption report answers each public comment and expert opinion by its reference; a comment arriving
while the owner fills the form in must not move an answer onto another item, and submitting again after
reviewing the changes shown at the top of the page is taken.
"""

from __future__ import annotations

import datetime as dt
import re

from tests.helpers import PASSWORD, Clock, local_iso, new_decision, to_consultation
from tests.web.conftest import People, token
from workflow.service import Juece
from workflow.views import dossier

ANSWERS = {"comment-1": ("adopted", ""), "comment-2": ("not_adopted", "与控制性详细规划冲突"),
           "expert-1": ("partly_adopted", "分期实施部分采纳")}


def comments_open_with_inputs(core: Juece, clock: Clock) -> int:
    """A technical decision in open public comment with two comments and one expert opinion."""
    did = new_decision(core)
    to_consultation(core, did, ["technical"])
    opens = clock.now
    core.act(did, "open_public_comment", "owner", {
        "opens_at": local_iso(opens), "closes_at": local_iso(opens + dt.timedelta(days=32))})
    clock.advance(days=1)
    core.act(did, "submit_comment", "citizen1", {"text": "建议保留老街风貌"})
    core.act(did, "submit_comment", "citizen2", {"text": "建议增加停车位"})
    core.act(did, "submit_expert_opinion", "expert1", {"opinion": "方案可行，建议分期实施"}, password=PASSWORD)
    return did


def adoption_post(page: str, answers: dict[str, tuple[str, str]]) -> dict[str, str]:
    """The adoption-report form as the browser posts it from ``page``: every row's key and answer."""
    prefix = "record_adoption_report-"
    version = re.search(rf'name="{prefix}expected_version" type="hidden" value="(\d+)"', page)
    assert version
    data = {f"{prefix}csrf_token": token(page), f"{prefix}expected_version": version.group(1),
            f"{prefix}summary": "逐条答复"}
    for key in re.findall(rf'name="{prefix}entries__([\w-]+)__ref"', page):
        adoption, reason = answers.get(key, ("", ""))
        data[f"{prefix}entries__{key}__ref"] = key.replace("-", ":")
        data[f"{prefix}entries__{key}__adoption"] = adoption
        data[f"{prefix}entries__{key}__reason"] = reason
    return data


def selected(page: str, key: str) -> str:
    """The option chosen in a row's adoption select on ``page``."""
    select = re.search(rf'id="record_adoption_report-entries__{key}__adoption"[^>]*>(.*?)</select>', page, re.S)
    assert select, key
    chosen = re.search(r'<option selected value="(\w*)"|<option value="(\w*)" selected', select.group(1))
    return next(g for g in chosen.groups() if g is not None) if chosen else ""


def test_a_stale_adoption_report_keeps_each_answer_on_its_item(core: Juece, clock: Clock, people: People) -> None:
    did = comments_open_with_inputs(core, clock)
    client = people.client("owner")
    loaded = client.get(f"/decisions/{did}").get_data(as_text=True)
    clock.advance(hours=1)
    core.act(did, "submit_comment", "citizen1", {"text": "建议夜间施工限时"})  # comment 3 arrives meanwhile

    response = client.post(f"/decisions/{did}/act/record_adoption_report", data=adoption_post(loaded, ANSWERS))
    page = response.get_data(as_text=True)
    assert response.status_code == 412
    assert page.index('id="stale"') < page.index("<h1>"), "the message is at the top of the page"
    top = page[page.index('id="stale"'):page.index("<h1>")]
    assert re.search(r"<li>2026-\d\d-\d\d \d\d:\d\d citizen1：提交意见（新增 comment:3，请核对您的答复）</li>", top), top
    for key, (adoption, reason) in ANSWERS.items():
        assert selected(page, key) == adoption
        assert not reason or f'value="{reason}"' in page
    assert selected(page, "comment-3") == ""
    assert re.search(r'class="new-row">\s*<td><input[^>]*entries__comment-3__ref', page), "the new comment is marked"

    answers = {**ANSWERS, "comment-3": ("adopted", "")}
    again = client.post(f"/decisions/{did}/act/record_adoption_report", data=adoption_post(page, answers))
    assert again.status_code == 303, again.get_data(as_text=True)[:2000]
    entries = recorded_entries(core, did)
    assert {ref: e["adoption"] for ref, e in entries.items()} == {
        "comment:1": "adopted", "comment:2": "not_adopted", "expert:1": "partly_adopted", "comment:3": "adopted"}
    assert entries["comment:2"]["reason"] == "与控制性详细规划冲突"


def recorded_entries(core: Juece, did: int) -> dict[str, dict[str, str]]:
    """The entries of the decision's latest adoption report, by reference."""
    with core.db.read() as conn:
        event = [e for e in dossier.trail(conn, did) if e.action == "record_adoption_report"][-1]
    raw = event.data["entries"]
    return raw if isinstance(raw, dict) else {e["ref"]: e for e in raw}


def test_the_changes_are_named_in_english(core: Juece, clock: Clock, people: People) -> None:
    did = comments_open_with_inputs(core, clock)
    client = people.client("owner")
    client.get("/lang/en", headers={"Referer": f"/decisions/{did}"})
    loaded = client.get(f"/decisions/{did}").get_data(as_text=True)
    core.act(did, "submit_expert_opinion", "expert2", {"opinion": "规划指标合理"}, password=PASSWORD)
    page = client.post(f"/decisions/{did}/act/record_adoption_report",
                       data=adoption_post(loaded, ANSWERS)).get_data(as_text=True)
    assert "Changes since you opened the form" in page and "expert:2 added; review your answers" in page
    assert selected(page, "expert-1") == "partly_adopted" and selected(page, "expert-2") == ""
