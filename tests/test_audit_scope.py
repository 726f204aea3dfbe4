"""Verification that scales: one decision is checked on its own rows, a full run picks up where it verified.

A decision page and ``juece audit verify ID`` read only that decision's chain and the documents it
names; ``juece audit verify`` starts each stream after its verified position (checking the event
there still has the recorded hash) and re-hashes only new documents; ``--full`` redoes everything.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, text, update

import cli.main
from cli.common import Ctx
from cli.main import main
from config.settings import Settings
from tests.helpers import Clock, new_decision
from workflow.persistence.store import DV, D, E
from workflow.record.audit import verify_all, verify_decision
from workflow.record.audit_positions import verify_record
from workflow.record.signing import chain_hash
from workflow.service import Juece


def drafted(core: Juece, text_: str) -> int:
    """A decision in drafting with its own draft (content ``text_``)."""
    did = new_decision(core)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办", "flags": []})
    core.act(did, "upload_draft", "owner", {"content": text_})
    return did


def draft_sha(core: Juece, did: int) -> str:
    with core.db.read() as conn:
        return str(conn.execute(select(DV.c.sha256).where(DV.c.decision_id == did)).scalar_one())


def verify_cli(core: Juece, clock: Clock, tmp_path: Path, *args: str) -> Result:
    settings = Settings(instance_dir=tmp_path, database_url=core.db.url, broker_url="memory://")
    return CliRunner().invoke(main, ["audit", "verify", *args], obj=Ctx(settings, clock))


def test_one_decision_is_verified_on_its_own_documents(core: Juece) -> None:
    mine, theirs = drafted(core, "甲方案"), drafted(core, "乙方案")
    with core.db.write() as conn:
        conn.execute(text("UPDATE document SET content = :c WHERE sha256 = :s"),
                     {"c": b"forged", "s": draft_sha(core, theirs)})
    with core.db.read() as conn:
        scoped, other, full = (verify_decision(conn, core.catalog, mine), verify_decision(conn, core.catalog, theirs),
                               verify_all(conn, core.catalog))
    assert scoped.ok and scoped.decisions == 1 and scoped.documents == 1, scoped.problems
    assert [str(p) for p in other.problems] == [f"document:{draft_sha(core, theirs)[:12]}: content altered "
                                                "(hash mismatch)"]
    assert not full.ok and full.decisions == 2


def test_an_incremental_run_checks_only_what_is_new(core: Juece, clock: Clock, tmp_path: Path) -> None:
    ids = [drafted(core, f"方案{i}") for i in range(4)]
    first = verify_record(core)
    assert first.ok and first.decisions == 4 and first.skipped == 0, first.problems
    core.act(ids[2], "start_consultation", "owner", {"legal_bases": ["《城乡规划法》"]})
    again = verify_record(core)
    assert again.ok, again.problems
    assert (again.events, again.decisions, again.skipped, again.documents) == (1, 1, 3, 0)
    result = verify_cli(core, clock, tmp_path)
    assert result.exit_code == 0 and "ok: 0 decisions (4 more unchanged since verified), 0 events" in result.output
    full = verify_cli(core, clock, tmp_path, "--full", "--json")
    assert json.loads(full.output)["decisions"] == 4 and json.loads(full.output)["documents"] == 4


def _rewrite_from(core: Juece, did: int, seq: int) -> None:
    """An insider's rewrite: event ``seq`` changed, every later hash recomputed, the row's head reset."""
    stream = f"decision:{did}"
    with core.db.write() as conn:
        rows = conn.execute(select(E).where(E.c.stream == stream).order_by(E.c.seq)).all()
        prev = rows[seq - 1].prev_hash
        for row in rows[seq - 1:]:
            event = dict(row.event)
            if row.seq == seq:
                event["data"] = dict(event["data"]) | {"note": "改写"}
            digest = chain_hash(prev, stream, row.seq, row.from_state, row.to_state, event)
            conn.execute(update(E).where(E.c.id == row.id).values(event=event, prev_hash=prev, hash=digest))
            prev = digest
        conn.execute(update(D).where(D.c.id == did).values(last_hash=prev))


def test_a_rewrite_before_the_verified_position_is_still_caught(core: Juece, clock: Clock, tmp_path: Path) -> None:
    did = drafted(core, "方案")
    assert verify_record(core).ok
    _rewrite_from(core, did, 2)
    with core.db.read() as conn:  # the chain alone holds: only the recorded position shows the rewrite
        assert verify_all(conn, core.catalog).ok
    for args in ((), ("--full",), ("--full",)):  # and --full does not overwrite that evidence
        result = verify_cli(core, clock, tmp_path, *args)
        assert result.exit_code == 1
        assert f"BROKEN: decision:{did} #3: the event verified here on " in result.output
        assert "has a different hash: the chain was rewritten or cut since" in result.output


def test_full_re_hashes_documents_an_incremental_run_takes_as_verified(core: Juece, clock: Clock,
                                                                      tmp_path: Path) -> None:
    did = drafted(core, "方案")
    assert verify_record(core).ok
    with core.db.write() as conn:
        conn.execute(text("UPDATE document SET content = :c WHERE sha256 = :s"),
                     {"c": b"forged", "s": draft_sha(core, did)})
    assert verify_record(core).ok  # the documented limit of an incremental run
    assert [str(p) for p in verify_record(core, full=True).problems] == [
        f"document:{draft_sha(core, did)[:12]}: content altered (hash mismatch)"]
    result = verify_cli(core, clock, tmp_path, str(did))
    assert result.exit_code == 1 and "content altered" in result.output


def test_altered_row_of_an_unchanged_decision_is_caught_incrementally(core: Juece) -> None:
    did = drafted(core, "方案")
    assert verify_record(core).ok
    with core.db.write() as conn:
        conn.execute(text("UPDATE decision SET state = 'implementation' WHERE id = :d"), {"d": did})
    assert "differ from the replay" in str(verify_record(core).problems[0])


def test_a_long_run_shows_progress_unless_json(core: Juece, clock: Clock, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(3):
        drafted(core, f"方案{i}")
    monkeypatch.setattr(cli.main, "PROGRESS_FROM", 3)
    result = CliRunner().invoke(main, ["audit", "verify"], obj=Ctx(
        Settings(instance_dir=tmp_path, database_url=core.db.url, broker_url="memory://"), clock))
    assert result.exit_code == 0
    assert "verified 3/3 decisions" in result.stderr
    assert result.stdout.startswith("ok: 3 decisions")
    quiet = CliRunner().invoke(main, ["audit", "verify", "--full", "--json"], obj=Ctx(
        Settings(instance_dir=tmp_path, database_url=core.db.url, broker_url="memory://"), clock))
    assert quiet.exit_code == 0 and quiet.stderr == ""
