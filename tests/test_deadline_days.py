"""Deadlines land on working days, wait for a missing year's calendar, and administrators are told to import it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from config.settings import load_settings, month_day
from tests.helpers import CST, PASSWORD, Clock, local_iso, new_decision, to_consultation, to_implementation
from workflow.admin import offices as admin
from workflow.notices.alerts import scan
from workflow.persistence.store import DL, N
from workflow.service import Juece
from workflow.timing.calendar import WorkCalendar, years_to_import
from workflow.timing.deadlines import compute
from workflow.views.queries import list_deadlines, show_decision

D = dt.date
FIXTURE_2027 = Path(__file__).parent / "fixtures" / "calendar-2027.yaml"  # a test fixture, not the real notice
MONTHS = {"kind": "months", "months": 3}  # the Art. 34 implementation report
CATALOGUE = {"kind": "annual_date", "month": 3, "day": 31}  # the yearly catalogue


@pytest.mark.parametrize(("rule", "start", "due"), [
    (MONTHS, D(2026, 3, 7), D(2026, 6, 8)),  # 06-07 is a Sunday
    (MONTHS, D(2025, 11, 17), D(2026, 2, 24)),  # 02-17 is inside Spring Festival (02-15..02-23)
    (MONTHS, D(2026, 7, 2), D(2026, 10, 8)),  # 10-02 is inside National Day (10-01..10-07)
    (MONTHS, D(2026, 3, 2), D(2026, 6, 2)),  # a working day stays where it is
    (CATALOGUE, D(2024, 1, 10), D(2024, 4, 1)),  # 2024-03-31 is a Sunday
    (CATALOGUE, D(2026, 1, 5), D(2026, 3, 31)),  # a Tuesday stays
    ({"kind": "annual_date", "month": 2, "day": 17}, D(2026, 1, 5), D(2026, 2, 24)),  # Spring Festival
    ({"kind": "annual_date", "month": 10, "day": 1}, D(2026, 4, 1), D(2026, 10, 8)),  # National Day
])
def test_month_and_annual_deadlines_land_on_working_days(rule: dict[str, int], start: D, due: D) -> None:
    cal = WorkCalendar()
    started = dt.datetime.combine(start, dt.time(10), tzinfo=CST)
    assert compute(rule, started, cal) == cal.end_of_day(due) and cal.is_workday(due)


@pytest.mark.parametrize(("hearing", "due"), [
    ("2026-10-12T09:00:00+08:00", D(2026, 9, 30)),  # 7 days before is 10-05 (National Day): the day before it
    ("2026-06-15T09:00:00+08:00", D(2026, 6, 8)),  # 06-08 is a Monday: stays
    ("2026-06-14T09:00:00+08:00", D(2026, 6, 5)),  # 06-07 is a Sunday: the Friday before, never later
])
def test_hearing_materials_deadline_moves_earlier_never_later(hearing: str, due: D) -> None:
    cal = WorkCalendar()
    fixed = {"kind": "before_field", "at": hearing, "calendar_days": 7}
    assert compute(fixed, dt.datetime(2026, 5, 1, tzinfo=dt.UTC), cal) == cal.end_of_day(due)


@pytest.mark.parametrize(("start", "due"), [
    ("2026-06-05T10:00", "2026-09-07T16:00:00.000000Z"),  # Saturday 09-05 -> Monday 09-07
    ("2026-07-02T10:00", "2026-10-08T16:00:00.000000Z"),  # 10-02, inside National Day -> 10-08
])
def test_the_implementation_report_of_a_decision_lands_on_a_working_day(core: Juece, clock: Clock, start: str,
                                                                         due: str) -> None:
    did = new_decision(core)
    to_implementation(core, clock, did)  # published in April
    clock.set(start)
    core.act(did, "report_progress", "executor", {"report": "执行情况"})
    with core.db.read() as conn:
        rows = [d for d in show_decision(conn, core.catalog, did, clock.now)["deadlines"]
                if d["key"] == "implementation_report" and d["kind"] == "due" and d["status"] == "open"]
    assert [d["due_at"] for d in rows] == [due]


def test_the_catalogue_deadline_of_the_office_lands_on_a_working_day(core: Juece, clock: Clock) -> None:
    clock.set("2024-01-10T10:00")
    did = new_decision(core)
    core.act(did, "initiate", "owner", {"owner_unit": "城建办"})
    with core.db.read() as conn:
        due = [d["due_at"] for d in list_deadlines(conn) if d["key"] == "catalogue_publication" and d["kind"] == "due"]
    assert due == ["2024-04-01T16:00:00.000000Z"]  # 2024-03-31 is a Sunday


def test_awaiting_rows_are_never_fired_and_office_wide_ones_are_kept_once(core: Juece, clock: Clock) -> None:
    clock.set("2026-12-10T10:00")
    first, second = new_decision(core), new_decision(core)
    for did in (first, second):
        core.act(did, "initiate", "owner", {"owner_unit": "城建办"})
    with core.db.read() as conn:
        waiting = list_deadlines(conn, status="awaiting")
    # One office, one yearly catalogue: the second initiation found the first's awaiting row.
    assert [(r["key"], r["decision_id"], r["awaiting_year"]) for r in waiting] == [("catalogue_publication", None, 2027)]
    clock.set("2027-06-01T10:00")  # long past every instant, and 2027 still has no calendar
    result = scan(core)
    assert (result.overdue, result.reminders, result.stalls, result.resolved) == (0, 0, 0, 0)
    assert result.calendar_notices == 0  # the office has no administrator
    admin.import_calendar(core, FIXTURE_2027)
    with core.db.read() as conn:
        rows = conn.execute(select(DL.c.kind, DL.c.status, DL.c.due_at).where(
            DL.c.key == "catalogue_publication")).all()
    # Computed at the import, once; the reminder two weeks before is already past, so only the due row.
    assert [(r.kind, r.status, r.due_at) for r in rows] == [("due", "open", dt.datetime(2027, 3, 31, 16))]
    assert scan(core).overdue == 1


def test_an_extension_into_a_missing_year_waits_for_its_reminders(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    core.act(did, "record_participation", "owner", {"method": "symposium", "summary": "座谈会"})
    clock.set("2026-12-01T10:00")
    core.act(did, "submit_legality_review", "owner")
    from workflow.timing.deadline_changes import change_deadline

    change_deadline(core, did, "legality_review_due", "chief", "材料较多", D(2027, 1, 15), password=PASSWORD)
    with core.db.read() as conn:
        rows = [(d["kind"], d["status"], d["awaiting_year"]) for d in show_decision(
            conn, core.catalog, did, clock.now)["deadlines"] if d["key"] == "legality_review_due"]
    assert ("due", "awaiting", 2027) in rows
    admin.import_calendar(core, FIXTURE_2027)
    with core.db.read() as conn:
        rows = [(d["kind"], d["due_at"]) for d in show_decision(conn, core.catalog, did, clock.now)["deadlines"]
                if d["key"] == "legality_review_due" and d["status"] == "open"]
    assert ("due", "2027-01-15T16:00:00.000000Z") in rows and len(rows) == 3


def test_administrators_are_told_daily_from_the_configured_day(core: Juece, clock: Clock) -> None:
    admin.add_user(core, "管理员", ["admin"], "古塘街道")
    admin.add_user(core, "外管理员", ["admin"], "外街道")
    clock.set("2026-10-31T10:00")
    assert scan(core).calendar_notices == 0  # before 1 November: 2027 is not due yet
    assert scan(core, calendar_notice_from=(10, 15)).calendar_notices == 2  # an earlier configured day
    assert scan(core, calendar_notice_from=(10, 15)).calendar_notices == 0  # once per office and day
    clock.set("2026-11-01T08:00")
    assert scan(core).calendar_notices == 2
    clock.set("2026-11-02T08:00")
    result = scan(core)
    assert (result.calendar_notices, result.notifications) == (2, 2)
    with core.db.read() as conn:
        notes = conn.execute(select(N.c.org_id, N.c.kind, N.c.payload).where(N.c.kind == "calendar")).all()
    assert len(notes) == 6 and all(n.payload["years"] == [2027] for n in notes)
    admin.import_calendar(core, FIXTURE_2027)
    clock.set("2026-11-03T08:00")
    assert scan(core).calendar_notices == 0


def test_the_notice_day_is_a_typed_setting() -> None:
    assert load_settings({}).calendar_notice_from == (11, 1)
    assert load_settings({"JUECE_CALENDAR_NOTICE_FROM": "10-15"}).calendar_notice_from == (10, 15)
    assert month_day("02-29") == (2, 29)
    for bad in ("13-01", "11", "eleven", "11-31"):
        with pytest.raises(ValueError, match="MM-DD"):
            month_day(bad)


def test_years_to_import() -> None:
    cal = WorkCalendar()
    assert years_to_import(cal, D(2026, 10, 31)) == []
    assert years_to_import(cal, D(2026, 11, 1)) == [2027]
    assert years_to_import(cal, D(2027, 1, 4)) == [2027]  # the year itself, still missing
    assert years_to_import(WorkCalendar(imported_years=frozenset({2027})), D(2026, 12, 1)) == []


def test_a_comment_window_closing_in_a_missing_year_is_dated_and_shown(core: Juece, clock: Clock) -> None:
    clock.set("2026-12-10T10:00")
    did = new_decision(core)
    to_consultation(core, did)
    core.act(did, "open_public_comment", "owner", {
        "opens_at": local_iso(clock.now), "closes_at": "2027-01-05T17:00:00+08:00", "short_reason": "紧急"})
    with core.db.read() as conn:
        info = show_decision(conn, core.catalog, did, clock.now)
    close = [d for d in info["deadlines"] if d["key"] == "public_comment_close" and d["kind"] == "due"]
    assert [(d["status"], d["due_at"]) for d in close] == [("open", "2027-01-05T09:00:00.000000Z")]


def test_an_overdue_alerts_escalation_waits_for_the_calendar(core: Juece, clock: Clock) -> None:
    admin.update_org_settings(core, "古塘街道", {"supervisor": "chief", "escalation_working_days": 2})
    did = new_decision(core)
    to_consultation(core, did)
    core.act(did, "record_participation", "owner", {"method": "symposium", "summary": "座谈会"})
    clock.set("2026-12-15T10:00")
    scan(core)  # this year's catalogue (due 03-31) is long overdue: alerted now, escalated within 2026
    core.act(did, "submit_legality_review", "owner")  # 10 working days: due at the end of Tue 12-29
    clock.set("2026-12-30T09:00")
    assert scan(core).overdue == 1  # 2 working days later reaches 2027: the escalation waits, nothing is lost
    with core.db.read() as conn:
        fired = conn.execute(select(DL.c.escalate_at, DL.c.awaiting).where(
            DL.c.key == "legality_review_due", DL.c.kind == "due")).one()
    assert fired.escalate_at is None and fired.awaiting["year"] == 2027
    assert admin.import_calendar(core, FIXTURE_2027)["resolved"]["escalations"] == 1
    with core.db.read() as conn:
        fired = conn.execute(select(DL.c.escalate_at, DL.c.awaiting).where(
            DL.c.key == "legality_review_due", DL.c.kind == "due")).one()
    # From Wed 12-30: Thu 12-31, then the fixture's New Year (01-01..03), then Mon 01-04.
    assert (fired.escalate_at, fired.awaiting) == (dt.datetime(2027, 1, 4, 16), None)
    clock.set("2027-01-05T09:00")
    assert scan(core).escalations == 1
