"""What an adoption report must answer: the comments and opinions, as Decree 713 counts them (reused explicitly)."""

from __future__ import annotations

from workflow.packs.cn_713_2019_09_01.records import input_refs

__all__ = ["input_refs"]
