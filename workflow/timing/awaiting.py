"""Deadlines awaiting the calendar: computed as soon as the year they need has official data.

A deadline or stall clock that needs a year without a State Council notice is stored without instants
(``deadlines.schedule``). This module computes them the moment that year arrives: in the transaction
that imports the notice or sets a day, and in every deadline scan (a newer ``chinesecalendar`` package
may bring the year). It also tells which years are covered, for ``juece calendar status``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from sqlalchemy import Connection, delete, func, or_, select, update

from workflow.engine.context import parse_iso, utc_iso
from workflow.engine.errors import CalendarMissing
from workflow.persistence.store import CY, DL, D, Store, naive
from workflow.timing import deadlines
from workflow.timing.calendar import PACKAGE_YEARS, WorkCalendar, years_to_import


@dataclass(slots=True)
class Resolved:
    """What one pass over the awaiting rows did."""

    deadlines: int = 0
    stalls: int = 0
    escalations: int = 0  # overdue alerts whose escalation instant awaited the calendar
    still_awaiting: int = 0

    def as_dict(self) -> dict[str, int]:
        """Machine-readable form."""
        return {"deadlines": self.deadlines, "stalls": self.stalls, "escalations": self.escalations,
                "still_awaiting": self.still_awaiting}


def current_calendar(conn: Connection, org_id: int | None = None) -> WorkCalendar:
    """Office ``org_id``'s calendar (national when None) as this transaction sees it (not cached: an import in
    progress is included)."""
    days, years = Store(conn).calendar(org_id)
    return WorkCalendar(days, frozenset(years))


def _per_office(conn: Connection) -> Callable[[int], WorkCalendar]:
    """Each office's calendar, read once per office in this pass."""
    known: dict[int, WorkCalendar] = {}

    def of(org_id: int) -> WorkCalendar:
        if org_id not in known:
            known[org_id] = current_calendar(conn, org_id)
        return known[org_id]

    return of


#: Deadline rows that wait for a year: a whole deadline (status awaiting), or an overdue alert's escalation.
_WAITING = (DL.c.awaiting.is_not(None), DL.c.status.in_(["awaiting", "fired"]))


def awaited_years(conn: Connection) -> set[int]:
    """The years that awaiting deadlines and stall clocks wait for (partial indexes keep this cheap)."""
    years = {int(a["year"]) for (a,) in conn.execute(select(DL.c.awaiting).where(*_WAITING))}
    years |= {int(a["year"]) for (a,) in conn.execute(select(D.c.stall_awaiting).where(
        D.c.stall_awaiting.is_not(None)))}
    return years


def resolve_awaiting(conn: Connection, now: dt.datetime) -> Resolved:
    """Compute every awaiting deadline (with its reminders) and stall clock that its office's calendar now allows."""
    calendar_of = _per_office(conn)
    result = Resolved()
    # Lock the decisions first, in id order, then their deadline rows: the order every action takes them.
    waiting_on = select(DL.c.decision_id).where(DL.c.status == "awaiting", DL.c.decision_id.is_not(None))
    decisions = conn.execute(
        select(D.c.id, D.c.org_id, D.c.stall_awaiting).where(or_(D.c.stall_awaiting.is_not(None), D.c.id.in_(waiting_on)))
        .order_by(D.c.id).with_for_update()).all()
    for decision in decisions:
        if decision.stall_awaiting is None:
            continue
        basis = dict(decision.stall_awaiting)
        try:
            stall_at = deadlines.compute(basis["rule"], parse_iso(basis["start"]), calendar_of(int(decision.org_id)))
        except CalendarMissing as missing:
            result.still_awaiting += 1
            conn.execute(update(D).where(D.c.id == decision.id).values(
                stall_awaiting=basis | {"year": int(missing.details["year"])}))
            continue
        conn.execute(update(D).where(D.c.id == decision.id).values(stall_due_at=naive(stall_at), stall_awaiting=None))
        result.stalls += 1
    rows = conn.execute(select(DL).where(*_WAITING).order_by(DL.c.id).with_for_update()).all()
    st = Store(conn)
    for row in rows:
        basis = dict(row.awaiting)
        cal = calendar_of(int(row.org_id))
        try:
            if row.status == "fired":  # an overdue alert whose escalation waited; moot once acknowledged
                moot = row.acknowledged_at is not None or row.escalated_at is not None
                escalate_at = None if moot else deadlines.compute(basis["rule"], parse_iso(basis["start"]), cal)
                conn.execute(update(DL).where(DL.c.id == row.id).values(
                    escalate_at=naive(escalate_at) if escalate_at else None, awaiting=None))
                result.escalations += 1
                continue
            due, *reminders = deadlines.resolve(str(row.key), list(row.recipients), str(row.article), basis, now,
                                                cal, int(row.org_id))
        except CalendarMissing as missing:  # it needs yet another year: wait for that one
            result.still_awaiting += 1
            conn.execute(update(DL).where(DL.c.id == row.id).values(
                awaiting=basis | {"year": int(missing.details["year"])}))
            continue
        assert due.fire_at is not None and due.due_at is not None
        if due.dedupe and conn.execute(select(DL.c.id).where(DL.c.dedupe == due.dedupe)).first():
            # The office-wide deadline of that day is on record already (opened after the year arrived).
            conn.execute(delete(DL).where(DL.c.id == row.id))
        else:
            conn.execute(update(DL).where(DL.c.id == row.id).values(
                status="open", fire_at=naive(due.fire_at), due_at=naive(due.due_at), dedupe=due.dedupe, awaiting=None))
            st.open_deadlines(int(row.org_id), row.decision_id, reminders, now)
        result.deadlines += 1
    return result


def resolve_if_covered(conn: Connection, now: dt.datetime, cal: WorkCalendar) -> Resolved:
    """In a scan: resolve only when some awaited year now has data (e.g. a newer package brought it)."""
    if not any(cal.has_year(year) for year in awaited_years(conn)):
        return Resolved()
    return resolve_awaiting(conn, now)


def package_version() -> str:
    """The installed ``chinesecalendar`` version (its data ends with the last notice it bundles)."""
    try:
        return version("chinesecalendar")
    except PackageNotFoundError:  # pragma: no cover - it is a dependency
        return "?"


def calendar_status(conn: Connection, today: dt.date, notice_from: tuple[int, int]) -> dict[str, Any]:
    """Covered years with their source, whether next year is missing, and what awaits the calendar."""
    package = f"chinesecalendar {package_version()}"
    imported = {int(r.year): r for r in conn.execute(select(CY).order_by(CY.c.year))}
    years = []
    for year in sorted(PACKAGE_YEARS | set(imported)):
        row = imported.get(year)
        entry: dict[str, Any] = {"year": year, "package": year in PACKAGE_YEARS, "source": package}
        if row is not None:
            entry |= {"imported": True, "source": row.source or "", "imported_by": row.imported_by,
                      "imported_at": utc_iso(row.imported_at.replace(tzinfo=dt.UTC))}
        years.append(entry)
    covered = {y["year"] for y in years}
    awaiting = conn.execute(select(func.count()).select_from(DL).where(DL.c.status == "awaiting")).scalar_one()
    stalls = conn.execute(select(func.count()).select_from(D).where(D.c.stall_awaiting.is_not(None))).scalar_one()
    cal = WorkCalendar(imported_years=frozenset(imported))
    return {
        "today": today.isoformat(), "package": package, "years": years,
        "current_year": {"year": today.year, "covered": today.year in covered},
        "next_year": {"year": today.year + 1, "covered": today.year + 1 in covered},
        "notice_from": f"{notice_from[0]:02d}-{notice_from[1]:02d}",
        "to_import": years_to_import(cal, today, notice_from),
        "awaiting": {"deadlines": int(awaiting), "stalls": int(stalls), "years": sorted(awaited_years(conn))},
    }
