"""The transparency log: a published, signed tree head catches what the hash chains alone cannot.

Each tampering below is done as an insider with database access but without the instance secret would
do it: the hash chain, the decision row and (in the ``rebuilt`` variants) the log table are recomputed,
so that plain ``juece audit verify`` passes. ``juece audit verify --against HEAD.json`` must not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import delete, insert, select, update

from cli.common import Ctx
from cli.main import main
from config.settings import Settings
from tests.helpers import PASSWORD, Clock, new_decision, to_collective_discussion, to_publication
from workflow.engine.decide import replay
from workflow.persistence.store import D, E, H, naive
from workflow.record import tlog, tlog_verify, transparency
from workflow.record.audit import verify_all
from workflow.record.merkle import ProofError, verify_consistency
from workflow.record.signing import GENESIS, chain_hash
from workflow.service import Juece

ORIGIN = "juece.test/古塘"
Rows = list[dict[str, Any]]


def cli(core: Juece, clock: Clock, tmp_path: Path, *args: str) -> Result:
    settings = Settings(instance_dir=tmp_path, database_url=core.db.url, broker_url="memory://",
                        secret_key="test-secret", log_origin=ORIGIN)
    return CliRunner().invoke(main, list(args), obj=Ctx(settings, clock))


def publish_to_file(core: Juece, tmp_path: Path) -> Path:
    head = transparency.publish(core, ORIGIN, force=True)
    path = tmp_path / "head.json"
    path.write_text(json.dumps(head, ensure_ascii=False))
    return path


def forge(core: Juece, stream: str, edit: Callable[[Rows], Rows]) -> None:
    """Rewrite a stream as an insider: edit its rows, recompute its chain, reset the decision row or head."""
    with core.db.write() as conn:
        old = [dict(r._mapping) for r in conn.execute(select(E).where(E.c.stream == stream).order_by(E.c.seq))]
        new = edit([dict(r) for r in old])
        conn.execute(update(E).where(E.c.stream == stream).values(seq=-E.c.seq))  # free the (stream, seq) keys
        keep = {r["id"] for r in new if "id" in r}
        conn.execute(delete(E).where(E.c.stream == stream, E.c.id.not_in(keep)))
        prev = GENESIS
        for seq, row in enumerate(new, start=1):
            digest = chain_hash(prev, stream, seq, row["from_state"], row["to_state"], row["event"])
            values = {k: row[k] for k in ("action", "actor_id", "from_state", "to_state", "at", "event")}
            values |= {"stream": stream, "seq": seq, "prev_hash": prev, "hash": digest}
            if "id" in row:
                conn.execute(update(E).where(E.c.id == row["id"]).values(**values))
            else:
                conn.execute(insert(E).values(**values))
            prev = digest
        if stream == "system":
            conn.execute(update(H).where(H.c.stream == "system").values(seq=len(new), hash=prev))
            return
        did = int(stream.split(":")[1])
        decision = conn.execute(select(D).where(D.c.id == did)).one()
        procedure = core.catalog.get(f"{decision.procedure_id}@{decision.procedure_version}")
        state, facts = replay(procedure, [dict(r["event"]) | {"to": r["to_state"]} for r in new])
        conn.execute(update(D).where(D.c.id == did).values(version=len(new), last_hash=prev, state=state,
                                                           facts=facts))


def rebuild_log(core: Juece, clock: Clock) -> None:
    """The insider also rebuilds the log table from the events as they now are."""
    with core.db.write() as conn:
        conn.execute(delete(tlog.LL))
    tlog.sequence_all(core.db, clock())


def chain_verifies(core: Juece) -> bool:
    with core.db.read() as conn:
        report = verify_all(conn, core.catalog)
    return report.ok


def rewrite_unsigned_event(core: Juece, did: int) -> None:
    def edit(rows: Rows) -> Rows:
        target = next(r for r in rows if r["action"] == "submit_comment")
        assert "signature" not in target["event"]
        target["event"] = dict(target["event"]) | {"data": target["event"]["data"] | {"text": "同意（已改）"}}
        return rows

    forge(core, f"decision:{did}", edit)


def insert_system_event(core: Juece, did: int) -> None:
    def edit(rows: Rows) -> Rows:
        rogue = dict(rows[1])
        del rogue["id"]
        rogue["event"] = dict(rogue["event"]) | {"data": dict(rogue["event"]["data"]) | {"user": "ghost"}}
        return [rows[0], rogue, *rows[1:]]

    forge(core, "system", edit)


@pytest.fixture()
def recorded(core: Juece, clock: Clock) -> int:
    did = new_decision(core, ["technical"])
    to_publication(core, clock, did, ["technical"])
    return did


def test_published_head_is_signed_by_the_log_key_and_extends_the_last(core: Juece, clock: Clock,
                                                                      recorded: int) -> None:
    first = transparency.publish(core, ORIGIN)
    assert first is not None and transparency.publish(core, ORIGIN) is None  # nothing new: no new head
    with core.db.read() as conn:
        key = transparency.require_key(conn)
        assert first["tree_size"] == len(conn.execute(select(E.c.id)).all())  # the key's own event included
        system = conn.execute(select(E.c.event).where(E.c.action == "log_key_created")).scalar_one()
    assert system["data"]["verifier_key"] == key["verifier_key"] and key["verifier_key"].startswith(ORIGIN + "+")
    assert first["note"].startswith(f"{ORIGIN}\n{first['tree_size']}\n") and "\n\n\u2014 " + ORIGIN in first["note"]
    core.act(recorded, "publish", "publisher", {"channels": ["政府网站"], "published_on": "2026-05-10",
                                                "adoption_explanation": "已采纳"})
    second = transparency.publish(core, ORIGIN)
    assert second is not None and second["tree_size"] == first["tree_size"] + 1
    with core.db.read() as conn:
        proof = tlog_verify.consistency(conn, first["tree_size"], second["tree_size"])
        assert [h["tree_size"] for h in transparency.heads(conn)] == [second["tree_size"], first["tree_size"]]
    verify_consistency(first["tree_size"], second["tree_size"], bytes.fromhex(first["root_hash"]),
                       bytes.fromhex(second["root_hash"]), [bytes.fromhex(p) for p in proof["consistency_proof"]])


def test_untouched_record_verifies_against_the_head(core: Juece, clock: Clock, recorded: int, tmp_path: Path) -> None:
    head = publish_to_file(core, tmp_path)
    core.act(recorded, "publish", "publisher", {"channels": ["政府网站"], "published_on": "2026-05-10",
                                                "adoption_explanation": "已采纳"})
    transparency.publish(core, ORIGIN)  # the log grew after the head in hand
    with core.db.read() as conn:
        vkey = transparency.require_key(conn)["verifier_key"]
    result = cli(core, clock, tmp_path, "audit", "verify", "--against", str(head), "--key", vkey)
    assert result.exit_code == 0, result.output
    assert "extends the tree head" in result.output and "pinned verifier key" in result.output


def delete_signed_last_events(core: Juece, clock: Clock, tmp_path: Path) -> tuple[int, Path]:
    """Two signed acts, a head, then both acts removed and the decision row reset from a copy before them."""
    did = new_decision(core, ["technical"])
    to_collective_discussion(core, clock, did, ["technical"])
    from tests.helpers import MEETING

    core.act(did, "record_meeting", "secretary", MEETING)
    with core.db.read() as conn:
        before = dict(conn.execute(select(D).where(D.c.id == did)).one()._mapping)
    core.act(did, "record_decision", "chief", {"outcome": "adopted"}, password=PASSWORD)
    core.act(did, "record_party_consent", "secretary", {"reference": "古街党〔2026〕12号"})
    head = publish_to_file(core, tmp_path)
    with core.db.write() as conn:
        last = conn.execute(select(E.c.event).where(E.c.stream == f"decision:{did}", E.c.seq == before["version"] + 1)
                            ).scalar_one()
        assert "signature" in last  # the chief's decision is a signed act
        conn.execute(delete(E).where(E.c.stream == f"decision:{did}", E.c.seq > before["version"]))
        conn.execute(update(D).where(D.c.id == did).values(**{k: v for k, v in before.items() if k != "id"}))
    return did, head


TAMPERING: dict[str, Callable[[Juece, Clock, Path], Path]] = {}


def _rewrite(core: Juece, clock: Clock, tmp_path: Path) -> Path:
    did = new_decision(core, ["technical"])
    to_publication(core, clock, did, ["technical"])
    head = publish_to_file(core, tmp_path)
    rewrite_unsigned_event(core, did)
    return head


def _delete(core: Juece, clock: Clock, tmp_path: Path) -> Path:
    return delete_signed_last_events(core, clock, tmp_path)[1]


def _insert(core: Juece, clock: Clock, tmp_path: Path) -> Path:
    did = new_decision(core, ["technical"])
    to_publication(core, clock, did, ["technical"])
    head = publish_to_file(core, tmp_path)
    insert_system_event(core, did)
    return head


TAMPERING = {"rewritten unsigned event": _rewrite, "deleted signed last events": _delete,
             "inserted event": _insert}


@pytest.mark.parametrize("rebuilt", [False, True], ids=["log table left", "log table rebuilt"])
@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_tampering_passes_the_chains_but_not_the_head(core: Juece, clock: Clock, tmp_path: Path, case: str,
                                                      rebuilt: bool) -> None:
    head = TAMPERING[case](core, clock, tmp_path)
    if rebuilt:
        rebuild_log(core, clock)
    assert chain_verifies(core), "the forgery must pass the hash chains, or this test proves nothing"
    assert cli(core, clock, tmp_path, "audit", "verify").exit_code == 0
    result = cli(core, clock, tmp_path, "audit", "verify", "--against", str(head))
    assert result.exit_code == 1, result.output
    assert result.output.startswith("BROKEN: "), result.output
    if rebuilt or case == "deleted signed last events":
        assert "no longer extends the head" in result.output or "fewer than" in result.output
    else:
        assert "its logged leaf hash differ" in result.output  # the leaf that was changed is named
    if not rebuilt and case != "inserted event":
        assert "decision:" in result.output or "event id" in result.output
    if rebuilt:
        with pytest.raises(ProofError, match="no longer extends"):  # juece signs no head over a rebuilt log
            transparency.publish(core, ORIGIN, force=True)


def test_head_must_carry_the_log_signature(core: Juece, clock: Clock, recorded: int, tmp_path: Path) -> None:
    head = json.loads(publish_to_file(core, tmp_path).read_text())
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(head | {"tree_size": head["tree_size"] - 1}))
    result = cli(core, clock, tmp_path, "audit", "verify", "--against", str(forged))
    assert result.exit_code == 1 and "differs from the signed checkpoint" in result.output
    note = head["note"].replace(f"\n{head['tree_size']}\n", f"\n{head['tree_size'] - 1}\n", 1)
    forged.write_text(json.dumps(head | {"note": note, "tree_size": head["tree_size"] - 1}))
    result = cli(core, clock, tmp_path, "audit", "verify", "--against", str(forged))
    assert result.exit_code == 1 and "signature is invalid" in result.output
    # A head signed by a key the insider made is refused when the witness pins the published key.
    from workflow.record.treehead import checkpoint, new_log_key, sign_note, verifier_key

    with core.db.read() as conn:
        pinned = transparency.require_key(conn)["verifier_key"]
    own = new_log_key(ORIGIN, b"insider")
    note = sign_note(checkpoint(ORIGIN, 1, b"\x00" * 32, clock()), ORIGIN, own.private_pem, b"insider")
    forged.write_text(json.dumps({"note": note}))
    result = cli(core, clock, tmp_path, "audit", "verify", "--against", str(forged), "--key", pinned)
    assert result.exit_code == 1 and "not signed by the key" in result.output
    assert verifier_key(ORIGIN, own.public) != pinned


def test_inclusion_proof_bundle_checks_offline(core: Juece, clock: Clock, recorded: int, tmp_path: Path) -> None:
    head = publish_to_file(core, tmp_path)
    with core.db.read() as conn:
        vkey = transparency.require_key(conn)["verifier_key"]
        seq = conn.execute(select(E.c.seq).where(E.c.stream == f"decision:{recorded}",
                                                 E.c.action == "sign_legality_opinion")).scalar_one()
    bundle = tmp_path / "proof.json"
    result = cli(core, clock, tmp_path, "audit", "prove", str(recorded), str(seq), "--against", str(head),
                 "-o", str(bundle))
    assert result.exit_code == 0, result.output
    checked = CliRunner().invoke(main, ["log", "check", str(bundle), "--key", vkey])  # no database needed
    assert checked.exit_code == 0 and f"decision:{recorded} #{seq} is leaf" in checked.output
    data = json.loads(bundle.read_text())
    assert data["leaf"]["event"]["signature"]["key"]  # the signed opinion travels with its proof
    data["leaf"]["event"]["data"]["opinion"] = "经审查不合法"
    bundle.write_text(json.dumps(data, ensure_ascii=False))
    broken = CliRunner().invoke(main, ["log", "check", str(bundle), "--key", vkey])
    assert broken.exit_code == 1 and "does not hash" in broken.output
    # An event after the head is not covered by it; one changed since is refused, not proven.
    core.act(recorded, "publish", "publisher", {"channels": ["政府网站"], "published_on": "2026-05-10",
                                                "adoption_explanation": "已采纳"})
    transparency.publish(core, ORIGIN)
    with core.db.read() as conn:
        last = conn.execute(select(D.c.version).where(D.c.id == recorded)).scalar_one()
    late = cli(core, clock, tmp_path, "audit", "prove", str(recorded), str(last), "--against", str(head))
    assert late.exit_code == 1 and "after this head" in late.output
    rewrite_unsigned_event(core, recorded)
    with core.db.read() as conn:
        comment_seq = conn.execute(select(E.c.seq).where(E.c.stream == f"decision:{recorded}",
                                                         E.c.action == "submit_comment")).scalar_one()
    refused = cli(core, clock, tmp_path, "audit", "prove", str(recorded), str(comment_seq), "--against", str(head))
    assert refused.exit_code == 1 and "not what the head signed" in refused.output


def test_sequencing_is_gap_free_and_in_event_order(core: Juece, clock: Clock, recorded: int) -> None:
    assert tlog.sequence(core.db, clock(), limit=7) == 7
    assert tlog.sequence_all(core.db, clock()) > 0
    assert tlog.sequence_all(core.db, clock()) == 0  # nothing twice
    with core.db.read() as conn:
        rows = conn.execute(select(tlog.LL.c.log_index, tlog.LL.c.event_id).order_by(tlog.LL.c.log_index)).all()
        ids = [r.id for r in conn.execute(select(E.c.id).order_by(E.c.id))]
    assert [r.log_index for r in rows] == list(range(len(ids)))
    assert [r.event_id for r in rows] == ids
    with core.db.write() as conn:
        conn.execute(insert(tlog.LL).values(log_index=len(ids) + 1, event_id=10**9, leaf_hash="00" * 32,
                                            sequenced_at=naive(clock())))
    with core.db.read() as conn, pytest.raises(ProofError, match="missing from the log table"):
        tlog.stored_hashes(conn)


def test_the_documented_standalone_verifier_agrees(core: Juece, clock: Clock, recorded: int, tmp_path: Path) -> None:
    import subprocess
    import sys

    script = Path(__file__).resolve().parent.parent / "docs" / "tlog_standalone_verifier.py"
    old = publish_to_file(core, tmp_path)
    core.act(recorded, "publish", "publisher", {"channels": ["政府网站"], "published_on": "2026-05-10",
                                                "adoption_explanation": "已采纳"})
    new = tmp_path / "new.json"
    new.write_text(json.dumps(transparency.publish(core, ORIGIN)))
    sizes = json.loads(old.read_text())["tree_size"], json.loads(new.read_text())["tree_size"]
    with core.db.read() as conn:
        vkey = transparency.require_key(conn)["verifier_key"]
        (tmp_path / "consistency.json").write_text(json.dumps(tlog_verify.consistency(conn, *sizes)))
        (tmp_path / "bundle.json").write_text(json.dumps(
            tlog_verify.prove(conn, f"decision:{recorded}", 3, json.loads(new.read_text())), ensure_ascii=False))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(script), vkey, *args], capture_output=True, text=True,
                              cwd=tmp_path, check=False)

    assert run("inclusion", "bundle.json").returncode == 0
    assert run("consistency", "head.json", "new.json", "consistency.json").returncode == 0
    assert run("consistency", "new.json", "head.json", "consistency.json").returncode == 1
    bundle = json.loads((tmp_path / "bundle.json").read_text())
    bundle["leaf"]["event"]["at"] = "2026-03-01T00:00:00.000000Z"  # backdated
    (tmp_path / "bundle.json").write_text(json.dumps(bundle, ensure_ascii=False))
    assert run("inclusion", "bundle.json").returncode == 1
