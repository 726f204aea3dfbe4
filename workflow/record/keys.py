"""Signing keys only their holder can use: issued, re-wrapped, rotated and retired with the holder's password.

A person's private key is sealed under their own password (``workflow.record.keywrap``) and opened only for
the one signature they are making. So the key exists only once the person has chosen a password
themselves: an administrator's password (a new person's initial one, or a reset) signs them in but
opens no key. A reset retires the old key at once; the person's first own password issues a new
one — generated when only they know the password, so nobody who knew the temporary one can hold a
copy. A password change re-wraps the same key. Every issue and retirement is an event of the system
stream, so old signatures keep verifying against the public key registered there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, insert, select, update

from workflow.admin import people, sessions
from workflow.engine.context import utc_iso
from workflow.engine.errors import Forbidden, InvalidInput, NotFound
from workflow.persistence.store import K, Store, U, aware, naive
from workflow.record import keywrap
from workflow.record.signing import signing_digest

if TYPE_CHECKING:  # the service signs through this module, so it cannot be imported here at run time
    from workflow.service import Juece

MIN_PASSWORD = 10


def hasher(core: Juece) -> PasswordHasher:
    """The sign-in password hasher at the core's argon2id cost (each hash records its own cost)."""
    return PasswordHasher(time_cost=core.kdf.time_cost, memory_cost=core.kdf.memory_cost,
                          parallelism=core.kdf.parallelism)


def check_length(password: str, field: str = "password") -> None:
    """Refuse a password shorter than ``MIN_PASSWORD`` characters."""
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(f"密码至少 {MIN_PASSWORD} 个字符", f"a password needs at least {MIN_PASSWORD} characters",
                           details={"field": field})


def _no_key(name: str) -> NotFound:
    return NotFound(f"{name} 尚无可用的签名密钥：请先自行设置密码（管理员设置或重置的密码不能签名）",
                    f"{name} has no usable signing key yet: set your own password first (a password an "
                    "administrator set or reset cannot sign)", code="no_signing_key", details={"user": name})


def unlock(st: Store, user_id: int, name: str, password: str | None,
           now: dt.datetime | None = None) -> tuple[str, Ed25519PrivateKey]:
    """The holder's key id and private key, opened with their password for one signature.

    With ``now``, a person locked out by failed passwords (``sessions``) cannot sign; a wrong password
    raises ``sessions.WrongSigningPassword``, which the edges count towards that lock-out.
    """
    if now is not None:
        sessions.check_not_locked(st.conn, name, now)
    key = st.signing_key(user_id)
    if key is None or key.kind != "sealed" or key.sealed is None:
        raise _no_key(name)
    if not password:
        raise Forbidden("签名需要签名人本人的密码", "signing needs the signer's own password",
                        code="signing_password_required", details={"field": "password"})
    try:
        return str(key.key_id), keywrap.unseal(bytes(key.sealed), dict(key.wrap or {}), str(key.key_id), password)
    except keywrap.WrongPassword:
        raise sessions.WrongSigningPassword(name) from None


def sign_event(st: Store, user_id: int, name: str, password: str | None, stream: str,
               event: Mapping[str, Any], now: dt.datetime | None = None) -> dict[str, str]:
    """The holder's signature over ``event`` in ``stream`` (what ``keyring`` checks)."""
    key_id, private = unlock(st, user_id, name, password, now)
    digest = signing_digest(stream, event)
    return {"key": key_id, "digest": digest, "sig": keywrap.sign_digest(private, digest)}


def _user(conn: Connection, name: str) -> Any:
    return people.resolve_person(conn, name, active=True)


def _issue(core: Juece, conn: Connection, user_id: int, name: str, password: str, reason: str, by: str) -> str:
    key = keywrap.new_key(password, core.kdf)
    conn.execute(insert(K).values(user_id=user_id, key_id=key.key_id, public_hex=key.public_hex, kind="sealed",
                                  sealed=key.sealed, wrap=key.wrap, created_at=naive(core.clock())))
    core.append_system(conn, "key_issued", by, {"user": name, "key": key.key_id, "public_key": key.public_hex,
                                                "reason": reason})
    return key.key_id


def _retire(core: Juece, conn: Connection, key: Any, name: str, reason: str, by: str) -> None:
    # The public half stays (old signatures verify against it); the sealed private half goes, so that
    # not even its holder can sign with a retired key any more.
    conn.execute(update(K).where(K.c.id == key.id).values(revoked_at=naive(core.clock()), retired_reason=reason,
                                                          sealed=None, wrap=None))
    core.append_system(conn, "key_retired", by, {"user": name, "key": str(key.key_id), "reason": reason})


def change_password(core: Juece, name: str, new: str, current: str | None = None) -> str:
    """The holder sets their own password; returns the id of the key it now opens.

    With a key already sealed under ``current``, the same key is re-wrapped under ``new``; with none
    (a new person, after a reset, or a legacy key) a new key pair is issued under ``new``.
    """
    check_length(new)
    with core.db.write() as conn:
        user, st = _user(conn, name), Store(conn)
        if user.password_hash is not None:
            try:
                hasher(core).verify(user.password_hash, current or "")
            except VerificationError:
                raise Forbidden("当前密码不正确", "the current password is wrong", code="password_wrong",
                                details={"field": "current_password"}) from None
        key = st.signing_key(int(user.id))
        if key is not None and key.kind == "sealed" and key.sealed is not None and current:
            try:
                sealed, wrap = keywrap.rewrap(bytes(key.sealed), dict(key.wrap or {}), str(key.key_id), current, new,
                                              core.kdf)
            except keywrap.WrongPassword:
                raise Forbidden("当前密码打不开签名密钥", "the current password does not open the signing key",
                                code="signing_password_wrong", details={"field": "current_password"}) from None
            conn.execute(update(K).where(K.c.id == key.id).values(sealed=sealed, wrap=wrap))
            key_id = str(key.key_id)
            core.append_system(conn, "password_changed", name, {"user": name, "key": key_id, "rewrapped": True})
        else:
            if key is not None:  # a legacy key, or one sealed under a password that is gone
                _retire(core, conn, key, name, "replaced: the holder set a new password", name)
            key_id = _issue(core, conn, int(user.id), name, new, "the holder set their own password", name)
            core.append_system(conn, "password_changed", name, {"user": name, "key": key_id, "rewrapped": False})
        conn.execute(update(U).where(U.c.id == user.id).values(password_hash=hasher(core).hash(new)))
        sessions.end_sessions(conn, int(user.id), core.clock(), "password_changed")
        return key_id


def reset_password(core: Juece, name: str, temporary: str, by: str = "admin") -> str | None:
    """An administrator's reset: a temporary sign-in password; the key is retired (returns its id).

    The person signs in with the temporary password but cannot sign until they set their own, which
    issues their new key pair: a key sealed under a password the administrator chose would be theirs too.
    """
    check_length(temporary)
    with core.db.write() as conn:
        user, st = _user(conn, name), Store(conn)
        key = st.signing_key(int(user.id))
        if key is not None:
            _retire(core, conn, key, name, f"password reset by {by}", by)
        conn.execute(update(U).where(U.c.id == user.id).values(password_hash=hasher(core).hash(temporary)))
        sessions.end_sessions(conn, int(user.id), core.clock(), "password_reset")
        core.append_system(conn, "password_reset", by, {"user": name, "retired_key": key.key_id if key else None})
        return str(key.key_id) if key is not None else None


def rotate_key(core: Juece, name: str, password: str) -> str:
    """The holder replaces their key by a new pair under the same password; the old one is retired."""
    with core.db.write() as conn:
        user, st = _user(conn, name), Store(conn)
        old_id, _ = unlock(st, int(user.id), name, password, core.clock())
        old = st.signing_key(int(user.id))
        _retire(core, conn, old, name, "rotated by the holder", name)
        return _issue(core, conn, int(user.id), name, password, f"rotation of {old_id}", name)


def revoke_key(core: Juece, name: str, reason: str, by: str = "admin") -> str:
    """Retire a person's key at once (e.g. a suspected compromise); they sign again after their next own password."""
    if not str(reason or "").strip():
        raise InvalidInput("请说明吊销理由", "a reason is required", details={"field": "reason"})
    with core.db.write() as conn:
        user, st = _user(conn, name), Store(conn)
        key = st.signing_key(int(user.id))
        if key is None:
            raise _no_key(name)
        # The holder keeps signing in; their next own password change issues a new pair (change_password).
        _retire(core, conn, key, name, f"revoked by {by}: {reason.strip()}", by)
        return str(key.key_id)


def retire_legacy(core: Juece, by: str = "system") -> int:
    """Record the retirement of every key made before holder-only signing (their private halves are gone)."""
    with core.db.write() as conn:
        rows = conn.execute(select(K.c.id, K.c.key_id, U.c.name).join(U, U.c.id == K.c.user_id)
                            .where(K.c.kind == "legacy", K.c.revoked_at.is_(None)).order_by(K.c.id)).all()
        for row in rows:
            _retire(core, conn, row, str(row.name), "legacy: was sealed under the instance secret", by)
        return len(rows)


def keys_of(conn: Connection, name: str) -> list[dict[str, Any]]:
    """A person's keys, newest first: id, public half, kind, when made, when and why retired."""
    person = people.person_id(conn, name)
    rows = conn.execute(select(K).where(K.c.user_id == person).order_by(K.c.id.desc()))
    return [{"key": r.key_id, "public_key": r.public_hex, "kind": r.kind, "created_at": _iso(r.created_at),
             "retired_at": _iso(r.revoked_at), "retired_reason": r.retired_reason,
             "usable": r.kind == "sealed" and r.revoked_at is None} for r in rows]


def _iso(moment: Any) -> str | None:
    value = aware(moment)
    return utc_iso(value) if value else None


def has_usable_key(conn: Connection, user_id: int) -> bool:
    """Whether the person can sign now (with their password)."""
    key = Store(conn).signing_key(user_id)
    return key is not None and key.kind == "sealed" and key.sealed is not None
