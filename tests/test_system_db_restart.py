"""Fault test: PostgreSQL restarts under load, and the API tells the truth about every request.

A PostgreSQL server of the test's own, a real ``juece up --web-only`` process on it, and clients in
threads creating and initiating decisions, each request with its own ``Idempotency-Key``. In the
middle the server is restarted (``pg_ctl restart -m fast``). Then:

* every answer was 2xx, or 503 ``database_unavailable`` as problem+json with ``Retry-After``; never a 500;
* every request without a 2xx answer (a 503, or no answer at all) retried with its key is answered 2xx,
  and what the database holds shows each action exactly once: a committed action is replayed, one
  that did not commit runs now;
* no key is left *processing*;
* every request sent after the server was back succeeded at its first attempt (pooled connections
  are tested before use).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.private_postgres import PrivatePostgres
from tests.system import free_port, wait_for
from workflow.admin import offices as admin
from workflow.admin import tokens
from workflow.engine.catalog import default_catalog
from workflow.persistence.db import Database
from workflow.record.keywrap import FAST
from workflow.service import Juece

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
THREADS = 3
BEFORE_RESTART = 12  # answered requests before the restart
AFTER_READY = 6  # requests each client sends after the server is back


@dataclass
class Answer:
    """One HTTP exchange: what was sent, when, and what came back (status None: no answer)."""

    key: str
    path: str
    body: dict[str, Any]
    sent_at: float
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False


class Client:
    """POSTs to the server with a bearer token and an Idempotency-Key."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def post(self, path: str, body: dict[str, Any], key: str) -> Answer:
        """One POST; a connection error or timeout is an answer with no status."""
        answer = Answer(key, path, body, time.monotonic())
        request = urllib.request.Request(
            self.base + path, data=json.dumps(body, ensure_ascii=False).encode(), method="POST",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
                     "Idempotency-Key": key})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the local test server
                answer.status, raw, headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            answer.status, raw, headers = error.code, error.read(), error.headers
        except OSError:
            return answer
        answer.headers = {k.lower(): v for k, v in headers.items()}
        answer.replayed = answer.headers.get("idempotent-replayed") == "true"
        answer.data = json.loads(raw) if raw else {}
        return answer


@pytest.fixture()
def postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        server.start()
        yield server
    finally:
        server.stop()


def _serve(tmp: Path, url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = dict(os.environ) | {
        "JUECE_INSTANCE_DIR": str(tmp), "JUECE_DATABASE_URL": url, "JUECE_SECRET_KEY": "fault-test",
        "JUECE_BROKER_URL": f"sqla+sqlite:///{tmp}/broker.db", "JUECE_API_RATE_LIMIT": "100000 per minute",
        "PYTHONUNBUFFERED": "1"}
    juece = str(Path(sys.executable).parent / "juece")
    with open(tmp / "web.log", "ab") as out:
        child = subprocess.Popen([juece, "up", "--web-only", "--host", "127.0.0.1", "--port", str(port)], env=env,
                                 stdout=out, stderr=subprocess.STDOUT)
    return child, f"http://127.0.0.1:{port}"


def _live(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=2) as response:  # noqa: S310
            return bool(response.status == 200)
    except OSError:
        return False


def _load(client: Client, name: str, answers: list[Answer], ready: dict[str, float], done: threading.Event) -> None:
    """Create a decision, then initiate it, each with its own key, until told to stop."""
    i = 0
    while not done.is_set():
        i += 1
        key = f"{name}-{i}"
        created = client.post("/api/v1/decisions", {"procedure": "cn-713", "title": f"故障演练 {key}"}, key)
        answers.append(created)
        if created.status == 201:
            answers.append(client.post(f"/api/v1/decisions/{created.data['id']}/actions/initiate",
                                       {"owner_unit": "城建办"}, f"{key}-initiate"))
        after = [a for a in answers if "at" in ready and a.sent_at > ready["at"]]
        if len(after) >= AFTER_READY:
            return


def test_a_restart_under_load_answers_503_or_the_truth_and_nothing_twice(postgres: PrivatePostgres,
                                                                         tmp_path: Path) -> None:
    db = Database(postgres.url)
    db.upgrade()
    core = Juece(db, default_catalog(), b"fault-test", kdf=FAST)
    admin.add_user(core, "admin1", ["admin"], "古塘街道")
    admin.add_user(core, "owner", ["owner"], "古塘街道", unit="城建办")
    token = tokens.create_token(core, "owner", name="fault", by="admin1", days=1).secret
    server, base = _serve(tmp_path, postgres.url)
    try:
        wait_for(lambda: _live(base), 60, "juece up to answer /healthz")
        client = Client(base, token)
        per_thread: list[list[Answer]] = [[] for _ in range(THREADS)]
        ready: dict[str, float] = {}
        done = threading.Event()
        threads = [threading.Thread(target=_load, args=(client, f"t{n}", per_thread[n], ready, done), daemon=True)
                   for n in range(THREADS)]
        for thread in threads:
            thread.start()
        wait_for(lambda: sum(len(a) for a in per_thread) >= BEFORE_RESTART, 120, "load before the restart")
        postgres.restart()  # returns when pg_isready says it accepts connections
        ready["at"] = time.monotonic()
        for thread in threads:
            thread.join(180)
        done.set()
        assert not any(t.is_alive() for t in threads), "a client hung"
        answers = [a for thread_answers in per_thread for a in thread_answers]
        _check_answers(answers, ready["at"], (tmp_path / "web.log").read_text(errors="replace"))
        counts = {status: sum(1 for a in answers if a.status == status) for status in (200, 201, 503, None)}
        retried = _retry_unanswered(client, answers)
        _check_database(db, answers)
        print(f"\nrequests {len(answers)}: {counts}; retried {len(retried)}: replayed "
              f"{sum(1 for r in retried if r.replayed)}, ran anew {sum(1 for r in retried if not r.replayed)}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        db.dispose()


def _check_answers(answers: list[Answer], ready_at: float, log: str) -> None:
    """2xx or an honest 503 (never a 500); everything sent once the server was back succeeded at once."""
    assert any(a.status == 503 or a.status is None for a in answers), "the restart was not seen by any request"
    for a in answers:
        assert a.status in (200, 201, 503, None), f"{a.status} for {a.path} {a.key}: {a.data}\n{log[-4000:]}"
        if a.status == 503:
            assert a.headers["content-type"] == "application/problem+json", a.headers
            assert a.data["code"] == "database_unavailable" and int(a.headers["retry-after"]) >= 1
    late = [a for a in answers if a.sent_at > ready_at]
    assert late and all(a.status in (200, 201) for a in late), [(a.key, a.status, a.data) for a in late]


def _retry_unanswered(client: Client, answers: list[Answer]) -> list[Answer]:
    """Every request without a 2xx answer, sent again with its key: now 2xx (replayed or run)."""
    retried = []
    for a in answers:
        if a.status in (200, 201):
            continue
        again = client.post(a.path, a.body, a.key)
        assert again.status in (200, 201), (a.key, again.status, again.data)
        retried.append(again)
        a.status, a.data, a.replayed = again.status, again.data, again.replayed
    return retried


def _check_database(db: Database, answers: list[Answer]) -> None:
    """Each answered action is in the database exactly once, as answered; no key is stuck."""
    with db.read() as conn:
        titles = dict(conn.execute(text(
            "SELECT title, count(*) FROM decision WHERE title LIKE '故障演练 %' GROUP BY title")).all())
        events = dict(conn.execute(text(
            "SELECT stream, count(*) FROM audit_event WHERE stream LIKE 'decision:%' GROUP BY stream")).all())
        stuck = conn.execute(text("SELECT count(*) FROM idempotency_key WHERE status <> 'done'")).scalar_one()
    created = {a.body["title"]: a for a in answers if a.path == "/api/v1/decisions"}
    assert set(titles) == set(created) and set(titles.values()) == {1}, titles
    initiated = {a.path.split("/")[4] for a in answers if a.path.endswith("/initiate")}
    for title, answer in created.items():
        stream = f"decision:{answer.data['id']}"
        assert events[stream] == (2 if str(answer.data["id"]) in initiated else 1), (title, events[stream])
    for a in answers:
        if a.path.endswith("/initiate"):
            assert a.data["state"] != "proposed" and a.data["version"] == 2, a.data
    assert stuck == 0
