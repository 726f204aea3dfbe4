"""The hard rules of docs/procedure/cn-713.md (1-14) for Decree 713 as of 2019-09-01, each with its article.

Frozen with this pack: a new version of the procedure is a new pack (it may import these). Messages are
the text a refused official reads; ``{placeholders}`` are filled from the refusal's details. Codes are part
of the public interface (CLI, API, exports): never rename one.
"""

from __future__ import annotations

from workflow.engine.errors import Rule

R = Rule

COMMENT_WINDOW_TOO_SHORT = R(
    "comment_window_too_short", "Art. 15",
    "公开征求意见的期限一般不少于30日（应不早于{earliest}截止）；缩短期限的，应当说明理由",
    "The public comment period must be at least 30 days (closing no earlier than {earliest}) "
    "unless a reason for shortening it is stated on the notice", 1)
COMMENT_WINDOW_CLOSED = R(
    "comment_window_closed", "Art. 15",
    "公开征求意见期限未开始或者已经届满，不再接受意见",
    "The public comment window is not open; comments are accepted only while it is open", 2)
HEARING_MATERIALS_LATE = R(
    "hearing_materials_late", "Art. 16",
    "听证材料应当于听证会7日前送达听证参加人（最迟{latest}）",
    "Hearing materials must reach participants at least 7 days before the hearing (by {latest})", 3)
CONSULTATION_INCOMPLETE = R(
    "consultation_incomplete", "Art. 18, 24, 29",
    "必经程序未完成：{missing}",
    "Required consultation steps are not complete: {missing}", 4)
RISK_NOT_CONTROLLABLE = R(
    "risk_not_controllable", "Art. 24",
    "风险评估认为风险不可控，应当调整决策草案确保风险可控后方可继续",
    "The risk assessment found the risk not controllable; revise the draft first", 4)
PARTICIPATION_MISSING = R(
    "participation_missing", "Art. 14",
    "决策承办单位应当采取便于社会公众参与的方式充分听取意见（依法不予公开的除外）",
    "Public participation must be recorded unless the matter is lawfully not public", 4)
REVIEW_PERIOD_TOO_SHORT = R(
    "review_period_too_short", "Art. 26",
    "送请合法性审查，应当保证必要的审查时间，一般不少于7个工作日（不早于{earliest}）",
    "A legality review must be given at least 7 working days (due no earlier than {earliest})", 5)
REVIEWER_IS_OWNER = R(
    "reviewer_is_owner", "Art. 25, 28",
    "合法性审查人员不得为决策承办人员",
    "The legality reviewer may not be the decision's owner", 6)
ADVISER_OPINION_REQUIRED = R(
    "adviser_opinion_required", "Art. 28",
    "合法性审查应当组织法律顾问、公职律师提出法律意见",
    "A legality opinion needs at least one opinion from a legal adviser or government lawyer", 6)
REVIEWER_IS_ADVISER = R(
    "reviewer_is_adviser", "Art. 28",
    "签署合法性审查意见的人员本人提出的法律意见不能代替法律顾问、公职律师的意见，"
    "本轮审查须有审查人员以外的法律顾问或者公职律师提出法律意见",
    "The signing reviewer's own adviser opinion does not count: this review round needs an opinion from a legal "
    "adviser or government lawyer other than the reviewer who signs", 6)
LEGALITY_OPINION_REQUIRED = R(
    "legality_opinion_required", "Art. 25",
    "未经合法性审查或者经审查不合法的，不得提交集体讨论",
    "A draft without a lawful legality opinion on its current version may not go to collective discussion", 7)
RISK_NOTE_REQUIRED = R(
    "risk_note_required", "Art. 25",
    "探索性改革意见应当载明法律风险提示",
    "An exploratory-reform opinion must state its legal-risk note", 7)
DISCUSSION_RECORD_INCOMPLETE = R(
    "discussion_record_incomplete", "Art. 30",
    "集体讨论记录应当载明出席人员和每位成员的意见：{missing}",
    "The discussion record must list attendees and each member's view: {missing}", 8)
CHIEF_MUST_SPEAK_LAST = R(
    "chief_must_speak_last", "Art. 30",
    "行政首长应当在集体讨论的基础上最后发表意见并作出决定",
    "The chief executive speaks last and decides after the collective discussion", 8)
AGAINST_MAJORITY_REASON = R(
    "against_majority_reason_required", "Art. 30",
    "行政首长拟作出的决定与会议组成人员多数人的意见不一致的，应当说明理由",
    "A decision against the majority of the members needs a stated reason", 8)
PARTY_REPORT_REQUIRED = R(
    "party_report_required", "Art. 31",
    "重大行政决策出台前应当按照规定向同级党委请示报告",
    "The decision must be reported to the Party committee before it is issued", 9)
PUBLICATION_INCOMPLETE = R(
    "publication_incomplete", "Art. 32",
    "公布决策应当载明公布途径和日期：{missing}",
    "Publication must state its channels and date: {missing}", 10)
ADOPTION_EXPLANATION_REQUIRED = R(
    "adoption_explanation_required", "Art. 32",
    "社会公众普遍关心或者专业性、技术性较强的决策，应当说明公众意见、专家论证意见的采纳情况",
    "A decision of wide concern or a technical one must explain how comments and expert opinions were adopted", 10)
WITHHOLDING_BASIS_REQUIRED = R(
    "withholding_basis_required", "Art. 32",
    "依法不予公开的，应当载明不予公开的法律依据",
    "Withholding publication needs its legal basis", 10)
SUSPENSION_REASON_REQUIRED = R(
    "suspension_reason_required", "Art. 37",
    "中止执行应当由行政首长决定，并载明理由和紧急情况",
    "Suspension is decided by the chief executive with a reason and the urgency", 11)
EVALUATOR_NOT_INDEPENDENT = R(
    "evaluator_not_independent", "Art. 36",
    "决策作出前承担主要论证评估工作的单位（{unit}）不得承担决策后评估",
    "The unit that did the main pre-decision assessment ({unit}) may not do the post-evaluation", 12)
EVALUATOR_WAS_ASSESSOR = R(
    "evaluator_was_assessor", "Art. 36",
    "决策作出前承担主要论证评估工作的人员（{person}）不得承担决策后评估",
    "A person who did the main pre-decision assessment ({person}) may not do the post-evaluation", 12)
DOSSIER_INCOMPLETE = R(
    "dossier_incomplete", "Art. 33",
    "决策过程记录和材料不完整，不得归档结束：{missing}",
    "The decision's record is incomplete and cannot be archived as complete: {missing}", 13)
TASK_REQUIRED = R(
    "task_required", "Art. 14, 19, 22",
    "必经程序“{task}”不得免于开展",
    "The required step '{task}' cannot be waived")
WAIVER_REASON_REQUIRED = R(
    "waiver_reason_required", "Art. 33",
    "免于开展的程序应当说明理由并存档",
    "A waived step needs a stated reason, kept on file")
DRAFT_REQUIRED = R(
    "draft_required", "Art. 12",
    "应当拟订决策草案并列明法律依据",
    "A draft document and the list of legal bases are required", None)
CONFIDENTIAL_BASIS_REQUIRED = R(
    "confidential_basis_required", "Art. 14, 32",
    "依法不予公开的决策事项，应当载明法律依据",
    "A matter marked confidential needs the legal basis for not publishing it")
CONFIDENTIAL_NOT_PUBLIC = R(
    "confidential_not_public", "Art. 14",
    "依法不予公开的决策事项不得向社会公开征求意见",
    "A confidential matter may not be opened for public comment")
EXPERT_HAS_INTEREST = R(
    "expert_has_interest", "Art. 20",
    "不得选择与决策事项有直接利害关系的专家",
    "An expert with a direct interest in the matter may not give an opinion")
EXPERT_ALREADY_GAVE_OPINION = R(
    "expert_already_gave_opinion", "Art. 20",
    "该专家已提交论证意见", "This expert has already submitted an opinion")
ADOPTION_REPORT_INCOMPLETE = R(
    "adoption_report_incomplete", "Art. 18",
    "意见采纳情况不完整：{missing}",
    "The adoption report is incomplete: {missing}")
NO_HEARING_SCHEDULED = R(
    "hearing_not_scheduled", "Art. 16",
    "尚未安排听证会", "No hearing has been scheduled")
UNKNOWN_COMMENT = R(
    "unknown_comment", "Art. 15",
    "意见不存在：{comment}", "No such comment: {comment}")
NOT_COMMENT_AUTHOR = R(
    "not_comment_author", "Art. 15",
    "只能修改本人提交的意见", "Only the author may edit a comment")
DISSENT_RECORD_REQUIRED = R(
    "dissent_must_be_kept", "Art. 30",
    "持不同意见的成员意见应当如实记录", "Dissenting views must be kept in the record", 8)
HEARING_NOT_YET_HELD = R(
    "hearing_not_yet_held", "Art. 16, 33",
    "听证会定于 {hearing_at} 举行，尚未举行，不能记录听证笔录（录入时间 {now}）",
    "The hearing is set for {hearing_at} and has not been held yet; its record cannot be entered ({now})")
