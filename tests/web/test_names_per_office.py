"""Two people called 张伟, one in 古塘街道 (A) and one in 外街道 (B), on the pages.

Each signs in with the same form (no office needed while only one of them has that password), acts in
their own office, and finds the other's decisions, notifications and catalogue rows nowhere.
"""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from tests.helpers import PASSWORD, Clock, run_public_comment, to_consultation
from tests.web.conftest import People, post_action, token
from workflow.admin import offices as admin
from workflow.admin.people import Named
from workflow.notices import alerts
from workflow.persistence.store import ORG, N, Store
from workflow.record import keys
from workflow.service import Juece

ZW = "张伟"
A, B = "古塘街道", "外街道"
B_PASSWORD = "b-office-own-password"
A_TITLE, B_TITLE = "古塘 界牌新潮塘改造", "外街道 老街旧改"


def _office(core: Juece, name: str) -> int:
    with core.db.read() as conn:
        return int(conn.execute(select(ORG.c.id).where(ORG.c.name == name)).scalar_one())


@pytest.fixture()
def zhangs(core: Juece, app: Flask) -> tuple[Named, Named]:
    """张伟 of A and 张伟 of B, owners and chief executives, each with their own password."""
    for office in (A, B):
        admin.add_user(core, ZW, ["owner", "chief_executive"], office, unit="城建办")
    a, b = Named(ZW, _office(core, A)), Named(ZW, _office(core, B))
    keys.change_password(core, a, PASSWORD)
    keys.change_password(core, b, B_PASSWORD)
    return a, b


def sign_in(app: Flask, name: str, password: str, office: str = "") -> tuple[FlaskClient, int]:
    """A client after posting the login form; the status of that post."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"csrf_token": token(page), "username": name, "password": password,
                                           "office": office})
    return client, response.status_code


def test_each_zhang_signs_in_acts_and_sees_only_their_own_office(
        core: Juece, app: Flask, zhangs: tuple[Named, Named]) -> None:
    a, b = zhangs
    a_did = core.create_decision("cn-713", A_TITLE, a, [])
    b_did = core.create_decision("cn-713", B_TITLE, b, [])
    a_client, a_status = sign_in(app, ZW, PASSWORD)
    b_client, b_status = sign_in(app, ZW, B_PASSWORD)
    assert a_status == b_status == 302
    assert post_action(a_client, a_did, "initiate", {"owner_unit": "城建办"}).status_code == 303
    assert post_action(b_client, b_did, "initiate", {"owner_unit": "城建办"}).status_code == 303
    with core.db.read() as conn:
        st = Store(conn)
        assert (st.lock_decision(a_did).state, st.lock_decision(b_did).state) == ("drafting", "drafting")
        actors = {did: st.last_event(f"decision:{did}").event["actor"]["id"] for did in (a_did, b_did)}
        assert actors == {a_did: st.actor(a).id, b_did: st.actor(b).id}
    for client, own, other, other_title in ((a_client, a_did, b_did, B_TITLE), (b_client, b_did, a_did, A_TITLE)):
        assert client.get(f"/decisions/{other}").status_code == 404
        assert client.get(f"/decisions/{own}").status_code == 200
        assert post_action(client, other, "withdraw", {"reason": "x", "approver": ZW}).status_code == 404
        for page in ("/", "/catalogue", "/catalogue.csv"):
            assert other_title not in client.get(page).get_data(as_text=True)
        book = load_workbook(io.BytesIO(client.get("/catalogue.xlsx").data))
        cells = {str(c.value) for row in book.active.iter_rows() for c in row}  # type: ignore[union-attr]
        assert other_title not in cells


def test_the_office_field_decides_when_both_zhangs_share_a_password(
        core: Juece, app: Flask, zhangs: tuple[Named, Named]) -> None:
    a, b = zhangs
    keys.change_password(core, b, PASSWORD, current=B_PASSWORD)
    _, status = sign_in(app, ZW, PASSWORD)
    assert status == 401  # the same answer as a wrong password: nothing said of another office
    client, status = sign_in(app, ZW, PASSWORD, office=B)
    assert status == 302
    assert B in client.get("/").get_data(as_text=True)
    _, status = sign_in(app, ZW, B_PASSWORD, office=A)
    assert status == 401
    page = app.test_client().get("/login").get_data(as_text=True)
    assert 'name="office"' in page and "autocomplete=\"organization\"" in page


def test_adding_a_name_another_office_uses_reveals_nothing(core: Juece, app: Flask, people: People) -> None:
    admin.add_user(core, "admin2", ["admin"], B, unit="党政办")
    admin.add_user(core, ZW, ["owner"], A)
    client = people.client("admin2")

    def add(name: str) -> str:
        page = client.get("/admin/users").get_data(as_text=True)
        fields = {"which": "add", "add-csrf_token": token(page), "add-name": name, "add-roles": "owner",
                  "add-unit": "城建办"}
        return client.post("/admin/users", data=fields, follow_redirects=True).get_data(as_text=True)

    taken_elsewhere, fresh = add(ZW), add("李娜")
    assert "已添加人员：张伟" in taken_elsewhere and "已添加人员：李娜" in fresh
    assert A not in taken_elsewhere and "已存在" not in taken_elsewhere
    assert "已存在" in add(ZW)  # within the office it is a duplicate


def test_another_offices_notification_is_not_found(core: Juece, clock: Clock, people: People) -> None:
    did = core.create_decision("cn-713", A_TITLE, "owner", [])
    to_consultation(core, did)
    run_public_comment(core, clock, did)
    alerts.scan(core)
    with core.db.read() as conn:
        notes = conn.execute(select(N.c.id, N.c.subject).where(N.c.decision_id == did)).all()
    assert notes
    outsider = people.client("outsider")
    inbox = outsider.get("/").get_data(as_text=True)
    assert all(str(n.subject) not in inbox for n in notes)
    refused = outsider.post(f"/notifications/{notes[0].id}/ack", data={"csrf_token": token(inbox)})
    assert refused.status_code == 404
    with core.db.read() as conn:
        assert conn.execute(select(N.c.acknowledged_at).where(N.c.id == notes[0].id)).scalar() is None
