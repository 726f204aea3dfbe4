"""Schemas of the procedure catalogue: the diagram query, and a procedure's summary and full definition."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from api.v1.schemas.transport import nullable_string

# -- requests --------------------------------------------------------------------------------------


class DiagramQuery(ma.Schema):
    """How to draw a procedure."""

    format = fields.String(load_default="mermaid", validate=validate.OneOf(["mermaid", "dot"]))
    lang = fields.String(load_default="zh", validate=validate.OneOf(["zh", "en"]))
    current = fields.String(validate=validate.Length(min=1, max=60), metadata={"description": "a state to highlight"})


# -- responses -------------------------------------------------------------------------------------


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


class OptionOut(ma.Schema):
    id = fields.String(required=True)
    zh = fields.String(required=True)
    en = fields.String(required=True)


class FieldOut(ma.Schema):
    name = fields.String(required=True)
    type = fields.String(required=True)
    zh = fields.String(required=True)
    en = fields.String(required=True)
    required = fields.Boolean(required=True)
    options = fields.List(fields.String(), required=True)
    option_labels = fields.List(fields.Nested(OptionOut), required=True,
                                metadata={"description": "each option's label, as the definition gives it"})


class ActionOut(ma.Schema):
    id = fields.String(required=True)
    zh = fields.String(required=True)
    en = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    from_ = fields.List(fields.String(), data_key="from", required=True)
    to = nullable_string(required=True)
    outcome_field = nullable_string(required=True)
    outcomes = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    signed = fields.Boolean(required=True)
    task = nullable_string(required=True)
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


__all__ = [
    "ActionOut", "DeadlineDefOut", "DiagramOut", "DiagramQuery", "FieldOut", "FlagOut", "ProcedureDetail",
    "ProcedureList", "ProcedureSummary", "StateOut", "TaskOut",
]
