"""Tokens: only a bearer token authenticates; it expires, can be revoked, is stored hashed, and acts with
exactly its person's roles and office."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import select, update

from tests.api.conftest import Api, problem
from tests.helpers import Clock, new_decision
from workflow.admin.tokens import create_token, hash_secret
from workflow.persistence.api_models import ApiToken
from workflow.persistence.store import E, U
from workflow.record.audit import verify_all
from workflow.service import Juece


def _operations(app: Flask) -> list[tuple[str, str]]:
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    out = []
    for path, ops in spec["paths"].items():
        concrete = (path.replace("{decision_id}", "1").replace("{user_id}", "1").replace("{token_id}", "1")
                    .replace("{notification_id}", "1").replace("{key}", "cn-713").replace("{sha256}", "0" * 64)
                    .replace("{request}", "1").replace("{action}", "record_meeting").replace("{grant_id}", "1"))
        out += [(method.upper(), concrete) for method in ops if method != "parameters"]
    return out


def test_every_operation_needs_a_bearer_token(api: Api, app: Flask) -> None:
    operations = _operations(app)
    assert len(operations) > 50
    for method, path in operations:
        response = api.call(method, path, None, json={})
        body = problem(response, 401, "token_missing")
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), (method, path)
        assert body["instance"] == path
        # A session cookie is never a credential for the API.
        api.client.set_cookie("session", "anything-a-browser-might-send")
        problem(api.call(method, path, None, json={}), 401, "token_missing")
        api.client.delete_cookie("session")


def test_unknown_expired_and_revoked_tokens(api: Api, core: Juece, clock: Clock) -> None:
    problem(api.get("me", None, headers={"Authorization": "Bearer jc_not-a-real-token"}), 401, "token_invalid")
    problem(api.get("me", None, headers={"Authorization": "Basic b3duZXI6cHc="}), 401, "token_missing")
    issued = create_token(core, "owner", days=1, by="admin1")
    bearer = {"Authorization": f"Bearer {issued.secret}"}
    assert api.get("me", None, headers=bearer).get_json()["user"] == "owner"
    clock.advance(days=1, seconds=1)
    body = problem(api.get("me", None, headers=bearer), 401, "token_expired")
    assert "expired_at" in body["details"]
    # Revoked: by its owner, at once.
    mine = api.get("me").get_json()["token_id"]
    revoked = api.call("DELETE", f"tokens/{mine}")
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"]
    problem(api.get("me"), 401, "token_revoked")


def test_token_of_a_deactivated_person_stops_working(api: Api, core: Juece) -> None:
    assert api.get("me", "owner2").status_code == 200
    with core.db.write() as conn:
        conn.execute(update(U).where(U.c.name == "owner2").values(active=False))
    problem(api.get("me", "owner2"), 401, "user_inactive")


def test_secrets_are_stored_hashed_and_audited(api: Api, core: Juece) -> None:
    secret = api.token("reviewer")
    with core.db.read() as conn:
        row = conn.execute(select(ApiToken.token_hash, ApiToken.prefix)).first()
        assert row is not None and row.token_hash == hash_secret(secret) and secret not in row.token_hash
        assert secret.startswith(row.prefix) and len(secret) > 40
        events = [r.action for r in conn.execute(select(E.c.action).where(E.c.stream == "system"))]
        assert "api_token_created" in events
        assert verify_all(conn, core.catalog).ok


def test_a_token_acts_with_its_persons_roles_only(api: Api, core: Juece) -> None:
    did = new_decision(core)
    body = problem(api.act(did, "decline", "reviewer", {"reason": "x"}), 403, "role_not_permitted")
    assert body["details"]["action"] == "decline"
    problem(api.post("decisions", "reviewer", json={"procedure": "cn-713", "title": "t"}), 403, "role_not_permitted")
    assert api.get("me", "reviewer").get_json()["roles"] == ["legal_reviewer"]


def test_admin_issues_lists_and_revokes_tokens(api: Api, core: Juece) -> None:
    users = api.get("users", "admin1").get_json()["items"]
    owner_id = next(u["id"] for u in users if u["name"] == "owner")
    assert {u["office"] for u in users} == {"古塘街道"}
    created = api.post(f"users/{owner_id}/tokens", "admin1", json={"name": "ci", "days": 30})
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    token = created.get_json()
    assert token["token"].startswith("jc_") and token["user"] == "owner"
    expires = dt.datetime.fromisoformat(token["expires_at"].replace("Z", "+00:00"))
    assert expires - core.clock() == dt.timedelta(days=30)
    me = api.get("me", None, headers={"Authorization": f"Bearer {token['token']}"}).get_json()
    assert me["user"] == "owner" and me["office"] == "古塘街道"
    listed = api.get(f"users/{owner_id}/tokens", "admin1").get_json()["items"]
    assert [t["name"] for t in listed] == ["ci"] and "token" not in listed[0]
    # Only administrators issue tokens and list people.
    problem(api.post(f"users/{owner_id}/tokens", "owner", json={}), 403, "admin_only")
    problem(api.get("users", "owner"), 403, "admin_only")
    # An owner sees and revokes their own tokens only.
    own = api.get("tokens", "owner").get_json()["items"]
    assert {t["user"] for t in own} == {"owner"}
    other = api.get("tokens", "admin1").get_json()["items"]
    reviewer_token = create_token(core, "reviewer", by="admin1")
    problem(api.call("DELETE", f"tokens/{reviewer_token.id}", "owner"), 403)
    assert api.call("DELETE", f"tokens/{reviewer_token.id}", "admin1").status_code == 200
    assert len(other) >= 2
    # Bad requests name the field.
    assert problem(api.post(f"users/{owner_id}/tokens", "admin1", json={"days": 0}), 400)["field"] == "days"
    assert problem(api.post(f"users/{owner_id}/tokens", "admin1", json={"days": 1, "expires_at": "2026-04-01T00:00:00Z"}),
                   400)["field"] == "days"


def test_admin_adds_people_to_their_own_office(api: Api) -> None:
    created = api.post("users", "admin1", json={"name": "新同事", "roles": ["owner"], "unit": "城建办"})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["office"] == "古塘街道"
    body = problem(api.post("users", "admin1", json={"name": "新同事", "roles": ["owner"]}), 409, "already_exists")
    assert body["field"] == "name"
    assert problem(api.post("users", "admin1", json={"name": "x", "roles": ["boss"]}), 400)["field"] == "role"
    assert problem(api.post("users", "admin1", json={"roles": ["owner"]}), 400)["field"] == "name"
