"""Reading stored audit rows for verification without trusting them: malformed data is a finding, not a crash.

SQLAlchemy's JSON type parses a column while it fetches the row, so one byte flipped in a stored event
would end the whole run in a ``JSONDecodeError`` naming nothing. Verification therefore reads the raw
text (``CAST(event AS TEXT)``) and parses it here, turning anything unreadable or of the wrong shape
into a message that names what is wrong; the caller attaches the stream and sequence number.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Text, bindparam, cast, select

from workflow.persistence.store import E

#: Fields of an event that, when present, must be JSON objects (the checks read keys from them).
_OBJECT_FIELDS = ("data", "actor", "signature", "deputy", "backfill", "correction")
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One audit row as stored; ``event`` is None when ``error`` says why it could not be read."""

    seq: int
    action: str | None
    actor_id: int | None
    from_state: str | None
    to_state: str | None
    at: Any
    prev_hash: str | None
    hash: str | None
    event: dict[str, Any] | None
    error: str | None


def parse_json(raw: Any, what: str) -> tuple[Any, str | None]:
    """``raw`` text parsed as JSON, or (None, why it is not readable)."""
    if raw is None:
        return None, f"{what} is NULL"
    if isinstance(raw, bytes | bytearray):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None, f"{what} is not UTF-8 text"
    try:
        return json.loads(raw), None
    except json.JSONDecodeError as exc:
        return None, f"{what} is not valid JSON ({exc.msg} at character {exc.pos})"
    except RecursionError:
        return None, f"{what} is nested too deeply to read"
    except (TypeError, ValueError) as exc:
        return None, f"{what} is not readable JSON ({exc})"


def event_shape_problem(event: Any) -> str | None:
    """Why a parsed event cannot be checked (wrong type, missing key), or None when its shape is sound."""
    if not isinstance(event, dict):
        return f"event JSON is a {type(event).__name__}, not an object"
    for key in ("action", "at"):
        if not isinstance(event.get(key), str):
            return f"event field '{key}' is missing or not a string"
    for key in _OBJECT_FIELDS:
        if event.get(key) is not None and not isinstance(event[key], dict):
            return f"event field '{key}' is a {type(event[key]).__name__}, not an object"
    return None


def hash_problem(value: Any, column: str) -> str | None:
    """Why a stored hash column is not a 64-digit lowercase hex SHA-256, or None."""
    if value is None:
        return f"{column} is NULL"
    if not isinstance(value, str) or len(value) != 64 or not set(value) <= _HEX:
        return f"{column} is not a 64-digit hex hash"
    return None


def _stored(row: Any) -> StoredEvent:
    event, error = parse_json(row.raw, "event JSON")
    if error is None:
        error = event_shape_problem(event)
    return StoredEvent(int(row.seq), row.action, row.actor_id, row.from_state, row.to_state, row.at, row.prev_hash,
                       row.hash, event if error is None else None, error)


_COLUMNS = (E.c.seq, E.c.action, E.c.actor_id, E.c.from_state, E.c.to_state, E.c.at, E.c.prev_hash, E.c.hash,
            cast(E.c.event, Text).label("raw"))


# Built once: a full run issues these once per decision.
_AFTER = (select(*_COLUMNS).where(E.c.stream == bindparam("stream"), E.c.seq > bindparam("after"))
          .order_by(E.c.seq))
_ONE = select(*_COLUMNS).where(E.c.stream == bindparam("stream"), E.c.seq == bindparam("seq"))


def stream_events(conn: Connection, stream: str, after: int = 0) -> Iterator[StoredEvent]:
    """A stream's events with seq > ``after``, oldest first, each parsed safely."""
    for row in conn.execute(_AFTER, {"stream": stream, "after": after}):
        yield _stored(row)


def stream_event(conn: Connection, stream: str, seq: int) -> StoredEvent | None:
    """One event of a stream by sequence number, parsed safely; None when there is no such row."""
    row = conn.execute(_ONE, {"stream": stream, "seq": seq}).first()
    return None if row is None else _stored(row)


def system_key_events(conn: Connection, actions: tuple[str, ...]) -> Iterator[StoredEvent]:
    """The system stream's events of ``actions`` (what the keyring folds), parsed safely."""
    query = select(*_COLUMNS).where(E.c.stream == "system", E.c.action.in_(actions)).order_by(E.c.seq)
    for row in conn.execute(query):
        yield _stored(row)
