"""Two people called 张伟 in two offices, through the REST API: each token speaks for its own 张伟.

Each creates, acts and signs in their own office; the other's decision, grant and token are 404; and an
administrator adding a name another office uses learns nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.api.conftest import Api, problem
from tests.helpers import PASSWORD
from workflow.admin import deputies, tokens
from workflow.admin import offices as admin
from workflow.admin.people import Named
from workflow.persistence.store import ORG, U
from workflow.record import keys
from workflow.service import Juece

ZW = "张伟"
A, B = "古塘街道", "外街道"
B_PASSWORD = "b-office-own-password"


def _office(core: Juece, name: str) -> int:
    with core.db.read() as conn:
        return int(conn.execute(select(ORG.c.id).where(ORG.c.name == name)).scalar_one())


@pytest.fixture()
def zhangs(core: Juece, api: Api) -> tuple[Named, Named]:
    """张伟 of A and of B (owners and chief executives, own passwords), each with an API token."""
    for office in (A, B):
        admin.add_user(core, ZW, ["owner", "chief_executive", "legal_reviewer"], office, unit="城建办")
    a, b = Named(ZW, _office(core, A)), Named(ZW, _office(core, B))
    keys.change_password(core, a, PASSWORD)
    keys.change_password(core, b, B_PASSWORD)
    for label, who in (("zw-a", a), ("zw-b", b)):
        api.tokens[label] = tokens.create_token(core, who, name="tests", by="admin1").secret
    return a, b


def test_each_zhangs_token_creates_and_acts_in_their_own_office(api: Api, core: Juece,
                                                                 zhangs: tuple[Named, Named]) -> None:
    mine = {}
    for label, office in (("zw-a", A), ("zw-b", B)):
        me = api.get("me", label).get_json()
        assert (me["user"], me["office"]) == (ZW, office)
        created = api.post("decisions", label, json={"procedure": "cn-713", "title": f"{office} 旧改", "flags": []})
        assert created.status_code == 201, created.get_data(as_text=True)
        mine[label] = created.get_json()["id"]
        assert api.act(mine[label], "initiate", label, {"owner_unit": "城建办", "flags": []}).status_code == 200
    for label, other in (("zw-a", mine["zw-b"]), ("zw-b", mine["zw-a"])):
        problem(api.get(f"decisions/{other}", label), 404)
        problem(api.act(other, "withdraw", label, {"reason": "x"}), 404)
        assert other not in [d["id"] for d in api.get("decisions", label).get_json()["items"]]
    # 张伟 of office B withdraws as its chief, signed with B's 张伟's own password: the act is that person's.
    assert api.act(mine["zw-b"], "withdraw", "zw-b", {"reason": "政策调整"},
                   headers={"Juece-Signing-Password": PASSWORD}).status_code == 403  # A's 张伟's password
    withdrawn = api.act(mine["zw-b"], "withdraw", "zw-b", {"reason": "政策调整"},
                        headers={"Juece-Signing-Password": B_PASSWORD})
    assert withdrawn.status_code == 200, withdrawn.get_data(as_text=True)
    with core.db.read() as conn:
        b_zhang = conn.execute(select(U.c.id).where(U.c.name == ZW, U.c.org_id == _office(core, B))).scalar_one()
    event = api.get(f"decisions/{mine['zw-b']}/audit", "zw-b").get_json()["items"][-1]["event"]
    assert event["actor"]["id"] == b_zhang and event["signature"]


def test_each_zhang_signs_with_their_own_password_only(api: Api, core: Juece, zhangs: tuple[Named, Named]) -> None:
    a, _ = zhangs
    with core.db.read() as conn:
        assert [k["usable"] for k in keys.keys_of(conn, a)] == [True]
    granted = deputies.grant(core, a, "chief", "owner", "chief_executive", dt.datetime(2026, 3, 20, tzinfo=dt.UTC),
                             "出差", PASSWORD)
    # B's 张伟 cannot revoke A's grant (it does not exist for B), whatever the password.
    for password in (PASSWORD, B_PASSWORD):
        problem(api.post(f"deputies/{granted}/revoke", "zw-b", json={"reason": "x"},
                         headers={"X-Signing-Password": password}), 404)
    assert all(g["id"] != granted for g in api.get("deputies", "zw-b").get_json()["items"])


def test_an_admin_adding_a_name_used_elsewhere_learns_nothing(api: Api, core: Juece) -> None:
    admin.add_user(core, ZW, ["owner"], A)
    taken_elsewhere = api.post("users", "admin2", json={"name": ZW, "roles": ["owner"]})
    fresh = api.post("users", "admin2", json={"name": "李娜", "roles": ["owner"]})
    assert taken_elsewhere.status_code == fresh.status_code == 201
    assert set(taken_elsewhere.get_json()) == set(fresh.get_json())
    assert taken_elsewhere.get_json()["office"] == B and A not in taken_elsewhere.get_data(as_text=True)
    problem(api.post("users", "admin2", json={"name": ZW, "roles": ["owner"]}), 409, "already_exists")
    names = [u["name"] for u in api.get("users", "admin2").get_json()["items"]]
    assert names.count(ZW) == 1
    # Each office's 张伟 gets a token from their own administrator only.
    b_zhang = next(u["id"] for u in api.get("users", "admin2").get_json()["items"] if u["name"] == ZW)
    problem(api.post(f"users/{b_zhang}/tokens", "admin1", json={}), 404)
    issued = api.post(f"users/{b_zhang}/tokens", "admin2", json={})
    assert issued.status_code == 201
    assert api.get("me", headers={"Authorization": f"Bearer {issued.get_json()['token']}"}, user=None
                   ).get_json()["office"] == B
