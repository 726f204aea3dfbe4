"""The hard rules of docs/procedure/cn-713.md (1-13): each refused with its code and article, and allowed when met."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import (
    MEETING,
    PASSWORD,
    Clock,
    adopt_all,
    at_least,
    local_iso,
    new_decision,
    run_public_comment,
    to_collective_discussion,
    to_consultation,
    to_implementation,
    to_legality_review,
    to_publication,
)
from workflow.admin import offices as admin
from workflow.engine.errors import ActionNotAllowed, Forbidden, InvalidInput, RuleViolation
from workflow.record import keys
from workflow.service import Juece


def refused(core: Juece, did: int, action: str, actor: str, data: dict | None = None) -> RuleViolation:
    """Take an action that must be refused by a rule; return the refusal."""
    with pytest.raises(RuleViolation) as info:
        core.act(did, action, actor, data or {})
    error = info.value
    assert error.zh and error.en and error.article
    return error


def window(clock: Clock, days: float, **extra: str) -> dict[str, str]:
    return {"opens_at": local_iso(clock.now), "closes_at": local_iso(clock.now + dt.timedelta(days=days))} | extra


# -- rule 1: the public comment window (Art. 15) ---------------------------------------------------

def test_comment_window_shorter_than_30_days_is_refused(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    error = refused(core, did, "open_public_comment", "owner", window(clock, 29))
    assert (error.code, error.article, error.rule) == ("comment_window_too_short", "Art. 15", 1)
    assert "30" in error.zh


def test_comment_window_of_30_days_is_accepted(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    clock.set("2026-03-02T09:00")  # Monday; day 30 is Wednesday 2026-04-01, a working day, to its 24:00
    core.act(did, "open_public_comment", "owner", {"opens_at": "2026-03-02T09:00+08:00",
                                                   "closes_at": "2026-04-02T00:00+08:00"})


def test_comment_window_ending_on_a_holiday_runs_to_the_next_working_day(core: Juece, clock: Clock) -> None:
    # Opened Saturday 2026-03-07: day 30 is 2026-04-06, inside the Qingming holiday (04-04..04-06), so
    # the period ends on 04-07 (Civil Code Art. 203) and a window closing on 04-06 is too short.
    did = new_decision(core)
    to_consultation(core, did)
    short = {"opens_at": "2026-03-07T09:00+08:00", "closes_at": "2026-04-06T17:00+08:00"}
    assert refused(core, did, "open_public_comment", "owner", short).details["earliest"] == "2026-04-07"
    core.act(did, "open_public_comment", "owner", short | {"closes_at": "2026-04-08T00:00+08:00"})


def test_shortened_window_needs_and_keeps_its_reason(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    core.act(did, "open_public_comment", "owner", window(clock, 10, short_reason="防汛工程情况紧急"))
    with core.db.read() as conn:
        from workflow.views.queries import show_decision

        facts = show_decision(conn, core.catalog, did, clock.now)["facts"]
    assert facts["comment_window"]["short_reason"] == "防汛工程情况紧急"


# -- rule 2: comments only while the window is open (Art. 15) ---------------------------------------

def test_comments_only_inside_the_window(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    core.act(did, "open_public_comment", "owner", window(clock, 31) | {"opens_at": local_iso(
        clock.now + dt.timedelta(days=1)), "closes_at": local_iso(clock.now + dt.timedelta(days=32))})
    assert refused(core, did, "submit_comment", "citizen1", {"text": "太早"}).code == "comment_window_closed"
    clock.advance(days=2)
    core.act(did, "submit_comment", "citizen1", {"text": "建议增设无障碍通道"})
    core.act(did, "edit_comment", "citizen1", {"comment_id": 1, "text": "建议增设无障碍通道和停车位"})
    assert refused(core, did, "edit_comment", "citizen2", {"comment_id": 1, "text": "改"}).code == "not_comment_author"
    clock.advance(days=31)
    error = refused(core, did, "submit_comment", "citizen2", {"text": "太晚"})
    assert (error.code, error.rule) == ("comment_window_closed", 2)
    assert refused(core, did, "edit_comment", "citizen1", {"comment_id": 1, "text": "改"}).code == "comment_window_closed"


def test_no_comment_before_any_window(core: Juece) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    assert refused(core, did, "submit_comment", "citizen1", {"text": "意见"}).code == "comment_window_closed"


# -- rule 3: hearing materials 7 days before (Art. 16) ----------------------------------------------

def _hearing(core: Juece, clock: Clock, did: int, in_days: int) -> None:
    core.act(did, "schedule_hearing", "owner", {
        "hearing_at": local_iso(clock.now + dt.timedelta(days=in_days)), "place": "古塘街道会议室",
        "selection_method": "自愿报名、随机抽取", "participants": ["居民代表甲", "居民代表乙"]})


def test_hearing_materials_late_are_refused(core: Juece, clock: Clock) -> None:
    did = new_decision(core, ["hearing_required"])
    to_consultation(core, did, ["hearing_required"])
    _hearing(core, clock, did, 6)
    error = refused(core, did, "deliver_hearing_materials", "owner")
    assert (error.code, error.article, error.rule) == ("hearing_materials_late", "Art. 16", 3)
    assert refused(core, did, "record_hearing", "owner", {"record": "笔录"}).code == "hearing_materials_late"


def test_hearing_materials_seven_days_ahead_then_record(core: Juece, clock: Clock) -> None:
    did = new_decision(core, ["hearing_required"])
    to_consultation(core, did, ["hearing_required"])
    _hearing(core, clock, did, 7)
    core.act(did, "deliver_hearing_materials", "owner")
    clock.advance(days=7)
    core.act(did, "record_hearing", "owner", {"record": "听证笔录（参加人签字）"}, password=PASSWORD)


# -- rule 4: everything required before the legality review (Art. 14, 18, 24, 29) -------------------

def test_required_expert_review_missing_is_refused(core: Juece, clock: Clock) -> None:
    did = new_decision(core, ["technical"])
    to_consultation(core, did, ["technical"])
    run_public_comment(core, clock, did)
    adopt_all(core, did, ["comment:1"])
    error = refused(core, did, "submit_legality_review", "owner")
    assert (error.code, error.rule) == ("consultation_incomplete", 4)
    assert "专家论证" in error.zh


def test_required_task_cannot_be_waived_but_optional_one_can_with_reason(core: Juece) -> None:
    did = new_decision(core, ["technical"])
    to_consultation(core, did, ["technical"])
    assert refused(core, did, "waive_task", "owner", {"task": "expert_review", "reason": "不需要"}).code == "task_required"
    assert refused(core, did, "waive_task", "owner", {"task": "risk_assessment"}).code == "waiver_reason_required"
    core.act(did, "waive_task", "owner", {"task": "risk_assessment", "reason": "不涉及社会稳定风险，不开展风险评估"})


def test_no_participation_is_refused_unless_confidential(core: Juece) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    error = refused(core, did, "submit_legality_review", "owner")
    assert (error.code, error.article) == ("participation_missing", "Art. 14")
    secret = new_decision(core)
    core.act(secret, "initiate", "owner", {"owner_unit": "城建办", "flags": ["confidential"],
                                           "confidential_basis": "《保守国家秘密法》第九条"})
    core.act(secret, "upload_draft", "owner", {"content": "涉密草案"})
    core.act(secret, "start_consultation", "owner", {"legal_bases": ["《保守国家秘密法》"]})
    assert refused(core, secret, "open_public_comment", "owner",
                   {"opens_at": "2026-03-02T09:00+08:00", "closes_at": "2026-04-10T09:00+08:00"}).code == (
        "confidential_not_public")
    core.act(secret, "submit_legality_review", "owner")


def test_confidential_flag_needs_its_legal_basis(core: Juece) -> None:
    did = new_decision(core)
    assert refused(core, did, "initiate", "owner", {"owner_unit": "城建办", "flags": ["confidential"]}).code == (
        "confidential_basis_required")


def test_open_window_and_unanswered_comments_block_the_review(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    core.act(did, "open_public_comment", "owner", window(clock, 31))
    clock.advance(days=1)
    core.act(did, "submit_comment", "citizen1", {"text": "意见"})
    assert "向社会公开征求意见" in refused(core, did, "submit_legality_review", "owner").zh
    clock.advance(days=31)
    assert "意见采纳情况" in refused(core, did, "submit_legality_review", "owner").zh
    error = refused(core, did, "record_adoption_report", "owner",
                    {"entries": {"comment:1": {"adoption": "not_adopted"}}})
    assert error.code == "adoption_report_incomplete"
    core.act(did, "record_adoption_report", "owner",
             {"entries": {"comment:1": {"adoption": "not_adopted", "reason": "与上位法不一致"}}})
    core.act(did, "submit_legality_review", "owner")


def test_uncontrollable_risk_sends_the_draft_back_and_blocks_until_reassessed(core: Juece, clock: Clock) -> None:
    did = new_decision(core, ["stability_risk"])
    to_consultation(core, did, ["stability_risk"])
    result = core.act(did, "record_risk_assessment", "owner",
                      {"controllable": "false", "report": "风险不可控", "assessor_unit": "风险评估中心"})
    assert result.state == "drafting"  # Art. 24
    core.act(did, "upload_draft", "owner", {"content": "草案第二稿（调整后）"})
    core.act(did, "start_consultation", "owner", {"legal_bases": ["《城乡规划法》"]})
    run_public_comment(core, clock, did, comments=0)
    assert refused(core, did, "submit_legality_review", "owner").code == "risk_not_controllable"
    core.act(did, "record_risk_assessment", "owner",
             {"controllable": "true", "report": "调整后风险可控", "assessor_unit": "风险评估中心"})
    core.act(did, "submit_legality_review", "owner")


# -- rule 5: at least 7 working days for the review (Art. 26) ---------------------------------------

def test_review_due_date_earlier_than_seven_working_days_is_refused(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    run_public_comment(core, clock, did)
    adopt_all(core, did, ["comment:1"])
    clock.set("2026-04-07T10:00")  # Tuesday after Qingming; 7 WD later is Thursday 2026-04-16
    error = refused(core, did, "submit_legality_review", "owner", {"due_on": "2026-04-15"})
    assert (error.code, error.rule, error.details["earliest"]) == ("review_period_too_short", 5, "2026-04-16")
    core.act(did, "submit_legality_review", "owner", {"due_on": "2026-04-16"})


@pytest.mark.parametrize(("office_limit", "due_day"), [(10, "2026-04-21"), (5, "2026-04-16"), (12, "2026-04-23")])
def test_review_deadline_is_the_later_of_seven_working_days_and_the_office_limit(
        core: Juece, clock: Clock, office_limit: int, due_day: str) -> None:
    admin.update_org_settings(core, "古塘街道", {"legality_review_days": office_limit})
    did = new_decision(core)
    to_consultation(core, did)
    run_public_comment(core, clock, did)
    adopt_all(core, did, ["comment:1"])
    clock.set("2026-04-07T10:00")
    core.act(did, "submit_legality_review", "owner")
    with core.db.read() as conn:
        from workflow.views.queries import show_decision

        rows = [d for d in show_decision(conn, core.catalog, did, clock.now)["deadlines"]
                if d["key"] == "legality_review_due" and d["kind"] == "due"]
    # Due at 24:00 Shanghai time of the last day = 16:00 UTC that day.
    assert rows[0]["due_at"] == f"{due_day}T16:00:00.000000Z"


# -- rule 6: reviewer is not the owner; an adviser's opinion is attached (Art. 25, 28) ----------------

def test_reviewer_who_owns_the_decision_is_refused(core: Juece, clock: Clock) -> None:
    admin.add_user(core, "dual", ["owner", "legal_reviewer"], "古塘街道", unit="城建办")
    did = core.create_decision("cn-713", "自审自批", "dual")
    core.act(did, "initiate", "dual", {"owner_unit": "城建办"})
    core.act(did, "upload_draft", "dual", {"content": "草案"})
    core.act(did, "start_consultation", "dual", {"legal_bases": ["依据"]})
    core.act(did, "record_participation", "dual", {"method": "symposium", "summary": "座谈会"})
    core.act(did, "submit_legality_review", "dual")
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": "合法"}, password=PASSWORD)
    error = refused(core, did, "sign_legality_opinion", "dual", {"outcome": "lawful", "opinion": "合法"})
    assert (error.code, error.rule) == ("reviewer_is_owner", 6)


def test_opinion_without_adviser_is_refused_and_signed_opinion_binds_the_draft(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_legality_review(core, clock, did)
    error = refused(core, did, "sign_legality_opinion", "reviewer", {"outcome": "lawful", "opinion": "合法"})
    assert (error.code, error.article) == ("adviser_opinion_required", "Art. 28")
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": "合法"}, password=PASSWORD)
    core.act(did, "sign_legality_opinion", "reviewer", {"outcome": "lawful", "opinion": "合法"}, password=PASSWORD)
    with core.db.read() as conn:
        from sqlalchemy import select

        from workflow.persistence.store import E

        event = conn.execute(select(E.c.event).where(E.c.stream == f"decision:{did}",
                                                     E.c.action == "sign_legality_opinion")).scalar_one()
        draft_hash = conn.execute(select(E.c.event).where(E.c.stream == f"decision:{did}",
                                                          E.c.action == "upload_draft")).scalar_one()["data"]["content"]
    assert event["draft"] == {"version": 1, "hash": draft_hash}
    assert event["signature"]["key"] and event["signature"]["sig"]


def test_art28_signing_reviewer_cannot_count_as_the_adviser(core: Juece, clock: Clock) -> None:
    # One lawyer holds both roles: their own adviser opinion cannot be the adviser opinion of the round
    # they sign (Art. 28: the review body organises advisers' opinions for its own opinion).
    admin.add_user(core, "lawyer", ["legal_adviser", "legal_reviewer"], "古塘街道", unit="司法所")
    keys.change_password(core, "lawyer", PASSWORD)
    did = new_decision(core)
    to_legality_review(core, clock, did)
    core.act(did, "submit_adviser_opinion", "lawyer", {"opinion": "合法"}, password=PASSWORD)
    error = refused(core, did, "sign_legality_opinion", "lawyer", {"outcome": "lawful", "opinion": "合法"})
    assert (error.code, error.article, error.rule) == ("reviewer_is_adviser", "Art. 28", 6)
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": "同意，建议明确补偿依据"}, password=PASSWORD)
    assert core.act(did, "sign_legality_opinion", "lawyer", {"outcome": "lawful", "opinion": "合法"},
                    password=PASSWORD).state == "collective_discussion"


def test_art28_an_adviser_who_also_reviews_may_advise_another_reviewer(core: Juece, clock: Clock) -> None:
    admin.add_user(core, "lawyer", ["legal_adviser", "legal_reviewer"], "古塘街道", unit="司法所")
    keys.change_password(core, "lawyer", PASSWORD)
    did = new_decision(core)
    to_legality_review(core, clock, did)
    core.act(did, "submit_adviser_opinion", "lawyer", {"opinion": "合法"}, password=PASSWORD)
    assert core.act(did, "sign_legality_opinion", "reviewer", {"outcome": "lawful", "opinion": "合法"},
                    password=PASSWORD).state == "collective_discussion"


# -- rule 7: no collective discussion without a lawful opinion on the current draft (Art. 25) ----------

def test_needs_changes_opinion_sends_back_and_a_new_round_is_needed(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_legality_review(core, clock, did)
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": "需修改"}, password=PASSWORD)
    result = core.act(did, "sign_legality_opinion", "reviewer", {"outcome": "needs_changes", "opinion": "需修改"}, password=PASSWORD)
    assert result.state == "drafting"
    core.act(did, "upload_draft", "owner", {"content": "草案第二稿"})
    core.act(did, "start_consultation", "owner", {"legal_bases": ["《城乡规划法》"]})
    core.act(did, "submit_legality_review", "owner")
    # The adviser's opinion of round 1 does not cover the new draft.
    assert refused(core, did, "sign_legality_opinion", "reviewer",
                   {"outcome": "lawful", "opinion": "合法"}).code == "adviser_opinion_required"


def test_exploratory_reform_needs_a_risk_note(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_legality_review(core, clock, did)
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": "探索性改革"}, password=PASSWORD)
    error = refused(core, did, "sign_legality_opinion", "reviewer", {"outcome": "exploratory_reform", "opinion": "可"})
    assert (error.code, error.rule) == ("risk_note_required", 7)
    core.act(did, "sign_legality_opinion", "reviewer",
             {"outcome": "exploratory_reform", "opinion": "可", "risk_note": "国家尚无明确规定，存在被撤销风险"}, password=PASSWORD)
    at_least(clock, "2026-05-06T10:00")
    core.act(did, "record_meeting", "secretary", MEETING)


def test_collective_discussion_refused_when_the_opinion_is_not_on_the_current_draft(core: Juece, clock: Clock) -> None:
    # The machine never lets a draft change after its opinion; the guard is checked on the facts anyway.
    from workflow.engine.catalog import default_catalog
    from workflow.engine.context import Actor, DecisionView, Office
    from workflow.engine.decide import decide

    did = new_decision(core)
    to_collective_discussion(core, clock, did)
    with core.db.read() as conn:
        from workflow.views.queries import show_decision

        facts = show_decision(conn, core.catalog, did, clock.now)["facts"]
    facts["draft"] = {"version": 2, "hash": "f" * 64}
    view = DecisionView(did, 1, 1, default_catalog().get("cn-713@2019-09-01"), "collective_discussion", 20, facts)
    secretary = Actor(99, "secretary", frozenset({"secretary"}), 1)
    from workflow.timing.calendar import WorkCalendar

    with pytest.raises(RuleViolation) as info:
        decide(view, "record_meeting", secretary, MEETING, clock.now, Office(1, "古塘街道"), WorkCalendar(),
               lambda name: None)
    assert (info.value.code, info.value.article, info.value.rule) == ("legality_opinion_required", "Art. 25", 7)
    assert info.value.zh == "未经合法性审查或者经审查不合法的，不得提交集体讨论"


# -- rule 8: the discussion record and the chief executive's decision (Art. 30) ------------------------

def test_meeting_record_needs_attendees_and_views(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_collective_discussion(core, clock, did)
    assert refused(core, did, "record_meeting", "secretary", {"held_at": "2026-05-06T09:00+08:00"}).code == (
        "discussion_record_incomplete")
    stranger = MEETING | {"views": MEETING["views"] + [{"member": "未出席者", "view": "for"}]}
    assert refused(core, did, "record_meeting", "secretary", stranger).rule == 8
    assert refused(core, did, "record_decision", "chief", {"outcome": "adopted"}).code == "discussion_record_incomplete"


def test_art30_every_attending_member_gives_a_view(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_collective_discussion(core, clock, did)
    clock.set("2026-05-06T11:00")
    silent = MEETING | {"attendees": ["chief", "member1", "secretary", "expert1"],
                        "views": [{"member": "member1", "view": "for"}, {"member": "chief", "view": "for"}]}
    error = refused(core, did, "record_meeting", "secretary", silent)
    assert (error.code, error.article, error.rule) == ("discussion_record_incomplete", "Art. 30", 8)
    assert error.details["members_without_view"] == ["secretary", "expert1"]
    assert "secretary、expert1" in error.zh and "secretary、expert1" in error.en
    core.act(did, "record_meeting", "secretary", MEETING)  # every member present has spoken


def test_art30_observers_are_listed_apart_and_give_no_view(core: Juece, clock: Clock) -> None:
    # 列席: the recording secretary and the owner presenting the draft are present without a vote.
    did = new_decision(core)
    to_collective_discussion(core, clock, did)
    clock.set("2026-05-06T11:00")
    members = [{"member": "member1", "view": "against", "remarks": "资金不足"}, {"member": "chief", "view": "for"}]
    meeting = MEETING | {"attendees": ["member1", "chief"], "observers": ["secretary", "owner"], "views": members}
    talking = meeting | {"views": [{"member": "owner", "view": "for"}, *members]}
    error = refused(core, did, "record_meeting", "secretary", talking)
    assert error.code == "discussion_record_incomplete" and "owner" in error.zh
    both = meeting | {"attendees": ["member1", "chief", "secretary"]}
    assert "secretary" in refused(core, did, "record_meeting", "secretary", both).en
    core.act(did, "record_meeting", "secretary", meeting)
    # The rules of the decision itself are unchanged: dissent is kept, the chief speaks last and decides,
    # and a decision against the members' majority (here the one member present) states its reason.
    assert refused(core, did, "record_decision", "chief", {"outcome": "adopted"}).code == (
        "against_majority_reason_required")
    assert core.act(did, "record_decision", "chief", {"outcome": "adopted", "reason": "列入省级试点"}, password=PASSWORD).state == (
        "party_report")
    with core.db.read() as conn:
        from sqlalchemy import select

        from workflow.persistence.store import E

        event = conn.execute(select(E.c.event).where(E.c.stream == f"decision:{did}",
                                                     E.c.action == "record_meeting")).scalar_one()
    assert event["data"]["observers"] == ["secretary", "owner"]
    assert event["data"]["views"][0]["remarks"] == "资金不足"


def test_chief_executive_speaks_last(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_collective_discussion(core, clock, did)
    # The secretary only keeps the minutes here: an observer (列席), so no view of theirs is needed (Art. 30).
    early = MEETING | {"attendees": ["chief", "member1"], "observers": ["secretary"],
                       "views": [{"member": "chief", "view": "for"}, {"member": "member1", "view": "for"}]}
    core.act(did, "record_meeting", "secretary", early)
    assert refused(core, did, "record_decision", "chief", {"outcome": "adopted"}).code == "chief_must_speak_last"


def test_decision_against_the_majority_needs_a_reason_and_dissent_is_kept(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_collective_discussion(core, clock, did)
    against = MEETING | {"views": [{"member": "member1", "view": "against", "remarks": "选址不当"},
                                   {"member": "secretary", "view": "against", "remarks": "资金不足"},
                                   {"member": "chief", "view": "for"}]}
    core.act(did, "record_meeting", "secretary", against)
    error = refused(core, did, "record_decision", "chief", {"outcome": "adopted"})
    assert (error.code, error.article) == ("against_majority_reason_required", "Art. 30")
    core.act(did, "record_decision", "chief", {"outcome": "adopted", "reason": "项目列入省级试点，时间紧迫"}, password=PASSWORD)
    with core.db.read() as conn:
        from workflow.views.queries import show_decision

        facts = show_decision(conn, core.catalog, did, clock.now)["facts"]
    assert [v["remarks"] for v in facts["meeting"]["views"] if v["view"] == "against"] == ["选址不当", "资金不足"]


def test_deferred_decision_needs_a_new_meeting(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_collective_discussion(core, clock, did)
    core.act(did, "record_meeting", "secretary", MEETING)
    assert core.act(did, "record_decision", "chief", {"outcome": "deferred"}, password=PASSWORD).state == "collective_discussion"
    assert refused(core, did, "record_decision", "chief", {"outcome": "adopted"}).code == "discussion_record_incomplete"


# -- rule 9: the Party report comes before publication (Art. 31) ---------------------------------------

def test_publication_is_impossible_before_the_party_report(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_collective_discussion(core, clock, did)
    core.act(did, "record_meeting", "secretary", MEETING)
    core.act(did, "record_decision", "chief", {"outcome": "adopted"}, password=PASSWORD)
    with pytest.raises(ActionNotAllowed):
        core.act(did, "publish", "publisher", {"channels": ["政府网站"], "published_on": "2026-05-10"})
    core.act(did, "record_party_consent", "secretary", {"reference": "古街党〔2026〕12号"})
    at_least(clock, "2026-05-10T10:00")
    core.act(did, "publish", "publisher", {"channels": ["政府网站"], "published_on": "2026-05-10"})


# -- rule 10: publication states channels and date, and explains adoption when technical (Art. 32) -------

def test_publication_needs_channels_date_and_for_technical_matters_the_adoption_explanation(
        core: Juece, clock: Clock) -> None:
    did = new_decision(core, ["technical"])
    to_publication(core, clock, did, ["technical"])
    error = refused(core, did, "publish", "publisher", {"published_on": "2026-05-10"})
    assert (error.code, error.rule) == ("publication_incomplete", 10)
    error = refused(core, did, "publish", "publisher", {"channels": ["政府网站"], "published_on": "2026-05-10"})
    assert error.code == "adoption_explanation_required"
    core.act(did, "publish", "publisher", {"channels": ["政府网站"], "published_on": "2026-05-10",
                                          "adoption_explanation": "采纳公众意见1条、专家意见1份"})


def test_withholding_needs_its_legal_basis(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_publication(core, clock, did)
    assert refused(core, did, "withhold", "publisher").code == "withholding_basis_required"
    core.act(did, "withhold", "publisher", {"legal_basis": "《政府信息公开条例》第十四条"})


# -- rule 11: suspension by the chief executive alone; a major change is a new decision (Art. 37) --------

def test_suspension_only_by_the_chief_executive_with_reason_and_urgency(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_implementation(core, clock, did)
    with pytest.raises(Forbidden):
        core.act(did, "suspend", "owner", {"reason": "资金未到位", "urgency": "紧急"})
    assert refused(core, did, "suspend", "chief", {"reason": "资金未到位"}).code == "suspension_reason_required"
    assert core.act(did, "suspend", "chief", {"reason": "施工发现文物", "urgency": "须立即停工保护"},
                    password=PASSWORD).state == "suspended"
    assert core.act(did, "resume", "chief", {"reason": "文物已迁移保护"}, password=PASSWORD).state == "implementation"


def test_major_change_starts_a_new_linked_decision(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_implementation(core, clock, did)
    core.act(did, "start_evaluation", "owner", {"evaluation_unit": "第三方评估机构"})
    result = core.act(did, "record_evaluation", "evaluator", {"outcome": "major_change", "report": "需重大调整"})
    assert result.state == "implementation" and result.linked_decision
    with core.db.read() as conn:
        from workflow.views.queries import show_decision

        linked = show_decision(conn, core.catalog, result.linked_decision, clock.now)
    assert (linked["state"], linked["linked_from"]) == ("proposed", did)


# -- rule 12: the evaluator is not the pre-decision assessor (Art. 36) ----------------------------------

def test_evaluator_must_not_be_the_unit_that_assessed_the_risk(core: Juece, clock: Clock) -> None:
    did = new_decision(core, ["stability_risk"])
    to_consultation(core, did, ["stability_risk"])
    core.act(did, "record_risk_assessment", "owner",
             {"controllable": "true", "report": "风险可控", "assessor_unit": "风险评估中心"})
    run_public_comment(core, clock, did)
    adopt_all(core, did, ["comment:1"])
    core.act(did, "submit_legality_review", "owner")
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": "合法"}, password=PASSWORD)
    core.act(did, "sign_legality_opinion", "reviewer", {"outcome": "lawful", "opinion": "合法"}, password=PASSWORD)
    at_least(clock, "2026-05-06T10:00")
    core.act(did, "record_meeting", "secretary", MEETING)
    core.act(did, "record_decision", "chief", {"outcome": "adopted"}, password=PASSWORD)
    core.act(did, "record_party_consent", "secretary", {"reference": "古街党〔2026〕12号"})
    at_least(clock, "2026-05-10T10:00")
    core.act(did, "publish", "publisher", {"channels": ["政府网站"], "published_on": "2026-05-10"})
    error = refused(core, did, "start_evaluation", "owner", {"evaluation_unit": "风险评估中心"})
    assert (error.code, error.article, error.rule) == ("evaluator_not_independent", "Art. 36", 12)
    core.act(did, "start_evaluation", "owner", {"evaluation_unit": "第三方评估机构"})
    assert refused(core, did, "record_evaluation", "assessor_evaluator",
                   {"outcome": "continue", "report": "继续"}).code == "evaluator_not_independent"
    core.act(did, "record_evaluation", "evaluator", {"outcome": "continue", "report": "继续执行"})


def _implemented_after_risk_assessment_by(core: Juece, clock: Clock, assessor_unit: str,
                                          flags: tuple[str, ...] = ()) -> int:
    """A decision whose risk assessment was done by ``assessor_unit``, published and in implementation."""
    wanted = ["stability_risk", *flags]
    did = new_decision(core, wanted)
    to_consultation(core, did, wanted)
    core.act(did, "record_risk_assessment", "owner",
             {"controllable": "true", "report": "风险可控", "assessor_unit": assessor_unit})
    run_public_comment(core, clock, did)
    refs = ["comment:1"]
    if "technical" in flags:
        core.act(did, "submit_expert_opinion", "expert_evaluator", {"opinion": "方案可行"}, password=PASSWORD)
        refs.append("expert:1")
    adopt_all(core, did, refs)
    core.act(did, "submit_legality_review", "owner")
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": "合法"}, password=PASSWORD)
    core.act(did, "sign_legality_opinion", "reviewer", {"outcome": "lawful", "opinion": "合法"}, password=PASSWORD)
    clock.set("2026-05-06T11:00")
    core.act(did, "record_meeting", "secretary", MEETING)
    core.act(did, "record_decision", "chief", {"outcome": "adopted"}, password=PASSWORD)
    core.act(did, "record_party_consent", "secretary", {"reference": "古街党〔2026〕12号"})
    publication = {"channels": ["政府网站"], "published_on": "2026-05-06"}
    if "technical" in flags:
        publication["adoption_explanation"] = "专家意见已采纳"
    core.act(did, "publish", "publisher", publication)
    return did


def test_art36_owner_whose_unit_assessed_the_risk_may_organise_the_evaluation(core: Juece, clock: Clock) -> None:
    # The owner's own unit (城建办) did the risk assessment: it may organise the evaluation (Art. 36 names
    # the unit doing the evaluation work), but may not be named to do it.
    did = _implemented_after_risk_assessment_by(core, clock, "城建办")
    error = refused(core, did, "start_evaluation", "owner", {"evaluation_unit": "城建办"})
    assert (error.code, error.article, error.rule, error.details["unit"]) == (
        "evaluator_not_independent", "Art. 36", 12, "城建办")
    core.act(did, "start_evaluation", "owner", {"evaluation_unit": "第三方评估机构"})
    assert core.act(did, "record_evaluation", "evaluator", {"outcome": "continue", "report": "效果良好"}).state == (
        "implementation")


def test_art36_evaluator_who_did_the_pre_decision_review_in_person_may_not_evaluate(
        core: Juece, clock: Clock) -> None:
    # An expert of the third-party evaluator gave the pre-decision expert opinion (论证) in person.
    admin.add_user(core, "expert_evaluator", ["expert", "evaluator"], "古塘街道", unit="第三方评估机构")
    keys.change_password(core, "expert_evaluator", PASSWORD)
    did = _implemented_after_risk_assessment_by(core, clock, "风险评估中心", ("technical",))
    core.act(did, "start_evaluation", "chief", {"evaluation_unit": "第三方评估机构"})
    error = refused(core, did, "record_evaluation", "expert_evaluator", {"outcome": "continue", "report": "继续"})
    assert (error.code, error.article, error.rule) == ("evaluator_was_assessor", "Art. 36", 12)
    assert "expert_evaluator" in error.zh
    core.act(did, "record_evaluation", "evaluator", {"outcome": "continue", "report": "继续执行"})


def test_art36_evaluator_employed_by_the_assessing_unit_may_not_evaluate(core: Juece, clock: Clock) -> None:
    did = _implemented_after_risk_assessment_by(core, clock, "风险评估中心")
    core.act(did, "start_evaluation", "owner", {"evaluation_unit": "第三方评估机构"})
    error = refused(core, did, "record_evaluation", "assessor_evaluator", {"outcome": "continue", "report": "继续"})
    assert (error.code, error.details["unit"]) == ("evaluator_not_independent", "风险评估中心")


# -- rule 13: nothing archived while a record is missing (Art. 33) --------------------------------------

def test_closing_needs_a_complete_record(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_implementation(core, clock, did)
    error = refused(core, did, "close", "owner")
    assert (error.code, error.rule) == ("dossier_incomplete", 13)
    core.act(did, "report_progress", "executor", {"report": "一期工程已完工", "public": True})
    assert core.act(did, "close", "owner").state == "closed"


def _everything_consulted_and_implemented(core: Juece, clock: Clock) -> int:
    """A decision with every consultation step required by its flags, done, then published and reported on."""
    flags = ["technical", "stability_risk", "affects_specific_group", "hearing_required", "involves_other_units",
             "market_activity"]
    did = new_decision(core, flags)
    to_consultation(core, did, flags)
    core.act(did, "schedule_hearing", "owner", {
        "hearing_at": local_iso(clock.now + dt.timedelta(days=8)), "place": "古塘街道会议室",
        "selection_method": "自愿报名、随机抽取", "participants": ["居民代表甲", "居民代表乙"]})
    core.act(did, "deliver_hearing_materials", "owner")
    run_public_comment(core, clock, did)
    core.act(did, "record_hearing", "owner", {"record": "听证笔录（参加人签字）"}, password=PASSWORD)
    core.act(did, "record_risk_assessment", "owner",
             {"controllable": "true", "report": "风险可控", "assessor_unit": "风险评估中心"})
    core.act(did, "record_group_consultation", "owner", {"record": "安置户座谈会记录"})
    core.act(did, "record_interagency_consultation", "owner", {"agreement": True, "record": "会签意见"})
    core.act(did, "record_fair_competition_review", "owner", {"record": "公平竞争审查表"})
    core.act(did, "submit_expert_opinion", "expert1", {"opinion": "方案可行"}, password=PASSWORD)
    adopt_all(core, did, ["comment:1", "expert:1"])
    core.act(did, "submit_legality_review", "owner")
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": "合法"}, password=PASSWORD)
    core.act(did, "sign_legality_opinion", "reviewer", {"outcome": "lawful", "opinion": "合法"}, password=PASSWORD)
    clock.set("2026-05-06T11:00")
    core.act(did, "record_meeting", "secretary", MEETING)
    core.act(did, "record_decision", "chief", {"outcome": "adopted"}, password=PASSWORD)
    core.act(did, "record_party_consent", "secretary", {"reference": "古街党〔2026〕12号"})
    core.act(did, "publish", "publisher", {"channels": ["政府网站"], "published_on": "2026-05-06",
                                          "adoption_explanation": "公众意见、专家意见均已采纳"})
    core.act(did, "report_progress", "executor", {"report": "一期工程已完工"})
    return did


def test_art33_closing_names_each_missing_consultation_record(core: Juece, clock: Clock) -> None:
    from sqlalchemy import select, update

    from workflow.persistence.store import D

    did = _everything_consulted_and_implemented(core, clock)
    with core.db.read() as conn:
        kept = dict(conn.execute(select(D.c.facts).where(D.c.id == did)).scalar_one())
    # The procedure cannot reach implementation without these records today; the archive check must not
    # rely on that. Take them out of the stored facts, as a correction of an earlier record or a dossier
    # entered after the fact could leave them, and close.
    gutted = dict(kept) | {"comment_window": None, "adoption": None, "expert_opinions": [], "risk": None,
                           "hearing": dict(kept["hearing"]) | {"record": None}, "records": {}}
    with core.db.write() as conn:
        conn.execute(update(D).where(D.c.id == did).values(facts=gutted))
    error = refused(core, did, "close", "owner")
    assert (error.code, error.article, error.rule) == ("dossier_incomplete", "Art. 33", 13)
    assert error.details["records"] == [
        "向社会公开征求意见记录 / Public comment record", "听证会记录 / Hearing record",
        "与特定群体沟通协商记录 / Consultation with the affected group record", "专家论证记录 / Expert review record",
        "风险评估记录 / Risk assessment record", "部门协商记录 / Inter-agency consultation record",
        "公平竞争审查记录 / Fair-competition review record", "意见采纳情况记录 / Adoption report record",
        "公众参与记录 / public participation record (Art. 14)"]
    assert all(record.split(" / ")[0] in error.zh for record in error.details["records"])
    with core.db.write() as conn:
        conn.execute(update(D).where(D.c.id == did).values(facts=kept))
    assert core.act(did, "close", "owner").state == "closed"


def test_art33_an_optional_step_waived_with_its_reason_needs_no_other_record(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    core.act(did, "waive_task", "owner", {"task": "risk_assessment", "reason": "不涉及社会稳定风险，不开展风险评估"})
    run_public_comment(core, clock, did)
    adopt_all(core, did, ["comment:1"])
    core.act(did, "submit_legality_review", "owner")
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": "合法"}, password=PASSWORD)
    core.act(did, "sign_legality_opinion", "reviewer", {"outcome": "lawful", "opinion": "合法"}, password=PASSWORD)
    at_least(clock, "2026-05-06T10:00")
    core.act(did, "record_meeting", "secretary", MEETING)
    core.act(did, "record_decision", "chief", {"outcome": "adopted"}, password=PASSWORD)
    core.act(did, "record_party_consent", "secretary", {"reference": "古街党〔2026〕12号"})
    at_least(clock, "2026-05-10T10:00")
    core.act(did, "publish", "publisher", {"channels": ["政府网站"], "published_on": "2026-05-10"})
    core.act(did, "report_progress", "executor", {"report": "已完成"})
    assert core.act(did, "close", "owner").state == "closed"


def test_art33_raising_the_expert_minimum_later_does_not_unmake_the_record(core: Juece, clock: Clock) -> None:
    did = new_decision(core, ["technical"])
    to_implementation(core, clock, did, ["technical"])
    core.act(did, "report_progress", "executor", {"report": "已完成"})
    admin.update_org_settings(core, "古塘街道", {"expert_opinions_min": 3})
    assert core.act(did, "close", "owner").state == "closed"


# -- withdrawal -------------------------------------------------------------------------------------------

def test_withdrawal_needs_reason_and_the_chief_executives_own_approval(core: Juece) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    with pytest.raises(InvalidInput):
        core.act(did, "withdraw", "owner", {})
    assert refused(core, did, "withdraw", "owner", {"reason": "上级政策调整", "approver": "chief"}).code == (
        "approval_not_typed")
    assert core.act(did, "withdraw", "owner", {"reason": "上级政策调整"}).state == "consultation"  # a request
    assert core.act(did, "withdraw", "chief", {"reason": "上级政策调整"}, password=PASSWORD).state == "terminated"


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "9999-12-31T23:59", "1899-05-01T08:00+08:00"])
def test_absurd_dates_are_refused_as_input_errors(core: Juece, when: str) -> None:
    from workflow.engine.errors import InvalidInput

    did = new_decision(core)
    to_consultation(core, did)
    with pytest.raises(InvalidInput) as info:
        core.act(did, "open_public_comment", "owner", {"opens_at": when, "closes_at": "2026-06-01T09:00"})
    assert info.value.details["field"] == "opens_at"
    with pytest.raises(InvalidInput):
        core.act(did, "submit_legality_review", "owner", {"due_on": "9999-12-31"})


@pytest.mark.parametrize("number", ["²", "-1", "3.5", "99999999999"])
def test_numbers_that_are_not_whole_numbers_are_input_errors(core: Juece, number: str) -> None:
    from workflow.engine.errors import InvalidInput

    did = new_decision(core)
    to_consultation(core, did)
    with pytest.raises(InvalidInput) as info:
        core.act(did, "edit_comment", "citizen1", {"comment_id": number, "text": "改"})
    assert info.value.details["field"] == "comment_id"


def test_malformed_entries_and_unknown_reply_targets_are_refused(core: Juece, clock: Clock) -> None:
    from workflow.engine.errors import InvalidInput

    did = new_decision(core)
    to_consultation(core, did)
    for entries in (5, 2.5, True):
        with pytest.raises(InvalidInput):
            core.act(did, "record_adoption_report", "owner", {"entries": entries})
    core.act(did, "open_public_comment", "owner", window(clock, 31))
    assert refused(core, did, "submit_comment", "citizen1", {"text": "回复", "reply_to": 7}).code == "unknown_comment"


def test_the_service_never_reads_server_files_for_a_caller(core: Juece) -> None:
    from workflow.engine.errors import InvalidInput

    did = new_decision(core)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办"})
    with pytest.raises(InvalidInput):
        core.act(did, "upload_draft", "owner", {"content": {"path": "/etc/passwd"}})


def test_flags_proposed_at_creation_survive_an_initiation_without_flags(core: Juece) -> None:
    did = new_decision(core, ["technical"])
    core.act(did, "initiate", "owner", {"owner_unit": "城建办"})
    with core.db.read() as conn:
        from workflow.views.queries import show_decision

        assert show_decision(conn, core.catalog, did, core.clock())["flags"] == ["technical"]


@pytest.mark.parametrize("data", [{"owner_unit": "城建\x00办"}, {"owner_unit": "城建\ud800办"},
                                  {"owner_unit": "城建办", "lead_unit": "\x00"}])
def test_text_no_database_can_store_is_an_input_error(core: Juece, data: dict) -> None:
    from workflow.engine.errors import InvalidInput

    did = new_decision(core)
    with pytest.raises(InvalidInput):
        core.act(did, "initiate", "owner", data)


def test_an_overlong_file_name_is_an_input_error(core: Juece) -> None:
    from workflow.engine.errors import InvalidInput

    did = new_decision(core)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办"})
    with pytest.raises(InvalidInput) as info:
        core.act(did, "upload_draft", "owner", {"content": "草案", "filename": "长" * 256 + ".docx"})
    assert info.value.details["field"] == "filename"
