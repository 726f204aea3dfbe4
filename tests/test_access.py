"""Who may act: roles from the definition, the owner's unit, offices that cannot see each other."""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD, PEOPLE, Clock, new_decision, to_consultation
from workflow.engine.catalog import default_catalog
from workflow.engine.errors import Forbidden, NotFound, WorkflowError
from workflow.service import Juece

CN713 = default_catalog().get("cn-713@2019-09-01")


@pytest.mark.parametrize("person", [p for p in PEOPLE if p[3] == "古塘街道"], ids=lambda p: p[0])
def test_initiate_only_by_the_decisions_owner(core: Juece, person: tuple[str, list[str], str, str]) -> None:
    did = new_decision(core)  # owned by "owner"; before initiation no owner unit is known yet
    allowed = bool(set(person[1]) & set(CN713.actions["initiate"].roles)) and person[0] == "owner"
    if allowed:
        assert core.act(did, "initiate", person[0], {"owner_unit": "城建办"}).state == "drafting"
    else:
        with pytest.raises(Forbidden) as info:
            core.act(did, "initiate", person[0], {"owner_unit": "城建办"})
        assert info.value.code == "role_not_permitted"


def test_another_owner_of_the_same_unit_may_act_but_not_of_another_unit(core: Juece) -> None:
    from workflow.admin import offices as admin

    did = new_decision(core)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办"})
    core.act(did, "upload_draft", "owner2", {"content": "同科室同事修改的草案"})
    admin.add_user(core, "owner3", ["owner"], "古塘街道", unit="农业办")
    with pytest.raises(Forbidden):
        core.act(did, "upload_draft", "owner3", {"content": "别的科室"})


def test_another_offices_decision_does_not_exist_for_you(core: Juece) -> None:
    did = new_decision(core)
    with pytest.raises(NotFound):
        core.act(did, "initiate", "outsider", {"owner_unit": "城建办"})


def test_unknown_action_and_wrong_state_are_refused(core: Juece) -> None:
    did = new_decision(core)
    with pytest.raises(WorkflowError) as info:
        core.act(did, "teleport", "owner")
    assert info.value.code == "unknown_action"
    with pytest.raises(WorkflowError) as info:
        core.act(did, "publish", "publisher", {"channels": ["网站"], "published_on": "2026-05-01"})
    assert info.value.code == "action_not_allowed"


def test_experts_may_not_act_for_the_owner_and_public_may_only_comment(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    for person, action, data in [("expert1", "record_participation", {"method": "poll", "summary": "x"}),
                                 ("citizen1", "submit_expert_opinion", {"opinion": "x"}),
                                 ("reviewer", "submit_legality_review", {})]:
        with pytest.raises(Forbidden):
            core.act(did, action, person, data)


def test_contract_review_cannot_be_signed_before_a_clean_review(core: Juece) -> None:
    cid = new_decision(core, procedure="contract-review")
    core.act(cid, "upload_draft", "owner", {"content": "界牌村安置房施工合同"})
    with pytest.raises(WorkflowError):
        core.act(cid, "record_signing", "owner", {"signed_on": "2026-03-10", "counterparty": "某建设公司"})
    with pytest.raises(Forbidden):
        core.act(cid, "accept_for_review", "owner")
    core.act(cid, "accept_for_review", "reviewer")
    core.act(cid, "submit_adviser_opinion", "adviser", {"opinion": "条款合法"}, password=PASSWORD)
    assert core.act(cid, "sign_review_opinion", "reviewer",
                    {"outcome": "revise_and_resubmit", "opinion": "违约条款需修改"}, password=PASSWORD).state == "submitted"
    core.act(cid, "upload_draft", "owner", {"content": "界牌村安置房施工合同（修改稿）"})
    core.act(cid, "accept_for_review", "reviewer")
    assert core.act(cid, "sign_review_opinion", "reviewer",
                    {"outcome": "no_objection", "opinion": "无异议"}, password=PASSWORD).state == "cleared"
    core.act(cid, "record_signing", "owner", {"signed_on": "2026-03-02", "counterparty": "某建设公司"})
    assert core.act(cid, "archive", "owner").state == "archived"
