"""Sign-in that really ends: server-side sessions end on sign-out, password change or reset, deactivation and
role change (a copied cookie stops working); the lock-out counts wrong signing passwords, lives in the
database (a new app over the same database still sees it) and trusts X-Forwarded-For only when told to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.helpers import Clock, new_decision, to_legality_review
from tests.web.conftest import PASSWORD, People, make_app, post_action, token
from workflow.admin import offices as admin
from workflow.admin import sessions
from workflow.persistence.db import Database
from workflow.persistence.store import E
from workflow.service import Juece

OPINION = {"outcome": "lawful", "opinion__text": "经审查合法"}


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """A second browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    other = app.test_client()
    other.set_cookie("session", cookie.value)
    return other


def signed_in(client: FlaskClient) -> bool:
    """Whether the client's cookie still opens the inbox."""
    return client.get("/").status_code == 200


def login(client: FlaskClient, name: str, password: str, **headers: str) -> Any:
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"csrf_token": token(page), "username": name, "password": password},
                       headers=headers)


def system_actions(core: Juece) -> list[str]:
    with core.db.read() as conn:
        return [str(a) for a in conn.execute(select(E.c.action).where(E.c.stream == "system").order_by(E.c.seq))
                .scalars()]


def test_sign_out_ends_a_copied_cookie(app: Flask, people: People) -> None:
    client = people.client("owner")
    stolen = copy_of(app, client)
    assert signed_in(stolen)
    inbox = client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token(inbox)})
    assert not signed_in(client) and not signed_in(stolen)


def test_own_password_change_ends_other_sessions_and_keeps_this_one(app: Flask, people: People) -> None:
    client = people.client("owner")
    stolen = copy_of(app, client)
    account = client.get("/account").get_data(as_text=True)
    changed = client.post("/account", data={"csrf_token": token(account), "current_password": PASSWORD,
                                            "new_password": "a-new-password-2026", "confirm": "a-new-password-2026"})
    assert changed.status_code == 303
    assert signed_in(client) and not signed_in(stolen)


def test_admin_reset_and_role_change_end_sessions(core: Juece, app: Flask, people: People) -> None:
    client = people.client("owner")
    stolen = copy_of(app, client)
    admin.set_password(core, "owner", "temporary-by-admin", by="admin")
    assert not signed_in(client) and not signed_in(stolen)
    again = app.test_client()
    assert login(again, "owner", "temporary-by-admin").status_code == 302 and signed_in(again)
    assert admin.set_roles(core, "owner", ["owner", "secretary"], by="admin") == 1
    assert not signed_in(again)
    assert "user_roles_changed" in system_actions(core)


def test_deactivation_on_the_admin_page(core: Juece, app: Flask, people: People) -> None:
    owner = people.client("owner")
    stolen = copy_of(app, owner)
    boss = people.client("admin")
    page = boss.get("/admin/users").get_data(as_text=True)
    done = boss.post("/admin/users", data={"active-csrf_token": token(page), "which": "active",
                                           "active-user": "owner", "do": "deactivate"})
    assert done.status_code == 303
    assert not signed_in(owner) and not signed_in(stolen)
    assert login(app.test_client(), "owner", PASSWORD).status_code == 401
    assert "已停用" in boss.get("/admin/users").get_data(as_text=True)
    page = boss.get("/admin/users").get_data(as_text=True)
    boss.post("/admin/users", data={"active-csrf_token": token(page), "which": "active", "active-user": "owner",
                                    "do": "reactivate"})
    assert login(app.test_client(), "owner", PASSWORD).status_code == 302
    assert system_actions(core)[-2:] == ["user_deactivated", "user_reactivated"]
    with pytest.raises(Exception, match="yourself"):
        admin.deactivate_user(core, "admin", by="admin")


def test_wrong_signing_passwords_lock_sign_in_and_signing(core: Juece, clock: Clock, app: Flask,
                                                          people: People) -> None:
    did = new_decision(core)
    to_legality_review(core, clock, did)
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": "合法"}, password=PASSWORD)
    client = people.client("reviewer")
    for _ in range(sessions.MAX_FAILURES):
        wrong = post_action(client, did, "sign_legality_opinion", OPINION | {"password": "not-my-password"})
        assert wrong.status_code == 403 and "密码不正确" in wrong.get_data(as_text=True)
    right = post_action(client, did, "sign_legality_opinion", OPINION | {"password": PASSWORD})
    assert right.status_code == 429
    assert login(app.test_client(), "reviewer", PASSWORD).status_code == 429
    # The engine refuses too, whatever the path (the command line signs through it).
    with pytest.raises(sessions.LockedOut):
        core.act(did, "sign_legality_opinion", "reviewer", {"outcome": "lawful", "opinion": "合法"}, password=PASSWORD)
    clock.advance(minutes=16)
    assert post_action(client, did, "sign_legality_opinion", OPINION | {"password": PASSWORD}).status_code == 303


def test_lock_out_survives_a_restart(core: Juece, database: Database, clock: Clock, app: Flask, people: People,
                                     tmp_path: Path) -> None:
    people.ensure("reviewer")
    for _ in range(sessions.MAX_FAILURES):
        assert login(app.test_client(), "reviewer", "wrong-password").status_code == 401
    # A new process: a new core and a new app over the same database.
    restarted = make_app(Juece(database, core.catalog, b"test-secret", clock, kdf=core.kdf), tmp_path / "again")
    assert login(restarted.test_client(), "reviewer", PASSWORD).status_code == 429


def test_x_forwarded_for_counts_only_behind_trusted_proxies(core: Juece, app: Flask, people: People,
                                                              tmp_path: Path) -> None:
    people.ensure("owner")
    sessions.record_failure(core, *[sessions.address_key("203.0.113.7")] * sessions.MAX_ADDRESS_FAILURES)
    forwarded = {"X-Forwarded-For": "203.0.113.7"}
    # Untrusted: the header is anyone's to write; the address is the peer's (the proxy's) own.
    assert login(app.test_client(), "owner", PASSWORD, **forwarded).status_code == 302
    assert login(app.test_client(), "owner", "wrong-password", **forwarded).status_code == 401
    assert sessions.locked(core, sessions.address_key("127.0.0.1"), 1)
    assert not sessions.locked(core, sessions.address_key("203.0.113.7"), sessions.MAX_ADDRESS_FAILURES + 1)
    trusted = make_app(core, tmp_path / "proxied", trusted_proxies=1)
    assert login(trusted.test_client(), "owner", PASSWORD, **forwarded).status_code == 429
    # Another client behind the same proxy is not locked out by that address.
    assert login(trusted.test_client(), "owner", PASSWORD, **{"X-Forwarded-For": "198.51.100.9"}).status_code == 302

