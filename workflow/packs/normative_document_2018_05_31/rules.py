"""The rules of the normative-document pack: codes, articles and messages (its settings: ``procedure.yaml``).

Sources (docs/procedure/normative-document.md §0): GB37 is 国办发〔2018〕37号, GB115 is 国办发〔2018〕115号,
ZJ372 is 浙江省人民政府令第372号 (text not yet verified: its numbers are office settings with conservative
defaults), XKF17/CFF16/QZF10 are 行政许可法 art. 17, 行政处罚法 art. 16 and 行政强制法 art. 10, 13.
Codes are part of the public interface: never rename one.
"""

from __future__ import annotations

from workflow.engine.errors import Rule

R = Rule

GB37_5 = "国办发〔2018〕37号 二(五)"
GB37_6 = "国办发〔2018〕37号 二(六)"

CONFIDENTIAL_BASIS_REQUIRED = R(
    "confidential_basis_required", GB37_5,
    "依法需要保密、不公开征求意见的行政规范性文件，应当载明保密的法律依据",
    "A document marked confidential needs the legal basis for its secrecy")
CONFIDENTIAL_NOT_PUBLIC = R(
    "confidential_not_public", GB37_5,
    "依法需要保密的行政规范性文件草案不得向社会公开征求意见",
    "A lawfully secret draft may not be opened for public comment")
WINDOW_EXISTS = R(
    "record_exists_use_correction", GB37_5,
    "“{record}”已有记录；如需修改，请以“更正”方式提交新版本并说明理由，原记录保留",
    "'{record}' is already on record; submit a correction (a new version with a reason) instead")
COMMENT_WINDOW_CLOSED = R(
    "comment_window_closed", GB37_5,
    "公开征求意见期限未开始或者已经届满，不再接受意见",
    "The public comment window is not open; comments are accepted only while it is open")
TASK_REQUIRED = R(
    "task_required", "国办发〔2018〕37号 二(三)(五)",
    "必经程序“{task}”不得免于开展",
    "The required step '{task}' cannot be waived")
WAIVER_REASON_REQUIRED = R(
    "waiver_reason_required", GB37_5,
    "不开展的程序应当说明理由并存档",
    "A waived step needs a stated reason, kept on file")
ADOPTION_REPORT_INCOMPLETE = R(
    "adoption_report_incomplete", GB37_5,
    "意见采纳情况不完整：{missing}",
    "The adoption report is incomplete: {missing}")
MATERIALS_INCOMPLETE = R(
    "nd_materials_incomplete", f"{GB37_6}",
    "送审材料不完备：应当提交文件草案、制定依据和起草说明",
    "The submission is incomplete: a draft, its legal bases and a drafting statement are required")
PUBLIC_COMMENT_REQUIRED = R(
    "nd_public_comment_required", "国办发〔2018〕37号 二(三)(五)",
    "涉及群众切身利益或者对权利义务有重大影响的行政规范性文件，应当向社会公开征求意见",
    "A document affecting people's interests or rights must be put out for public comment first")
CONSULTATION_INCOMPLETE = R(
    "nd_consultation_incomplete", f"{GB37_5}；{GB37_6}",
    "送请合法性审核前应当完成的程序未完成：{missing}",
    "Steps due before the legality review are not complete: {missing}")
COMMENT_WINDOW_TOO_SHORT = R(
    "nd_comment_window_too_short", "《浙江省行政规范性文件管理办法》（待核实）；单位设置 nd_comment_days",
    "公开征求意见期限不得少于{days}日（应不早于{earliest}截止）；缩短期限的，应当说明理由",
    "The comment window must be at least {days} days (closing no earlier than {earliest}) unless a reason is stated")
REVIEW_PERIOD_OUT_OF_RANGE = R(
    "nd_review_period_out_of_range", "国办发〔2018〕115号",
    "合法性审核时间一般不少于{min}个工作日、最长不超过{max}个工作日（应在{earliest}至{latest}之间）",
    "Legality review must be given at least {min} and at most {max} working days (due between {earliest} and "
    "{latest})")
REVIEWER_IS_DRAFTER = R(
    "nd_reviewer_is_drafter", "国办发〔2018〕115号 二(四)；国办发〔2018〕37号 二(六)",
    "合法性审核人员不得为文件起草人员",
    "The legality reviewer may not be one of the document's drafters")
REVIEW_CHECKLIST_INCOMPLETE = R(
    "nd_review_checklist_incomplete", f"{GB37_6}；《行政许可法》第十七条；《行政处罚法》第十六条；《行政强制法》第十条",
    "审核结论为合法的，应当逐项确认制定主体、程序和内容合法（不得设定行政许可、行政处罚、行政强制等）；"
    "结论为不合法或者需要修改的，应当列明问题：{missing}",
    "A 'lawful' opinion must confirm each item (authority, procedure, no licence/penalty/coercion, no unlawful "
    "burden, no restriction of competition); any other outcome must list the issues: {missing}")
LEGALITY_REVIEW_REQUIRED = R(
    "nd_legality_review_required", GB37_6,
    "未经合法性审核或者经审核不合法的，不得提交集体审议",
    "A draft without a lawful legality opinion on its current version may not go to collective deliberation")
MEETING_EXISTS = R(
    "record_exists_use_correction", "国办发〔2018〕37号 二(七)",
    "“{record}”已有记录；如需修改，请以“更正”方式提交新版本并说明理由，原记录保留",
    "'{record}' is already on record; submit a correction (a new version with a reason) instead")
DELIBERATION_RECORD_INCOMPLETE = R(
    "nd_deliberation_record_incomplete", "国办发〔2018〕37号 二(七)",
    "集体审议记录应当载明出席人员并附会议纪要",
    "The deliberation record must list those attending and attach the minutes")
DELIBERATION_REQUIRED = R(
    "nd_deliberation_required", "国办发〔2018〕37号 二(三)(七)",
    "行政规范性文件应当经集体审议决定",
    "A normative document must be decided by collective deliberation")
PUBLICATION_INCOMPLETE = R(
    "nd_publication_incomplete", "国办发〔2018〕37号 二(八)",
    "行政规范性文件应当统一登记、统一编号、统一印发，并向社会公开发布；公布文本应当与审议通过的文本一致：{missing}",
    "The document must be registered, numbered and published, and the text published must be the text adopted: "
    "{missing}")
EFFECTIVE_BEFORE_PUBLICATION = R(
    "nd_effective_before_publication", "国办发〔2018〕37号 二(八)",
    "未经公布的行政规范性文件不得作为行政管理依据，施行日期不得早于公布日期",
    "An unpublished document is no basis for administration; it may not take effect before it is published")
VALIDITY_TOO_LONG = R(
    "nd_validity_too_long", "《浙江省行政规范性文件管理办法》（待核实）；单位设置 nd_validity_years",
    "行政规范性文件有效期不得超过{years}年（暂行、试行的不得超过{provisional}年），最迟至{latest}",
    "Validity may not exceed {years} years ({provisional} if provisional): at the latest {latest}")
ADOPTION_EXPLANATION_REQUIRED = R(
    "nd_adoption_explanation_required", GB37_5,
    "对相对集中的意见建议不予采纳的，公布时应当说明理由",
    "When comments are not adopted, the publication must explain why")
FILING_RECORD_INCOMPLETE = R(
    "nd_filing_record_incomplete", "《浙江省行政规范性文件管理办法》（待核实）；国办发〔2018〕37号",
    "报送备案应当载明备案审查机关",
    "The filing must name the body it was filed with")
NOT_YET_EXPIRED = R(
    "nd_not_yet_expired", "《浙江省行政规范性文件管理办法》（待核实）",
    "有效期尚未届满（至{expires}），不得记录失效",
    "The document is valid until {expires}; it cannot be recorded as expired")
REPEAL_NOT_PUBLISHED = R(
    "nd_repeal_not_published", "国办发〔2018〕37号 二(八)",
    "废止行政规范性文件应当向社会公布",
    "A repeal must be published")
