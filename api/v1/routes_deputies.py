"""Deputy grants (代理) over HTTP: the office's grants, and a chief executive's signed grant and revocation."""

from __future__ import annotations

from typing import Any

from api.v1.auth import core, principal
from api.v1.route_helpers import ID, Problems
from api.v1.schemas import signing as sg
from api.v1.smorest_types import Blp
from workflow.admin import deputies


def signing_password(headers: dict[str, Any]) -> str | None:
    """The signer's password from its header, read as UTF-8 (HTTP headers arrive as Latin-1)."""
    value = headers.get("signing_password")
    if not value:
        return None
    try:
        return str(value).encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return str(value)


def _grant(grant_id: int) -> dict[str, Any]:
    who, juece = principal(), core()
    with juece.db.read() as conn:
        return next(g for g in deputies.office_grants(conn, who.org_id, juece.clock()) if g["id"] == grant_id)


def register(blp: Blp, problems: Problems) -> None:
    """Add the deputy grant operations to ``blp``."""

    @blp.route("/deputies", methods=["GET"], tags=["deputies"])
    @blp.response(200, sg.GrantList)
    @problems()
    def grants() -> dict[str, Any]:
        """The office's deputy grants, newest first, with their standing"""
        who, juece = principal(), core()
        with juece.db.read() as conn:
            return {"items": deputies.office_grants(conn, who.org_id, juece.clock())}

    @blp.route("/deputies", methods=["POST"], tags=["deputies"])
    @blp.arguments(sg.SigningHeaders, location="headers", arg_name="headers")
    @blp.arguments(sg.GrantCreate, arg_name="body")
    @blp.response(201, sg.GrantOut)
    @problems(403, 404, 409, 413, 415, 422)
    def grant(headers: dict[str, Any], body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Grant a person's role to a deputy for a period (chief executive), signed

        The grant is confirmed by the chief executive's own signature: send their password in
        `Juece-Signing-Password`. The deputy then acts in their own name with `Juece-Deputy-Grant`.
        """
        who = principal()
        grant_id = deputies.grant(core(), who.user, body["principal"], body["deputy"], body["role"], body["ends_at"],
                                  body["reason"], signing_password(headers), body.get("starts_at"))
        return _grant(grant_id), 201

    @blp.route(f"/deputies/<{ID}:grant_id>/revoke", methods=["POST"], tags=["deputies"])
    @blp.arguments(sg.SigningHeaders, location="headers", arg_name="headers")
    @blp.arguments(sg.GrantRevoke, arg_name="body")
    @blp.response(200, sg.GrantOut)
    @problems(403, 404, 409, 413, 415, 422)
    def revoke(grant_id: int, headers: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        """End a deputy grant early (chief executive), signed with `Juece-Signing-Password`"""
        who = principal()
        deputies.revoke(core(), grant_id, who.user, body["reason"], signing_password(headers))
        return _grant(grant_id)


__all__ = ["register", "signing_password"]
