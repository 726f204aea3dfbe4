"""Labels the definition does not carry: task statuses, deadline kinds, roles, document kinds, in zh and en.

Choice options are labelled in the definitions themselves (``options: {id: {zh, en}}``).
"""

from __future__ import annotations

from collections.abc import Iterable

from workflow.engine.definition import Label, ProcedureDef

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
    "procedure_migrated": Label("迁移程序版本", "Procedure version migrated"),
}
def pick(label: Label | None, lang: str, fallback: str = "") -> str:
    """The label in ``lang`` ("en" or anything else for Chinese)."""
    if label is None:
        return fallback
    return label.en if lang == "en" else label.zh


def notification_kind(kind: str, lang: str) -> str:
    """A notification's kind (reminder, overdue, escalation, stall, calendar) in words."""
    return pick(NOTIFICATION_KIND.get(kind), lang, kind)


def document_kind(kind: str, procedures: Iterable[ProcedureDef], lang: str, draft: Label | None = None) -> str:
    """A document kind in words: "draft" (the procedure's word for it), or "action.field" as their labels."""
    if kind == "draft":
        return pick(draft or Label("决策草案", "Draft decision"), lang)
    action_id, _sep, field = kind.partition(".")
    for procedure in procedures:
        action = procedure.actions.get(action_id)
        if action is not None:
            spec = action.fields.get(field)
            return f"{pick(action.label, lang)} · {pick(spec.label, lang) if spec else field}"
    return kind
