"""Incremental verification: each stream checked from the position where it last verified clean.

A full run (``juece audit verify``) records, for every stream that verified clean, its last sequence
number and that event's hash, and for a decision the fingerprint of its row's state and facts; for
every document, that its content matched its address. The next run starts each stream after its
position, after checking that the stored event at that position still has the recorded hash, so a
rewrite that recomputes the chain from before that point is still caught; it re-hashes only documents
not verified before. What it does not redo (the hashes of events before a position, except the one at
it; the content of documents verified before) is what ``--full`` redoes. Recorded positions are
checked by ``--full`` too: a recorded hash that no longer matches is evidence no chain walk can give.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from workflow.persistence.store import DOC, D, E, naive
from workflow.persistence.verify_models import VerifiedDocument, VerifiedStream
from workflow.record.audit import DECISION_COLUMNS, Checker, Report, row_hash
from workflow.record.signing import GENESIS

if TYPE_CHECKING:
    from workflow.service import Juece

VS = cast(Table, VerifiedStream.__table__)
VD = cast(Table, VerifiedDocument.__table__)
#: Progress callback: (decisions done, decisions in all).
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Position:
    """A recorded position, with the hash and to_state of the event stored there now (None: no such event)."""

    stream: str
    seq: int
    hash: str
    row_hash: str | None
    verified_at: dt.datetime
    now_hash: str | None
    to_state: str | None


_POSITIONS = (select(VS.c.stream, VS.c.seq, VS.c.hash, VS.c.row_hash, VS.c.verified_at,
                     E.c.hash.label("now_hash"), E.c.to_state)
              .select_from(VS).outerjoin(E, (E.c.stream == VS.c.stream) & (E.c.seq == VS.c.seq)))


def positions(conn: Connection, stream: str | None = None) -> dict[str, Position]:
    """The recorded positions (of one stream when given), each with the event stored there now."""
    query = _POSITIONS if stream is None else _POSITIONS.where(VS.c.stream == stream)
    return {str(r.stream): Position(str(r.stream), int(r.seq), str(r.hash), r.row_hash, r.verified_at, r.now_hash,
                                    r.to_state) for r in conn.execute(query)}


def holds(check: Checker, position: Position) -> bool:
    """True when the event at ``position`` still has the recorded hash; else the finding is recorded."""
    if position.now_hash == position.hash:
        return True
    when = f"{position.verified_at:%Y-%m-%d %H:%M} UTC"
    what = "is gone" if position.now_hash is None else "has a different hash"
    check.problem(position.stream, position.seq, f"the event verified here on {when} {what}: the chain was "
                                                 "rewritten or cut since")
    return False


def system_start(conn: Connection, check: Checker) -> tuple[int, str]:
    """Where a scoped check starts the system stream: its verified position if it holds, else the start."""
    recorded = positions(conn, "system").get("system")
    if recorded is not None and holds(check, recorded):
        return recorded.seq, recorded.hash
    return 0, GENESIS


def _unchanged(row: Any, position: Position) -> bool:
    return (row.version == position.seq and row.last_hash == position.hash
            and position.row_hash == row_hash(row.state, row.facts_raw))


def verify_record(core: Juece, *, full: bool = False, progress: Progress | None = None) -> Report:
    """Verify the whole record, from each stream's verified position (everything with ``full``), and record
    the new positions of the streams and documents that verified clean."""
    streams: list[dict[str, Any]] = []
    with core.db.read() as conn:
        check = Checker(conn, core.catalog)
        recorded_all = positions(conn)
        known = {s: p for s, p in recorded_all.items() if holds(check, p)}
        # A stream whose recorded hash no longer matches keeps that record: it is the evidence of the rewrite.
        broken = set(recorded_all) - set(known)
        start = known.get("system") if not full else None
        before = len(check.report.problems)
        walk = check.system(*(start.seq, start.hash) if start else (0, GENESIS))
        if len(check.report.problems) == before and walk.seq and "system" not in broken:
            streams.append({"stream": "system", "seq": walk.seq, "hash": walk.hash, "row_hash": None})
        rows = conn.execute(select(*DECISION_COLUMNS).order_by(D.c.id)).all()
        for done, row in enumerate(rows, start=1):
            recorded = known.get(f"decision:{row.id}") if not full else None
            if recorded is not None and _unchanged(row, recorded):
                check.report.skipped += 1
            else:
                after = (recorded.seq, recorded.hash, recorded.to_state) if recorded else (0, GENESIS, None)
                clean, _, fingerprint = check.decision(row, *after)
                if clean and f"decision:{row.id}" not in broken:
                    streams.append({"stream": f"decision:{row.id}", "seq": int(row.version),
                                    "hash": str(row.last_hash), "row_hash": fingerprint})
            if progress is not None:
                progress(done, len(rows))
        if full:
            documents = check.rehash(None)
        else:
            fresh = select(DOC.c.sha256).outerjoin(VD, VD.c.sha256 == DOC.c.sha256).where(VD.c.sha256.is_(None))
            documents = check.rehash([str(sha) for sha in conn.execute(fresh).scalars()])
    _save(core, streams, documents)
    return check.report


def _save(core: Juece, streams: list[dict[str, Any]], documents: list[str]) -> None:
    now = naive(core.clock())
    with core.db.write() as conn:
        upsert = (postgresql.insert(VS) if conn.dialect.name == "postgresql" else sqlite.insert(VS))
        upsert = upsert.on_conflict_do_update(index_elements=[VS.c.stream], set_={
            "seq": upsert.excluded.seq, "hash": upsert.excluded.hash, "row_hash": upsert.excluded.row_hash,
            "verified_at": upsert.excluded.verified_at})
        for i in range(0, len(streams), 2000):
            conn.execute(upsert, [s | {"verified_at": now} for s in streams[i:i + 2000]])
        keep = (postgresql.insert(VD) if conn.dialect.name == "postgresql" else sqlite.insert(VD))
        keep = keep.on_conflict_do_nothing(index_elements=[VD.c.sha256])
        for i in range(0, len(documents), 2000):
            conn.execute(keep, [{"sha256": sha, "verified_at": now} for sha in documents[i:i + 2000]])
