"""Sign-in that really ends: server-side session records and the durable lock-out counter.

Each web sign-in is a row of ``web_session``; the cookie carries only a random secret whose SHA-256 is
stored. Signing out, a password change or reset, a deactivation and a role change end the person's
sessions at once, so a copied cookie stops working. Failed sign-ins and wrong signing passwords are
rows of ``auth_failure`` (keyed ``name:…`` per person and ``addr:…`` per client address), so the
lock-out is shared by every process and survives a restart. Pure database functions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Table, delete, func, insert, select, update

from workflow.engine.errors import Forbidden
from workflow.persistence.session_models import AuthFailure, WebSession
from workflow.persistence.store import ORG, U, naive

if TYPE_CHECKING:
    from workflow.service import Juece

S = cast(Table, WebSession.__table__)
F = cast(Table, AuthFailure.__table__)

#: Failures of one name within ``LOCK_WINDOW`` that lock it (sign-in and signing alike).
MAX_FAILURES = 5
#: Failures from one client address within the window that lock that address.
MAX_ADDRESS_FAILURES = 20
LOCK_WINDOW = dt.timedelta(minutes=15)


class LockedOut(Forbidden):
    """Too many failed passwords for this name: sign-in and signing wait until the window passes."""

    code = "locked_out"


class WrongSigningPassword(Forbidden):
    """A signing password that does not open the holder's key; ``user`` is counted towards their lock-out."""

    code = "signing_password_wrong"

    def __init__(self, user: str) -> None:
        super().__init__("密码不正确，未签名", "wrong password: nothing was signed", details={"field": "password"})
        self.user = user


def name_key(name: str) -> str:
    """The lock-out key of a person's name."""
    return f"name:{name}"


def address_key(address: str | None) -> str:
    """The lock-out key of a client address."""
    return f"addr:{address or 'unknown'}"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def failure_count(conn: Connection, key: str, now: dt.datetime) -> int:
    """Failures counted against ``key`` within the lock window before ``now``."""
    since = naive(now - LOCK_WINDOW)
    return int(conn.execute(select(func.count()).select_from(F).where(F.c.key == key, F.c.at > since)).scalar_one())


def is_locked(conn: Connection, key: str, now: dt.datetime, limit: int = MAX_FAILURES) -> bool:
    """Whether ``key`` has reached ``limit`` failures within the window."""
    return failure_count(conn, key, now) >= limit


def check_not_locked(conn: Connection, name: str, now: dt.datetime) -> None:
    """Refuse (``locked_out``) when ``name`` is locked out."""
    if is_locked(conn, name_key(name), now):
        raise LockedOut("尝试次数过多，请 15 分钟后再试", "too many failed passwords: try again in 15 minutes",
                        details={"user": name})


def record_failure(core: Juece, *keys: str) -> None:
    """Count one failure for each key (and drop failures older than the window)."""
    now = core.clock()
    with core.db.write() as conn:
        conn.execute(delete(F).where(F.c.at <= naive(now - LOCK_WINDOW)))
        if keys:
            conn.execute(insert(F), [{"key": k, "at": naive(now)} for k in keys])


def clear_failures(core: Juece, key: str) -> None:
    """Forget a key's failures (after a successful sign-in or signature)."""
    with core.db.write() as conn:
        conn.execute(delete(F).where(F.c.key == key))


def locked(core: Juece, key: str, limit: int = MAX_FAILURES) -> bool:
    """Whether ``key`` is locked now."""
    with core.db.read() as conn:
        return is_locked(conn, key, core.clock(), limit)


def start_session(core: Juece, user_id: int, address: str | None = None) -> str:
    """Record a new sign-in of an active person; returns the secret for the cookie (stored only hashed)."""
    secret = secrets.token_urlsafe(32)
    with core.db.write() as conn:
        conn.execute(insert(S).values(secret_hash=_hash(secret), user_id=user_id, address=(address or "")[:64],
                                      created_at=naive(core.clock())))
    return secret


def session_user(core: Juece, secret: str) -> Any | None:
    """The active person (id, name, roles, org_id, org_name, unit) of a live session, or None."""
    if not secret or len(secret) > 200:
        return None
    with core.db.read() as conn:
        return conn.execute(select(U.c.id, U.c.name, U.c.roles, U.c.org_id, U.c.unit, ORG.c.name.label("org_name"))
                            .join(S, S.c.user_id == U.c.id).join(ORG, ORG.c.id == U.c.org_id)
                            .where(S.c.secret_hash == _hash(secret), S.c.ended_at.is_(None),
                                   U.c.active.is_(True))).first()


def end_session(core: Juece, secret: str, reason: str = "logout") -> None:
    """End one session (signing out)."""
    with core.db.write() as conn:
        conn.execute(update(S).where(S.c.secret_hash == _hash(secret), S.c.ended_at.is_(None))
                     .values(ended_at=naive(core.clock()), ended_reason=reason))


def end_sessions(conn: Connection, user_id: int, now: dt.datetime, reason: str) -> int:
    """End every live session of a person (in the caller's transaction); returns how many."""
    result = conn.execute(update(S).where(S.c.user_id == user_id, S.c.ended_at.is_(None))
                          .values(ended_at=naive(now), ended_reason=reason[:40]))
    return int(result.rowcount or 0)


def live_sessions(conn: Connection, user_id: int) -> int:
    """How many sessions of a person are live."""
    return int(conn.execute(select(func.count()).select_from(S)
                            .where(S.c.user_id == user_id, S.c.ended_at.is_(None))).scalar_one())
