"""Decree 713 (2019-09-01): the hard rules as named, pure guards. The YAML names them; the pack loader resolves
the names against this module only.

A guard looks at an ``Attempt`` and returns ``None`` (allowed) or the ``RuleViolation`` that says which
rule and article refuse it. Guards never touch the database or the clock beyond ``attempt.now``. Frozen with
this pack: a new procedure version that needs a different rule is a new pack (which may import these).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from workflow.engine import rules as engine_rules
from workflow.engine.context import Attempt, parse_iso
from workflow.engine.errors import CalendarMissing, InvalidInput, RuleViolation, enforces
from workflow.engine.tasks import task_done, task_required
from workflow.packs.cn_713_2019_09_01 import rules
from workflow.packs.cn_713_2019_09_01.records import (
    consultation_record_gaps,
    dossier_gaps,
    has_lawful_opinion,
    missing_adoption_entries,
)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value) or (
        isinstance(value, str) and not value.strip())


def _flags(a: Attempt) -> set[str]:
    return set(a.facts.get("flags", []))


def confidential_basis_given(a: Attempt) -> RuleViolation | None:
    """Art. 14, 32: a confidential matter names the legal basis for not publishing."""
    if "confidential" in (a.data.get("flags") or []) and _blank(a.data.get("confidential_basis")):
        return RuleViolation.of(rules.CONFIDENTIAL_BASIS_REQUIRED)
    return None


def draft_and_legal_bases(a: Attempt) -> RuleViolation | None:
    """Art. 12: consultation starts from a draft document and its legal bases."""
    if not a.facts.get("draft") or _blank(a.data.get("legal_bases")):
        return RuleViolation.of(rules.DRAFT_REQUIRED)
    return None


def draft_present(a: Attempt) -> RuleViolation | None:
    """A review needs the text it reviews."""
    return None if a.facts.get("draft") else RuleViolation.of(rules.DRAFT_REQUIRED)


def not_confidential(a: Attempt) -> RuleViolation | None:
    """Art. 14: a lawfully non-public matter is not put out for public comment."""
    return RuleViolation.of(rules.CONFIDENTIAL_NOT_PUBLIC) if "confidential" in _flags(a) else None


@enforces(rules.COMMENT_WINDOW_TOO_SHORT, min_days=30)
def comment_window_long_enough(a: Attempt) -> RuleViolation | None:
    """Art. 15 (rule 1): at least 30 days, unless a reason for shortening is stated on the notice."""
    opens, closes = parse_iso(a.data["opens_at"]), parse_iso(a.data["closes_at"])
    if closes <= opens:
        raise InvalidInput("截止时间应晚于开始时间", "closes_at must be after opens_at", details={"field": "closes_at"})
    if not _blank(a.data.get("short_reason")):
        return None  # a stated reason allows a shorter window: where the 30 days end does not matter
    opened = a.calendar.local_date(opens)
    try:
        earliest = a.calendar.add_calendar_days(opened, 30)
    except CalendarMissing as missing:  # the end rolls past rest days of a year without data:
        earliest = opened + dt.timedelta(days=30)  # closing before the 30th day is too short whatever it holds;
        if closes >= a.calendar.end_of_day(earliest):  # later, the verdict needs that year: the refusal names it
            raise missing.for_rule(rules.COMMENT_WINDOW_TOO_SHORT) from None
    # The last day runs to 24:00 (民法典 Art. 203): closing at noon of it is a day short.
    if closes < a.calendar.end_of_day(earliest):
        return RuleViolation.of(rules.COMMENT_WINDOW_TOO_SHORT, earliest=earliest.isoformat())
    return None


def comment_window_open(a: Attempt) -> RuleViolation | None:
    """Art. 15 (rule 2): every comment write happens while the window is open, checked here."""
    window = a.facts.get("comment_window")
    if not window or not (parse_iso(window["opens_at"]) <= a.now < parse_iso(window["closes_at"])):
        return RuleViolation.of(rules.COMMENT_WINDOW_CLOSED)
    return None


def no_window_open(a: Attempt) -> RuleViolation | None:
    """Art. 15, 33: a window that has not closed is corrected (a new version), never opened over."""
    window = a.facts.get("comment_window")
    if window and not a.correcting and a.now < parse_iso(window["closes_at"]):
        return RuleViolation.of(engine_rules.RECORD_EXISTS_USE_CORRECTION, record="公开征求意见期限 / comment window")
    return None


def reply_to_known(a: Attempt) -> RuleViolation | None:
    """A reply answers a comment that exists."""
    target = a.data.get("reply_to")
    if target is not None and not any(c["id"] == target for c in a.facts.get("comments", [])):
        return RuleViolation.of(rules.UNKNOWN_COMMENT, comment=target)
    return None


def comment_author(a: Attempt) -> RuleViolation | None:
    """Only the author edits a comment."""
    cid = a.data.get("comment_id")
    comment = next((c for c in a.facts.get("comments", []) if c["id"] == cid), None)
    if comment is None:
        return RuleViolation.of(rules.UNKNOWN_COMMENT, comment=cid)
    return None if comment["author"] == a.actor.id else RuleViolation.of(rules.NOT_COMMENT_AUTHOR)


def hearing_scheduled(a: Attempt) -> RuleViolation | None:
    """Art. 17: materials and records belong to a scheduled hearing."""
    return None if a.facts.get("hearing") else RuleViolation.of(rules.NO_HEARING_SCHEDULED)


def hearing_materials_in_time(a: Attempt) -> RuleViolation | None:
    """Art. 17 (rule 3): materials reach participants at least 7 days before the hearing."""
    delivered = parse_iso(a.data["delivered_at"]) if a.data.get("delivered_at") else a.now
    hearing_day = a.calendar.local_date(parse_iso(a.facts["hearing"]["hearing_at"]))
    latest = hearing_day - dt.timedelta(days=7)
    if a.calendar.local_date(delivered) > latest:
        return RuleViolation.of(rules.HEARING_MATERIALS_LATE, latest=latest.isoformat())
    return None


def hearing_materials_delivered(a: Attempt) -> RuleViolation | None:
    """Art. 17 (rule 3): no hearing record without materials delivered in time."""
    hearing = a.facts.get("hearing") or {}
    if hearing.get("delivered_at"):
        return None
    latest = a.calendar.local_date(parse_iso(hearing["hearing_at"])) - dt.timedelta(days=7)
    return RuleViolation.of(rules.HEARING_MATERIALS_LATE, latest=latest.isoformat())


def hearing_took_place(a: Attempt) -> RuleViolation | None:
    """Art. 16, 33: a hearing record is entered only once the hearing has been held."""
    hearing_at = parse_iso(a.facts["hearing"]["hearing_at"])
    if a.now < hearing_at:
        tz = a.calendar.tz
        return RuleViolation.of(rules.HEARING_NOT_YET_HELD, hearing_at=hearing_at.astimezone(tz).strftime(
            "%Y-%m-%d %H:%M"), now=a.now.astimezone(tz).strftime("%Y-%m-%d %H:%M"))
    return None


def expert_without_interest(a: Attempt) -> RuleViolation | None:
    """Art. 20: no expert with a direct interest in the matter."""
    return RuleViolation.of(rules.EXPERT_HAS_INTEREST) if a.data.get("declared_interest") else None


def expert_once(a: Attempt) -> RuleViolation | None:
    """One written opinion per expert (a revised view is a new round, not a second vote)."""
    if any(o["expert"] == a.actor.id for o in a.facts.get("expert_opinions", [])):
        return RuleViolation.of(rules.EXPERT_ALREADY_GAVE_OPINION)
    return None


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


def adoption_report_complete(a: Attempt) -> RuleViolation | None:
    """Art. 18: every comment and expert opinion answered; every 'not adopted' with a reason."""
    entries = a.data.get("entries") or {}
    missing = missing_adoption_entries(a.facts, entries)
    if missing:
        return RuleViolation.of(rules.ADOPTION_REPORT_INCOMPLETE, missing="、".join(missing))
    return None


def participation_recorded(a: Attempt) -> RuleViolation | None:
    """Art. 14: some form of public participation is on record unless the matter is not public."""
    if "confidential" in _flags(a) or a.facts.get("participation"):
        return None
    procedure = a.decision.procedure
    if any(t.participation and task_done(t, a.facts, a.now, a.office) for t in procedure.tasks.values()):
        return None
    return RuleViolation.of(rules.PARTICIPATION_MISSING)


def no_uncontrollable_risk(a: Attempt) -> RuleViolation | None:
    """Art. 24: an uncontrollable risk blocks the way until a new assessment finds it controllable."""
    risk = a.facts.get("risk")
    return RuleViolation.of(rules.RISK_NOT_CONTROLLABLE) if risk and not risk.get("controllable") else None


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


def reviewer_not_owner(a: Attempt) -> RuleViolation | None:
    """Art. 25, 28 (rule 6): the reviewer is neither the owner nor anyone who drafted the text."""
    if a.actor.id == a.decision.owner_id or a.actor.id in a.facts.get("drafters", []):
        return RuleViolation.of(rules.REVIEWER_IS_OWNER)
    return None


def adviser_opinion_attached(a: Attempt) -> RuleViolation | None:
    """Art. 28 (rule 6): this round has a legal adviser's opinion from someone other than the signer."""
    review_round = (a.facts.get("review") or {}).get("round")
    advisers = {o["adviser"] for o in a.facts.get("adviser_opinions", []) if o["round"] == review_round}
    if not advisers:
        return RuleViolation.of(rules.ADVISER_OPINION_REQUIRED)
    # Art. 28: the review body "组织法律顾问、公职律师提出法律意见" for its own opinion; a reviewer who
    # also holds the adviser role cannot supply that second view to themselves.
    if advisers == {a.actor.id}:
        return RuleViolation.of(rules.REVIEWER_IS_ADVISER)
    return None


def exploratory_reform_risk_note(a: Attempt) -> RuleViolation | None:
    """Art. 25 (rule 7): an exploratory-reform opinion states its legal risk."""
    if a.data.get("outcome") == "exploratory_reform" and _blank(a.data.get("risk_note")):
        return RuleViolation.of(rules.RISK_NOTE_REQUIRED)
    return None


def lawful_opinion_on_current_draft(a: Attempt) -> RuleViolation | None:
    """Art. 25 (rule 7): no collective discussion without a valid opinion on the current draft."""
    return None if has_lawful_opinion(a.facts) else RuleViolation.of(rules.LEGALITY_OPINION_REQUIRED)


def meeting_record_complete(a: Attempt) -> RuleViolation | None:
    """Art. 30 (rule 8): members present listed, a view from each of them and from no one else."""
    # Art. 30 para 2: "会议组成人员应当充分发表意见": every attending member of the collective body
    # (出席人员) gives a view. People present without a vote (列席人员: the recording secretary, the owner
    # presenting the draft) are listed apart as ``observers`` and give none.
    attendees = [str(x) for x in a.data.get("attendees") or []]
    observers = [str(x) for x in a.data.get("observers") or []]
    views = a.data.get("views") or []
    spoke = {str(v["member"]) for v in views}
    missing = []
    if not attendees:
        missing.append("出席人员 / attendees")
    if not views and not attendees:
        missing.append("成员意见 / members' views")
    both = [p for p in attendees if p in observers]
    if both:
        missing.append("既列为出席成员又列为列席人员 / listed both as member and as observer: " + "、".join(both))
    voiceless = [p for p in observers if p in spoke and p not in attendees]
    if voiceless:
        missing.append("列席人员的发言不是成员意见 / an observer's words are not a member's view: " + "、".join(voiceless))
    strangers = [str(v["member"]) for v in views if v["member"] not in attendees and v["member"] not in observers]
    if strangers:
        missing.append("未出席者的意见 / views of non-attendees: " + "、".join(strangers))
    silent = [p for p in dict.fromkeys(attendees) if p not in spoke]
    if silent:
        missing.append("未记录意见的出席成员 / attending members without a view: " + "、".join(silent))
    if missing:
        return RuleViolation.of(rules.DISCUSSION_RECORD_INCOMPLETE, missing="；".join(missing),
                                members_without_view=silent)
    return None


def meeting_recorded(a: Attempt) -> RuleViolation | None:
    """Art. 30 (rule 8): the chief executive decides on the basis of a recorded discussion."""
    meeting = a.facts.get("meeting")
    if not meeting:
        return RuleViolation.of(rules.DISCUSSION_RECORD_INCOMPLETE, missing="集体讨论记录 / discussion record")
    if a.actor.name not in meeting["attendees"]:
        return RuleViolation.of(rules.DISCUSSION_RECORD_INCOMPLETE,
                                missing="行政首长未出席 / the chief executive did not attend")
    return None


def meeting_not_yet_recorded(a: Attempt) -> RuleViolation | None:
    """Art. 30, 33: the discussion is recorded once; a later change is a correction that keeps the first."""
    if a.facts.get("meeting") and not a.correcting:
        return RuleViolation.of(engine_rules.RECORD_EXISTS_USE_CORRECTION, record="集体讨论记录 / discussion record")
    return None


def chief_speaks_last(a: Attempt) -> RuleViolation | None:
    """Art. 30 (rule 8): the chief executive's own view, if recorded, is the last one."""
    views = (a.facts.get("meeting") or {}).get("views", [])
    spoke = [i for i, v in enumerate(views) if v["member"] == a.actor.name]
    if spoke and spoke[-1] != len(views) - 1 or len(spoke) > 1:
        return RuleViolation.of(rules.CHIEF_MUST_SPEAK_LAST)
    return None


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


def party_report_done(a: Attempt) -> RuleViolation | None:
    """Art. 31 (rule 9): reported to the Party committee before publication."""
    return None if a.facts.get("party_report") else RuleViolation.of(rules.PARTY_REPORT_REQUIRED)


def publication_complete(a: Attempt) -> RuleViolation | None:
    """Art. 32 (rule 10): channels and date; adoption explained for technical or wide-concern matters."""
    missing = [name for name, key in (("公布途径 / channels", "channels"), ("公布日期 / date", "published_on"))
               if _blank(a.data.get(key))]
    if missing:
        return RuleViolation.of(rules.PUBLICATION_INCOMPLETE, missing="、".join(missing))
    if _flags(a) & {"technical", "wide_concern"} and _blank(a.data.get("adoption_explanation")):
        return RuleViolation.of(rules.ADOPTION_EXPLANATION_REQUIRED)
    return None


def withholding_basis(a: Attempt) -> RuleViolation | None:
    """Art. 32 (rule 10): withholding names its legal basis."""
    return RuleViolation.of(rules.WITHHOLDING_BASIS_REQUIRED) if _blank(a.data.get("legal_basis")) else None


def suspension_reason(a: Attempt) -> RuleViolation | None:
    """Art. 37 (rule 11): suspension states the reason and the urgency."""
    if _blank(a.data.get("reason")) or _blank(a.data.get("urgency")):
        return RuleViolation.of(rules.SUSPENSION_REASON_REQUIRED)
    return None


def evaluator_independent(a: Attempt) -> RuleViolation | None:
    """Art. 36 (rule 12): the evaluating unit and evaluator did not do the main pre-decision assessment."""
    # Art. 36 excludes "决策作出前承担主要论证评估工作的单位" from the evaluation work, not from organising
    # it: the organiser (owner or chief executive, whatever their unit) is never checked here.
    assessors = a.facts.get("assessors") or {}
    units, people = assessors.get("units", []), assessors.get("people", [])
    if a.action.id == "start_evaluation":
        unit = str(a.data.get("evaluation_unit") or "")
        return RuleViolation.of(rules.EVALUATOR_NOT_INDEPENDENT, unit=unit) if unit in units else None
    # record_evaluation: the evaluator records the evaluating unit's work. The unit named when the
    # evaluation started, and the evaluator's own unit too: an evaluator employed by an assessing unit
    # means that unit does the evaluation work in substance, whatever unit was named.
    named = str((a.facts.get("evaluation") or {}).get("unit") or "")
    for unit in (named, a.actor.unit):
        if unit and unit in units:
            return RuleViolation.of(rules.EVALUATOR_NOT_INDEPENDENT, unit=unit)
    # The people who did the assessment (experts, who gave 论证 opinions, and who recorded the risk
    # report) may not evaluate their own work in person either, whichever unit employs them now.
    if a.actor.id in people:
        return RuleViolation.of(rules.EVALUATOR_WAS_ASSESSOR, person=a.actor.name)
    return None


def dossier_complete(a: Attempt) -> RuleViolation | None:
    """Art. 33 (rule 13): nothing archived as complete while a required record is missing."""
    gaps = consultation_record_gaps(a.decision.procedure, a.facts, a.now, a.office) + dossier_gaps(a.facts)
    return RuleViolation.of(rules.DOSSIER_INCOMPLETE, missing="、".join(gaps), records=gaps) if gaps else None
