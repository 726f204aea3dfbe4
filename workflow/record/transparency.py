"""Publishing the log: the log key, signed tree heads, and their delivery to witnesses.

A head is published (by the beat task ``juece.publish_tree_head`` or ``juece log publish``) after the
sequencer has logged every committed event. Before signing, the new tree is checked to extend the last
published head (the stored leaf hashes of its prefix give its root): juece never signs a tree that
contradicts what it told the witnesses. Each office names its witnesses in its settings
(``witness_email``, ``witness_webhook``: comma-separated), e.g. the archive or the 司法所; every new
head is queued to them through the outbox like any notification.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select, text

from workflow.engine.errors import NotFound
from workflow.persistence.models import LogKey, TreeHead
from workflow.persistence.store import DY, ORG, N, aware, naive
from workflow.record import merkle, tlog
from workflow.record.treehead import (
    Head,
    HeadError,
    checkpoint,
    iso_seconds,
    key_hash,
    new_log_key,
    read_head,
    sign_note,
    verifier_key,
)
from workflow.service import Juece

LK = cast(Table, LogKey.__table__)
TH = cast(Table, TreeHead.__table__)


def active_key(conn: Connection) -> Any:
    """The log key in use (None before the first head)."""
    return conn.execute(select(LK).where(LK.c.retired_at.is_(None)).order_by(LK.c.created_at.desc())
                        .limit(1)).first()


def key_info(row: Any) -> dict[str, Any]:
    """The public description of a log key: what a witness pins."""
    public = bytes.fromhex(row.public_hex)
    return {"origin": row.origin, "key_hash": row.key_hash, "algorithm": "Ed25519", "public_key": row.public_hex,
            "verifier_key": verifier_key(row.origin, public),
            "created_at": iso_seconds(row.created_at.replace(tzinfo=dt.UTC))}


def ensure_key(core: Juece, conn: Connection, origin: str) -> Any:
    """The log key, created on first use; its public half goes on record in the system stream."""
    row = active_key(conn)
    if row is not None:
        if row.origin != origin:
            raise HeadError(f"the log key signs as {row.origin!r}, not {origin!r}: rotate it explicitly")
        return row
    key = new_log_key(origin, core.secret)
    conn.execute(insert(LK).values(key_hash=key.hash_hex, origin=origin, public_hex=key.public.hex(),
                                   private_pem=key.private_pem, created_at=naive(core.clock())))
    core.append_system(conn, "log_key_created", "system", {
        "origin": origin, "key_hash": key.hash_hex, "public_key": key.public.hex(),
        "verifier_key": verifier_key(origin, key.public)})
    return active_key(conn)


def key_by_hash(conn: Connection, hash_hex: str) -> Any:
    """A log key (current or retired) by its key hash."""
    return conn.execute(select(LK).where(LK.c.key_hash == hash_hex)).first()


def head_dict(row: Any) -> dict[str, Any]:
    """A stored head in its published JSON form."""
    stamp = aware(row.timestamp)
    assert stamp is not None
    origin = row.note.split("\n", 1)[0]
    return Head(origin, int(row.tree_size), bytes.fromhex(row.root_hash), stamp, row.key_hash, row.note).as_dict()


def latest_head(conn: Connection, tree_size: int | None = None) -> dict[str, Any] | None:
    """The newest published head (of ``tree_size`` when given), or None."""
    query = select(TH).order_by(TH.c.id.desc()).limit(1)
    if tree_size is not None:
        query = query.where(TH.c.tree_size == tree_size)
    row = conn.execute(query).first()
    return None if row is None else head_dict(row)


def heads(conn: Connection, limit: int = 50, before: int | None = None) -> list[dict[str, Any]]:
    """Published heads, newest first; ``before`` pages by head id."""
    query = select(TH).order_by(TH.c.id.desc()).limit(limit)
    if before is not None:
        query = query.where(TH.c.id < before)
    return [head_dict(r) | {"id": int(r.id)} for r in conn.execute(query)]


def publish(core: Juece, origin: str, now: dt.datetime | None = None, force: bool = False) -> dict[str, Any] | None:
    """Log every committed event and sign a new head (None when the log did not grow, unless ``force``)."""
    now = now or core.clock()
    with core.db.write() as conn:  # first, so that the first head covers the key's own system event
        ensure_key(core, conn, origin)
    tlog.sequence_all(core.db, now)
    with core.db.write() as conn:
        if not core.db.is_sqlite:  # one publisher at a time, and no sequencer while the tree is read
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": tlog.SEQUENCER_LOCK})
        key = ensure_key(core, conn, origin)
        leaves = tlog.stored_hashes(conn)
        last = conn.execute(select(TH).order_by(TH.c.id.desc()).limit(1)).first()
        if last is not None:
            if len(leaves) < last.tree_size or merkle.root(leaves, int(last.tree_size)).hex() != last.root_hash:
                raise HeadError(f"the log no longer extends the head of size {last.tree_size} published "
                                f"{aware(last.timestamp)}: run 'juece audit verify --against' with that head")
            if len(leaves) == last.tree_size and not force:
                return None
        root = merkle.root(leaves)
        note = sign_note(checkpoint(origin, len(leaves), root, now), origin, key.private_pem, core.secret)
        head_id = int(conn.execute(insert(TH).values(
            tree_size=len(leaves), root_hash=root.hex(), timestamp=naive(now.replace(microsecond=0)),
            key_hash=key.key_hash, note=note).returning(TH.c.id)).scalar_one())
        head = head_dict(conn.execute(select(TH).where(TH.c.id == head_id)).one())
        queue_witnesses(conn, head, head_id, now)
        return head


def _targets(value: Any) -> list[str]:
    return [t.strip() for t in str(value or "").split(",") if t.strip()]


def queue_witnesses(conn: Connection, head: dict[str, Any], head_id: int, now: dt.datetime) -> int:
    """Queue the head to every office's witnesses (outbox deliveries); returns how many deliveries."""
    queued = 0
    body = ("决策记录透明日志的新树头（签名检查点）。请留存，以便日后核验记录未被改动。\n"
            "A new signed tree head of juece's decision log. Keep it: it lets you prove later that the record "
            f"was not changed.\n\n{head['note']}\n{json.dumps(head, ensure_ascii=False, indent=2)}")
    for org in conn.execute(select(ORG.c.id, ORG.c.settings)):
        settings = org.settings or {}
        sends = [("email", t) for t in _targets(settings.get("witness_email"))]
        sends += [("witness", t) for t in _targets(settings.get("witness_webhook"))]
        if not sends:
            continue
        dedupe = f"tree_head:{head_id}:org{org.id}"
        notification = int(conn.execute(insert(N).values(
            org_id=org.id, decision_id=None, deadline_id=None, user_id=None, kind="tree_head",
            subject=f"【决策日志】树头 {head['tree_size']} · {head['timestamp']}", body=body, payload=head,
            dedupe=dedupe, created_at=naive(now)).returning(N.c.id)).scalar_one())
        for channel, target in sends:
            conn.execute(insert(DY).values(
                notification_id=notification, channel=channel, target=target,
                idempotency_key=f"{dedupe}:{channel}:{target}"[:200], status="pending", attempts=0,
                next_attempt_at=naive(now), last_error="", created_at=naive(now)))
            queued += 1
    return queued


def trusted_head(conn: Connection, data: dict[str, Any], vkey: str | None) -> tuple[Head, str]:
    """A head read from outside, its signature checked against ``vkey`` or, failing that, the key on record.

    Returns the head and where the key came from (a pinned key proves more than the database's own).
    """
    if vkey:
        return read_head(data, vkey), "pinned verifier key"
    row = key_by_hash(conn, str(data.get("key_hash", "")))
    if row is None:
        raise HeadError(f"no log key {data.get('key_hash')!r} on record: the head was not signed by this log")
    return read_head(data, verifier_key(row.origin, bytes.fromhex(row.public_hex))), "log key on record"


def require_key(conn: Connection) -> dict[str, Any]:
    """The current log key's public description, or NotFound before the first head."""
    row = active_key(conn)
    if row is None:
        raise NotFound("尚未发布树头，日志密钥尚未生成", "no tree head published yet: the log has no key")
    info = key_info(row)
    assert key_hash(row.origin, bytes.fromhex(row.public_hex)).hex() == row.key_hash
    return info
