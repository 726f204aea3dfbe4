"""Procedure packs: a name in a pack's YAML resolves only to that pack's functions, so a version's behaviour is
frozen with it; a new version reuses an older one's function only by importing it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.helpers import PASSWORD
from workflow.engine.catalog import Catalog, default_catalog
from workflow.engine.effects import apply_event
from workflow.engine.errors import DefinitionError, RuleViolation
from workflow.engine.loader import builtin_paths
from workflow.engine.packs import PACKS_DIR, load_pack, pack_name
from workflow.packs.cn_713_2019_09_01 import effects as cn713_effects
from workflow.packs.cn_713_2019_09_01 import guards as cn713_guards
from workflow.persistence.store import DV, Store
from workflow.record.audit import verify_all
from workflow.service import Juece

DEFINITION = """\
id: stamp
version: "{version}"
effective_from: {effective}
title: {{zh: 盖章, en: Stamp}}
legal_basis: 测试
initial: open
states:
  open: {{zh: 开始, en: Open}}
  done: {{zh: 完成, en: Done, terminal: true}}
actions:
  finish:
    zh: 完成
    en: Finish
    roles: [owner]
    from: [open]
    to: done
    effect: stamp
"""


def _pack(root: Path, version: str, effective: str, effects: str) -> Path:
    folder = root / pack_name("stamp", version)
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text('"""A test pack."""\n', encoding="utf-8")
    (folder / "effects.py").write_text(effects, encoding="utf-8")
    (folder / "procedure.yaml").write_text(DEFINITION.format(version=version, effective=effective), encoding="utf-8")
    return folder


def _stamping(value: str) -> str:
    return ("from typing import Any\n\n\n"
            "def stamp(facts: dict[str, Any], ev: Any, procedure: Any) -> None:\n"
            f"    facts['stamp'] = {value!r}\n")


EVENT = {"action": "finish", "actor": {"id": 1, "name": "甲"}, "at": "2026-03-02T01:00:00.000000Z", "data": {}}


def test_two_versions_with_the_same_effect_name_resolve_to_their_own_functions(tmp_path: Path) -> None:
    first = load_pack(_pack(tmp_path, "1", "2024-01-01", _stamping("first")))
    second = load_pack(_pack(tmp_path, "2", "2025-01-01", _stamping("second")))
    assert first.procedure.actions["finish"].apply is not second.procedure.actions["finish"].apply
    assert apply_event(first.procedure, {}, EVENT)["stamp"] == "first"
    assert apply_event(second.procedure, {}, EVENT)["stamp"] == "second"
    # Both in one catalogue: each decision replays through the functions of the version it pinned.
    catalog = Catalog.load([first.folder / "procedure.yaml", second.folder / "procedure.yaml"])
    assert apply_event(catalog.get("stamp@1"), {}, EVENT)["stamp"] == "first"
    assert apply_event(catalog.get("stamp@2"), {}, EVENT)["stamp"] == "second"


def test_a_name_another_pack_defines_is_unknown_until_imported_explicitly(tmp_path: Path) -> None:
    borrowing = ('from typing import Any\n\n\n'
                 'def other(facts: dict[str, Any], ev: Any, procedure: Any) -> None:\n    pass\n')
    folder = _pack(tmp_path, "3", "2026-01-01", borrowing)
    (folder / "procedure.yaml").write_text(DEFINITION.format(version="3", effective="2026-01-01").replace(
        "effect: stamp", "effect: new_draft"), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:  # new_draft is Decree 713's: not this pack's
        load_pack(folder)
    problem = info.value.problems[0]
    assert problem.file == str(folder / "procedure.yaml") and "unknown effect 'new_draft'" in problem.message
    assert problem.line == DEFINITION.splitlines().index("    effect: stamp") + 1
    importing = _pack(tmp_path, "5", "2026-06-01", "from workflow.packs.cn_713_2019_09_01.effects import new_draft\n\n"
                                                   '__all__ = ["new_draft"]\n')
    (importing / "procedure.yaml").write_text(DEFINITION.format(version="5", effective="2026-06-01").replace(
        "effect: stamp", "effect: new_draft"), encoding="utf-8")
    reused = load_pack(importing)
    assert reused.procedure.actions["finish"].apply is cn713_effects.new_draft


def test_contract_review_reuses_decree_713_functions_explicitly_and_only_those() -> None:
    contract = default_catalog().get("contract-review@2021-05-01")
    cn713 = default_catalog().get("cn-713@2019-09-01")
    assert contract.actions["upload_draft"].apply is cn713.actions["upload_draft"].apply is cn713_effects.new_draft
    assert cn713_guards.reviewer_not_owner in contract.actions["accept_for_review"].checks
    pack = load_pack(PACKS_DIR / "contract_review_2021_05_01")
    assert set(pack.functions.effects) == {"add_adviser_opinion", "legality_opinion", "new_draft", "note",
                                           "return_materials", "submit_legality_review"}
    assert "consultation_complete" not in pack.functions.guards  # Decree 713's, not imported here


def test_only_a_packs_own_functions_are_names_its_yaml_may_use() -> None:
    pack = load_pack(PACKS_DIR / "cn_713_2019_09_01")
    # Helpers the guards use (imported, or in another module of the pack) are not guards.
    assert not {"task_done", "task_required", "parse_iso", "has_lawful_opinion"} & set(pack.functions.guards)
    assert {"new_draft", "note", "withdrawal"} <= set(pack.functions.effects)
    assert set(pack.functions.done_when) == {t.done_when for t in pack.procedure.tasks.values()}


def test_a_pack_folder_is_named_for_its_procedure_version(tmp_path: Path) -> None:
    folder = _pack(tmp_path, "4", "2026-01-01", _stamping("x"))
    renamed = folder.rename(tmp_path / "stamp_latest")
    with pytest.raises(DefinitionError) as info:
        load_pack(renamed)
    assert "pack folder 'stamp_latest' must be named 'stamp_4' for stamp@4" in str(info.value)


def test_the_shipped_packs_are_the_catalogue() -> None:
    shipped = ["cn_713_2019_09_01", "contract_review_2021_05_01", "enforcement_review_2021_07_15",
               "normative_document_2018_05_31"]
    assert [p.parent.name for p in builtin_paths()] == shipped
    assert {p.pack for p in default_catalog().all()} == set(shipped)


THREE_STEPS = {
    "__init__.py": '"""A three-step review written by a test: nothing outside this folder knows it."""\n',
    "procedure.yaml": """\
id: three-steps
version: "2026-01-01"
effective_from: 2026-01-01
title: {zh: 三步审查, en: Three-step review}
legal_basis: 测试
initial: drafting
states:
  drafting: {zh: 起草, en: Drafting}
  review: {zh: 审查, en: Review}
  done: {zh: 完成, en: Done, terminal: true}
actions:
  put_text:
    zh: 上传文本
    en: Upload the text
    roles: [owner]
    from: [drafting]
    effect: keep_text
    marks: [draft]
    fields:
      content: {type: document, required: true, zh: 文本, en: Text}
      filename: {type: text, zh: 文件名, en: File name}
  send:
    zh: 送审
    en: Send for review
    roles: [owner]
    from: [drafting]
    to: review
    guards: [text_present]
  approve:
    zh: 审查通过
    en: Approve
    roles: [legal_reviewer]
    from: [review]
    to: done
    effect: approved
    signed: true
    fields:
      opinion: {type: document, required: true, zh: 意见, en: Opinion}
""",
    "rules.py": ('from workflow.engine.errors import Rule\n\n'
                 'TEXT_REQUIRED = Rule("text_required", "test", "应当上传文本", "The text is required")\n'),
    "guards.py": ('from workflow.engine.context import Attempt\nfrom workflow.engine.errors import RuleViolation\n\n'
                  'from three_steps_2026_01_01 import rules\n\n\n'
                  'def text_present(a: Attempt) -> RuleViolation | None:\n'
                  '    return None if a.facts.get("draft") else RuleViolation.of(rules.TEXT_REQUIRED)\n'),
    "effects.py": ('from typing import Any\n\n\n'
                   'def keep_text(facts: dict[str, Any], ev: Any, procedure: Any) -> None:\n'
                   '    previous = (facts.get("draft") or {}).get("version", 0)\n'
                   '    facts["draft"] = {"version": previous + 1, "hash": ev["data"]["content"]}\n\n\n'
                   'def approved(facts: dict[str, Any], ev: Any, procedure: Any) -> None:\n'
                   '    facts["approved"] = {"draft_version": facts["draft"]["version"]}\n'),
}


def test_a_new_pack_runs_with_no_change_outside_its_folder(core: Juece, tmp_path: Path) -> None:
    folder = tmp_path / "extra" / "three_steps_2026_01_01"
    folder.mkdir(parents=True)
    for name, text in THREE_STEPS.items():
        (folder / name).write_text(text, encoding="utf-8")
    catalog = Catalog.load(builtin_paths(tmp_path / "extra"))
    juece = dataclasses.replace(core, catalog=catalog)
    did = juece.create_decision("three-steps", "村规民约审查", "owner", [])
    with pytest.raises(RuleViolation) as refused:
        juece.act(did, "send", "owner")
    assert refused.value.code == "text_required"
    juece.act(did, "put_text", "owner", {"content": "第一稿"})
    juece.act(did, "send", "owner")
    juece.act(did, "approve", "reviewer", {"opinion": "同意"}, password=PASSWORD)
    with juece.db.read() as conn:
        row = Store(conn).lock_decision(did)
        assert (row.state, row.facts["approved"]) == ("done", {"draft_version": 1})
        kinds = {k for k in conn.execute(select(DV.c.kind).where(DV.c.decision_id == did)).scalars()}
        assert "draft" in kinds  # the service keeps the marked action's document as the draft
        assert verify_all(conn, catalog, [did]).ok
