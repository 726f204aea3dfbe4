"""Contract review (2021-05-01): the yearly catalogue reads its facts as Decree 713's (reused explicitly)."""

from __future__ import annotations

from workflow.packs.cn_713_2019_09_01.hooks import catalogue_steps

__all__ = ["catalogue_steps"]
