"""Idempotency-Key on POST and the rate limit per token."""

from __future__ import annotations

import hashlib

from flask import Flask
from sqlalchemy import insert

from tests.api.conftest import Api, problem
from tests.helpers import new_decision
from workflow.persistence.api_models import IdempotencyKey
from workflow.persistence.store import naive
from workflow.service import Juece


def test_a_retried_action_acts_once(api: Api, core: Juece) -> None:
    did = new_decision(core)
    key = {"Idempotency-Key": "initiate-7f3a"}
    first = api.act(did, "initiate", data={"owner_unit": "城建办"}, headers=key)
    again = api.act(did, "initiate", data={"owner_unit": "城建办"}, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert again.get_json() == first.get_json() and again.headers["ETag"] == first.headers["ETag"]
    assert [h["action"] for h in api.get(f"decisions/{did}").get_json()["history"]] == ["create", "initiate"]
    # The same key with a different request is refused; a refusal is replayed like a success.
    problem(api.act(did, "initiate", data={"owner_unit": "别的"}, headers=key), 422, "idempotency_key_reused")
    refused = api.act(did, "start_consultation", data={}, headers={"Idempotency-Key": "k2"})
    problem(refused, 422, "draft_required")
    assert api.act(did, "start_consultation", data={}, headers={"Idempotency-Key": "k2"}).headers[
        "Idempotent-Replayed"] == "true"
    # Keys belong to the token: another person's same key is another request.
    assert api.act(did, "upload_draft", "owner2", {"content": "稿"}, headers=key).status_code == 200
    # Creating decisions too.
    body = {"procedure": "cn-713", "title": "重复提交"}
    one = api.post("decisions", json=body, headers={"Idempotency-Key": "create-1"})
    two = api.post("decisions", json=body, headers={"Idempotency-Key": "create-1"})
    assert one.status_code == two.status_code == 201 and one.get_json()["id"] == two.get_json()["id"]
    assert two.headers["Location"] == one.headers["Location"]
    assert problem(api.post("decisions", json=body, headers={"Idempotency-Key": "bad key"}), 400)["field"] == \
        "Idempotency-Key"


def test_a_request_still_in_progress_is_a_conflict(api: Api, core: Juece) -> None:
    did = new_decision(core)
    token_id = api.get("me").get_json()["token_id"]
    path = f"/api/v1/decisions/{did}/actions/initiate"
    body = '{"owner_unit": "城建办"}'.encode()
    digest = hashlib.sha256(b"POST\n" + path.encode() + b"\n\n" + body).hexdigest()
    with core.db.write() as conn:
        conn.execute(insert(IdempotencyKey.__table__).values(
            token_id=token_id, key="busy", method="POST", path=path, request_hash=digest, status="processing",
            created_at=naive(core.clock())))
    sent = api.post(path, data=body, content_type="application/json", headers={"Idempotency-Key": "busy"})
    problem(sent, 409, "idempotency_key_in_use")
    assert api.get(f"decisions/{did}").get_json()["version"] == 1


def test_keys_expire_after_a_day(api: Api, core: Juece) -> None:
    did = new_decision(core)
    headers = {"Idempotency-Key": "daily"}
    assert api.act(did, "initiate", data={"owner_unit": "城建办"}, headers=headers).status_code == 200
    core.clock.advance(hours=25)  # type: ignore[attr-defined]
    problem(api.act(did, "initiate", data={"owner_unit": "城建办"}, headers=headers), 409, "action_not_allowed")


def test_rate_limit_per_token(api: Api, app: Flask) -> None:
    app.config["JUECE_API_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        assert api.get("me", "owner").status_code == 200
    limited = api.get("me", "owner")
    body = problem(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1 and limited.headers["X-RateLimit-Remaining"] == "0"
    assert body["message_zh"]
    assert api.get("me", "owner2").status_code == 200  # another token has its own budget
