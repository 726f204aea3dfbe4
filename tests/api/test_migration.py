"""Migration over HTTP: a dry run answers the mapping and changes nothing; the chief migrates, signed with
``Juece-Signing-Password``; the decision then answers under the new version."""

from __future__ import annotations

from tests.api.conftest import Api, problem
from tests.helpers import PASSWORD
from tests.test_migration import BASIS, FIXTURES, NEW, in_consultation
from workflow.engine.catalog import default_catalog
from workflow.service import Juece

SIGN = "Juece-Signing-Password"


def test_dry_run_then_signed_migration_over_http(api: Api, core: Juece) -> None:
    core.catalog = default_catalog(FIXTURES)
    did = in_consultation(core)
    before = api.get(f"decisions/{did}", "chief").get_json()
    dry = api.post(f"decisions/{did}/migrate", "admin1", json={"to": NEW, "basis": BASIS, "dry_run": True})
    assert dry.status_code == 200, dry.get_data(as_text=True)
    body = dry.get_json()
    assert body["dry_run"] and body["from"] == "cn-713@2019-09-01" and body["state"] == {"from": "consultation", "to": "consultation"}
    assert body["facts"]["rename"] == {"lead_unit": "lead_department"} and body["version"] == before["version"]
    assert api.get(f"decisions/{did}", "chief").get_json() == before

    problem(api.post(f"decisions/{did}/migrate", "admin1", json={"to": NEW, "basis": BASIS}), 403,
            "role_not_permitted")
    problem(api.post(f"decisions/{did}/migrate", "chief", json={"to": NEW, "basis": BASIS}), 403,
            "signing_password_required")
    problem(api.post(f"decisions/{did}/migrate", "chief", json={"to": "cn-713@2019-09-01", "basis": BASIS},
                     headers={SIGN: PASSWORD}), 409, "migration_not_newer")
    done = api.post(f"decisions/{did}/migrate", "chief", json={"to": NEW, "basis": BASIS}, headers={SIGN: PASSWORD})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["version"] == before["version"] + 1 and done.get_json()["hash"]
    assert api.get(f"decisions/{did}", "chief").get_json()["version"] == before["version"] + 1
