"""Decisions and actions over the API: the procedure's answers as status codes and problem documents."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from tests.api.conftest import Api, problem
from tests.helpers import Clock, local_iso, new_decision, to_collective_discussion
from workflow.service import Juece


def _create(api: Api, title: str = "界牌新潮塘未来社区建设", flags: list[str] | None = None) -> int:
    response = api.post("decisions", json={"procedure": "cn-713", "title": title, "flags": flags or []})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/decisions/{body['id']}"
    assert response.headers["ETag"] == f'"{body["id"]}.1"' == body["etag"]
    return int(body["id"])


def test_the_jiepai_decision_through_the_api(api: Api, core: Juece, clock: Clock) -> None:
    did = _create(api, flags=["technical", "affects_specific_group"])
    assert api.get(f"decisions/{did}").get_json()["state"] == "proposed"
    step = api.act(did, "initiate", data={"owner_unit": "城建办", "flags": ["technical", "affects_specific_group"]},
                   headers={"If-Match": f'"{did}.1"'})
    assert step.status_code == 200 and step.headers["ETag"] == f'"{did}.2"'
    result = step.get_json()
    assert (result["from_state"], result["state"], result["version"]) == ("proposed", "drafting", 2)
    assert result["decision"]["tasks"]["expert_review"]["required"] is True
    upload = api.post("documents", data="草案第一稿".encode(), headers={"Content-Type": "text/plain; charset=utf-8"})
    assert upload.status_code == 201
    sha = upload.get_json()["sha256"]
    assert api.post("documents", data="草案第一稿".encode(), content_type="text/plain").status_code == 200
    draft = api.act(did, "upload_draft", data={"content": {"sha256": sha}, "filename": "草案.docx"})
    assert draft.status_code == 200, draft.get_json()
    assert api.act(did, "start_consultation", data={"legal_bases": ["《城乡规划法》"]}).status_code == 200
    opens = clock.now
    assert api.act(did, "open_public_comment", data={
        "opens_at": local_iso(opens), "closes_at": local_iso(opens + dt.timedelta(days=32))}).status_code == 200
    assert api.act(did, "submit_comment", "citizen1", {"text": "请保留老街"}).status_code == 200
    assert api.act(did, "edit_comment", "citizen1", {"comment_id": 1, "text": "请保留老街和古树"}).status_code == 200
    comments = api.get(f"decisions/{did}/comments").get_json()["items"]
    assert comments[0]["text"] == "请保留老街和古树" and comments[0]["author"] == "citizen1"
    assert [h["text"] for h in comments[0]["history"]] == ["请保留老街", "请保留老街和古树"]
    assert comments[0]["edits"] == 1 and comments[0]["edited_at"]
    detail = api.get(f"decisions/{did}").get_json()
    assert detail["documents"][0]["filename"] == "草案.docx" and detail["documents"][0]["sha256"] == sha
    assert [h["action"] for h in detail["history"]][-2:] == ["submit_comment", "edit_comment"]
    downloaded = api.get(f"documents/{sha}")
    assert downloaded.status_code == 200 and downloaded.data == "草案第一稿".encode()
    assert downloaded.mimetype == "text/plain" and "attachment" in downloaded.headers["Content-Disposition"]
    assert downloaded.headers["X-Content-Type-Options"] == "nosniff"
    audit = api.get(f"decisions/{did}/audit").get_json()["items"]
    assert audit[-1]["event"]["data"]["text"] == "请保留老街和古树"
    assert audit[1]["prev_hash"] == audit[0]["hash"]
    verified = api.get(f"decisions/{did}/audit/verify").get_json()
    assert verified["ok"] and verified["decisions"] == 1 and verified["documents"] == 1


def test_list_filters_and_cursor_pagination(api: Api, core: Juece) -> None:
    ids = [_create(api, f"决策{i}") for i in range(5)]
    api.act(ids[0], "initiate", data={"owner_unit": "城建办"})
    first = api.get("decisions?limit=2").get_json()
    assert [d["id"] for d in first["items"]] == ids[::-1][:2] and first["next_cursor"]
    second = api.get(f"decisions?limit=2&cursor={first['next_cursor']}").get_json()
    assert [d["id"] for d in second["items"]] == ids[::-1][2:4]
    third = api.get(f"decisions?limit=2&cursor={second['next_cursor']}").get_json()
    assert [d["id"] for d in third["items"]] == [ids[0]] and third["next_cursor"] is None
    assert [d["id"] for d in api.get("decisions?state=drafting").get_json()["items"]] == [ids[0]]
    assert len(api.get("decisions?procedure=cn-713").get_json()["items"]) == 5
    assert len(api.get("decisions?procedure=cn-713@2019-09-01").get_json()["items"]) == 5
    assert api.get("decisions?procedure=contract-review").get_json()["items"] == []
    assert problem(api.get("decisions?cursor=garbage"), 400)["field"] == "cursor"
    assert problem(api.get("decisions?limit=0"), 400)["field"] == "limit"


def test_etag_if_none_match_and_stale_if_match(api: Api, core: Juece) -> None:
    did = _create(api)
    api.act(did, "initiate", data={"owner_unit": "城建办"})
    tag = api.get(f"decisions/{did}").headers["ETag"]
    assert tag == f'"{did}.2"'
    not_modified = api.get(f"decisions/{did}", headers={"If-None-Match": tag})
    assert not_modified.status_code == 304 and not_modified.headers["ETag"] == tag
    core.act(did, "upload_draft", "owner2", {"content": "同事的稿"})  # someone else acts first
    assert api.get(f"decisions/{did}", headers={"If-None-Match": tag}).status_code == 200
    body = problem(api.act(did, "upload_draft", data={"content": "稿"}, headers={"If-Match": tag}), 412, "stale_version")
    assert body["details"]["by"] == "owner2" and body["details"]["action"] == "upload_draft"
    assert body["details"]["current_version"] == 3 and body["details"]["at"]
    problem(api.act(did, "upload_draft", data={"content": "稿"}, headers={"If-Match": '"999.3"'}), 412,
            "precondition_failed")
    assert api.act(did, "upload_draft", data={"content": "稿"}, headers={"If-Match": f'"{did}.3"'}).status_code == 200
    assert api.act(did, "upload_draft", data={"content": "稿2"}, headers={"If-Match": "*"}).status_code == 200
    assert api.get(f"decisions/{did}").get_json()["version"] == 5


def test_status_codes_of_refusals(api: Api, core: Juece, clock: Clock) -> None:
    did = _create(api)
    # 409: not possible in this state.
    body = problem(api.act(did, "start_consultation", data={"legal_bases": ["法"]}), 409, "action_not_allowed")
    assert body["details"]["state"] == "proposed"
    # 400: a field of the wrong type, an unknown field, a missing one: the field is named.
    assert problem(api.act(did, "initiate", data={"owner_unit": 7}), 400, "invalid_input")["field"] == "owner_unit"
    assert problem(api.act(did, "initiate", data={"owner_unit": "x", "boss": 1}), 400)["field"] == "boss"
    assert problem(api.act(did, "initiate", data={}), 400)["field"] == "owner_unit"
    assert problem(api.act(did, "initiate", data={"owner_unit": "x\u0000"}), 400)["field"] == "owner_unit"
    assert problem(api.post(f"decisions/{did}/actions/initiate", data="{not json", content_type="application/json"),
                   400, "malformed_json")["field"] == "body"
    problem(api.post(f"decisions/{did}/actions/initiate", data="owner_unit=x", content_type="text/plain"), 415)
    # 400 from the engine's own checks (a document that is not stored).
    api.act(did, "initiate", data={"owner_unit": "城建办"})
    assert problem(api.act(did, "upload_draft", data={"content": {"sha256": "a" * 64}}), 400)["field"] == "content"
    # A server path is never a document over the API.
    assert problem(api.act(did, "upload_draft", data={"content": {"path": "/etc/passwd"}}), 400)["field"] == "content"
    # 422: a hard rule refused, with its article.
    body = problem(api.act(did, "start_consultation", data={}), 422, "draft_required")
    assert body["article"] == "Art. 12" and body["type"] == "urn:juece:problem:draft_required"
    # 404: no such decision, no such action, no such path; another procedure's action.
    problem(api.get("decisions/999999"), 404, "not_found")
    problem(api.get(f"decisions/{2**70}"), 404)
    problem(api.act(did, "no_such_action"), 404)
    problem(api.get("no/such/path"), 404)
    problem(api.act(did, "sign_review_opinion", "reviewer", {"outcome": "no_objection", "opinion": "x"}), 404,
            "unknown_action")
    # 405 with Allow.
    response = api.call("PATCH", f"decisions/{did}")
    problem(response, 405)
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    options = api.call("OPTIONS", "decisions", None)
    assert options.status_code == 204 and options.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    # 413: a body over the limit.
    big = b"x" * (25 * 1024 * 1024 + 1)
    problem(api.post("documents", data=big, content_type="application/octet-stream"), 413)
    # Creating: an unknown procedure or flag is bad input.
    assert problem(api.post("decisions", json={"procedure": "nope", "title": "t"}), 400)["field"] == "procedure"
    assert problem(api.post("decisions", json={"procedure": "cn-713", "title": " "}), 400)["field"] == "title"


def test_rule_refusal_names_rule_and_article(api: Api, core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_collective_discussion(core, clock, did)
    recorded = api.act(did, "record_meeting", "secretary", {
        "held_at": "2026-05-06T09:00:00+08:00", "attendees": ["chief", "member1"], "observers": ["secretary"],
        "views": [{"member": "chief", "view": "for"}, {"member": "member1", "view": "against"}]})
    assert recorded.status_code == 200, recorded.get_data(as_text=True)
    body = problem(api.act(did, "record_decision", "chief", {"outcome": "adopted"}), 422)
    assert body["code"] == "chief_must_speak_last"
    assert body["article"] and body["rule"] == 8 and body["message_zh"] and body["message_en"]


def test_procedures_and_diagrams(api: Api) -> None:
    items = api.get("procedures").get_json()["items"]
    assert {p["key"] for p in items} >= {"cn-713@2019-09-01"}
    assert next(p for p in items if p["id"] == "cn-713")["in_force"] is True
    definition = api.get("procedures/cn-713").get_json()
    assert definition["initial"] == "proposed"
    initiate = next(a for a in definition["actions"] if a["id"] == "initiate")
    assert initiate["from"] == ["proposed"] and {f["name"] for f in initiate["fields"]} >= {"owner_unit", "flags"}
    mermaid = api.get("procedures/cn-713@2019-09-01/diagram?current=drafting").get_json()
    assert mermaid["source"].startswith("stateDiagram-v2") and "class drafting current" in mermaid["source"]
    dot = api.get("procedures/cn-713/diagram?format=dot&lang=en").get_json()["source"]
    assert dot.startswith('digraph "cn-713@2019-09-01"') and "Legality review" in dot
    problem(api.get("procedures/nope"), 404)
    assert problem(api.get("procedures/cn-713/diagram?current=nowhere"), 400)["field"] == "current"
    assert problem(api.get("procedures/cn-713/diagram?format=png"), 400)["field"] == "format"


def test_openapi_document_and_docs_page(app: Flask) -> None:
    client = app.test_client()
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "/api/v1/decisions/{decision_id}/actions/initiate" in spec["paths"]
    initiate = spec["paths"]["/api/v1/decisions/{decision_id}/actions/initiate"]["post"]
    assert set(initiate["responses"]) >= {"200", "400", "401", "403", "404", "409", "412", "422", "429"}
    assert "application/problem+json" in spec["components"]["responses"]["UNPROCESSABLE_ENTITY"]["content"]
    body = spec["components"]["schemas"]["InitiateInput"]
    assert body["required"] == ["owner_unit"] and body["additionalProperties"] is False
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and b"swagger-ui" in page.data
    with client.get("/api/v1/docs/assets/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200 and asset.mimetype in ("text/javascript", "application/javascript")


def test_a_year_without_an_official_calendar_is_unprocessable(api: Api, core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办"})
    core.act(did, "upload_draft", "owner", {"content": "稿"})
    core.act(did, "start_consultation", "owner", {"legal_bases": ["法"]})
    body = problem(api.act(did, "open_public_comment", data={
        "opens_at": "2031-03-02T09:00:00+08:00", "closes_at": "2031-04-15T09:00:00+08:00"}), 422, "calendar_missing")
    assert "2031" in body["message_en"]
