"""The enforcement-review pack through the REST API: the same CF58 refusal, with its code and article."""

from __future__ import annotations

from tests.api.conftest import Api, problem
from tests.helpers import PASSWORD
from tests.test_enforcement_review import DECISION, submitted
from workflow.service import Juece


def test_cf58_an_early_decision_is_refused_through_the_api(api: Api, core: Juece) -> None:
    did = submitted(core)
    body = problem(api.act(did, "record_decision", "chief", DECISION | {"decided_on": "2026-03-02"},
                           headers={"Juece-Signing-Password": PASSWORD}), 422)
    assert body["code"] == "er_review_not_passed" and body["article"] == "《行政处罚法》第五十八条"
    assert body["message_zh"] == "未经法制审核或者审核未通过的，不得作出决定"
