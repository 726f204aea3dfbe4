"""One office's token never sees another office's data: it does not exist for it."""

from __future__ import annotations

from sqlalchemy import select

from tests.api.conftest import Api, problem
from tests.helpers import Clock, new_decision, run_public_comment, to_consultation
from workflow.notices import alerts
from workflow.persistence.store import N
from workflow.service import Juece


def test_another_offices_token_sees_nothing(api: Api, core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    sha = api.get(f"decisions/{did}").get_json()["documents"][0]["sha256"]
    mine = core.create_decision("cn-713", "外街道的决策", "outsider")

    assert [d["id"] for d in api.get("decisions", "outsider").get_json()["items"]] == [mine]
    assert all(d["id"] != mine for d in api.get("decisions", "owner").get_json()["items"])
    for path in (f"decisions/{did}", f"decisions/{did}/documents", f"decisions/{did}/comments",
                 f"decisions/{did}/audit", f"decisions/{did}/audit/verify", f"documents/{sha}"):
        problem(api.get(path, "outsider"), 404)
    # Acting, even with every role the action wants, finds no decision; a stale If-Match does not leak it.
    problem(api.act(did, "withdraw", "outsider", {"reason": "x"}), 404)
    problem(api.act(did, "withdraw", "outsider", {"reason": "x"}, headers={"If-Match": '"1.1"'}), 404)
    problem(api.get(f"decisions/{mine}", "owner"), 404)
    # People and tokens of the other office do not exist for its administrator.
    users = api.get("users", "admin2").get_json()["items"]
    assert {u["name"] for u in users} == {"outsider", "admin2"}
    owner_id = next(u["id"] for u in api.get("users", "admin1").get_json()["items"] if u["name"] == "owner")
    problem(api.get(f"users/{owner_id}/tokens", "admin2"), 404)
    problem(api.post(f"users/{owner_id}/tokens", "admin2", json={}), 404)
    api.token("owner")
    owner_token = api.get("me", "owner").get_json()["token_id"]
    problem(api.call("DELETE", f"tokens/{owner_token}", "admin2"), 404)
    assert all(t["user"] in ("outsider", "admin2") for t in api.get("tokens", "admin2").get_json()["items"])
    # A new person goes into the administrator's own office.
    created = api.post("users", "admin2", json={"name": "外街道同事", "roles": ["owner"]}).get_json()
    assert created["office"] == "外街道"


def test_notifications_are_the_persons_own(api: Api, core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    run_public_comment(core, clock, did)
    alerts.scan(core)
    inbox = api.get("notifications", "owner").get_json()["items"]
    assert inbox and all(n["decision_id"] == did for n in inbox)
    first = inbox[0]["id"]
    assert api.get("notifications", "outsider").get_json()["items"] == []
    assert api.get("notifications", "owner2").get_json()["items"] == []
    problem(api.post(f"notifications/{first}/acknowledge", "outsider"), 404)
    problem(api.post(f"notifications/{first}/acknowledge", "owner2"), 404)
    ack = api.post(f"notifications/{first}/acknowledge", "owner")
    assert ack.status_code == 200 and ack.get_json()["acknowledged_by"] == "owner"
    unacked = api.get("notifications?unacknowledged=true", "owner").get_json()["items"]
    assert first not in [n["id"] for n in unacked]
    with core.db.read() as conn:
        assert conn.execute(select(N.c.acknowledged_at).where(N.c.id == first)).scalar() is not None
