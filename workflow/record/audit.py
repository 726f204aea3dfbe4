"""Verification of the record: hash chains, signatures, documents, and the decision rows themselves.

Anyone with read access can run it (``juece audit verify``). It recomputes every hash from the stored
columns, checks every signature against the public keys on record, re-hashes every document, and
replays each decision's events to check that the stored state and facts are exactly their fold.
Signatures and deputy acts are judged against the keys and grants the system stream registers
(``workflow.record.keyring``): the right holder's key, not yet retired, inside the grant's period.

Two scopes. ``verify_decision`` checks one decision: its chain, signatures, replay, document versions
and the documents its events and versions name — never another decision's rows, so a decision page
costs the same in a small archive and a large one. ``verify_all`` checks everything; run through
``workflow.record.audit_positions.verify_record`` it is incremental (each stream from its verified position).
Stored data that cannot be read or has the wrong shape is a ``Problem`` naming stream and sequence,
never an exception: the record is untrusted input here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Text, bindparam, cast, select

from workflow.engine import migration
from workflow.engine.catalog import Catalog
from workflow.engine.context import utc_iso
from workflow.engine.decide import replay
from workflow.engine.definition import ProcedureDef
from workflow.engine.errors import NotFound
from workflow.persistence.store import DOC, DV, D, H, K, aware
from workflow.record.audit_read import (
    StoredEvent,
    hash_problem,
    parse_json,
    stream_event,
    stream_events,
    system_key_events,
)
from workflow.record.keyring import GRANT_EVENTS, KEY_EVENTS, Keyring
from workflow.record.signing import GENESIS, chain_hash, sha256_hex

#: What a failed check of one event may raise on a well-formed but wrongly typed value (a number for a date…).
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, OverflowError, IndexError)
#: What reading a damaged row may raise anywhere else (JSON that does not parse is a ValueError; too deep, a
#: RecursionError): the edges answer it with the decision's verification instead of a traceback.
DAMAGED = (*_MALFORMED, RecursionError)
#: Decision columns a verification reads; facts as raw text, so that unreadable JSON is a finding.
_DOCS_PRESENT = select(DOC.c.sha256).where(DOC.c.sha256.in_(bindparam("shas", expanding=True)))
_VERSIONS = (select(DV.c.kind, DV.c.version_no, DV.c.sha256, DV.c.event_seq)
             .where(DV.c.decision_id == bindparam("decision_id")))
DECISION_COLUMNS = (D.c.id, D.c.procedure_id, D.c.procedure_version, D.c.state, D.c.version, D.c.last_hash,
                    cast(D.c.facts, Text).label("facts_raw"))


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
    """The outcome of a verification run (``skipped``: decisions unchanged since their verified position)."""

    events: int = 0
    signatures: int = 0
    documents: int = 0
    decisions: int = 0
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """Machine-readable form."""
        return {"ok": self.ok, "events": self.events, "signatures": self.signatures, "documents": self.documents,
                "decisions": self.decisions, "skipped": self.skipped, "problems": [str(p) for p in self.problems],
                "first_broken": str(self.problems[0]) if self.problems else None}


@dataclass(slots=True)
class Walk:
    """Where a stream walk ended: last seq, its hash and to_state, and the events walked."""

    seq: int
    hash: str
    to_state: str | None
    events: list[StoredEvent]


def row_hash(state: Any, facts_raw: Any) -> str:
    """The fingerprint of a decision row's state and stored facts text, recorded when they replayed clean.

    Taken over the text as stored, not the parsed value: parsing and re-encoding every row's facts would
    cost an incremental run most of its time, and any change of the text only means a re-check."""
    raw = facts_raw.decode("utf-8", "replace") if isinstance(facts_raw, bytes) else str(facts_raw)
    return sha256_hex(f"{state}\n{raw}".encode())


class Checker:
    """One verification run over one connection: the keyring, the report, and the checks that fill it."""

    def __init__(self, conn: Connection, catalog: Catalog, report: Report | None = None) -> None:
        self.conn, self.catalog = conn, catalog
        self.report = report if report is not None else Report()
        self.ring = self._keyring()

    def problem(self, stream: str, seq: int | None, message: str) -> None:
        """Record one finding."""
        self.report.problems.append(Problem(stream, seq, message))

    def _keyring(self) -> Keyring:
        ring = Keyring()
        for stored in system_key_events(self.conn, KEY_EVENTS + GRANT_EVENTS):
            if stored.event is None:
                continue  # unreadable: the walk of the system stream names it
            try:
                ring.add(stored.event)
            except _MALFORMED as exc:
                self.problem("system", stored.seq, f"malformed {stored.action} event: {exc!r}")
        return ring

    # -- streams -----------------------------------------------------------------------------
    def walk(self, stream: str, after: int = 0, prev: str = GENESIS, prev_to: str | None = None) -> Walk:
        """Check a stream's events after ``after`` (whose hash was ``prev``): chain, columns, signatures, deputies."""
        expected, requests = after + 1, {}
        hashes: dict[int, str] = {}  # approval requests, whose hash the approved act names
        walked: list[StoredEvent] = []
        for stored in stream_events(self.conn, stream, after):
            self.report.events += 1
            walked.append(stored)
            if stored.seq != expected:
                self.problem(stream, stored.seq, f"sequence gap: expected #{expected}")
            bad_hash = hash_problem(stored.prev_hash, "prev_hash") or hash_problem(stored.hash, "hash")
            if bad_hash:
                self.problem(stream, stored.seq, bad_hash)
            elif stored.prev_hash != prev:
                self.problem(stream, stored.seq, "prev_hash does not match the event before it")
            if stored.event is None:
                self.problem(stream, stored.seq, f"{stored.error} (event '{stored.action}')")
            elif not bad_hash:
                if stored.action in ("backfill_requested", "approval_requested"):
                    requests[stored.seq] = stored.event
                    hashes[stored.seq] = str(stored.hash)
                if stored.event.get("approval"):
                    self._approval(stream, stored, requests, hashes)
                try:
                    self._event(stream, stored, stored.event, lambda seq: self._request(stream, seq, requests))
                except _MALFORMED as exc:
                    self.problem(stream, stored.seq, f"event '{stored.action}' cannot be checked: {exc!r}")
            prev, expected, prev_to = str(stored.hash), stored.seq + 1, stored.to_state
        return Walk(expected - 1, prev, prev_to, walked)

    def _approval(self, stream: str, stored: StoredEvent, requests: dict[int, Any], hashes: dict[int, str]) -> None:
        """Check an approved act against the request it names (which may lie before the verified position)."""
        event = stored.event or {}
        try:
            seq = int((event.get("approval") or {}).get("request_seq", 0))
            if seq not in requests and 0 < seq < stored.seq:
                earlier = stream_event(self.conn, stream, seq)
                if earlier is not None and earlier.event is not None:
                    requests[seq], hashes[seq] = earlier.event, str(earlier.hash)
            problem = _approval_problem(event, requests, hashes)
        except _MALFORMED as exc:
            problem = f"approved act cannot be checked: {exc!r}"
        if problem:
            self.problem(stream, stored.seq, problem)

    def _request(self, stream: str, seq: int, walked: Mapping[int, Any]) -> Mapping[str, Any] | None:
        if seq in walked:
            return walked[seq]  # type: ignore[no-any-return]
        found = stream_event(self.conn, stream, seq)  # a request before the verified position
        return found.event if found is not None else None

    def _event(self, stream: str, stored: StoredEvent, event: dict[str, Any],
               request: Callable[[int], Mapping[str, Any] | None]) -> None:
        if chain_hash(str(stored.prev_hash), stream, stored.seq, stored.from_state, stored.to_state,
                      event) != stored.hash:
            self.problem(stream, stored.seq, f"hash mismatch: event '{stored.action}' was altered")
        actor_id = (event.get("actor") or {}).get("id")
        at = utc_iso(aware(stored.at)) if stored.at is not None else None  # type: ignore[arg-type]
        if stored.action != event.get("action") or at != event.get("at") or (
                stream != "system" and stored.actor_id != actor_id):
            self.problem(stream, stored.seq, "columns differ from the hashed event")
        if event.get("signature"):
            self.report.signatures += 1
            problem = self.ring.signature_problem(stream, event, request)
            if problem:
                self.problem(stream, stored.seq, problem)
        deputy = self.ring.deputy_problem(event) if stream != "system" else None
        if deputy:
            self.problem(stream, stored.seq, deputy)

    # -- the system stream and the key table ----------------------------------------------------
    def system(self, after: int = 0, prev: str = GENESIS) -> Walk:
        """Check the system stream after ``after``, its head row, and the public-key table against it."""
        walk = self.walk("system", after, prev)
        head = self.conn.execute(select(H.c.seq, H.c.hash).where(H.c.stream == "system")).first()
        if (head is None and walk.seq) or (head is not None and (head.seq != walk.seq or head.hash != walk.hash)):
            self.problem("system", walk.seq, "system stream head does not match its last event")
        for key in self.conn.execute(select(K.c.key_id, K.c.public_hex)):
            registered = self.ring.keys.get(str(key.key_id))
            if registered is None or registered.public_hex != key.public_hex:
                self.problem("system", None, f"public key {key.key_id} differs from the one registered")
        return walk

    # -- decisions -------------------------------------------------------------------------------
    def decision(self, row: Any, after: int = 0, prev: str = GENESIS, prev_to: str | None = None
                 ) -> tuple[bool, set[str], str | None]:
        """Check one decision row (``DECISION_COLUMNS``) from ``after``; return (clean, documents named, row hash)."""
        stream, before = f"decision:{row.id}", len(self.report.problems)
        self.report.decisions += 1
        walk = self.walk(stream, after, prev, prev_to)
        if walk.seq != row.version or walk.hash != row.last_hash:
            self.problem(stream, walk.seq, f"decision row (version {row.version}) does not match the chain head "
                                           f"(#{walk.seq}): events missing or row altered")
        facts, unreadable = parse_json(row.facts_raw, "facts column")
        if unreadable is None and not isinstance(facts, dict):
            unreadable = f"facts column is a {type(facts).__name__}, not an object"
        if unreadable:
            self.problem(stream, None, f"decision row: {unreadable}")
        try:
            procedure = self.catalog.get(f"{row.procedure_id}@{row.procedure_version}")
        except NotFound:
            self.problem(stream, None, f"procedure {row.procedure_id}@{row.procedure_version} is not known")
            return False, set(), None
        events = walk.events if after == 0 else list(stream_events(self.conn, stream))
        unread = [e.seq for e in events if e.event is None]
        if unread:
            self.problem(stream, None, f"events do not replay: #{unread[0]} is unreadable")
        else:
            try:
                folding = [dict(e.event or {}) | {"to": e.to_state} for e in events]
                state, folded = replay(procedure, folding, self.catalog.get)
                path = migration.versions(folding)
            except Exception as exc:  # noqa: BLE001 — untrusted stored events: whatever the fold trips on is a finding
                self.problem(stream, None, f"events do not replay: {exc!r}")
            else:
                if path and path[-1] != procedure.key:
                    self.problem(stream, None, f"decision row names {procedure.key}, its last migration {path[-1]}")
                if state != row.state or walk.to_state != row.state or (unreadable is None and folded != facts):
                    self.problem(stream, None, "stored state or facts differ from the replay of its events")
        named = self._documents(stream, int(row.id), procedure, events, walk.events)
        clean = len(self.report.problems) == before
        return clean, named, row_hash(row.state, row.facts_raw) if clean else None

    def _documents(self, stream: str, decision_id: int, procedure: ProcedureDef, events: list[StoredEvent],
                   new: list[StoredEvent]) -> set[str]:
        """Check the documents named by ``new`` events exist and the decision's versions match their events."""
        named: set[str] = set()
        wanted: dict[str, tuple[int, str]] = {}
        for stored in new:
            event = stored.event or {}
            action = procedure.actions.get(str(event.get("action", "")))
            for name, spec in (action.fields.items() if action else []):
                sha = (event.get("data") or {}).get(name)
                if spec.type != "document" or not sha:
                    continue
                if not isinstance(sha, str):
                    self.problem(stream, stored.seq, f"document field {name} is not a hash")
                    continue
                named.add(sha)
                wanted.setdefault(sha, (stored.seq, name))
        if wanted:
            stored_shas = set(self.conn.execute(_DOCS_PRESENT, {"shas": sorted(wanted)}).scalars())
            for sha, (seq, name) in wanted.items():
                if sha not in stored_shas:
                    self.problem(stream, seq, f"document {sha[:12]} ({name}) is missing")
        by_seq = {e.seq: e.event for e in events}
        for row in self.conn.execute(_VERSIONS, {"decision_id": decision_id}):
            named.add(str(row.sha256))
            owner = by_seq.get(row.event_seq)
            if owner is None or row.sha256 not in (owner.get("data") or {}).values():
                self.problem(stream, row.event_seq, f"document version {row.kind} v{row.version_no} "
                                                    "does not match its event")
        return named

    # -- documents -------------------------------------------------------------------------------
    def rehash(self, shas: Iterable[str] | None) -> list[str]:
        """Re-hash the given stored documents (every one when None); return those that matched."""
        query = select(DOC.c.sha256, DOC.c.content)
        wanted = None if shas is None else sorted(set(shas))
        matched: list[str] = []
        chunks = [None] if wanted is None else [wanted[i:i + 500] for i in range(0, len(wanted), 500)]
        for chunk in chunks:
            for row in self.conn.execute(query if chunk is None else query.where(DOC.c.sha256.in_(chunk))):
                self.report.documents += 1
                if row.content is None or hashlib.sha256(row.content).hexdigest() != row.sha256:
                    self.problem(f"document:{row.sha256[:12]}", None, "content altered (hash mismatch)")
                else:
                    matched.append(str(row.sha256))
        return matched


def decision_row(conn: Connection, decision_id: int) -> Any:
    """A decision's row as verification reads it (facts as raw text), or None."""
    return conn.execute(select(*DECISION_COLUMNS).where(D.c.id == decision_id)).first()


def damage_report(conn: Connection, catalog: Catalog, decision_id: int, org_id: int | None) -> Report | None:
    """The findings that explain why a decision of office ``org_id`` cannot be read, or None (no such decision
    there, or nothing wrong: then the error was not the record's)."""
    row = conn.execute(select(D.c.org_id).where(D.c.id == decision_id)).first()
    if row is None or (org_id is not None and row.org_id != org_id):
        return None
    report = verify_decision(conn, catalog, decision_id)
    return None if report.ok else report


def verify_decision(conn: Connection, catalog: Catalog, decision_id: int) -> Report:
    """Verify one decision: its chain, signatures, replay, document versions and the documents it names.

    The system stream (whose keys and grants the signatures are judged by) is walked from its verified
    position when one is recorded and still holds (``workflow.record.audit_positions``), else from its start.
    """
    return verify_all(conn, catalog, [decision_id])


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
    """Verify everything from the start (all decisions and documents), or only the given decisions, scoped."""
    from workflow.record.audit_positions import system_start

    check = Checker(conn, catalog)
    if decision_ids is None:
        check.system()
        for row in conn.execute(select(*DECISION_COLUMNS).order_by(D.c.id)).all():
            check.decision(row)
        check.rehash(None)
        return check.report
    check.system(*system_start(conn, check))
    named: set[str] = set()
    for decision_id in decision_ids:
        row = decision_row(conn, decision_id)
        if row is None:
            check.problem(f"decision:{decision_id}", None, "no such decision")
            continue
        named |= check.decision(row)[1]
    check.rehash(named)
    return check.report
