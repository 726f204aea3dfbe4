"""Statutory deadlines: which ones an accepted action opens or closes, and when they fall due.

The engine turns an action into a ``DeadlinePlan``; the service writes it in the same transaction as
the state change. Each deadline becomes durable rows (the due instant plus its reminders), so nothing
about a deadline lives only in a message broker.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workflow.calendar import WorkCalendar
from workflow.context import Office, parse_iso
from workflow.definition import DeadlineDef, ProcedureDef


@dataclass(frozen=True, slots=True)
class DeadlineRow:
    """One alert instant of a deadline: a reminder before it, or the due instant itself."""

    key: str
    kind: str  # "reminder" | "due"
    fire_at: dt.datetime
    due_at: dt.datetime
    recipients: tuple[str, ...]
    article: str
    dedupe: str | None = None  # office-wide deadlines exist once per office and date


@dataclass(slots=True)
class DeadlinePlan:
    """Deadlines an action closes and opens, and the decision's new stall instant."""

    close: list[str] = field(default_factory=list)
    open: list[DeadlineRow] = field(default_factory=list)
    stall_due_at: dt.datetime | None = None


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, _cal.monthrange(year, month)[1]))


def due_instant(rule: Mapping[str, Any], data: Mapping[str, Any], now: dt.datetime,
                office: Office, cal: WorkCalendar) -> dt.datetime:
    """When a deadline of ``rule`` started now by an action with ``data`` falls due."""
    kind, today = rule["kind"], cal.local_date(now)
    if kind == "at_field":
        return parse_iso(data[rule["field"]])
    if kind == "before_field":
        day = cal.local_date(parse_iso(data[rule["field"]])) - dt.timedelta(days=int(rule["calendar_days"]))
        return cal.end_of_day(day)
    if kind in ("working_days", "idle_working_days"):
        days = int(rule["days"])
        if rule.get("at_least_setting"):  # Art. 26: never fewer than the statutory minimum
            days = max(days, int(office.setting(rule["at_least_setting"]) or 0))
        if rule.get("setting"):
            days = int(office.setting(rule["setting"]) or days)
        day = cal.add_working_days(today, days)
        requested = data.get(rule.get("requested_field", "")) if rule.get("requested_field") else None
        if requested:
            day = max(day, dt.date.fromisoformat(requested))
        return cal.end_of_day(day)
    if kind == "calendar_days":
        return cal.end_of_day(cal.add_calendar_days(today, int(rule["days"])))
    if kind == "months":
        return cal.end_of_day(_add_months(today, int(rule["months"])))
    if kind == "annual_date":
        day = dt.date(today.year, int(rule["month"]), int(rule["day"]))
        return cal.end_of_day(day if day >= today else day.replace(year=today.year + 1))
    raise ValueError(f"unknown deadline rule {kind}")  # the loader refuses these; never reached


def rows_for(deadline: DeadlineDef, due_at: dt.datetime, now: dt.datetime, cal: WorkCalendar,
             org_id: int) -> list[DeadlineRow]:
    """The due row and its reminder rows (reminders already in the past are left out)."""
    due_day = cal.local_date(due_at - dt.timedelta(microseconds=1))
    dedupe = f"{org_id}:{deadline.key}:{due_day.isoformat()}" if deadline.scope == "office" else None
    rows = [DeadlineRow(deadline.key, "due", due_at, due_at, deadline.recipients, deadline.article, dedupe)]
    for reminder in deadline.reminders:
        if "working_days_before" in reminder:
            day = cal.working_days_before(due_day, int(reminder["working_days_before"]))
        else:
            day = due_day - dt.timedelta(days=int(reminder.get("days_before", 0)))
        fire_at = min(cal.start_of_day(day), due_at)
        if fire_at > now:
            rows.append(DeadlineRow(deadline.key, "reminder", fire_at, due_at, deadline.recipients,
                                    deadline.article, f"{dedupe}:r{day.isoformat()}" if dedupe else None))
    return rows


def plan(procedure: ProcedureDef, action: str, outcome: str | None, data: Mapping[str, Any],
         new_state: str, now: dt.datetime, office: Office, cal: WorkCalendar, org_id: int) -> DeadlinePlan:
    """Deadlines closed and opened by ``action``; the stall clock restarts on every action (Art. 38)."""
    result = DeadlinePlan()
    terminal = procedure.terminal(new_state)
    for deadline in procedure.deadlines.values():
        if "*" in deadline.starts_on:
            if not terminal:
                result.stall_due_at = due_instant(deadline.rule, data, now, office, cal)
            continue
        if action in deadline.closes_on or (terminal and deadline.scope == "decision"):
            result.close.append(deadline.key)
        if action in deadline.starts_on and not terminal:
            wanted = deadline.starts_when.get("outcome")
            if wanted and outcome not in wanted:
                continue
            due = due_instant(deadline.rule, data, now, office, cal)
            result.open.extend(rows_for(deadline, due, now, cal, org_id))
    return result
