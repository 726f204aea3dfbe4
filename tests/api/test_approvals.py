"""Approvals over HTTP: the owner's withdrawal answers 202 as a request; a chief of the office confirms it,
signed with ``Juece-Signing-Password``, or declines it; another office's chief gets 404."""

from __future__ import annotations

from tests.api.conftest import Api, problem
from tests.helpers import PASSWORD, new_decision, to_consultation
from workflow.service import Juece

SIGN = "Juece-Signing-Password"


def _requested(api: Api, core: Juece) -> tuple[int, int]:
    did = new_decision(core)
    to_consultation(core, did)
    answer = api.act(did, "withdraw", "owner", {"reason": "上级政策调整"})
    assert answer.status_code == 202, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["state"] == body["from_state"] == "consultation" and body["approval_request"] == body["version"]
    return did, int(body["approval_request"])


def test_a_typed_approver_is_refused(api: Api, core: Juece) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    body = api.act(did, "withdraw", "owner", {"reason": "上级政策调整", "approver": "chief"})
    assert body.status_code in (400, 422)
    assert "approver" in body.get_data(as_text=True)
    assert api.get(f"decisions/{did}", "owner").get_json()["state"] == "consultation"


def test_request_then_signed_confirmation_over_http(api: Api, core: Juece) -> None:
    did, request = _requested(api, core)
    listed = api.get(f"decisions/{did}/approvals", "chief").get_json()["items"]
    assert [(r["seq"], r["action"], r["requested_by"]) for r in listed] == [(request, "withdraw", "owner")]
    problem(api.post(f"decisions/{did}/approvals/{request}/confirm", "outsider", headers={SIGN: PASSWORD}), 404)
    problem(api.post(f"decisions/{did}/approvals/{request}/confirm", "owner", headers={SIGN: PASSWORD}), 403)
    problem(api.post(f"decisions/{did}/approvals/{request}/confirm", "chief"), 403, "signing_password_required")
    problem(api.post(f"decisions/{did}/approvals/{request}/confirm", "chief", headers={SIGN: "wrong"}), 403,
            "signing_password_wrong")
    done = api.post(f"decisions/{did}/approvals/{request}/confirm", "chief", headers={SIGN: PASSWORD})
    assert done.status_code == 200, done.get_data(as_text=True)
    last = done.get_json()["decision"]["history"][-1]
    assert done.get_json()["state"] == "terminated" and last["signed"]
    assert last["actor"] == "chief" and last["approval"]["requested_by"] == "owner"


def test_decline_over_http_leaves_the_decision(api: Api, core: Juece) -> None:
    did, request = _requested(api, core)
    problem(api.post(f"decisions/{did}/approvals/{request}/decline", "chief", json={}), 400)
    declined = api.post(f"decisions/{did}/approvals/{request}/decline", "chief", json={"reason": "仍需推进"})
    assert declined.status_code == 200 and declined.get_json()["request"] == request
    assert api.get(f"decisions/{did}", "owner").get_json()["state"] == "consultation"
    assert api.get(f"decisions/{did}/approvals", "chief").get_json()["items"] == []


def test_the_chief_withdraws_directly_with_their_password(api: Api, core: Juece) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    problem(api.act(did, "withdraw", "chief", {"reason": "政策调整"}), 403, "signing_password_required")
    done = api.act(did, "withdraw", "chief", {"reason": "政策调整"}, headers={SIGN: PASSWORD})
    assert done.status_code == 200 and done.get_json()["state"] == "terminated"
    assert done.get_json()["approval_request"] is None
