"""The API's marshmallow schemas: they validate requests and, through flask-smorest and apispec, are the
OpenAPI document. Response schemas describe exactly what the views return."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

HEX64 = r"^[0-9a-f]{64}$"
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
DATE_TIME = {"format": "date-time"}
MIN_YEAR, MAX_YEAR = 1900, 9000


def _nullable_string(**kwargs: Any) -> fields.String:
    return fields.String(allow_none=True, **kwargs)


class Problem(ma.Schema):
    """An error (RFC 9457 problem details) with the engine's code and bilingual messages."""

    type = fields.String(required=True, metadata={"description": "urn:juece:problem:{code}"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String(required=True)
    code = fields.String(required=True, metadata={"description": "the engine's stable error code"})
    message_zh = fields.String(required=True)
    message_en = fields.String(required=True)
    article = fields.String(metadata={"description": "the article of the rule that refused"})
    rule = fields.Integer(metadata={"description": "the hard rule's number in procedure.md"})
    field = fields.String(metadata={"description": "the input field at fault"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    details = fields.Dict(keys=fields.String(), values=fields.Raw())


# -- request headers and queries --------------------------------------------------------------------


class IdempotencyHeaders(ma.Schema):
    """``Idempotency-Key``: a retried POST with the same key and body is answered from the first answer."""

    idempotency_key = fields.String(
        data_key="Idempotency-Key", validate=validate.Regexp(IDEMPOTENCY_KEY),
        metadata={"description": "1-200 visible ASCII characters; keys live 24 hours per token"})


class ActionHeaders(IdempotencyHeaders):
    """``If-Match`` with the decision's ETag refuses the action (412) if someone acted in between."""

    if_match = fields.String(data_key="If-Match", validate=validate.Length(max=1000),
                             metadata={"description": 'the ETag of the decision as last seen, e.g. "7.12"'})


class ConditionalGetHeaders(ma.Schema):
    """``If-None-Match`` with the current ETag answers 304."""

    if_none_match = fields.String(data_key="If-None-Match", validate=validate.Length(max=1000))


class PageQuery(ma.Schema):
    """Cursor pagination: pass ``next_cursor`` of a page to get the next one."""

    cursor = fields.String(validate=validate.Length(min=1, max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class DecisionListQuery(PageQuery):
    """Filters of the decision list."""

    state = fields.String(validate=validate.Length(min=1, max=60))
    procedure = fields.String(validate=validate.Length(min=1, max=100),
                              metadata={"description": "a procedure id (cn-713) or id@version"})


class NotificationListQuery(PageQuery):
    """Filters of the notification inbox."""

    unacknowledged = fields.Boolean(metadata={"description": "only those not yet acknowledged"})


class DiagramQuery(ma.Schema):
    """How to draw a procedure."""

    format = fields.String(load_default="mermaid", validate=validate.OneOf(["mermaid", "dot"]))
    lang = fields.String(load_default="zh", validate=validate.OneOf(["zh", "en"]))
    current = fields.String(validate=validate.Length(min=1, max=60), metadata={"description": "a state to highlight"})


# -- request bodies -----------------------------------------------------------------------------------


class DecisionCreate(ma.Schema):
    """A new decision, owned by the token's person (who needs the owner role)."""

    procedure = fields.String(required=True, validate=validate.Length(min=1, max=100),
                              metadata={"example": "cn-713"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                          metadata={"example": "界牌新潮塘未来社区建设"})
    flags = fields.List(fields.String(validate=validate.Length(min=1, max=60)), load_default=list,
                        validate=validate.Length(max=20), metadata={"example": ["technical"]})


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


# -- responses ---------------------------------------------------------------------------------------


class Page(ma.Schema):
    """A page of a list; ``next_cursor`` is null on the last page."""

    next_cursor = _nullable_string(required=True)


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
    fire_at = fields.String(required=True, metadata=DATE_TIME)
    due_at = fields.String(required=True, metadata=DATE_TIME)
    status = fields.String(required=True)
    recipients = fields.List(fields.String(), required=True)
    article = fields.String(required=True)


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
    actor = _nullable_string(required=True)
    signed = fields.Boolean(required=True)
    hash = fields.String(required=True)


class DecisionDetail(DecisionSummary):
    office = fields.String(required=True)
    owner = fields.String(required=True)
    linked_from = fields.Integer(allow_none=True, required=True)
    facts = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    flags = fields.List(fields.String(), required=True)
    created_at = fields.String(required=True, metadata=DATE_TIME)
    stall_due_at = _nullable_string(required=True, metadata=DATE_TIME)
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
    decision = fields.Nested(DecisionDetail, required=True)


class DocumentList(ma.Schema):
    items = fields.List(fields.Nested(DocumentVersionOut), required=True)


class StoredDocument(ma.Schema):
    sha256 = fields.String(required=True, validate=validate.Regexp(HEX64))
    size = fields.Integer(required=True)
    media_type = fields.String(required=True)
    created = fields.Boolean(required=True, metadata={"description": "false when the same bytes were stored before"})


class CommentEdit(ma.Schema):
    text = fields.String(required=True)
    at = fields.String(required=True, metadata=DATE_TIME)


class CommentOut(ma.Schema):
    id = fields.Integer(required=True)
    author = _nullable_string(required=True)
    author_id = fields.Integer(allow_none=True, required=True)
    reply_to = fields.Integer(allow_none=True, required=True)
    text = fields.String(required=True, metadata={"description": "the current text (after edits)"})
    submitted_at = fields.String(required=True, metadata=DATE_TIME)
    edited_at = _nullable_string(required=True, metadata=DATE_TIME)
    edits = fields.Integer(required=True)
    history = fields.List(fields.Nested(CommentEdit), required=True,
                          metadata={"description": "every text the comment had, oldest first"})


class CommentList(ma.Schema):
    items = fields.List(fields.Nested(CommentOut), required=True)


class AuditEventOut(ma.Schema):
    seq = fields.Integer(required=True)
    action = fields.String(required=True)
    from_state = _nullable_string(required=True)
    to_state = _nullable_string(required=True)
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
    first_broken = _nullable_string(required=True)


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
    acknowledged_at = _nullable_string(required=True, metadata=DATE_TIME)


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
    email = _nullable_string(required=True)
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
    revoked_at = _nullable_string(required=True, metadata=DATE_TIME)
    last_used_at = _nullable_string(required=True, metadata=DATE_TIME)


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


class MeOut(ma.Schema):
    user = fields.String(required=True)
    user_id = fields.Integer(required=True)
    roles = fields.List(fields.String(), required=True)
    office = fields.String(required=True)
    unit = fields.String(required=True)
    token_id = fields.Integer(required=True)
    token_expires_at = fields.String(required=True, metadata=DATE_TIME)


class ProcedureSummary(ma.Schema):
    key = fields.String(required=True, metadata={"description": "id@version"})
    id = fields.String(required=True)
    version = fields.String(required=True)
    effective_from = fields.String(required=True, metadata={"format": "date"})
    title_zh = fields.String(required=True)
    title_en = fields.String(required=True)
    legal_basis = fields.String(required=True)
    in_force = fields.Boolean(required=True, metadata={"description": "the version new decisions start under"})


class ProcedureList(ma.Schema):
    items = fields.List(fields.Nested(ProcedureSummary), required=True)


class StateOut(ma.Schema):
    id = fields.String(required=True)
    zh = fields.String(required=True)
    en = fields.String(required=True)
    terminal = fields.Boolean(required=True)


class FlagOut(ma.Schema):
    id = fields.String(required=True)
    zh = fields.String(required=True)
    en = fields.String(required=True)
    article = fields.String(required=True)


class TaskOut(ma.Schema):
    id = fields.String(required=True)
    zh = fields.String(required=True)
    en = fields.String(required=True)
    done_when = fields.String(required=True)
    flags_any = fields.List(fields.String(), required=True)
    when_input = fields.Boolean(required=True)
    participation = fields.Boolean(required=True)


class FieldOut(ma.Schema):
    name = fields.String(required=True)
    type = fields.String(required=True)
    zh = fields.String(required=True)
    en = fields.String(required=True)
    required = fields.Boolean(required=True)
    options = fields.List(fields.String(), required=True)


class ActionOut(ma.Schema):
    id = fields.String(required=True)
    zh = fields.String(required=True)
    en = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    from_ = fields.List(fields.String(), data_key="from", required=True)
    to = _nullable_string(required=True)
    outcome_field = _nullable_string(required=True)
    outcomes = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    signed = fields.Boolean(required=True)
    task = _nullable_string(required=True)
    guards = fields.List(fields.String(), required=True)
    fields_ = fields.List(fields.Nested(FieldOut), data_key="fields", required=True)


class DeadlineDefOut(ma.Schema):
    key = fields.String(required=True)
    zh = fields.String(required=True)
    en = fields.String(required=True)
    article = fields.String(required=True)
    recipients = fields.List(fields.String(), required=True)
    starts_on = fields.List(fields.String(), required=True)
    closes_on = fields.List(fields.String(), required=True)
    scope = fields.String(required=True)


class ProcedureDetail(ProcedureSummary):
    initial = fields.String(required=True)
    states = fields.List(fields.Nested(StateOut), required=True)
    flags = fields.List(fields.Nested(FlagOut), required=True)
    tasks = fields.List(fields.Nested(TaskOut), required=True)
    actions = fields.List(fields.Nested(ActionOut), required=True)
    deadlines = fields.List(fields.Nested(DeadlineDefOut), required=True)


class DiagramOut(ma.Schema):
    key = fields.String(required=True)
    format = fields.String(required=True)
    lang = fields.String(required=True)
    source = fields.String(required=True, metadata={"description": "Mermaid stateDiagram-v2 or Graphviz dot"})


def in_year_range(moment: dt.date) -> bool:
    """Dates the engine can count with (far-off years overflow the instant arithmetic)."""
    return MIN_YEAR <= moment.year <= MAX_YEAR
