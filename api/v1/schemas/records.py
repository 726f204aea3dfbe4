"""Schemas of back-entries (补录) and corrections (更正)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from api.v1.actions import Instant
from api.v1.schemas.transport import DATE_TIME

MAX_REASON = 2000


class BackfillCreate(ma.Schema):
    action = fields.String(required=True, validate=validate.Regexp(r"^[a-z_]{1,64}$"))
    data = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=dict,
                       metadata={"description": "the step's fields, as for the action itself"})
    occurred_at = Instant(required=True, metadata={
        **DATE_TIME, "description": "when the step really happened, ISO 8601 (without an offset: Asia/Shanghai)"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=MAX_REASON))


class BackfillRequestOut(ma.Schema):
    seq = fields.Integer(required=True, metadata={"description": "the request's event number"})
    action = fields.String(required=True)
    data = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    occurred_at = fields.String(required=True, metadata=DATE_TIME)
    reason = fields.String(required=True)
    requested_by = fields.String(required=True)
    requested_at = fields.String(required=True, metadata=DATE_TIME)


class BackfillList(ma.Schema):
    items = fields.List(fields.Nested(BackfillRequestOut), required=True)


class BackfillCreated(ma.Schema):
    decision_id = fields.Integer(required=True)
    request = fields.Integer(required=True)


class BackfillReject(ma.Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=MAX_REASON))


class CorrectionCreate(ma.Schema):
    data = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True,
                       metadata={"description": "the corrected record: the action's fields"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=MAX_REASON))
    of_version = fields.Integer(validate=validate.Range(min=1, max=10_000), metadata={
        "description": "refuse unless this is the version in force"})


class ApprovalRequestOut(ma.Schema):
    seq = fields.Integer(required=True, metadata={"description": "the request's event number"})
    action = fields.String(required=True)
    data = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    requested_by = fields.String(required=True)
    requested_at = fields.String(required=True, metadata=DATE_TIME)


class ApprovalList(ma.Schema):
    items = fields.List(fields.Nested(ApprovalRequestOut), required=True)


class ApprovalDeclined(ma.Schema):
    decision_id = fields.Integer(required=True)
    request = fields.Integer(required=True)
    version = fields.Integer(required=True)


class MigrationCreate(ma.Schema):
    to = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={
        "description": "the newer version, id@version (or just the version)"})
    basis = fields.String(required=True, validate=validate.Length(min=1, max=MAX_REASON), metadata={
        "description": "the legal basis of the migration (迁移依据)"})
    dry_run = fields.Boolean(load_default=False, metadata={"description": "answer what would change; change nothing"})


class _FromTo(ma.Schema):
    from_ = fields.String(required=True, data_key="from", attribute="from")
    to = fields.String(required=True)


class MigrationOut(ma.Schema):
    decision = fields.Integer(required=True)
    dry_run = fields.Boolean(required=True)
    from_ = fields.String(required=True, data_key="from", attribute="from",
                          metadata={"description": "id@version it was under"})
    to = fields.String(required=True)
    basis = fields.String(required=True)
    state = fields.Nested(_FromTo, required=True)
    facts = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True,
                        metadata={"description": "rename (old: new), drop and add_tasks, as the event records them"})
    deadlines = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True)
    changed_facts = fields.List(fields.String(), required=True)
    version = fields.Integer(required=True, metadata={"description": "the decision's version after (or, dry: now)"})
    hash = fields.String(metadata={"description": "the chain head after the migration (absent in a dry run)"})
