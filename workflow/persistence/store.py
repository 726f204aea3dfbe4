"""The write path and its reads as explicit Core statements on one connection.

Kept to a few statements per action on purpose (docs/architecture.md, "A lean hot path"): lock the decision,
read the actor with the office and the calendar stamp, update the decision, append the event, and
touch deadlines only when the action concerns one. The store never commits; ``Database.write`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from workflow.admin import people
from workflow.persistence.models import (
    AuditEvent,
    AuditHead,
    CalendarDay,
    CalendarYear,
    Deadline,
    Decision,
    Delivery,
    Document,
    DocumentOwner,
    DocumentVersion,
    Installation,
    Notification,
    OfficeCalendarDay,
    Org,
    User,
    UserKey,
)
from workflow.timing.deadlines import DeadlineRow

D = cast(Table, Decision.__table__)
E = cast(Table, AuditEvent.__table__)
H = cast(Table, AuditHead.__table__)
U = cast(Table, User.__table__)
ORG = cast(Table, Org.__table__)
K = cast(Table, UserKey.__table__)
DL = cast(Table, Deadline.__table__)
DOC = cast(Table, Document.__table__)
DV = cast(Table, DocumentVersion.__table__)
CD = cast(Table, CalendarDay.__table__)
CY = cast(Table, CalendarYear.__table__)
OCD = cast(Table, OfficeCalendarDay.__table__)
DO = cast(Table, DocumentOwner.__table__)
N = cast(Table, Notification.__table__)
DY = cast(Table, Delivery.__table__)
INST = cast(Table, Installation.__table__)


def naive(moment: dt.datetime) -> dt.datetime:
    """Instants are stored as naive UTC (the same on SQLite and PostgreSQL)."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def aware(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored naive-UTC instant back as an aware one."""
    return None if moment is None else moment.replace(tzinfo=dt.UTC)


_ACTOR = (
    select(U.c.id, U.c.name, U.c.roles, U.c.org_id, U.c.unit, U.c.active, ORG.c.name.label("org_name"),
           ORG.c.settings,
           # Every calendar change appends to the system stream, so its head is the calendar's stamp.
           select(H.c.seq).where(H.c.stream == "system").scalar_subquery().label("system_seq"))
    .join(ORG, ORG.c.id == U.c.org_id)
    .where(U.c.name == bindparam("name"), U.c.org_id == bindparam("org_id"))
)
_LOCK = (
    select(D.c.id, D.c.org_id, D.c.owner_id, D.c.procedure_id, D.c.procedure_version, D.c.state,
           D.c.version, D.c.facts, D.c.last_hash, D.c.title)
    .where(D.c.id == bindparam("decision_id")).with_for_update()
)


# Built once: the hot path reuses these statements instead of generating them per call.
_UPDATE_DECISION = update(D).where(D.c.id == bindparam("decision_id")).values(
    state=bindparam("state"), version=bindparam("version"), facts=bindparam("facts"),
    last_hash=bindparam("last_hash"), updated_at=bindparam("updated_at"), stall_due_at=bindparam("stall_due_at"),
    stall_awaiting=bindparam("stall_awaiting"))
_INSERT_EVENT = insert(E)


# The hot path's first round trip: the decision, locked, together with the actor and their office.
_LOCK_WITH_ACTOR = (
    select(D.c.id, D.c.org_id, D.c.owner_id, D.c.procedure_id, D.c.procedure_version, D.c.state,
           D.c.version, D.c.facts, D.c.last_hash, D.c.title,
           U.c.id.label("actor_id"), U.c.name.label("actor_name"), U.c.roles.label("actor_roles"),
           U.c.org_id.label("actor_org_id"), U.c.unit.label("actor_unit"), U.c.active.label("actor_active"),
           ORG.c.name.label("org_name"), ORG.c.settings.label("org_settings"),
           select(H.c.seq).where(H.c.stream == "system").scalar_subquery().label("system_seq"))
    .select_from(D).join(U, (U.c.name == bindparam("name")) & (U.c.org_id == bindparam("org_id")))
    .join(ORG, ORG.c.id == U.c.org_id)
    .where(D.c.id == bindparam("decision_id")).with_for_update(of=D)
)


class Store:
    """Statements over one open connection (inside a transaction the caller owns)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"

    # -- reads -------------------------------------------------------------------------------
    def _qualified(self, name: str) -> tuple[str, int] | None:
        """The name and office of the person a (possibly bare) name means (``workflow.admin.people``), or None."""
        org_id = people.office_of(name)
        if org_id is not None:
            return str(name), org_id
        row = people.find_person(self.conn, name)
        return None if row is None else (str(row.name), int(row.org_id))

    def actor(self, name: str) -> Any:
        """A user by (office-qualified) name, with the office's settings and the calendar's change stamp."""
        who = self._qualified(name)
        return None if who is None else self.conn.execute(_ACTOR, {"name": who[0], "org_id": who[1]}).first()

    def user_by_name(self, name: str, org_id: int | None = None) -> Any:
        """A user row by name inside office ``org_id`` (or the name's own office: ``workflow.admin.people``)."""
        return people.find_person(self.conn, name, org_id)

    def system_seq(self) -> int | None:
        """The head of the system stream: it moves whenever the calendar (or a user) changes."""
        value = self.conn.execute(select(H.c.seq).where(H.c.stream == "system")).scalar()
        return None if value is None else int(value)

    def user_name(self, user_id: int) -> people.Named:
        """A user's name by id, bound to their office."""
        return people.named(self.conn.execute(select(U.c.name, U.c.org_id).where(U.c.id == user_id)).one())

    def lock_decision(self, decision_id: int) -> Any:
        """The decision row, locked until the transaction ends (FOR UPDATE on PostgreSQL)."""
        return self.conn.execute(_LOCK, {"decision_id": decision_id}).first()

    def lock_decision_for(self, decision_id: int, actor_name: str) -> Any:
        """The decision row locked (FOR UPDATE OF decision), joined with the actor and office; None if either is
        missing."""
        who = self._qualified(actor_name)
        if who is None:
            return None
        return self.conn.execute(_LOCK_WITH_ACTOR, {"decision_id": decision_id, "name": who[0],
                                                    "org_id": who[1]}).first()

    def last_event(self, stream: str) -> Any:
        """The newest event of a stream (to tell a stale form who acted first)."""
        return self.conn.execute(
            select(E.c.seq, E.c.action, E.c.event, E.c.at).where(E.c.stream == stream)
            .order_by(E.c.seq.desc()).limit(1)).first()

    def events_of(self, stream: str, actions: Iterable[str] | None = None) -> list[Any]:
        """A stream's events in order, optionally only those of ``actions``."""
        query = select(E.c.seq, E.c.action, E.c.event, E.c.at).where(E.c.stream == stream)
        if actions is not None:
            query = query.where(E.c.action.in_(list(actions)))
        return list(self.conn.execute(query.order_by(E.c.seq)))

    def signing_key(self, user_id: int) -> Any:
        """The user's current (unretired) key: id, kind, sealed private half and its wrapping."""
        return self.conn.execute(
            select(K.c.id, K.c.key_id, K.c.kind, K.c.sealed, K.c.wrap)
            .where(K.c.user_id == user_id, K.c.revoked_at.is_(None)).order_by(K.c.id.desc()).limit(1)).first()

    def calendar(self, org_id: int | None = None) -> tuple[dict[dt.date, bool], set[int]]:
        """National working-day facts, overlaid with office ``org_id``'s own (none when None), and imported years."""
        days = {r.day: bool(r.is_workday) for r in self.conn.execute(select(CD.c.day, CD.c.is_workday))}
        if org_id is not None:
            days |= {r.day: bool(r.is_workday) for r in self.conn.execute(
                select(OCD.c.day, OCD.c.is_workday).where(OCD.c.org_id == org_id))}
        years = {int(r.year) for r in self.conn.execute(select(CY.c.year))}
        return days, years

    def document_exists(self, sha: str) -> bool:
        """Whether a document with this content hash is stored (by anyone: never tell a caller this)."""
        return self.conn.execute(select(DOC.c.sha256).where(DOC.c.sha256 == sha)).first() is not None

    def document_usable(self, sha: str, user_id: int, org_id: int) -> bool:
        """Whether ``user_id`` may name this hash: they stored it, or it is on one of their office's decisions."""
        mine = select(DO.c.sha256).where(DO.c.sha256 == sha, DO.c.user_id == user_id)
        office = (select(DV.c.sha256).join(D, D.c.id == DV.c.decision_id)
                  .where(DV.c.sha256 == sha, D.c.org_id == org_id).limit(1))
        return (self.conn.execute(mine).first() is not None
                or self.conn.execute(office).first() is not None)

    def office_has_document(self, sha: str, org_id: int) -> bool:
        """Whether someone of office ``org_id`` stored these bytes or they are on one of its decisions."""
        stored = select(DO.c.sha256).where(DO.c.sha256 == sha, DO.c.org_id == org_id).limit(1)
        office = (select(DV.c.sha256).join(D, D.c.id == DV.c.decision_id)
                  .where(DV.c.sha256 == sha, D.c.org_id == org_id).limit(1))
        return (self.conn.execute(stored).first() is not None
                or self.conn.execute(office).first() is not None)

    def next_document_version(self, decision_id: int, kind: str) -> int:
        """The next version number of a decision's document of ``kind``."""
        current = self.conn.execute(select(func.max(DV.c.version_no)).where(
            DV.c.decision_id == decision_id, DV.c.kind == kind)).scalar()
        return int(current or 0) + 1

    # -- writes ------------------------------------------------------------------------------
    def insert_decision(self, values: Mapping[str, Any]) -> int:
        """A new decision row; returns its id."""
        return int(self.conn.execute(insert(D).values(**values).returning(D.c.id)).scalar_one())

    def update_decision(self, decision_id: int, *, state: str, version: int, facts: Mapping[str, Any],
                        last_hash: str, now: dt.datetime, stall_due_at: dt.datetime | None,
                        stall_awaiting: Mapping[str, Any] | None = None) -> None:
        """Write the decision's new state, version, facts, chain head and stall instant (or what it awaits)."""
        self.conn.execute(_UPDATE_DECISION, {
            "decision_id": decision_id, "state": state, "version": version, "facts": facts, "last_hash": last_hash,
            "updated_at": naive(now), "stall_due_at": naive(stall_due_at) if stall_due_at else None,
            "stall_awaiting": dict(stall_awaiting) if stall_awaiting else None})

    def insert_event(self, *, stream: str, seq: int, action: str, actor_id: int | None, from_state: str | None,
                     to_state: str | None, at: dt.datetime, event: Mapping[str, Any], prev_hash: str,
                     hash_: str) -> None:
        """Append one audit event."""
        self.conn.execute(_INSERT_EVENT, {
            "stream": stream, "seq": seq, "action": action, "actor_id": actor_id, "from_state": from_state,
            "to_state": to_state, "at": naive(at), "event": event, "prev_hash": prev_hash, "hash": hash_})

    def system_head(self, stream: str) -> tuple[int, str] | None:
        """Head (seq, hash) of a non-decision stream, locked for the append."""
        row = self.conn.execute(select(H.c.seq, H.c.hash).where(H.c.stream == stream).with_for_update()).first()
        return (int(row.seq), str(row.hash)) if row else None

    def set_system_head(self, stream: str, seq: int, hash_: str, *, new: bool) -> None:
        """Move a non-decision stream's head."""
        if new:
            self.conn.execute(insert(H).values(stream=stream, seq=seq, hash=hash_))
        else:
            self.conn.execute(update(H).where(H.c.stream == stream).values(seq=seq, hash=hash_))

    def close_deadlines(self, decision_id: int, keys: Sequence[str], now: dt.datetime) -> None:
        """Mark a decision's open deadlines of ``keys`` closed: met, or moot after a terminal state."""
        # Fired (overdue) rows close too: a met deadline sends nothing more, escalation included.
        self.conn.execute(update(DL).where(DL.c.decision_id == decision_id, DL.c.key.in_(keys),
                                           DL.c.status.in_(["open", "fired", "awaiting"]))
                          .values(status="closed", closed_at=naive(now), awaiting=None))

    def open_deadlines(self, org_id: int, decision_id: int, rows: Iterable[DeadlineRow], now: dt.datetime) -> None:
        """Insert deadline rows; an office-wide one that already exists is left as it is."""
        values = [
            {"org_id": org_id, "decision_id": None if r.dedupe else decision_id, "key": r.key, "kind": r.kind,
             "fire_at": naive(r.fire_at) if r.fire_at else None, "due_at": naive(r.due_at) if r.due_at else None,
             "recipients": list(r.recipients), "article": r.article,
             # A row without instants waits for a year's calendar; the scan never selects it.
             "status": "open" if r.due_at else "awaiting", "awaiting": dict(r.awaiting) if r.awaiting else None,
             "dedupe": r.dedupe, "created_at": naive(now)}
            for r in rows
        ]
        if not values:
            return
        dialect_insert = postgresql.insert if self.pg else sqlite.insert
        plain = [v for v in values if v["dedupe"] is None]
        shared = [v for v in values if v["dedupe"] is not None]
        if plain:
            self.conn.execute(insert(DL), plain)
        for v in shared:
            self.conn.execute(dialect_insert(DL).values(**v).on_conflict_do_nothing(index_elements=["dedupe"]))

    def store_document(self, sha: str, content: bytes, media_type: str, now: dt.datetime) -> None:
        """Store content under its hash (once: same content, same row)."""
        # Two people may upload the same new text at once: the second insert quietly finds the first.
        dialect_insert = postgresql.insert if self.pg else sqlite.insert
        self.conn.execute(dialect_insert(DOC).values(sha256=sha, content=content, size=len(content),
                                                     media_type=media_type, created_at=naive(now))
                          .on_conflict_do_nothing(index_elements=["sha256"]))

    def document_media(self, sha: str) -> str | None:
        """The media type stored bytes were stored with (None: no such bytes)."""
        value = self.conn.execute(select(DOC.c.media_type).where(DOC.c.sha256 == sha)).scalar()
        return None if value is None else str(value)

    def own_document(self, sha: str, user_id: int, org_id: int, now: dt.datetime) -> None:
        """Record that ``user_id`` (of office ``org_id``) stored these bytes (once per person)."""
        dialect_insert = postgresql.insert if self.pg else sqlite.insert
        self.conn.execute(dialect_insert(DO).values(sha256=sha, user_id=user_id, org_id=org_id, created_at=naive(now))
                          .on_conflict_do_nothing(index_elements=["sha256", "user_id"]))

    def insert_document_version(self, values: Mapping[str, Any]) -> None:
        """Record a version of one of a decision's documents."""
        self.conn.execute(insert(DV).values(**values))
