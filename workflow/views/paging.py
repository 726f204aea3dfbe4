"""Keyset pages of a list read model: an opaque cursor, the page's rows, and where the pages around it start.

A page is the ``limit`` rows after (or before) a cursor in the list's total order; the database finds them
with a row-value comparison on the order's columns, which an index on those columns serves (PostgreSQL and
SQLite both seek on ``(a, b) > (x, y)``), so the cost of a page does not grow with the rows before it.

A cursor is the sort key of a page's edge row, as base64url JSON. It carries no authority: whatever it says,
the list's own WHERE (office, person, visibility) still applies, so a forged cursor can only move within what
the reader may see. A cursor that does not decode to the list's key shape is ``InvalidInput``
(``invalid_cursor``): a 400 problem on the API, a message on the page, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Connection, Select, tuple_

from workflow.engine.errors import InvalidInput

#: The most rows a page may hold, whatever a caller asks.
MAX_LIMIT = 200
#: How many candidate rows per page slot a list that filters in Python reads at most before it stops
#: (the page then ends short, and its cursor continues after the last row read).
SCAN_FACTOR = 10

Key = tuple[Any, ...]
T = TypeVar("T")


def _bad() -> InvalidInput:
    return InvalidInput("分页游标无效，请从第一页重新开始", "invalid page cursor; start again from the first page",
                        code="invalid_cursor", details={"field": "cursor"})


def encode(key: Key) -> str:
    """The opaque cursor of a sort key (datetimes as ISO text, naive UTC as stored)."""
    parts = [v.isoformat() if isinstance(v, dt.datetime) else v for v in key]
    return base64.urlsafe_b64encode(json.dumps(parts, separators=(",", ":")).encode()).decode("ascii").rstrip("=")


def decode(cursor: str | None, shape: Sequence[type]) -> Key | None:
    """The sort key in ``cursor``, each part of the type ``shape`` gives; None for no cursor; else InvalidInput."""
    if cursor is None or cursor == "":
        return None
    try:
        if len(cursor) > 400:
            raise ValueError(cursor)
        parts = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8"))
        if not isinstance(parts, list) or len(parts) != len(shape):
            raise ValueError(parts)
        out: list[Any] = []
        for kind, part in zip(shape, parts, strict=True):
            if kind is dt.datetime and isinstance(part, str):
                out.append(dt.datetime.fromisoformat(part).replace(tzinfo=None))
            elif kind is int and isinstance(part, int) and not isinstance(part, bool) and 0 <= part < 2**63:
                out.append(part)
            elif kind is str and isinstance(part, str) and len(part) <= 200:
                out.append(part)
            else:
                raise ValueError(part)
    except (binascii.Error, ValueError, UnicodeDecodeError, OverflowError):
        raise _bad() from None
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Window:
    """Which page to read: after a cursor (forward), before one (backward), or the first; and how many."""

    limit: int = 50
    after: str | None = None
    before: str | None = None

    def size(self) -> int:
        """The page size, capped at ``MAX_LIMIT``."""
        return max(1, min(self.limit, MAX_LIMIT))


@dataclass(slots=True)
class Page(Generic[T]):
    """One page: its items and the cursors of the pages after and before it (None: none that way)."""

    items: list[T] = field(default_factory=list)
    next: str | None = None
    previous: str | None = None


def seek(query: Select[Any], columns: Sequence[ColumnElement[Any]], window: Window, shape: Sequence[type], *,
         descending: bool = False, extra: int = 1) -> tuple[Select[Any], bool]:
    """``query`` limited to the window's page in the order of ``columns`` (plus ``extra`` look-ahead rows).

    Returns the query and whether it reads backwards (before a cursor): the caller then reverses the rows.
    """
    after, before = decode(window.after, shape), decode(window.before, shape)
    key = tuple_(*columns)
    backward = before is not None and after is None
    edge = before if backward else after
    if edge is not None:
        # Forward in an ascending list means greater keys; backward or descending flips it (once each).
        greater = descending == backward
        query = query.where(key > tuple_(*edge) if greater else key < tuple_(*edge))
    ascending = descending == backward
    query = query.order_by(*(c.asc() if ascending else c.desc() for c in columns))
    return query.limit(window.size() + extra), backward


def scan(conn: Connection, query: Select[Any], columns: Sequence[ColumnElement[Any]], window: Window,
         shape: Sequence[type], key: Callable[[Any], Key], keep: Callable[[Any], bool], *,
         descending: bool = False) -> tuple[list[Any], bool, bool]:
    """Candidates of a list filtered in Python, a page's worth per query, in read order.

    Stops once ``size + 1`` rows pass ``keep``, the list ends, or ``size * SCAN_FACTOR`` rows were read (the
    bound on a page's cost). Returns the rows, whether they were read backwards, and whether the list ended.
    """
    size = window.size()
    rows: list[Any] = []
    passed = 0
    current = window
    while True:
        query_, backward = seek(query, columns, current, shape, descending=descending, extra=0)
        batch = list(conn.execute(query_).all())
        rows += batch
        passed += sum(1 for r in batch if keep(r))
        if len(batch) < size:
            return rows, backward, True
        if passed > size or len(rows) >= size * SCAN_FACTOR:
            return rows, backward, False
        edge = encode(key(batch[-1]))
        current = Window(size, before=edge) if backward else Window(size, after=edge)


def page_of(rows: Sequence[Any], window: Window, backward: bool, key: Callable[[Any], Key],
            build: Callable[[Any], T | None], *, ended: bool | None = None) -> Page[T]:
    """The page from rows read by ``seek``: built items (``build`` returns None to leave a row out) and cursors.

    Without ``ended`` the rows are at most ``size + 1`` and the extra row says another page follows. With
    ``ended`` (the rows of ``scan``, a list that filters in Python) items are built until the page is full,
    and the cursors stand on the last row used, so a page may end short.
    """
    size = window.size()
    ordered = list(reversed(rows)) if backward else list(rows)
    scanned_all = len(rows) < size + 1 if ended is None else ended
    items: list[T] = []
    used: list[Any] = []
    source = ordered if not backward else list(reversed(ordered))  # backward: fill from the near edge
    for row in source:
        if len(items) >= size:
            break
        built = build(row)
        used.append(row)
        if built is not None:
            items.append(built)
    if backward:
        items.reverse()
        used.reverse()
    more = not scanned_all or len(used) < len(ordered)
    first, last = (used[0], used[-1]) if used else (None, None)
    page: Page[T] = Page(items)
    if backward:
        page.previous = encode(key(first)) if more and first is not None else None
        page.next = encode(key(last)) if last is not None else window.before
    else:
        page.next = encode(key(last)) if more and last is not None else None
        page.previous = encode(key(first)) if window.after and first is not None else None
    return page


__all__ = ["MAX_LIMIT", "SCAN_FACTOR", "Page", "Window", "decode", "encode", "page_of", "scan", "seek"]
