"""Deadline rules: counted from a stated date, office settings on every count, dates as ends of days, states.

A tiny definition exercises each rule feature through ``deadlines.plan``, as an accepted action would.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.helpers import CST
from workflow.engine.catalog import default_catalog
from workflow.engine.context import Office
from workflow.engine.definition import ProcedureDef
from workflow.engine.errors import DefinitionError
from workflow.engine.loader import load_definition
from workflow.timing.calendar import WorkCalendar
from workflow.timing.deadlines import DeadlineRow, fix_rule, plan

CAL = WorkCalendar()
NOW = dt.datetime(2026, 6, 10, 10, 0, tzinfo=CST).astimezone(dt.UTC)  # a Wednesday

TINY = """\
id: tiny
version: "1"
effective_from: 2024-01-01
title: {zh: 小程序, en: Tiny}
legal_basis: 测试
initial: open
settings:
  t_filing_days: {default: 15, min: 1, max: 60, unit: calendar_days, zh: 备案期限, en: Filing period, article: 测试第一条}
  t_remind_days: {default: 180, min: 1, max: 365, unit: calendar_days, zh: 提醒, en: Reminder, article: 测试第二条}
  t_cycle_months: {default: 24, min: 1, max: 36, unit: months, zh: 周期, en: Cycle, article: 测试第三条}
states:
  open: {zh: 开始, en: Open}
  later: {zh: 其后, en: Later}
  done: {zh: 完成, en: Done, terminal: true}
actions:
  publish:
    zh: 公布
    en: Publish
    roles: [owner]
    from: [open]
    to: later
    fields:
      published_on: {type: date, zh: 公布日期, en: Published on}
      expires_on: {type: date, zh: 有效期至, en: Valid until}
  review:
    zh: 评估
    en: Review
    roles: [owner]
    from: [later]
    outcome_field: outcome
    outcomes: {continue: later, stop: later}
    fields:
      outcome: {type: choice, options: {continue: {zh: 继续, en: Continue}, stop: {zh: 停止, en: Stop}}, zh: 结论, en: Outcome}
      expires_on: {type: date, zh: 有效期至, en: Valid until}
  finish:
    zh: 完成
    en: Finish
    roles: [owner]
    from: [open, later]
    to: done
deadlines:
  filing:
    zh: 备案
    en: Filing
    article: "A"
    rule: {kind: calendar_days, days: 15, setting: t_filing_days, from_field: published_on}
    starts_on: [publish]
    recipients: [owner]
    reminders: [{days_before: 3}]
  expiry:
    zh: 届满
    en: Expiry
    article: "B"
    rule: {kind: at_field, field: expires_on}
    starts_on: [publish, review]
    starts_when: {outcome: [continue]}
    recipients: [owner]
    reminders: [{days_before: 180, setting: t_remind_days}, {days_before: 30}]
  cycle:
    zh: 清理
    en: Clean-up
    article: "C"
    rule: {kind: months, months: 24, setting: t_cycle_months}
    starts_on: [publish]
    recipients: [owner]
  open_only:
    zh: 仅开始时
    en: While open
    article: "D"
    rule: {kind: calendar_days, days: 5}
    starts_on: [publish]
    while_in: [open]
    recipients: [owner]
  stall:
    zh: 久拖不决
    en: Stall
    article: "E"
    rule: {kind: idle_working_days, days: 20}
    starts_on: ["*"]
    while_in: [open]
    recipients: [owner]
"""


@pytest.fixture()
def tiny(tmp_path: Path) -> ProcedureDef:
    path = tmp_path / "tiny@1.yaml"
    path.write_text(TINY, encoding="utf-8")
    return load_definition(path)


def office(**settings: int) -> Office:
    return Office(1, "古塘街道", settings)


def due(rows: list[DeadlineRow], key: str) -> dt.datetime | None:
    return next(r.due_at for r in rows if r.key == key and r.kind == "due")


def test_a_deadline_counts_from_the_date_the_action_states_not_from_its_entry(tiny: ProcedureDef) -> None:
    # published on Mon 06-01, entered on 06-10: 15 days from 06-01 is Tue 06-16
    result = plan(tiny, "publish", None, {"published_on": "2026-06-01", "expires_on": "2031-06-01"}, "later", NOW,
                  office(), CAL, 1)
    assert due(result.open, "filing") == CAL.end_of_day(dt.date(2026, 6, 16))
    assert [CAL.local_date(r.fire_at) for r in result.open if r.key == "filing" and r.kind == "reminder"
            and r.fire_at] == [dt.date(2026, 6, 13)]
    late = plan(tiny, "publish", None, {"published_on": "2026-05-20", "expires_on": "2031-06-01"}, "later", NOW, office(), CAL, 1)
    # published 05-20: due 06-04, already past at entry 06-10; the overdue row stands, its reminder is not sent
    assert [(r.kind, r.due_at) for r in late.open if r.key == "filing"] == [("due", CAL.end_of_day(dt.date(2026, 6, 4)))]


def test_without_the_stated_date_the_count_starts_at_entry(tiny: ProcedureDef) -> None:
    result = plan(tiny, "publish", None, {"expires_on": "2031-06-01"}, "later", NOW, office(), CAL, 1)
    assert due(result.open, "filing") == CAL.end_of_day(dt.date(2026, 6, 25))


def test_calendar_day_and_month_counts_read_their_office_setting(tiny: ProcedureDef) -> None:
    data = {"published_on": "2026-06-10", "expires_on": "2031-06-01"}
    result = plan(tiny, "publish", None, data, "later", NOW, office(t_filing_days=30, t_cycle_months=12), CAL, 1)
    assert due(result.open, "filing") == CAL.end_of_day(dt.date(2026, 7, 10))
    cycle = [r for r in result.open if r.key == "cycle"]  # 2027 has no calendar data: it awaits, rule fixed
    assert [r.awaiting["rule"] for r in cycle if r.awaiting] == [{"kind": "months", "months": 12}]
    assert fix_rule(tiny.deadlines["cycle"].rule, data, office(t_cycle_months=12))["months"] == 12
    assert fix_rule(tiny.deadlines["cycle"].rule, data, office())["months"] == 24  # no setting: the rule's own


def test_a_date_field_due_is_the_end_of_that_local_day_and_reminders_read_settings(tiny: ProcedureDef) -> None:
    result = plan(tiny, "publish", None, {"published_on": "2026-06-10", "expires_on": "2031-06-01"}, "later", NOW,
                  office(t_remind_days=90), CAL, 1)
    expiry = [r for r in result.open if r.key == "expiry"]
    assert due(expiry, "expiry") == dt.datetime(2031, 6, 1, 16, 0, tzinfo=dt.UTC)  # 24:00 Shanghai
    assert sorted(CAL.local_date(r.fire_at) for r in expiry if r.kind == "reminder" and r.fire_at) == [
        dt.date(2031, 3, 3), dt.date(2031, 5, 2)]  # 90 days (the office's) and 30 days before


def test_an_action_without_an_outcome_is_not_filtered_by_starts_when(tiny: ProcedureDef) -> None:
    data = {"expires_on": "2030-01-01"}
    assert due(plan(tiny, "review", "continue", data, "later", NOW, office(), CAL, 1).open, "expiry")
    assert not plan(tiny, "review", "stop", data, "later", NOW, office(), CAL, 1).open


def test_while_in_stops_the_stall_clock_and_closes_the_deadline_outside_its_states(tiny: ProcedureDef) -> None:
    result = plan(tiny, "publish", None, {"expires_on": "2031-06-01"}, "later", NOW, office(), CAL, 1)
    assert result.stall_due_at is None and "open_only" in result.close
    assert "open_only" not in {r.key for r in result.open}


def test_from_field_must_name_a_date_of_each_starting_action(tmp_path: Path) -> None:
    path = tmp_path / "bad@1.yaml"
    path.write_text(TINY.replace("from_field: published_on", "from_field: nowhere"), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    assert "from_field 'nowhere' is not a date or datetime field of 'publish'" in str(caught.value)


def test_shipped_cn713_and_contract_review_rules_read_no_new_setting() -> None:
    # The new keys change nothing where a rule does not name them: same fixed rules with or without them.
    plain, busy = office(), office(stall_days=20, t_filing_days=99, t_cycle_months=1)
    data = {"closes_at": "2026-07-10T16:00:00.000000Z", "hearing_at": "2026-07-10T01:00:00.000000Z"}
    for procedure in default_catalog().all():
        if procedure.id not in ("cn-713", "contract-review"):
            continue
        for deadline in procedure.deadlines.values():
            assert "from_field" not in deadline.rule and not deadline.while_in
            assert fix_rule(deadline.rule, data, plain) == fix_rule(deadline.rule, data, busy)
