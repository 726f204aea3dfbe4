"""The transparency log: every audit event, in one global append-only order, as a leaf of an RFC 9162 tree.

The hot path is not touched: an action appends its event as before. A sequencer (run before a tree head
is published, and on demand) gives the events that are not yet in the log the next log indexes, in
event-id order, one sequencer at a time. ``log_index`` is the primary key, so two sequencers can never
hand out the same index; on PostgreSQL they also queue on an advisory lock, on SQLite on the write lock.

Ids are handed out before commit on PostgreSQL, so an event with a smaller id can commit after one with
a larger id. The sequencer therefore first takes a *fence*: under ``LOCK TABLE … IN SHARE MODE`` (which
waits for every transaction that is inserting events, and holds new ones back for that instant only)
it reads the largest event id; every event up to the fence is then committed (ids come from a sequence
with the default CACHE 1, so an id taken later is always larger), and only those are sequenced. The
next run continues above the last sequenced id.

Leaf encoding (docs/transparency-log.md): the RFC 8785 (JCS) form of
``{"v": 1, "stream", "seq", "from", "to", "event", "prev_hash", "hash"}``, so an outside verifier
needs any JCS implementation, not Python's ``json.dumps``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import rfc8785
from sqlalchemy import Connection, Table, func, insert, select, text

from workflow.persistence.db import Database
from workflow.persistence.models import LogLeaf
from workflow.persistence.store import E, naive
from workflow.record import merkle

LL = cast(Table, LogLeaf.__table__)
LEAF_VERSION = 1
#: pg_advisory_xact_lock key of the sequencer ("juece" in ASCII).
SEQUENCER_LOCK = 0x6A75656365
BATCH = 5000


def leaf_record(stream: str, seq: int, from_state: str | None, to_state: str | None, event: Mapping[str, Any],
                prev_hash: str, hash_: str) -> dict[str, Any]:
    """What a leaf says about one audit event (its chain position, content and chain hashes)."""
    return {"v": LEAF_VERSION, "stream": stream, "seq": seq, "from": from_state, "to": to_state,
            "event": dict(event), "prev_hash": prev_hash, "hash": hash_}


def leaf_bytes(record: Mapping[str, Any]) -> bytes:
    """The leaf input: the RFC 8785 canonical JSON of a leaf record."""
    return rfc8785.dumps(dict(record))


def record_of(row: Any) -> dict[str, Any]:
    """The leaf record of an ``audit_event`` row."""
    return leaf_record(str(row.stream), int(row.seq), row.from_state, row.to_state, row.event, str(row.prev_hash),
                       str(row.hash))


def hash_of(row: Any) -> bytes:
    """The RFC 9162 leaf hash of an ``audit_event`` row."""
    return merkle.leaf_hash(leaf_bytes(record_of(row)))


_EVENT_COLUMNS = (E.c.id, E.c.stream, E.c.seq, E.c.from_state, E.c.to_state, E.c.event, E.c.prev_hash, E.c.hash)


def _fence(db: Database) -> int:
    """The largest event id below which every event has committed (PostgreSQL; see the module text)."""
    with db.write() as conn:
        conn.exec_driver_sql("LOCK TABLE audit_event IN SHARE MODE")
        return int(conn.execute(select(func.max(E.c.id))).scalar() or 0)


def sequence(db: Database, now: dt.datetime, limit: int = BATCH) -> int:
    """Give up to ``limit`` committed, not yet logged events the next log indexes; returns how many."""
    fence = _fence(db) if not db.is_sqlite else None
    with db.write() as conn:
        if not db.is_sqlite:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEQUENCER_LOCK})
        else:  # BEGIN IMMEDIATE holds every other writer back: all events present have committed
            fence = int(conn.execute(select(func.max(E.c.id))).scalar() or 0)
        last = conn.execute(select(LL.c.log_index, LL.c.event_id).order_by(LL.c.log_index.desc()).limit(1)).first()
        index, floor = (int(last.log_index) + 1, int(last.event_id)) if last else (0, 0)
        rows = conn.execute(select(*_EVENT_COLUMNS).where(E.c.id > floor, E.c.id <= fence)
                            .order_by(E.c.id).limit(limit)).all()
        values = [{"log_index": index + i, "event_id": int(row.id), "leaf_hash": hash_of(row).hex(),
                   "sequenced_at": naive(now)} for i, row in enumerate(rows)]
        if values:
            conn.execute(insert(LL), values)
        return len(values)


def sequence_all(db: Database, now: dt.datetime) -> int:
    """Sequence every committed event not yet in the log; returns how many."""
    total = 0
    while True:
        done = sequence(db, now)
        total += done
        if done < BATCH:
            return total


def size(conn: Connection) -> int:
    """The number of leaves in the log."""
    return int(conn.execute(select(func.count()).select_from(LL)).scalar() or 0)


def stored_hashes(conn: Connection, tree_size: int | None = None) -> list[bytes]:
    """The stored leaf hashes in log order (the first ``tree_size`` of them)."""
    query = select(LL.c.log_index, LL.c.leaf_hash).order_by(LL.c.log_index)
    if tree_size is not None:
        query = query.where(LL.c.log_index < tree_size)
    out = []
    for expected, row in enumerate(conn.execute(query)):
        if row.log_index != expected:
            raise merkle.ProofError(f"log index {expected} is missing from the log table")
        out.append(bytes.fromhex(row.leaf_hash))
    return out


@dataclass(frozen=True, slots=True)
class LeafProblem:
    """A leaf whose event is gone, or no longer hashes to what was logged."""

    log_index: int
    event_id: int
    where: str
    message: str

    def __str__(self) -> str:
        return f"log leaf {self.log_index} ({self.where}): {self.message}"


def recomputed_hashes(conn: Connection) -> tuple[list[bytes], list[LeafProblem]]:
    """Every leaf hash recomputed from the events as they are stored now, and the leaves that differ."""
    rows = conn.execute(select(LL.c.log_index, LL.c.event_id, LL.c.leaf_hash, *_EVENT_COLUMNS[1:])
                        .select_from(LL.outerjoin(E, E.c.id == LL.c.event_id)).order_by(LL.c.log_index))
    hashes: list[bytes] = []
    problems: list[LeafProblem] = []
    for row in rows:
        if row.log_index != len(hashes):
            problems.append(LeafProblem(len(hashes), 0, "?", f"log indexes jump to {row.log_index}"))
            break
        if row.stream is None:
            # A gone event hashes to nothing anyone can produce: the root cannot match any more.
            hashes.append(merkle.leaf_hash(b"missing event %d" % row.event_id))
            problems.append(LeafProblem(int(row.log_index), int(row.event_id), f"event id {row.event_id}",
                                        "the logged event is gone"))
            continue
        current = hash_of(row)
        hashes.append(current)
        if current.hex() != row.leaf_hash:
            problems.append(LeafProblem(int(row.log_index), int(row.event_id), f"{row.stream} #{row.seq}",
                                        "the event and its logged leaf hash differ"))
    return hashes, problems


def locate(conn: Connection, stream: str, seq: int) -> tuple[int, Any] | None:
    """The log index and the stored row of event ``stream`` #``seq``; None when it is not (yet) logged."""
    row = conn.execute(select(LL.c.log_index, *_EVENT_COLUMNS).select_from(LL.join(E, E.c.id == LL.c.event_id))
                       .where(E.c.stream == stream, E.c.seq == seq)).first()
    return None if row is None else (int(row.log_index), row)
