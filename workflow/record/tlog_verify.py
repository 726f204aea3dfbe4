"""Checking the record against a published tree head: consistency, inclusion, and offline proof bundles.

``verify_against`` recomputes every leaf from the events as they are stored now, builds the tree, and
checks with an RFC 9162 consistency proof that the tree the head signed is a prefix of it: any event
before the head that was changed, removed, inserted or moved breaks the proof, whatever was recomputed
around it (hash chains, decision rows, the log table itself). The leaves that differ from the log table
are named too, when the table was left as it was.

``prove`` gives an inclusion proof of one event against a head, as a bundle (event, leaf, path, head)
that ``check_bundle`` verifies with nothing but the log's verifier key: no database, no juece.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from workflow.record import merkle, tlog
from workflow.record.merkle import ProofError
from workflow.record.transparency import trusted_head
from workflow.record.treehead import read_head

BUNDLE_FORMAT = "juece-inclusion/1"


@dataclass(slots=True)
class LogReport:
    """The outcome of checking the log against one head."""

    head_size: int = 0
    log_size: int = 0
    key_source: str = ""
    consistency_proof: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the head is authentic and the log extends it."""
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """Machine-readable form."""
        return {"ok": self.ok, "head_size": self.head_size, "log_size": self.log_size, "key": self.key_source,
                "consistency_proof": self.consistency_proof, "problems": self.problems}


def verify_against(conn: Connection, data: dict[str, Any], vkey: str | None = None) -> LogReport:
    """Check that nothing the head ``data`` covers was changed, removed or reordered since it was signed."""
    report = LogReport()
    try:
        head, report.key_source = trusted_head(conn, data, vkey)
    except ProofError as exc:
        report.problems.append(f"tree head: {exc}")
        return report
    report.head_size = head.tree_size
    hashes, leaf_problems = tlog.recomputed_hashes(conn)
    report.log_size = len(hashes)
    if len(hashes) < head.tree_size:
        report.problems.append(f"the log has {len(hashes)} leaves, fewer than the {head.tree_size} the head covers: "
                               "events were removed")
        report.problems += [str(p) for p in leaf_problems]
        return report
    if head.tree_size == 0:
        if head.root_hash != merkle.EMPTY_ROOT:
            report.problems.append("an empty head with a root that is not the empty root")
        report.problems += [str(p) for p in leaf_problems]
        return report
    proof = merkle.consistency_proof(hashes, head.tree_size)
    report.consistency_proof = [p.hex() for p in proof]
    try:
        merkle.verify_consistency(head.tree_size, len(hashes), head.root_hash, merkle.root(hashes), proof)
    except ProofError as exc:
        report.problems.append(f"the record no longer extends the head of size {head.tree_size} "
                               f"({head.timestamp:%Y-%m-%d %H:%M:%SZ}): {exc}; events before it were changed, "
                               "removed, inserted or reordered")
    # Leaves whose event and logged hash disagree: named when the log table was left as it was.
    report.problems += [str(p) for p in leaf_problems]
    return report


def prove(conn: Connection, stream: str, seq: int, data: dict[str, Any], vkey: str | None = None) -> dict[str, Any]:
    """An inclusion proof of event ``stream`` #``seq`` in the head ``data``, checked before it is returned."""
    head, _ = trusted_head(conn, data, vkey)
    found = tlog.locate(conn, stream, seq)
    if found is None:
        raise ProofError(f"{stream} #{seq} is not in the log yet: it is covered by the next head")
    index, row = found
    if index >= head.tree_size:
        raise ProofError(f"{stream} #{seq} is leaf {index}, after this head (size {head.tree_size}): "
                         "use a later head")
    record = tlog.record_of(row)
    leaf = merkle.leaf_hash(tlog.leaf_bytes(record))
    hashes = tlog.stored_hashes(conn, head.tree_size)
    if len(hashes) < head.tree_size:
        raise ProofError(f"the log has {len(hashes)} leaves, fewer than the head's {head.tree_size}")
    path = merkle.inclusion_proof(hashes, index, head.tree_size)
    try:
        merkle.verify_inclusion(index, head.tree_size, leaf, path, head.root_hash)
    except ProofError as exc:
        raise ProofError(f"{stream} #{seq} as stored now is not what the head signed ({exc}): "
                         "run 'juece audit verify --against' with this head") from exc
    return {"format": BUNDLE_FORMAT, "stream": stream, "seq": seq, "leaf_index": index, "leaf": record,
            "leaf_hash": leaf.hex(), "tree_size": head.tree_size, "inclusion_proof": [p.hex() for p in path],
            "head": head.as_dict()}


def check_bundle(bundle: dict[str, Any], vkey: str) -> dict[str, Any]:
    """Verify an inclusion bundle offline with the log's verifier key; returns what it proves."""
    if bundle.get("format") != BUNDLE_FORMAT:
        raise ProofError(f"not a {BUNDLE_FORMAT} bundle")
    head = read_head(bundle["head"], vkey)
    leaf = merkle.leaf_hash(tlog.leaf_bytes(bundle["leaf"]))
    if leaf.hex() != bundle.get("leaf_hash"):
        raise ProofError("the leaf does not hash to the bundle's leaf_hash")
    if bundle.get("tree_size") != head.tree_size:
        raise ProofError("the bundle's tree size is not the head's")
    if (bundle["leaf"].get("stream"), bundle["leaf"].get("seq")) != (bundle.get("stream"), bundle.get("seq")):
        raise ProofError("the leaf is not the event the bundle names")
    merkle.verify_inclusion(int(bundle["leaf_index"]), head.tree_size, leaf,
                            [bytes.fromhex(p) for p in bundle["inclusion_proof"]], head.root_hash)
    return {"ok": True, "stream": bundle["stream"], "seq": bundle["seq"], "leaf_index": bundle["leaf_index"],
            "tree_size": head.tree_size, "origin": head.origin, "timestamp": head.as_dict()["timestamp"]}


def consistency(conn: Connection, first: int, second: int) -> dict[str, Any]:
    """A consistency proof between two tree sizes of the log, over the logged leaf hashes."""
    hashes = tlog.stored_hashes(conn, second)
    if not 0 < first <= second <= len(hashes):
        raise ProofError(f"no consistency proof from size {first} to size {second} (the log has {len(hashes)})")
    proof = merkle.consistency_proof(hashes, first, second)
    return {"first": first, "second": second, "first_root": merkle.root(hashes, first).hex(),
            "second_root": merkle.root(hashes, second).hex(), "consistency_proof": [p.hex() for p in proof]}
