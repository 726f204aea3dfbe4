"""What every operation shares on the wire: the problem document, the idempotency and conditional request
headers, pagination, and the limits of dates and hashes."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from workflow.engine.fields import YEARS, in_years

HEX64 = r"^[0-9a-f]{64}$"
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
DATE_TIME = {"format": "date-time"}
#: The one year range of stated dates (``workflow.engine.fields.YEARS``), here as at every other edge.
MIN_YEAR, MAX_YEAR = YEARS


def nullable_string(**kwargs: Any) -> fields.String:
    """A string field that may be null."""
    return fields.String(allow_none=True, **kwargs)


def in_year_range(moment: dt.date) -> bool:
    """Dates the engine can count with (far-off years overflow the instant arithmetic)."""
    return in_years(moment)


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
    rule = fields.Integer(metadata={"description": "the hard rule's number in its procedure's specification (docs/procedure/)"})
    field = fields.String(metadata={"description": "the input field at fault"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    details = fields.Dict(keys=fields.String(), values=fields.Raw())


# -- request headers -------------------------------------------------------------------------------


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


# -- pagination ------------------------------------------------------------------------------------


class PageQuery(ma.Schema):
    """Cursor pagination: follow ``next`` (or pass ``next_cursor`` as ``after``) to get the next page."""

    cursor = fields.String(validate=validate.Length(min=1, max=200),
                           metadata={"description": "the same as after (kept for existing clients)"})
    after = fields.String(validate=validate.Length(min=1, max=200),
                          metadata={"description": "an opaque cursor: the next_cursor of the page before"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class Page(ma.Schema):
    """A page of a list; ``next_cursor`` and ``next`` are null on the last page."""

    next_cursor = nullable_string(required=True)
    next = nullable_string(required=True, metadata={"description": "the next page's address, filters kept"})


__all__ = [
    "ActionHeaders", "ConditionalGetHeaders", "DATE_TIME", "HEX64", "IDEMPOTENCY_KEY", "IdempotencyHeaders",
    "MAX_YEAR", "MIN_YEAR", "Page", "PageQuery", "Problem", "in_year_range", "nullable_string",
]
