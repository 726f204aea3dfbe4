"""The hard rules as named, pure guards. Definitions name them; the loader resolves the names.

A guard looks at an ``Attempt`` and returns ``None`` (allowed) or the ``RuleViolation`` that says which
rule and article refuse it. Guards never touch the database or the clock beyond ``attempt.now``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from workflow import rules
from workflow.context import Attempt, parse_iso
from workflow.errors import CalendarMissing, InvalidInput, RuleViolation
from workflow.tasks import missing_adoption_entries, task_done, task_required

Guard = Callable[[Attempt], RuleViolation | None]
GUARDS: dict[str, Guard] = {}


def guard(fn: Guard) -> Guard:
    """Register ``fn`` under its own name."""
    GUARDS[fn.__name__] = fn
    return fn


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value) or (
        isinstance(value, str) and not value.strip())


def _flags(a: Attempt) -> set[str]:
    return set(a.facts.get("flags", []))


@guard
def confidential_basis_given(a: Attempt) -> RuleViolation | None:
    """Art. 14, 32: a confidential matter names the legal basis for not publishing."""
    if "confidential" in (a.data.get("flags") or []) and _blank(a.data.get("confidential_basis")):
        return RuleViolation.of(rules.CONFIDENTIAL_BASIS_REQUIRED)
    return None


@guard
def draft_and_legal_bases(a: Attempt) -> RuleViolation | None:
    """Art. 12: consultation starts from a draft document and its legal bases."""
    if not a.facts.get("draft") or _blank(a.data.get("legal_bases")):
        return RuleViolation.of(rules.DRAFT_REQUIRED)
    return None


@guard
def draft_present(a: Attempt) -> RuleViolation | None:
    """A review needs the text it reviews."""
    return None if a.facts.get("draft") else RuleViolation.of(rules.DRAFT_REQUIRED)


@guard
def not_confidential(a: Attempt) -> RuleViolation | None:
    """Art. 14: a lawfully non-public matter is not put out for public comment."""
    return RuleViolation.of(rules.CONFIDENTIAL_NOT_PUBLIC) if "confidential" in _flags(a) else None


@guard
def comment_window_long_enough(a: Attempt) -> RuleViolation | None:
    """Art. 15 (rule 1): at least 30 days, unless a reason for shortening is stated on the notice."""
    opens, closes = parse_iso(a.data["opens_at"]), parse_iso(a.data["closes_at"])
    if closes <= opens:
        raise InvalidInput("截止时间应晚于开始时间", "closes_at must be after opens_at", details={"field": "closes_at"})
    if not _blank(a.data.get("short_reason")):
        return None  # a stated reason allows a shorter window: where the 30 days end does not matter
    opened, closed = a.calendar.local_date(opens), a.calendar.local_date(closes)
    try:
        earliest = a.calendar.add_calendar_days(opened, 30)
    except CalendarMissing as missing:  # the end rolls past rest days of a year without data:
        earliest = opened + dt.timedelta(days=30)  # closing before the 30th day is too short whatever it holds;
        if closed >= earliest:  # later, the verdict needs that year, and the refusal names it
            raise missing.for_rule(rules.COMMENT_WINDOW_TOO_SHORT) from None
    return RuleViolation.of(rules.COMMENT_WINDOW_TOO_SHORT, earliest=earliest.isoformat()) if closed < earliest else None


@guard
def comment_window_open(a: Attempt) -> RuleViolation | None:
    """Art. 15 (rule 2): every comment write happens while the window is open, checked here."""
    window = a.facts.get("comment_window")
    if not window or not (parse_iso(window["opens_at"]) <= a.now < parse_iso(window["closes_at"])):
        return RuleViolation.of(rules.COMMENT_WINDOW_CLOSED)
    return None


@guard
def reply_to_known(a: Attempt) -> RuleViolation | None:
    """A reply answers a comment that exists."""
    target = a.data.get("reply_to")
    if target is not None and not any(c["id"] == target for c in a.facts.get("comments", [])):
        return RuleViolation.of(rules.UNKNOWN_COMMENT, comment=target)
    return None


@guard
def comment_author(a: Attempt) -> RuleViolation | None:
    """Only the author edits a comment."""
    cid = a.data.get("comment_id")
    comment = next((c for c in a.facts.get("comments", []) if c["id"] == cid), None)
    if comment is None:
        return RuleViolation.of(rules.UNKNOWN_COMMENT, comment=cid)
    return None if comment["author"] == a.actor.id else RuleViolation.of(rules.NOT_COMMENT_AUTHOR)


@guard
def hearing_scheduled(a: Attempt) -> RuleViolation | None:
    """Art. 17: materials and records belong to a scheduled hearing."""
    return None if a.facts.get("hearing") else RuleViolation.of(rules.NO_HEARING_SCHEDULED)


@guard
def hearing_materials_in_time(a: Attempt) -> RuleViolation | None:
    """Art. 17 (rule 3): materials reach participants at least 7 days before the hearing."""
    delivered = parse_iso(a.data["delivered_at"]) if a.data.get("delivered_at") else a.now
    hearing_day = a.calendar.local_date(parse_iso(a.facts["hearing"]["hearing_at"]))
    latest = hearing_day - dt.timedelta(days=7)
    if a.calendar.local_date(delivered) > latest:
        return RuleViolation.of(rules.HEARING_MATERIALS_LATE, latest=latest.isoformat())
    return None


@guard
def hearing_materials_delivered(a: Attempt) -> RuleViolation | None:
    """Art. 17 (rule 3): no hearing record without materials delivered in time."""
    hearing = a.facts.get("hearing") or {}
    if hearing.get("delivered_at"):
        return None
    latest = a.calendar.local_date(parse_iso(hearing["hearing_at"])) - dt.timedelta(days=7)
    return RuleViolation.of(rules.HEARING_MATERIALS_LATE, latest=latest.isoformat())


@guard
def expert_without_interest(a: Attempt) -> RuleViolation | None:
    """Art. 20: no expert with a direct interest in the matter."""
    return RuleViolation.of(rules.EXPERT_HAS_INTEREST) if a.data.get("declared_interest") else None


@guard
def expert_once(a: Attempt) -> RuleViolation | None:
    """One written opinion per expert (a revised view is a new round, not a second vote)."""
    if any(o["expert"] == a.actor.id for o in a.facts.get("expert_opinions", [])):
        return RuleViolation.of(rules.EXPERT_ALREADY_GAVE_OPINION)
    return None


@guard
def task_waivable(a: Attempt) -> RuleViolation | None:
    """Only an optional step is waived, and only with a reason kept on file."""
    procedure = a.decision.procedure
    task_id = str(a.data.get("task", ""))
    if task_id not in procedure.tasks:
        raise InvalidInput(f"没有这个程序：{task_id}", f"no such step: {task_id}", details={"field": "task"})
    task = procedure.tasks[task_id]
    if task_required(task, a.facts):
        return RuleViolation.of(rules.TASK_REQUIRED, task=task.label.zh if task else task_id)
    if _blank(a.data.get("reason")):
        return RuleViolation.of(rules.WAIVER_REASON_REQUIRED)
    return None


@guard
def adoption_report_complete(a: Attempt) -> RuleViolation | None:
    """Art. 18: every comment and expert opinion answered; every 'not adopted' with a reason."""
    entries = a.data.get("entries") or {}
    missing = missing_adoption_entries(a.facts, entries)
    if missing:
        return RuleViolation.of(rules.ADOPTION_REPORT_INCOMPLETE, missing="、".join(missing))
    return None


@guard
def participation_recorded(a: Attempt) -> RuleViolation | None:
    """Art. 14: some form of public participation is on record unless the matter is not public."""
    if "confidential" in _flags(a) or a.facts.get("participation"):
        return None
    procedure = a.decision.procedure
    if any(t.participation and task_done(t, a.facts, a.now, a.office) for t in procedure.tasks.values()):
        return None
    return RuleViolation.of(rules.PARTICIPATION_MISSING)


@guard
def no_uncontrollable_risk(a: Attempt) -> RuleViolation | None:
    """Art. 24: an uncontrollable risk blocks the way until a new assessment finds it controllable."""
    risk = a.facts.get("risk")
    return RuleViolation.of(rules.RISK_NOT_CONTROLLABLE) if risk and not risk.get("controllable") else None


@guard
def consultation_complete(a: Attempt) -> RuleViolation | None:
    """Art. 18, 24, 29 (rule 4): every required step done before the legality review."""
    procedure = a.decision.procedure
    missing = [
        t.label.zh for t in procedure.tasks.values()
        if task_required(t, a.facts) and not task_done(t, a.facts, a.now, a.office)
    ]
    if missing:
        return RuleViolation.of(rules.CONSULTATION_INCOMPLETE, missing="、".join(missing))
    return None


@guard
def review_period_long_enough(a: Attempt) -> RuleViolation | None:
    """Art. 26 (rule 5): the reviewer gets at least 7 working days."""
    if not a.data.get("due_on"):  # the due date is then the office's limit, never shorter (deadlines.py)
        return None
    requested = dt.date.fromisoformat(a.data["due_on"])
    try:
        earliest = a.calendar.add_working_days(a.calendar.local_date(a.now), 7)
    except CalendarMissing as missing:  # fewer than 7 working days left before a year without data:
        earliest = dt.date(int(missing.details["year"]), 1, 1)  # a date before it is too short whatever it holds;
        if requested >= earliest:  # one in it needs its calendar, named in the refusal
            raise missing.for_rule(rules.REVIEW_PERIOD_TOO_SHORT) from None
    return RuleViolation.of(rules.REVIEW_PERIOD_TOO_SHORT, earliest=earliest.isoformat()) if requested < earliest else None


@guard
def reviewer_not_owner(a: Attempt) -> RuleViolation | None:
    """Art. 25, 28 (rule 6): the reviewer is neither the owner nor anyone who drafted the text."""
    if a.actor.id == a.decision.owner_id or a.actor.id in a.facts.get("drafters", []):
        return RuleViolation.of(rules.REVIEWER_IS_OWNER)
    return None


@guard
def adviser_opinion_attached(a: Attempt) -> RuleViolation | None:
    """Art. 28 (rule 6): at least one legal adviser's opinion in this review round."""
    review_round = (a.facts.get("review") or {}).get("round")
    if not any(o["round"] == review_round for o in a.facts.get("adviser_opinions", [])):
        return RuleViolation.of(rules.ADVISER_OPINION_REQUIRED)
    return None


@guard
def exploratory_reform_risk_note(a: Attempt) -> RuleViolation | None:
    """Art. 25 (rule 7): an exploratory-reform opinion states its legal risk."""
    if a.data.get("outcome") == "exploratory_reform" and _blank(a.data.get("risk_note")):
        return RuleViolation.of(rules.RISK_NOTE_REQUIRED)
    return None


def has_lawful_opinion(facts: Mapping[str, Any]) -> bool:
    """A lawful (or exploratory-reform) opinion of the latest round bound to the current draft."""
    opinion, draft = facts.get("opinion"), facts.get("draft")
    return bool(
        opinion and draft and opinion["outcome"] in ("lawful", "exploratory_reform")
        and opinion["draft_hash"] == draft["hash"]
        and opinion["round"] == (facts.get("review") or {}).get("round")
    )


@guard
def lawful_opinion_on_current_draft(a: Attempt) -> RuleViolation | None:
    """Art. 25 (rule 7): no collective discussion without a valid opinion on the current draft."""
    return None if has_lawful_opinion(a.facts) else RuleViolation.of(rules.LEGALITY_OPINION_REQUIRED)


@guard
def meeting_record_complete(a: Attempt) -> RuleViolation | None:
    """Art. 30 (rule 8): attendees listed, every view belongs to an attendee, dissent kept."""
    attendees = [str(x) for x in a.data.get("attendees") or []]
    views = a.data.get("views") or []
    missing = []
    if not attendees:
        missing.append("出席人员 / attendees")
    if not views:
        missing.append("成员意见 / members' views")
    strangers = [v["member"] for v in views if v["member"] not in attendees]
    if strangers:
        missing.append("未出席者的意见 / views of non-attendees: " + "、".join(strangers))
    if missing:
        return RuleViolation.of(rules.DISCUSSION_RECORD_INCOMPLETE, missing="；".join(missing))
    return None


@guard
def meeting_recorded(a: Attempt) -> RuleViolation | None:
    """Art. 30 (rule 8): the chief executive decides on the basis of a recorded discussion."""
    meeting = a.facts.get("meeting")
    if not meeting:
        return RuleViolation.of(rules.DISCUSSION_RECORD_INCOMPLETE, missing="集体讨论记录 / discussion record")
    if a.actor.name not in meeting["attendees"]:
        return RuleViolation.of(rules.DISCUSSION_RECORD_INCOMPLETE,
                                missing="行政首长未出席 / the chief executive did not attend")
    return None


@guard
def chief_speaks_last(a: Attempt) -> RuleViolation | None:
    """Art. 30 (rule 8): the chief executive's own view, if recorded, is the last one."""
    views = (a.facts.get("meeting") or {}).get("views", [])
    spoke = [i for i, v in enumerate(views) if v["member"] == a.actor.name]
    if spoke and spoke[-1] != len(views) - 1 or len(spoke) > 1:
        return RuleViolation.of(rules.CHIEF_MUST_SPEAK_LAST)
    return None


@guard
def against_majority_reason(a: Attempt) -> RuleViolation | None:
    """Art. 30 (rule 8): a decision against the members' majority states its reason."""
    views = [v for v in (a.facts.get("meeting") or {}).get("views", []) if v["member"] != a.actor.name]
    pro = sum(1 for v in views if v["view"] == "for")
    con = sum(1 for v in views if v["view"] == "against")
    outcome = a.data.get("outcome")
    against = (outcome in ("adopted", "adopted_with_changes") and con > pro) or (outcome == "rejected" and pro > con)
    if against and _blank(a.data.get("reason")):
        return RuleViolation.of(rules.AGAINST_MAJORITY_REASON)
    return None


@guard
def party_report_done(a: Attempt) -> RuleViolation | None:
    """Art. 31 (rule 9): reported to the Party committee before publication."""
    return None if a.facts.get("party_report") else RuleViolation.of(rules.PARTY_REPORT_REQUIRED)


@guard
def publication_complete(a: Attempt) -> RuleViolation | None:
    """Art. 32 (rule 10): channels and date; adoption explained for technical or wide-concern matters."""
    missing = [name for name, key in (("公布途径 / channels", "channels"), ("公布日期 / date", "published_on"))
               if _blank(a.data.get(key))]
    if missing:
        return RuleViolation.of(rules.PUBLICATION_INCOMPLETE, missing="、".join(missing))
    if _flags(a) & {"technical", "wide_concern"} and _blank(a.data.get("adoption_explanation")):
        return RuleViolation.of(rules.ADOPTION_EXPLANATION_REQUIRED)
    return None


@guard
def withholding_basis(a: Attempt) -> RuleViolation | None:
    """Art. 32 (rule 10): withholding names its legal basis."""
    return RuleViolation.of(rules.WITHHOLDING_BASIS_REQUIRED) if _blank(a.data.get("legal_basis")) else None


@guard
def suspension_reason(a: Attempt) -> RuleViolation | None:
    """Art. 37 (rule 11): suspension states the reason and the urgency."""
    if _blank(a.data.get("reason")) or _blank(a.data.get("urgency")):
        return RuleViolation.of(rules.SUSPENSION_REASON_REQUIRED)
    return None


@guard
def evaluator_independent(a: Attempt) -> RuleViolation | None:
    """Art. 36 (rule 12): the evaluating unit did not do the main pre-decision assessment."""
    evaluation = a.facts.get("evaluation") or {}
    unit = str(a.data.get("evaluation_unit") or evaluation.get("unit") or "")
    assessors = a.facts.get("assessors", {})
    for candidate in {unit, a.actor.unit} - {""}:
        if candidate in assessors.get("units", []):
            return RuleViolation.of(rules.EVALUATOR_NOT_INDEPENDENT, unit=candidate)
    if a.action.id == "record_evaluation" and a.actor.id in assessors.get("people", []):
        return RuleViolation.of(rules.EVALUATOR_NOT_INDEPENDENT, unit=a.actor.unit or a.actor.name)
    return None


def dossier_gaps(facts: Mapping[str, Any]) -> list[str]:
    """Records the archive needs that are missing (Art. 33)."""
    needed = [
        ("draft", "决策草案 / draft"), ("opinion", "合法性审查意见 / legality opinion"),
        ("meeting", "集体讨论记录 / discussion record"), ("decision", "决定 / decision record"),
        ("party_report", "党委请示报告 / Party report"), ("publication", "公布或不予公开记录 / publication record"),
    ]
    gaps = [label for key, label in needed if not facts.get(key)]
    if not facts.get("progress_reports"):
        gaps.append("执行情况报告 / implementation report (Art. 34)")
    return gaps


@guard
def dossier_complete(a: Attempt) -> RuleViolation | None:
    """Art. 33 (rule 13): nothing archived as complete while a required record is missing."""
    gaps = dossier_gaps(a.facts)
    return RuleViolation.of(rules.DOSSIER_INCOMPLETE, missing="、".join(gaps)) if gaps else None


@guard
def withdraw_approved(a: Attempt) -> RuleViolation | None:
    """A withdrawal gives its reason and is approved by the chief executive."""
    approver = a.data.get("approver") or {}
    if "chief_executive" not in approver.get("roles", []) or _blank(a.data.get("reason")):
        return RuleViolation.of(rules.WITHDRAW_APPROVER_REQUIRED)
    return None


@guard
def contract_cleared_on_current_draft(a: Attempt) -> RuleViolation | None:
    """Ningbo rule art. 13: no signing before a no-objection review of this very text."""
    opinion, draft = a.facts.get("opinion"), a.facts.get("draft")
    if opinion and draft and opinion["outcome"] == "no_objection" and opinion["draft_hash"] == draft["hash"]:
        return None
    return RuleViolation.of(rules.CONTRACT_REVIEW_REQUIRED)
