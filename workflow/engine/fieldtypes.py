"""The base of the field registry (``workflow.engine.fields``): the limits and the one year range, what parsing
needs, the widget hint, the ``FieldType`` interface and the single-valued types (text, date, datetime, bool, int,
choice). Import them from ``workflow.engine.fields``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from workflow.engine import textrules
from workflow.engine.context import parse_iso, utc_iso
from workflow.engine.definition import FieldDef, Label
from workflow.engine.errors import InvalidInput

#: The years a stated date or time may fall in, at every edge (pages, API, CLI, back-entries): anything else is a
#: typing mistake, not a decision, and far-off years overflow the instant arithmetic of deadlines.
YEARS = (2000, 2100)
MAX_TEXT = 200_000
MAX_LIST = 500
MAX_INT = 2**31 - 1
MAX_NAME = 200
#: Columns a text field is copied into (document_version.filename is VARCHAR(255)).
TEXT_LIMITS = {"filename": 255}
#: Text fields that name something (a unit, a file): one line, whatever the definition's field type.
ONE_LINE_FIELDS = frozenset({"filename", "owner_unit", "lead_unit", "unit"})
#: Text fields the pages offer several lines for.
LONG_TEXT = frozenset({
    "reason", "summary", "note", "procedure_statement", "risk_note", "adoption_explanation", "changes",
    "confidential_basis", "short_reason", "text", "legal_basis", "urgency", "prior_risk_assessment",
})
#: Option ids a rule reasons about: Art. 18 (a "not adopted" entry needs its reason, ``tasks``), Art. 30 (the
#: members' views are counted, ``guards.against_majority_reason``). The definition must offer them.
REQUIRED_OPTIONS: Mapping[str, frozenset[str]] = {"entries": frozenset({"not_adopted"}),
                                                  "views": frozenset({"for", "against", "abstain"})}
YES, NO = Label("是", "Yes"), Label("否", "No")
_TRUE = frozenset({"true", "1", "yes", "y", "是", "on"})
_FALSE = frozenset({"false", "0", "no", "n", "否", "off"})
HEX64 = re.compile(r"^[0-9a-f]{64}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LIST_SPLIT = re.compile(r"[\r\n;；、,，]+")  # a textarea submits CRLF


@dataclass(frozen=True, slots=True)
class ParseContext:
    """What parsing needs beyond the value: the office's time zone and the lookup of a person by name."""

    tz: dt.tzinfo = dt.UTC
    #: None: check the shape only (the API's early check); the engine always passes the office's lookup.
    resolve_user: Callable[[str], Mapping[str, Any] | None] | None = None


SHAPE = ParseContext()


@dataclass(frozen=True, slots=True)
class WidgetHint:
    """Which form control a field gets, as data: the web layer turns it into a widget."""

    kind: str  # text, textarea, date, datetime, number, checkbox, select, checkboxes, person, file, entries, views
    options: tuple[tuple[str, Label], ...] = ()
    multiple: bool = False
    min: str | None = None
    max: str | None = None
    step: str | None = None
    max_length: int | None = None
    placeholder: Label | None = None


def bad(field: str, zh: str, en: str) -> InvalidInput:
    """The refusal of one field's input, naming the field in both languages."""
    return InvalidInput(f"字段“{field}”：{zh}", f"field '{field}': {en}", details={"field": field})


def in_years(moment: dt.date) -> bool:
    """Whether a date or instant falls in ``YEARS``."""
    return YEARS[0] <= moment.year <= YEARS[1]


def instant(raw: Any, field: str, tz: dt.tzinfo) -> dt.datetime:
    """An ISO 8601 date and time in ``YEARS`` as an aware instant (without an offset: local time in ``tz``)."""
    try:
        moment = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00")) if isinstance(raw, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise bad(field, "应为时间 YYYY-MM-DDTHH:MM", "must be a date and time (ISO 8601)")
    if not in_years(moment):
        raise bad(field, f"时间超出范围（{YEARS[0]}–{YEARS[1]}年）", f"is out of range ({YEARS[0]}-{YEARS[1]})")
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def text_value(field: str, value: Any, one: bool = False, limit: int = MAX_TEXT) -> str:
    """Typed text, refused if not text, too long, or holding control characters (line breaks too when ``one``)."""
    if not isinstance(value, str):
        raise bad(field, "应为文本", "must be text")
    text = (textrules.one_line if one or field in ONE_LINE_FIELDS else textrules.multi_line)(field, value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise bad(field, "含有无效字符", "contains invalid characters (lone surrogates)") from None
    if len(text) > limit:
        raise bad(field, f"内容过长（最多{limit}个字符）", f"is too long (at most {limit} characters)")
    return text


def option_label(spec: FieldDef, value: str, lang: str) -> str:
    """An option id as its label from the definition (the id itself only for a value the definition lacks)."""
    found = spec.option_labels.get(value)
    return value if found is None else (found.en if lang == "en" else found.zh)


def _pick(label: Label, lang: str) -> str:
    return label.en if lang == "en" else label.zh


def one_of(spec: FieldDef, value: Any, what: str = "") -> str:
    """``value`` if it is one of the field's option ids; refused otherwise (``what`` names the row at fault)."""
    text = value if isinstance(value, str) else None
    if text not in spec.options:
        raise bad(spec.name, f"{what}可选值为 " + "、".join(spec.options), f"{what and what + ' '}must be one of "
                  + ", ".join(spec.options))
    return text


def labelled(spec: FieldDef) -> tuple[tuple[str, Label], ...]:
    """The field's options with their labels, in the definition's order."""
    return tuple((o, spec.option_labels.get(o, Label(o, o))) for o in spec.options)


class FieldType:
    """One field type: parse, API schema, form-widget hint and display, side by side."""

    name = ""
    takes_options = False

    def parse(self, raw: Any, spec: FieldDef, ctx: ParseContext) -> Any:
        """The checked value the engine records; raises ``InvalidInput`` naming the field."""
        raise NotImplementedError

    def json_schema(self, spec: FieldDef) -> dict[str, Any]:
        """The JSON schema (OpenAPI) fragment of what ``parse`` accepts."""
        raise NotImplementedError

    def widget(self, spec: FieldDef) -> WidgetHint:
        """The form control the pages draw for this field."""
        raise NotImplementedError

    def display(self, value: Any, spec: FieldDef, lang: str, tz: dt.tzinfo | None = None) -> str:
        """A recorded value as people read it on a page or in the CLI."""
        return str(value)


class Text(FieldType):
    name = "text"

    def parse(self, raw: Any, spec: FieldDef, ctx: ParseContext) -> str:
        return text_value(spec.name, raw, limit=TEXT_LIMITS.get(spec.name, MAX_TEXT))

    def json_schema(self, spec: FieldDef) -> dict[str, Any]:
        return {"type": "string", "maxLength": TEXT_LIMITS.get(spec.name, MAX_TEXT)}

    def widget(self, spec: FieldDef) -> WidgetHint:
        long = spec.name in LONG_TEXT and spec.name not in ONE_LINE_FIELDS
        return WidgetHint("textarea" if long else "text", max_length=TEXT_LIMITS.get(spec.name, MAX_TEXT))


class Date(FieldType):
    name = "date"

    def parse(self, raw: Any, spec: FieldDef, ctx: ParseContext) -> str:
        text = raw if isinstance(raw, str) else ""
        try:
            day = dt.date.fromisoformat(text) if _DAY.match(text) else None
        except ValueError:
            day = None
        if day is None:
            raise bad(spec.name, "应为日期 YYYY-MM-DD", "must be a date YYYY-MM-DD")
        if not in_years(day):
            raise bad(spec.name, f"日期超出范围（{YEARS[0]}–{YEARS[1]}年）", f"is out of range ({YEARS[0]}-{YEARS[1]})")
        return day.isoformat()

    def json_schema(self, spec: FieldDef) -> dict[str, Any]:
        return {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$",
                "description": f"YYYY-MM-DD, years {YEARS[0]}-{YEARS[1]}"}

    def widget(self, spec: FieldDef) -> WidgetHint:
        return WidgetHint("date", min=f"{YEARS[0]}-01-01", max=f"{YEARS[1]}-12-31")


class DateTime(FieldType):
    name = "datetime"

    def parse(self, raw: Any, spec: FieldDef, ctx: ParseContext) -> str:
        return utc_iso(instant(raw, spec.name, ctx.tz))

    def json_schema(self, spec: FieldDef) -> dict[str, Any]:
        return {"type": "string", "format": "date-time",
                "description": f"ISO 8601; without an offset the office's local time; years {YEARS[0]}-{YEARS[1]}"}

    def widget(self, spec: FieldDef) -> WidgetHint:
        return WidgetHint("datetime", min=f"{YEARS[0]}-01-01T00:00", max=f"{YEARS[1]}-12-31T23:59")

    def display(self, value: Any, spec: FieldDef, lang: str, tz: dt.tzinfo | None = None) -> str:
        try:
            moment = parse_iso(str(value))
        except ValueError:
            return str(value)
        return moment.astimezone(tz or dt.UTC).strftime("%Y-%m-%d %H:%M")


class Bool(FieldType):
    name = "bool"

    def parse(self, raw: Any, spec: FieldDef, ctx: ParseContext) -> bool:
        if isinstance(raw, bool):
            return raw
        text = raw if isinstance(raw, str) else None  # exactly as documented (json_schema), at every edge
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise bad(spec.name, "应为是或否", "must be true or false")

    def json_schema(self, spec: FieldDef) -> dict[str, Any]:
        return {"oneOf": [{"type": "boolean"}, {"type": "string", "enum": sorted(_TRUE | _FALSE)}]}

    def widget(self, spec: FieldDef) -> WidgetHint:
        return WidgetHint("checkbox")

    def display(self, value: Any, spec: FieldDef, lang: str, tz: dt.tzinfo | None = None) -> str:
        return _pick(YES if value is True else NO, lang) if isinstance(value, bool) else str(value)


class Int(FieldType):
    name = "int"

    def parse(self, raw: Any, spec: FieldDef, ctx: ParseContext) -> int:
        text = raw if isinstance(raw, str) else ""
        # isdigit() alone accepts '²' and other digits int() refuses: only ASCII 0-9 are numbers here.
        if isinstance(raw, bool) or not (isinstance(raw, int) or (text.isascii() and text.isdigit())):
            raise bad(spec.name, "应为整数", "must be a whole number")
        if not 0 <= int(raw) <= MAX_INT:
            raise bad(spec.name, "数值超出范围", "is out of range")
        return int(raw)

    def json_schema(self, spec: FieldDef) -> dict[str, Any]:
        return {"oneOf": [{"type": "integer", "minimum": 0, "maximum": MAX_INT},
                          {"type": "string", "pattern": "^[0-9]+$"}]}

    def widget(self, spec: FieldDef) -> WidgetHint:
        return WidgetHint("number", min="0", max=str(MAX_INT), step="1")


class Choice(FieldType):
    name = "choice"
    takes_options = True

    def parse(self, raw: Any, spec: FieldDef, ctx: ParseContext) -> str:
        return one_of(spec, str(raw).lower() if isinstance(raw, bool) else raw)

    def json_schema(self, spec: FieldDef) -> dict[str, Any]:
        return {"type": "string", "enum": list(spec.options),
                "description": "; ".join(f"{o}: {lab.zh} / {lab.en}" for o, lab in labelled(spec))}

    def widget(self, spec: FieldDef) -> WidgetHint:
        return WidgetHint("select", options=labelled(spec))

    def display(self, value: Any, spec: FieldDef, lang: str, tz: dt.tzinfo | None = None) -> str:
        return option_label(spec, str(value).lower() if isinstance(value, bool) else str(value), lang)
