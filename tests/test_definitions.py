"""Procedure definitions: the shipped ones load and are sound; broken ones are refused with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from workflow.engine import graph
from workflow.engine.catalog import default_catalog
from workflow.engine.definition import ProcedureDef
from workflow.engine.errors import DefinitionError
from workflow.engine.loader import builtin_paths, load_definition
from workflow.engine.packs import load_pack, pack_name

SHIPPED = builtin_paths()

MINIMAL = """\
id: tiny
version: "1"
effective_from: 2024-01-01
title: {zh: 小程序, en: Tiny}
legal_basis: 测试
initial: open
states:
  open: {zh: 开始, en: Open}
  done: {zh: 完成, en: Done, terminal: true}
actions:
  finish:
    zh: 完成
    en: Finish
    roles: [owner]
    from: [open]
    to: done
    guards: [draft_present]
deadlines:
  stall:
    zh: 久拖不决
    en: Stall
    article: "Art. 38"
    rule: {kind: idle_working_days, days: 20}
    starts_on: ["*"]
"""


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_definition_loads_with_legal_basis_version_and_date(path: Path) -> None:
    procedure = load_definition(path)
    assert procedure.legal_basis and procedure.version and procedure.effective_from
    assert path.name == "procedure.yaml" and path.parent.name == pack_name(procedure.id, procedure.version)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_state_reachable_and_every_guard_resolved(path: Path) -> None:
    procedure = load_definition(path)
    reached = {procedure.initial} | {d for _, d, _ in graph.edges(procedure)}
    assert reached == set(procedure.states)
    assert {g for a in procedure.actions.values() for g in a.guards} <= set(load_pack(path.parent).functions.guards)
    assert all(len(a.checks) == len(a.guards) for a in procedure.actions.values())
    assert any(s.terminal for s in procedure.states.values())


def test_cn713_has_the_canonical_ids() -> None:
    procedure = default_catalog().current("cn-713", __import__("datetime").date(2026, 1, 1))
    assert set(procedure.states) == {
        "proposed", "drafting", "consultation", "legality_review", "collective_discussion", "party_report",
        "publication", "implementation", "evaluation", "suspended", "not_initiated", "rejected", "terminated", "closed"}
    assert {s for s, st in procedure.states.items() if st.terminal} == {"not_initiated", "rejected", "terminated", "closed"}
    assert {"public_comment", "hearing", "group_consultation", "expert_review", "risk_assessment",
            "interagency_consultation", "fair_competition_review", "opinion_processing"} == set(procedure.tasks)
    assert {"initiate", "decline", "start_consultation", "submit_legality_review", "sign_legality_opinion",
            "return_materials", "record_decision", "record_party_consent", "publish", "withhold", "report_progress",
            "report_problem", "start_evaluation", "suspend", "record_evaluation", "resume", "terminate", "close",
            "withdraw"} <= set(procedure.actions)
    assert {"confidential", "technical", "stability_risk", "affects_specific_group", "hearing_required",
            "involves_other_units", "market_activity"} <= set(procedure.flags)
    assert {"public_comment_close", "hearing_materials", "legality_review_due", "publication_due", "stall",
            "implementation_report", "catalogue_publication"} == set(procedure.deadlines)


def test_contract_review_states() -> None:
    procedure: ProcedureDef = default_catalog().get("contract-review@2021-05-01")
    assert {"submitted", "under_review", "returned", "cleared", "signed", "archived", "refused"} == set(procedure.states)
    assert procedure.actions["sign_review_opinion"].outcomes == {
        "no_objection": "cleared", "revise_and_resubmit": "submitted", "unlawful_do_not_sign": "refused"}


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


BROKEN = {
    "unknown_state": (("    to: done\n", "    to: nowhere\n"), "    to: nowhere", "unknown state 'nowhere'"),
    "unreachable_state": (("  done: {zh: 完成, en: Done, terminal: true}\n",
                           "  done: {zh: 完成, en: Done, terminal: true}\n  orphan: {zh: 孤儿, en: Orphan, terminal: true}\n"),
                          "  orphan:", "state 'orphan' is unreachable"),
    "dead_end_state": (("  done: {zh: 完成, en: Done, terminal: true}\n", "  done: {zh: 完成, en: Done}\n"),
                       "  done:", "state 'done' has no way out and is not terminal"),
    "unknown_guard": (("    guards: [draft_present]\n", "    guards: [draft_present, is_full_moon]\n"),
                      "    guards:", "unknown guard 'is_full_moon'"),
    "deadline_without_rule": (("    rule: {kind: idle_working_days, days: 20}\n", ""), "  stall:",
                              "deadline 'stall' has no rule"),
}


TINY_GUARDS = """\
from workflow.packs.cn_713_2019_09_01.guards import draft_present

__all__ = ["draft_present"]
"""


def _tiny_pack(tmp_path: Path, text: str) -> Path:
    """A pack folder for MINIMAL: it reuses Decree 713's ``draft_present`` explicitly."""
    folder = tmp_path / "tiny_1"
    folder.mkdir()
    (folder / "__init__.py").write_text('"""A tiny test pack."""\n', encoding="utf-8")
    (folder / "guards.py").write_text(TINY_GUARDS, encoding="utf-8")
    (folder / "procedure.yaml").write_text(text, encoding="utf-8")
    return folder / "procedure.yaml"


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_check_rejects_a_broken_definition_with_file_and_line(case: str, tmp_path: Path) -> None:
    (old, new), marker, message = BROKEN[case]
    assert old in MINIMAL
    text = MINIMAL.replace(old, new)
    path = _tiny_pack(tmp_path, text)
    result = CliRunner().invoke(main, ["procedures", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:{_line_of(text, marker)}: {message}" in result.output


def test_check_accepts_the_shipped_files_and_a_sound_one(tmp_path: Path) -> None:
    good = _tiny_pack(tmp_path, MINIMAL).parent  # a pack folder is checked as its procedure.yaml
    result = CliRunner().invoke(main, ["procedures", "check", str(good), *map(str, SHIPPED)])
    assert result.exit_code == 0, result.output
    assert result.output.count(": ok (") == 1 + len(SHIPPED)


def test_invalid_yaml_and_duplicate_keys_are_located(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("initial: open\n", "initial: open\ninitial: done\n"), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_definition(bad)
    assert any(p.line == 7 and "duplicate key 'initial'" in p.message for p in info.value.problems)
    broken = tmp_path / "syntax.yaml"
    broken.write_text(MINIMAL.replace("  open: {zh: 开始, en: Open}", "  open: {zh: 开始, en: Open"), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_definition(broken)
    assert "not valid YAML" in str(info.value)


def test_graph_highlights_the_current_state() -> None:
    result = CliRunner().invoke(main, ["procedures", "graph", "cn-713", "--format", "mermaid", "--current", "legality_review"])
    assert result.exit_code == 0
    assert "legality_review --> collective_discussion: sign_legality_opinion [lawful]" in result.output
    assert "class legality_review current" in result.output
    dot = CliRunner().invoke(main, ["procedures", "graph", "contract-review", "--format", "dot"])
    assert dot.output.startswith('digraph "contract-review@2021-05-01"') and "under_review -> cleared" in dot.output
