"""Schemas of signing and deputies: the signer's password header, the deputy grant header, and grants."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from api.v1.schemas.transport import DATE_TIME, ActionHeaders, nullable_string

SIGNING_PASSWORD = "Juece-Signing-Password"
DEPUTY_GRANT = "Juece-Deputy-Grant"


class SigningHeaders(ActionHeaders):
    """``Juece-Signing-Password``: the signer's own password, for a signed step only."""

    signing_password = fields.String(data_key=SIGNING_PASSWORD, validate=validate.Length(min=1, max=1000),
                                     load_only=True, metadata={"description": (
                                         "the acting person's own password (UTF-8). Required by a signed step: "
                                         "it opens their signing key for this one signature; juece keeps no copy "
                                         "and cannot sign without it. A header, not a body field, so that it is "
                                         "never part of the stored Idempotency-Key request hash.")})


class ActingHeaders(SigningHeaders):
    """``Juece-Deputy-Grant``: act as a deputy (代理) under this grant, in the token's person's own name."""

    deputy_grant = fields.Integer(data_key=DEPUTY_GRANT, strict=False, validate=validate.Range(min=1, max=2**53),
                                  metadata={"description": "the id of a deputy grant held by the token's person "
                                                           "and in force now; the event is marked 代 (for) its "
                                                           "principal"})


class GrantCreate(ma.Schema):
    """A deputy grant (chief executive): whose role, to whom, until when, why."""

    principal = fields.String(required=True, validate=validate.Length(min=1, max=200))
    deputy = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.Length(min=1, max=40))
    starts_at = fields.AwareDateTime(metadata={"description": "default: now"})
    ends_at = fields.AwareDateTime(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class GrantRevoke(ma.Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class GrantOut(ma.Schema):
    id = fields.Integer(required=True)
    principal = fields.String(required=True)
    deputy = fields.String(required=True)
    role = fields.String(required=True)
    starts_at = fields.String(required=True, metadata=DATE_TIME)
    ends_at = fields.String(required=True, metadata=DATE_TIME)
    reason = fields.String(required=True)
    granted_by = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["scheduled", "in_force", "expired", "revoked"]))
    revoked_at = nullable_string(required=True, metadata=DATE_TIME)
    revoke_reason = nullable_string(required=True)
    signature_ok = fields.Boolean(required=True, metadata={"description": "the granter's signature verifies"})


class GrantList(ma.Schema):
    items = fields.List(fields.Nested(GrantOut), required=True)
