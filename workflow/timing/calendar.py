"""China's official working days, and the counting rules for calendar-day and working-day periods.

Data: the ``chinesecalendar`` package (State Council notices 2004-2026) plus an override table that
offices fill in, or import from a year's notice (``juece calendar import FILE``). A date in a year
with neither is an error naming the year, never a Monday-to-Friday guess.

Counting (民法典 Art. 201, 203): a period does not count its first day; a calendar-day period whose
last day is a rest day ends on the next working day. Deadlines fall due at the end (24:00 local
time) of their last day.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml

from workflow.engine.errors import CalendarMissing, InvalidInput

#: China Standard Time: the one time zone of juece, for counting and for showing alike. A period ends at
#: 24:00 of its last day (民法典 art. 203) in the zone of the State Council's working-day calendar; that is a
#: legal fact, not a preference, so it is no setting (config.settings) and no other module names a zone.
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


PACKAGE_YEARS = frozenset(y for y in range(2000, 2040) if _package_knows(y))


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Working-day arithmetic over the package data, office overrides and imported year notices."""

    overrides: Mapping[dt.date, bool] = field(default_factory=dict)
    imported_years: frozenset[int] = frozenset()
    tz: ClassVar[ZoneInfo] = SHANGHAI  # not a field: no calendar counts in another zone
    # The calendar is immutable, so answers can be kept: chinesecalendar's own lookup is slow.
    _known: dict[dt.date, bool] = field(default_factory=dict, compare=False, repr=False)

    def has_year(self, year: int) -> bool:
        """True when official data for ``year`` is on record."""
        return year in PACKAGE_YEARS or year in self.imported_years

    def is_workday(self, day: dt.date) -> bool:
        """Whether ``day`` is an official working day (调休 make-up days included)."""
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._lookup(day)
        return known

    def _lookup(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day.year in PACKAGE_YEARS:
            return bool(chinese_calendar.is_workday(day))
        if day.year in self.imported_years:
            # A year's notice lists its holidays and make-up days; every other day keeps the week.
            return day.weekday() < 5
        raise CalendarMissing(
            f"没有{day.year}年的法定节假日数据，无法计算工作日；请导入国务院办公厅{day.year}年节假日安排通知",
            f"no calendar for {day.year}: import that year's official holiday notice first",
            details={"year": day.year},
        )

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The ``days``-th working day after ``start`` (the first day is not counted)."""
        day, left = start, days
        while left > 0:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                left -= 1
        return day

    def working_days_before(self, end: dt.date, days: int) -> dt.date:
        """The working day ``days`` working days before ``end`` (``end`` itself when 0)."""
        day, left = end, days
        while left > 0:
            day -= dt.timedelta(days=1)
            if self.is_workday(day):
                left -= 1
        return day

    def add_calendar_days(self, start: dt.date, days: int) -> dt.date:
        """Last day of a ``days``-day period starting on ``start`` (Art. 201, 203 of the Civil Code)."""
        return self.on_or_after(start + dt.timedelta(days=days))

    def on_or_after(self, day: dt.date) -> dt.date:
        """``day`` if it is a working day, else the next one (Art. 203: a period ending on a rest day)."""
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    def on_or_before(self, day: dt.date) -> dt.date:
        """``day`` if it is a working day, else the working day before it."""
        while not self.is_workday(day):
            day -= dt.timedelta(days=1)
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative when end < start)."""
        if end < start:
            return -self.working_days_between(end, start)
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count

    def local_date(self, moment: dt.datetime) -> dt.date:
        """The Asia/Shanghai date of an instant."""
        return moment.astimezone(self.tz).date()

    def end_of_day(self, day: dt.date) -> dt.datetime:
        """The instant (UTC) at which a period ending on ``day`` runs out: 24:00 local time."""
        local = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=self.tz)
        return local.astimezone(dt.UTC)

    def start_of_day(self, day: dt.date, hour: int = 9) -> dt.datetime:
        """An instant on ``day`` (default 09:00 local) for reminders sent during office hours."""
        return dt.datetime.combine(day, dt.time(hour), tzinfo=self.tz).astimezone(dt.UTC)


#: From this day of the year (month, day) administrators are reminded to import next year's notice; the
#: State Council usually publishes it in November or December.
NOTICE_FROM_DEFAULT = (11, 1)


def years_to_import(cal: WorkCalendar, today: dt.date, notice_from: tuple[int, int] = NOTICE_FROM_DEFAULT) -> list[int]:
    """Years whose notice should be imported now: this year if missing, and next year from ``notice_from`` on."""
    wanted = [today.year]
    if today >= dt.date(today.year, *notice_from):
        wanted.append(today.year + 1)
    return [year for year in wanted if not cal.has_year(year)]


@dataclass(frozen=True, slots=True)
class YearNotice:
    """A year's official holiday notice as an office enters it."""

    year: int
    source: str
    days: Mapping[dt.date, tuple[bool, str]]


_RANGE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*(?:(?:~|\.\.|至|to)\s*(\d{4}-\d{2}-\d{2}))?\s*$")


def _expand(entry: Any, where: str) -> list[dt.date]:
    if isinstance(entry, dt.date):
        return [entry]
    match = _RANGE.match(str(entry))
    if not match:
        raise InvalidInput(f"{where}: 无法识别的日期“{entry}”", f"{where}: not a date or range: {entry!r}",
                           details={"field": where})
    first = dt.date.fromisoformat(match.group(1))
    last = dt.date.fromisoformat(match.group(2)) if match.group(2) else first
    if last < first:
        raise InvalidInput(f"{where}: 日期范围颠倒", f"{where}: range ends before it starts: {entry}",
                           details={"field": where})
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _entries(node: Any, where: str) -> Iterable[tuple[str, Any]]:
    if node is None:
        return []
    if isinstance(node, Mapping):
        return [(str(name), item) for name, items in node.items() for item in (items or [])]
    if isinstance(node, list):
        return [("", item) for item in node]
    raise InvalidInput(f"{where} 应为列表", f"'{where}' must be a list or a mapping", details={"field": where})


def parse_year_notice(path: str | Path) -> YearNotice:
    """Read a year notice file (YAML: year, source, holidays, workdays; ranges as ``A ~ B``)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"无法读取节假日文件：{exc}", f"cannot read the holiday file: {exc}",
                           details={"field": "file"}) from exc
    return parse_notice_text(text)


def parse_notice_text(text: str) -> YearNotice:
    """A year notice from its YAML text (as uploaded on the administration page)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"无法读取节假日文件：{exc}", f"cannot read the holiday file: {exc}",
                           details={"field": "file"}) from exc
    except RecursionError as exc:
        raise InvalidInput("无法读取节假日文件：嵌套过深", "cannot read the holiday file: nested too deeply",
                           details={"field": "file"}) from exc
    if not isinstance(raw, Mapping) or not isinstance(raw.get("year"), int):
        raise InvalidInput("节假日文件应写明年份（year: 2027）", "the holiday file must give 'year: YYYY'",
                           details={"field": "year"})
    year = int(raw["year"])
    days: dict[dt.date, tuple[bool, str]] = {}
    for key, workday in (("holidays", False), ("workdays", True)):
        for name, entry in _entries(raw.get(key), key):
            for day in _expand(entry, key):
                if day.year != year:
                    raise InvalidInput(f"{day} 不属于 {year} 年", f"{day} is not in {year}",
                                       details={"field": key})
                if day in days and days[day][0] != workday:
                    raise InvalidInput(f"{day} 同时列为假日和工作日", f"{day} is both a holiday and a workday",
                                       details={"field": key})
                days[day] = (workday, name)
    if not days:
        raise InvalidInput("节假日文件没有列出任何日期", "the holiday file lists no dates", details={"field": "holidays"})
    return YearNotice(year=year, source=str(raw.get("source", "")), days=days)
