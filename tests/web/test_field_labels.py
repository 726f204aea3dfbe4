"""Choice values read as their labels from the definition on the pages, never as raw ids; a year outside the one
range is refused by the page as by the API and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask

from tests.api.conftest import Api, problem
from tests.helpers import PASSWORD, Clock, new_decision
from tests.test_cli import Cli
from tests.web.conftest import People, post_action
from workflow.admin import offices as admin
from workflow.engine.fields import YEARS
from workflow.persistence.db import Database
from workflow.service import Juece


def _reviewed(core: Juece) -> int:
    cid = new_decision(core, procedure="contract-review")
    core.act(cid, "upload_draft", "owner", {"content": "界牌村安置房施工合同"})
    core.act(cid, "accept_for_review", "reviewer")
    core.act(cid, "sign_review_opinion", "reviewer", {"outcome": "no_objection", "opinion": "无异议"},
             password=PASSWORD)
    return cid


def test_a_contract_review_page_shows_the_outcome_label_not_its_id(core: Juece, people: People) -> None:
    cid = _reviewed(core)
    client = people.client("owner")
    page = client.get(f"/decisions/{cid}").get_data(as_text=True)
    assert "审查无异议" in page and "no_objection" not in page.replace('value="no_objection"', "")
    client.get("/lang/en")
    english = client.get(f"/decisions/{cid}").get_data(as_text=True)
    assert "No objection" in english and "审查无异议" not in english


def test_the_review_form_offers_the_outcomes_by_their_labels(core: Juece, people: People) -> None:
    cid = new_decision(core, procedure="contract-review")
    core.act(cid, "upload_draft", "owner", {"content": "界牌村安置房施工合同"})
    core.act(cid, "accept_for_review", "reviewer")
    page = people.client("reviewer").get(f"/decisions/{cid}").get_data(as_text=True)
    for value, text in (("no_objection", "审查无异议"), ("revise_and_resubmit", "修改后重新报送审查"),
                        ("unlawful_do_not_sign", "不合法，不得签订")):
        assert f'<option value="{value}">{text}</option>' in page


def test_a_year_outside_the_range_is_refused_alike_on_the_page_the_api_and_the_cli(
        core: Juece, app: Flask, people: People, database: Database, clock: Clock, tmp_path: Path) -> None:
    cid = _reviewed(core)
    admin.add_user(core, "admin1", ["admin"], "古塘街道")
    api = Api(core, app)
    late = f"{YEARS[1] + 1}-01-01"
    page = post_action(people.client("owner"), cid, "record_signing", {"signed_on": late, "counterparty": "某建设公司"})
    assert page.status_code == 400 and f"{YEARS[0]}–{YEARS[1]}" in page.get_data(as_text=True)
    body = problem(api.act(cid, "record_signing", data={"signed_on": late, "counterparty": "某建设公司"}), 400,
                   "invalid_input")
    assert body["field"] == "signed_on"
    cli = Cli(database, clock, tmp_path)
    refused = cli("decisions", "act", str(cid), "record_signing", "--as", "owner", "--data",
                  json.dumps({"signed_on": late, "counterparty": "某建设公司"}), ok=False)
    assert refused.exit_code != 0 and f"{YEARS[0]}-{YEARS[1]}" in refused.output
    assert core.act(cid, "record_signing", "owner", {"signed_on": "2026-03-02", "counterparty": "某建设公司"}).state == (
        "signed")  # nothing refused was recorded: the decision still waits for its signing
