"""One decision, one writer at a time: parallel attempts at the same action on PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from tests.conftest import make_core
from tests.helpers import Clock, new_decision, to_consultation
from workflow.engine.errors import StaleVersion
from workflow.persistence.db import Database
from workflow.persistence.store import E
from workflow.record.audit import verify_all


def test_twenty_parallel_attempts_one_succeeds(pg_database: Database, clock: Clock) -> None:
    core = make_core(pg_database, clock)
    did = new_decision(core)
    to_consultation(core, did)
    seen_version = 4
    start = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        start.wait()
        try:
            core.act(did, "record_participation", "owner", {"method": "symposium", "summary": f"座谈会 {i}"},
                     expected_version=seen_version)
            result = "ok"
        except StaleVersion as error:
            assert error.details["by"] == "owner" and error.details["current_version"] == seen_version + 1
            result = "stale"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["stale"] * 19
    with core.db.read() as conn:
        events = conn.execute(select(func.count()).select_from(E).where(
            E.c.stream == f"decision:{did}", E.c.action == "record_participation")).scalar_one()
        assert events == 1
        assert verify_all(conn, core.catalog, [did]).ok


def test_parallel_blind_writers_serialise_without_losing_an_update(pg_database: Database, clock: Clock) -> None:
    core = make_core(pg_database, clock)
    did = new_decision(core)
    to_consultation(core, did)
    threads = [threading.Thread(target=core.act, args=(did, "record_participation", "owner",
                                                        {"method": "poll", "summary": f"问卷 {i}"}))
               for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with core.db.read() as conn:
        report = verify_all(conn, core.catalog, [did])
        assert report.ok, report.problems
        from workflow.persistence.store import D

        facts, version = conn.execute(select(D.c.facts, D.c.version).where(D.c.id == did)).one()
    assert len(facts["participation"]) == 10 and version == 14
