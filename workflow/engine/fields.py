"""The field types of procedure definitions, each interpreted once: how an input is parsed and checked, how the
API documents it, which form control the pages draw for it, and how a recorded value reads on a page or in the CLI.

Every edge reaches ``parse`` through the engine (``workflow.engine.decide.normalize``); the API also runs it early
without a person lookup (``SHAPE``) so a malformed body is refused before anything else is looked at. Option ids
and their labels come from the definition (``options: {id: {zh, en}}``); code names an option id only where a
rule reasons about it (``REQUIRED_OPTIONS``). The single-valued types live in ``workflow.engine.fieldtypes``;
the many-valued ones (lists, flags, people, documents, the adoption and the members' tables) here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from workflow.engine.definition import FieldDef, Label
from workflow.engine.fieldtypes import (
    HEX64,
    LIST_SPLIT,
    LONG_TEXT,
    MAX_INT,
    MAX_LIST,
    MAX_NAME,
    MAX_TEXT,
    ONE_LINE_FIELDS,
    REQUIRED_OPTIONS,
    SHAPE,
    TEXT_LIMITS,
    YEARS,
    Bool,
    Choice,
    Date,
    DateTime,
    FieldType,
    Int,
    ParseContext,
    Text,
    WidgetHint,
    bad,
    in_years,
    instant,
    labelled,
    one_of,
    option_label,
    text_value,
)


class TextList(FieldType):
    name = "list"

    def _items(self, raw: Any, spec: FieldDef) -> list[str]:
        items = raw if isinstance(raw, list) else LIST_SPLIT.split(raw) if isinstance(raw, str) else None
        if items is None:
            raise bad(spec.name, "应为列表", "must be a list")
        if len(items) > MAX_LIST:
            raise bad(spec.name, f"最多{MAX_LIST}项", f"has more than {MAX_LIST} items")
        return [text_value(spec.name, i, one=True, limit=MAX_NAME * 50) for i in items
                if not isinstance(i, str) or i.strip()]

    def parse(self, raw: Any, spec: FieldDef, ctx: ParseContext) -> list[str]:
        return self._items(raw, spec)

    def json_schema(self, spec: FieldDef) -> dict[str, Any]:
        return {"oneOf": [{"type": "array", "maxItems": MAX_LIST, "items": {"type": "string", "maxLength": MAX_NAME * 50}},
                          {"type": "string", "description": "one item per line (or separated by ; 、 ,)"}]}

    def widget(self, spec: FieldDef) -> WidgetHint:
        return WidgetHint("textarea", placeholder=Label("每行一项", "one item per line"))

    def display(self, value: Any, spec: FieldDef, lang: str, tz: dt.tzinfo | None = None) -> str:
        return "；".join(str(v) for v in value) if isinstance(value, list) else str(value)


class Flags(TextList):
    """The procedure's flags (its options are the definition's ``flags``, set by the loader)."""

    name = "flags"

    def parse(self, raw: Any, spec: FieldDef, ctx: ParseContext) -> list[str]:
        items = self._items(raw, spec)
        unknown = [i for i in items if i not in spec.options]
        if unknown:
            raise bad(spec.name, "未知属性 " + "、".join(unknown), "unknown flags " + ", ".join(unknown))
        return sorted(set(items))

    def json_schema(self, spec: FieldDef) -> dict[str, Any]:
        return {"type": "array", "maxItems": len(spec.options), "items": {"type": "string", "enum": list(spec.options)}}

    def widget(self, spec: FieldDef) -> WidgetHint:
        return WidgetHint("checkboxes", options=labelled(spec), multiple=True)

    def display(self, value: Any, spec: FieldDef, lang: str, tz: dt.tzinfo | None = None) -> str:
        return "、".join(option_label(spec, str(v), lang) for v in value) if isinstance(value, list) else str(value)


class User(FieldType):
    name = "user"

    def parse(self, raw: Any, spec: FieldDef, ctx: ParseContext) -> Any:
        # A person already resolved (a request being confirmed) is looked up again by name.
        name = raw.get("name", "") if isinstance(raw, Mapping) else raw
        name = text_value(spec.name, name, one=True, limit=MAX_NAME)
        if ctx.resolve_user is None:
            return {"name": name}
        user = ctx.resolve_user(name)
        if user is None:
            raise bad(spec.name, f"没有这个用户：{name}", f"no such user: {name}")
        return dict(user)

    def json_schema(self, spec: FieldDef) -> dict[str, Any]:
        return {"type": "string", "minLength": 1, "maxLength": MAX_NAME, "description": "a person's name"}

    def widget(self, spec: FieldDef) -> WidgetHint:
        return WidgetHint("person")

    def display(self, value: Any, spec: FieldDef, lang: str, tz: dt.tzinfo | None = None) -> str:
        return str(value.get("name", "")) if isinstance(value, Mapping) else str(value)


class Document(FieldType):
    """A stored document, by its SHA-256 (the service stores text, files and uploads before the engine sees them)."""

    name = "document"

    def parse(self, raw: Any, spec: FieldDef, ctx: ParseContext) -> str:
        if not isinstance(raw, str) or not HEX64.match(raw):
            raise bad(spec.name, "应为已存储文档的哈希值", "must be the hash of a stored document")
        return raw

    def json_schema(self, spec: FieldDef) -> dict[str, Any]:
        return {"oneOf": [
            {"type": "string", "description": "the text of the document"},
            {"type": "object", "properties": {"sha256": {"type": "string", "pattern": HEX64.pattern}},
             "required": ["sha256"], "additionalProperties": False,
             "description": "a document stored with POST /api/v1/documents"}]}

    def widget(self, spec: FieldDef) -> WidgetHint:
        return WidgetHint("file")

    def display(self, value: Any, spec: FieldDef, lang: str, tz: dt.tzinfo | None = None) -> str:
        return f"#{value[:12]}" if isinstance(value, str) and HEX64.match(value) else str(value)


def _rows(raw: Any, spec: FieldDef, keys: frozenset[str], what: Label) -> list[Mapping[str, Any]]:
    """The rows of an ``entries`` or ``views`` value, each a mapping with only the keys it may carry."""
    if not isinstance(raw, list) or len(raw) > MAX_LIST:
        raise bad(spec.name, f"应为{what.zh}列表（最多{MAX_LIST}条）", f"must be a list of {what.en} (at most {MAX_LIST})")
    for row in raw:
        if not isinstance(row, Mapping) or set(row) - keys:
            raise bad(spec.name, f"每条{what.zh}只能有 " + "、".join(sorted(keys)),
                      f"each of the {what.en} may only have " + ", ".join(sorted(keys)))
    return raw


class Entries(FieldType):
    """The adoption report (Art. 18): for each comment and expert opinion, its adoption and the reason."""

    name = "entries"
    takes_options = True

    def parse(self, raw: Any, spec: FieldDef, ctx: ParseContext) -> dict[str, Any]:
        if isinstance(raw, Mapping):
            raw = [{"ref": ref, **entry} if isinstance(entry, Mapping) else entry for ref, entry in raw.items()]
        out = {}
        for entry in _rows(raw, spec, frozenset({"ref", "adoption", "reason"}), Label("采纳情况", "entries")):
            ref = text_value(spec.name, entry.get("ref"), one=True, limit=100)
            if not ref:
                raise bad(spec.name, "每条采纳情况应有所针对的意见编号", "each entry needs the ref of its input")
            adoption = one_of(spec, entry.get("adoption"), f"{ref} 的采纳情况" if ref else "")
            out[ref] = {"adoption": adoption, "reason": text_value(spec.name, entry.get("reason", ""))}
        return out

    def json_schema(self, spec: FieldDef) -> dict[str, Any]:
        props: dict[str, Any] = {"adoption": Choice().json_schema(spec), "reason": {"type": "string", "maxLength": MAX_TEXT}}
        entry = {"type": "object", "properties": props, "required": ["adoption"], "additionalProperties": False}
        return {"oneOf": [
            {"type": "object", "additionalProperties": entry, "maxProperties": MAX_LIST,
             "description": 'by reference: {"comment:1": {"adoption": "…"}, "expert:1": …}'},
            {"type": "array", "maxItems": MAX_LIST, "items": {
                "type": "object", "properties": {**props, "ref": {"type": "string", "minLength": 1, "maxLength": 100}},
                "required": ["ref", "adoption"], "additionalProperties": False}}]}

    def widget(self, spec: FieldDef) -> WidgetHint:
        return WidgetHint("entries", options=labelled(spec), multiple=True)

    def display(self, value: Any, spec: FieldDef, lang: str, tz: dt.tzinfo | None = None) -> str:
        if not isinstance(value, Mapping):
            return str(value)
        return "；".join(f"{ref}：{option_label(spec, str(v.get('adoption')), lang)}"
                        f"{'（' + str(v['reason']) + '）' if v.get('reason') else ''}"
                        for ref, v in value.items() if isinstance(v, Mapping))


class Views(FieldType):
    """The members' views at a collective discussion (Art. 30), in speaking order."""

    name = "views"
    takes_options = True

    def parse(self, raw: Any, spec: FieldDef, ctx: ParseContext) -> list[dict[str, Any]]:
        views = []
        for v in _rows(raw, spec, frozenset({"member", "view", "remarks"}), Label("意见", "views")):
            member = text_value(spec.name, v.get("member"), one=True, limit=MAX_NAME)
            if not member:
                raise bad(spec.name, "每条意见应有发言成员", "each view needs a member")
            views.append({"member": member, "view": one_of(spec, v.get("view"), member),
                          "remarks": text_value(spec.name, v.get("remarks", ""))})
        return views

    def json_schema(self, spec: FieldDef) -> dict[str, Any]:
        return {"type": "array", "maxItems": MAX_LIST, "items": {
            "type": "object", "required": ["member", "view"], "additionalProperties": False, "properties": {
                "member": {"type": "string", "minLength": 1, "maxLength": MAX_NAME}, "view": Choice().json_schema(spec),
                "remarks": {"type": "string", "maxLength": MAX_TEXT}}}}

    def widget(self, spec: FieldDef) -> WidgetHint:
        return WidgetHint("views", options=labelled(spec), multiple=True)

    def display(self, value: Any, spec: FieldDef, lang: str, tz: dt.tzinfo | None = None) -> str:
        if not isinstance(value, list):
            return str(value)
        return "；".join(f"{v.get('member')}（{option_label(spec, str(v.get('view')), lang)}）{v.get('remarks') or ''}"
                        for v in value if isinstance(v, Mapping))


FIELD_TYPES: Mapping[str, FieldType] = {t.name: t for t in (
    Text(), Date(), DateTime(), Bool(), Int(), Choice(), TextList(), Flags(), User(), Document(), Entries(), Views())}


def parse(spec: FieldDef, raw: Any, ctx: ParseContext) -> Any:
    """``raw`` parsed by the type of ``spec``."""
    return FIELD_TYPES[spec.type].parse(raw, spec, ctx)


def display(spec: FieldDef, value: Any, lang: str, tz: dt.tzinfo | None = None) -> str:
    """A recorded value of ``spec`` as people read it."""
    return FIELD_TYPES[spec.type].display(value, spec, lang, tz)


__all__ = ["FIELD_TYPES", "FieldType", "LONG_TEXT", "MAX_INT", "MAX_LIST", "MAX_TEXT", "ONE_LINE_FIELDS", "ParseContext",
           "REQUIRED_OPTIONS", "SHAPE", "TEXT_LIMITS", "WidgetHint", "YEARS", "bad", "display", "in_years", "instant",
           "option_label", "parse", "text_value"]
