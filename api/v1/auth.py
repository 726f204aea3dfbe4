"""Authentication by personal access token (``Authorization: Bearer jc_…``) and the admin check.

Session cookies never authenticate the API: only the bearer token counts, so a page open in a browser
cannot be made to act through the API (no CSRF), and every call is attributable to one token.
"""

from __future__ import annotations

from flask import current_app, g, request

from workflow.admin.tokens import InvalidToken, Principal, hash_secret, verify_token
from workflow.engine.errors import Forbidden
from workflow.service import Juece


def core() -> Juece:
    """The application core."""
    value: Juece = current_app.extensions["juece"]
    return value


def bearer() -> str | None:
    """The bearer token of the request, if any."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value else None


def authenticate() -> Principal:
    """Verify the request's token and remember its principal for the request."""
    secret = bearer()
    if secret is None:
        raise InvalidToken("需要 API 令牌（Authorization: Bearer …）", "an API token is required (Authorization: Bearer …)",
                           code="token_missing")
    principal = verify_token(core(), secret)
    g.api_principal = principal
    return principal


def principal() -> Principal:
    """The principal of the current request (authenticated before the view runs)."""
    value: Principal = g.api_principal
    return value


def require_admin() -> Principal:
    """The principal, if it has the admin role."""
    who = principal()
    if "admin" not in who.roles:
        raise Forbidden("仅限系统管理员", "only an administrator may do this", code="admin_only")
    return who


def rate_key() -> str:
    """Rate limits count per token (per client address when no token is given)."""
    secret = bearer()
    if secret is not None:
        return "token:" + hash_secret(secret)[:32]
    return "addr:" + (request.remote_addr or "unknown")
