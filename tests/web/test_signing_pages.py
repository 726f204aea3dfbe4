"""Signing on the pages: no signature without the signer's own password, one's own password and key, and
deputy grants — granted, acted under ("代 …") and shown on the decision page."""

from __future__ import annotations

import datetime as dt

from tests.helpers import PASSWORD, Clock, new_decision, to_legality_review
from tests.web.conftest import People, post_action, token
from workflow.admin import deputies
from workflow.admin import offices as admin
from workflow.service import Juece
from workflow.views.queries import show_decision

OPINION = {"outcome": "lawful", "opinion__text": "经审查合法"}


def at_review(core: Juece, clock: Clock) -> int:
    did = new_decision(core)
    to_legality_review(core, clock, did)
    core.act(did, "submit_adviser_opinion", "adviser", {"opinion": "合法"}, password=PASSWORD)
    return did


def test_a_signed_step_without_the_password_signs_nothing(core: Juece, clock: Clock, people: People) -> None:
    did = at_review(core, clock)
    client = people.client("reviewer")
    missing = post_action(client, did, "sign_legality_opinion", OPINION)
    assert missing.status_code == 403 and "签名需要签名人本人的密码" in missing.get_data(as_text=True)
    with core.db.read() as conn:
        assert "sign_legality_opinion" not in [h["action"] for h in show_decision(conn, core.catalog, did,
                                                                                   clock.now)["history"]]
    assert post_action(client, did, "sign_legality_opinion", OPINION | {"password": PASSWORD}).status_code == 303


def test_after_a_reset_the_person_sets_their_own_password_before_signing(core: Juece, clock: Clock,
                                                                         people: People) -> None:
    did = at_review(core, clock)
    admin.set_password(core, "reviewer", "temporary-by-admin")
    client = people.app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert client.post("/login", data={"csrf_token": token(page), "username": "reviewer",
                                       "password": "temporary-by-admin"}).status_code == 302
    assert "您尚无可用的签名密钥" in client.get(f"/decisions/{did}").get_data(as_text=True)
    refused = post_action(client, did, "sign_legality_opinion", OPINION | {"password": "temporary-by-admin"})
    assert refused.status_code == 409 and "尚无可用的签名密钥" in refused.get_data(as_text=True)
    account = client.get("/account").get_data(as_text=True)
    assert "已停用" in account and "password reset by admin" in account
    mismatch = client.post("/account", data={"csrf_token": token(account), "current_password": "temporary-by-admin",
                                             "new_password": "my-own-password", "confirm": "my-own-passwrd"})
    assert mismatch.status_code == 400
    changed = client.post("/account", data={"csrf_token": token(account), "current_password": "temporary-by-admin",
                                            "new_password": "my-own-password", "confirm": "my-own-password"})
    assert changed.status_code == 303
    assert "可用于签名" in client.get("/account").get_data(as_text=True)
    assert post_action(client, did, "sign_legality_opinion", OPINION | {"password": "my-own-password"}
                       ).status_code == 303
    assert "由 reviewer 签名，已验证" in client.get(f"/decisions/{did}").get_data(as_text=True)


def test_the_chief_grants_a_deputy_who_acts_marked_on_the_decision_page(core: Juece, clock: Clock,
                                                                        people: People) -> None:
    did = at_review(core, clock)
    member = people.client("member1")
    assert member.post("/deputies", data={}).status_code == 303  # only a chief executive grants
    chief = people.client("chief")
    page = chief.get("/deputies").get_data(as_text=True)
    until = (clock.now + dt.timedelta(days=7)).astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M")
    form = {"grant-csrf_token": token(page), "grant-principal": "reviewer", "grant-role": "legal_reviewer",
            "grant-deputy": "member1", "grant-ends_at": until, "grant-reason": "审查员休假"}
    unsigned = chief.post("/deputies", data=form | {"grant-password": "not-the-chiefs"})
    assert unsigned.status_code == 403 and "密码不正确" in unsigned.get_data(as_text=True)
    assert chief.post("/deputies", data=form | {"grant-password": PASSWORD}).status_code == 303
    listed = chief.get("/deputies").get_data(as_text=True)
    assert "审查员休假" in listed and "已签名，已验证" in listed and "生效中" in listed
    with core.db.read() as conn:
        (grant,) = deputies.office_grants(conn, 1, clock.now)  # (PostgreSQL ids skip the refused attempt)
    # member1 now sees the reviewer's step on the decision, offered "代 reviewer".
    decision = member.get(f"/decisions/{did}").get_data(as_text=True)
    assert f"代 reviewer，代理授权第 {grant['id']} 号" in decision
    assert post_action(member, did, "sign_legality_opinion", OPINION | {"password": PASSWORD,
                                                                         "grant": str(grant["id"])}).status_code == 303
    shown = member.get(f"/decisions/{did}").get_data(as_text=True)
    assert "代 reviewer" in shown and "由 member1 签名，已验证" in shown and 'id="deputies"' in shown
    # A grant that is not theirs is a 403, not an act.
    assert post_action(people.client("owner"), did, "record_meeting", {"grant": str(grant["id"])}).status_code == 403


def test_no_act_under_an_expired_grant(core: Juece, clock: Clock, people: People) -> None:
    did = at_review(core, clock)
    grant_id = deputies.grant(core, "chief", "reviewer", "member1", "legal_reviewer",
                              clock.now + dt.timedelta(days=1), "审查员休假", PASSWORD)
    member = people.client("member1")
    page = member.get(f"/decisions/{did}").get_data(as_text=True)
    clock.advance(days=2)
    expired = member.post(f"/decisions/{did}/act/sign_legality_opinion", data={
        "sign_legality_opinion-csrf_token": token(page), "sign_legality_opinion-expected_version": "11",
        "sign_legality_opinion-grant": str(grant_id), "sign_legality_opinion-outcome": "lawful",
        "sign_legality_opinion-opinion__text": "经审查合法", "sign_legality_opinion-password": PASSWORD})
    assert expired.status_code == 403
    assert "代 reviewer" not in member.get(f"/decisions/{did}").get_data(as_text=True).split('id="timeline"')[0]
