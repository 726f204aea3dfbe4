"""The refusals of the enforcement-review pack, each with the article it rests on (spec section 6, E-1 to E-14).

Codes are part of the public interface (CLI, API, exports): never rename one. ``{placeholders}`` are filled from
the refusal's details. Articles: 《行政处罚法》(2021) 第五十七条、第五十八条 (verified text); 国办发〔2018〕118号
(recalled, corroborated by local implementing rules; see the specification's source table).
"""

from __future__ import annotations

from workflow.engine.errors import Rule

CF58 = "《行政处罚法》第五十八条"
CF58_2 = "《行政处罚法》第五十八条第二款"
CF57_2 = "《行政处罚法》第五十七条第二款"
GB118 = "国办发〔2018〕118号"

NOT_A_MAJOR_CASE = Rule(
    "er_not_a_major_case", f"{CF58}第一款",
    "应当说明属于法制审核的情形（重大公共利益、经过听证、疑难复杂或者法律法规规定的其他情形）",
    "State the ground for review: public interest, a hearing, a complex case, or another ground in law")
MATERIALS_INCOMPLETE = Rule(
    "er_materials_incomplete", f"{GB118}；{CF58}",
    "送审材料不齐全：{missing}",
    "The submission lacks required materials: {missing}")
HEARING_RECORD_REQUIRED = Rule(
    "er_hearing_record_required", f"{CF58}第一款第（二）项；《行政处罚法》第六十五条",
    "经过听证程序的，送审时应当附听证笔录",
    "A case that went through a hearing must include the hearing record")
RETURN_REASON_REQUIRED = Rule(
    "er_return_reason_required", GB118,
    "退回补充材料应当一次性列明需补充的材料",
    "A return must list all the materials to supply, at once")
REVIEWER_IS_HANDLER = Rule(
    "er_reviewer_is_handler", f"{CF58}；《行政处罚法》第四十三条",
    "法制审核人员不得审核本人承办的案件",
    "A reviewer may not review a case they handled")
REVIEWER_NOT_QUALIFIED = Rule(
    "er_reviewer_not_qualified", CF58_2,
    "初次从事行政处罚决定法制审核的人员，应当通过国家统一法律职业资格考试取得法律职业资格",
    "A first-time reviewer of penalty decisions must hold the national legal professional qualification")
OPINION_INCOMPLETE = Rule(
    "er_opinion_incomplete", GB118,
    "审核意见为同意的，应当逐项确认审核内容且不存在涉嫌犯罪需移送的情形；提出修改或者不同意的，应当列明存在的问题：{missing}",
    "An 'agree' opinion confirms every item and no suspected crime; 'revise' or 'disagree' must list the "
    "issues: {missing}")
REVISION_UNANSWERED = Rule(
    "er_revision_unanswered", GB118,
    "应当对审核意见提出的问题作出处理并说明后再次报送",
    "Address the opinion's issues, and say how, before resubmitting")
REVIEW_NOT_PASSED = Rule(
    "er_review_not_passed", CF58,
    "未经法制审核或者审核未通过的，不得作出决定",
    "No decision without a passed legal review of the current proposed decision")
COLLECTIVE_DISCUSSION_REQUIRED = Rule(
    "er_collective_discussion_required", CF57_2,
    "对情节复杂或者重大违法行为给予行政处罚，行政机关负责人应当集体讨论决定",
    "A complex or serious case is decided by the agency's leaders collectively")
MEETING_RECORD_INCOMPLETE = Rule(
    "er_meeting_record_incomplete", CF57_2,
    "集体讨论应当记录出席的负责人并附会议纪要：{missing}",
    "The discussion record lists the leaders present and attaches the minutes: {missing}")
MEETING_ALREADY_RECORDED = Rule(
    "er_meeting_already_recorded", f"{CF57_2}；{GB118}",
    "集体讨论已有记录；如需修改，请以“更正”方式提交新版本并说明理由，原记录保留",
    "The discussion is already on record; submit a correction (a new version with a reason) instead")
DECISION_NOT_REVIEWED = Rule(
    "er_decision_not_reviewed", CF58,
    "决定内容与经法制审核的文本不一致的，应当重新审核",
    "The decision differs from the reviewed text; it must be reviewed again")
CLOSE_REASON_REQUIRED = Rule(
    "er_close_reason_required", GB118,
    "结案应当说明处理方式和理由：{missing}",
    "Closing a case states how it was disposed of and why: {missing}")

ALL = (NOT_A_MAJOR_CASE, MATERIALS_INCOMPLETE, HEARING_RECORD_REQUIRED, RETURN_REASON_REQUIRED, REVIEWER_IS_HANDLER,
       REVIEWER_NOT_QUALIFIED, OPINION_INCOMPLETE, REVISION_UNANSWERED, REVIEW_NOT_PASSED,
       COLLECTIVE_DISCUSSION_REQUIRED, MEETING_RECORD_INCOMPLETE, MEETING_ALREADY_RECORDED, DECISION_NOT_REVIEWED,
       CLOSE_REASON_REQUIRED)
