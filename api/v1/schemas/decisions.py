"""Schemas of decisions and what hangs off one: the list and creation, the detail with its tasks, deadlines,
documents and history, an action's result, stored documents, comments and the audit trail."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from api.v1.schemas.transport import DATE_TIME, HEX64, Page, PageQuery, nullable_string

# -- requests --------------------------------------------------------------------------------------


class DecisionListQuery(PageQuery):
    """Filters of the decision list."""

    state = fields.String(validate=validate.Length(min=1, max=60))
    procedure = fields.String(validate=validate.Length(min=1, max=100),
                              metadata={"description": "a procedure id (cn-713) or id@version"})


class DecisionCreate(ma.Schema):
    """A new decision, owned by the token's person (who needs the owner role)."""

    procedure = fields.String(required=True, validate=validate.Length(min=1, max=100),
                              metadata={"example": "cn-713"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                          metadata={"example": "界牌新潮塘未来社区建设"})
    flags = fields.List(fields.String(validate=validate.Length(min=1, max=60)), load_default=list,
                        validate=validate.Length(max=20), metadata={"example": ["technical"]})


# -- decisions and action results ------------------------------------------------------------------


class DecisionSummary(ma.Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    procedure = fields.String(required=True, metadata={"description": "id@version the decision is pinned to"})
    state = fields.String(required=True)
    state_zh = fields.String(required=True)
    state_en = fields.String(required=True)
    terminal = fields.Boolean(required=True)
    version = fields.Integer(required=True)
    updated_at = fields.String(required=True, metadata=DATE_TIME)


class DecisionPage(Page):
    items = fields.List(fields.Nested(DecisionSummary), required=True)


class TaskStatus(ma.Schema):
    required = fields.Boolean(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["done", "waived", "open", "not_required"]))
    reason = fields.String(required=True)


class DeadlineOut(ma.Schema):
    key = fields.String(required=True)
    kind = fields.String(required=True)
    fire_at = nullable_string(required=True, metadata=DATE_TIME | {
        "description": "null while the deadline awaits the calendar"})
    due_at = nullable_string(required=True, metadata=DATE_TIME | {
        "description": "null while the deadline awaits the calendar"})
    status = fields.String(required=True, metadata={"description": "open, fired, closed, paused or awaiting"})
    recipients = fields.List(fields.String(), required=True)
    article = fields.String(required=True)
    awaiting_year = fields.Integer(allow_none=True, required=True, metadata={
        "description": "the year without official calendar data this deadline waits for (status awaiting); it is "
                       "computed when that year's holiday notice is imported"})


class DocumentVersionOut(ma.Schema):
    kind = fields.String(required=True)
    version = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    filename = fields.String(required=True)
    event_seq = fields.Integer(required=True)
    created_at = fields.String(required=True, metadata=DATE_TIME)


class HistoryEntry(ma.Schema):
    seq = fields.Integer(required=True)
    action = fields.String(required=True)
    from_ = fields.String(data_key="from", attribute="from", allow_none=True, required=True)
    to = fields.String(allow_none=True, required=True)
    at = fields.String(required=True, metadata=DATE_TIME)
    actor = nullable_string(required=True)
    signed = fields.Boolean(required=True)
    hash = fields.String(required=True)
    outcome = nullable_string(metadata={"description": "the outcome option's id (its labels: GET /procedures/{key})"})
    backfill = fields.Dict(keys=fields.String(), values=fields.Raw(), allow_none=True, metadata={
        "description": "补录: a step entered afterwards, with occurred_at, reason, requested_by and approved_by"})
    correction = fields.Dict(keys=fields.String(), values=fields.Raw(), allow_none=True, metadata={
        "description": "更正: this event is a new version of a record, with its reason and version numbers"})
    deputy = fields.Dict(keys=fields.String(), values=fields.Raw(), allow_none=True, metadata={
        "description": "代理: the actor acted for someone else: grant, for (id, name), role, until"})
    approval = fields.Dict(keys=fields.String(), values=fields.Raw(), allow_none=True, metadata={
        "description": "批准: the action was requested by requested_by (request_seq, request_hash) and approved, "
                       "signed, by the actor"})


class DecisionDetail(DecisionSummary):
    office = fields.String(required=True)
    owner = fields.String(required=True)
    linked_from = fields.Integer(allow_none=True, required=True)
    facts = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    flags = fields.List(fields.String(), required=True)
    created_at = fields.String(required=True, metadata=DATE_TIME)
    stall_due_at = nullable_string(required=True, metadata=DATE_TIME)
    stall_awaiting_year = fields.Integer(allow_none=True, required=True, metadata={
        "description": "when set, the stall clock (Art. 38) awaits this year's calendar and stall_due_at is null"})
    last_hash = fields.String(required=True)
    tasks = fields.Dict(keys=fields.String(), values=fields.Nested(TaskStatus), required=True)
    next_actions = fields.List(fields.String(), required=True)
    deadlines = fields.List(fields.Nested(DeadlineOut), required=True)
    documents = fields.List(fields.Nested(DocumentVersionOut), required=True)
    history = fields.List(fields.Nested(HistoryEntry), required=True)
    etag = fields.String(required=True, metadata={"description": "the value of the ETag header"})


class ActionResultOut(ma.Schema):
    decision_id = fields.Integer(required=True)
    action = fields.String(required=True)
    from_state = fields.String(required=True)
    state = fields.String(required=True)
    version = fields.Integer(required=True)
    hash = fields.String(required=True, metadata={"description": "the hash of the new audit event"})
    linked_decision = fields.Integer(allow_none=True, required=True)
    approval_request = fields.Integer(allow_none=True, load_default=None, metadata={
        "description": "set (with status 202) when the action needs an approver's signed confirmation: the "
                       "action became this request and the decision did not change"})
    decision = fields.Nested(DecisionDetail, required=True)


# -- documents -------------------------------------------------------------------------------------


class DocumentList(ma.Schema):
    items = fields.List(fields.Nested(DocumentVersionOut), required=True)


class StoredDocument(ma.Schema):
    sha256 = fields.String(required=True, validate=validate.Regexp(HEX64))
    size = fields.Integer(required=True)
    media_type = fields.String(required=True)
    created = fields.Boolean(required=True, metadata={"description": "false when the same bytes were stored before"})


# -- comments and the audit trail ------------------------------------------------------------------


class CommentEdit(ma.Schema):
    text = fields.String(required=True)
    at = fields.String(required=True, metadata=DATE_TIME)


class CommentOut(ma.Schema):
    id = fields.Integer(required=True)
    author = nullable_string(required=True)
    author_id = fields.Integer(allow_none=True, required=True)
    reply_to = fields.Integer(allow_none=True, required=True)
    text = fields.String(required=True, metadata={"description": "the current text (after edits)"})
    submitted_at = fields.String(required=True, metadata=DATE_TIME)
    edited_at = nullable_string(required=True, metadata=DATE_TIME)
    edits = fields.Integer(required=True)
    history = fields.List(fields.Nested(CommentEdit), required=True,
                          metadata={"description": "every text the comment had, oldest first"})


class CommentList(ma.Schema):
    items = fields.List(fields.Nested(CommentOut), required=True)


class AuditEventOut(ma.Schema):
    seq = fields.Integer(required=True)
    action = fields.String(required=True)
    from_state = nullable_string(required=True)
    to_state = nullable_string(required=True)
    at = fields.String(required=True, metadata=DATE_TIME)
    event = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True,
                        metadata={"description": "the hashed event: actor, data, outcome, signature"})
    prev_hash = fields.String(required=True)
    hash = fields.String(required=True)


class AuditTrail(ma.Schema):
    decision_id = fields.Integer(required=True)
    items = fields.List(fields.Nested(AuditEventOut), required=True)


class VerifyReport(ma.Schema):
    ok = fields.Boolean(required=True)
    events = fields.Integer(required=True)
    signatures = fields.Integer(required=True)
    documents = fields.Integer(required=True)
    decisions = fields.Integer(required=True)
    problems = fields.List(fields.String(), required=True)
    first_broken = nullable_string(required=True)


__all__ = [
    "ActionResultOut", "AuditEventOut", "AuditTrail", "CommentEdit", "CommentList", "CommentOut", "DeadlineOut",
    "DecisionCreate", "DecisionDetail", "DecisionListQuery", "DecisionPage", "DecisionSummary", "DocumentList",
    "DocumentVersionOut", "HistoryEntry", "StoredDocument", "TaskStatus", "VerifyReport",
]
