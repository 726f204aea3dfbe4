"""Statutory deadlines: which ones an accepted action opens or closes, and when they fall due.

The engine turns an action into a ``DeadlinePlan``; the service writes it in the same transaction as
the state change. Each deadline becomes durable rows (the due instant plus its reminders), so nothing
about a deadline lives only in a message broker.

A deadline that needs a year without official calendar data is never guessed and never stops the
action: it becomes one row *awaiting the calendar*, holding its fixed rule (office settings and the
action's inputs written in) and its start instant, and is computed when that year's notice arrives.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from workflow.engine.context import Office, parse_iso, utc_iso
from workflow.engine.definition import DeadlineDef, ProcedureDef
from workflow.engine.errors import CalendarMissing
from workflow.timing.calendar import WorkCalendar


@dataclass(frozen=True, slots=True)
class DeadlineRow:
    """One alert instant of a deadline: a reminder before it, or the due instant itself."""

    key: str
    kind: str  # "reminder" | "due"
    fire_at: dt.datetime | None  # None (with due_at) while the deadline awaits the calendar
    due_at: dt.datetime | None
    recipients: tuple[str, ...]
    article: str
    dedupe: str | None = None  # office-wide deadlines exist once per office and date
    awaiting: Mapping[str, Any] | None = None  # rule, start, year: enough to compute it later


@dataclass(slots=True)
class DeadlinePlan:
    """Deadlines an action closes and opens, and the decision's new stall instant (or what it awaits)."""

    close: list[str] = field(default_factory=list)
    open: list[DeadlineRow] = field(default_factory=list)
    stall_due_at: dt.datetime | None = None
    stall_awaiting: dict[str, Any] | None = None


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, _cal.monthrange(year, month)[1]))


def _setting(rule: Mapping[str, Any], key: str, office: Office) -> int:
    """The rule's count, or the office's own value when the rule names a ``setting`` (and the office has one)."""
    default = int(rule[key])
    return int(office.setting(rule["setting"]) or default) if rule.get("setting") else default


def fix_reminders(reminders: Sequence[Mapping[str, Any]], office: Office) -> list[dict[str, Any]]:
    """Reminders with the office settings they name written in (``{days_before: 180, setting: key}``)."""
    fixed = []
    for reminder in reminders:
        out = {k: v for k, v in reminder.items() if k != "setting"}
        if reminder.get("setting"):
            count = "working_days_before" if "working_days_before" in reminder else "days_before"
            out[count] = int(office.setting(str(reminder["setting"])) or reminder.get(count, 0))
        fixed.append(out)
    return fixed


def start_instant(rule: Mapping[str, Any], data: Mapping[str, Any], now: dt.datetime,
                  cal: WorkCalendar) -> dt.datetime:
    """Where a deadline's count starts: ``now``, or the date or instant the action states in ``from_field``.

    A period counted "from publication" runs from the day published (a stated date), which may be
    earlier than the moment the publication is entered.
    """
    name = rule.get("from_field")
    value = data.get(name) if name else None
    if not value:
        return now
    text = str(value)
    if len(text) == 10:  # a date: the count starts on that local day
        return cal.start_of_day(dt.date.fromisoformat(text), 0)
    return parse_iso(text)


def fix_rule(rule: Mapping[str, Any], data: Mapping[str, Any], office: Office) -> dict[str, Any]:
    """The rule with the office settings and the action's inputs it reads written in (computable any time later)."""
    kind = rule["kind"]
    if kind in ("at_field", "before_field"):
        fixed: dict[str, Any] = {"kind": kind, "at": str(data[rule["field"]])}
        if kind == "before_field":
            fixed["calendar_days"] = int(rule["calendar_days"])
        return fixed
    if kind in ("working_days", "idle_working_days"):
        days = int(rule["days"])
        if rule.get("at_least_setting"):  # Art. 26: never fewer than the statutory minimum
            days = max(days, int(office.setting(rule["at_least_setting"]) or 0))
        if rule.get("setting"):
            days = int(office.setting(rule["setting"]) or days)
        requested = data.get(rule["requested_field"]) if rule.get("requested_field") else None
        return {"kind": kind, "days": days, "requested": str(requested) if requested else None}
    if kind == "calendar_days":
        return {"kind": kind, "days": _setting(rule, "days", office)}
    if kind == "months":
        return {"kind": kind, "months": _setting(rule, "months", office)}
    if kind == "annual_date":
        return {"kind": kind, "month": int(rule["month"]), "day": int(rule["day"])}
    if kind == "on_day":  # a day a person set (an extended deadline)
        return {"kind": kind, "day": str(rule["day"])}
    raise ValueError(f"unknown deadline rule {kind}")  # the loader refuses these; never reached


def _annual(fixed: Mapping[str, Any], today: dt.date) -> dt.date:
    day = dt.date(today.year, int(fixed["month"]), int(fixed["day"]))
    return day if day >= today else day.replace(year=today.year + 1)


def compute(fixed: Mapping[str, Any], start: dt.datetime, cal: WorkCalendar) -> dt.datetime:
    """When a deadline of the fixed rule started at ``start`` falls due; CalendarMissing if a year lacks data."""
    kind, today = fixed["kind"], cal.local_date(start)
    if kind == "at_field":
        if len(fixed["at"]) == 10:  # a date ("valid until 2031-05-31") runs to the end of that local day
            return cal.end_of_day(dt.date.fromisoformat(fixed["at"]))
        return parse_iso(fixed["at"])  # an instant a person chose (the window's close): kept as chosen
    if kind == "before_field":
        day = cal.local_date(parse_iso(fixed["at"])) - dt.timedelta(days=int(fixed["calendar_days"]))
        # Art. 16: materials reach participants at least N days BEFORE the hearing. Moving a rest day's
        # deadline to the next working day would break that rule, so it moves to the working day before.
        return cal.end_of_day(cal.on_or_before(day))
    if kind in ("working_days", "idle_working_days"):
        day = cal.add_working_days(today, int(fixed["days"]))
        if fixed.get("requested"):
            day = max(day, dt.date.fromisoformat(fixed["requested"]))
        return cal.end_of_day(day)
    if kind == "calendar_days":
        return cal.end_of_day(cal.add_calendar_days(today, int(fixed["days"])))
    # A period that ends on a rest day ends on the next working day (民法典 Art. 203).
    if kind == "months":
        return cal.end_of_day(cal.on_or_after(_add_months(today, int(fixed["months"]))))
    if kind == "annual_date":
        return cal.end_of_day(cal.on_or_after(_annual(fixed, today)))
    if kind == "on_day":
        return cal.end_of_day(dt.date.fromisoformat(fixed["day"]))
    raise ValueError(f"unknown deadline rule {kind}")


def due_instant(rule: Mapping[str, Any], data: Mapping[str, Any], now: dt.datetime,
                office: Office, cal: WorkCalendar) -> dt.datetime:
    """When a deadline of ``rule`` started now by an action with ``data`` falls due."""
    return compute(fix_rule(rule, data, office), now, cal)


def _rows(key: str, scope: str, recipients: tuple[str, ...], article: str, reminders: Sequence[Mapping[str, Any]],
          due_at: dt.datetime, now: dt.datetime, cal: WorkCalendar, org_id: int) -> list[DeadlineRow]:
    due_day = cal.local_date(due_at - dt.timedelta(microseconds=1))
    dedupe = f"{org_id}:{key}:{due_day.isoformat()}" if scope == "office" else None
    rows = [DeadlineRow(key, "due", due_at, due_at, recipients, article, dedupe)]
    for reminder in reminders:
        if "working_days_before" in reminder:
            day = cal.working_days_before(due_day, int(reminder["working_days_before"]))
        else:
            day = due_day - dt.timedelta(days=int(reminder.get("days_before", 0)))
        fire_at = min(cal.start_of_day(day), due_at)
        if fire_at > now:
            rows.append(DeadlineRow(key, "reminder", fire_at, due_at, recipients, article,
                                    f"{dedupe}:r{day.isoformat()}" if dedupe else None))
    return rows


def rows_for(deadline: DeadlineDef, due_at: dt.datetime, now: dt.datetime, cal: WorkCalendar,
             org_id: int, reminders: Sequence[Mapping[str, Any]] | None = None) -> list[DeadlineRow]:
    """The due row and its reminder rows (reminders already in the past are left out)."""
    return _rows(deadline.key, deadline.scope, deadline.recipients, deadline.article,
                 deadline.reminders if reminders is None else reminders, due_at, now, cal, org_id)


def schedule(deadline: DeadlineDef, fixed: Mapping[str, Any], now: dt.datetime, cal: WorkCalendar,
             org_id: int, *, start: dt.datetime | None = None,
             reminders: Sequence[Mapping[str, Any]] | None = None) -> list[DeadlineRow]:
    """The deadline's rows; when a year it needs has no calendar data, one row awaiting that year's notice.

    ``start`` is where the count begins when not ``now`` (``start_instant``); ``reminders`` are the
    deadline's with the office's settings written in (``fix_reminders``).
    """
    start = now if start is None else start
    reminders = deadline.reminders if reminders is None else reminders
    try:
        return rows_for(deadline, compute(fixed, start, cal), now, cal, org_id, reminders)
    except CalendarMissing as missing:
        awaiting = {"rule": dict(fixed), "start": utc_iso(start), "year": int(missing.details["year"]),
                    "scope": deadline.scope, "reminders": [dict(r) for r in reminders]}
        today = cal.local_date(start)
        nominal = _annual(fixed, today) if fixed["kind"] == "annual_date" else today
        dedupe = f"{org_id}:{deadline.key}:awaiting:{nominal.isoformat()}" if deadline.scope == "office" else None
        return [DeadlineRow(deadline.key, "due", None, None, deadline.recipients, deadline.article, dedupe, awaiting)]


def resolve(key: str, recipients: Sequence[str], article: str, awaiting: Mapping[str, Any], now: dt.datetime,
            cal: WorkCalendar, org_id: int) -> list[DeadlineRow]:
    """The rows of a deadline that awaited the calendar, computed now; CalendarMissing while it still cannot be."""
    due = compute(awaiting["rule"], parse_iso(awaiting["start"]), cal)
    return _rows(key, str(awaiting["scope"]), tuple(recipients), article, awaiting["reminders"], due, now, cal, org_id)


def stall(rule: Mapping[str, Any], now: dt.datetime, office: Office,
          cal: WorkCalendar) -> tuple[dt.datetime | None, dict[str, Any] | None]:
    """The stall instant (Art. 38) counted from ``now``, or, without the calendar it needs, what it awaits."""
    fixed = fix_rule(rule, {}, office)
    try:
        return compute(fixed, now, cal), None
    except CalendarMissing as missing:
        return None, {"rule": fixed, "start": utc_iso(now), "year": int(missing.details["year"])}


#: The stall clock when a procedure names none: the office's ``stall_days`` working days (Art. 38).
DEFAULT_STALL_RULE: Mapping[str, Any] = {"kind": "idle_working_days", "days": 20, "setting": "stall_days"}


def stall_rule(procedure: ProcedureDef) -> Mapping[str, Any]:
    """The rule of the procedure's stall clock (the deadline that every action restarts)."""
    return next((d.rule for d in procedure.deadlines.values() if "*" in d.starts_on), DEFAULT_STALL_RULE)


def starts_when(deadline: DeadlineDef, outcome: str | None, data: Mapping[str, Any]) -> bool:
    """Whether the starting action's ``outcome`` and choices meet the deadline's ``starts_when``.

    ``outcome`` filters only actions that have one (``publish`` always starts); any other key is a choice
    field of the action: CF60's 90 days run for ``decision_kind: penalty`` only.
    """
    for name, wanted in deadline.starts_when.items():
        if name == "outcome":
            if outcome is not None and outcome not in wanted:
                return False
        elif str(data.get(name) or "") not in wanted:
            return False
    return True


def plan(procedure: ProcedureDef, action: str, outcome: str | None, data: Mapping[str, Any],
         new_state: str, now: dt.datetime, office: Office, cal: WorkCalendar, org_id: int) -> DeadlinePlan:
    """Deadlines closed and opened by ``action``; the stall clock restarts on every action (Art. 38).

    A deadline with ``while_in`` runs only while the decision is in one of those states: an action
    leading elsewhere closes it (and stops the stall clock) instead of starting it again.
    """
    result = DeadlinePlan()
    office = office.under(procedure.settings)  # its rules read the settings the procedure declares
    terminal = procedure.terminal(new_state)
    for deadline in procedure.deadlines.values():
        running = not terminal and (not deadline.while_in or new_state in deadline.while_in)
        if "*" in deadline.starts_on:
            if running:
                result.stall_due_at, result.stall_awaiting = stall(deadline.rule, now, office, cal)
            continue
        if action in deadline.closes_on or (terminal and deadline.scope == "decision") or (
                not running and deadline.while_in):
            result.close.append(deadline.key)
        if action in deadline.starts_on and running:
            if not starts_when(deadline, outcome, data):
                continue
            result.open.extend(schedule(deadline, fix_rule(deadline.rule, data, office), now, cal, org_id,
                                        start=start_instant(deadline.rule, data, now, cal),
                                        reminders=fix_reminders(deadline.reminders, office)))
    return result
