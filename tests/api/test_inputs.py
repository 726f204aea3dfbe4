"""What the API takes and how it answers: control characters refused, 413 over the limit, no-store, the docs page."""

from __future__ import annotations

import http.client
import threading

import pytest
from werkzeug.serving import make_server

from api.headers import QuietHandler
from tests.api.conftest import Api, problem
from tests.helpers import new_decision
from workflow.service import Juece


@pytest.mark.parametrize("bad", ["甲\r\nX-Injected: 1", "甲\n乙", "甲\t乙", "甲\u2028乙", "报告\u202excod.exe",
                                 "甲\u2066乙", "甲\x1b[31m", "甲\x85乙"])
def test_control_characters_are_refused_in_titles_names_units_and_file_names(api: Api, core: Juece, bad: str) -> None:
    body = problem(api.post("decisions", json={"procedure": "cn-713", "title": bad}), 400, "control_characters")
    assert body["field"] == "title" and "控制字符" in body["message_zh"]
    assert problem(api.post("users", "admin1", json={"name": bad, "roles": ["owner"]}), 400,
                   "control_characters")["field"] == "name"
    assert problem(api.post("users", "admin1", json={"name": "新同事", "roles": ["owner"], "unit": bad}), 400,
                   "control_characters")["field"] == "unit"
    did = new_decision(core)
    assert problem(api.act(did, "initiate", data={"owner_unit": bad}), 400, "control_characters")["field"] == (
        "owner_unit")
    core.act(did, "initiate", "owner", {"owner_unit": "城建办"})
    assert problem(api.act(did, "upload_draft", data={"content": "草案", "filename": f"{bad}.docx"}), 400,
                   "control_characters")["field"] == "filename"


def test_multi_line_text_keeps_its_line_breaks_and_nothing_else(api: Api, core: Juece) -> None:
    did = new_decision(core)
    assert problem(api.act(did, "withdraw", data={"reason": "第一条\x1b[2J"}), 400,
                   "control_characters")["field"] == "reason"
    reason = "第一条\n第二条\r\n\t第三条"
    assert api.act(did, "withdraw", data={"reason": reason}).status_code == 202  # the owner's request for approval
    audit = api.get(f"decisions/{did}/audit").get_json()["items"]
    assert audit[-1]["event"]["data"]["data"]["reason"] == reason


def test_a_file_name_is_reduced_to_a_safe_base_name_and_kept_as_typed_for_display(api: Api, core: Juece) -> None:
    did = new_decision(core)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办"})
    typed = "..\\..\\草案:第2稿?.docx"
    assert api.act(did, "upload_draft", data={"content": "草案", "filename": typed}).status_code == 200
    (version,) = api.get(f"decisions/{did}/documents").get_json()["items"]
    assert version["filename"] == "草案_第2稿_.docx"
    download = api.get(f"documents/{version['sha256']}")
    assert download.headers["Content-Disposition"].endswith("%E8%8D%89%E6%A1%88_%E7%AC%AC2%E7%A8%BF_.docx")
    audit = api.get(f"decisions/{did}/audit").get_json()["items"]
    assert audit[-1]["event"]["data"]["filename"] == typed


def test_a_document_over_the_limit_is_413_whether_uploaded_or_sent_in_an_action(api: Api, core: Juece) -> None:
    over = b"x" * (20 * 1024 * 1024 + 1)  # over the document limit, under the body limit
    problem(api.post("documents", data=over, content_type="application/octet-stream"), 413, "payload_too_large")
    did = new_decision(core)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办"})
    problem(api.act(did, "upload_draft", data={"content": "稿" * (7 * 1024 * 1024 + 1)}), 413, "payload_too_large")


def test_api_answers_are_not_stored_and_the_docs_page_runs_only_its_own_script(api: Api) -> None:
    for response in (api.get("decisions"), api.get("decisions/999"), api.get("no/such/path")):
        assert response.headers["Cache-Control"] == "no-store"
    client = api.app.test_client()
    page = client.get("/api/v1/docs")
    policy = page.headers["Content-Security-Policy"]
    script = policy.split("script-src ")[1].split(";")[0]
    assert "'sha256-" in script and "unsafe" not in script and "frame-ancestors 'none'" in policy
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"
    assert '"persistAuthorization": false' in page.get_data(as_text=True)  # a typed token is not kept
    asset = client.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert asset.headers["Cache-Control"] != "no-store"
    asset.close()


def test_the_server_names_itself_without_a_version(api: Api) -> None:
    server = make_server("127.0.0.1", 0, api.app, threaded=True, request_handler=QuietHandler)  # as juece up serves
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for path in ("/login", "/api/v1/decisions"):
            connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
            connection.request("GET", path)
            answer = connection.getresponse()
            answer.read()
            assert answer.headers.get_all("Server") == ["juece"]  # no Werkzeug or Python version to look up
            connection.close()
    finally:
        server.shutdown()
        server.server_close()
