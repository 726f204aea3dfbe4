"""Approvals on the pages: the owner's withdrawal form is a request; the chief sees it in 我的待办 and on the
decision page, approves it with their own password or declines it; nobody else can answer it."""

from __future__ import annotations

import re

from tests.helpers import PASSWORD, new_decision, to_consultation
from tests.web.conftest import People, post_action, token
from workflow.persistence.store import Store
from workflow.record import approvals
from workflow.service import Juece


def _requested_on_the_page(core: Juece, people: People) -> tuple[int, int]:
    did = new_decision(core)
    to_consultation(core, did)
    owner = people.client("owner")
    form = owner.get(f"/decisions/{did}").get_data(as_text=True)
    assert "批准人" not in form  # no field to type an approver's name
    assert "申请：撤回决策事项" in form and "本操作须经行政首长批准" in form
    answer = post_action(owner, did, "withdraw", {"reason": "上级政策调整"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("#approvals")
    page = owner.get(f"/decisions/{did}").get_data(as_text=True)
    assert "待批准的申请" in page and "待行政首长签名批准" in page and "签名批准</button>" not in page
    return did, approvals.pending(core, did)[0]["seq"]


def _state(core: Juece, did: int) -> str:
    with core.db.read() as conn:
        return str(Store(conn).lock_decision(did).state)


def test_the_chief_approves_on_the_page_with_their_password(core: Juece, people: People) -> None:
    did, seq = _requested_on_the_page(core, people)
    chief = people.client("chief")
    inbox = chief.get("/").get_data(as_text=True)  # 我的待办: the request, and the notification
    assert f"待您签名批准：申请第 {seq} 号" in inbox and "【待批准】" in inbox
    assert "待您签名批准" not in people.client("owner").get("/").get_data(as_text=True)
    page = chief.get(f"/decisions/{did}").get_data(as_text=True)
    assert f"/decisions/{did}/approvals/{seq}/confirm" in page
    wrong = chief.post(f"/decisions/{did}/approvals/{seq}/confirm", data={"csrf_token": token(page), "password": "x"})
    assert wrong.status_code == 303 and _state(core, did) == "consultation"
    assert "密码" in chief.get(f"/decisions/{did}").get_data(as_text=True)
    page = chief.get(f"/decisions/{did}").get_data(as_text=True)
    done = chief.post(f"/decisions/{did}/approvals/{seq}/confirm",
                      data={"csrf_token": token(page), "password": PASSWORD})
    assert done.status_code == 303 and _state(core, did) == "terminated"
    shown = people.client("owner").get(f"/decisions/{did}").get_data(as_text=True)
    assert re.search(r"owner 申请（第 \d+ 号），chief 签名批准", shown)
    assert "由 chief 签名，已验证" in shown


def test_the_chief_declines_on_the_page_and_nothing_changes(core: Juece, people: People) -> None:
    did, seq = _requested_on_the_page(core, people)
    chief = people.client("chief")
    page = chief.get(f"/decisions/{did}").get_data(as_text=True)
    chief.post(f"/decisions/{did}/approvals/{seq}/decline", data={"csrf_token": token(page), "reason": "仍需推进"})
    assert _state(core, did) == "consultation" and approvals.pending(core, did) == []
    assert "不予批准" in people.client("owner").get(f"/decisions/{did}").get_data(as_text=True)


def test_nobody_else_answers_a_request(core: Juece, people: People) -> None:
    did, seq = _requested_on_the_page(core, people)
    outsider = people.client("outsider")  # a chief executive of another office
    page = outsider.get("/").get_data(as_text=True)
    assert outsider.post(f"/decisions/{did}/approvals/{seq}/confirm",
                         data={"csrf_token": token(page), "password": PASSWORD}).status_code == 404
    owner = people.client("owner")
    page = owner.get(f"/decisions/{did}").get_data(as_text=True)
    owner.post(f"/decisions/{did}/approvals/{seq}/confirm", data={"csrf_token": token(page), "password": PASSWORD})
    assert _state(core, did) == "consultation"


def test_the_chiefs_own_withdrawal_form_asks_for_their_password(core: Juece, people: People) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    chief = people.client("chief")
    page = chief.get(f"/decisions/{did}").get_data(as_text=True)
    assert 'name="withdraw-password"' in page and "申请：撤回决策事项" not in page
    refused = post_action(chief, did, "withdraw", {"reason": "政策调整"})
    assert refused.status_code == 403 and _state(core, did) == "consultation"
    done = post_action(chief, did, "withdraw", {"reason": "政策调整", "password": PASSWORD})
    assert done.status_code == 303 and _state(core, did) == "terminated"
