"""Thin edges: one table of statuses for the pages and the API, and one database connection per request."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from api.errors import STATUS_BY_CLASS, STATUS_BY_CODE, status_of
from api.v1.problems import from_workflow_error
from tests.helpers import new_decision, to_consultation
from tests.web.conftest import People, post_action, token
from workflow.admin import tokens
from workflow.admin.sessions import WrongSigningPassword
from workflow.engine.errors import InvalidInput, StaleVersion, WorkflowError
from workflow.service import Juece

TABLE = [pytest.param(cls("中", "en"), status, id=cls.__name__) for cls, status in STATUS_BY_CLASS] + [
    pytest.param(WorkflowError("中", "en", code=code), status, id=code) for code, status in STATUS_BY_CODE.items()]


@pytest.mark.parametrize(("error", "status"), TABLE)
def test_every_engine_error_has_one_status_for_pages_and_api(app: Flask, error: WorkflowError, status: int) -> None:
    with app.test_request_context("/api/v1/decisions/1"):
        assert from_workflow_error(error).status_code == status
    assert status_of(error) == status


def _api(core: Juece, app: Flask, user: str) -> Callable[..., Any]:
    secret = tokens.create_token(core, user, name="edges", by="admin").secret

    def act(did: int, action: str, data: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        return app.test_client().post(f"/api/v1/decisions/{did}/actions/{action}", json=data,
                                      headers={"Authorization": f"Bearer {secret}"} | (headers or {}))

    return act


def _stale(core: Juece, app: Flask, people: People) -> tuple[Any, Any, WorkflowError]:
    did = new_decision(core)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办", "flags": []})
    web = post_action(people.client("owner"), did, "upload_draft", {"content": "稿"}, version=1)
    api = _api(core, app, "owner")(did, "upload_draft", {"content": "稿"}, {"If-Match": f'"{did}.1"'})
    return web, api, StaleVersion("中", "en")


def _control_characters(core: Juece, app: Flask, people: People) -> tuple[Any, Any, WorkflowError]:
    did = new_decision(core)
    web = post_action(people.client("owner"), did, "initiate", {"owner_unit": "城建\r\n办"})
    api = _api(core, app, "owner")(did, "initiate", {"owner_unit": "城建\r\n办"})
    return web, api, InvalidInput("中", "en", code="control_characters")


def _signing_password(core: Juece, app: Flask, people: People) -> tuple[Any, Any, WorkflowError]:
    did = new_decision(core)
    to_consultation(core, did)
    web = post_action(people.client("chief"), did, "withdraw", {"reason": "政策调整"})
    api = _api(core, app, "chief")(did, "withdraw", {"reason": "政策调整"})
    return web, api, WrongSigningPassword("chief")


@pytest.mark.parametrize("scenario", [_stale, _control_characters, _signing_password],
                         ids=["stale_version", "control_characters", "signing_password"])
def test_the_same_refusal_has_the_same_status_on_the_page_and_in_the_api(
        core: Juece, app: Flask, people: People, scenario: Callable[..., tuple[Any, Any, WorkflowError]]) -> None:
    web, api, error = scenario(core, app, people)
    assert web.status_code == api.status_code == status_of(error), (web.status_code, api.get_json())


@contextmanager
def _checkouts(core: Juece) -> Iterator[list[object]]:
    taken: list[object] = []

    def checkout(*_: object) -> None:
        taken.append(object())

    event.listen(core.db.engine, "checkout", checkout)
    try:
        yield taken
    finally:
        event.remove(core.db.engine, "checkout", checkout)


def test_a_page_request_checks_out_one_connection(core: Juece, app: Flask, people: People) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    owner = people.client("owner")
    assert post_action(owner, did, "upload_draft", {"content__text": "第二稿"}).status_code == 303
    for path in ("/", f"/decisions/{did}", "/catalogue"):
        with _checkouts(core) as taken:
            assert owner.get(path).status_code == 200
        assert len(taken) == 1, path
    page = owner.get(f"/decisions/{did}").get_data(as_text=True)
    version = re.search(r'name="upload_draft-expected_version" type="hidden" value="(\d+)"', page)
    assert version is not None
    with _checkouts(core) as taken:
        # Reads for the form and the page, the service's write transaction, the redirect: one connection.
        answer = owner.post(f"/decisions/{did}/act/upload_draft", content_type="multipart/form-data", data={
            "upload_draft-content__text": "第三稿", "upload_draft-csrf_token": token(page),
            "upload_draft-expected_version": version.group(1)})
    assert answer.status_code == 303 and len(taken) == 1


def test_an_api_request_checks_out_one_connection(core: Juece, app: Flask, people: People) -> None:
    did = new_decision(core)
    act = _api(core, app, "owner")
    assert act(did, "initiate", {"owner_unit": "城建办"}).status_code == 200
    client = app.test_client()
    secret = tokens.create_token(core, "owner", name="count", by="admin").secret
    with _checkouts(core) as taken:
        shown = client.get(f"/api/v1/decisions/{did}", headers={"Authorization": f"Bearer {secret}"})
    assert shown.status_code == 200 and len(taken) == 1
    with _checkouts(core) as taken:
        # The Idempotency-Key's row, the action and the stored answer share one transaction on one connection.
        done = act(did, "upload_draft", {"content": "稿"}, {"Idempotency-Key": "edges-1"})
    assert done.status_code == 200 and len(taken) == 1
    with _checkouts(core) as taken:
        assert app.test_client().get("/healthz").status_code == 200
    assert taken == []  # a request that asks nothing of the database takes no connection
