"""Schemas of people: the token's person, notifications, the office's users and personal access tokens."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from api.v1.schemas.transport import DATE_TIME, MAX_YEAR, MIN_YEAR, Page, PageQuery, nullable_string

# -- requests --------------------------------------------------------------------------------------


class NotificationListQuery(PageQuery):
    """Filters of the notification inbox."""

    unacknowledged = fields.Boolean(metadata={"description": "only those not yet acknowledged"})


class UserCreate(ma.Schema):
    """A new person in the admin's office; they get a signing key."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    roles = fields.List(fields.String(validate=validate.Length(min=1, max=40)), required=True,
                        validate=validate.Length(min=1, max=20))
    unit = fields.String(load_default="", validate=validate.Length(max=200))
    email = fields.Email(allow_none=True, validate=validate.Length(max=320))
    password = fields.String(validate=validate.Length(min=10, max=200), load_only=True)


class TokenCreate(ma.Schema):
    """A new token: valid for ``days`` (default 90, at most 366) or until ``expires_at``."""

    name = fields.String(load_default="", validate=validate.Length(max=200))
    days = fields.Integer(validate=validate.Range(min=1, max=366))
    expires_at = fields.AwareDateTime(metadata={"description": "instead of days: an instant with a time zone"})

    @ma.validates_schema
    def _one_of(self, data: dict[str, Any], **_: Any) -> None:
        if "days" in data and "expires_at" in data:
            raise ma.ValidationError("give days or expires_at, not both", "days")
        moment = data.get("expires_at")
        if moment is not None and not MIN_YEAR <= moment.year <= MAX_YEAR:
            raise ma.ValidationError("out of range", "expires_at")


# -- responses -------------------------------------------------------------------------------------


class MeOut(ma.Schema):
    user = fields.String(required=True)
    user_id = fields.Integer(required=True)
    roles = fields.List(fields.String(), required=True)
    office = fields.String(required=True)
    unit = fields.String(required=True)
    token_id = fields.Integer(required=True)
    token_expires_at = fields.String(required=True, metadata=DATE_TIME)


class NotificationOut(ma.Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    subject = fields.String(required=True)
    body = fields.String(required=True)
    decision_id = fields.Integer(allow_none=True, required=True)
    deadline_id = fields.Integer(allow_none=True, required=True)
    personal = fields.Boolean(required=True, metadata={"description": "false for the office's group channel"})
    payload = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    created_at = fields.String(required=True, metadata=DATE_TIME)
    acknowledged_at = nullable_string(required=True, metadata=DATE_TIME)


class NotificationPage(Page):
    items = fields.List(fields.Nested(NotificationOut), required=True)


class AcknowledgementOut(ma.Schema):
    notification = fields.Integer(required=True)
    acknowledged_by = fields.String(required=True)
    at = fields.String(required=True, metadata=DATE_TIME)


class UserOut(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    unit = fields.String(required=True)
    office = fields.String(required=True)
    email = nullable_string(required=True)
    active = fields.Boolean(required=True)


class UserList(ma.Schema):
    items = fields.List(fields.Nested(UserOut), required=True)


class TokenOut(ma.Schema):
    id = fields.Integer(required=True)
    user = fields.String(required=True)
    user_id = fields.Integer(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True, metadata={"description": "the first characters of the secret"})
    created_at = fields.String(required=True, metadata=DATE_TIME)
    expires_at = fields.String(required=True, metadata=DATE_TIME)
    revoked_at = nullable_string(required=True, metadata=DATE_TIME)
    last_used_at = nullable_string(required=True, metadata=DATE_TIME)


class TokenList(ma.Schema):
    items = fields.List(fields.Nested(TokenOut), required=True)


class IssuedTokenOut(ma.Schema):
    id = fields.Integer(required=True)
    token = fields.String(required=True, metadata={"description": "the secret: shown this once, never again"})
    user = fields.String(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True)
    created_at = fields.String(required=True, metadata=DATE_TIME)
    expires_at = fields.String(required=True, metadata=DATE_TIME)


__all__ = [
    "AcknowledgementOut", "IssuedTokenOut", "MeOut", "NotificationListQuery", "NotificationOut", "NotificationPage",
    "TokenCreate", "TokenList", "TokenOut", "UserCreate", "UserList", "UserOut",
]
