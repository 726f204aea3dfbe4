"""Who may do what: sign-in, lock-out, CSRF, cookies, and the role × action matrix over every action."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask

from tests.helpers import Clock, local_iso, new_decision, to_consultation
from tests.web.conftest import PASSWORD, ROLE_OF, People, post_action, token
from workflow.engine.definition import ROLES
from workflow.service import Juece


def test_pages_need_sign_in_and_healthz_does_not(app: Flask) -> None:
    client = app.test_client()
    for path in ("/", "/catalogue", "/decisions/1", "/admin/users", "/catalogue.csv"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    assert client.get("/healthz").json == {"status": "ok"}


def test_sign_in_cookie_flags_and_sign_out(app: Flask, people: People) -> None:
    people.ensure("owner")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"csrf_token": token(page), "username": "owner", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert response.status_code == 302 and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    inbox = client.get("/").get_data(as_text=True)
    assert "我的待办" in inbox
    assert client.post("/logout", data={}).status_code == 302 and client.get("/").status_code == 200  # no token
    client.post("/logout", data={"csrf_token": token(inbox)})
    assert client.get("/").status_code == 302


def test_login_without_csrf_token_is_refused(app: Flask, people: People) -> None:
    people.ensure("owner")
    client = app.test_client()
    client.get("/login")
    response = client.post("/login", data={"username": "owner", "password": PASSWORD})
    assert response.status_code == 400 and client.get("/").status_code == 302


def test_repeated_failures_lock_the_name(app: Flask, people: People) -> None:
    people.ensure("reviewer")
    client = app.test_client()
    for _ in range(5):
        page = client.get("/login").get_data(as_text=True)
        bad = client.post("/login", data={"csrf_token": token(page), "username": "reviewer", "password": "wrong-one"})
        assert bad.status_code == 401 and "用户名或密码不正确" in bad.get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    locked = client.post("/login", data={"csrf_token": token(page), "username": "reviewer", "password": PASSWORD})
    assert locked.status_code == 429 and "尝试次数过多" in locked.get_data(as_text=True)


def test_a_form_without_its_token_changes_nothing(core: Juece, people: People) -> None:
    did = new_decision(core)
    client = people.client("owner")
    response = client.post(f"/decisions/{did}/act/initiate", data={"initiate-owner_unit": "城建办",
                                                                    "initiate-expected_version": "1"})
    assert response.status_code == 400
    with core.db.read() as conn:
        assert conn.exec_driver_sql(f"SELECT state FROM decision WHERE id = {did}").scalar() == "proposed"


def test_another_offices_decision_is_not_found(core: Juece, people: People) -> None:
    theirs = core.create_decision("cn-713", "外街道的事项", "outsider")
    client = people.client("owner")
    assert client.get(f"/decisions/{theirs}").status_code == 404
    assert client.get(f"/decisions/{theirs}/documents/{'0' * 64}").status_code == 404
    assert post_action(client, theirs, "initiate", {"owner_unit": "城建办"}, version=1).status_code == 404
    assert "外街道的事项" not in client.get("/catalogue").get_data(as_text=True)
    outsider = people.client("outsider")
    assert outsider.get(f"/decisions/{theirs}").status_code == 200


def test_admin_pages_are_for_admins_only(people: People) -> None:
    assert people.client("owner").get("/admin/users").status_code == 403
    assert people.client("chief").get("/admin/office").status_code == 403
    admin = people.client("admin")
    for path in ("/admin/users", "/admin/office", "/admin/calendar"):
        assert admin.get(path).status_code == 200


def _allowed(action_roles: tuple[str, ...], role: str) -> bool:
    return "any" in action_roles or role in action_roles


def test_role_action_matrix(core: Juece, clock: Clock, people: People) -> None:
    """Every action by every role: 403 exactly where the definition does not name the role."""
    did = new_decision(core, ["technical"])
    to_consultation(core, did, ["technical"])
    # Put out for comment, so that the citizen sees the decision at all (an internal one is a 404 for
    # them: tests/web/test_public_pages.py) and the matrix is about roles.
    core.act(did, "open_public_comment", "owner", {
        "opens_at": local_iso(clock.now), "closes_at": local_iso(clock.now + dt.timedelta(days=32))})
    procedure = core.catalog.current("cn-713", clock.now.date())
    persons = dict(ROLE_OF) | {"admin": "admin"}
    assert set(persons.values()) == ROLES, "every role has a person in the matrix"
    clients = {name: people.client(name) for name in persons}
    tokens = {name: token(client.get("/").get_data(as_text=True)) for name, client in clients.items()}
    checked = 0
    for name, role in persons.items():
        for action in procedure.actions.values():
            with core.db.read() as conn:
                version = conn.exec_driver_sql(f"SELECT version FROM decision WHERE id = {did}").scalar()
            response = clients[name].post(f"/decisions/{did}/act/{action.id}", data={
                f"{action.id}-csrf_token": tokens[name], f"{action.id}-expected_version": str(version)})
            if _allowed(action.roles, role):
                assert response.status_code != 403, (name, action.id, response.status_code)
            else:
                assert response.status_code == 403, (name, action.id, response.status_code)
            checked += 1
    assert checked == len(persons) * len(procedure.actions)


@pytest.mark.parametrize("name", ["owner2"])
def test_owner_unit_colleague_may_act_after_initiation(core: Juece, people: People, name: str) -> None:
    did = new_decision(core)
    client = people.client(name)
    assert post_action(client, did, "initiate", {"owner_unit": "城建办"}).status_code == 403
    core.act(did, "initiate", "owner", {"owner_unit": "城建办"})
    assert post_action(client, did, "upload_draft", {"content__text": "草案"}).status_code == 303
