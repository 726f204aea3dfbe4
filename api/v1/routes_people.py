"""People over HTTP: who the token is, their notifications, the office's people (admin role) and the
personal access tokens."""

from __future__ import annotations

from typing import Any

from api.v1 import schemas as s
from api.v1.auth import core, principal, require_admin
from api.v1.route_helpers import ID, Problems, iso, page_cursor, page_out
from api.v1.smorest_types import Blp
from workflow.admin import offices as admin
from workflow.admin import tokens
from workflow.admin.people import named
from workflow.admin.tokens import Principal
from workflow.engine.context import utc_iso
from workflow.engine.errors import Forbidden, NotFound
from workflow.notices.alerts import acknowledge
from workflow.views import people
from workflow.views.visibility import public_only, visible_ids


def _office_user(user_id: int, who: Principal) -> Any:
    with core().db.read() as conn:
        row = people.user(conn, user_id)
    if row is None or row.org_id != who.org_id:
        raise NotFound(f"没有这个用户：{user_id}", f"no such user: {user_id}", details={"user": user_id})
    return row


def register(blp: Blp, problems: Problems) -> None:
    """Add the operations on the token's person, notifications, users and tokens to ``blp``."""

    @blp.route("/me", methods=["GET"], tags=["tokens"])
    @blp.response(200, s.MeOut)
    @problems()
    def me() -> dict[str, Any]:
        """The token's person, roles and office"""
        who = principal()
        return {"user": who.user, "user_id": who.user_id, "roles": sorted(who.roles), "office": who.org,
                "unit": who.unit, "token_id": who.token_id, "token_expires_at": utc_iso(who.expires_at)}

    @blp.route("/notifications", methods=["GET"], tags=["notifications"])
    @blp.arguments(s.NotificationListQuery, location="query", arg_name="query")
    @blp.response(200, s.NotificationPage)
    @problems()
    def notifications(query: dict[str, Any]) -> dict[str, Any]:
        """The token's person's notifications (and the office's group ones; a citizen only their own), newest first"""
        who = principal()
        with core().db.read() as conn:
            rows = people.notifications_page(conn, who.org_id, who.user_id, limit=query["limit"],
                                             before=page_cursor(query),
                                             acknowledged=None if query.get("unacknowledged") is None
                                             else not query["unacknowledged"],
                                             own_only=public_only(who.roles))
            page = rows[:query["limit"]]
            shown = page
            if public_only(who.roles):  # filtered within the page so that the cursor still pages the table
                seen = visible_ids(conn, who.org_id, [n.decision_id for n in page if n.decision_id], core().clock(),
                                   core().catalog)
                shown = [n for n in page if n.decision_id is None or n.decision_id in seen]
        return page_out([{"id": int(n.id), "kind": n.kind, "subject": n.subject, "body": n.body,
                          "decision_id": n.decision_id, "deadline_id": n.deadline_id,
                          "personal": n.user_id is not None, "payload": n.payload,
                          "created_at": iso(n.created_at), "acknowledged_at": iso(n.acknowledged_at)}
                         for n in shown], int(page[-1].id) if len(rows) > query["limit"] else None)

    @blp.route(f"/notifications/<{ID}:notification_id>/acknowledge", methods=["POST"], tags=["notifications"])
    @blp.arguments(s.IdempotencyHeaders, location="headers", arg_name="headers")
    @blp.response(200, s.AcknowledgementOut)
    @problems(404, 409, 413, 415, 422)
    def acknowledge_notification(notification_id: int, headers: dict[str, Any]) -> dict[str, Any]:
        """Acknowledge a notification: an overdue item stops escalating"""
        return acknowledge(core(), notification_id, principal().user)

    @blp.route("/users", methods=["GET"], tags=["users"])
    @blp.response(200, s.UserList)
    @problems(403)
    def users() -> dict[str, Any]:
        """The people of the admin's office (admin role)"""
        who = require_admin()
        with core().db.read() as conn:
            rows = people.office_users(conn, who.org_id)
        return {"items": [people.user_out(r) for r in rows]}

    @blp.route("/users", methods=["POST"], tags=["users"])
    @blp.arguments(s.IdempotencyHeaders, location="headers", arg_name="headers")
    @blp.arguments(s.UserCreate, arg_name="body")
    @blp.response(201, s.UserOut)
    @problems(403, 409, 413, 415, 422)
    def add_user(headers: dict[str, Any], body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Add a person to the admin's office (admin role); they get a signing key"""
        who = require_admin()
        juece = core()
        user_id = admin.add_user(juece, body["name"], body["roles"], who.org, unit=body["unit"],
                                 password=body.get("password"), by=who.user, email=body.get("email"))
        return people.user_out(_office_user(user_id, who)), 201

    @blp.route(f"/users/<{ID}:user_id>/deactivate", methods=["POST"], tags=["users"])
    @blp.arguments(s.IdempotencyHeaders, location="headers", arg_name="headers")
    @blp.response(200, s.UserOut)
    @problems(400, 403, 404, 409, 413, 415, 422)
    def deactivate_user(user_id: int, headers: dict[str, Any]) -> dict[str, Any]:
        """Deactivate a person of the office (admin role): no sign-in, sessions end, tokens stop working"""
        who = require_admin()
        juece = core()
        person = _office_user(user_id, who)
        admin.deactivate_user(juece, named(person), by=who.user)
        return people.user_out(_office_user(user_id, who))

    @blp.route(f"/users/<{ID}:user_id>/reactivate", methods=["POST"], tags=["users"])
    @blp.arguments(s.IdempotencyHeaders, location="headers", arg_name="headers")
    @blp.response(200, s.UserOut)
    @problems(403, 404, 409, 413, 415, 422)
    def reactivate_user(user_id: int, headers: dict[str, Any]) -> dict[str, Any]:
        """Reactivate a deactivated person of the office (admin role); revoked tokens stay revoked"""
        who = require_admin()
        juece = core()
        person = _office_user(user_id, who)
        admin.reactivate_user(juece, named(person), by=who.user)
        return people.user_out(_office_user(user_id, who))

    @blp.route(f"/users/<{ID}:user_id>/tokens", methods=["GET"], tags=["tokens"])
    @blp.response(200, s.TokenList)
    @problems(403, 404)
    def user_tokens(user_id: int) -> dict[str, Any]:
        """A person's tokens, never their secrets (admin role)"""
        who = require_admin()
        _office_user(user_id, who)
        with core().db.read() as conn:
            return {"items": tokens.list_tokens(conn, user_id=user_id)}

    @blp.route(f"/users/<{ID}:user_id>/tokens", methods=["POST"], tags=["tokens"])
    @blp.arguments(s.IdempotencyHeaders, location="headers", arg_name="headers")
    @blp.arguments(s.TokenCreate, arg_name="body", required=False)
    @blp.response(201, s.IssuedTokenOut)
    @problems(403, 404, 409, 413, 415, 422)
    def create_token(user_id: int, headers: dict[str, Any], body: dict[str, Any]) -> tuple[dict[str, Any], int,
                                                                                         dict[str, str]]:
        """Issue a token for a person of the office (admin role); the secret is in this answer only"""
        who = require_admin()
        person = _office_user(user_id, who)
        issued = tokens.create_token(core(), named(person), name=body.get("name", ""), days=body.get("days"),
                                     expires_at=body.get("expires_at"), by=who.user)
        return issued.as_dict(), 201, {"Cache-Control": "no-store"}

    @blp.route("/tokens", methods=["GET"], tags=["tokens"])
    @blp.response(200, s.TokenList)
    @problems()
    def list_tokens() -> dict[str, Any]:
        """Tokens: all of the office's for an admin, one's own otherwise"""
        who = principal()
        with core().db.read() as conn:
            if "admin" in who.roles:
                return {"items": tokens.list_tokens(conn, org_id=who.org_id)}
            return {"items": tokens.list_tokens(conn, user_id=who.user_id)}

    @blp.route(f"/tokens/<{ID}:token_id>", methods=["DELETE"], tags=["tokens"])
    @blp.response(200, s.TokenOut)
    @problems(403, 404)
    def revoke_token(token_id: int) -> dict[str, Any]:
        """Revoke a token at once: one's own, or any of the office's for an admin"""
        who = principal()
        with core().db.read() as conn:
            current = tokens.get_token(conn, token_id, org_id=who.org_id)
        if "admin" not in who.roles and current["user_id"] != who.user_id:
            raise Forbidden("只能撤销自己的令牌", "you may revoke only your own tokens", code="admin_only")
        return tokens.revoke_token(core(), token_id, by=who.user, org_id=who.org_id)


__all__ = ["register"]
