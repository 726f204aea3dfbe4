"""Verification of the record: hash chains, signatures, documents, and the decision rows themselves.

Anyone with read access can run it (``juece audit verify``). It recomputes every hash from the stored
columns, checks every signature against the public keys on record, re-hashes every document, and
replays each decision's events to check that the stored state and facts are exactly their fold.
Signatures and deputy acts are judged against the keys and grants the system stream registers
(``workflow.keyring``): the right holder's key, not yet retired, inside the grant's period.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from workflow.catalog import Catalog
from workflow.context import utc_iso
from workflow.definition import ProcedureDef
from workflow.engine import replay
from workflow.keyring import Keyring
from workflow.persistence.store import DOC, DV, D, E, H, K, aware
from workflow.signing import GENESIS, chain_hash


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing that does not verify, located by stream and sequence number."""

    stream: str
    seq: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.stream} #{self.seq}" if self.seq is not None else self.stream
        return f"{where}: {self.message}"


@dataclass(slots=True)
class Report:
    """The outcome of a verification run."""

    events: int = 0
    signatures: int = 0
    documents: int = 0
    decisions: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """Machine-readable form."""
        return {"ok": self.ok, "events": self.events, "signatures": self.signatures, "documents": self.documents,
                "decisions": self.decisions, "problems": [str(p) for p in self.problems],
                "first_broken": str(self.problems[0]) if self.problems else None}


def _check_stream(conn: Connection, stream: str, ring: Keyring, report: Report) -> tuple[int, str, Any]:
    """Walk one stream; return (last seq, last hash, last to_state)."""
    prev, expected_seq, last_to = GENESIS, 1, None
    requests: dict[int, Any] = {}  # back-entry requests, whose signatures their confirmed steps carry
    hashes: dict[int, str] = {}  # and approval requests, whose hash the approved act names
    for row in conn.execute(select(E).where(E.c.stream == stream).order_by(E.c.seq)):
        report.events += 1
        event = row.event
        if row.seq != expected_seq:
            report.problems.append(Problem(stream, row.seq, f"sequence gap: expected #{expected_seq}"))
        if row.prev_hash != prev:
            report.problems.append(Problem(stream, row.seq, "prev_hash does not match the event before it"))
        if chain_hash(row.prev_hash, stream, row.seq, row.from_state, row.to_state, event) != row.hash:
            report.problems.append(Problem(stream, row.seq, f"hash mismatch: event '{row.action}' was altered"))
        actor_id = (event.get("actor") or {}).get("id")
        if row.action != event.get("action") or utc_iso(aware(row.at)) != event.get("at") or (  # type: ignore[arg-type]
                stream != "system" and row.actor_id != actor_id):
            report.problems.append(Problem(stream, row.seq, "columns differ from the hashed event"))
        if row.action in ("backfill_requested", "approval_requested"):
            requests[int(row.seq)], hashes[int(row.seq)] = event, str(row.hash)
        if event.get("approval"):
            problem = _approval_problem(event, requests, hashes)
            if problem:
                report.problems.append(Problem(stream, row.seq, problem))
        if event.get("signature"):
            report.signatures += 1
            problem = ring.signature_problem(stream, event, requests.get)
            if problem:
                report.problems.append(Problem(stream, row.seq, problem))
        deputy = ring.deputy_problem(event) if stream != "system" else None
        if deputy:
            report.problems.append(Problem(stream, row.seq, deputy))
        prev, expected_seq, last_to = row.hash, row.seq + 1, row.to_state
    return expected_seq - 1, prev, last_to


def _approval_problem(event: Mapping[str, Any], requests: Mapping[int, Mapping[str, Any]],
                      hashes: Mapping[int, str]) -> str | None:
    """Why an approved act does not match the request it names, or None when it does."""
    marker = event["approval"]
    seq = int(marker.get("request_seq", 0))
    found = requests.get(seq)
    if (found is None or found.get("action") != "approval_requested" or hashes.get(seq) != marker.get("request_hash")
            or (found.get("data") or {}).get("action") != event.get("action")
            or (found.get("actor") or {}).get("name") != marker.get("requested_by")
            or (found.get("data") or {}).get("data") != event.get("data")):
        return f"the approved act does not match approval request #{seq}"
    if (found.get("actor") or {}).get("name") == (event.get("actor") or {}).get("name"):
        return f"approval request #{seq} was approved by its own requester"
    return None


def verify_all(conn: Connection, catalog: Catalog, decision_ids: Iterable[int] | None = None) -> Report:
    """Verify the system stream and the given decisions (all decisions when None)."""
    report = Report()
    ring = Keyring.load(conn)
    _check_system(conn, ring, report)
    for key in conn.execute(select(K.c.key_id, K.c.public_hex)):
        registered = ring.keys.get(str(key.key_id))
        if registered is None or registered.public_hex != key.public_hex:
            report.problems.append(Problem("system", None, f"public key {key.key_id} differs from the one registered"))
    query = select(D).order_by(D.c.id)
    if decision_ids is not None:
        query = query.where(D.c.id.in_(list(decision_ids)))
    for row in conn.execute(query):
        report.decisions += 1
        stream = f"decision:{row.id}"
        seq, last_hash, last_to = _check_stream(conn, stream, ring, report)
        if seq != row.version or last_hash != row.last_hash:
            report.problems.append(Problem(stream, seq, f"decision row (version {row.version}) does not match "
                                                        f"the chain head (#{seq}): events missing or row altered"))
        procedure = catalog.get(f"{row.procedure_id}@{row.procedure_version}")
        events = [dict(r.event) | {"to": r.to_state} for r in conn.execute(
            select(E.c.event, E.c.to_state).where(E.c.stream == stream).order_by(E.c.seq))]
        try:
            state, facts = replay(procedure, events)
        except (KeyError, TypeError, ValueError) as exc:
            report.problems.append(Problem(stream, None, f"events do not replay: {exc!r}"))
            continue
        if state != row.state or last_to != row.state or facts != row.facts:
            report.problems.append(Problem(stream, None, "stored state or facts differ from the replay of its events"))
        _check_documents(conn, row.id, procedure, events, report)
    _check_store(conn, report)
    return report


def _check_system(conn: Connection, ring: Keyring, report: Report) -> None:
    seq, last_hash, _ = _check_stream(conn, "system", ring, report)
    head = conn.execute(select(H.c.seq, H.c.hash).where(H.c.stream == "system")).first()
    if (head is None and seq) or (head is not None and (head.seq != seq or head.hash != last_hash)):
        report.problems.append(Problem("system", seq, "system stream head does not match its last event"))


def _check_documents(conn: Connection, decision_id: int, procedure: ProcedureDef, events: list[dict[str, Any]],
                     report: Report) -> None:
    stream = f"decision:{decision_id}"
    for seq, event in enumerate(events, start=1):
        action = procedure.actions.get(event.get("action", ""))
        for name, spec in (action.fields.items() if action else []):
            sha = event.get("data", {}).get(name)
            if spec.type == "document" and sha and conn.execute(
                    select(DOC.c.sha256).where(DOC.c.sha256 == sha)).first() is None:
                report.problems.append(Problem(stream, seq, f"document {sha[:12]} ({name}) is missing"))
    for row in conn.execute(select(DV).where(DV.c.decision_id == decision_id)):
        owner = events[row.event_seq - 1] if 0 < row.event_seq <= len(events) else None
        if owner is None or row.sha256 not in owner.get("data", {}).values():
            report.problems.append(Problem(stream, row.event_seq, f"document version {row.kind} v{row.version_no} "
                                                                  "does not match its event"))


def _check_store(conn: Connection, report: Report) -> None:
    for row in conn.execute(select(DOC.c.sha256, DOC.c.content)):
        report.documents += 1
        if hashlib.sha256(row.content).hexdigest() != row.sha256:
            report.problems.append(Problem(f"document:{row.sha256[:12]}", None, "content altered (hash mismatch)"))
