"""Malformed stored data is a named problem (stream, sequence, what is wrong), never a traceback.

Each case damages one stored row with raw SQL. PostgreSQL's jsonb refuses text that is not JSON at
write time, so there the damage is what it can store: wrong types, missing keys.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask

from cli.common import Ctx
from cli.main import main
from config.settings import Settings
from tests.api.conftest import Api
from tests.api.conftest import make_app as make_api_app
from tests.helpers import Clock, new_decision
from tests.web.conftest import People
from tests.web.conftest import make_app as make_web_app
from workflow.record.audit_positions import verify_record
from workflow.service import Juece

# Each case: (SQLite statement, PostgreSQL statement or None when jsonb cannot hold it, what the report says).
DAMAGE = {
    "event is not JSON": (
        "UPDATE audit_event SET event = '{\"action\": \"upload_draft\", \"data\": {' WHERE stream = :s AND seq = 3",
        None, "#3: event JSON is not valid JSON"),
    "event nested too deeply": (
        "UPDATE audit_event SET event = :deep WHERE stream = :s AND seq = 3", None,
        "#3: event JSON is nested too deeply to read"),
    "event data is a string": (
        "UPDATE audit_event SET event = json_set(event, '$.data', 'x') WHERE stream = :s AND seq = 3",
        "UPDATE audit_event SET event = jsonb_set(event, '{data}', '\"x\"') WHERE stream = :s AND seq = 3",
        "#3: event field 'data' is a str, not an object"),
    "event without its instant": (
        "UPDATE audit_event SET event = json_remove(event, '$.at') WHERE stream = :s AND seq = 2",
        "UPDATE audit_event SET event = event - 'at' WHERE stream = :s AND seq = 2",
        "#2: event field 'at' is missing or not a string"),
    "event is an array": (
        "UPDATE audit_event SET event = '[1, 2]' WHERE stream = :s AND seq = 2",
        "UPDATE audit_event SET event = '[1, 2]'::jsonb WHERE stream = :s AND seq = 2",
        "#2: event JSON is a list, not an object"),
    "facts are not JSON": (
        "UPDATE decision SET facts = 'facts{' WHERE id = :d", None, "decision row: facts column is not valid JSON"),
    "facts are an array": (
        "UPDATE decision SET facts = '[]' WHERE id = :d",
        "UPDATE decision SET facts = '[]'::jsonb WHERE id = :d", "decision row: facts column is a list, not an object"),
}


@pytest.fixture()
def damaged(core: Juece, request: pytest.FixtureRequest) -> tuple[int, str]:
    """A drafted decision with one row damaged as the case says; returns (id, expected finding)."""
    from sqlalchemy import text

    did = new_decision(core)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办", "flags": []})
    core.act(did, "upload_draft", "owner", {"content": "草案"})
    lite, pg, expected = DAMAGE[request.param]
    sql = lite if core.db.is_sqlite else pg
    if sql is None:
        pytest.skip("PostgreSQL's jsonb refuses this text at write time")
    with core.db.write() as conn:
        conn.execute(text(sql), {"s": f"decision:{did}", "d": did, "deep": "[" * 100_000 + "]" * 100_000})
    return did, expected


def _cli(core: Juece, clock: Clock, tmp_path: Path, *args: str) -> Result:
    settings = Settings(instance_dir=tmp_path, database_url=core.db.url, broker_url="memory://")
    return CliRunner().invoke(main, list(args), obj=Ctx(settings, clock))


@pytest.mark.parametrize("damaged", sorted(DAMAGE), indirect=True)
def test_the_command_line_names_the_damage(core: Juece, clock: Clock, tmp_path: Path,
                                           damaged: tuple[int, str]) -> None:
    did, expected = damaged
    for args in (("audit", "verify", str(did)), ("audit", "verify"), ("audit", "verify", "--full"),
                 ("decisions", "show", str(did))):
        result = _cli(core, clock, tmp_path, *args)
        assert isinstance(result.exception, SystemExit) and result.exit_code == 1, (args, result.output)
        assert f"decision:{did}" in result.output and expected in result.output, (args, result.output)
        assert "Traceback" not in result.output
    assert not verify_record(core).ok


@pytest.mark.parametrize("damaged", sorted(DAMAGE), indirect=True)
def test_the_page_and_the_api_name_the_damage(core: Juece, tmp_path: Path, damaged: tuple[int, str]) -> None:
    did, expected = damaged
    web: Flask = make_web_app(core, tmp_path / "web")
    page = People(core, web).client("owner").get(f"/decisions/{did}")
    assert page.status_code == 200
    assert expected.split(": ", 1)[-1] in html.unescape(page.get_data(as_text=True))
    api = Api(core, make_api_app(core, tmp_path / "api"))
    report = api.get(f"decisions/{did}/audit/verify")
    assert report.status_code == 200 and not report.json["ok"]
    assert any(expected in p for p in report.json["problems"]), report.json
