"""Golden records: complete audit trails written by earlier code keep verifying, byte for byte, under today's.

The records in ``tests/golden/records`` were made once by ``tests/golden/make_golden.py`` and are loaded
here unchanged into a freshly migrated database. A failure means the engine now replays, hashes or
verifies an old record differently: fix the engine (or add a new procedure pack version), never the
records (``tests/golden/README.md``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Text, cast, select, update

from tests.golden.fixture import DOC, DV, LL, TH, D, E, load_records, read_expected, read_rows
from workflow.engine.catalog import Catalog, default_catalog
from workflow.engine.decide import replay
from workflow.persistence.db import Database
from workflow.record.audit import verify_all, verify_decision
from workflow.record.audit_read import stream_events
from workflow.record.keyring import Keyring
from workflow.record.signing import canonical
from workflow.record.tlog_verify import check_bundle, prove, verify_against

EXPECTED: dict[str, Any] = read_expected()["decisions"]
#: The tree heads signed over the golden record as it grew (each with the log's verifier key, pinned here).
HEADS: list[dict[str, Any]] = read_expected()["log"]
LOG = HEADS[-1]
NAMES = sorted(EXPECTED)
#: Actions of a procedure no golden record takes, and why (an empty set: the records take every action).
NOT_COVERED: dict[str, dict[str, str]] = {"cn-713@2019-09-01": {}, "contract-review@2021-05-01": {}}


@pytest.fixture()
def golden(database: Database) -> Iterator[Database]:
    """A migrated database holding exactly the golden records."""
    database.upgrade()
    with database.write() as conn:
        load_records(conn)
    yield database


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """Today's procedures."""
    return default_catalog()


def stream(name: str) -> str:
    """The audit stream of the golden decision ``name``."""
    return f"decision:{EXPECTED[name]['id']}"


def test_the_records_load_as_written(golden: Database) -> None:
    with golden.read() as conn:
        for table in (D, E, DOC, DV, LL, TH):
            stored = conn.execute(select(table)).all()
            assert len(stored) == len(read_rows(table)) > 0, table.name
        # The events' text is the one the records hold (re-encoded by PostgreSQL's jsonb, never changed in value).
        raw = {(r["stream"], r["seq"]): json.loads(r["event"]) for r in read_rows(E)}
        for row in conn.execute(select(E.c.stream, E.c.seq, cast(E.c.event, Text).label("event"))):
            assert json.loads(row.event) == raw[(row.stream, row.seq)]


@pytest.mark.parametrize("name", NAMES)
def test_a_golden_decision_verifies(golden: Database, catalog: Catalog, name: str) -> None:
    with golden.read() as conn:
        report = verify_decision(conn, catalog, EXPECTED[name]["id"])
        events = list(stream_events(conn, stream(name)))
    assert report.ok, [str(p) for p in report.problems]
    assert report.problems == [] and report.decisions == 1
    assert len(events) == len(EXPECTED[name]["steps"])


def test_the_whole_golden_record_verifies(golden: Database, catalog: Catalog) -> None:
    with golden.read() as conn:
        report = verify_all(conn, catalog)
    assert report.ok, [str(p) for p in report.problems]
    assert report.events == len(read_rows(E))
    assert report.documents == len(read_rows(DOC))
    assert report.decisions == len(EXPECTED)
    signed = [r for r in read_rows(E) if json.loads(r["event"]).get("signature")]
    assert report.signatures == len(signed) > 0


@pytest.mark.parametrize("signed", HEADS, ids=lambda h: f"head-{h['head']['tree_size']}")
def test_the_transparency_log_still_extends_each_golden_tree_head(golden: Database, signed: dict[str, Any]) -> None:
    with golden.read() as conn:
        report = verify_against(conn, signed["head"], signed["verifier_key"])
    assert report.ok, report.problems
    assert report.key_source == "pinned verifier key"
    assert report.head_size <= report.log_size == len(read_rows(E)) == len(read_rows(LL)) == LOG["head"]["tree_size"]


@pytest.mark.parametrize("name", NAMES)
def test_each_golden_decisions_events_are_provably_in_the_signed_log(golden: Database, name: str) -> None:
    with golden.read() as conn:
        seqs = [e.seq for e in stream_events(conn, stream(name))]
        bundles = [prove(conn, stream(name), seq, LOG["head"], LOG["verifier_key"]) for seq in seqs]
    for seq, bundle in zip(seqs, bundles, strict=True):
        # Offline: nothing but the bundle and the pinned key.
        assert check_bundle(json.loads(json.dumps(bundle)), LOG["verifier_key"])["seq"] == seq


@pytest.mark.parametrize("name", NAMES)
def test_replaying_a_golden_decision_gives_its_stored_state_and_facts_at_every_step(
        golden: Database, catalog: Catalog, name: str) -> None:
    expected = EXPECTED[name]
    procedure = catalog.get(expected["procedure"])
    with golden.read() as conn:
        events = [dict(e.event or {}) | {"to": e.to_state} for e in stream_events(conn, stream(name))]
        row = conn.execute(select(D.c.state, D.c.facts, D.c.version).where(D.c.id == expected["id"])).one()
    assert [s["seq"] for s in expected["steps"]] == list(range(1, len(events) + 1)) == list(range(1, row.version + 1))
    for step in expected["steps"]:
        state, facts = replay(procedure, events[:step["seq"]])
        assert (state, hashlib.sha256(canonical(facts)).hexdigest()) == (step["state"], step["facts_sha256"]), (
            f"{name}: the replay differs after event #{step['seq']} ({events[step['seq'] - 1]['action']})")
    assert replay(procedure, events) == (row.state, row.facts)


@pytest.mark.parametrize("name", NAMES)
def test_every_signature_of_a_golden_decision_holds(golden: Database, name: str) -> None:
    with golden.read() as conn:
        ring = Keyring.load(conn)
        events = {e.seq: e.event or {} for e in stream_events(conn, stream(name))}
        system = [e.event or {} for e in stream_events(conn, "system")]
    signed = {seq: e for seq, e in events.items() if e.get("signature")}
    for seq, event in signed.items():
        assert ring.signature_problem(stream(name), event, events.get) is None, f"{name} #{seq} {event['action']}"
    for event in system:
        if event.get("signature"):
            assert ring.signature_problem("system", event) is None, event["action"]
    in_file = [r for r in read_rows(E) if r["stream"] == stream(name) and '"signature"' in r["event"]]
    assert len(signed) == len(in_file)


def _flip(text: str) -> str:
    """``text`` with one bit of its last character flipped."""
    return text[:-1] + chr(ord(text[-1]) ^ 1)


def _first_text(value: Any) -> list[Any] | None:
    """The path to the first non-empty string inside ``value`` (depth first, keys sorted)."""
    if isinstance(value, str) and value:
        return []
    items = sorted(value.items()) if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, inner in items:
        found = _first_text(inner)
        if found is not None:
            return [key, *found]
    return None


def _tamper_event(conn: Any, name: str) -> tuple[str, int | None]:
    """Flip one character of the first text in the data of the decision's last signed event (else its last)."""
    rows = conn.execute(select(E.c.id, E.c.seq, cast(E.c.event, Text).label("raw"))
                        .where(E.c.stream == stream(name)).order_by(E.c.seq)).all()
    target = next((r for r in reversed(rows) if '"signature"' in r.raw), rows[-1])
    event = json.loads(target.raw)
    path = _first_text(event["data"])
    assert path is not None
    holder = event["data"]
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = _flip(holder[path[-1]])
    conn.execute(update(E).where(E.c.id == target.id).values(event=event))
    return f"{stream(name)} #{target.seq}", target.seq


def _tamper_document(conn: Any, name: str) -> tuple[str, int | None]:
    """Flip one byte of a document the decision's versions name."""
    sha = conn.execute(select(DV.c.sha256).where(DV.c.decision_id == EXPECTED[name]["id"])
                       .order_by(DV.c.id)).scalars().first()
    content = bytearray(conn.execute(select(DOC.c.content).where(DOC.c.sha256 == sha)).scalar_one())
    content[0] ^= 1
    conn.execute(update(DOC).where(DOC.c.sha256 == sha).values(content=bytes(content)))
    return f"document:{sha[:12]}", None


def _tamper_state(conn: Any, name: str) -> tuple[str, int | None]:
    """Change the decision row's stored state to another of its procedure's states."""
    row = conn.execute(select(D.c.state).where(D.c.id == EXPECTED[name]["id"])).one()
    other = "drafting" if row.state != "drafting" else "consultation"
    conn.execute(update(D).where(D.c.id == EXPECTED[name]["id"]).values(state=other))
    return stream(name), None


TAMPERS = {"event": _tamper_event, "document": _tamper_document, "decision row": _tamper_state}
WITH_DOCUMENTS = {v["decision_id"] for v in read_rows(DV)}
#: Tampered with: the longest story, the one with back-entries and approvals, and the contract (a deputy's act).
TAMPERED = [n for n in ("full", "withdrawn", "contract") if n in EXPECTED]
CASES = [(name, how) for name in TAMPERED for how in sorted(TAMPERS)
         if how != "document" or EXPECTED[name]["id"] in WITH_DOCUMENTS]


@pytest.mark.parametrize(("name", "how"), CASES)
def test_one_altered_byte_of_a_golden_record_fails_verification(golden: Database, catalog: Catalog, name: str,
                                                                 how: str) -> None:
    with golden.write() as conn:
        where, seq = TAMPERS[how](conn, name)
    with golden.read() as conn:
        report = verify_decision(conn, catalog, EXPECTED[name]["id"])
        everything = verify_all(conn, catalog)
    assert not report.ok and not everything.ok
    assert any(str(p).startswith(where) for p in report.problems), [str(p) for p in report.problems]
    if seq is not None:
        assert any(p.seq == seq and "hash mismatch" in p.message for p in report.problems)
    if how == "event":  # the signed tree head no longer covers the record as stored
        with golden.read() as conn:
            logged = verify_against(conn, LOG["head"], LOG["verifier_key"])
        assert not logged.ok and any(where in p for p in logged.problems), logged.problems


def test_the_golden_records_take_every_action_of_both_procedures(catalog: Catalog) -> None:
    taken: dict[str, set[str]] = {}
    ids = {v["id"]: v["procedure"] for v in EXPECTED.values()}
    for row in read_rows(E):
        if row["stream"].startswith("decision:"):
            taken.setdefault(ids[int(row["stream"].split(":")[1])], set()).add(row["action"])
    for key, allowed in NOT_COVERED.items():
        actions = set(catalog.get(key).actions)
        missing = sorted(actions - taken.get(key, set()))
        print(f"{key}: {len(actions) - len(missing)}/{len(actions)} actions taken; not taken: {missing or 'none'}")
        assert set(missing) == set(allowed), f"{key}: actions no golden record takes: {missing}"


def test_the_golden_records_reach_every_outcome_of_both_procedures(catalog: Catalog) -> None:
    reached: dict[str, set[tuple[str, str]]] = {}
    ids = {v["id"]: v["procedure"] for v in EXPECTED.values()}
    for row in read_rows(E):
        if row["stream"].startswith("decision:"):
            key = ids[int(row["stream"].split(":")[1])]
            event = json.loads(row["event"])
            action = catalog.get(key).actions.get(event["action"])
            if action is not None and action.outcome_field and "correction" not in event:
                reached.setdefault(key, set()).add((action.id, str(event["data"].get(action.outcome_field))))
    for key in NOT_COVERED:
        procedure = catalog.get(key)
        outcomes = {(a.id, o) for a in procedure.actions.values() if a.outcome_field for o in a.outcomes}
        missing = sorted(outcomes - reached.get(key, set()))
        print(f"{key}: {len(outcomes) - len(missing)}/{len(outcomes)} outcomes reached; not reached: {missing or 'none'}")
        assert missing == [], f"{key}: outcomes no golden record reaches: {missing}"
