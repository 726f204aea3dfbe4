"""Fixtures for the REST API tests: the app over the test core, and clients that speak with a token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from api import create_app
from config.settings import Settings
from workflow.admin import offices as admin
from workflow.admin import tokens
from workflow.service import Juece

ADMINS = [("admin1", "古塘街道"), ("admin2", "外街道")]


def make_app(core: Juece, instance: Path) -> Flask:
    """The app over ``core`` with a rate limit that ordinary tests never reach."""
    settings = Settings(instance_dir=instance, database_url=core.db.url, broker_url="memory://",
                        secret_key="api-test-secret")
    app = create_app(settings, core)
    app.config["TESTING"] = True
    app.config["JUECE_API_RATE_LIMIT"] = "100000 per minute"
    return app


class Api:
    """Requests to /api/v1 as a person, each with a token issued on first use."""

    def __init__(self, core: Juece, app: Flask) -> None:
        self.core, self.app = core, app
        self.client = app.test_client()
        self.tokens: dict[str, str] = {}

    def token(self, user: str) -> str:
        """The token of ``user`` (issued once)."""
        if user not in self.tokens:
            self.tokens[user] = tokens.create_token(self.core, user, name="tests", by="admin1").secret
        return self.tokens[user]

    def call(self, method: str, path: str, user: str | None = "owner", *, headers: dict[str, str] | None = None,
             **kwargs: Any) -> TestResponse:
        """One request; ``user=None`` sends no token."""
        sent = dict(headers or {})
        if user is not None:
            sent.setdefault("Authorization", f"Bearer {self.token(user)}")
        url = path if path.startswith("/") else f"/api/v1/{path}"
        return self.client.open(url, method=method, headers=sent, **kwargs)

    def get(self, path: str, user: str | None = "owner", **kwargs: Any) -> TestResponse:
        return self.call("GET", path, user, **kwargs)

    def post(self, path: str, user: str | None = "owner", **kwargs: Any) -> TestResponse:
        return self.call("POST", path, user, **kwargs)

    def act(self, decision_id: int, action: str, user: str = "owner", data: dict[str, Any] | None = None,
            **kwargs: Any) -> TestResponse:
        """POST an action with its fields."""
        return self.post(f"decisions/{decision_id}/actions/{action}", user, json=data or {}, **kwargs)


@pytest.fixture()
def app(core: Juece, tmp_path: Path) -> Flask:
    """The application, with an administrator in each office."""
    for name, org in ADMINS:
        admin.add_user(core, name, ["admin"], org)
    return make_app(core, tmp_path)


@pytest.fixture()
def api(core: Juece, app: Flask) -> Api:
    """Token-carrying requests to the API."""
    return Api(core, app)


def problem(response: TestResponse, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert a problem document with ``status`` (and ``code``); return it."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json", response.mimetype
    body: dict[str, Any] = response.get_json(force=True)
    assert body["status"] == status and body["message_zh"] and body["message_en"]
    if code is not None:
        assert body["code"] == code, body
    return body
