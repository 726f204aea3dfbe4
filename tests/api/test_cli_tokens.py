"""The first token is issued from the command line, and works against the API until revoked."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from api import create_app
from cli.common import Ctx
from cli.main import main
from config.settings import Settings
from tests.helpers import Clock
from workflow.service import Juece


def test_token_from_the_cli_authenticates_until_revoked(core: Juece, clock: Clock, tmp_path: Path) -> None:
    settings = Settings(instance_dir=tmp_path, database_url=core.db.url, broker_url="memory://")
    issued = CliRunner().invoke(main, ["tokens", "create", "owner", "--days", "30", "--json"], obj=Ctx(settings, clock))
    assert issued.exit_code == 0, issued.output
    token = json.loads(issued.output)
    client = create_app(settings, core).test_client()
    headers = {"Authorization": f"Bearer {token['token']}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.get("/api/v1/me").status_code == 401
    revoked = CliRunner().invoke(main, ["tokens", "revoke", str(token["id"])], obj=Ctx(settings, clock))
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/api/v1/me", headers=headers).status_code == 401
