"""The record shows tampering: any altered audit row, document, signature, key or decision row is named."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from cli.common import Ctx
from cli.main import main
from config.settings import Settings
from tests.helpers import Clock, new_decision, to_publication
from workflow.record.audit import verify_all
from workflow.service import Juece

# Each case: SQL that alters one stored thing, and what the report must say about it.
TAMPERING = {
    "event payload": ("UPDATE audit_event SET event = :event WHERE stream = :stream AND seq = 5",
                      "#5: hash mismatch"),
    "event hash": ("UPDATE audit_event SET hash = :fake WHERE stream = :stream AND seq = 3", "#3: hash mismatch"),
    "event column": ("UPDATE audit_event SET action = 'withdraw' WHERE stream = :stream AND seq = 4",
                     "#4: columns differ"),
    "deleted last event": ("DELETE FROM audit_event WHERE stream = :stream AND seq = "
                           "(SELECT max(seq) FROM audit_event WHERE stream = :stream)", "does not match the chain head"),
    "document content": ("UPDATE document SET content = :blob WHERE sha256 = "
                         "(SELECT sha256 FROM document_version WHERE kind = 'draft')", "content altered"),
    "document version": ("UPDATE document_version SET sha256 = (SELECT sha256 FROM document_version "
                         "WHERE kind <> 'draft' LIMIT 1) WHERE kind = 'draft'", "does not match its event"),
    "signature": ("UPDATE audit_event SET event = :signed WHERE stream = :stream AND action = 'sign_legality_opinion'",
                  "sign"),
    "public key": ("UPDATE user_key SET public_hex = :fake WHERE user_id = "
                   "(SELECT id FROM app_user WHERE name = 'reviewer')", "differs from the one registered"),
    "decision state": ("UPDATE decision SET state = 'implementation' WHERE id = :did", "differ from the replay"),
    "system event": ("UPDATE audit_event SET event = :event WHERE stream = 'system' AND seq = 2", "system #2"),
}


@pytest.fixture()
def recorded(core: Juece, clock: Clock) -> int:
    did = new_decision(core, ["technical"])
    to_publication(core, clock, did, ["technical"])
    return did


def _tamper(core: Juece, did: int, sql: str) -> None:
    import json

    stream = f"decision:{did}"
    with core.db.write() as conn:
        fifth = conn.execute(text("SELECT event FROM audit_event WHERE stream = :s AND seq = 5"), {"s": stream}).scalar()
        sig = conn.execute(text("SELECT event FROM audit_event WHERE stream = :s AND action = 'sign_legality_opinion'"),
                           {"s": stream}).scalar()
        fifth = json.loads(fifth) if isinstance(fifth, str) else fifth
        sig = json.loads(sig) if isinstance(sig, str) else sig
        fifth["data"]["injected"] = "改"
        sig["signature"]["sig"] = sig["signature"]["sig"][::-1]
        params = {"stream": stream, "did": did, "fake": "ab" * 32, "blob": b"forged", "event": json.dumps(fifth),
                  "signed": json.dumps(sig)}
        if core.db.is_sqlite is False:
            sql = sql.replace(":event", "CAST(:event AS jsonb)").replace(":signed", "CAST(:signed AS jsonb)")
        conn.execute(text(sql), {k: v for k, v in params.items() if f":{k}" in sql})


def test_untouched_record_verifies(core: Juece, recorded: int) -> None:
    with core.db.read() as conn:
        report = verify_all(conn, core.catalog)
    assert report.ok, report.problems
    assert report.signatures >= 4 and report.documents >= 4


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_tampering_is_detected_and_named(core: Juece, recorded: int, case: str, tmp_path: Path, clock: Clock) -> None:
    sql, expected = TAMPERING[case]
    _tamper(core, recorded, sql)
    settings = Settings(instance_dir=tmp_path, database_url=core.db.url, broker_url="memory://")
    result = CliRunner().invoke(main, ["audit", "verify"], obj=Ctx(settings, clock))
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first.startswith("BROKEN:")
    assert expected in result.output, result.output
    if case.startswith("event") or case == "signature":
        assert f"decision:{recorded} #" in first


def test_signature_failure_is_reported_even_if_the_chain_is_rebuilt(core: Juece, recorded: int) -> None:
    # An insider who rewrites a signed event and recomputes every hash still cannot forge the signature.
    from sqlalchemy import select, update

    from workflow.persistence.store import D, E
    from workflow.record.signing import chain_hash

    stream = f"decision:{recorded}"
    with core.db.write() as conn:
        rows = conn.execute(select(E).where(E.c.stream == stream).order_by(E.c.seq)).all()
        prev = rows[0].prev_hash
        for row in rows:
            event = dict(row.event)
            if row.action == "sign_legality_opinion":
                event["data"] = dict(event["data"]) | {"outcome": "lawful", "opinion": event["data"]["opinion"][::-1]}
            digest = chain_hash(prev, stream, row.seq, row.from_state, row.to_state, event)
            conn.execute(update(E).where(E.c.id == row.id).values(event=event, prev_hash=prev, hash=digest))
            prev = digest
        conn.execute(update(D).where(D.c.id == recorded).values(last_hash=prev))
    with core.db.read() as conn:
        report = verify_all(conn, core.catalog, [recorded])
    assert [str(p) for p in report.problems if "signature invalid" in str(p)]
