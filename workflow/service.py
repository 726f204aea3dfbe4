"""The service: the one entry point through which every change to a decision goes.

Each call is one transaction: lock the decision row, check the version the actor saw, let the
engine decide, then write the new state, the hash-chained audit event, deadlines and document
versions together. Callers (CLI, web, API, worker) pass ids and plain data and translate errors.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Re-exported: the handle of one open transaction (``Database.read()`` / ``write()``) that an edge passes to
# the read models unopened, named here so that the edges never import SQLAlchemy to type it.
from sqlalchemy import Connection as Connection

from workflow.admin import deputies, people
from workflow.engine import decide as engine
from workflow.engine import textrules
from workflow.engine.catalog import Catalog
from workflow.engine.context import Actor, DecisionView, Office, parse_iso, utc_iso
from workflow.engine.definition import ActionDef
from workflow.engine.effects import effective_at, initial_facts
from workflow.engine.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from workflow.notices.outbound import OutboundPolicy
from workflow.persistence.db import Database
from workflow.persistence.store import Store, aware, naive
from workflow.record import keys
from workflow.record.keywrap import STRONG, KdfParams
from workflow.record.signing import GENESIS, chain_hash
from workflow.timing import deadlines, timetruth
from workflow.timing.calendar import SHANGHAI, WorkCalendar
from workflow.views.visibility import public_only

Clock = Callable[[], dt.datetime]
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


def system_clock() -> dt.datetime:
    """The real time, as an aware UTC instant (``faketime`` moves it for the CLI)."""
    return dt.datetime.now(dt.UTC)


def stream_of(decision_id: int) -> str:
    """The audit stream name of a decision."""
    return f"decision:{decision_id}"


@dataclass(frozen=True, slots=True)
class ActResult:
    """What an accepted action produced."""

    decision_id: int
    action: str
    from_state: str
    state: str
    version: int
    hash: str
    linked_decision: int | None = None
    #: Set when the action needs someone else's approval: it became this request, and nothing else changed.
    request: int | None = None


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """Bytes stored by their hash; ``created`` is False when the person's office had stored them before."""

    sha256: str
    size: int
    media_type: str
    created: bool


@dataclass(slots=True)
class Juece:
    """The application core: database, catalogue, instance secret, clock and key-wrapping cost, passed explicitly.

    The instance secret keys sessions; it opens no signing key (``workflow.record.keys``).
    """

    db: Database
    catalog: Catalog
    secret: bytes
    clock: Clock = system_clock
    kdf: KdfParams = STRONG
    #: Where webhooks may go (``JUECE_OUTBOUND_ALLOW``): checked when an office saves a URL.
    outbound: OutboundPolicy = field(default_factory=OutboundPolicy)
    _calendars: dict[Any, WorkCalendar] = field(default_factory=dict)

    # -- helpers -------------------------------------------------------------------------------
    def calendar_for(self, st: Store, stamp: Any, org_id: int | None = None) -> WorkCalendar:
        """Office ``org_id``'s working-day calendar (national only when None), rebuilt only after a calendar
        change."""
        key = (stamp, org_id)
        if key not in self._calendars:
            days, years = st.calendar(org_id)
            kept = {k: v for k, v in self._calendars.items() if k[0] == stamp}
            self._calendars = kept | {key: WorkCalendar(days, frozenset(years))}
        return self._calendars[key]

    def office_calendar(self, conn: Connection, org_id: int | None = None) -> WorkCalendar:
        """Office ``org_id``'s working-day calendar (national only when None), read on ``conn``."""
        st = Store(conn)
        return self.calendar_for(st, st.system_seq(), org_id)

    def _actor(self, st: Store, name: str) -> tuple[Actor, Office, WorkCalendar]:
        row = st.actor(name)
        if row is None or not row.active:
            raise NotFound(f"没有这个用户：{name}", f"no such user: {name}", details={"user": name})
        actor = Actor(int(row.id), people.named(row), frozenset(row.roles), int(row.org_id), str(row.unit or ""))
        office = Office(int(row.org_id), str(row.org_name), dict(row.settings or {}), self.catalog.settings)
        return actor, office, self.calendar_for(st, row.system_seq, int(row.org_id))

    def _store_documents(self, st: Store, action: ActionDef, data: dict[str, Any], now: dt.datetime,
                         actor: Actor) -> dict[str, tuple[str, str]]:
        """Replace document inputs by the hash of their stored content; return field -> (hash, name).

        A hash is accepted only when ``actor`` stored it or it is on one of their office's decisions;
        any other hash is "no stored document", whether or not another office has those bytes.
        """
        stored: dict[str, tuple[str, str]] = {}
        for name, spec in action.fields.items():
            value = data.get(name)
            if spec.type != "document" or value in (None, ""):
                continue
            typed = str(data.get("filename") or "") if name == "content" else ""
            if len(typed) > 255:
                raise InvalidInput("文件名过长（最多255个字符）", "file name longer than 255 characters",
                                   details={"field": "filename"})
            # The event keeps the name as typed (shown on pages); downloads are offered under its safe base name.
            filename = textrules.safe_filename(typed)
            if isinstance(value, Mapping) and "sha256" in value:
                sha = str(value["sha256"])
                if not st.document_usable(sha, actor.id, actor.org_id):
                    raise InvalidInput(f"文档不存在：{sha}", f"no stored document {sha}", details={"field": name})
            else:
                # No {"path": …} here: the service never reads its own filesystem on a caller's behalf
                # (the CLI reads the file and passes the bytes).
                if isinstance(value, str):
                    content, media = value.encode("utf-8"), "text/plain; charset=utf-8"
                elif isinstance(value, bytes):
                    content, media = value, "application/octet-stream"
                else:
                    raise InvalidInput(f"字段“{name}”应为文本、文件或文档哈希",
                                       f"field '{name}' must be text, a file or a stored hash", details={"field": name})
                if len(content) > MAX_DOCUMENT_BYTES:
                    raise InvalidInput("文件过大（上限 20 MB）", "document larger than 20 MB", code="payload_too_large",
                                       details={"field": name})
                sha = hashlib.sha256(content).hexdigest()
                st.store_document(sha, content, media, now)
                st.own_document(sha, actor.id, actor.org_id, now)
            data[name] = sha
            stored[name] = (sha, filename)
        return stored

    def _resolver(self, st: Store, org_id: int) -> Callable[[str], Mapping[str, Any] | None]:
        """Person fields name people of office ``org_id`` only: anyone else is "no such user"."""
        def resolve(name: str) -> Mapping[str, Any] | None:
            row = st.user_by_name(name, org_id)
            if row is None:
                return None
            return {"id": int(row.id), "name": row.name, "roles": sorted(row.roles), "unit": row.unit or ""}

        return resolve

    def append_system(self, conn: Connection, action: str, actor: str, data: Mapping[str, Any],
                      signer: Callable[[Mapping[str, Any]], dict[str, str]] | None = None) -> int:
        """Append an administrative event (users, keys, grants, calendar) to the system stream; returns its seq.

        ``signer`` signs the event (a deputy grant is confirmed by the granter's own signature).
        """
        st, now = Store(conn), self.clock()
        head = st.system_head("system")
        seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
        event: dict[str, Any] = {"action": action, "actor": {"name": actor}, "at": utc_iso(now), "data": dict(data)}
        if signer is not None:
            event["signature"] = signer(event)
        digest = chain_hash(prev, "system", seq, None, None, event)
        st.insert_event(stream="system", seq=seq, action=action, actor_id=None, from_state=None, to_state=None,
                        at=now, event=event, prev_hash=prev, hash_=digest)
        st.set_system_head("system", seq, digest, new=head is None)
        return seq

    def store_document(self, person: str, content: bytes, media_type: str) -> StoredDocument:
        """Store a document's bytes for ``person`` (owned by them until an action names it): one transaction.

        "Stored before" speaks of the person's office only: another office's bytes are never revealed.
        """
        with self.db.write() as conn:
            st, now = Store(conn), self.clock()
            actor, _office, _cal = self._actor(st, person)
            if public_only(actor.roles):
                # A citizen's actions take no documents, and "stored before" would tell whether a guessed
                # internal document (an opinion's text) exists.
                raise Forbidden("社会公众不能上传文档", "members of the public may not store documents",
                                code="role_not_permitted")
            if not content:
                raise InvalidInput("文档内容为空", "the document is empty", details={"field": "body"})
            if len(content) > MAX_DOCUMENT_BYTES:
                raise InvalidInput("文件过大（上限 20 MB）", "document larger than 20 MB", code="payload_too_large",
                                   details={"field": "body"})
            sha = hashlib.sha256(content).hexdigest()
            known = st.office_has_document(sha, actor.org_id)
            existing = st.document_media(sha) if known else None
            st.store_document(sha, content, media_type, now)
            st.own_document(sha, actor.id, actor.org_id, now)
        return StoredDocument(sha, len(content), existing or media_type, not known)

    # -- decisions -----------------------------------------------------------------------------
    def create_decision(self, procedure_id: str, title: str, owner: str, flags: list[str] | None = None,
                        linked_from: int | None = None, conn: Connection | None = None) -> int:
        """Start a decision under the procedure version in force today; returns its id."""
        if conn is None:
            with self.db.write() as conn:
                return self.create_decision(procedure_id, title, owner, flags, linked_from, conn)
        st, now = Store(conn), self.clock()
        actor, office, cal = self._actor(st, owner)
        title = textrules.one_line("title", title)
        if not title:
            raise InvalidInput("标题必填", "a title is required", details={"field": "title"})
        procedure = self.catalog.current(procedure_id, cal.local_date(now))
        unknown = sorted(set(flags or []) - set(procedure.flags))
        if unknown:
            raise InvalidInput(f"未知属性：{'、'.join(unknown)}", f"unknown flags: {', '.join(unknown)}",
                               details={"field": "flag"})
        if "owner" not in actor.roles:
            raise Forbidden(f"{owner} 不是承办人员", f"{owner} does not have the owner role", code="role_not_permitted")
        facts = initial_facts() | {"flags": sorted(set(flags or []))}
        event = {"action": "create", "actor": actor.as_record(), "at": utc_iso(now),
                 "data": {"title": title.strip(), "procedure": procedure.key, "flags": facts["flags"],
                          "linked_from": linked_from}}
        decision_id = st.insert_decision({
            "org_id": actor.org_id, "procedure_id": procedure.id, "procedure_version": procedure.version,
            "title": title.strip(), "owner_id": actor.id, "state": procedure.initial, "version": 1, "facts": facts,
            "last_hash": GENESIS, "linked_from": linked_from, "created_at": naive(now), "updated_at": naive(now)})
        stream = stream_of(decision_id)
        digest = chain_hash(GENESIS, stream, 1, None, procedure.initial, event)
        st.insert_event(stream=stream, seq=1, action="create", actor_id=actor.id, from_state=None,
                        to_state=procedure.initial, at=now, event=event, prev_hash=GENESIS, hash_=digest)
        # Without next year's calendar the stall instant waits for it; creating the decision does not.
        stall_at, stall_awaiting = deadlines.stall(deadlines.stall_rule(procedure), now, office, cal)
        st.update_decision(decision_id, state=procedure.initial, version=1, facts=facts, last_hash=digest,
                           now=now, stall_due_at=stall_at, stall_awaiting=stall_awaiting)
        return decision_id

    def act(self, decision_id: int, action: str, actor_name: str, data: Mapping[str, Any] | None = None,
            expected_version: int | None = None, *, password: str | None = None,
            grant: int | None = None) -> ActResult:
        """Take ``action`` on a decision as ``actor_name``: one locked, audited transaction.

        A signed action needs the actor's own ``password`` (it opens their key for this signature);
        ``grant`` acts as a deputy under that grant, in the actor's own name.
        """
        with self.db.write() as conn:
            return self._act(conn, decision_id, action, actor_name, dict(data or {}), expected_version, password,
                             grant)

    def _act(self, conn: Connection, decision_id: int, action_id: str, actor_name: str, data: dict[str, Any],
             expected_version: int | None, password: str | None = None, grant: int | None = None) -> ActResult:
        st, now = Store(conn), self.clock()
        row, actor, office, cal, view = self._locked(st, decision_id, actor_name, expected_version, grant)
        action = view.procedure.actions.get(action_id)
        documents = self._store_documents(st, action, data, now, actor) if action else {}
        history = self.history(st, decision_id, action) if action else {}
        decided = engine.decide(view, action_id, actor, data, now, office, cal, self._resolver(st, actor.org_id), history=history)
        if action is not None and action.approval is not None and not set(action.approval.by) & actor.roles:
            from workflow.record import approvals  # it builds on this service: imported where the two meet

            return approvals.file_request(self, st, row, view, actor, decided, now)
        return self.write(st, row, view, actor, office, cal, decided, documents, now, password=password)

    def _locked(self, st: Store, decision_id: int, actor_name: str, expected_version: int | None,
                grant: int | None = None) -> tuple[Any, Actor, Office, WorkCalendar, DecisionView]:
        """The decision locked for this transaction, its actor (as a deputy under ``grant``), office, calendar
        and the engine's view of it."""
        row = st.lock_decision_for(decision_id, actor_name)
        if row is None or not row.actor_active:
            self._actor(st, actor_name)  # raises "no such user" when that is the reason
        if row is None or row.org_id != row.actor_org_id:  # another office's decision does not exist for you
            raise NotFound(f"没有这个决策事项：{decision_id}", f"no such decision: {decision_id}",
                           details={"decision": decision_id})
        actor = Actor(int(row.actor_id), people.Named(row.actor_name, row.actor_org_id), frozenset(row.actor_roles),
                      int(row.actor_org_id),
                      str(row.actor_unit or ""))
        if grant is not None:  # a deputy acts in their own name, with the granted role only
            actor = deputies.acting(st, actor, grant, self.clock())
        office = Office(int(row.org_id), str(row.org_name), dict(row.org_settings or {}), self.catalog.settings)
        cal = self.calendar_for(st, row.system_seq, int(row.org_id))
        if expected_version is not None and expected_version != row.version:
            raise self._stale(st, stream_of(decision_id), expected_version, int(row.version),
                              named=not public_only(actor.roles))
        procedure = self.catalog.get(f"{row.procedure_id}@{row.procedure_version}")
        view = DecisionView(int(row.id), int(row.org_id), int(row.owner_id), procedure, str(row.state),
                            int(row.version), dict(row.facts))
        return row, actor, office, cal, view

    def history(self, st: Store, decision_id: int, action: ActionDef) -> dict[str, dt.datetime]:
        """When each action a stated time is checked against last happened (back-entries: as stated)."""
        anchored = timetruth.anchored_actions(action)
        if not anchored:
            return {}
        out: dict[str, dt.datetime] = {}
        for ev in st.events_of(stream_of(decision_id), anchored):
            out[ev.action] = parse_iso(effective_at(ev.event))
        return out

    def write(self, st: Store, row: Any, view: DecisionView, actor: Actor, office: Office, cal: WorkCalendar,
              decided: engine.Decided, documents: Mapping[str, tuple[str, str]], now: dt.datetime, *,
              password: str | None = None, carried: Mapping[str, Any] | None = None) -> ActResult:
        """Persist an accepted action: signature, state, chained event, deadlines, document versions.

        A signed action is signed here with the actor's key opened by ``password``, or carries the
        signature its requester made over a back-entry request (``carried``).
        """
        decision_id, procedure, event = view.id, view.procedure, decided.event
        action_id = str(event["action"])
        stream = stream_of(decision_id)
        # An action that needs approval is signed by whoever takes it: the approver, acting or confirming
        # (a back-entry of one is approved by the chief's confirmation of the back-entry, marked in it).
        definition = procedure.actions[action_id]
        if definition.signed or (definition.approval is not None and "backfill" not in event):
            event["signature"] = dict(carried) if carried is not None else keys.sign_event(
                st, actor.id, actor.name, password, stream, event, now)
        seq = int(row.version) + 1
        digest = chain_hash(str(row.last_hash), stream, seq, decided.from_state, decided.to_state, event)
        stall, stall_awaiting = decided.deadlines.stall_due_at, decided.deadlines.stall_awaiting
        opened = list(decided.deadlines.open)
        if "backfill" in event:
            # A back-entered step happened long ago: the idle clock (Art. 38) restarts from the entry, and a
            # period that ran out before juece knew of it is history on the page, not an alert now.
            idle = deadlines.plan(procedure, "*", None, {}, decided.to_state, now, office, cal, view.org_id)
            stall, stall_awaiting = idle.stall_due_at, idle.stall_awaiting
            opened = [r for r in opened if r.due_at is None or (
                r.due_at > now and (r.kind == "due" or (r.fire_at is not None and r.fire_at > now)))]
        st.update_decision(decision_id, state=decided.to_state, version=seq, facts=decided.facts, last_hash=digest,
                           now=now, stall_due_at=stall, stall_awaiting=stall_awaiting)
        st.insert_event(stream=stream, seq=seq, action=action_id, actor_id=actor.id, from_state=decided.from_state,
                        to_state=decided.to_state, at=now, event=event, prev_hash=str(row.last_hash), hash_=digest)
        # A deadline started again supersedes the running one (a corrected window closes its old rows).
        close = sorted(set(decided.deadlines.close) | {r.key for r in opened if r.dedupe is None})
        if close:
            st.close_deadlines(decision_id, close, now)
        if opened:
            st.open_deadlines(int(row.org_id), decision_id, opened, now)
        for name, (sha, filename) in documents.items():
            kind = "draft" if "draft" in definition.marks else f"{action_id}.{name}"
            st.insert_document_version({
                "decision_id": decision_id, "kind": kind, "version_no": st.next_document_version(decision_id, kind),
                "sha256": sha, "filename": filename, "event_seq": seq, "created_by": actor.id,
                "created_at": naive(now)})
        linked = None
        if event.get("outcome") in definition.new_decision_on and "correction" not in event:
            # Art. 37: a major change runs the full procedure again, as a new decision linked to this one.
            owner = st.user_name(int(row.owner_id))
            linked = self.create_decision(procedure.id, f"{row.title}（重大调整）", owner, None, decision_id, st.conn)
        return ActResult(decision_id, action_id, decided.from_state, decided.to_state, seq, digest, linked)

    def _stale(self, st: Store, stream: str, expected: int, current: int, named: bool = True) -> StaleVersion:
        if not named:  # who did what is in the audit trail, which the public does not see (workflow.views.visibility)
            return StaleVersion("此决策事项已更新，请刷新后重试", "This decision changed since you loaded it; reload and "
                                "try again", details={"expected_version": expected, "current_version": current})
        last = st.last_event(stream)
        who = last.event["actor"].get("name", "?") if last else "?"
        when = aware(last.at) if last else None
        when_text = when.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if when else "?"
        what = last.action if last else "?"
        return StaleVersion(
            f"此决策事项已被 {who} 于 {when_text} 进行“{what}”操作更新（您看到的是第 {expected} 版，当前为第 {current} 版），"
            "请刷新后重试",
            f"This decision changed since you loaded it: {who} took '{what}' at {when_text} "
            f"(you saw version {expected}, it is now {current}); reload and try again",
            details={"expected_version": expected, "current_version": current, "by": who, "action": what,
                     "at": utc_iso(when) if when else None})
