"""The field registry: one table of inputs, accepted or refused alike whether typed into a page's form, sent to the
API or given to the CLI; every option of every definition labelled in both languages; one year range everywhere."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import click
import marshmallow as ma
import pytest
from flask import Flask
from flask_babel import Babel
from werkzeug.datastructures import MultiDict

from api.v1.actions import Instant, action_schema
from api.v1.schemas import MAX_YEAR, MIN_YEAR
from api.web.forms import build_form, form_data
from cli.decisions import _parse_data
from workflow.engine import fields
from workflow.engine.catalog import default_catalog
from workflow.engine.decide import normalize
from workflow.engine.definition import ActionDef, FieldDef, Label, ProcedureDef
from workflow.engine.errors import InvalidInput
from workflow.engine.loader import builtin_paths, load_definition
from workflow.record.records import _occurred

CN713 = default_catalog().get("cn-713@2019-09-01")
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
PEOPLE = ["王建国", "李明"]
INPUTS = [{"ref": "comment:1", "author": "居民甲", "text": "请公布补偿标准"}]


def _spec(kind: str) -> FieldDef:
    """A required field of ``kind``; its options (if any) as the shipped cn-713 definition gives them."""
    options: Mapping[str, Label] = {
        "choice": CN713.actions["record_participation"].fields["method"].option_labels,
        "flags": {f.id: f.label for f in CN713.flags.values()},
        "entries": CN713.actions["record_adoption_report"].fields["entries"].option_labels,
        "views": CN713.actions["record_meeting"].fields["views"].option_labels,
    }.get(kind, {})
    return FieldDef("value", kind, Label("值", "Value"), True, tuple(options), option_labels=dict(options))


def _probe(kind: str) -> ActionDef:
    return ActionDef("probe", Label("试", "Probe"), ("owner",), ("drafting",), None, "note",
                     fields={"value": _spec(kind)})


def _resolve(name: str) -> dict[str, Any] | None:
    return {"name": name, "id": 1} if name in PEOPLE else None


def _engine(action: ActionDef, data: Mapping[str, Any]) -> Any:
    return normalize(action, data, CN713, SHANGHAI, _resolve)["value"]


# One table: (type, what a person types or picks, the value recorded, or None when it is refused).
# On a page a value is what the form posts (strings); over the API and the CLI it is the same JSON value.
CASES: list[tuple[str, Any, Any]] = [
    ("text", "城建办", "城建办"),
    ("text", "  第一条\n第二条 ", "第一条\n第二条"),
    ("text", "甲\x1b[31m", None),
    ("text", "甲" * (fields.MAX_TEXT + 1), None),
    ("date", "2026-03-01", "2026-03-01"),
    ("date", f"{fields.YEARS[0]}-01-01", f"{fields.YEARS[0]}-01-01"),
    ("date", f"{fields.YEARS[1]}-12-31", f"{fields.YEARS[1]}-12-31"),
    ("date", f"{fields.YEARS[0] - 1}-12-31", None),
    ("date", f"{fields.YEARS[1] + 1}-01-01", None),
    ("date", "20260301", None),
    ("date", "2026-02-30", None),
    ("date", "3月1日", None),
    ("datetime", "2026-03-01T09:00", "2026-03-01T01:00:00.000000Z"),
    ("datetime", "2026-03-01T09:00+00:00", "2026-03-01T09:00:00.000000Z"),
    ("datetime", f"{fields.YEARS[1]}-12-31T23:59", f"{fields.YEARS[1]}-12-31T15:59:00.000000Z"),
    ("datetime", f"{fields.YEARS[0] - 1}-12-31T23:59", None),
    ("datetime", f"{fields.YEARS[1] + 1}-01-01T00:00", None),
    ("datetime", "明天上午", None),
    ("int", "12", 12),
    ("int", "0", 0),
    ("int", str(fields.MAX_INT), fields.MAX_INT),
    ("int", str(fields.MAX_INT + 1), None),
    ("int", "-1", None),
    ("int", "²", None),
    ("int", "1.5", None),
    ("choice", "symposium", "symposium"),
    ("choice", "座谈会", None),
    ("choice", "Symposium", None),
    ("choice", "", None),
    ("list", "甲\n乙", ["甲", "乙"]),
    ("list", "甲；乙、丙", ["甲", "乙", "丙"]),
    ("list", "甲\x1b乙", None),
    ("user", "王建国", {"name": "王建国", "id": 1}),
    ("user", "无名氏", None),
    ("user", "", None),
]
#: Values only JSON can carry (the API and the CLI), judged alike by both.
JSON_CASES: list[tuple[str, Any, Any]] = [
    ("text", 7, None),
    ("int", 12, 12),
    ("int", True, None),
    ("bool", True, True),
    ("bool", "否", False),
    ("bool", "maybe", None),
    ("choice", 1, None),
    ("list", ["甲", "乙"], ["甲", "乙"]),
    ("list", ["甲", 2], None),
    ("flags", ["technical", "confidential"], ["confidential", "technical"]),
    ("flags", ["full_moon"], None),
    ("entries", [{"ref": "comment:1", "adoption": "not_adopted", "reason": "另行公布"}],
     {"comment:1": {"adoption": "not_adopted", "reason": "另行公布"}}),
    ("entries", {"comment:1": {"adoption": "partly_adopted"}}, {"comment:1": {"adoption": "partly_adopted", "reason": ""}}),
    ("entries", [{"ref": "comment:1", "adoption": "采纳"}], None),
    ("entries", [{"ref": "comment:1", "adoption": "adopted", "by": "王建国"}], None),
    ("views", [{"member": "王建国", "view": "for"}], [{"member": "王建国", "view": "for", "remarks": ""}]),
    ("views", [{"member": "王建国", "view": "yes"}], None),
    ("views", [{"member": "", "view": "for"}], None),
    ("document", "a" * 64, "a" * 64),
    ("document", "A" * 64, None),
]


@pytest.fixture(scope="module")
def web() -> Flask:
    """Just enough of a Flask app to build and read the step forms (translations, no CSRF)."""
    app = Flask("fields")
    app.config.update(SECRET_KEY="fields", WTF_CSRF_ENABLED=False)
    Babel(app)
    return app


def by_page(web: Flask, kind: str, posted: Any) -> Any:
    """The recorded value, or None when refused, of ``posted`` typed into the generated form."""
    action = _probe(kind)
    typed: dict[str, Any] = {"probe-value": posted}
    if kind == "views":  # the first row of the members' table
        typed = {"probe-value__0__member": posted[0]["member"], "probe-value__0__view": posted[0]["view"]}
    elif kind == "entries":  # the row of the input comment:1
        typed = {"probe-value__comment-1__ref": "comment:1", "probe-value__comment-1__adoption": posted[0]["adoption"]}
    with web.test_request_context(method="POST"):
        form = build_form(action, CN713, lang="zh", people=PEOPLE, inputs=INPUTS, version=1,
                          formdata=MultiDict(typed))
        try:
            return _engine(action, form_data(form, action))
        except InvalidInput:
            return None


def by_api(kind: str, sent: Any) -> Any:
    """The recorded value, or None when refused, of ``sent`` in an API action body."""
    action = _probe(kind)
    try:
        body = action_schema("probe", [("cn-713@2019-09-01", action)])().load({"value": sent})
        return _engine(action, body)
    except (ma.ValidationError, InvalidInput):
        return None


def by_cli(kind: str, given: Any) -> Any:
    """The recorded value, or None when refused, of ``given`` in ``--data``."""
    action = _probe(kind)
    try:
        return _engine(action, _parse_data(json.dumps({"value": given}, ensure_ascii=False)))
    except (click.BadParameter, InvalidInput):
        return None


@pytest.mark.parametrize(("kind", "typed", "recorded"), CASES, ids=lambda v: str(v)[:30])
def test_an_input_is_judged_alike_on_a_page_over_the_api_and_on_the_command_line(
        web: Flask, kind: str, typed: Any, recorded: Any) -> None:
    assert by_page(web, kind, typed) == by_api(kind, typed) == by_cli(kind, typed) == recorded


@pytest.mark.parametrize(("kind", "sent", "recorded"), JSON_CASES, ids=lambda v: str(v)[:30])
def test_a_json_value_is_judged_alike_over_the_api_and_on_the_command_line(kind: str, sent: Any, recorded: Any) -> None:
    assert by_api(kind, sent) == by_cli(kind, sent) == recorded


@pytest.mark.parametrize(("kind", "rows", "recorded"), [
    ("entries", [{"ref": "comment:1", "adoption": "partly_adopted"}], {"comment:1": {"adoption": "partly_adopted",
                                                                                     "reason": ""}}),
    ("entries", [{"ref": "comment:1", "adoption": "采纳"}], None),
    ("views", [{"member": "李明", "view": "against"}], [{"member": "李明", "view": "against", "remarks": ""}]),
    ("views", [{"member": "李明", "view": "yes"}], None),
], ids=lambda v: str(v)[:30])
def test_rows_of_a_table_field_are_judged_alike_on_a_page_and_as_json(web: Flask, kind: str, rows: Any,
                                                                      recorded: Any) -> None:
    assert by_page(web, kind, rows) == by_api(kind, rows) == by_cli(kind, rows) == recorded


def test_a_ticked_box_is_yes_on_a_page_as_true_is_over_the_api() -> None:
    action = _probe("bool")
    app = Flask("ticks")
    app.config.update(SECRET_KEY="t", WTF_CSRF_ENABLED=False)
    Babel(app)
    for posted, value in (({"probe-value": "y"}, True), ({}, False)):
        with app.test_request_context(method="POST"):
            form = build_form(action, CN713, lang="zh", people=[], inputs=[], version=1, formdata=MultiDict(posted))
            assert _engine(action, form_data(form, action)) == by_api("bool", value) == by_cli("bool", value) == value


@pytest.mark.parametrize("kind", sorted(fields.FIELD_TYPES))
def test_every_type_documents_parses_draws_and_shows_itself(kind: str) -> None:
    field_type, spec = fields.FIELD_TYPES[kind], _spec(kind)
    assert field_type.json_schema(spec) and field_type.widget(spec).kind
    assert isinstance(field_type.display("x", spec, "zh"), str)


def test_the_year_range_is_one_at_every_edge() -> None:
    low, high = fields.YEARS
    assert (MIN_YEAR, MAX_YEAR) == (low, high)
    assert fields.FIELD_TYPES["date"].widget(_spec("date")).min == f"{low}-01-01"
    assert fields.FIELD_TYPES["datetime"].widget(_spec("datetime")).max == f"{high}-12-31T23:59"
    assert str(low) in fields.FIELD_TYPES["date"].json_schema(_spec("date"))["description"]
    for year, ok in ((low - 1, False), (low, True), (high, True), (high + 1, False)):
        stated = f"{year}-06-01T09:00"
        with pytest.raises(InvalidInput) if not ok else contextlib.nullcontext():
            _occurred(stated, SHANGHAI)  # a back-entry's occurrence time
        try:
            Instant().deserialize(stated)
            api_ok = True
        except ma.ValidationError:
            api_ok = False
        assert api_ok is ok


@pytest.mark.parametrize("path", builtin_paths(), ids=lambda p: p.name)
def test_every_option_of_every_definition_has_a_chinese_and_an_english_label(path: Any) -> None:
    procedure: ProcedureDef = load_definition(path)
    specs = [s for a in procedure.actions.values() for s in a.fields.values() if s.options]
    assert specs
    for spec in specs:
        assert set(spec.option_labels) == set(spec.options), spec.name
        for option, label in spec.option_labels.items():
            assert label.zh.strip() and label.en.strip() and label.zh != option, (spec.name, option)
    for action in procedure.actions.values():
        if action.outcome_field:
            assert set(action.fields[action.outcome_field].option_labels) == set(action.outcomes)


def test_contract_review_outcomes_read_as_words() -> None:
    spec = default_catalog().get("contract-review@2021-05-01").actions["sign_review_opinion"].fields["outcome"]
    assert fields.display(spec, "no_objection", "zh") == "审查无异议"
    assert fields.display(spec, "no_objection", "en") == "No objection"
    assert "审查无异议" in fields.FIELD_TYPES["choice"].json_schema(spec)["description"]
    assert ("no_objection", Label("审查无异议", "No objection")) in fields.FIELD_TYPES["choice"].widget(spec).options


def test_adoption_values_are_the_definitions_not_the_codes() -> None:
    spec = CN713.actions["record_adoption_report"].fields["entries"]
    assert spec.options == ("adopted", "partly_adopted", "not_adopted")
    shown = fields.display(spec, {"comment:1": {"adoption": "not_adopted", "reason": "另行公布"}}, "zh")
    assert shown == "comment:1：未采纳（另行公布）"
