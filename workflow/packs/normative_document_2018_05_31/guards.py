"""The hard rules of the normative-document pack as named, pure guards (prefix ``nd_``).

Where a cn-713 guard's logic fits, it is called and its refusal re-issued with this pack's article
(``_cite``): the same code, the law of this procedure.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from typing import Any

from workflow.engine.context import Attempt, parse_iso
from workflow.engine.errors import CalendarMissing, InvalidInput, Rule, RuleViolation, enforces
from workflow.engine.tasks import task_done, task_required
from workflow.packs.cn_713_2019_09_01 import guards as base
from workflow.packs.cn_713_2019_09_01.guards import comment_author, reply_to_known
from workflow.packs.cn_713_2019_09_01.records import has_lawful_opinion
from workflow.packs.normative_document_2018_05_31 import rules

# The names procedure.yaml may use; those of Decree 713 are reused explicitly (its pack).
__all__ = ["comment_author", "nd_adoption_explained", "nd_adoption_report_complete", "nd_comment_window_long_enough", "nd_comment_window_open", "nd_confidential_basis_given", "nd_consultation_complete", "nd_draft_and_bases", "nd_effective_not_before_publication", "nd_filing_record_complete", "nd_lawful_opinion_on_current_draft", "nd_meeting_not_yet_recorded", "nd_meeting_record_complete", "nd_meeting_recorded", "nd_no_window_open", "nd_not_confidential", "nd_publication_complete", "nd_repeal_published", "nd_review_checklist_complete", "nd_review_period_in_range", "nd_reviewer_not_drafter", "nd_task_waivable", "nd_validity_lapsed", "nd_validity_within_limit", "reply_to_known"]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value) or (
        isinstance(value, str) and not value.strip())


def _cite(refusal: RuleViolation | None, rule: Rule) -> RuleViolation | None:
    """The refusal of a reused guard under this pack's rule (its article and messages, the same details)."""
    return None if refusal is None else RuleViolation.of(rule, **refusal.details)


def _add_years(day: dt.date, years: int) -> dt.date:
    year = day.year + years
    return dt.date(year, day.month, min(day.day, _cal.monthrange(year, day.month)[1]))


def nd_confidential_basis_given(a: Attempt) -> RuleViolation | None:
    """GB37 二(五): a document kept from public comment names the legal basis of its secrecy."""
    return _cite(base.confidential_basis_given(a), rules.CONFIDENTIAL_BASIS_REQUIRED)


def nd_draft_and_bases(a: Attempt) -> RuleViolation | None:
    """GB37 二(六): the draft, its legal bases and the drafting statement are on file (材料完备)."""
    bases = a.data.get("legal_bases") or a.facts.get("legal_bases")
    statement = a.data.get("drafting_statement") or a.facts.get("drafting_statement")
    if not a.facts.get("draft") or _blank(bases) or _blank(statement):
        return RuleViolation.of(rules.MATERIALS_INCOMPLETE)
    return None


def nd_not_confidential(a: Attempt) -> RuleViolation | None:
    """GB37 二(五): a lawfully secret draft is not put out for public comment."""
    return _cite(base.not_confidential(a), rules.CONFIDENTIAL_NOT_PUBLIC)


def nd_no_window_open(a: Attempt) -> RuleViolation | None:
    """GB37 二(五): a window not yet closed is corrected, never opened over."""
    return _cite(base.no_window_open(a), rules.WINDOW_EXISTS)


@enforces(rules.COMMENT_WINDOW_TOO_SHORT, min_days=lambda office: office.setting("nd_comment_days"))
def nd_comment_window_long_enough(a: Attempt) -> RuleViolation | None:
    """ZJ372 (setting ``nd_comment_days``): the window runs that many days unless a shorter one is explained."""
    opens, closes = parse_iso(a.data["opens_at"]), parse_iso(a.data["closes_at"])
    if closes <= opens:
        raise InvalidInput("截止时间应晚于开始时间", "closes_at must be after opens_at", details={"field": "closes_at"})
    if not _blank(a.data.get("short_reason")):
        return None
    days = int(a.office.setting("nd_comment_days"))
    opened = a.calendar.local_date(opens)
    try:
        earliest = a.calendar.add_calendar_days(opened, days)
    except CalendarMissing as missing:  # as cn-713: too short whatever the missing year holds, or name it
        earliest = opened + dt.timedelta(days=days)
        if closes >= a.calendar.end_of_day(earliest):
            raise missing.for_rule(rules.COMMENT_WINDOW_TOO_SHORT) from None
    # The last day runs to 24:00 (民法典 Art. 203): closing at noon of it is a day short.
    if closes < a.calendar.end_of_day(earliest):
        return RuleViolation.of(rules.COMMENT_WINDOW_TOO_SHORT, days=days, earliest=earliest.isoformat())
    return None


def nd_comment_window_open(a: Attempt) -> RuleViolation | None:
    """GB37 二(五): comments are written only while the window is open."""
    return _cite(base.comment_window_open(a), rules.COMMENT_WINDOW_CLOSED)


def nd_task_waivable(a: Attempt) -> RuleViolation | None:
    """GB37 二(三)(五): a required step (public comment when rights are affected) is never waived."""
    refusal = base.task_waivable(a)
    if refusal is None:
        return None
    return _cite(refusal, rules.TASK_REQUIRED if refusal.code == "task_required" else rules.WAIVER_REASON_REQUIRED)


def nd_adoption_report_complete(a: Attempt) -> RuleViolation | None:
    """GB37 二(五): every comment answered; every one not adopted with a reason."""
    return _cite(base.adoption_report_complete(a), rules.ADOPTION_REPORT_INCOMPLETE)


def nd_consultation_complete(a: Attempt) -> RuleViolation | None:
    """GB37 二(三)(五): public comment, when required, is done (window closed) before the legality review."""
    procedure = a.decision.procedure
    missing = [t for t in procedure.tasks.values()
               if task_required(t, a.facts) and not task_done(t, a.facts, a.now, a.office)]
    if any(t.id == "public_comment" for t in missing):
        return RuleViolation.of(rules.PUBLIC_COMMENT_REQUIRED)
    if missing:
        return RuleViolation.of(rules.CONSULTATION_INCOMPLETE, missing="、".join(t.label.zh for t in missing))
    return None


def nd_review_period_in_range(a: Attempt) -> RuleViolation | None:
    """GB115: a requested due date gives the reviewer at least the minimum and at most 15 working days."""
    if not a.data.get("due_on"):  # the due date is then the office's limit (deadline legality_review_due)
        return None
    requested = dt.date.fromisoformat(a.data["due_on"])
    # The longest is GB115's 15 working days (the top of nd_review_days' declared range), whatever the office's own.
    low, high = int(a.office.setting("nd_review_min_days")), a.decision.procedure.settings["nd_review_days"].high
    today = a.calendar.local_date(a.now)
    try:
        earliest = a.calendar.add_working_days(today, low)
        latest = a.calendar.add_working_days(today, high)
    except CalendarMissing as missing:
        raise missing.for_rule(rules.REVIEW_PERIOD_OUT_OF_RANGE) from None
    if not earliest <= requested <= latest:
        return RuleViolation.of(rules.REVIEW_PERIOD_OUT_OF_RANGE, min=low, max=high, earliest=earliest.isoformat(),
                                latest=latest.isoformat())
    return None


def nd_reviewer_not_drafter(a: Attempt) -> RuleViolation | None:
    """GB115 二(四), GB37 二(六): the review is done by the review body, not by the document's drafters."""
    return _cite(base.reviewer_not_owner(a), rules.REVIEWER_IS_DRAFTER)


#: GB37 二(六) (主体、程序、内容) and XKF17, CFF16, QZF10: what a lawful opinion confirms item by item.
CHECKLIST = {
    "authority_ok": "制定主体和权限合法 / within the maker's authority",
    "procedure_ok": "制定程序合法 / procedure followed",
    "no_licence_penalty_coercion": "未设定行政许可、行政处罚、行政强制 / no licence, penalty or coercion",
    "no_burden_without_basis": "未违法减损权利或者增加义务 / no unlawful burden",
    "no_competition_restriction": "未排除、限制公平竞争 / no restriction of competition",
}


def nd_review_checklist_complete(a: Attempt) -> RuleViolation | None:
    """GB37 二(六): a lawful opinion confirms every item; any other outcome lists the issues found."""
    if a.data.get("outcome") == "lawful":
        missing = [label for key, label in CHECKLIST.items() if a.data.get(key) is not True]
        if missing:
            return RuleViolation.of(rules.REVIEW_CHECKLIST_INCOMPLETE, missing="、".join(missing), items=missing)
        return None
    if _blank(a.data.get("issues")):
        return RuleViolation.of(rules.REVIEW_CHECKLIST_INCOMPLETE, missing="存在的问题 / issues found",
                                items=["issues"])
    return None


def nd_lawful_opinion_on_current_draft(a: Attempt) -> RuleViolation | None:
    """GB37 二(六): 未经合法性审核或者经审核不合法的，不得提交集体审议 (the opinion binds the draft's hash)."""
    # Before deliberation the step is refused here, not as "not possible now": a correction of the record
    # later (publication, in force) is no new submission, and only needs the opinion still to hold.
    early = a.decision.state != "collective_deliberation" and not a.correcting
    if early or not has_lawful_opinion(a.facts):
        return RuleViolation.of(rules.LEGALITY_REVIEW_REQUIRED)
    return None


def nd_meeting_not_yet_recorded(a: Attempt) -> RuleViolation | None:
    """GB37 二(七): the deliberation is recorded once; a change is a correction that keeps the first."""
    return _cite(base.meeting_not_yet_recorded(a), rules.MEETING_EXISTS)


def nd_meeting_record_complete(a: Attempt) -> RuleViolation | None:
    """GB37 二(七): the record lists those attending and attaches the minutes."""
    if _blank(a.data.get("attendees")) or _blank(a.data.get("minutes")):
        return RuleViolation.of(rules.DELIBERATION_RECORD_INCOMPLETE)
    return None


def nd_meeting_recorded(a: Attempt) -> RuleViolation | None:
    """GB37 二(三)(七): the outcome rests on a recorded collective deliberation."""
    return None if a.facts.get("meeting") else RuleViolation.of(rules.DELIBERATION_REQUIRED)


def nd_publication_complete(a: Attempt) -> RuleViolation | None:
    """GB37 二(八): registered, numbered, published through named channels; the text is the adopted draft."""
    missing = [label for key, label in (("doc_number", "文号 / document number"),
                                        ("registration_number", "登记号 / registration number"),
                                        ("channels", "公布途径 / channels"), ("text", "正式文本 / final text"))
               if _blank(a.data.get(key))]
    draft = a.facts.get("draft") or {}
    if not missing and a.data["text"] != draft.get("hash"):
        missing.append("公布文本与审议通过的文本不一致 / the text differs from the adopted draft")
    return RuleViolation.of(rules.PUBLICATION_INCOMPLETE, missing="、".join(missing)) if missing else None


def nd_effective_not_before_publication(a: Attempt) -> RuleViolation | None:
    """GB37 二(八): 未经公布的行政规范性文件不得作为行政管理依据: no effect before the publication day."""
    published = a.data.get("published_on") or a.calendar.local_date(a.now).isoformat()
    if a.data.get("effective_on") and a.data["effective_on"] < published:
        return RuleViolation.of(rules.EFFECTIVE_BEFORE_PUBLICATION)
    return None


def nd_validity_within_limit(a: Attempt) -> RuleViolation | None:
    """ZJ372 (settings): valid at most N years from taking effect (2 for a provisional document)."""
    if a.action.id == "record_evaluation" and a.data.get("outcome") != "continue":
        return None  # amend and repeal only record the finding; the validity is unchanged
    start = a.data.get("effective_on") or a.data.get("republished_on")
    if not start or not a.data.get("expires_on"):
        raise InvalidInput("应当填写有效期至和起算日期", "the validity end and its start date are required",
                           details={"field": "expires_on" if start else "republished_on"})
    years = int(a.office.setting("nd_validity_years"))
    provisional = int(a.office.setting("nd_provisional_validity_years"))
    limit = provisional if "provisional" in a.facts.get("flags", []) else years
    begin, end = dt.date.fromisoformat(str(start)), dt.date.fromisoformat(str(a.data["expires_on"]))
    latest = _add_years(begin, limit)
    if not begin < end <= latest:
        return RuleViolation.of(rules.VALIDITY_TOO_LONG, years=years, provisional=provisional,
                                latest=latest.isoformat())
    return None


def nd_adoption_explained(a: Attempt) -> RuleViolation | None:
    """GB37 二(五): comments not adopted are explained when the document is published."""
    entries = (a.facts.get("adoption") or {}).get("entries") or {}
    rejected = any(e.get("adoption") == "not_adopted" for e in entries.values())
    if rejected and _blank(a.data.get("adoption_explanation")):
        return RuleViolation.of(rules.ADOPTION_EXPLANATION_REQUIRED)
    return None


def nd_filing_record_complete(a: Attempt) -> RuleViolation | None:
    """ZJ372, GB37: the filing names the body it was filed with (备案审查机关)."""
    return RuleViolation.of(rules.FILING_RECORD_INCOMPLETE) if _blank(a.data.get("filing_body")) else None


def nd_validity_lapsed(a: Attempt) -> RuleViolation | None:
    """ZJ372: expiry is recorded only once the validity has run out (the end of its last day)."""
    expires = str((a.facts.get("published") or {}).get("expires_on") or "")
    if expires and a.now < a.calendar.end_of_day(dt.date.fromisoformat(expires)):
        return RuleViolation.of(rules.NOT_YET_EXPIRED, expires=expires)
    return None


def nd_repeal_published(a: Attempt) -> RuleViolation | None:
    """GB37 二(八): a repeal is published (its announcement's number or address is on record)."""
    return RuleViolation.of(rules.REPEAL_NOT_PUBLISHED) if _blank(a.data.get("announcement")) else None
