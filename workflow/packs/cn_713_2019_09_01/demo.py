"""The Gutang worked example (docs/procedure/cn-713.md) as this pack's demo story: who takes which action, when, with what.

Data only: ``workflow.demo`` plays it through the service. Times are China Standard Time; a step with
``signed`` is signed with the demo password.
"""

from __future__ import annotations

from typing import Any

PROCEDURE = "cn-713"
FLAGS = ["technical", "affects_specific_group"]
OWNER = "王建国"

#: (local time it happens, or None: straight after the previous step; action; person; data; signed)
STORY: list[tuple[str | None, str, str, dict[str, Any], bool]] = [
    (None, "initiate", "王建国", {"owner_unit": "城建办", "lead_unit": "城建办",
                                 "flags": ["technical", "affects_specific_group"]}, False),
    (None, "upload_draft", "王建国", {"content": "界牌新潮塘未来社区建设实施方案（征求意见稿）……",
                                     "filename": "界牌新潮塘未来社区建设实施方案（征求意见稿）.docx"}, False),
    (None, "start_consultation", "王建国", {"legal_bases": [
        "《中华人民共和国城乡规划法》", "《浙江省未来社区建设试点工作方案》", "《重大行政决策程序暂行条例》"]}, False),
    (None, "open_public_comment", "王建国", {
        "opens_at": "2026-03-03T09:00:00+08:00", "closes_at": "2026-04-03T17:00:00+08:00",
        "channels": ["慈溪市人民政府网站", "古塘街道微信公众号", "界牌村公告栏"]}, False),
    ("2026-03-10T10:00:00", "submit_comment", "居民甲", {"text": "建议保留新潮塘边的老樟树，并增设无障碍通道。"}, False),
    (None, "submit_comment", "居民乙", {"text": "希望明确拆迁安置的补偿标准和过渡期安排。"}, False),
    ("2026-03-16T14:00:00", "record_group_consultation", "王建国",
     {"record": "与界牌村安置户代表座谈会记录（2026年3月16日）"}, False),
    (None, "submit_expert_opinion", "陈志强", {"opinion": "规划布局合理，建议加强雨污分流设计。"}, True),
    (None, "submit_expert_opinion", "刘芳", {"opinion": "建议分期实施，首期控制在可承受范围内。"}, True),
    (None, "waive_task", "王建国", {"task": "risk_assessment", "reason": "不涉及社会稳定风险，不开展风险评估"}, False),
    ("2026-04-07T09:30:00", "record_adoption_report", "王建国", {
        "summary": "共收到公众意见2条、专家意见2份，已逐条研究。",
        "entries": {
            "comment:1": {"adoption": "adopted"},
            "comment:2": {"adoption": "partly_adopted", "reason": "补偿标准依市级政策另行公布"},
            "expert:1": {"adoption": "adopted"},
            "expert:2": {"adoption": "not_adopted", "reason": "项目须整体推进，不宜拆分"},
        }}, False),
    (None, "submit_legality_review", "王建国", {"procedure_statement": "已履行公众参与、专家论证等程序"}, False),
    ("2026-04-13T10:00:00", "submit_adviser_opinion", "张晓燕",
     {"opinion": "决策事项符合法定权限，程序合法，建议明确补偿依据。"}, True),
    ("2026-04-15T15:00:00", "sign_legality_opinion", "李明华",
     {"outcome": "lawful", "opinion": "经审查，该决策草案合法，可以提交集体讨论。"}, True),
]
