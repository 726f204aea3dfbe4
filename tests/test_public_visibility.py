"""What a member of the public sees (workflow.views.visibility): a decision through its life, contract reviews,
confidential matters, the catalogue, the inbox, stale forms and alerts, on the real database."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict

import pytest
from sqlalchemy import select

from tests.helpers import (
    MEETING,
    PASSWORD,
    Clock,
    adopt_all,
    at_least,
    local_iso,
    new_decision,
    review_requested_feb_12,
    to_consultation,
)
from workflow.admin import offices as admin
from workflow.engine.errors import NotFound, StaleVersion
from workflow.notices.alerts import scan
from workflow.persistence.store import N, Store, U
from workflow.service import Juece
from workflow.views.catalogue import CatalogueFilter, public_catalogue
from workflow.views.inbox import actor_by_id, inbox_items
from workflow.views.visibility import (
    PublicDecision,
    Viewer,
    public_decision,
    public_document,
    public_only,
    publicly_visible,
    visible_rows,
)

OPINION = "经审查，草案第三条与上位法不一致（内部审查意见）"
ADVISER = "法律顾问意见：建议删除第三条"
EXPERT = "专家认为交通组织方案可行"
OTHER_COMMENT = "我是张三，电话13800000000，反对拆迁"


def sha(text: str) -> str:
    """The hash a text document is stored under."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def viewer(core: Juece, name: str) -> Viewer:
    """A person as a viewer."""
    with core.db.read() as conn:
        row = conn.execute(select(U.c.id, U.c.org_id, U.c.roles).where(U.c.name == name)).one()
    return Viewer(int(row.id), int(row.org_id), frozenset(row.roles))


def public(core: Juece, name: str, did: int) -> PublicDecision:
    """The public view of ``did`` for ``name`` (raises NotFound when they may not see it)."""
    with core.db.read() as conn:
        return public_decision(conn, core.catalog, did, viewer(core, name), core.clock())


def download(core: Juece, name: str, text: str, did: int | None = None) -> bytes | None:
    """The bytes of the text document, if ``name`` may download it as public material."""
    with core.db.read() as conn:
        found = public_document(conn, viewer(core, name), sha(text), core.clock(), did)
    return found[0] if found else None


def listed(core: Juece, name: str) -> list[int]:
    """The ids of the decisions ``name``'s public list shows."""
    who = viewer(core, name)
    with core.db.read() as conn:
        return [int(r.id) for r in visible_rows(conn, who.org_id, core.clock())]


def assert_invisible(core: Juece, did: int, *texts: str) -> None:
    """Nothing of ``did`` for a citizen: no view, not in the list, none of ``texts`` downloadable."""
    with pytest.raises(NotFound):
        public(core, "citizen1", did)
    assert did not in listed(core, "citizen1")
    for text in texts:
        assert download(core, "citizen1", text) is None


def test_only_an_account_with_no_role_but_public_gets_the_public_view() -> None:
    assert public_only({"public"}) and public_only(set())
    assert not public_only({"public", "owner"}) and not public_only({"expert"}) and not public_only({"admin"})


def test_a_citizen_follows_a_decision_through_its_whole_life(core: Juece, clock: Clock) -> None:
    did = new_decision(core, ["technical"])
    to_consultation(core, did, ["technical"])
    assert_invisible(core, did, "草案第一稿")  # before the window: nothing at all

    opens = clock.now + dt.timedelta(days=1)
    core.act(did, "open_public_comment", "owner", {"opens_at": local_iso(opens), "channels": ["古塘街道网站"],
                                                    "closes_at": local_iso(opens + dt.timedelta(days=32))})
    assert_invisible(core, did, "草案第一稿")  # announced for tomorrow: still nothing until it opens

    clock.set("2026-03-03T09:30")
    view = public(core, "citizen1", did)
    assert view.comment_open and view.state_label.zh == "公众参与、专家论证、风险评估"
    assert view.comment_window is not None and view.comment_window["channels"] == ["古塘街道网站"]
    assert [(d.kind, d.sha256) for d in view.documents] == [("draft", sha("草案第一稿"))]
    assert download(core, "citizen1", "草案第一稿", did) == "草案第一稿".encode()
    assert did in listed(core, "citizen1")

    core.act(did, "submit_comment", "citizen1", {"text": "请保留老街"})
    core.act(did, "submit_comment", "citizen2", {"text": OTHER_COMMENT})
    core.act(did, "edit_comment", "citizen1", {"comment_id": 1, "text": "请保留老街和古树"})
    core.act(did, "upload_draft", "owner", {"content": "草案第二稿（内部修改，未公开）"})
    core.act(did, "submit_expert_opinion", "expert1", {"opinion": EXPERT}, password=PASSWORD)
    mine, theirs = public(core, "citizen1", did), public(core, "citizen2", did)
    assert [(c.id, c.text, len(c.history)) for c in mine.my_comments] == [(1, "请保留老街和古树", 2)]
    assert mine.my_comments[0].edited_at and [c.id for c in theirs.my_comments] == [2]
    shown = repr(asdict(mine))
    for secret in ("张三", "13800000000", "citizen2", "owner", EXPERT, sha(EXPERT), sha("草案第二稿（内部修改，未公开）")):
        assert secret not in shown, secret
    assert download(core, "citizen1", "草案第二稿（内部修改，未公开）") is None
    assert download(core, "citizen1", EXPERT) is None

    clock.advance(days=33)
    adopt_all(core, did, ["comment:1", "comment:2", "expert:1"])
    core.act(did, "submit_legality_review", "owner", {})
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": ADVISER}, password=PASSWORD)
    core.act(did, "sign_legality_opinion", "reviewer", {"outcome": "lawful", "opinion": OPINION}, password=PASSWORD)
    view = public(core, "citizen1", did)
    assert view.state == "collective_discussion" and not view.comment_open
    assert {d.kind for d in view.documents} == {"draft"} and OPINION not in repr(asdict(view))
    for secret in (OPINION, ADVISER, EXPERT):
        assert download(core, "citizen1", secret) is None and download(core, "citizen1", secret, did) is None

    at_least(clock, "2026-05-06T10:00")  # the meeting is held on 05-06 and publication on 05-10
    core.act(did, "record_meeting", "secretary", MEETING)
    core.act(did, "record_decision", "chief", {"outcome": "adopted"}, password=PASSWORD)
    core.act(did, "record_party_consent", "secretary", {"reference": "古街党〔2026〕12号"})
    at_least(clock, "2026-05-10T10:00")
    core.act(did, "publish", "publisher", {"channels": ["政府网站", "公告栏"], "published_on": "2026-05-10",
                                           "adoption_explanation": "公众意见和专家意见均已采纳"})
    core.act(did, "report_progress", "executor", {"report": "第一季度执行情况（公开）", "public": True})
    core.act(did, "report_progress", "executor", {"report": "内部执行问题清单", "public": False})
    view = public(core, "citizen1", did)
    assert view.publication == {"channels": ["政府网站", "公告栏"], "published_on": "2026-05-10",
                                "adoption_explanation": "公众意见和专家意见均已采纳"}
    assert [d.kind for d in view.documents] == ["draft", "report_progress.report"]
    assert download(core, "citizen1", "第一季度执行情况（公开）") == "第一季度执行情况（公开）".encode()
    assert download(core, "citizen1", "内部执行问题清单") is None
    assert [c.id for c in view.my_comments] == [1]


def test_the_february_review_story_keeps_the_opinion_internal(core: Juece, clock: Clock) -> None:
    did = review_requested_feb_12(core, clock, {})
    view = public(core, "citizen1", did)
    assert view.state == "legality_review" and [c.text for c in view.my_comments] == ["意见1"]
    assert public(core, "citizen2", did).my_comments == []  # citizen1's comment is not theirs to read
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": ADVISER}, password=PASSWORD)
    core.act(did, "sign_legality_opinion", "reviewer", {"outcome": "needs_changes", "opinion": OPINION}, password=PASSWORD)
    view = public(core, "citizen1", did)
    assert view.state == "drafting" and OPINION not in repr(asdict(view))  # back to drafting: still public
    assert download(core, "citizen1", OPINION) is None and download(core, "citizen1", ADVISER) is None
    assert download(core, "citizen1", "草案第一稿") is not None
    assert download(core, "owner", OPINION) is None  # the public view is the same whoever previews it


def test_a_hearing_notice_is_public_but_not_its_record(core: Juece, clock: Clock) -> None:
    did = new_decision(core, ["hearing_required"])
    to_consultation(core, did, ["hearing_required"])
    core.act(did, "schedule_hearing", "owner", {
        "hearing_at": local_iso(clock.now + dt.timedelta(days=10)), "place": "古塘街道会议室",
        "selection_method": "自愿报名、随机抽取", "participants": ["居民代表甲", "居民代表乙"]})
    view = public(core, "citizen1", did)  # Art. 16: the draft and the notice are published beforehand
    assert view.hearing is not None and view.hearing["participants"] == ["居民代表甲", "居民代表乙"]
    assert set(view.hearing) == {"hearing_at", "place", "selection_method", "participants"}
    assert [d.kind for d in view.documents] == ["draft"] and view.comment_window is None


def test_contract_reviews_are_never_public(core: Juece, clock: Clock) -> None:
    cid = new_decision(core, procedure="contract-review")
    core.act(cid, "upload_draft", "owner", {"content": "界牌村安置房施工合同"})
    core.act(cid, "accept_for_review", "reviewer")
    core.act(cid, "submit_adviser_opinion", "adviser", {"opinion": "条款合法"}, password=PASSWORD)
    core.act(cid, "sign_review_opinion", "reviewer", {"outcome": "no_objection", "opinion": "无异议"}, password=PASSWORD)
    assert_invisible(core, cid, "界牌村安置房施工合同", "条款合法", "无异议")
    published = {"comment_window": {"opens_at": "2026-01-01T00:00:00.000000Z"},
                 "publication": {"published_on": "2026-01-02"}}
    assert not publicly_visible("contract-review", published, clock.now)
    assert publicly_visible("cn-713", published, clock.now)
    assert not publicly_visible("cn-713", published | {"flags": ["confidential"]}, clock.now)


def test_a_confidential_matter_stays_invisible(core: Juece, clock: Clock) -> None:
    did = new_decision(core, ["confidential"])
    core.act(did, "initiate", "owner", {"owner_unit": "城建办", "flags": ["confidential"],
                                        "confidential_basis": "《保守国家秘密法》第九条"})
    core.act(did, "upload_draft", "owner", {"content": "涉密草案"})
    core.act(did, "start_consultation", "owner", {"legal_bases": ["《城乡规划法》"]})
    assert_invisible(core, did, "涉密草案")


def test_the_public_catalogue_has_public_rows_and_columns_only(core: Juece, clock: Clock) -> None:
    hidden = new_decision(core)
    to_consultation(core, hidden)
    shown = new_decision(core)
    to_consultation(core, shown)
    core.act(shown, "open_public_comment", "owner", {
        "opens_at": local_iso(clock.now), "closes_at": local_iso(clock.now + dt.timedelta(days=32))})
    new_decision(core, procedure="contract-review")
    with core.db.read() as conn:
        org = viewer(core, "citizen1").org_id
        rows = public_catalogue(conn, core.catalog, org, CatalogueFilter(2026, unit="城建办"), clock.now)
        assert public_catalogue(conn, core.catalog, org, CatalogueFilter(2025), clock.now) == []
    assert [r.id for r in rows] == [shown]  # the unit filter is ignored: the unit is not public
    assert set(asdict(rows[0])) == {"id", "title", "state", "state_label", "terminal", "comment_opens",
                                    "comment_closes", "published_on"}


def test_a_citizens_inbox_lists_open_windows_without_deadlines(core: Juece, clock: Clock) -> None:
    quiet, open_ = new_decision(core), new_decision(core)
    to_consultation(core, quiet)
    to_consultation(core, open_)
    core.act(open_, "open_public_comment", "owner", {
        "opens_at": local_iso(clock.now), "closes_at": local_iso(clock.now + dt.timedelta(days=32))})
    with core.db.read() as conn:
        person = actor_by_id(conn, viewer(core, "citizen1").id)
        assert person is not None
        st = Store(conn)
        items = inbox_items(conn, core.catalog, person, clock.now, core.calendar_for(st, st.system_seq()))
    assert [(i.decision_id, i.due) for i in items] == [(open_, None)]
    assert {a.id for a in items[0].actions} == {"submit_comment", "edit_comment"}


def test_a_citizens_stale_form_does_not_say_who_acted(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    core.act(did, "open_public_comment", "owner", {
        "opens_at": local_iso(clock.now), "closes_at": local_iso(clock.now + dt.timedelta(days=32))})
    core.act(did, "upload_draft", "owner", {"content": "草案第二稿"})
    with pytest.raises(StaleVersion) as info:
        core.act(did, "submit_comment", "citizen1", {"text": "意见"}, expected_version=2)
    assert "owner" not in info.value.zh + info.value.en and "by" not in info.value.details
    with pytest.raises(StaleVersion) as official:
        core.act(did, "upload_draft", "owner2", {"content": "草案"}, expected_version=2)
    assert official.value.details["by"] == "owner"


def test_deadline_alerts_never_go_to_a_citizen(core: Juece, clock: Clock) -> None:
    review_requested_feb_12(core, clock, {"citizen1": "citizen1@example.test"})
    admin.update_org_settings(core, "古塘街道", {"supervisor": "chief,citizen1"})  # a mistaken setting
    clock.set("2026-03-02T09:00")
    assert scan(core).overdue == 1
    with core.db.read() as conn:
        names = conn.execute(select(U.c.name).join(N, N.c.user_id == U.c.id)).scalars().all()
    assert "chief" in names and "citizen1" not in names
