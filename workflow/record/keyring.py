"""The public record of who could sign what: keys and deputy grants as the system stream registers them,
and the check of one event's signature and deputy marker against that record.

Reads only, and only public data: anyone with a copy of the record can run these checks offline. A
signature holds when it verifies under a key registered to the event's actor that was not yet
retired when the event was signed; a back-entry carries the signature its requester made over the
request (``over_request``); an act by a deputy must fall inside a registered grant's period.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from workflow.engine.context import parse_iso
from workflow.persistence.store import E
from workflow.record.signing import signing_digest, verify

#: System-stream actions that register or retire keys and grants.
KEY_EVENTS = ("user_added", "key_issued", "key_retired")
GRANT_EVENTS = ("deputy_granted", "deputy_revoked", "deputy_grant_expired")


@dataclass(slots=True)
class KeyRecord:
    """A public key as registered: whose it is, and when it was retired (if it was)."""

    key_id: str
    public_hex: str
    user: str
    issued_at: str
    retired_at: str | None = None
    retired_reason: str | None = None


@dataclass(slots=True)
class GrantRecord:
    """A deputy grant as registered: principal, deputy, role, period, and its end if revoked."""

    id: int
    principal: str
    deputy: str
    deputy_id: int
    role: str
    starts_at: str
    ends_at: str
    reason: str
    granted_by: str
    revoked_at: str | None = None


@dataclass(slots=True)
class Keyring:
    """Every key and grant the system stream registers, in the order it registered them."""

    keys: dict[str, KeyRecord] = field(default_factory=dict)
    grants: dict[int, GrantRecord] = field(default_factory=dict)

    def add(self, event: Mapping[str, Any]) -> None:
        """Fold one system event into the record (events of other kinds are ignored)."""
        action, data, at = event.get("action"), event.get("data") or {}, str(event.get("at", ""))
        if action in ("user_added", "key_issued") and data.get("key"):
            self.keys[str(data["key"])] = KeyRecord(str(data["key"]), str(data.get("public_key", "")),
                                                    str(data.get("user", "")), at)
        elif action == "key_retired" and str(data.get("key")) in self.keys:
            record = self.keys[str(data["key"])]
            record.retired_at, record.retired_reason = at, str(data.get("reason", ""))
        elif action == "deputy_granted":
            self.grants[int(data["grant"])] = GrantRecord(
                int(data["grant"]), str(data["principal"]), str(data["deputy"]), int(data["deputy_id"]),
                str(data["role"]), str(data["starts_at"]), str(data["ends_at"]), str(data.get("reason", "")),
                str((event.get("actor") or {}).get("name", "")))
        elif action == "deputy_revoked" and int(data.get("grant", 0)) in self.grants:
            self.grants[int(data["grant"])].revoked_at = at

    @classmethod
    def of(cls, events: Iterable[Mapping[str, Any]]) -> Keyring:
        """The record folded from system events, oldest first."""
        ring = cls()
        for event in events:
            ring.add(event)
        return ring

    @classmethod
    def load(cls, conn: Connection) -> Keyring:
        """The record as the database's system stream holds it."""
        rows = conn.execute(select(E.c.event).where(E.c.stream == "system",
                                                    E.c.action.in_(KEY_EVENTS + GRANT_EVENTS)).order_by(E.c.seq))
        return cls.of(r.event for r in rows)

    # -- checks --------------------------------------------------------------------------------
    def signature_problem(self, stream: str, event: Mapping[str, Any],
                          request: Callable[[int], Mapping[str, Any] | None] | None = None) -> str | None:
        """Why ``event``'s signature does not hold, or None when it does (``request`` finds a stream's event)."""
        signature = event.get("signature") or {}
        record = self.keys.get(str(signature.get("key", "")))
        if record is None:
            return f"signing key {signature.get('key')} is not on record"
        signed, signed_at = event, str(event.get("at", ""))
        if signature.get("over_request") is not None:
            # 补录: the requester signed the request, in their own hand, before the chief confirmed it.
            seq = int(signature["over_request"])
            found = request(seq) if request else None
            if (found is None or found.get("action") != "backfill_requested"
                    or (event.get("backfill") or {}).get("request_seq") != seq
                    or (found.get("data") or {}).get("action") != event.get("action")
                    or dict(found.get("signature") or {}) != {k: v for k, v in signature.items()
                                                               if k != "over_request"}):
                return f"the back-entry's signature does not match request #{seq}"
            signed, signed_at = found, str(found.get("at", ""))
        digest = signing_digest(stream, signed)
        if digest != signature.get("digest") or not verify(record.public_hex, digest, str(signature.get("sig", ""))):
            return "signature invalid"
        signer = str((signed.get("actor") or {}).get("name", ""))
        if record.user != signer:
            return f"signed with {record.user}'s key, not the actor's ({signer})"
        if record.retired_at and parse_iso(signed_at) >= parse_iso(record.retired_at):
            return f"signed with key {record.key_id} after it was retired ({record.retired_reason})"
        return None

    def deputy_problem(self, event: Mapping[str, Any]) -> str | None:
        """Why an act marked as a deputy's is not covered by its grant, or None when it is."""
        marker = event.get("deputy")
        if not marker:
            return None
        grant = self.grants.get(int(marker.get("grant", 0)))
        if grant is None:
            return f"acted under deputy grant #{marker.get('grant')}, which is not on record"
        actor = event.get("actor") or {}
        if int(actor.get("id", 0)) != grant.deputy_id or grant.principal != (marker.get("for") or {}).get("name") \
                or grant.role != marker.get("role"):
            return f"the deputy marker differs from grant #{grant.id}"
        at = parse_iso(str(event.get("at", "")))
        end = min(parse_iso(grant.ends_at), parse_iso(grant.revoked_at)) if grant.revoked_at else parse_iso(grant.ends_at)
        if not parse_iso(grant.starts_at) <= at < end:
            return f"acted under deputy grant #{grant.id} outside its period"
        return None
