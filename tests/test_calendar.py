"""Working days and the counting rules: official data, office overrides, imported notices, no guessing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.helpers import Clock, adopt_all, new_decision, run_public_comment, to_consultation
from workflow.admin import offices as admin
from workflow.engine.errors import CalendarMissing, InvalidInput, RuleViolation
from workflow.service import Juece
from workflow.timing.calendar import WorkCalendar, parse_year_notice

D = dt.date

NOTICE_2027 = """\
year: 2027
source: 测试用节假日安排（格式示例，非官方数据）
holidays:
  元旦: ["2027-01-01"]
  春节: ["2027-02-06 ~ 2027-02-12"]
workdays:
  - 2027-02-14
"""


@pytest.mark.parametrize(("start", "days", "due"), [
    # Spring Festival 2026: 02-15..02-23 off; Saturdays 02-14 and 02-28 are make-up working days.
    (D(2026, 2, 12), 7, D(2026, 2, 28)),
    (D(2026, 2, 12), 10, D(2026, 3, 4)),
    (D(2026, 1, 1), 1, D(2026, 1, 4)),  # Sunday 01-04 is a make-up working day
    (D(2026, 9, 28), 5, D(2026, 10, 10)),  # National Day 10-01..10-07; Saturday 10-10 works
])
def test_working_days_follow_the_official_calendar(start: D, days: int, due: D) -> None:
    assert WorkCalendar().add_working_days(start, days) == due


def test_calendar_day_period_excludes_the_first_day_and_rolls_past_rest_days() -> None:
    cal = WorkCalendar()
    assert cal.add_calendar_days(D(2026, 3, 2), 30) == D(2026, 4, 1)
    assert cal.add_calendar_days(D(2026, 3, 7), 30) == D(2026, 4, 7)  # 04-06 is Qingming, rolls to 04-07
    assert cal.add_calendar_days(D(2026, 9, 5), 30) == D(2026, 10, 8)  # lands in National Day week


def test_due_instant_is_midnight_shanghai() -> None:
    cal = WorkCalendar()
    assert cal.end_of_day(D(2026, 2, 28)) == dt.datetime(2026, 2, 28, 16, 0, tzinfo=dt.UTC)


def test_a_year_without_data_is_an_error_naming_the_year() -> None:
    with pytest.raises(CalendarMissing) as info:
        WorkCalendar().add_working_days(D(2026, 12, 28), 7)
    assert info.value.details == {"year": 2027}
    assert "2027" in info.value.zh and "no calendar for 2027" in info.value.en


def test_imported_notice_supplies_a_new_year(tmp_path: Path) -> None:
    path = tmp_path / "2027.yaml"
    path.write_text(NOTICE_2027, encoding="utf-8")
    notice = parse_year_notice(path)
    days = {d: w for d, (w, _) in notice.days.items()}
    cal = WorkCalendar(days, frozenset({2027}))
    assert not cal.is_workday(D(2027, 2, 8))  # a Monday inside the holiday
    assert cal.is_workday(D(2027, 2, 14))  # a Sunday make-up day
    assert cal.is_workday(D(2027, 2, 15)) and not cal.is_workday(D(2027, 2, 20))
    assert cal.add_working_days(D(2026, 12, 28), 7) == D(2027, 1, 7)


@pytest.mark.parametrize(("text", "field"), [
    ("source: x\nholidays: [2027-01-01]\n", "year"),
    ("year: 2027\nholidays: [2028-01-01]\n", "holidays"),
    ("year: 2027\nholidays: [2027-01-01]\nworkdays: [2027-01-01]\n", "workdays"),
    ("year: 2027\nholidays: ['2027-02-12 ~ 2027-02-06']\n", "holidays"),
    ("year: 2027\n", "holidays"),
])
def test_a_broken_notice_is_refused_with_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        parse_year_notice(path)
    assert info.value.details["field"] == field


def test_review_submitted_in_late_december_waits_for_next_years_calendar(core: Juece, clock: Clock,
                                                                        tmp_path: Path) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    run_public_comment(core, clock, did)
    adopt_all(core, did, ["comment:1"])
    clock.set("2026-12-28T10:00")
    # A requested date is checked only when the check can be made: 12-31 is too short whatever 2027 holds
    # (only 3 working days are left in 2026); 2027-01-08 needs 2027's calendar, and the refusal names the year.
    with pytest.raises(RuleViolation) as short:
        core.act(did, "submit_legality_review", "owner", {"due_on": "2026-12-31"})
    assert short.value.code == "review_period_too_short"
    with pytest.raises(CalendarMissing) as missing:
        core.act(did, "submit_legality_review", "owner", {"due_on": "2027-01-08"})
    assert missing.value.details == {"year": 2027, "check": "review_period_too_short"}
    assert missing.value.article == "Art. 26" and "2027" in missing.value.zh
    core.act(did, "submit_legality_review", "owner")  # no date requested: the office's limit, awaiting 2027
    with core.db.read() as conn:
        from workflow.views.queries import show_decision

        rows = [d for d in show_decision(conn, core.catalog, did, clock.now)["deadlines"]
                if d["key"] == "legality_review_due"]
    assert [(d["kind"], d["status"], d["due_at"], d["awaiting_year"]) for d in rows] == [
        ("due", "awaiting", None, 2027)]
    path = tmp_path / "2027.yaml"
    path.write_text(NOTICE_2027, encoding="utf-8")
    assert admin.import_calendar(core, path)["resolved"]["deadlines"] == 1
    with core.db.read() as conn:
        rows = [d for d in show_decision(conn, core.catalog, did, clock.now)["deadlines"]
                if d["key"] == "legality_review_due" and d["status"] == "open"]
    # 10 working days from Mon 2026-12-28 (the day it was submitted, not the day of the import):
    # 29,30,31, (01-01 off) 01-04..08, 01-11,12 -> 2027-01-12; reminders 2 WD before (01-08) and on the day.
    assert sorted((d["kind"], d["fire_at"]) for d in rows) == [
        ("due", "2027-01-12T16:00:00.000000Z"), ("reminder", "2027-01-08T01:00:00.000000Z"),
        ("reminder", "2027-01-12T01:00:00.000000Z")]


def test_an_office_override_changes_the_count_at_once(core: Juece, clock: Clock) -> None:
    did = new_decision(core)
    to_consultation(core, did)
    run_public_comment(core, clock, did)
    adopt_all(core, did, ["comment:1"])
    clock.set("2026-04-07T10:00")
    # A local typhoon day off on Friday 2026-04-10 pushes the 7th working day from 04-16 to 04-17.
    admin.set_calendar_day(core, D(2026, 4, 10), False, "台风停工")
    with pytest.raises(RuleViolation) as info:
        core.act(did, "submit_legality_review", "owner", {"due_on": "2026-04-16"})
    assert info.value.details["earliest"] == "2026-04-17"
