"""The migration page: an administrator previews, the chief executive migrates with the legal basis and their
signature, and the decision page shows the versions the decision went through."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from tests.helpers import PASSWORD
from tests.test_migration import BASIS, FIXTURES, NEW, in_consultation
from tests.web.conftest import People, token
from workflow.engine.catalog import default_catalog
from workflow.persistence.store import D
from workflow.service import Juece


def _post(client: FlaskClient, did: int, do: str, password: str = "") -> tuple[int, str]:
    form = client.get(f"/admin/migrate?decision={did}").get_data(as_text=True)
    response = client.post("/admin/migrate", data={"csrf_token": token(form), "decision": str(did), "to": NEW,
                                                   "basis": BASIS, "password": password, "do": do})
    return response.status_code, response.get_data(as_text=True)


def _row(core: Juece, did: int) -> tuple[str, str, int]:
    with core.db.read() as conn:
        row = conn.execute(select(D).where(D.c.id == did)).one()
    return str(row.procedure_version), str(row.state), int(row.version)


def test_the_chief_migrates_from_the_page_and_the_decision_page_shows_both_versions(core: Juece,
                                                                                     people: People) -> None:
    core.catalog = default_catalog(FIXTURES)
    did = in_consultation(core)
    chief = people.client("chief")
    page = chief.get(f"/decisions/{did}").get_data(as_text=True)
    assert f"可迁移到 {NEW}" in page and f"/admin/migrate?decision={did}" in page
    before = _row(core, did)

    status, preview = _post(chief, did, "preview")
    assert status == 200 and "预览：迁移后将是" in preview and "lead_unit → lead_department" in preview
    assert _row(core, did) == before

    status, _ = _post(chief, did, "migrate", PASSWORD)
    assert status == 303
    assert _row(core, did)[0] == "2027-01-01"
    page = chief.get(f"/decisions/{did}").get_data(as_text=True)
    assert f"cn-713@2019-09-01 → {NEW}（迁移依据：{BASIS}）" in page
    assert "迁移程序版本" in page and "完整，未被篡改" in page


def test_an_administrator_previews_but_only_the_chief_migrates(core: Juece, people: People) -> None:
    core.catalog = default_catalog(FIXTURES)
    did = in_consultation(core)
    admin = people.client("admin")
    status, preview = _post(admin, did, "preview")
    assert status == 200 and "prior_risk_assessment" in preview and "签名并迁移" not in preview
    status, refused = _post(admin, did, "migrate")
    assert status == 422 and "行政首长" in refused
    assert _row(core, did)[0] == "2019-09-01"
    assert people.client("owner").get("/admin/migrate").status_code == 403
