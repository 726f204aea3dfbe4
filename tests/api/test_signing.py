"""Signing over HTTP: the signer's password in ``Juece-Signing-Password`` or nothing is signed; deputy grants
and acts under them with ``Juece-Deputy-Grant``."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from tests.api.conftest import Api, problem
from tests.helpers import PASSWORD, Clock, new_decision, to_legality_review
from workflow.record import keys
from workflow.service import Juece

OPINION = {"outcome": "lawful", "opinion": "经审查合法"}
SIGN = "Juece-Signing-Password"


def at_review(core: Juece, clock: Clock) -> int:
    did = new_decision(core)
    to_legality_review(core, clock, did)
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": "合法"}, password=PASSWORD)
    return did


def test_a_signed_action_needs_the_signers_password_header(core: Juece, clock: Clock, api: Api) -> None:
    did = at_review(core, clock)
    problem(api.act(did, "sign_legality_opinion", "reviewer", OPINION), 403, "signing_password_required")
    body = problem(api.act(did, "sign_legality_opinion", "reviewer", OPINION, headers={SIGN: "api-test-secret"}), 403,
                   "signing_password_wrong")
    assert body["details"]["field"] == "password"
    assert api.get(f"decisions/{did}", "reviewer").get_json()["state"] == "legality_review"
    done = api.act(did, "sign_legality_opinion", "reviewer", OPINION, headers={SIGN: PASSWORD})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["decision"]["history"][-1]["signed"] is True
    assert api.get(f"decisions/{did}/audit/verify", "reviewer").get_json()["ok"] is True


def test_a_non_ascii_password_travels_as_utf8(core: Juece, clock: Clock, api: Api) -> None:
    did = at_review(core, clock)
    keys.change_password(core, "reviewer", "审查员自己的密码2026", PASSWORD)
    response = api.client.post(f"/api/v1/decisions/{did}/actions/sign_legality_opinion", json=OPINION, headers={
        "Authorization": f"Bearer {api.token('reviewer')}", SIGN: "审查员自己的密码2026".encode().decode("latin-1")})
    assert response.status_code == 200, response.get_data(as_text=True)


def test_the_openapi_document_says_how_to_sign(app: Flask) -> None:
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/decisions/{decision_id}/actions/sign_legality_opinion"]["post"]
    headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
    assert SIGN in headers and "Juece-Deputy-Grant" in headers
    assert "Juece-Signing-Password" in operation["description"]
    assert "/api/v1/deputies" in spec["paths"]


def test_a_deputy_grant_and_an_act_under_it(core: Juece, clock: Clock, api: Api) -> None:
    did = at_review(core, clock)
    grant = {"principal": "reviewer", "deputy": "member1", "role": "legal_reviewer", "reason": "审查员休假",
             "ends_at": (clock.now + dt.timedelta(days=3)).isoformat()}
    problem(api.post("deputies", "owner", json=grant, headers={SIGN: PASSWORD}), 403, "role_not_permitted")
    problem(api.post("deputies", "chief", json=grant), 403, "signing_password_required")
    created = api.post("deputies", "chief", json=grant, headers={SIGN: PASSWORD})
    assert created.status_code == 201, created.get_data(as_text=True)
    out = created.get_json()
    assert (out["status"], out["signature_ok"], out["granted_by"]) == ("in_force", True, "chief")
    acted = api.act(did, "sign_legality_opinion", "member1", OPINION,
                    headers={SIGN: PASSWORD, "Juece-Deputy-Grant": str(out["id"])})
    assert acted.status_code == 200, acted.get_data(as_text=True)
    last = acted.get_json()["decision"]["history"][-1]
    assert last["actor"] == "member1" and last["deputy"]["for"]["name"] == "reviewer"
    clock.advance(days=4)
    problem(api.act(did, "return_materials", "member1", {"reason": "补正"},
                    headers={"Juece-Deputy-Grant": str(out["id"])}), 403, "deputy_grant_expired")
    assert [g["status"] for g in api.get("deputies", "owner").get_json()["items"]] == ["expired"]
