"""Input the command line cannot use is a usage error: exit status 2, a message naming it, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import Clock
from tests.test_cli import Cli
from workflow.persistence.db import Database


@pytest.fixture()
def cli(database: Database, clock: Clock, tmp_path: Path) -> Cli:
    """``juece`` over a migrated database with one owner."""
    runner = Cli(database, clock, tmp_path)
    runner("db", "upgrade")
    runner("users", "add", "王建国", "--role", "owner", "--org", "古塘街道", "--unit", "城建办")
    return runner


@pytest.fixture()
def did(cli: Cli) -> str:
    return str(cli("decisions", "create", "--procedure", "cn-713", "--title", "界牌新潮塘未来社区建设",
                   "--owner", "王建国").output.strip())


def _usage_error(cli: Cli, *args: str) -> str:
    result = cli(*args, ok=False)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    return result.output


def _data_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "data.json"
    path.write_text(text, encoding="utf-8")
    return f"@{path}"


def test_data_from_a_missing_file(cli: Cli, did: str, tmp_path: Path) -> None:
    out = _usage_error(cli, "decisions", "act", did, "initiate", "--as", "王建国", "--data", f"@{tmp_path}/none.json")
    assert "Invalid value for '--data': cannot read" in out and "none.json" in out


@pytest.mark.parametrize(("text", "said"), [
    ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply to read"),
    ('{"owner_unit": "城建办",', "not valid JSON: Expecting property name"),
    ('["城建办"]', "must be a JSON object"),
])
def test_data_from_a_file_that_is_not_a_json_object(cli: Cli, did: str, tmp_path: Path, text: str, said: str) -> None:
    out = _usage_error(cli, "decisions", "act", did, "initiate", "--as", "王建国", "--data", _data_file(tmp_path, text))
    assert said in out


def test_data_naming_a_document_file_that_is_missing(cli: Cli, did: str, tmp_path: Path) -> None:
    data = json.dumps({"content": {"path": str(tmp_path / "草案.docx")}})
    out = _usage_error(cli, "decisions", "act", did, "upload_draft", "--as", "王建国", "--data", data)
    assert "content: cannot read" in out


def test_a_negative_expected_version_is_invalid_not_stale(cli: Cli, did: str) -> None:
    out = _usage_error(cli, "decisions", "act", did, "initiate", "--as", "王建国", "--data", "{}",
                       "--expect-version", "-1")
    assert "Invalid value for '--expect-version'" in out and "stale" not in out


def test_a_tree_head_nested_too_deeply(cli: Cli, tmp_path: Path) -> None:
    head = tmp_path / "head.json"
    head.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert "nested too deeply" in _usage_error(cli, "audit", "verify", "--against", str(head))


def test_files_of_other_commands(cli: Cli, tmp_path: Path) -> None:
    assert "does not exist" in _usage_error(cli, "calendar", "import", str(tmp_path / "2027.yaml"))
    deep = tmp_path / "deep.yaml"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    refused = cli("calendar", "import", str(deep), ok=False)
    assert refused.exit_code == 1 and "nested too deeply" in refused.output
    checked = cli("procedures", "check", str(deep), ok=False)
    assert isinstance(checked.exception, SystemExit) and "deep.yaml:0: not readable: nested too deeply" in checked.output
