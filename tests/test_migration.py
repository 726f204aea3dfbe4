"""Migration of in-flight decisions (issue 8, item 5): a decision started under one version of its procedure moves,
as an audited event naming its legal basis, to a newer version that declares how the old one maps to it; it then
finishes under the new version, and replay and verification hold across the move."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from tests.helpers import (
    MEETING,
    PASSWORD,
    Clock,
    adopt_all,
    at_least,
    new_decision,
    run_public_comment,
    to_collective_discussion,
)
from workflow.engine.catalog import Catalog, default_catalog
from workflow.engine.errors import ActionNotAllowed, DefinitionError, Forbidden, InvalidInput, NotFound
from workflow.engine.loader import builtin_paths
from workflow.persistence.store import DL, D, E
from workflow.record.audit import verify_decision
from workflow.record.migration import migrate
from workflow.service import Juece

FIXTURES = Path(__file__).parent / "fixtures" / "migration"
#: The fictional amended version, as a pack folder of its own (it reuses the 2019-09-01 functions explicitly).
PACK = "cn_713_2027_01_01"
NEW = "cn-713@2027-01-01"
BASIS = "《重大行政决策程序暂行条例》（2027年修订）第十五条"


@pytest.fixture()
def amended(core: Juece) -> Juece:
    """The core with the fictional amended cn-713 (2027-01-01) in its catalogue, loaded as an extra folder."""
    core.catalog = default_catalog(FIXTURES)
    return core


def in_consultation(core: Juece) -> int:
    """A decision under 2019-09-01 in consultation, with a lead unit and a prior risk assessment on record."""
    did = new_decision(core)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办", "lead_unit": "规划科",
                                        "prior_risk_assessment": "已做初步评估"})
    core.act(did, "upload_draft", "owner", {"content": "草案第一稿"})
    core.act(did, "start_consultation", "owner", {"legal_bases": ["《城乡规划法》"]})
    return did


def row(core: Juece, did: int) -> Any:
    with core.db.read() as conn:
        return conn.execute(select(D).where(D.c.id == did)).one()


def events(core: Juece, did: int) -> list[Any]:
    with core.db.read() as conn:
        return conn.execute(select(E).where(E.c.stream == f"decision:{did}").order_by(E.c.seq)).all()


def open_deadlines(core: Juece, did: int) -> set[str]:
    with core.db.read() as conn:
        return set(conn.execute(select(DL.c.key).where(DL.c.decision_id == did, DL.c.status == "open")).scalars())


def test_a_decision_migrated_mid_way_finishes_under_the_new_version_and_verifies(amended: Juece, clock: Clock) -> None:
    core = amended
    did = in_consultation(core)
    assert row(core, did).procedure_version == "2019-09-01"

    moved = migrate(core, did, NEW, "chief", BASIS, password=PASSWORD)

    assert moved["from"] == "cn-713@2019-09-01" and moved["to"] == NEW and moved["basis"] == BASIS
    after = row(core, did)
    assert (after.procedure_version, after.state, after.version) == ("2027-01-01", "consultation", moved["version"])
    assert after.facts["lead_department"] == "规划科" and "lead_unit" not in after.facts
    assert "prior_risk_assessment" not in after.facts
    assert after.facts["tasks"]["online_participation"] == {}
    assert "consultation_report" in open_deadlines(core, did)  # the new version's deadline starts at the migration
    last = events(core, did)[-1]
    assert last.action == "procedure_migrated" and last.event["actor"]["name"] == "chief"
    assert last.event["data"]["basis"] == BASIS and last.event["signature"]
    assert verify_decision_ok(core, did)

    # It finishes under the new version: its decision leads to the renamed state party_consultation.
    run_public_comment(core, clock, did)
    adopt_all(core, did, ["comment:1"])
    core.act(did, "submit_legality_review", "owner", {})
    assert "consultation_report" not in open_deadlines(core, did)  # closed as the new version says
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": "合法"}, password=PASSWORD)
    core.act(did, "sign_legality_opinion", "reviewer", {"outcome": "lawful", "opinion": "经审查合法"},
             password=PASSWORD)
    at_least(clock, "2026-05-06T10:00")
    core.act(did, "record_meeting", "secretary", MEETING)
    result = core.act(did, "record_decision", "chief", {"outcome": "adopted"}, password=PASSWORD)
    assert result.state == "party_consultation"
    core.act(did, "record_party_consent", "secretary", {"reference": "古街党〔2026〕12号"})
    at_least(clock, "2026-05-11T09:00")
    core.act(did, "publish", "publisher", {"channels": ["政府网站"], "published_on": "2026-05-10"})
    clock.set("2026-08-10T09:00")
    core.act(did, "report_progress", "executor", {"report": "一期完成"})
    assert core.act(did, "close", "owner", {"note": "项目完成"}).state == "closed"
    assert verify_decision_ok(core, did)


def verify_decision_ok(core: Juece, did: int) -> bool:
    with core.db.read() as conn:
        report = verify_decision(conn, core.catalog, did)
    assert report.ok, [str(p) for p in report.problems]
    return True


def test_a_decision_in_a_renamed_state_lands_on_its_new_name(amended: Juece, clock: Clock) -> None:
    core = amended
    did = new_decision(core)
    to_collective_discussion(core, clock, did)
    core.act(did, "record_meeting", "secretary", MEETING)
    core.act(did, "record_decision", "chief", {"outcome": "adopted"}, password=PASSWORD)
    assert row(core, did).state == "party_report"
    preview = migrate(core, did, NEW, "chief", BASIS, dry_run=True)
    assert preview["state"] == {"from": "party_report", "to": "party_consultation"}
    migrate(core, did, "2027-01-01", "chief", BASIS, password=PASSWORD)  # the version alone names it too
    assert row(core, did).state == "party_consultation"
    core.act(did, "record_party_consent", "secretary", {"reference": "古街党〔2026〕13号"})
    assert row(core, did).state == "publication"
    assert verify_decision_ok(core, did)


def test_a_dry_run_shows_the_mapping_and_changes_nothing(amended: Juece) -> None:
    did = in_consultation(amended)
    before, trail = row(amended, did), events(amended, did)
    preview = migrate(amended, did, NEW, "chief", BASIS, dry_run=True)
    assert preview["dry_run"] is True and preview["version"] == before.version
    assert preview["state"] == {"from": "consultation", "to": "consultation"}
    assert preview["facts"]["rename"] == {"lead_unit": "lead_department"}
    assert preview["facts"]["drop"] == ["prior_risk_assessment"] and preview["facts"]["add_tasks"] == [
        "online_participation"]
    assert {"lead_unit", "lead_department", "prior_risk_assessment", "tasks"} <= set(preview["changed_facts"])
    assert row(amended, did) == before and events(amended, did) == trail


@pytest.mark.parametrize(("to", "actor", "basis", "error", "code"), [
    ("cn-713@2099-01-01", "chief", BASIS, NotFound, "not_found"),
    ("cn-713@2019-09-01", "chief", BASIS, ActionNotAllowed, "migration_not_newer"),
    ("contract-review@2021-05-01", "chief", BASIS, ActionNotAllowed, "migration_other_procedure"),
    (NEW, "chief", "   ", InvalidInput, "migration_basis_required"),
    (NEW, "owner", BASIS, Forbidden, "role_not_permitted"),
    (NEW, "reviewer", BASIS, Forbidden, "role_not_permitted"),
    (NEW, "outsider", BASIS, NotFound, "not_found"),  # a chief of another office does not see the decision
])
def test_refusals_change_nothing(amended: Juece, to: str, actor: str, basis: str, error: type[Exception],
                                 code: str) -> None:
    did = in_consultation(amended)
    before = row(amended, did)
    with pytest.raises(error) as refused:
        migrate(amended, did, to, actor, basis, password=PASSWORD)
    assert getattr(refused.value, "code", None) == code
    assert row(amended, did) == before


def test_a_finished_decision_does_not_migrate(amended: Juece) -> None:
    did = in_consultation(amended)
    amended.act(did, "withdraw", "chief", {"reason": "规划调整"}, password=PASSWORD)
    with pytest.raises(ActionNotAllowed) as refused:
        migrate(amended, did, NEW, "chief", BASIS, password=PASSWORD)
    assert refused.value.code == "migration_terminal"


def test_a_decision_with_a_pending_request_does_not_migrate(amended: Juece) -> None:
    did = in_consultation(amended)
    assert amended.act(did, "withdraw", "owner", {"reason": "规划调整"}).request is not None  # awaits the chief
    with pytest.raises(ActionNotAllowed) as refused:
        migrate(amended, did, NEW, "chief", BASIS, password=PASSWORD)
    assert refused.value.code == "migration_requests_pending"


def test_a_version_that_does_not_declare_the_source_is_refused(core: Juece, tmp_path: Path) -> None:
    text_ = (FIXTURES / PACK / "procedure.yaml").read_text(encoding="utf-8")
    newer = text_.split("\nmigrates_from:")[0].replace('version: "2027-01-01"\neffective_from: 2027-01-01',
                                                        'version: "2028-01-01"\neffective_from: 2028-01-01')
    shutil.copytree(FIXTURES / PACK, tmp_path / "cn_713_2028_01_01")
    (tmp_path / "cn_713_2028_01_01" / "procedure.yaml").write_text(newer, encoding="utf-8")
    core.catalog = Catalog.load(builtin_paths(tmp_path))
    did = in_consultation(core)
    with pytest.raises(ActionNotAllowed) as refused:
        migrate(core, did, "cn-713@2028-01-01", "chief", BASIS, password=PASSWORD)
    assert refused.value.code == "migration_not_declared"


def test_a_migration_needs_the_chiefs_own_signature(amended: Juece) -> None:
    did = in_consultation(amended)
    before = row(amended, did)
    with pytest.raises(Exception) as refused:
        migrate(amended, did, NEW, "chief", BASIS, password="wrong-password-here")
    assert "password" in getattr(refused.value, "code", "")
    assert row(amended, did) == before


def test_tampering_with_the_migration_event_is_detected(amended: Juece) -> None:
    did = in_consultation(amended)
    migrate(amended, did, NEW, "chief", BASIS, password=PASSWORD)
    migrated = events(amended, did)[-1]
    event = dict(migrated.event) | {"data": dict(migrated.event["data"]) | {"basis": "无依据"}}
    sql = "UPDATE audit_event SET event = :event WHERE stream = :stream AND seq = :seq"
    if not amended.db.is_sqlite:
        sql = sql.replace(":event", "CAST(:event AS jsonb)")
    with amended.db.write() as conn:
        conn.execute(text(sql), {"event": json.dumps(event), "stream": f"decision:{did}", "seq": migrated.seq})
    with amended.db.read() as conn:
        report = verify_decision(conn, amended.catalog, did)
    assert any(f"#{migrated.seq}: hash mismatch" in str(p) for p in report.problems), report.problems


def test_a_row_moved_to_another_version_without_its_event_is_detected(amended: Juece) -> None:
    did = in_consultation(amended)
    with amended.db.write() as conn:
        conn.execute(text("UPDATE decision SET procedure_version = '2027-01-01' WHERE id = :d"), {"d": did})
    with amended.db.read() as conn:
        report = verify_decision(conn, amended.catalog, did)
    assert not report.ok


# -- the declaration ------------------------------------------------------------------------------------------------
def _amended_copy(tmp_path: Path, declaration: str) -> Path:
    folder = tmp_path / "procedures"
    shutil.copytree(FIXTURES / PACK, folder / PACK)
    text_ = (FIXTURES / PACK / "procedure.yaml").read_text(encoding="utf-8").split("\nmigrates_from:")[0]
    (folder / PACK / "procedure.yaml").write_text(text_ + "\nmigrates_from:\n" + declaration, encoding="utf-8")
    return folder


def test_the_catalogue_refuses_a_map_that_leaves_an_old_state_nowhere(tmp_path: Path) -> None:
    # Without the mapping, party_report (non-terminal in 2019-09-01) has no state of the same name in 2027-01-01.
    folder = _amended_copy(tmp_path, "  cn-713@2019-09-01:\n    states: {drafting: drafting}\n")
    with pytest.raises(DefinitionError) as refused:
        Catalog.load(builtin_paths(folder))
    problems = [str(p) for p in refused.value.problems]
    assert any(p.startswith(f"{folder / PACK / 'procedure.yaml'}:") and "'party_report' maps to no state" in p for p in problems)


def test_the_loader_refuses_a_map_to_an_unknown_state_with_its_line(tmp_path: Path) -> None:
    folder = _amended_copy(tmp_path, "  cn-713@2019-09-01:\n    states:\n      party_report: nowhere\n")
    with pytest.raises(DefinitionError) as refused:
        Catalog.load(builtin_paths(folder))
    lines = (folder / PACK / "procedure.yaml").read_text(encoding="utf-8").splitlines()
    line = next(i for i, t in enumerate(lines, 1) if "party_report: nowhere" in t)
    assert f"{folder / PACK / 'procedure.yaml'}:{line}: migrates_from 'cn-713@2019-09-01': state 'party_report' maps to unknown " \
           "state 'nowhere'" in [str(p) for p in refused.value.problems]


def test_the_catalogue_refuses_a_declared_source_it_does_not_know(tmp_path: Path) -> None:
    folder = _amended_copy(tmp_path, "  cn-713@2018-01-01: {}\n")
    with pytest.raises(DefinitionError) as refused:
        Catalog.load(builtin_paths(folder))
    assert "unknown version 'cn-713@2018-01-01'" in str(refused.value)


def test_the_fixture_copy_is_kept_in_step_with_the_builtin_definition(tmp_path: Path) -> None:
    # The amended fixture is a copy: if the built-in file changes, the copy must still load.
    shutil.copytree(FIXTURES / PACK, tmp_path / PACK)
    assert Catalog.load(builtin_paths(tmp_path)).get(NEW).migrates_from
