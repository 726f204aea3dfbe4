"""Labels the definition does not carry: choice options, task statuses, document kinds, in zh and en."""

from __future__ import annotations

from collections.abc import Iterable

from workflow.engine.definition import Label, ProcedureDef

OPTIONS: dict[str, Label] = {
    "lawful": Label("合法", "Lawful"),
    "exploratory_reform": Label("改革探索（附法律风险提示）", "Exploratory reform (with a legal-risk note)"),
    "needs_changes": Label("需修改", "Needs changes"),
    "unlawful": Label("不合法", "Unlawful"),
    "adopted": Label("通过", "Adopted"),
    "adopted_with_changes": Label("修改后通过", "Adopted with changes"),
    "deferred": Label("暂缓（再次讨论）", "Deferred"),
    "rejected": Label("不予通过", "Rejected"),
    "continue": Label("继续执行", "Continue"),
    "major_change": Label("重大调整（启动新的决策）", "Major change (new linked decision)"),
    "terminate": Label("终止执行", "Terminate"),
    "true": Label("是", "Yes"),
    "false": Label("否", "No"),
    "symposium": Label("座谈会", "Symposium"),
    "field_visit": Label("实地走访", "Field visit"),
    "written_consultation": Label("书面征求意见", "Written consultation"),
    "questionnaire": Label("问卷调查", "Questionnaire"),
    "poll": Label("民意调查", "Poll"),
    "for": Label("赞成", "For"),
    "against": Label("反对", "Against"),
    "abstain": Label("弃权", "Abstain"),
    "partly_adopted": Label("部分采纳", "Partly adopted"),
    "not_adopted": Label("未采纳", "Not adopted"),
    # enforcement-review (until option labels live in the definitions)
    "agree": Label("同意", "Agree"),
    "revise": Label("修改后再审", "Revise and resubmit"),
    "disagree": Label("不同意", "Disagree"),
    "penalty": Label("行政处罚", "Administrative penalty"),
    "licence": Label("行政许可", "Licence"),
    "coercion": Label("行政强制", "Administrative coercion"),
    "levy": Label("行政征收", "Levy"),
    "other": Label("其他", "Other"),
    "close": Label("结案", "Close"),
    "no_penalty": Label("不予行政处罚", "No penalty"),
    "transferred_to_judiciary": Label("移送司法机关", "Transferred to the judiciary"),
    "transferred_to_competent_body": Label("移送有权机关", "Transferred to the competent body"),
    "case_withdrawn": Label("撤销立案", "Case withdrawn"),
}
TASK_STATUS: dict[str, Label] = {
    "done": Label("已完成", "Done"),
    "waived": Label("不开展（已说明理由）", "Waived (reason on file)"),
    "open": Label("未完成", "Open"),
    "not_required": Label("不需要", "Not required"),
}
DEADLINE_STATUS: dict[str, Label] = {
    "open": Label("进行中", "Running"),
    "fired": Label("已提醒", "Alerted"),
    "closed": Label("已结束", "Closed"),
    "paused": Label("已暂停", "Paused"),
    "awaiting": Label("待日历", "Awaiting the calendar"),
}
DEADLINE_KIND: dict[str, Label] = {
    "due": Label("到期", "Due"),
    "reminder": Label("提醒", "Reminder"),
}
ROLES: dict[str, Label] = {
    "owner": Label("承办人员", "Owner"),
    "legal_reviewer": Label("合法性审查人员", "Legality reviewer"),
    "legal_adviser": Label("法律顾问/公职律师", "Legal adviser"),
    "expert": Label("专家", "Expert"),
    "chief_executive": Label("行政首长", "Chief executive"),
    "secretary": Label("会议秘书", "Secretary"),
    "publisher": Label("公布人员", "Publisher"),
    "executor": Label("执行单位", "Executing unit"),
    "evaluator": Label("评估单位", "Evaluator"),
    "admin": Label("系统管理员", "Administrator"),
    "public": Label("社会公众", "Public"),
}
NOTIFICATION_KIND: dict[str, Label] = {
    "reminder": Label("提醒", "Reminder"),
    "overdue": Label("逾期", "Overdue"),
    "escalation": Label("督办", "Escalation"),
    "stall": Label("久拖不决", "Stalled"),
    "backfill": Label("补录", "Back-entry"),
    "approval": Label("待批准", "Approval"),
    "calendar": Label("节假日日历", "Holiday calendar"),
}
SPECIAL_ACTIONS: dict[str, Label] = {
    "create": Label("创建决策事项", "Create the decision"),
    "deadline_extended": Label("延长期限", "Deadline extended"),
    "deadline_paused": Label("暂停期限", "Deadline paused"),
    "backfill_requested": Label("申请补录", "Back-entry requested"),
    "backfill_rejected": Label("补录不予确认", "Back-entry declined"),
    "approval_requested": Label("申请批准", "Approval requested"),
    "approval_declined": Label("不予批准", "Approval declined"),
}
#: Text fields that take more than one line.
LONG_TEXT = frozenset({
    "reason", "summary", "note", "procedure_statement", "risk_note", "adoption_explanation", "changes",
    "confidential_basis", "short_reason", "text", "legal_basis", "urgency", "prior_risk_assessment",
})


def pick(label: Label | None, lang: str, fallback: str = "") -> str:
    """The label in ``lang`` ("en" or anything else for Chinese)."""
    if label is None:
        return fallback
    return label.en if lang == "en" else label.zh


def option(value: str, lang: str) -> str:
    """A choice option's label."""
    return pick(OPTIONS.get(value), lang, value)


def notification_kind(kind: str, lang: str) -> str:
    """A notification's kind (reminder, overdue, escalation, stall, calendar) in words."""
    return pick(NOTIFICATION_KIND.get(kind), lang, kind)


def document_kind(kind: str, procedures: Iterable[ProcedureDef], lang: str) -> str:
    """A document kind in words: "draft", or "action.field" as the action's and the field's labels."""
    if kind == "draft":
        return pick(Label("决策草案", "Draft decision"), lang)
    action_id, _sep, field = kind.partition(".")
    for procedure in procedures:
        action = procedure.actions.get(action_id)
        if action is not None:
            spec = action.fields.get(field)
            return f"{pick(action.label, lang)} · {pick(spec.label, lang) if spec else field}"
    return kind
