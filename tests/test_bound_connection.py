"""``Database.bind``: one connection for a context (a web request), each read and write still its own
transaction; a write begun inside a read never shares its fate."""

from __future__ import annotations

from sqlalchemy import event

from tests.helpers import new_decision
from workflow.service import Juece
from workflow.views.decision import decision_row


def test_a_bound_context_checks_out_one_connection_for_its_reads_and_writes(core: Juece) -> None:
    taken: list[object] = []

    def checkout(*_: object) -> None:
        taken.append(object())

    event.listen(core.db.engine, "checkout", checkout)
    bound = core.db.bind()
    try:
        did = new_decision(core)  # the service's write transaction
        with core.db.read() as outer, core.db.read() as inner:
            assert inner is outer and decision_row(inner, did) is not None  # a read inside a read: a savepoint
        core.act(did, "initiate", "owner", {"owner_unit": "城建办", "flags": []})
        assert len(taken) == 1
    finally:
        bound.release()
        event.remove(core.db.engine, "checkout", checkout)


def test_a_write_inside_a_read_commits_on_its_own(core: Juece) -> None:
    bound = core.db.bind()
    try:
        with core.db.read():
            did = new_decision(core)  # its own connection: rolling the read back must not undo it
    finally:
        bound.release()
    with core.db.read() as conn:
        assert decision_row(conn, did).state == "proposed"


def test_a_released_binding_leaves_each_transaction_its_own_checkout(core: Juece) -> None:
    core.db.bind().release()
    taken: list[object] = []

    def checkout(*_: object) -> None:
        taken.append(object())

    event.listen(core.db.engine, "checkout", checkout)
    try:
        for _ in range(2):
            with core.db.read() as conn:
                conn.exec_driver_sql("SELECT 1")
    finally:
        event.remove(core.db.engine, "checkout", checkout)
    assert len(taken) == 2
