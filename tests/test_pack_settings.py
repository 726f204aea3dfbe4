"""Office settings a pack declares: the loader's refusals, changes through the domain and the CLI, lawful ranges
cited by their article, deadlines and guards reading them, and ``starts_when`` on a choice field (CF60's 90 days).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.helpers import Clock
from tests.test_cli import Cli
from workflow.admin import offices as admin
from workflow.engine.catalog import Catalog, default_catalog
from workflow.engine.context import Office
from workflow.engine.errors import DefinitionError, InvalidInput
from workflow.engine.loader import load_definition
from workflow.persistence.db import Database
from workflow.persistence.store import ORG
from workflow.service import Juece
from workflow.views.queries import show_decision

ER = "enforcement-review"
CF60 = "《行政处罚法》第六十条"
PACKS = Path(__file__).resolve().parent.parent / "workflow" / "packs"

TINY = """\
id: tiny
version: "1"
effective_from: 2024-01-01
title: {zh: 小程序, en: Tiny}
legal_basis: 测试
initial: open
settings:
  t_days: {default: 5, min: 1, max: 10, unit: working_days, zh: 期限, en: Limit, article: 测试第一条}
states:
  open: {zh: 开始, en: Open}
  later: {zh: 其后, en: Later}
  done: {zh: 完成, en: Done, terminal: true}
actions:
  close:
    zh: 结束
    en: Close
    roles: [owner]
    from: [later]
    to: done
  finish:
    zh: 完成
    en: Finish
    roles: [owner]
    from: [open]
    to: later
    fields:
      kind: {type: choice, options: {a: {zh: 甲, en: A}, b: {zh: 乙, en: B}}, zh: 类别, en: Kind}
      note: {type: text, zh: 说明, en: Note}
deadlines:
  limit:
    zh: 期限
    en: Limit
    article: 测试第一条
    rule: {kind: working_days, days: 5, setting: t_days}
    starts_on: [finish]
    starts_when: {kind: [a]}
    recipients: [owner]
"""


def problems(tmp_path: Path, text: str) -> str:
    """The loader's refusal of a definition, as ``file:line: message`` lines."""
    path = tmp_path / "tiny@1.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    return str(caught.value)


def test_a_declared_setting_loads_with_its_range_and_article(tmp_path: Path) -> None:
    path = tmp_path / "tiny@1.yaml"
    path.write_text(TINY, encoding="utf-8")
    spec = load_definition(path).settings["t_days"]
    assert (spec.default, spec.low, spec.high, spec.unit, spec.article) == (5, 1, 10, "working_days", "测试第一条")
    assert spec.label.zh == "期限" and spec.procedure == "tiny"


@pytest.mark.parametrize(("change", "message"), [
    (("default: 5, min: 1", "default: 50, min: 1"), "tiny@1.yaml:8: setting 't_days': default 50 is outside 1–10"),
    (("min: 1, max: 10", "min: 12, max: 10"), "tiny@1.yaml:8: setting 't_days': min 12 is above max 10"),
    (("max: 10,", "max: ten,"), "tiny@1.yaml:8: setting 't_days': 'max' must be a whole number"),
    (("unit: working_days", "unit: fortnights"), "tiny@1.yaml:8: setting 't_days': unknown unit 'fortnights'"),
    ((", article: 测试第一条}", "}"), "tiny@1.yaml:8: setting 't_days': missing 'article'"),
    (("article: 测试第一条}", "article: 测试第一条, step: 2}"), "tiny@1.yaml:8: setting 't_days': unknown key 'step'"),
    (("  t_days: {", "  stall_days: {"), "tiny@1.yaml:8: setting 'stall_days' is the engine's own"),
    (("setting: t_days}", "setting: t_other}"),
     "tiny@1.yaml:34: deadline 'limit': setting 't_other' is not declared (declare it under 'settings:')"),
    (("starts_when: {kind: [a]}", "starts_when: {note: [a]}"),
     "tiny@1.yaml:36: deadline 'limit': starts_when 'note' is not a choice field of 'finish'"),
    (("starts_when: {kind: [a]}", "starts_when: {kind: [c]}"),
     "tiny@1.yaml:36: deadline 'limit': starts_when 'kind': 'c' is not an option of 'finish'"),
    (("starts_when: {kind: [a]}", "starts_when: {outcome: [a]}"),
     "tiny@1.yaml:36: deadline 'limit': starts_when 'outcome' but no starting action has outcomes"),
])
def test_the_loader_refuses_a_bad_declaration_or_reference_at_its_line(tmp_path: Path, change: tuple[str, str],
                                                                      message: str) -> None:
    assert change[0] in TINY
    assert message in problems(tmp_path, TINY.replace(*change))


def test_two_packs_declaring_one_key_differently_are_refused_by_the_catalog(tmp_path: Path) -> None:
    one, two = tmp_path / "tiny@1.yaml", tmp_path / "other@1.yaml"
    one.write_text(TINY, encoding="utf-8")
    two.write_text(TINY.replace("id: tiny", "id: other").replace("max: 10", "max: 20"), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        Catalog.load([one, two])
    assert "setting 't_days' is declared differently by other@1" in str(caught.value)
    two.write_text(TINY.replace("id: tiny", "id: other"), encoding="utf-8")  # the same declaration: one setting
    assert list(Catalog.load([one, two]).settings) == ["t_days"]


def test_the_catalog_collects_the_shipped_packs_settings_and_nothing_is_declared_in_code() -> None:
    catalog = default_catalog()
    by_procedure = {p.id: [s.key for s in specs] for p, specs in catalog.settings_by_procedure()}
    assert by_procedure[ER] == ["er_review_days", "er_acceptance_days", "er_supplement_days"]
    assert "nd_comment_days" in by_procedure["normative-document"]
    assert by_procedure["contract-review"] == ["contract_review_days"] and "cn-713" not in by_procedure
    for folder in PACKS.iterdir():
        for module in folder.glob("*.py"):
            assert "declare_settings" not in module.read_text(encoding="utf-8"), module


def test_a_pack_setting_is_read_within_its_range_and_defaults_when_unset() -> None:
    spec = default_catalog().settings["nd_review_days"]
    office = Office(1, "古塘街道", {"nd_review_days": 40, "er_review_days": "x"}, default_catalog().settings)
    assert office.setting("nd_review_days") == spec.high == 15  # stored before the range: never used outside it
    assert office.setting("er_review_days") == 7  # not a number: the declared default
    assert office.setting("nd_filing_days") == 15  # unset: the declared default
    assert office.setting("stall_days") == 20  # an engine setting: as before


# -- changes: the domain and the CLI ---------------------------------------------------------------------------------

def test_an_office_changes_a_pack_setting_and_unknown_or_unlawful_values_are_refused(core: Juece) -> None:
    assert admin.update_org_settings(core, "古塘街道", {"er_review_days": 12})["er_review_days"] == 12
    with pytest.raises(InvalidInput) as unknown:
        admin.update_org_settings(core, "古塘街道", {"er_reveiw_days": 12})
    assert unknown.value.code == "unknown_setting" and unknown.value.details["field"] == "er_reveiw_days"
    with pytest.raises(InvalidInput) as high:
        admin.update_org_settings(core, "古塘街道", {"er_review_days": 30})
    assert high.value.code == "setting_out_of_range"
    assert "3–20工作日" in high.value.zh and "国办发〔2018〕118号" in high.value.zh
    assert "3–20 working days" in high.value.en and high.value.details["article"].startswith("国办发〔2018〕118号")
    with pytest.raises(InvalidInput):
        admin.ensure_org(core, "新碶街道", {"nd_review_days": 16})  # at creation too
    with core.db.read() as conn:
        stored = conn.execute(select(ORG.c.settings).where(ORG.c.name == "古塘街道")).scalar_one()
    assert stored["er_review_days"] == 12


def test_the_cli_sets_a_pack_setting_and_names_the_range_it_breaks(database: Database, clock: Clock,
                                                                    tmp_path: Path) -> None:
    cli = Cli(database, clock, tmp_path)
    cli("db", "upgrade")
    cli("users", "add", "王建国", "--role", "owner", "--org", "古塘街道")
    assert json.loads(cli("office", "set", "古塘街道", "er_supplement_days=5").output)["er_supplement_days"] == 5
    refused = cli("office", "set", "古塘街道", "er_supplement_days=11", ok=False)
    assert refused.exit_code != 0 and "1–10" in refused.output and "3个工作日内补充" in refused.output
    assert cli("office", "set", "古塘街道", "no_such_key=1", ok=False).exit_code != 0


# -- deadlines and guards read them ----------------------------------------------------------------------------------

def _open(core: Juece, clock: Clock, did: int, key: str) -> list[dict[str, Any]]:
    with core.db.read() as conn:
        return [d for d in show_decision(conn, core.catalog, did, clock.now)["deadlines"]
                if d["key"] == key and d["status"] == "open"]


def _case(core: Juece, kind: str, filed_on: str | None = "2026-02-10") -> int:
    did = core.create_decision(ER, "某餐饮店油烟污染案", "owner", [])
    data = {"case_number": "古街综执立〔2026〕15号", "decision_kind": kind, "parties": "某餐饮店",
            "flags": ["public_interest"], "case_handlers": ["owner"]}
    core.act(did, "open_case", "owner", data | ({"filed_on": filed_on} if filed_on else {}))
    return did


def test_a_deadline_reads_the_pack_setting_changed_for_the_office(core: Juece, clock: Clock) -> None:
    admin.update_org_settings(core, "古塘街道", {"er_acceptance_days": 4})
    did = _case(core, "licence")
    core.act(did, "upload_proposed_decision", "owner", {"content": "许可决定（代拟稿）"})
    core.act(did, "submit_for_review", "owner", {
        "investigation_report": "调查终结报告", "evidence": "证据合订本", "evidence_list": ["现场检查笔录"],
        "legal_basis": ["《行政许可法》第三十八条"], "discretion_statement": "无", "proposal_statement": "拟准予许可"})
    # Monday 2 March + 4 working days (the office's, not the default 2): Friday 6 March, 24:00
    assert [d["due_at"] for d in _open(core, clock, did, "acceptance_due") if d["kind"] == "due"] == [
        "2026-03-06T16:00:00.000000Z"]


def test_a_value_stored_outside_the_range_before_it_was_declared_is_held_within_it(core: Juece, clock: Clock) -> None:
    with core.db.write() as conn:  # as an office created under the old global defaults could hold
        settings = dict(conn.execute(select(ORG.c.settings).where(ORG.c.name == "古塘街道")).scalar_one())
        conn.execute(update(ORG).where(ORG.c.name == "古塘街道").values(settings=settings | {"er_review_days": 60}))
    did = _case(core, "licence")
    core.act(did, "upload_proposed_decision", "owner", {"content": "许可决定（代拟稿）"})
    core.act(did, "submit_for_review", "owner", {
        "investigation_report": "调查终结报告", "evidence": "证据合订本", "evidence_list": ["现场检查笔录"],
        "legal_basis": ["《行政许可法》第三十八条"], "discretion_statement": "无", "proposal_statement": "拟准予许可"})
    core.act(did, "accept_for_review", "reviewer")
    # 20 working days (the top of 3–20) from Monday 2 March: Monday 30 March
    assert [d["due_at"] for d in _open(core, clock, did, "review_due") if d["kind"] == "due"] == [
        "2026-03-30T16:00:00.000000Z"]


# -- CF60: 90 days from 立案, for penalties only --------------------------------------------------------------------

def test_cf60_the_90_day_limit_runs_from_the_filing_date_for_a_penalty(core: Juece, clock: Clock) -> None:
    did = _case(core, "penalty", filed_on="2026-02-10")
    rows = _open(core, clock, did, "case_decision_limit")
    # 10 February + 90 days = Monday 11 May, 24:00: counted from 立案, not from entry on 2 March
    assert [d["due_at"] for d in rows if d["kind"] == "due"] == ["2026-05-11T16:00:00.000000Z"]
    assert len([d for d in rows if d["kind"] == "reminder"]) == 3
    assert all(d["article"] == CF60 and set(d["recipients"]) == {"owner", "chief_executive", "supervisor"}
               for d in rows)


def test_cf60_the_limit_does_not_start_for_a_case_that_is_not_a_penalty(core: Juece, clock: Clock) -> None:
    for kind in ("licence", "coercion", "levy", "other"):
        assert not _open(core, clock, _case(core, kind), "case_decision_limit"), kind


def test_cf60_the_limit_closes_when_the_case_is_closed(core: Juece, clock: Clock) -> None:
    from tests.helpers import PASSWORD

    did = _case(core, "penalty")
    core.act(did, "close_case", "chief", {"disposition": "case_withdrawn", "reason": "立案错误，撤销立案"},
             password=PASSWORD)
    assert not _open(core, clock, did, "case_decision_limit")


def test_starts_when_on_a_choice_field_filters_the_starting_action(tmp_path: Path) -> None:
    from workflow.timing.calendar import WorkCalendar
    from workflow.timing.deadlines import plan

    path = tmp_path / "tiny@1.yaml"
    path.write_text(TINY, encoding="utf-8")
    tiny = load_definition(path)
    now = dt.datetime(2026, 6, 10, 2, tzinfo=dt.UTC)
    office = Office(1, "古塘街道", {"t_days": 8})
    started = plan(tiny, "finish", None, {"kind": "a"}, "later", now, office, WorkCalendar(), 1).open
    assert [r.key for r in started] == ["limit"]
    assert not plan(tiny, "finish", None, {"kind": "b"}, "later", now, office, WorkCalendar(), 1).open
    assert not plan(tiny, "finish", None, {}, "later", now, office, WorkCalendar(), 1).open
