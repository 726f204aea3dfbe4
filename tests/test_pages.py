"""The read-only overview pages render the record in Chinese and never leak markup."""

from __future__ import annotations

from api import create_app
from config.settings import Settings
from tests.helpers import Clock, new_decision, to_collective_discussion
from workflow.service import Juece


def test_overview_and_decision_page(core: Juece, clock: Clock, tmp_path: object) -> None:
    did = core.create_decision("cn-713", "<script>alert(1)</script>界牌", "owner")
    other = new_decision(core)
    to_collective_discussion(core, clock, other)
    app = create_app(Settings(instance_dir=tmp_path, database_url=core.db.url, broker_url="memory://"), core)  # type: ignore[arg-type]
    client = app.test_client()
    index = client.get("/").get_data(as_text=True)
    assert "决策事项" in index and "<script>alert(1)</script>" not in index and "&lt;script&gt;" in index
    page = client.get(f"/decisions/{other}").get_data(as_text=True)
    assert "集体讨论决定" in page and "完整，未被篡改" in page and "已签名" in page
    assert client.get(f"/decisions/{did + 100}").status_code == 404
    assert client.get("/healthz").json == {"status": "ok"}
