"""Request schemas for the actions, generated from the procedure definitions' fields.

One schema per action id (the union over the procedures that define it). The schema checks the JSON
shape the engine expects; the engine then applies the definition's own checks and the hard rules.
Document fields take text or ``{"sha256": …}`` of a document stored with ``POST /documents``; a
server file path (``{"path": …}``, which the CLI accepts) is never accepted over the API.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import marshmallow as ma
from marshmallow import fields

from api.v1.schemas import HEX64
from workflow.engine import fields as field_types
from workflow.engine.catalog import Catalog
from workflow.engine.definition import ActionDef, FieldDef
from workflow.engine.errors import InvalidInput
from workflow.engine.fields import MAX_TEXT

_HEX = re.compile(HEX64)


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


class Instant(fields.Field[Any]):
    """An ISO 8601 date and time in the registry's years; without an offset it is the office's local time."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        try:
            field_types.instant(value, attr or "occurred_at", field_types.SHAPE.tz)
        except InvalidInput as exc:
            raise ma.ValidationError(exc.en) from None
        return value


class FieldInput(fields.Field[Any]):
    """A definition field checked by its type in the field registry (``workflow.engine.fields``), as the engine will.

    The check runs without the office's person lookup (the engine does that); the value passes on as sent. A
    refusal is the engine's own error (``invalid_input``, ``control_characters``), answered as the engine's would be.
    """

    def __init__(self, spec: FieldDef, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        field_types.parse(self.spec, value, field_types.SHAPE)
        return value


def _field(spec: FieldDef) -> fields.Field[Any]:
    meta: dict[str, Any] = {"description": f"{spec.label.zh} / {spec.label.en}"}
    kind = field_types.FIELD_TYPES.get(spec.type)
    if kind is None:  # one name, different types in different procedures: the engine judges
        return fields.Raw(required=spec.required, metadata=meta)
    schema = kind.json_schema(spec)
    if "description" in schema:
        meta["description"] += f" ({schema.pop('description')})"
    if spec.type == "document":  # transport: text or a stored document's hash, never a server path
        return DocumentInput(required=spec.required, metadata=meta | schema)
    return FieldInput(spec, required=spec.required, metadata=meta | schema)


def _merge(specs: list[FieldDef]) -> FieldDef:
    """One field for a name several procedures define for the same action id (their options joined)."""
    first = specs[0]
    if any(s.type != first.type for s in specs):
        return FieldDef(first.name, "raw", first.label, False)
    labels = {o: lab for s in specs for o, lab in s.option_labels.items()}
    return replace(first, required=all(s.required for s in specs), options=tuple(labels), option_labels=labels)


def actions_by_id(catalog: Catalog) -> dict[str, list[tuple[str, ActionDef]]]:
    """Every action id with the procedures (keys) that define it."""
    out: dict[str, list[tuple[str, ActionDef]]] = {}
    for procedure in catalog.all():
        for action in procedure.actions.values():
            out.setdefault(action.id, []).append((procedure.key, action))
    return dict(sorted(out.items()))


def action_schema(action_id: str, defs: list[tuple[str, ActionDef]]) -> type[ma.Schema]:
    """The request body schema of ``action_id``."""
    by_name: dict[str, list[FieldDef]] = {}
    for _, action in defs:
        for spec in action.fields.values():
            by_name.setdefault(spec.name, []).append(spec)
    # A field that some procedures' action of this id lacks is optional here: each procedure's own
    # definition still requires it (the engine checks the input against the decision's own procedure).
    attrs: dict[str, Any] = {
        name: _field(_merge(specs) if len(specs) == len(defs) else replace(_merge(specs), required=False))
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
