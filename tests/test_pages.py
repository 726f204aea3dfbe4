"""The pages render the record in Chinese for a signed-in official and never leak markup (see tests/web/)."""

from __future__ import annotations

from api import create_app
from config.settings import Settings
from tests.helpers import Clock, new_decision, to_collective_discussion
from tests.web.conftest import PASSWORD, token
from workflow.admin import offices as admin
from workflow.service import Juece


def test_overview_and_decision_page(core: Juece, clock: Clock, tmp_path: object) -> None:
    did = core.create_decision("cn-713", "<script>alert(1)</script>界牌", "owner")
    other = new_decision(core)
    to_collective_discussion(core, clock, other)
    admin.set_password(core, "owner", PASSWORD)
    app = create_app(Settings(instance_dir=tmp_path, database_url=core.db.url, broker_url="memory://"), core)  # type: ignore[arg-type]
    client = app.test_client()
    assert client.get("/").status_code == 302  # sign-in first
    login = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"csrf_token": token(login), "username": "owner", "password": PASSWORD})
    index = client.get("/catalogue").get_data(as_text=True)
    assert "决策事项目录" in index and "<script>alert(1)</script>" not in index and "&lt;script&gt;" in index
    page = client.get(f"/decisions/{other}").get_data(as_text=True)
    assert "集体讨论决定" in page and "完整，未被篡改" in page and "已验证" in page
    assert client.get(f"/decisions/{did + 100}").status_code == 404
    assert client.get("/healthz").json == {"status": "ok"}
