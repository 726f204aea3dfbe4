"""The chapters of the golden story: one function per decision, each taking it through the procedure.

Dates matter: each chapter sets its own, after the chapter before it (``STORY`` order), and an added
chapter's dates come after the last recorded event (``make_golden --extend``).
"""

from __future__ import annotations

from collections.abc import Callable

from tests.golden.story import PASSWORD, Story, at
from workflow.admin import deputies
from workflow.record import approvals, keys, records


def contract(s: Story) -> int:
    """contract-review to archived: a deputy's acceptance, a return, a revise-and-resubmit round, no objection."""
    s.clock.set("2026-01-05T09:00")
    did = s.create("contract", "contract-review", "界牌村安置房施工合同审查", ["market_activity"])
    s.act(did, "upload_draft", "王建国", {"content": "界牌村安置房施工合同（第一稿）", "filename": "合同.docx"})
    grant = deputies.grant(s.core, "孙海峰", "李明华", "钱伟", "legal_reviewer", at("2026-01-08T18:00"),
                           "审查员外出培训", PASSWORD)
    s.act(did, "accept_for_review", "钱伟", {"due_on": "2026-01-12"}, grant=grant)
    s.clock.set("2026-01-06T09:00")
    deputies.revoke(s.core, grant, "孙海峰", "审查员提前返岗", PASSWORD)
    s.clock.set("2026-01-06T10:00")
    s.act(did, "return_materials", "李明华", {"reason": "缺少项目立项批复"})
    s.act(did, "upload_draft", "王建国", {"content": "界牌村安置房施工合同（第二稿，附立项批复）", "note": "补充立项批复"})
    s.act(did, "resubmit", "王建国", {"note": "已补充材料"})
    s.clock.set("2026-01-07T15:00")
    s.act(did, "submit_adviser_opinion", "张晓燕", {"opinion": "第八条违约责任约定不明"}, signed=True)
    s.act(did, "sign_review_opinion", "李明华", {"outcome": "revise_and_resubmit", "opinion": "请明确第八条违约责任"},
          signed=True)
    s.clock.set("2026-01-09T09:00")
    s.act(did, "upload_draft", "王建国", {"content": "界牌村安置房施工合同（第三稿）", "note": "修改第八条"})
    s.act(did, "accept_for_review", "李明华")
    s.clock.set("2026-01-12T16:00")
    s.act(did, "sign_review_opinion", "李明华", {"outcome": "no_objection", "opinion": "经审查无异议"}, signed=True)
    s.clock.set("2026-01-15T10:00")
    s.act(did, "record_signing", "王建国", {"signed_on": "2026-01-14", "counterparty": "宁波某建设有限公司"})
    s.act(did, "archive", "王建国", {"note": "合同原件已归档"})
    return did


def declined(s: Story) -> int:
    """A proposal the chief executive declines to initiate."""
    s.clock.set("2026-01-20T09:00")
    did = s.create("declined", "cn-713", "机关停车场收费调整", [])
    s.clock.set("2026-01-21T09:00")
    s.act(did, "decline", "孙海峰", {"reason": "不属于重大行政决策事项"})
    return did


def withdrawn(s: Story) -> int:
    """Back-entries confirmed and rejected, a correction, returns, and a withdrawal approved after one declined."""
    s.clock.set("2025-11-03T09:00")
    did = s.create("withdrawn", "cn-713", "古塘老街改造", [])
    s.clock.set("2025-11-04T10:00")
    seq = s.do(records.request_backfill, did, "initiate", "王建国", {"owner_unit": "城建办"}, at("2025-11-03T15:00"),
               "系统上线前线下已启动，依纸质档案补录")
    s.do(records.confirm_backfill, did, seq, "孙海峰")
    s.act(did, "upload_draft", "王建国", {"content": "古塘老街改造方案（征求意见稿）"})
    s.act(did, "start_consultation", "王建国", {"legal_bases": ["《历史文化名城名镇名村保护条例》"]})
    s.act(did, "waive_task", "王建国", {"task": "hearing", "reason": "不涉及听证事项"})
    s.act(did, "open_public_comment", "王建国", {"opens_at": at("2025-11-04T10:00"),
                                               "closes_at": at("2025-12-05T17:00"), "channels": ["政府网站"]})
    s.do(records.correct, did, "open_public_comment", "王建国",
         {"opens_at": at("2025-11-04T10:00"), "closes_at": at("2025-12-12T17:00"), "channels": ["政府网站", "公告栏"]},
         "春节假期顺延征求意见期限")
    s.clock.set("2025-11-05T17:00")
    seq = s.do(records.request_backfill, did, "submit_expert_opinion", "刘芳", {"opinion": "线下论证：方案可行"},
               at("2025-11-05T15:00"), "专家线下出具书面意见", password=PASSWORD)
    s.do(records.confirm_backfill, did, seq, "孙海峰")
    seq = s.do(records.request_backfill, did, "record_participation", "王建国",
               {"method": "symposium", "summary": "居民座谈会"}, at("2025-11-05T16:00"), "线下座谈会补录")
    s.do(records.reject_backfill, did, seq, "孙海峰", "座谈会记录缺少签到表")
    s.clock.set("2025-11-06T11:00")
    s.act(did, "submit_comment", "居民甲", {"text": "建议保留石板路"})
    s.clock.set("2025-12-15T09:00")
    s.act(did, "record_adoption_report", "王建国", {"entries": {
        "comment:1": {"adoption": "adopted"}, "expert:1": {"adoption": "adopted"}}, "summary": "全部采纳"})
    s.act(did, "submit_legality_review", "王建国", {"procedure_statement": "已履行公众参与、专家论证程序"})
    s.clock.set("2025-12-16T10:00")
    s.act(did, "return_materials", "李明华", {"reason": "缺少文物部门意见"})
    s.act(did, "upload_draft", "王建国", {"content": "古塘老街改造方案（送审稿，附文物部门意见）"})
    s.act(did, "start_consultation", "王建国", {"legal_bases": ["《历史文化名城名镇名村保护条例》", "《文物保护法》"]})
    s.act(did, "submit_legality_review", "王建国")
    s.clock.set("2025-12-18T10:00")
    s.act(did, "submit_adviser_opinion", "张晓燕", {"opinion": "拆除范围超出规划许可"}, signed=True)
    s.act(did, "sign_legality_opinion", "李明华", {"outcome": "needs_changes", "opinion": "拆除范围须与规划许可一致"},
          signed=True)
    s.clock.set("2025-12-22T09:00")
    request = s.act(did, "withdraw", "王建国", {"reason": "规划调整，暂缓实施"}).request
    s.do(approvals.decline, did, request, "孙海峰", "先按审查意见修改方案")
    s.clock.set("2025-12-29T09:00")
    request = s.act(did, "withdraw", "王建国", {"reason": "上级规划调整，本事项撤回"}).request
    s.do(approvals.confirm, did, request, "孙海峰", password=PASSWORD)
    return did


def full(s: Story) -> int:
    """cn-713 from proposal to closed with every consultation task, corrections, suspension and evaluation."""
    flags = ["technical", "affects_specific_group", "hearing_required", "stability_risk", "involves_other_units",
             "market_activity", "wide_concern"]
    s.clock.set("2026-03-02T09:00")
    did = s.create("full", "cn-713", "界牌新潮塘未来社区建设", flags)
    s.act(did, "initiate", "王建国", {"owner_unit": "城建办", "lead_unit": "城建办", "flags": flags})
    s.act(did, "upload_draft", "王建国", {"content": "界牌新潮塘未来社区建设实施方案（初稿）", "filename": "方案.docx"})
    s.act(did, "start_consultation", "王建国", {"legal_bases": ["《城乡规划法》", "《土地管理法》"]})
    s.act(did, "upload_draft", "王建国", {"content": "界牌新潮塘未来社区建设实施方案（征求意见稿）", "filename": "方案.docx",
                                        "note": "调整安置范围"})
    s.act(did, "open_public_comment", "王建国", {"opens_at": at("2026-03-03T09:00"),
                                               "closes_at": at("2026-04-03T17:00"), "channels": ["政府网站"]})
    s.clock.set("2026-03-04T10:00")
    s.act(did, "schedule_hearing", "王建国", {"hearing_at": at("2026-03-20T09:00"), "place": "街道三楼会议室",
                                            "selection_method": "自愿报名与随机抽取相结合",
                                            "participants": ["安置户代表甲", "安置户代表乙", "人大代表丙"]})
    s.act(did, "deliver_hearing_materials", "王建国")
    s.clock.set("2026-03-10T10:00")
    s.act(did, "submit_comment", "居民甲", {"text": "建议保留老樟树"})
    s.act(did, "submit_comment", "居民乙", {"text": "同意保留老樟树", "reply_to": 1})
    s.act(did, "edit_comment", "居民甲", {"comment_id": 1, "text": "建议保留村口老樟树"})
    s.act(did, "record_participation", "王建国", {"method": "questionnaire", "summary": "发放问卷300份，回收287份"})
    s.act(did, "record_group_consultation", "王建国", {"record": "安置户座谈会记录"})
    s.clock.set("2026-03-11T14:00")
    s.act(did, "submit_expert_opinion", "陈志强", {"opinion": "方案可行"}, signed=True)
    s.act(did, "submit_expert_opinion", "刘芳", {"opinion": "建议分期实施", "declared_interest": False}, signed=True)
    s.clock.set("2026-03-11T15:00")
    keys.rotate_key(s.core, "陈志强", PASSWORD)  # his opinion must keep verifying under the retired key
    s.act(did, "record_risk_assessment", "王建国", {"controllable": "true", "report": "社会稳定风险评估报告：风险可控",
                                                  "assessor_unit": "风险评估中心"})
    s.act(did, "record_interagency_consultation", "王建国", {"agreement": True, "record": "与自然资源所协商一致"})
    s.act(did, "record_fair_competition_review", "王建国", {"record": "公平竞争审查：未发现排除限制竞争内容"})
    s.clock.set("2026-03-20T11:00")
    s.act(did, "record_hearing", "王建国", {"record": "听证笔录（初稿）"}, signed=True)
    s.do(records.correct, did, "record_hearing", "王建国", {"record": "听证笔录（补记发言人姓名）"}, "笔录漏记发言人",
         password=PASSWORD)
    s.clock.set("2026-04-07T09:30")
    s.act(did, "record_adoption_report", "王建国", {"entries": {
        "comment:1": {"adoption": "adopted"}, "comment:2": {"adoption": "adopted"},
        "expert:1": {"adoption": "adopted"}, "expert:2": {"adoption": "not_adopted", "reason": "项目须整体推进"}},
        "summary": "采纳3条，未采纳1条并说明理由"})
    s.act(did, "submit_legality_review", "王建国", {"due_on": "2026-04-17", "procedure_statement": "已履行全部法定程序"})
    s.clock.set("2026-04-13T10:00")
    s.act(did, "submit_adviser_opinion", "张晓燕", {"opinion": "程序合法"}, signed=True)
    s.act(did, "sign_legality_opinion", "李明华", {"outcome": "lawful", "opinion": "经审查合法"}, signed=True)
    s.clock.set("2026-04-14T09:00")
    s.do(records.correct, did, "sign_legality_opinion", "李明华", {"outcome": "lawful", "opinion": "经审查合法（更正文号）"},
         "审查意见文号有误", password=PASSWORD)
    s.clock.set("2026-05-06T11:00")
    meeting = {"body": "街道党工委会议", "held_at": at("2026-05-06T09:00"), "attendees": ["孙海峰", "钱伟", "周敏"],
               "observers": ["王建国"],
               "views": [{"member": "钱伟", "view": "against", "remarks": "资金压力大"}, {"member": "周敏", "view": "for"},
                         {"member": "孙海峰", "view": "for"}]}
    s.act(did, "record_meeting", "周敏", meeting)
    s.do(records.correct, did, "record_meeting", "周敏", meeting | {"minutes": "会议纪要（补记）"}, "补记会议纪要")
    s.act(did, "record_decision", "孙海峰", {"outcome": "adopted_with_changes", "changes": "分两期实施"}, signed=True)
    s.clock.set("2026-05-08T09:00")
    s.act(did, "record_party_consent", "周敏", {"reference": "古街党〔2026〕12号", "reported_on": "2026-05-07"})
    s.clock.set("2026-05-11T09:00")
    s.act(did, "publish", "吴霞", {"channels": ["政府网站", "微信公众号"], "published_on": "2026-05-11",
                                 "adoption_explanation": "采纳公众意见2条、专家意见1份，未采纳1份并说明理由"})
    s.clock.set("2026-06-10T09:00")
    s.act(did, "report_progress", "郑涛", {"report": "一期拆迁安置启动", "public": True})
    s.act(did, "report_problem", "郑涛", {"report": "部分安置户对补偿标准有异议"})
    s.act(did, "suspend", "孙海峰", {"reason": "补偿标准争议待处理", "urgency": "群体性矛盾风险"}, signed=True)
    s.clock.set("2026-06-20T09:00")
    s.act(did, "resume", "孙海峰", {"reason": "补偿标准争议已化解"}, signed=True)
    s.clock.set("2026-08-10T09:00")
    s.act(did, "report_progress", "郑涛", {"report": "一期拆迁安置完成", "public": False})
    s.act(did, "start_evaluation", "王建国", {"evaluation_unit": "第三方评估机构"})
    s.act(did, "record_evaluation", "冯宁", {"outcome": "continue", "report": "实施效果良好"})
    s.clock.set("2026-11-20T09:00")
    s.act(did, "close", "王建国", {"note": "项目完成"})
    return did


def withheld(s: Story) -> int:
    """A confidential decision: deferred once, adopted, publication withheld, suspended and terminated."""
    s.clock.set("2026-11-23T09:00")
    did = s.create("withheld", "cn-713", "应急物资储备库选址", ["confidential"])
    s.act(did, "initiate", "王建国", {"owner_unit": "城建办", "flags": ["confidential"],
                                    "confidential_basis": "《保守国家秘密法》第九条"})
    s.act(did, "upload_draft", "王建国", {"content": "应急物资储备库选址方案"})
    s.act(did, "start_consultation", "王建国", {"legal_bases": ["《突发事件应对法》"]})
    s.act(did, "submit_legality_review", "王建国")
    s.clock.set("2026-11-24T10:00")
    s.act(did, "submit_adviser_opinion", "张晓燕", {"opinion": "合法"}, signed=True)
    s.act(did, "sign_legality_opinion", "李明华", {"outcome": "exploratory_reform", "opinion": "属探索性改革，合法",
                                                 "risk_note": "选址涉及集体土地，须另行办理征收"}, signed=True)
    s.clock.set("2026-11-25T11:00")
    s.act(did, "record_meeting", "周敏", {"held_at": at("2026-11-25T09:00"), "attendees": ["孙海峰", "钱伟", "周敏"],
                                        "views": [{"member": "钱伟", "view": "for"}, {"member": "周敏", "view": "for"},
                                                  {"member": "孙海峰", "view": "for"}]})
    s.act(did, "record_decision", "孙海峰", {"outcome": "deferred", "reason": "待征收方案明确"}, signed=True)
    s.clock.set("2026-11-27T11:00")
    s.act(did, "record_meeting", "钱伟", {"held_at": at("2026-11-27T09:00"), "attendees": ["孙海峰", "钱伟", "周敏"],
                                        "views": [{"member": "周敏", "view": "for"}, {"member": "钱伟", "view": "for"},
                                                  {"member": "孙海峰", "view": "for"}]})
    s.act(did, "record_decision", "孙海峰", {"outcome": "adopted"}, signed=True)
    s.act(did, "record_party_consent", "孙海峰", {"reference": "古街党〔2026〕30号"})
    s.clock.set("2026-11-30T09:00")
    s.act(did, "withhold", "吴霞", {"legal_basis": "《政府信息公开条例》第十四条"})
    s.clock.set("2026-12-01T09:00")
    s.act(did, "suspend", "孙海峰", {"reason": "选址地块权属争议", "urgency": "诉讼未决"}, signed=True)
    s.clock.set("2026-12-03T09:00")
    s.act(did, "terminate", "孙海峰", {"reason": "选址地块不能取得"}, signed=True)
    return did


def rejected(s: Story) -> int:
    """Risk found uncontrollable, an unlawful opinion, both sent back to drafting; then the decision rejected."""
    s.clock.set("2026-12-07T09:00")
    did = s.create("rejected", "cn-713", "化工园区扩区", ["confidential", "stability_risk"])
    s.act(did, "initiate", "王建国", {"owner_unit": "城建办", "flags": ["confidential", "stability_risk"],
                                    "confidential_basis": "《保守国家秘密法》第九条"})
    s.act(did, "upload_draft", "王建国", {"content": "化工园区扩区方案（第一稿）"})
    s.act(did, "start_consultation", "王建国", {"legal_bases": ["《安全生产法》"]})
    s.act(did, "record_risk_assessment", "王建国", {"controllable": "false", "report": "风险不可控",
                                                  "assessor_unit": "风险评估中心"})
    s.act(did, "upload_draft", "王建国", {"content": "化工园区扩区方案（第二稿，缩小范围）"})
    s.act(did, "start_consultation", "王建国", {"legal_bases": ["《安全生产法》"]})
    s.act(did, "record_risk_assessment", "王建国", {"controllable": "true", "report": "缩小范围后风险可控",
                                                  "assessor_unit": "风险评估中心"})
    s.act(did, "submit_legality_review", "王建国")
    s.clock.set("2026-12-08T10:00")
    s.act(did, "submit_adviser_opinion", "张晓燕", {"opinion": "扩区用地未经批准"}, signed=True)
    s.act(did, "sign_legality_opinion", "李明华", {"outcome": "unlawful", "opinion": "用地未经批准，违法"}, signed=True)
    s.act(did, "upload_draft", "王建国", {"content": "化工园区扩区方案（第三稿，附用地批复）"})
    s.act(did, "start_consultation", "王建国", {"legal_bases": ["《安全生产法》", "《土地管理法》"]})
    s.act(did, "submit_legality_review", "王建国")
    s.clock.set("2026-12-09T10:00")
    s.act(did, "submit_adviser_opinion", "张晓燕", {"opinion": "合法"}, signed=True)
    s.act(did, "sign_legality_opinion", "李明华", {"outcome": "lawful", "opinion": "经审查合法"}, signed=True)
    s.clock.set("2026-12-10T11:00")
    s.act(did, "record_meeting", "周敏", {"held_at": at("2026-12-10T09:00"), "attendees": ["孙海峰", "钱伟", "周敏"],
                                        "views": [{"member": "钱伟", "view": "against"}, {"member": "周敏", "view": "against"},
                                                  {"member": "孙海峰", "view": "against"}]})
    s.act(did, "record_decision", "孙海峰", {"outcome": "rejected", "reason": "安全风险与收益不相称"}, signed=True)
    return did


def refused(s: Story) -> int:
    """contract-review: the reviewer finds the contract unlawful; it may not be signed."""
    s.clock.set("2026-12-14T09:00")
    did = s.create("refused", "contract-review", "村集体土地长期租赁合同审查", [])
    s.act(did, "upload_draft", "王建国", {"content": "村集体土地租赁合同（租期三十年）"})
    s.act(did, "accept_for_review", "李明华", {"due_on": "2026-12-18"})
    s.clock.set("2026-12-14T15:00")
    s.act(did, "sign_review_opinion", "李明华", {"outcome": "unlawful_do_not_sign", "opinion": "租期超过法定上限"},
          signed=True)
    return did


def evaluated(s: Story) -> int:
    """Two evaluations: a major change and implementation goes on; then termination."""
    s.clock.set("2026-12-15T09:00")
    did = s.create("evaluated", "cn-713", "涉密通信设施布局", ["confidential"])
    s.act(did, "initiate", "王建国", {"owner_unit": "城建办", "flags": ["confidential"],
                                    "confidential_basis": "《保守国家秘密法》第九条"})
    s.act(did, "upload_draft", "王建国", {"content": "通信设施布局方案"})
    s.act(did, "start_consultation", "王建国", {"legal_bases": ["《电信条例》"]})
    s.act(did, "submit_legality_review", "王建国")
    s.clock.set("2026-12-16T10:00")
    s.act(did, "submit_adviser_opinion", "张晓燕", {"opinion": "合法"}, signed=True)
    s.act(did, "sign_legality_opinion", "李明华", {"outcome": "lawful", "opinion": "经审查合法"}, signed=True)
    s.clock.set("2026-12-17T11:00")
    s.act(did, "record_meeting", "周敏", {"held_at": at("2026-12-17T09:00"), "attendees": ["孙海峰", "周敏"],
                                        "views": [{"member": "周敏", "view": "for"}, {"member": "孙海峰", "view": "for"}]})
    s.act(did, "record_decision", "孙海峰", {"outcome": "adopted"}, signed=True)
    s.act(did, "record_party_consent", "周敏", {"reference": "古街党〔2026〕41号"})
    s.clock.set("2026-12-18T09:00")
    s.act(did, "withhold", "吴霞", {"legal_basis": "《政府信息公开条例》第十四条"})
    s.clock.set("2026-12-21T09:00")
    s.act(did, "start_evaluation", "孙海峰", {"evaluation_unit": "第三方评估机构"})
    s.act(did, "record_evaluation", "冯宁", {"outcome": "major_change", "report": "布局须作重大调整"})
    s.clock.set("2026-12-22T09:00")
    s.act(did, "start_evaluation", "王建国", {"evaluation_unit": "第三方评估机构"})
    s.act(did, "record_evaluation", "冯宁", {"outcome": "terminate", "report": "调整后仍不可行，建议终止"})
    return did


def recalled(s: Story) -> int:
    """The chief executive withdraws a decision directly, signed (no request to approve)."""
    s.clock.set("2026-12-23T09:00")
    did = s.create("recalled", "cn-713", "街道办公楼装修", [])
    s.act(did, "initiate", "王建国", {"owner_unit": "城建办"})
    s.clock.set("2026-12-23T15:00")
    s.act(did, "withdraw", "孙海峰", {"reason": "预算未获批准"}, signed=True)
    return did


#: Every chapter, by the name its decisions carry in ``expected.json``; ``STORY`` is the order the first run told them.
CHAPTERS: dict[str, Callable[[Story], int]] = {"withdrawn": withdrawn, "contract": contract, "declined": declined,
                                               "full": full, "withheld": withheld, "rejected": rejected,
                                               "refused": refused, "evaluated": evaluated, "recalled": recalled}
STORY = ("withdrawn", "contract", "declined", "full", "withheld", "rejected", "refused", "evaluated", "recalled")
