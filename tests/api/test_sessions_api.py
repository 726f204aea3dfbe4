"""Deactivation over HTTP (the person's tokens stop working), wrong signing passwords counted towards the
sign-in lock-out, and rate-limit counters kept in Redis (shared across processes, kept over a restart)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from api import create_app
from api.v1 import rate_limit_storage
from config.settings import Settings, SettingsError, load_settings
from tests.api.conftest import Api, problem
from tests.api.test_signing import OPINION, SIGN, at_review
from tests.helpers import PASSWORD, Clock
from tests.system import PrivateRedis
from workflow.admin import sessions, tokens
from workflow.service import Juece


def user_id(api: Api, name: str) -> int:
    people = api.get("users", "admin1").get_json()["items"]
    return next(int(p["id"]) for p in people if p["name"] == name)


def test_a_deactivated_persons_token_gets_401_until_reactivated(api: Api) -> None:
    assert api.get("me", "owner").status_code == 200
    owner = user_id(api, "owner")
    problem(api.post(f"users/{owner}/deactivate", "reviewer"), 403, "admin_only")
    done = api.post(f"users/{owner}/deactivate", "admin1")
    assert done.status_code == 200 and done.get_json()["active"] is False
    problem(api.get("me", "owner"), 401, "user_inactive")
    problem(api.post(f"users/{user_id(api, 'admin1')}/deactivate", "admin1"), 400, "cannot_deactivate_self")
    back = api.post(f"users/{owner}/reactivate", "admin1")
    assert back.status_code == 200 and back.get_json()["active"] is True
    assert api.get("me", "owner").status_code == 200


def test_wrong_signing_passwords_over_the_api_lock_the_signer(core: Juece, clock: Clock, api: Api) -> None:
    did = at_review(core, clock)
    for _ in range(sessions.MAX_FAILURES):
        problem(api.act(did, "sign_legality_opinion", "reviewer", OPINION, headers={SIGN: "guessed-password"}), 403,
                "signing_password_wrong")
    body = problem(api.act(did, "sign_legality_opinion", "reviewer", OPINION, headers={SIGN: PASSWORD}), 429,
                   "locked_out")
    assert "15" in body["message_en"]
    assert sessions.locked(core, sessions.name_key("reviewer"))  # the pages' sign-in is locked too
    clock.advance(minutes=16)
    assert api.act(did, "sign_legality_opinion", "reviewer", OPINION, headers={SIGN: PASSWORD}).status_code == 200


def test_rate_limit_storage_and_trusted_proxies_settings() -> None:
    assert rate_limit_storage(load_settings({"JUECE_BROKER_URL": "memory://"})) == "memory://"
    assert rate_limit_storage(load_settings({"JUECE_BROKER_URL": "redis://cache:6379/2"})) == "redis://cache:6379/2"
    assert rate_limit_storage(load_settings({"JUECE_RATE_LIMIT_STORAGE": "redis://other/5",
                                             "JUECE_BROKER_URL": "redis://cache/2"})) == "redis://other/5"
    assert load_settings({}).trusted_proxies == 0
    assert load_settings({"JUECE_TRUSTED_PROXIES": "2"}).trusted_proxies == 2
    with pytest.raises(SettingsError, match="JUECE_TRUSTED_PROXIES"):
        load_settings({"JUECE_TRUSTED_PROXIES": "yes"})


def test_rate_limit_counts_survive_a_restart_in_redis(core: Juece, tmp_path: Path) -> None:
    redis = PrivateRedis(tmp_path)
    redis.start()
    try:
        secret = tokens.create_token(core, "owner", by="owner").secret
        settings = Settings(instance_dir=tmp_path, database_url=core.db.url, broker_url=redis.url,
                            secret_key="api-test-secret")

        def worker() -> FlaskClient:
            app = create_app(settings, core)
            app.config.update(TESTING=True, JUECE_API_RATE_LIMIT="3 per hour")
            return app.test_client()

        first = worker()
        for _ in range(3):
            assert first.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        # Another worker, or the same one restarted: the count is in Redis, not in the process.
        refused = worker().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    finally:
        redis.stop()
