"""Contract review (2021-05-01): its effects, every one Decree 713's, reused explicitly (same facts, same replay)."""

from __future__ import annotations

from workflow.packs.cn_713_2019_09_01.effects import (
    add_adviser_opinion,
    legality_opinion,
    new_draft,
    note,
    return_materials,
    submit_legality_review,
)

__all__ = ["add_adviser_opinion", "legality_opinion", "new_draft", "note", "return_materials",
           "submit_legality_review"]
