"""Time truth: dates people state about events are checked against the system's own clock and order.

Every event keeps the instant the system accepted it (``at``). A date or time a person *states* in a
field is a claim about the world, and the record is only worth something if such claims cannot be
bent (Art. 33: the record of the procedure is kept truthfully and completely). A procedure
definition declares, per field:

* ``when: past`` — the field states something that already happened (delivered, held, published,
  signed, reported): it may not be later than the moment of entry;
* ``when: from_now`` — the field opens a period that must be open to the public (a comment window,
  a hearing): it may not start before the moment it is entered;
* ``after: [action:<id>, fact:<path>]`` — what it may not precede: the last time that action
  happened on the decision, or an instant or date recorded in the facts.

Dates compare as Asia/Shanghai calendar dates; instants compare as instants, with the moment of
entry rounded to its minute because forms take minutes. History that really happened offline is
entered as a back-entry (补录, ``workflow.backfill``): then "the moment of entry" is the stated
occurrence time, which is itself checked against the decision's previous record.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from workflow.engine import rules
from workflow.engine.context import parse_iso
from workflow.engine.definition import ActionDef, FieldDef, ProcedureDef
from workflow.engine.errors import Rule, RuleViolation
from workflow.timing.calendar import WorkCalendar

#: Latest effective instant of each action taken on a decision (back-entries: their stated time).
History = Mapping[str, dt.datetime]


def _minute(moment: dt.datetime) -> dt.datetime:
    return moment.replace(second=0, microsecond=0)


def _show(value: dt.datetime | dt.date, cal: WorkCalendar) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(cal.tz).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _parse(value: Any, as_date: bool, cal: WorkCalendar) -> dt.datetime | dt.date | None:
    """A stored instant or date; a date field compares by local date."""
    if value in (None, ""):
        return None
    text = str(value)
    if len(text) == 10:
        day = dt.date.fromisoformat(text)
        return day if as_date else dt.datetime.combine(day, dt.time(0), tzinfo=cal.tz).astimezone(dt.UTC)
    moment = parse_iso(text)
    return cal.local_date(moment) if as_date else moment


def _fact(facts: Mapping[str, Any], path: str) -> Any:
    node: Any = facts
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _label_of(procedure: ProcedureDef, ref: str) -> tuple[str, str]:
    kind, _, name = ref.partition(":")
    if kind == "action" and name in procedure.actions:
        label = procedure.actions[name].label
        return f"“{label.zh}”的时间", f"the time of '{label.en}'"
    leaf = name.rsplit(".", 1)[-1]
    for action in procedure.actions.values():
        if leaf in action.fields:
            label = action.fields[leaf].label
            return f"“{label.zh}”", f"'{label.en}'"
    return name, name


def _anchor(ref: str, facts: Mapping[str, Any], history: History, as_date: bool,
            cal: WorkCalendar) -> dt.datetime | dt.date | None:
    kind, _, name = ref.partition(":")
    if kind == "action":
        moment = history.get(name)
        if moment is None:
            return None
        return cal.local_date(moment) if as_date else moment
    return _parse(_fact(facts, name), as_date, cal)


def _refuse(rule: Rule, spec: FieldDef, **details: Any) -> RuleViolation:
    if spec.article:  # the step's own article first, then the record-keeping one
        rule = dataclasses.replace(rule, article=f"{spec.article}, {rule.article}")
    return RuleViolation.of(rule, field=spec.label.zh, field_name=spec.name, **details)


def check_field(procedure: ProcedureDef, spec: FieldDef, value: Any, facts: Mapping[str, Any],
                history: History, entered: dt.datetime, cal: WorkCalendar,
                window_floor: dt.datetime | None = None) -> RuleViolation | None:
    """The refusal for one stated date or time, or None when it is true to the record."""
    as_date = spec.type == "date"
    stated = _parse(value, as_date, cal)
    if stated is None:
        return None
    now: dt.datetime | dt.date = cal.local_date(entered) if as_date else entered
    if spec.when == "past":
        # A date may be today; an instant may be anywhere in the current minute.
        future = stated > now if as_date else stated >= _minute(entered) + dt.timedelta(minutes=1)
        if future:
            return _refuse(rules.STATED_TIME_IN_FUTURE, spec, stated=_show(stated, cal), now=_show(now, cal))
    if spec.when == "from_now":
        opened = window_floor or entered
        floor = cal.local_date(opened) if as_date else _minute(opened)
        if stated < floor:
            return _refuse(rules.WINDOW_STARTS_BEFORE_ENTRY, spec, stated=_show(stated, cal), now=_show(floor, cal))
    for ref in spec.after:
        anchor = _anchor(ref, facts, history, as_date, cal)
        if anchor is None:
            continue
        if as_date and isinstance(anchor, dt.datetime):
            anchor = cal.local_date(anchor)
        if stated < anchor:
            zh, en = _label_of(procedure, ref)
            return _refuse(rules.STATED_TIME_TOO_EARLY, spec, stated=_show(stated, cal), after=_show(anchor, cal),
                           after_label=zh, after_label_en=en, after_ref=ref)
    return None


def check_action(procedure: ProcedureDef, action: ActionDef, data: Mapping[str, Any], facts: Mapping[str, Any],
                 history: History, entered: dt.datetime, cal: WorkCalendar,
                 window_floor: dt.datetime | None = None) -> RuleViolation | None:
    """The first refusal among the action's stated dates and times, in field order."""
    for spec in action.fields.values():
        if spec.when or spec.after:
            refusal = check_field(procedure, spec, data.get(spec.name), facts, history, entered, cal, window_floor)
            if refusal is not None:
                return refusal
    return None


def anchored_actions(action: ActionDef) -> frozenset[str]:
    """The actions whose last instant this action's fields are checked against."""
    return frozenset(ref[7:] for spec in action.fields.values() for ref in spec.after if ref.startswith("action:"))
