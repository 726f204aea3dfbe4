"""When this procedure's tasks count as done: Decree 713's predicates, reused explicitly."""

from __future__ import annotations

from workflow.packs.cn_713_2019_09_01.tasks import adoption_report_done, public_comment_done, record_stored

__all__ = ["adoption_report_done", "public_comment_done", "record_stored"]
