"""重大行政执法决定法制审核 (enforcement-review pack): each rule of docs/procedure/enforcement-review.md refused
with its article, the happy path through the service, and the review limit as a deadline.

The central rule is 《行政处罚法》第五十八条: "未经法制审核或者审核未通过的，不得作出决定".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from tests.helpers import PASSWORD, Clock
from workflow.admin import offices as admin
from workflow.engine import graph
from workflow.engine.context import Actor, Attempt, DecisionView, Office
from workflow.engine.errors import RuleViolation
from workflow.packs.enforcement_review_2021_07_15 import guards as er
from workflow.persistence.store import D
from workflow.record import keys
from workflow.record.audit import verify_all
from workflow.service import Juece
from workflow.timing.calendar import WorkCalendar
from workflow.timing.deadline_changes import change_deadline
from workflow.views.queries import show_decision

PROCEDURE = "enforcement-review"
CF58 = "《行政处罚法》第五十八条"
CF58_2 = "《行政处罚法》第五十八条第二款"
CF57_2 = "《行政处罚法》第五十七条第二款"
GB118 = "国办发〔2018〕118号"
MATERIALS = {
    "investigation_report": "案件调查终结报告：当事人未按规定安装油烟净化设施，违法事实清楚。",
    "evidence": "现场检查笔录、询问笔录、监测报告（合订本）",
    "evidence_list": ["现场检查笔录", "询问笔录", "油烟监测报告"],
    "legal_basis": ["《中华人民共和国大气污染防治法》第一百一十八条"],
    "discretion_statement": "依照本机关行政处罚裁量基准第三档，从轻情节一项。",
    "proposal_statement": "拟对当事人罚款人民币二万元，并责令改正。",
}
CHECKS = {k: True for k in ("subject_ok", "procedure_ok", "facts_evidence_ok", "law_discretion_ok",
                            "within_authority", "documents_ok")}
AGREE = {"outcome": "agree", "opinion": "经审核，事实清楚，证据确实充分，适用法律正确，同意作出决定。",
         "qualification_no": "A20193301001234"} | CHECKS
DECISION = {"decision_number": "古街综执罚决字〔2026〕8号", "decision_document": "行政处罚决定书（正式）",
            "summary": "罚款人民币二万元，责令改正"}


def refused(core: Juece, did: int, action: str, actor: str, data: dict[str, Any] | None = None,
            password: str | None = None) -> RuleViolation:
    """Take an action that a rule must refuse; return the refusal."""
    with pytest.raises(RuleViolation) as info:
        core.act(did, action, actor, data or {}, password=password)
    assert info.value.zh and info.value.en and info.value.article
    return info.value


def state(core: Juece, did: int) -> str:
    """The case's current state."""
    with core.db.read() as conn:
        return str(conn.execute(select(D.c.state).where(D.c.id == did)).scalar_one())


def facts(core: Juece, did: int) -> dict[str, Any]:
    """The case's current facts."""
    with core.db.read() as conn:
        return dict(conn.execute(select(D.c.facts).where(D.c.id == did)).scalar_one())


def today(clock: Clock) -> str:
    """Today in Shanghai, as a form states a date."""
    return clock.now.astimezone(dt.timezone(dt.timedelta(hours=8))).date().isoformat()


def registered(core: Juece, kind: str = "penalty", flags: tuple[str, ...] = ("public_interest",),
               handlers: tuple[str, ...] = ("owner",), owner: str = "owner") -> int:
    """A case registered on a CF58 ground, with its proposed decision uploaded."""
    did = core.create_decision(PROCEDURE, "某餐饮店油烟污染案", owner, [])
    core.act(did, "open_case", owner, {"case_number": "古街综执立〔2026〕15号", "decision_kind": kind,
                                      "filed_on": "2026-02-10", "parties": "某餐饮店", "flags": list(flags),
                                      "case_handlers": list(handlers)})
    core.act(did, "upload_proposed_decision", owner, {"content": "行政处罚决定书（代拟稿）：罚款二万元"})
    return did


def submitted(core: Juece, **kwargs: Any) -> int:
    """A registered case submitted with the whole materials list."""
    did = registered(core, **kwargs)
    core.act(did, "submit_for_review", kwargs.get("owner", "owner"), MATERIALS)
    return did


def under_review(core: Juece, **kwargs: Any) -> int:
    """A submitted case accepted by the reviewer."""
    did = submitted(core, **kwargs)
    core.act(did, "accept_for_review", "reviewer")
    return did


def cleared(core: Juece, clock: Clock, **kwargs: Any) -> int:
    """A case whose review passed (an "agree" opinion, signed)."""
    did = under_review(core, **kwargs)
    clock.advance(days=1)
    core.act(did, "sign_review_opinion", "reviewer", AGREE, password=PASSWORD)
    return did


def decide(core: Juece, clock: Clock, did: int, **extra: str) -> None:
    """The chief executive makes the decision, signed, dated today."""
    core.act(did, "record_decision", "chief", DECISION | {"decided_on": today(clock)} | extra, password=PASSWORD)


def person(core: Juece, name: str, roles: list[str]) -> None:
    """One more person of the test office, with their own signing key."""
    admin.add_user(core, name, roles, "古塘街道", unit="综合行政执法队")
    keys.change_password(core, name, PASSWORD)


# -- the definition -------------------------------------------------------------------------------------------

def test_the_pack_loads_and_a_decided_or_closed_case_has_no_way_out(core: Juece) -> None:
    procedure = core.catalog.get("enforcement-review@2021-07-15")
    assert {s for s, st in procedure.states.items() if st.terminal} == {"decided", "closed"}
    out_of = {src for src, _, _ in graph.edges(procedure)}
    assert not out_of & {"decided", "closed"}
    # The decision is offered before the review too, only so that CF58 itself refuses it there.
    assert set(procedure.actions["record_decision"].sources) >= {"preparing", "submitted", "under_review",
                                                                 "revising", "review_refused"}
    assert procedure.actions["record_decision"].guards[0] == "er_review_passed_on_current_draft"


# -- the happy path -------------------------------------------------------------------------------------------

def test_a_penalty_is_decided_after_a_passed_review_cf58(core: Juece, clock: Clock) -> None:
    did = under_review(core)
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": "处罚适当"}, password=PASSWORD)
    clock.advance(days=1)
    core.act(did, "sign_review_opinion", "reviewer", AGREE, password=PASSWORD)
    assert state(core, did) == "cleared"
    clock.advance(hours=2)
    decide(core, clock, did)
    assert state(core, did) == "decided"
    known = facts(core, did)
    assert known["opinion"]["outcome"] == "agree" and known["opinion"]["draft_hash"] == known["draft"]["hash"]
    assert known["decision"]["draft_hash"] == known["draft"]["hash"]
    assert known["case"]["kind"] == "penalty" and known["materials"]["items"]["evidence_list"][0] == "现场检查笔录"
    with core.db.read() as conn:
        report = verify_all(conn, core.catalog, [did])
    assert report.ok, report.problems  # the stored facts are the fold of the signed, chained events


# -- CF58 第一款: the grounds -----------------------------------------------------------------------------------

def test_cf58_a_case_without_a_ground_for_review_is_not_registered(core: Juece) -> None:
    did = core.create_decision(PROCEDURE, "某案", "owner", [])
    error = refused(core, did, "open_case", "owner", {
        "case_number": "1", "decision_kind": "penalty", "parties": "某公司", "flags": ["collective_required"],
        "case_handlers": ["owner"]})
    assert error.code == "er_not_a_major_case" and CF58 in str(error.article)


# -- GB118, local rules: the materials ----------------------------------------------------------------------------

def test_gb118_a_submission_without_the_evidence_list_is_refused_naming_it(core: Juece) -> None:
    did = registered(core)
    error = refused(core, did, "submit_for_review", "owner", {k: v for k, v in MATERIALS.items() if k != "evidence_list"})
    assert error.code == "er_materials_incomplete" and GB118 in str(error.article)
    assert error.details["fields"] == ["evidence_list"] and "证据清单" in error.zh


def test_gb118_a_submission_without_a_proposed_decision_is_refused(core: Juece) -> None:
    did = core.create_decision(PROCEDURE, "某案", "owner", [])
    core.act(did, "open_case", "owner", {"case_number": "1", "decision_kind": "penalty", "parties": "某公司",
                                         "flags": ["complex_case"], "case_handlers": ["owner"]})
    error = refused(core, did, "submit_for_review", "owner", MATERIALS)
    assert error.code == "er_materials_incomplete" and error.details["fields"] == ["draft"]


def test_cf58_2_a_case_after_a_hearing_needs_the_hearing_record(core: Juece) -> None:
    did = registered(core, flags=("hearing_held",))
    error = refused(core, did, "submit_for_review", "owner", MATERIALS)
    assert error.code == "er_hearing_record_required" and "第五十八条第一款第（二）项" in str(error.article)
    core.act(did, "submit_for_review", "owner", MATERIALS | {"hearing_record": "听证笔录"})
    assert state(core, did) == "submitted"
    other = registered(core, flags=("public_interest",))  # no hearing held: no hearing record needed
    core.act(other, "submit_for_review", "owner", MATERIALS)
    assert state(core, other) == "submitted"


# -- GB118: a return lists the materials at once; the supplement deadline -------------------------------------------

def test_gb118_a_return_lists_the_missing_materials_and_the_owner_has_3_working_days(core: Juece,
                                                                                     clock: Clock) -> None:
    did = submitted(core)
    error = refused(core, did, "return_for_supplement", "reviewer", {"reason": "材料不全"})
    assert error.code == "er_return_reason_required" and GB118 in str(error.article)
    core.act(did, "return_for_supplement", "reviewer", {"reason": "证据不足", "missing": ["当事人身份证明"]})
    assert state(core, did) == "returned"
    with core.db.read() as conn:
        due = [d for d in show_decision(conn, core.catalog, did, clock.now)["deadlines"]
               if d["key"] == "supplement_due" and d["kind"] == "due"]
    assert [d["due_at"] for d in due] == ["2026-03-05T16:00:00.000000Z"]  # Mon 2 March + 3 working days
    core.act(did, "resubmit_supplemented", "owner", {"evidence": "补充后的证据材料（含身份证明）"})  # only what changed
    assert state(core, did) == "submitted"
    assert facts(core, did)["materials"]["submission"] == 2


# -- CF58, CF43: the reviewer does not review their own case -------------------------------------------------------

def test_cf58_a_reviewer_named_as_case_handler_may_not_accept_or_sign(core: Juece) -> None:
    did = submitted(core, handlers=("owner", "reviewer"))
    error = refused(core, did, "accept_for_review", "reviewer")
    assert error.code == "er_reviewer_is_handler" and CF58 in str(error.article)
    person(core, "reviewer2", ["legal_reviewer"])
    other = submitted(core, handlers=("owner", "reviewer2"))
    core.act(other, "accept_for_review", "reviewer")
    error = refused(core, other, "sign_review_opinion", "reviewer2", AGREE, password=PASSWORD)
    assert error.code == "er_reviewer_is_handler"


def test_cf58_the_owner_who_also_reviews_may_not_review_their_own_case(core: Juece) -> None:
    person(core, "owner_reviewer", ["owner", "legal_reviewer"])
    did = submitted(core, owner="owner_reviewer", handlers=("owner",))
    error = refused(core, did, "accept_for_review", "owner_reviewer")
    assert error.code == "er_reviewer_is_handler"


# -- CF58 第二款: a first-time penalty reviewer is qualified -----------------------------------------------------------

def test_cf58_2_a_first_time_penalty_reviewer_without_the_qualification_is_refused(core: Juece) -> None:
    unqualified = {k: v for k, v in AGREE.items() if k != "qualification_no"}
    did = under_review(core)
    error = refused(core, did, "sign_review_opinion", "reviewer", unqualified, password=PASSWORD)
    assert error.code == "er_reviewer_not_qualified" and error.article == CF58_2
    error = refused(core, did, "sign_review_opinion", "reviewer", unqualified | {"reviewing_since": "2022-01-01"},
                    password=PASSWORD)
    assert error.code == "er_reviewer_not_qualified"  # first took up penalty review under the 2021 law


def test_cf58_2_binds_penalties_and_first_timers_only(core: Juece) -> None:
    unqualified = {k: v for k, v in AGREE.items() if k != "qualification_no"}
    licence = under_review(core, kind="licence")
    core.act(licence, "sign_review_opinion", "reviewer", unqualified, password=PASSWORD)
    assert state(core, licence) == "cleared"
    veteran = under_review(core)
    core.act(veteran, "sign_review_opinion", "reviewer", unqualified | {"reviewing_since": "2018-05-01"},
             password=PASSWORD)
    assert state(core, veteran) == "cleared"
    qualified = under_review(core)
    core.act(qualified, "sign_review_opinion", "reviewer", AGREE, password=PASSWORD)
    assert state(core, qualified) == "cleared"


# -- GB118: what the opinion says ------------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    AGREE | {"facts_evidence_ok": False},
    AGREE | {"suspected_crime": True},
    {"outcome": "disagree", "opinion": "不同意", "qualification_no": "A1"},
    {"outcome": "revise", "opinion": "修改后再审", "qualification_no": "A1"},
], ids=["agree-with-unconfirmed-item", "agree-with-suspected-crime", "disagree-without-issues",
        "revise-without-issues"])
def test_gb118_an_opinion_confirms_every_item_or_lists_the_issues(core: Juece, data: dict[str, Any]) -> None:
    did = under_review(core)
    error = refused(core, did, "sign_review_opinion", "reviewer", data, password=PASSWORD)
    assert error.code == "er_opinion_incomplete" and GB118 in str(error.article)


# -- CF58: no decision before a passed review, nor after a failed one -----------------------------------------------

def _to(core: Juece, target: str) -> int:
    """A case brought into ``target`` through the procedure itself."""
    if target == "preparing":
        return registered(core)
    if target == "submitted":
        return submitted(core)
    if target == "returned":
        did = submitted(core)
        core.act(did, "return_for_supplement", "reviewer", {"reason": "材料不全", "missing": ["送达回证"]})
        return did
    did = under_review(core)
    if target == "revising":
        core.act(did, "sign_review_opinion", "reviewer", {"outcome": "revise", "opinion": "裁量偏重",
                                                          "issues": ["裁量档次适用不当"], "qualification_no": "A1"},
                 password=PASSWORD)
    if target == "review_refused":
        core.act(did, "sign_review_opinion", "reviewer", {"outcome": "disagree", "opinion": "主体不适格",
                                                          "issues": ["执法主体不适格"], "qualification_no": "A1"},
                 password=PASSWORD)
    return did


@pytest.mark.parametrize("target", ["preparing", "submitted", "returned", "under_review", "revising",
                                    "review_refused"])
def test_cf58_no_decision_without_a_passed_review(core: Juece, clock: Clock, target: str) -> None:
    did = _to(core, target)
    assert state(core, did) == target
    with pytest.raises(RuleViolation) as info:
        decide(core, clock, did)
    assert info.value.code == "er_review_not_passed" and info.value.article == CF58
    assert "未经法制审核或者审核未通过的，不得作出决定" in info.value.zh
    assert state(core, did) == target


def _attempt(known: dict[str, Any]) -> Attempt:
    """A decision attempt over a replayed fact set (no database: the guard alone judges it)."""
    from workflow.engine.catalog import default_catalog

    procedure = default_catalog().get("enforcement-review@2021-07-15")
    view = DecisionView(1, 1, 1, procedure, "cleared", 9, known)
    return Attempt(view, procedure.actions["record_decision"], Actor(4, "chief", frozenset({"chief_executive"}), 1),
                   {}, dt.datetime(2026, 3, 4, 2, tzinfo=dt.UTC), Office(1, "古塘街道"), WorkCalendar())


def test_cf58_a_later_round_that_did_not_pass_undoes_the_earlier_agree(core: Juece, clock: Clock) -> None:
    known = facts(core, cleared(core, clock))
    assert er.er_review_passed_on_current_draft(_attempt(known)) is None
    later = known | {"review": known["review"] | {"round": 2},
                     "opinion": known["opinion"] | {"round": 2, "outcome": "revise"}}
    refusal = er.er_review_passed_on_current_draft(_attempt(later))
    assert refusal is not None and refusal.code == "er_review_not_passed" and refusal.article == CF58
    unanswered = known | {"review": known["review"] | {"round": 2}}  # a new round accepted, no opinion yet
    assert er.er_review_passed_on_current_draft(_attempt(unanswered)) is not None


def test_cf58_a_decision_on_a_text_other_than_the_reviewed_one_is_refused(core: Juece, clock: Clock) -> None:
    known = facts(core, cleared(core, clock))
    moved = known | {"draft": {"version": known["draft"]["version"] + 1, "hash": "f" * 64}}
    refusal = er.er_decision_matches_reviewed(_attempt(moved))
    assert refusal is not None and refusal.code == "er_decision_not_reviewed" and refusal.article == CF58
    assert er.er_decision_matches_reviewed(_attempt(known)) is None


def test_cf58_a_decision_dated_before_the_opinion_is_refused(core: Juece, clock: Clock) -> None:
    did = cleared(core, clock)
    with pytest.raises(RuleViolation) as info:
        decide(core, clock, did, decided_on="2026-03-02")  # the opinion was signed on 3 March
    assert info.value.code == "stated_time_before_prerequisite" and CF58 in str(info.value.article)


# -- CF57(2): the leaders' collective discussion -----------------------------------------------------------------------

def test_cf57_2_a_serious_case_is_decided_after_the_collective_discussion(core: Juece, clock: Clock) -> None:
    did = cleared(core, clock, flags=("complex_case", "collective_required"))
    with pytest.raises(RuleViolation) as info:
        decide(core, clock, did)
    assert info.value.code == "er_collective_discussion_required" and info.value.article == CF57_2
    core.act(did, "refer_to_collective_discussion", "owner", {"note": "情节复杂，提请集体讨论"})
    clock.advance(hours=3)
    meeting = {"held_at": clock.now.isoformat(), "attendees": ["chief", "副主任甲"]}
    error = refused(core, did, "record_meeting", "secretary", meeting)
    assert error.code == "er_meeting_record_incomplete" and error.article == CF57_2 and "会议纪要" in error.zh
    core.act(did, "record_meeting", "secretary", meeting | {"minutes": "集体讨论会议纪要"})
    error = refused(core, did, "record_meeting", "secretary", meeting | {"minutes": "第二份纪要"})
    assert error.code == "er_meeting_already_recorded"
    decide(core, clock, did)
    assert state(core, did) == "decided"


# -- GB118: a revision answers the opinion ---------------------------------------------------------------------------

def test_gb118_a_resubmission_after_revise_says_how_the_issues_were_handled(core: Juece, clock: Clock) -> None:
    did = _to(core, "revising")
    core.act(did, "upload_proposed_decision", "owner", {"content": "行政处罚决定书（代拟稿第二稿）：罚款一万五千元"})
    error = refused(core, did, "submit_for_review", "owner")
    assert error.code == "er_revision_unanswered" and GB118 in str(error.article)
    core.act(did, "submit_for_review", "owner", {"response_to_opinion": "已按裁量基准第二档调整罚款数额"})
    core.act(did, "accept_for_review", "reviewer")
    clock.advance(days=1)
    core.act(did, "sign_review_opinion", "reviewer", AGREE, password=PASSWORD)
    decide(core, clock, did)
    assert state(core, did) == "decided" and facts(core, did)["opinion"]["round"] == 2
    with core.db.read() as conn:
        assert verify_all(conn, core.catalog, [did]).ok


def test_gb118_a_refused_review_leads_to_a_new_round_or_to_closing(core: Juece) -> None:
    did = _to(core, "review_refused")
    core.act(did, "record_revision_decision", "chief", {"next": "close", "reason": "主体不适格，移交有权机关"})
    assert state(core, did) == "closed"


# -- GB118: closing states how and why ----------------------------------------------------------------------------

def test_gb118_closing_by_a_transfer_to_the_judiciary_states_the_reason_and_reference(core: Juece) -> None:
    did = submitted(core)
    error = refused(core, did, "close_case", "chief", {"disposition": "transferred_to_judiciary"}, password=PASSWORD)
    assert error.code == "er_close_reason_required" and GB118 in str(error.article) and "移送文书文号" in error.zh
    core.act(did, "close_case", "chief", {"disposition": "transferred_to_judiciary", "reason": "涉嫌污染环境罪",
                                          "reference": "古街综执移〔2026〕2号"}, password=PASSWORD)
    assert state(core, did) == "closed"


# -- the review limit -----------------------------------------------------------------------------------------------

def _due(core: Juece, clock: Clock, did: int, key: str) -> list[dict[str, Any]]:
    with core.db.read() as conn:
        return [d for d in show_decision(conn, core.catalog, did, clock.now)["deadlines"]
                if d["key"] == key and d["status"] == "open"]


def test_the_review_is_due_7_working_days_after_acceptance_with_reminders(core: Juece, clock: Clock) -> None:
    did = submitted(core)
    assert [d["due_at"] for d in _due(core, clock, did, "acceptance_due") if d["kind"] == "due"] == [
        "2026-03-04T16:00:00.000000Z"]
    core.act(did, "accept_for_review", "reviewer")
    rows = _due(core, clock, did, "review_due")
    assert not _due(core, clock, did, "acceptance_due")
    # Monday 2 March + 7 working days: Wednesday 11 March, reminders 2 working days before and on the day.
    assert {(d["kind"], d["due_at"]) for d in rows} == {("due", "2026-03-11T16:00:00.000000Z")} | {
        ("reminder", "2026-03-11T16:00:00.000000Z")}
    assert len(rows) == 3 and all(set(d["recipients"]) == {"legal_reviewer", "supervisor"} for d in rows)
    change_deadline(core, did, "review_due", "chief", "案情复杂，经分管领导批准延长3个工作日", dt.date(2026, 3, 16),
                    password=PASSWORD)
    assert [d["due_at"] for d in _due(core, clock, did, "review_due") if d["kind"] == "due"] == [
        "2026-03-16T16:00:00.000000Z"]
    with core.db.read() as conn:
        trail = [e["action"] for e in show_decision(conn, core.catalog, did, clock.now)["history"]]
    assert "deadline_extended" in trail  # the extension is an audited act of the chief executive
    core.act(did, "sign_review_opinion", "reviewer", AGREE, password=PASSWORD)
    assert not _due(core, clock, did, "review_due")


def test_an_office_with_its_own_review_limit_counts_from_it(core: Juece, clock: Clock) -> None:
    admin.ensure_org(core, "新碶街道", {"er_review_days": 10})
    for name, roles in (("owner_x", ["owner"]), ("reviewer_x", ["legal_reviewer"])):
        admin.add_user(core, name, roles, "新碶街道")
    did = core.create_decision(PROCEDURE, "某案", "owner_x", [])
    core.act(did, "open_case", "owner_x", {"case_number": "1", "decision_kind": "levy", "parties": "某公司",
                                           "flags": ["required_by_law"], "case_handlers": ["owner_x"]})
    core.act(did, "upload_proposed_decision", "owner_x", {"content": "征收决定（代拟稿）"})
    core.act(did, "submit_for_review", "owner_x", MATERIALS)
    core.act(did, "accept_for_review", "reviewer_x")
    assert [d["due_at"] for d in _due(core, clock, did, "review_due") if d["kind"] == "due"] == [
        "2026-03-16T16:00:00.000000Z"]
