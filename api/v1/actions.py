"""Request schemas for the actions, generated from the procedure definitions' fields.

One schema per action id (the union over the procedures that define it). The schema checks the JSON
shape the engine expects; the engine then applies the definition's own checks and the hard rules.
Document fields take text or ``{"sha256": …}`` of a document stored with ``POST /documents``; a
server file path (``{"path": …}``, which the CLI accepts) is never accepted over the API.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from api.v1.schemas import HEX64, MAX_YEAR, MIN_YEAR
from workflow.engine.catalog import Catalog
from workflow.engine.decide import MAX_TEXT
from workflow.engine.definition import ActionDef, FieldDef

_HEX = re.compile(HEX64)
MAX_LIST = 500
#: Columns the engine copies a text field into (document_version.filename is VARCHAR(255)).
TEXT_LIMITS = {"filename": 255}


class DocumentInput(fields.Field[Any]):
    """Text (stored as a new document) or ``{"sha256": "<64 hex>"}`` of a stored document."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        if isinstance(value, str):
            if len(value) > MAX_TEXT * 100:
                raise ma.ValidationError("too long")
            return value
        if isinstance(value, Mapping):
            if set(value) != {"sha256"} or not isinstance(value["sha256"], str) or not _HEX.match(value["sha256"]):
                raise ma.ValidationError('must be {"sha256": "<64 lowercase hex digits>"}')
            return {"sha256": value["sha256"]}
        raise ma.ValidationError("must be text or {\"sha256\": …}")


DOCUMENT_SCHEMA = {"oneOf": [
    {"type": "string", "description": "the text of the document"},
    {"type": "object", "properties": {"sha256": {"type": "string", "pattern": HEX64}}, "required": ["sha256"],
     "additionalProperties": False, "description": "a document stored with POST /api/v1/documents"},
]}


class Instant(fields.Field[Any]):
    """An ISO 8601 date and time; without an offset it is Asia/Shanghai local time."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            raise ma.ValidationError("must be an ISO 8601 date and time")
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ma.ValidationError("must be an ISO 8601 date and time") from None
        if not MIN_YEAR <= moment.year <= MAX_YEAR:
            raise ma.ValidationError(f"year must be between {MIN_YEAR} and {MAX_YEAR}")
        return value


class Day(fields.Field[Any]):
    """A date YYYY-MM-DD."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ma.ValidationError("must be a date YYYY-MM-DD")
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise ma.ValidationError("must be a date YYYY-MM-DD") from None
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise ma.ValidationError(f"year must be between {MIN_YEAR} and {MAX_YEAR}")
        return value


class Entry(ma.Schema):
    adoption = fields.String(required=True, validate=validate.OneOf(["adopted", "partly_adopted", "not_adopted"]))
    reason = fields.String(validate=validate.Length(max=MAX_TEXT))


class RefEntry(Entry):
    ref = fields.String(required=True, validate=validate.Length(min=1, max=100))


class Entries(fields.Field[Any]):
    """The adoption report: ``{"comment:1": {"adoption": …, "reason": …}}`` or a list with ``ref``."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        if isinstance(value, Mapping):
            if len(value) > MAX_LIST:
                raise ma.ValidationError("too many entries")
            out = {}
            for ref, entry in value.items():
                if not isinstance(ref, str) or not 1 <= len(ref) <= 100:
                    raise ma.ValidationError("each reference is 1-100 characters")
                out[ref] = Entry().load(entry) if isinstance(entry, Mapping) else _fail(ref)
            return out
        if isinstance(value, list):
            if len(value) > MAX_LIST:
                raise ma.ValidationError("too many entries")
            return RefEntry(many=True).load(value)
        raise ma.ValidationError("must be an object of references or a list of entries with ref")


def _fail(ref: str) -> Any:
    raise ma.ValidationError({ref: ["must be an object with adoption"]})


ENTRY_PROPERTIES: dict[str, Any] = {
    "adoption": {"type": "string", "enum": ["adopted", "partly_adopted", "not_adopted"]},
    "reason": {"type": "string", "maxLength": MAX_TEXT}}
ENTRY = {"type": "object", "properties": ENTRY_PROPERTIES, "required": ["adoption"], "additionalProperties": False}
ENTRIES_SCHEMA = {"oneOf": [
    {"type": "object", "additionalProperties": ENTRY, "maxProperties": MAX_LIST,
     "description": 'by reference: {"comment:1": {"adoption": "adopted"}, "expert:1": …}'},
    {"type": "array", "maxItems": MAX_LIST, "items": {
        "type": "object", "properties": {**ENTRY_PROPERTIES, "ref": {"type": "string", "minLength": 1, "maxLength": 100}},
        "required": ["ref", "adoption"], "additionalProperties": False}},
]}


class MeetingView(ma.Schema):
    member = fields.String(required=True, validate=validate.Length(min=1, max=200))
    view = fields.String(required=True, validate=validate.OneOf(["for", "against", "abstain"]))
    remarks = fields.String(validate=validate.Length(max=MAX_TEXT))


def _field(spec: FieldDef, flags: list[str]) -> fields.Field[Any]:
    meta: dict[str, Any] = {"description": f"{spec.label.zh} / {spec.label.en}"}
    required = spec.required
    kind = spec.type
    if kind == "text":
        return fields.String(required=required, validate=validate.Length(max=TEXT_LIMITS.get(spec.name, MAX_TEXT)),
                             metadata=meta)
    if kind == "date":
        return Day(required=required, metadata=meta | {"type": "string", "format": "date"})
    if kind == "datetime":
        return Instant(required=required, metadata=meta | {"type": "string", "format": "date-time"})
    if kind == "bool":
        return fields.Boolean(required=required, metadata=meta)
    if kind == "int":
        return fields.Integer(required=required, strict=True, validate=validate.Range(min=0, max=2**53), metadata=meta)
    if kind == "choice":
        return fields.String(required=required, validate=validate.OneOf(list(spec.options)), metadata=meta)
    if kind == "list":
        return fields.List(fields.String(validate=validate.Length(max=10_000)), required=required,
                           validate=validate.Length(max=MAX_LIST), metadata=meta)
    if kind == "flags":
        return fields.List(fields.String(validate=validate.OneOf(flags)), required=required,
                           validate=validate.Length(max=len(flags)), metadata=meta)
    if kind == "user":
        return fields.String(required=required, validate=validate.Length(min=1, max=200),
                             metadata=meta | {"description": meta["description"] + " (a person's name)"})
    if kind == "document":
        return DocumentInput(required=required, metadata=meta | DOCUMENT_SCHEMA)
    if kind == "entries":
        return Entries(required=required, metadata=meta | ENTRIES_SCHEMA)
    if kind == "views":
        return fields.List(fields.Nested(MeetingView), required=required, validate=validate.Length(max=MAX_LIST),
                           metadata=meta)
    return fields.Raw(required=required, metadata=meta)


def _merge(specs: list[FieldDef]) -> FieldDef:
    """One field for a name several procedures define for the same action id."""
    first = specs[0]
    if all((s.type, s.options) == (first.type, first.options) for s in specs):
        return FieldDef(first.name, first.type, first.label, all(s.required for s in specs), first.options)
    if all(s.type == "choice" for s in specs):
        options = tuple(sorted({o for s in specs for o in s.options}))
        return FieldDef(first.name, "choice", first.label, all(s.required for s in specs), options)
    return FieldDef(first.name, "raw", first.label, False)


def actions_by_id(catalog: Catalog) -> dict[str, list[tuple[str, ActionDef]]]:
    """Every action id with the procedures (keys) that define it."""
    out: dict[str, list[tuple[str, ActionDef]]] = {}
    for procedure in catalog.all():
        for action in procedure.actions.values():
            out.setdefault(action.id, []).append((procedure.key, action))
    return dict(sorted(out.items()))


def action_schema(action_id: str, defs: list[tuple[str, ActionDef]], catalog: Catalog) -> type[ma.Schema]:
    """The request body schema of ``action_id``."""
    flags = sorted({f for p in catalog.all() for f in p.flags})
    by_name: dict[str, list[FieldDef]] = {}
    for _, action in defs:
        for spec in action.fields.values():
            by_name.setdefault(spec.name, []).append(spec)
    # A field that some procedures' action of this id lacks is optional here: each procedure's own
    # definition still requires it (the engine checks the input against the decision's own procedure).
    attrs: dict[str, Any] = {
        name: _field(_merge(specs) if len(specs) == len(defs) else replace(_merge(specs), required=False), flags)
        for name, specs in by_name.items()}
    name = "".join(part.capitalize() for part in action_id.split("_")) + "Input"
    attrs["__doc__"] = f"The fields of '{action_id}'."
    return type(name, (ma.Schema,), attrs)


def describe(action_id: str, defs: list[tuple[str, ActionDef]]) -> tuple[str, str]:
    """Summary and description of an action's operation."""
    action = defs[0][1]
    lines = [f"{action.label.zh} / {action.label.en}.", ""]
    for key, a in defs:
        to = a.target or (", ".join(f"{o} → {d}" for o, d in a.outcomes.items()) if a.outcomes else "(stays)")
        lines.append(f"* **{key}**: roles {', '.join(a.roles)}; from {', '.join(a.sources)}; to {to}"
                     + ("; signed with the actor's key" if a.signed else "")
                     + (f"; rules: {', '.join(a.guards)}" if a.guards else ""))
    lines += ["", "Send `If-Match` with the decision's ETag to refuse the action (412) if someone acted since."]
    if any(a.signed for _, a in defs):
        lines += ["", "**Signed**: send the acting person's own password in `Juece-Signing-Password`; without it "
                      "(403 `signing_password_required`), with a wrong one (403 `signing_password_wrong`) or before "
                      "they have set their own password (409 `no_signing_key`) nothing is signed or recorded."]
    if action.approval is not None:
        lines += ["", f"**Needs approval** by {', '.join(action.approval.by)} ({action.approval.article}): taken by "
                      "an approver it applies at once, signed with their password in `Juece-Signing-Password`; taken "
                      "by anyone else it answers 202 with `approval_request` and changes nothing until an approver "
                      "of the office confirms it (`POST /decisions/{id}/approvals/{n}/confirm`, signed)."]
    return f"{action.label.zh} / {action.label.en}", "\n".join(lines)
