"""行政规范性文件 (pack normative-document): the allowed path, and each rule refused with its article.

GB37 = 国办发〔2018〕37号, GB115 = 国办发〔2018〕115号, ZJ372 = 浙江省行政规范性文件管理办法 (numbers held in
office settings). See docs/procedure/normative-document.md §7 and §10.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.helpers import CST, PASSWORD, Clock, local_iso
from workflow.admin import offices as admin
from workflow.engine.catalog import default_catalog
from workflow.engine.errors import Forbidden, RuleViolation
from workflow.notices.alerts import scan
from workflow.record import keys, records
from workflow.service import Juece
from workflow.timing.calendar import WorkCalendar
from workflow.views.queries import show_decision

ND = "normative-document"
DRAFT = "古塘街道住宅小区物业服务补助办法（草案）"
GB37_5, GB37_6, GB37_7, GB37_8 = "37号 二(五)", "37号 二(六)", "37号 二(七)", "37号 二(八)"
LAWFUL = {"outcome": "lawful", "opinion": "经审核，制定主体、程序和内容合法", "authority_ok": True, "procedure_ok": True,
          "no_licence_penalty_coercion": True, "no_burden_without_basis": True, "no_competition_restriction": True}


def refused(call: Any, code: str, article: str) -> RuleViolation:
    """The refusal ``call`` raises: its code, and the article it cites."""
    with pytest.raises(RuleViolation) as caught:
        call()
    assert caught.value.code == code
    assert article in str(caught.value.article)
    return caught.value


def today(clock: Clock) -> dt.date:
    return clock.now.astimezone(CST).date()


def close_after(clock: Clock, days: int) -> str:
    """The window's close at 24:00 of the ``days``-th day after today (the last day runs to midnight)."""
    day = today(clock) + dt.timedelta(days=days + 1)
    return dt.datetime.combine(day, dt.time(0), tzinfo=CST).isoformat()


def new_document(core: Juece, flags: list[str] | None = None, drafter: str = "owner") -> int:
    """A document being drafted, with its first draft."""
    did = core.create_decision(ND, "物业服务补助办法", drafter)
    core.act(did, "start_drafting", drafter, {"owner_unit": "城建办", "title": "物业服务补助办法", "flags": flags or []})
    core.act(did, "upload_draft", drafter, {"content": DRAFT})
    return did


def consult(core: Juece, did: int) -> None:
    core.act(did, "start_consultation", "owner", {"legal_bases": ["《物业管理条例》"], "drafting_statement": "起草说明"})


def run_comment(core: Juece, clock: Clock, did: int) -> None:
    """A 30-day window with one comment, then time moves past its close."""
    core.act(did, "open_public_comment", "owner", {"opens_at": local_iso(clock.now), "closes_at": close_after(clock, 30),
                                                   "channels": ["街道网站"]})
    clock.advance(days=1)
    core.act(did, "submit_comment", "citizen1", {"text": "补助标准偏低"})
    clock.advance(days=31)


def adopt(core: Juece, did: int, adoption: str = "adopted") -> None:
    core.act(did, "record_adoption_report", "owner",
             {"entries": {"comment:1": {"adoption": adoption, "reason": "财力有限" if adoption != "adopted" else ""}}})


def to_review(core: Juece, clock: Clock, flags: list[str] | None = None, adoption: str = "adopted") -> int:
    """Through consultation with public comment, submitted for legality review."""
    did = new_document(core, ["affects_rights"] if flags is None else flags)
    consult(core, did)
    run_comment(core, clock, did)
    adopt(core, did, adoption)
    core.act(did, "submit_legality_review", "owner", {"procedure_statement": "已公开征求意见30日"})
    return did


def to_deliberation(core: Juece, clock: Clock, flags: list[str] | None = None, adoption: str = "adopted") -> int:
    did = to_review(core, clock, flags, adoption)
    clock.advance(days=2)
    core.act(did, "sign_legality_opinion", "reviewer", LAWFUL, password=PASSWORD)
    clock.advance(hours=2)
    return did


def meeting(clock: Clock) -> dict[str, Any]:
    return {"held_at": local_iso(clock.now - dt.timedelta(minutes=30)), "attendees": ["chief", "member1"],
            "minutes": "主任办公会议纪要"}


def to_publication(core: Juece, clock: Clock, flags: list[str] | None = None, adoption: str = "adopted") -> int:
    did = to_deliberation(core, clock, flags, adoption)
    core.act(did, "record_meeting", "secretary", meeting(clock))
    core.act(did, "record_deliberation_outcome", "chief", {"outcome": "adopted"}, password=PASSWORD)
    clock.advance(days=1)
    return did


def publication(day: dt.date, **changes: Any) -> dict[str, Any]:
    data = {"doc_number": "古街发〔2026〕3号", "registration_number": "ZJGT-2026-0003", "published_on": day.isoformat(),
            "effective_on": day.isoformat(), "expires_on": day.replace(year=day.year + 5).isoformat(),
            "channels": ["街道网站", "政府公报"], "text": DRAFT}
    return data | changes


def to_force(core: Juece, clock: Clock, flags: list[str] | None = None) -> int:
    did = to_publication(core, clock, flags)
    core.act(did, "publish", "publisher", publication(today(clock)))
    return did


def state(core: Juece, clock: Clock, did: int) -> dict[str, Any]:
    with core.db.read() as conn:
        return show_decision(conn, core.catalog, did, clock.now)


def open_rows(core: Juece, clock: Clock, did: int, key: str, kind: str = "due") -> list[dict[str, Any]]:
    return [d for d in state(core, clock, did)["deadlines"] if d["key"] == key and d["kind"] == kind
            and d["status"] == "open"]


# The allowed path -----------------------------------------------------------------------------------------


def test_the_pack_loads_every_state_reachable_and_terminal_ones_closed() -> None:
    procedure = default_catalog().current(ND, dt.date(2026, 3, 2))
    assert procedure.key == "normative-document@2018-05-31"
    assert {s for s, d in procedure.states.items() if d.terminal} == {"not_adopted", "withdrawn", "repealed", "expired"}


def test_a_document_from_draft_to_repeal(core: Juece, clock: Clock) -> None:
    admin.update_org_settings(core, "古塘街道", {"supervisor": "chief"})
    did = to_force(core, clock)
    view = state(core, clock, did)
    assert view["state"] == "in_force"
    published = view["facts"]["published"]
    assert published["doc_number"] == "古街发〔2026〕3号" and published["text_hash"] == view["facts"]["draft"]["hash"]
    assert view["facts"]["opinion"]["checklist"]["no_licence_penalty_coercion"] is True
    assert view["stall_due_at"] is None  # a document in force is not "stalled"
    core.act(did, "record_filing", "owner", {"filed_on": today(clock).isoformat(), "filing_body": "区司法局"})
    assert open_rows(core, clock, did, "filing_due") == []
    core.act(did, "record_cleanup", "owner", {"round": "2028年清理", "finding": "keep"})
    assert state(core, clock, did)["stall_due_at"] is None
    core.act(did, "record_evaluation", "owner", {"outcome": "continue", "report": "评估报告",
                                                 "republished_on": today(clock).isoformat(),
                                                 "expires_on": (today(clock).replace(year=today(clock).year + 4)).isoformat()})
    assert state(core, clock, did)["facts"]["published"]["expires_on"].startswith(str(today(clock).year + 4))
    core.act(did, "repeal", "chief", {"reason": "上位法修改", "repealed_on": today(clock).isoformat(),
                                      "announcement": "古街发〔2026〕9号"}, password=PASSWORD)
    view = state(core, clock, did)
    assert view["state"] == "repealed" and view["facts"]["repealed"]["announcement"] == "古街发〔2026〕9号"
    assert not [d for d in view["deadlines"] if d["status"] == "open"]


def test_without_rights_affected_public_comment_is_waived_with_a_reason(core: Juece, clock: Clock) -> None:
    # GB37 二(三)(五): comment is required only for documents affecting rights; otherwise it may be waived
    did = new_document(core, [])
    consult(core, did)
    core.act(did, "waive_task", "owner", {"task": "public_comment", "reason": "内部管理规定，不涉及公民权利义务"})
    core.act(did, "submit_legality_review", "owner", {"procedure_statement": "未公开征求意见（已说明理由）"})
    assert state(core, clock, did)["state"] == "legality_review"


# Each rule refused with its article ---------------------------------------------------------------------


def test_gb37_2_6_consultation_needs_the_drafting_statement(core: Juece, clock: Clock) -> None:
    did = new_document(core)
    refused(lambda: core.act(did, "start_consultation", "owner", {"legal_bases": ["《物业管理条例》"]}),
            "nd_materials_incomplete", GB37_6)


def test_gb37_2_3_and_2_5_a_document_affecting_rights_goes_to_public_comment(core: Juece, clock: Clock) -> None:
    did = new_document(core, ["affects_rights"])
    consult(core, did)
    refused(lambda: core.act(did, "submit_legality_review", "owner", {"procedure_statement": "说明"}),
            "nd_public_comment_required", "37号 二(三)(五)")
    refused(lambda: core.act(did, "waive_task", "owner", {"task": "public_comment", "reason": "时间紧"}),
            "task_required", "37号 二(三)(五)")


def test_zj372_comment_window_shorter_than_the_office_setting_needs_a_reason(core: Juece, clock: Clock) -> None:
    did = new_document(core, ["affects_rights"])
    consult(core, did)
    window = {"opens_at": local_iso(clock.now), "closes_at": close_after(clock, 29), "channels": ["街道网站"]}
    error = refused(lambda: core.act(did, "open_public_comment", "owner", window), "nd_comment_window_too_short",
                    "nd_comment_days")
    assert "不得少于30日" in error.zh
    core.act(did, "open_public_comment", "owner", window | {"short_reason": "上级文件要求限期出台"})
    admin.update_org_settings(core, "古塘街道", {"nd_comment_days": 10})
    other = new_document(core, ["affects_rights"])
    consult(core, other)
    core.act(other, "open_public_comment", "owner", {"opens_at": local_iso(clock.now), "closes_at": close_after(clock, 10),
                                                     "channels": ["街道网站"]})


def test_gb37_2_5_comments_only_while_the_window_is_open_and_never_on_a_secret_draft(core: Juece,
                                                                                       clock: Clock) -> None:
    did = new_document(core, ["affects_rights"])
    consult(core, did)
    run_comment(core, clock, did)
    refused(lambda: core.act(did, "submit_comment", "citizen2", {"text": "迟到的意见"}), "comment_window_closed", GB37_5)
    secret = core.create_decision(ND, "内部保密文件", "owner")
    refused(lambda: core.act(secret, "start_drafting", "owner", {"owner_unit": "城建办", "title": "保密", "flags": [
        "confidential"]}), "confidential_basis_required", GB37_5)
    core.act(secret, "start_drafting", "owner", {"owner_unit": "城建办", "title": "保密", "flags": ["confidential"],
                                                 "confidential_basis": "《保守国家秘密法》第九条"})
    core.act(secret, "upload_draft", "owner", {"content": "保密草案"})
    consult(core, secret)
    refused(lambda: core.act(secret, "open_public_comment", "owner", {
        "opens_at": local_iso(clock.now), "closes_at": close_after(clock, 30), "channels": ["街道网站"]}),
        "confidential_not_public", GB37_5)


def test_gb115_review_time_between_5_and_15_working_days(core: Juece, clock: Clock) -> None:
    did = new_document(core, [])
    consult(core, did)
    cal, day = WorkCalendar(), today(clock)

    def submit(action: str, working_days: int) -> None:
        due = cal.add_working_days(day, working_days).isoformat()
        core.act(did, action, "owner", {"procedure_statement": "说明", "due_on": due} if action == "submit_legality_review"
                 else {"due_on": due})

    for days in (4, 16):
        error = refused(lambda d=days: submit("submit_legality_review", d), "nd_review_period_out_of_range", "115号")
        assert "不少于5个工作日" in error.zh
    submit("submit_legality_review", 5)
    core.act(did, "return_materials", "reviewer", {"reason": "缺少制定依据文本", "missing": ["《物业管理条例》文本"]})
    submit("resubmit", 15)
    assert state(core, clock, did)["state"] == "legality_review"
    due = open_rows(core, clock, did, "legality_review_due")
    assert [d["due_at"][:10] for d in due] == [cal.add_working_days(day, 15).isoformat()]


def test_gb115_2_4_the_reviewer_is_not_a_drafter(core: Juece, clock: Clock) -> None:
    admin.add_user(core, "both", ["owner", "legal_reviewer"], "古塘街道", unit="城建办")
    keys.change_password(core, "both", PASSWORD)
    did = new_document(core, [])
    consult(core, did)
    core.act(did, "upload_draft", "both", {"content": DRAFT + "（修改稿）"})
    core.act(did, "waive_task", "owner", {"task": "public_comment", "reason": "不涉及权利义务"})
    core.act(did, "submit_legality_review", "owner", {"procedure_statement": "说明"})
    refused(lambda: core.act(did, "sign_legality_opinion", "both", LAWFUL, password=PASSWORD),
            "nd_reviewer_is_drafter", "115号 二(四)")


def test_gb37_2_6_and_xkf17_cff16_qzf10_a_lawful_opinion_confirms_every_item(core: Juece, clock: Clock) -> None:
    did = to_review(core, clock)
    error = refused(lambda: core.act(did, "sign_legality_opinion", "reviewer", LAWFUL | {
        "no_licence_penalty_coercion": False}, password=PASSWORD), "nd_review_checklist_incomplete", "行政许可法》第十七条")
    assert "行政处罚法》第十六条" in str(error.article) and "行政强制法》第十条" in str(error.article)
    refused(lambda: core.act(did, "sign_legality_opinion", "reviewer", {"outcome": "unlawful", "opinion": "不合法"},
                             password=PASSWORD), "nd_review_checklist_incomplete", GB37_6)


def test_gb37_review_is_not_replaced_by_countersigning_only_the_reviewer_signs(core: Juece, clock: Clock) -> None:
    # GB37: 不得以征求意见、会签、参加审议等方式代替合法性审核 — a role refusal, before any guard
    did = to_review(core, clock)
    for person in ("owner", "chief"):
        with pytest.raises(Forbidden) as caught:
            core.act(did, "sign_legality_opinion", person, LAWFUL, password=PASSWORD)
        assert caught.value.code == "role_not_permitted"


def test_gb37_2_6_no_deliberation_without_a_lawful_opinion_on_the_current_draft(core: Juece, clock: Clock) -> None:
    did = new_document(core, ["affects_rights"])
    consult(core, did)
    refused(lambda: core.act(did, "record_meeting", "secretary", meeting(clock)), "nd_legality_review_required", GB37_6)
    run_comment(core, clock, did)
    adopt(core, did)
    core.act(did, "submit_legality_review", "owner", {"procedure_statement": "说明"})
    refused(lambda: core.act(did, "record_meeting", "secretary", meeting(clock)), "nd_legality_review_required", GB37_6)
    core.act(did, "sign_legality_opinion", "reviewer", {"outcome": "needs_changes", "opinion": "第五条无上位法依据",
                                                        "issues": ["第五条增加义务无依据"]}, password=PASSWORD)
    core.act(did, "upload_draft", "owner", {"content": DRAFT + "（删去第五条）"})
    core.act(did, "start_consultation", "owner", {})
    core.act(did, "submit_legality_review", "owner", {"procedure_statement": "已按审核意见修改"})
    clock.advance(hours=1)  # the meeting is stated after the first opinion: refused by GB37, not by time truth
    refused(lambda: core.act(did, "record_meeting", "secretary", meeting(clock)), "nd_legality_review_required", GB37_6)
    clock.advance(hours=1)
    core.act(did, "sign_legality_opinion", "reviewer", LAWFUL, password=PASSWORD)
    clock.advance(hours=1)
    core.act(did, "record_meeting", "secretary", meeting(clock))
    assert state(core, clock, did)["facts"]["meeting"]["minutes"]


def test_gb37_2_7_the_deliberation_record_is_corrected_never_recorded_twice(core: Juece, clock: Clock) -> None:
    did = to_deliberation(core, clock)
    core.act(did, "record_meeting", "secretary", meeting(clock))
    refused(lambda: core.act(did, "record_meeting", "secretary", meeting(clock)), "record_exists_use_correction", GB37_7)
    core.act(did, "record_deliberation_outcome", "chief", {"outcome": "adopted"}, password=PASSWORD)
    first = state(core, clock, did)["facts"]["meeting"]  # corrected once the document awaits publication
    records.correct(core, did, "record_meeting", "secretary", {
        "held_at": first["held_at"], "attendees": ["chief", "member1", "secretary"], "minutes": "纪要（补列出席人员）"},
        "漏记一名出席人员")
    corrected = state(core, clock, did)["facts"]["meeting"]
    assert corrected["version"] == 2 and "secretary" in corrected["attendees"]


def test_gb37_2_7_deliberation_is_recorded_with_attendees_and_minutes(core: Juece, clock: Clock) -> None:
    did = to_deliberation(core, clock)
    refused(lambda: core.act(did, "record_deliberation_outcome", "chief", {"outcome": "adopted"}, password=PASSWORD),
            "nd_deliberation_required", GB37_7.replace("二(七)", "二(三)(七)"))
    refused(lambda: core.act(did, "record_meeting", "secretary", meeting(clock) | {"minutes": ""}),
            "nd_deliberation_record_incomplete", GB37_7)
    early = meeting(clock) | {"held_at": local_iso(clock.now - dt.timedelta(days=3))}
    refused(lambda: core.act(did, "record_meeting", "secretary", early), "stated_time_before_prerequisite", GB37_7)


def test_gb37_2_8_registered_numbered_and_the_adopted_text_published(core: Juece, clock: Clock) -> None:
    did = to_publication(core, clock)
    day = today(clock)
    refused(lambda: core.act(did, "publish", "publisher", publication(day, registration_number="")),
            "nd_publication_incomplete", GB37_8)
    error = refused(lambda: core.act(did, "publish", "publisher", publication(day, text=DRAFT + "（另一文本）")),
                    "nd_publication_incomplete", GB37_8)
    assert "不一致" in error.zh


def test_gb37_2_8_no_effect_before_publication(core: Juece, clock: Clock) -> None:
    did = to_publication(core, clock)
    day = today(clock)
    refused(lambda: core.act(did, "publish", "publisher", publication(
        day, effective_on=(day - dt.timedelta(days=1)).isoformat())), "nd_effective_before_publication", GB37_8)


@pytest.mark.parametrize(("flags", "years"), [([], 5), (["provisional"], 2)])
def test_zj372_validity_at_most_5_years_or_2_when_provisional(core: Juece, clock: Clock, flags: list[str],
                                                                years: int) -> None:
    did = to_publication(core, clock, ["affects_rights", *flags])
    day = today(clock)
    limit = day.replace(year=day.year + years)
    refused(lambda: core.act(did, "publish", "publisher", publication(
        day, expires_on=(limit + dt.timedelta(days=1)).isoformat())), "nd_validity_too_long", "nd_validity_years")
    core.act(did, "publish", "publisher", publication(day, expires_on=limit.isoformat()))
    assert state(core, clock, did)["state"] == "in_force"


def test_gb37_2_5_comments_not_adopted_are_explained_on_publication(core: Juece, clock: Clock) -> None:
    did = to_publication(core, clock, adoption="not_adopted")
    refused(lambda: core.act(did, "publish", "publisher", publication(today(clock))),
            "nd_adoption_explanation_required", GB37_5)
    core.act(did, "publish", "publisher", publication(today(clock), adoption_explanation="补助标准受财力所限，未采纳"))


def test_zj372_filing_names_its_body_and_is_due_15_days_after_the_day_published(core: Juece, clock: Clock) -> None:
    admin.update_org_settings(core, "古塘街道", {"supervisor": "chief"})
    did = to_publication(core, clock)
    clock.advance(days=3)
    published = today(clock) - dt.timedelta(days=3)  # published on the gazette three days before it is entered
    core.act(did, "publish", "publisher", publication(published))
    due = open_rows(core, clock, did, "filing_due")
    cal = WorkCalendar()
    assert [d["due_at"] for d in due] == [cal.end_of_day(cal.add_calendar_days(published, 15)).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")]
    refused(lambda: core.act(did, "record_filing", "owner", {
        "filed_on": (published - dt.timedelta(days=1)).isoformat(), "filing_body": "区司法局"}),
        "stated_time_before_prerequisite", "《浙江省行政规范性文件管理办法》")
    refused(lambda: core.act(did, "record_filing", "owner", {"filed_on": published.isoformat()}),
            "nd_filing_record_incomplete", "《浙江省行政规范性文件管理办法》")
    clock.now = dt.datetime.fromisoformat(due[0]["due_at"].replace("Z", "+00:00"))
    assert scan(core).overdue == 1
    with core.db.read() as conn:
        from sqlalchemy import text
        told = conn.execute(text("SELECT u.name FROM notification n JOIN app_user u ON u.id = n.user_id "
                                 "WHERE n.kind = 'overdue' ORDER BY u.name")).scalars().all()
    assert told == ["chief", "owner"]


def test_zj372_expiry_is_recorded_only_after_the_validity_and_evaluated_180_days_before(core: Juece,
                                                                                         clock: Clock) -> None:
    did = to_force(core, clock)
    expires = dt.date.fromisoformat(state(core, clock, did)["facts"]["published"]["expires_on"])
    reminders = sorted(d["fire_at"][:10] for d in open_rows(core, clock, did, "validity_expiry", "reminder"))
    assert reminders[0] == (expires - dt.timedelta(days=180)).isoformat()
    assert [d["due_at"] for d in open_rows(core, clock, did, "validity_expiry")] == [
        WorkCalendar().end_of_day(expires).strftime("%Y-%m-%dT%H:%M:%S.%fZ")]
    clock.now = dt.datetime.combine(expires, dt.time(12), tzinfo=CST).astimezone(dt.UTC)
    refused(lambda: core.act(did, "record_expiry", "owner", {}), "nd_not_yet_expired", "《浙江省行政规范性文件管理办法》")
    clock.now = WorkCalendar().end_of_day(expires)
    core.act(did, "record_expiry", "owner", {"note": "有效期届满"})
    assert state(core, clock, did)["state"] == "expired"


def test_gb37_2_8_a_repeal_is_published(core: Juece, clock: Clock) -> None:
    did = to_force(core, clock)
    refused(lambda: core.act(did, "repeal", "chief", {"reason": "不再适用", "repealed_on": today(clock).isoformat()},
                             password=PASSWORD), "nd_repeal_not_published", GB37_8)
