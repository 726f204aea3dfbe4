"""Personal access tokens for the REST API: create, verify, list and revoke. Pure database functions.

A token belongs to one person and acts with exactly that person's roles and office, as they are
when the token is used (a changed role or a deactivated person takes effect at once). The secret is
shown once, when the token is created; only its SHA-256 is stored (the secret carries 256 random
bits, so a plain hash is enough). Every token expires; a revoked or expired token never verifies
again. Creating and revoking are appended to the hash-chained ``system`` audit stream.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select, update

from workflow.admin import people
from workflow.engine.context import utc_iso
from workflow.engine.errors import InvalidInput, NotFound, WorkflowError
from workflow.engine.textrules import one_line
from workflow.persistence.api_models import ApiToken
from workflow.persistence.store import ORG, U, aware, naive
from workflow.service import Juece

T = cast(Table, ApiToken.__table__)

#: Every secret starts with this, so secret scanners and people can tell what it is.
TOKEN_PREFIX = "jc_"
DEFAULT_DAYS = 90
MAX_DAYS = 366
#: ``last_used_at`` is written at most this often per token (a read should not always write).
TOUCH_EVERY = dt.timedelta(minutes=10)


class InvalidToken(WorkflowError):
    """A missing, unknown, expired or revoked token (``code`` says which)."""

    code = "invalid_token"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token; ``secret`` exists only here and is never stored."""

    id: int
    secret: str
    user: str
    name: str
    created_at: dt.datetime
    expires_at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        """Machine-readable form (with the secret: show it once)."""
        return {"id": self.id, "token": self.secret, "user": self.user, "name": self.name,
                "prefix": self.secret[:10], "created_at": utc_iso(self.created_at),
                "expires_at": utc_iso(self.expires_at)}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a verified token speaks for: the person, their roles and office, and the token."""

    token_id: int
    user_id: int
    user: str
    roles: frozenset[str]
    org_id: int
    org: str
    unit: str
    expires_at: dt.datetime


def hash_secret(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _row_dict(row: Any) -> dict[str, Any]:
    def when(value: dt.datetime | None) -> str | None:
        moment = aware(value)
        return utc_iso(moment) if moment else None

    return {"id": int(row.id), "user": row.user_name, "user_id": int(row.user_id), "name": row.name,
            "prefix": row.prefix, "created_at": when(row.created_at), "expires_at": when(row.expires_at),
            "revoked_at": when(row.revoked_at), "last_used_at": when(row.last_used_at)}


_LIST = select(T, U.c.name.label("user_name"), U.c.org_id).join(U, U.c.id == T.c.user_id)


def create_token(core: Juece, user: str, *, name: str = "", days: int | None = None,
                 expires_at: dt.datetime | None = None, by: str = "admin") -> IssuedToken:
    """Issue a token for ``user`` valid for ``days`` (default 90, at most 366) or until ``expires_at``."""
    now, name = core.clock(), one_line("name", name)
    if expires_at is None:
        days = DEFAULT_DAYS if days is None else days
        if not 1 <= days <= MAX_DAYS:
            raise InvalidInput(f"有效期应为 1 至 {MAX_DAYS} 天", f"a token lives 1 to {MAX_DAYS} days",
                               details={"field": "days"})
        expires_at = now + dt.timedelta(days=days)
    if expires_at.tzinfo is None:
        raise InvalidInput("到期时间须带时区", "expires_at needs a time zone", details={"field": "expires_at"})
    if expires_at <= now or expires_at > now + dt.timedelta(days=MAX_DAYS):
        raise InvalidInput(f"到期时间应在现在之后 {MAX_DAYS} 天以内", f"expires_at must be within {MAX_DAYS} days from now",
                           details={"field": "expires_at"})
    if len(name) > 200:
        raise InvalidInput("名称过长", "name is too long", details={"field": "name"})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with core.db.write() as conn:
        person = people.resolve_person(conn, user, active=True)
        creator = people.person_id(conn, by)
        user = people.named(person)
        token_id = int(conn.execute(insert(T).values(
            user_id=person.id, name=name, token_hash=hash_secret(secret), prefix=secret[:10],
            created_at=naive(now), created_by=creator, expires_at=naive(expires_at),
        ).returning(T.c.id)).scalar_one())
        core.append_system(conn, "api_token_created", by, {
            "token": token_id, "user": user, "name": name, "prefix": secret[:10], "expires_at": utc_iso(expires_at)})
    return IssuedToken(token_id, secret, user, name, now, expires_at.astimezone(dt.UTC))


def verify_token(core: Juece, secret: str) -> Principal:
    """The principal of a presented secret; ``InvalidToken`` when it is unknown, expired or revoked."""
    now = core.clock()
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        raise InvalidToken("令牌无效", "the token is not valid", code="token_invalid")
    digest = hash_secret(secret)
    with core.db.read() as conn:
        row = conn.execute(
            select(T.c.id, T.c.token_hash, T.c.expires_at, T.c.revoked_at, T.c.last_used_at, U.c.id.label("user_id"),
                   U.c.name, U.c.roles, U.c.unit, U.c.active, U.c.org_id, ORG.c.name.label("org_name"))
            .join(U, U.c.id == T.c.user_id).join(ORG, ORG.c.id == U.c.org_id)
            .where(T.c.token_hash == digest)).first()
    if row is None or not hmac.compare_digest(str(row.token_hash), digest):
        raise InvalidToken("令牌无效", "the token is not valid", code="token_invalid")
    if row.revoked_at is not None:
        raise InvalidToken("令牌已被撤销", "the token has been revoked", code="token_revoked")
    expires = aware(row.expires_at)
    assert expires is not None
    if expires <= now:
        raise InvalidToken("令牌已过期", "the token has expired", code="token_expired",
                           details={"expired_at": utc_iso(expires)})
    if not row.active:
        raise InvalidToken("该用户已停用", "the token's user is no longer active", code="user_inactive")
    last = aware(row.last_used_at)
    if last is None or now - last >= TOUCH_EVERY:
        with core.db.write() as conn:
            conn.execute(update(T).where(T.c.id == row.id).values(last_used_at=naive(now)))
    return Principal(int(row.id), int(row.user_id), people.named(row), frozenset(row.roles), int(row.org_id),
                     str(row.org_name), str(row.unit or ""), expires)


def list_tokens(conn: Connection, *, org_id: int | None = None, user_id: int | None = None) -> list[dict[str, Any]]:
    """Tokens (never their secrets), newest first, of one office and/or one person."""
    query = _LIST.order_by(T.c.id.desc())
    if org_id is not None:
        query = query.where(U.c.org_id == org_id)
    if user_id is not None:
        query = query.where(T.c.user_id == user_id)
    return [_row_dict(r) for r in conn.execute(query)]


def get_token(conn: Connection, token_id: int, *, org_id: int | None = None) -> dict[str, Any]:
    """One token; another office's token does not exist for you."""
    row = conn.execute(_LIST.where(T.c.id == token_id)).first()
    if row is None or (org_id is not None and row.org_id != org_id):
        raise NotFound(f"没有这个令牌：{token_id}", f"no such token: {token_id}", details={"token": token_id})
    return _row_dict(row)


def revoke_token(core: Juece, token_id: int, *, by: str, org_id: int | None = None) -> dict[str, Any]:
    """Revoke a token (at once, for good); revoking a revoked token changes nothing."""
    now = core.clock()
    with core.db.write() as conn:
        current = get_token(conn, token_id, org_id=org_id)
        if current["revoked_at"] is None:
            revoker = people.person_id(conn, by)
            conn.execute(update(T).where(T.c.id == token_id, T.c.revoked_at.is_(None))
                         .values(revoked_at=naive(now), revoked_by=revoker))
            core.append_system(conn, "api_token_revoked", by, {"token": token_id, "user": current["user"]})
        return get_token(conn, token_id)
