"""The API when the database fails: 503 ``database_unavailable`` (problem+json, Retry-After), never a 500;
and an ``Idempotency-Key`` whose record is written in the action's own transaction, so a committed action
is replayed by its key and an action that did not commit runs when retried — never twice, never stuck."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from werkzeug.test import TestResponse

from api.v1 import routes_decisions
from tests.api.conftest import ADMINS, Api, make_app, problem
from tests.conftest import make_core
from tests.helpers import Clock, database_down, new_decision
from tests.system import wait_for
from workflow.admin import offices as admin
from workflow.persistence.api_models import IdempotencyKey
from workflow.persistence.db import Database, SharedTransaction
from workflow.service import Juece

INITIATE = {"owner_unit": "城建办"}


def history(api: Api, did: int) -> list[str]:
    return [h["action"] for h in api.get(f"decisions/{did}").get_json()["history"]]


def keys_kept(core: Juece) -> list[tuple[str, str]]:
    with core.db.read() as conn:
        return [(r.key, r.status) for r in conn.execute(select(IdempotencyKey.__table__))]


def connection_lost() -> OperationalError:
    """What SQLAlchemy raises when the server goes away under a statement."""
    return OperationalError("COMMIT", {}, psycopg.OperationalError("server closed the connection unexpectedly"),
                            connection_invalidated=True)


def test_an_unreachable_database_is_a_503_problem_with_retry_after(api: Api, core: Juece) -> None:
    did = new_decision(core)
    api.token("owner")
    with database_down(core):
        read = api.get("decisions")
        acted = api.act(did, "initiate", data=INITIATE, headers={"Idempotency-Key": "down-1"})
        for response in (read, acted):
            body = problem(response, 503, "database_unavailable")
            assert response.headers["Retry-After"] == "5" and "数据库" in body["message_zh"]
    # Nothing was done and no key kept: the retry runs the action, once.
    again = api.act(did, "initiate", data=INITIATE, headers={"Idempotency-Key": "down-1"})
    assert again.status_code == 200 and "Idempotent-Replayed" not in again.headers
    assert history(api, did) == ["create", "initiate"]


def test_an_action_that_committed_is_replayed_when_its_answer_was_lost(api: Api, core: Juece,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    did = new_decision(core)
    commit = SharedTransaction.commit

    def committed_then_lost(self: SharedTransaction) -> None:
        commit(self)
        raise connection_lost()

    monkeypatch.setattr(SharedTransaction, "commit", committed_then_lost)
    first = api.act(did, "initiate", data=INITIATE, headers={"Idempotency-Key": "lost-answer"})
    problem(first, 503, "database_unavailable")
    monkeypatch.undo()
    again = api.act(did, "initiate", data=INITIATE, headers={"Idempotency-Key": "lost-answer"})
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["version"] == 2 and again.headers["ETag"] == f'"{did}.2"'
    assert history(api, did) == ["create", "initiate"]  # acted once
    assert keys_kept(core) == [("lost-answer", "done")]


def test_an_action_that_did_not_commit_leaves_no_key_and_runs_when_retried(api: Api, core: Juece,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    did = new_decision(core)

    def lost_before(self: SharedTransaction) -> None:
        self.rollback()
        raise connection_lost()

    monkeypatch.setattr(SharedTransaction, "commit", lost_before)
    problem(api.act(did, "initiate", data=INITIATE, headers={"Idempotency-Key": "not-committed"}), 503,
            "database_unavailable")
    monkeypatch.undo()
    assert history(api, did) == ["create"] and keys_kept(core) == []
    again = api.act(did, "initiate", data=INITIATE, headers={"Idempotency-Key": "not-committed"})
    assert again.status_code == 200 and "Idempotent-Replayed" not in again.headers
    assert history(api, did) == ["create", "initiate"]


def test_a_failure_after_the_action_undoes_it_so_a_500_never_hides_a_committed_action(
        api: Api, core: Juece, monkeypatch: pytest.MonkeyPatch) -> None:
    did = new_decision(core)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug while writing the answer")

    monkeypatch.setattr(routes_decisions, "decision_detail", broken)
    problem(api.act(did, "initiate", data=INITIATE, headers={"Idempotency-Key": "bug"}), 500, "internal_error")
    monkeypatch.undo()
    assert history(api, did) == ["create"] and keys_kept(core) == []
    assert api.act(did, "initiate", data=INITIATE, headers={"Idempotency-Key": "bug"}).status_code == 200
    assert history(api, did) == ["create", "initiate"]


def test_a_database_error_that_is_not_an_outage_stays_a_500(api: Api, core: Juece,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    did = new_decision(core)

    def broken(*args: Any, **kwargs: Any) -> Any:
        with core.db.read() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))

    monkeypatch.setattr(routes_decisions, "decision_detail", broken)
    problem(api.get(f"decisions/{did}"), 500, "internal_error")


def test_a_concurrent_retry_waits_for_the_first_and_gets_its_answer(pg_database: Database, clock: Clock,
                                                                   tmp_path: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    core = make_core(pg_database, clock)
    for name, org in ADMINS:
        admin.add_user(core, name, ["admin"], org)
    app: Flask = make_app(core, tmp_path)
    api = Api(core, app)
    did = new_decision(core)
    api.token("owner")
    inside, release = threading.Event(), threading.Event()
    act: Callable[..., Any] = Juece.act

    def slow_first(self: Juece, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name == "first":
            inside.set()
            release.wait(30)
        return act(self, *args, **kwargs)

    monkeypatch.setattr(Juece, "act", slow_first)
    answers: dict[str, TestResponse] = {}

    def send(name: str) -> None:
        client = Api(core, app)
        client.tokens = api.tokens
        answers[name] = client.act(did, "initiate", data=INITIATE, headers={"Idempotency-Key": "twice"})

    first = threading.Thread(target=send, args=("first",), name="first")
    first.start()
    assert inside.wait(30)
    second = threading.Thread(target=send, args=("second",), name="second")
    second.start()

    def second_waits_on_the_key() -> bool:
        with pg_database.engine.connect() as conn:
            return bool(conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                          "AND query ILIKE 'INSERT INTO idempotency_key%'")).scalar_one())

    wait_for(second_waits_on_the_key, 30, "the second request to wait on the first one's key")
    release.set()
    first.join(30)
    second.join(30)
    assert answers["first"].status_code == answers["second"].status_code == 200
    assert answers["second"].headers["Idempotent-Replayed"] == "true"
    assert answers["second"].get_json() == answers["first"].get_json()
    assert history(api, did) == ["create", "initiate"]
