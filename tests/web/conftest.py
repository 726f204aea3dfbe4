"""Fixtures for the web tests: the app over the test core, people with passwords, signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from api import create_app
from config.settings import Settings
from tests.helpers import PASSWORD, PEOPLE
from workflow.admin import offices as admin
from workflow.persistence.store import U
from workflow.record import keys
from workflow.service import Juece

TOKEN = re.compile(r'name="(?:[\w-]+-)?csrf_token" type="hidden" value="([^"]+)"')
ROLE_OF = {name: roles[0] for name, roles, _unit, org in PEOPLE if len(roles) == 1 and org == "古塘街道"}


def make_app(core: Juece, instance: Path, **more: Any) -> Flask:
    """The web app over ``core`` (its clock, database and secret), with ``more`` settings."""
    settings = Settings(instance_dir=instance, database_url=core.db.url, broker_url="memory://",
                        secret_key="web-test-secret", **more)
    app = create_app(settings, core)
    app.config["TESTING"] = True
    return app


class People:
    """Gives people without one their own password on first use, and signs them in."""

    def __init__(self, core: Juece, app: Flask) -> None:
        self.core, self.app = core, app
        self.ready: set[str] = set()

    def ensure(self, name: str) -> None:
        """Give ``name`` the test password as their own (once), unless they chose it already."""
        if name not in self.ready:
            with self.core.db.read() as conn:
                chosen = conn.execute(select(U.c.password_hash).where(U.c.name == name)).scalar()
            if chosen is None:
                keys.change_password(self.core, name, PASSWORD)
            self.ready.add(name)

    def client(self, name: str) -> FlaskClient:
        """A test client signed in as ``name``."""
        self.ensure(name)
        client = self.app.test_client()
        page = client.get("/login").get_data(as_text=True)
        response = client.post("/login", data={"csrf_token": token(page), "username": name, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client


def token(page: str) -> str:
    """The CSRF token in a rendered page."""
    found = TOKEN.search(page)
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.fixture()
def app(core: Juece, tmp_path: Path) -> Flask:
    """The web application over the test core, with an administrator in the test office."""
    admin.add_user(core, "admin", ["admin"], "古塘街道", unit="党政综合办")
    return make_app(core, tmp_path)


@pytest.fixture()
def people(core: Juece, app: Flask) -> People:
    """Signs people of the test office in."""
    return People(core, app)


def post_action(client: FlaskClient, decision_id: int, action: str, data: dict[str, Any],
                version: int | None = None) -> Any:
    """Submit a step form the way the page does (prefixed fields, CSRF token, expected version)."""
    page = client.get(f"/decisions/{decision_id}").get_data(as_text=True)
    found = re.search(r'name="[\w-]*expected_version" type="hidden" value="(\d+)"', page)
    fields = {f"{action}-{k}": v for k, v in data.items()}
    fields[f"{action}-csrf_token"] = token(page)
    fields[f"{action}-expected_version"] = str(version if version is not None else (found.group(1) if found else 1))
    return client.post(f"/decisions/{decision_id}/act/{action}", data=fields, content_type="multipart/form-data")


Poster = Callable[..., Any]
