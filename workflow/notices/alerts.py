"""The deadline scan: due reminders, overdue alerts, escalations and stalls become notifications.

One scan is one short transaction. Due rows are selected by index and locked with ``FOR UPDATE SKIP
LOCKED`` (PostgreSQL; SQLite serialises writers), marked in the same transaction that writes the
notifications and their deliveries (the outbox), so two beats running at once cannot notify twice:
the second sees the rows already marked, and the unique ``dedupe`` keys refuse a duplicate anyway.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, insert, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnClause

from workflow.admin import deputies, people
from workflow.engine.context import Office, utc_iso
from workflow.engine.errors import CalendarMissing, NotFound
from workflow.persistence.store import DL, DY, ORG, D, N, Store, U, aware, naive
from workflow.service import Juece
from workflow.timing.awaiting import resolve_if_covered
from workflow.timing.calendar import NOTICE_FROM_DEFAULT, SHANGHAI, WorkCalendar, years_to_import
from workflow.timing.deadlines import compute
from workflow.views.visibility import public_only

CST = SHANGHAI
# Literals, not bound parameters: a prepared statement's generic plan can then still prove the partial
# indexes' conditions (status = 'open' / 'fired') and use them (bench/README.md, deadline scan).
OPEN: ColumnClause[str] = literal_column("'open'")
FIRED: ColumnClause[str] = literal_column("'fired'")


@dataclass(slots=True)
class ScanResult:
    """What one scan did."""

    reminders: int = 0
    overdue: int = 0
    escalations: int = 0
    stalls: int = 0
    notifications: int = 0
    deliveries: int = 0
    resolved: int = 0  # deadlines and stall clocks computed because their year's calendar arrived
    calendar_notices: int = 0  # offices whose administrators were told to import a year's notice
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Machine-readable form."""
        return {"reminders": self.reminders, "overdue": self.overdue, "escalations": self.escalations,
                "stalls": self.stalls, "notifications": self.notifications, "deliveries": self.deliveries,
                "resolved": self.resolved, "calendar_notices": self.calendar_notices, "problems": self.problems}


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(CST).strftime("%Y-%m-%d %H:%M")


def _last_day(due: dt.datetime) -> str:
    """A period ends at 24:00 of its last day: say that day, not the midnight after it."""
    return (due - dt.timedelta(microseconds=1)).astimezone(CST).strftime("%Y-%m-%d") + " 24:00"


class _Writer:
    """Writes notifications and deliveries for one scan, inside its transaction."""

    def __init__(self, conn: Connection, now: dt.datetime, result: ScanResult) -> None:
        self.conn, self.now, self.result = conn, now, result
        self.pg = conn.dialect.name == "postgresql"
        self.orgs: dict[int, Any] = {}

    def org(self, org_id: int) -> Any:
        if org_id not in self.orgs:
            self.orgs[org_id] = self.conn.execute(select(ORG).where(ORG.c.id == org_id)).one()
        return self.orgs[org_id]

    def recipients(self, org_id: int, roles: Iterable[str], owner_id: int | None) -> list[Any]:
        """People of the office behind the deadline's recipient roles (owner = the decision's owner)."""
        wanted = set(roles)
        people = self.conn.execute(select(U.c.id, U.c.name, U.c.email, U.c.roles).where(
            U.c.org_id == org_id, U.c.active.is_(True)).order_by(U.c.id)).all()  # one order on every database
        supervisors = {s.strip() for s in str(self.org(org_id).settings.get("supervisor") or "").split(",") if s.strip()}
        chosen = []
        for person in people:
            if public_only(person.roles):
                continue  # deadlines concern officials' work; a citizen is never told of it (workflow.views.visibility)
            if ("owner" in wanted and person.id == owner_id) or (
                    "supervisor" in wanted and person.name in supervisors) or (
                    set(person.roles) & (wanted - {"owner", "supervisor"})):
                chosen.append(person)
        return chosen

    def notify(self, *, org_id: int, decision_id: int | None, deadline_id: int | None, kind: str, key: str,
               subject: str, body: str, payload: dict[str, Any], people: list[Any], office_channel: bool = True) -> None:
        """One inbox notification per person, an e-mail delivery for those with an address, and one
        webhook delivery for the office's group channel when it has one (and ``office_channel``)."""
        settings = self.org(org_id).settings
        targets: list[tuple[Any, str | None]] = [(p, None) for p in people]
        if office_channel and settings.get("webhook_url"):
            targets.append((None, "webhook"))
        for person, channel in targets:
            dedupe = f"{key}:{kind}:" + (f"u{person.id}" if person is not None else "office")
            values = {"org_id": org_id, "decision_id": decision_id, "deadline_id": deadline_id,
                      "user_id": person.id if person is not None else None, "kind": kind, "subject": subject,
                      "body": body, "payload": payload, "dedupe": dedupe, "created_at": naive(self.now)}
            dialect_insert = postgresql.insert if self.pg else sqlite.insert
            inserted = self.conn.execute(dialect_insert(N).values(**values).on_conflict_do_nothing(
                index_elements=["dedupe"]).returning(N.c.id)).scalar()
            if inserted is None:  # already notified (a concurrent or repeated scan)
                continue
            self.result.notifications += 1
            sends = []
            if person is not None and person.email:
                sends.append(("email", person.email))
            if channel == "webhook":
                sends.append(("webhook", str(settings["webhook_url"])))
            for chan, target in sends:
                self.conn.execute(insert(DY).values(
                    notification_id=inserted, channel=chan, target=target, idempotency_key=f"{dedupe}:{chan}",
                    status="pending", attempts=0, next_attempt_at=naive(self.now), last_error="",
                    created_at=naive(self.now)))
                self.result.deliveries += 1


def scan(core: Juece, now: dt.datetime | None = None, limit: int = 500,
         calendar_notice_from: tuple[int, int] = NOTICE_FROM_DEFAULT) -> ScanResult:
    """Fire every due reminder and deadline, escalate unacknowledged overdue items, flag stalls, and tell
    administrators when a year's calendar is missing (from ``calendar_notice_from``, month and day, on)."""
    now = now or core.clock()
    result = ScanResult()
    with core.db.write() as conn:
        writer = _Writer(conn, now, result)
        st = Store(conn)
        cal = core.calendar_for(st, st.system_seq())
        # First: rows that awaited a year now covered (a newer package brought it) become due rows.
        resolved = resolve_if_covered(conn, now, cal)
        result.resolved = resolved.deadlines + resolved.stalls + resolved.escalations
        _fire_due(core, st, writer, now, limit)
        _escalate(core, st, writer, now, limit)
        _stalls(core, writer, now, limit)
        _calendar_notice(writer, now, cal, calendar_notice_from)
    deputies.expire(core, now)  # a deputy grant that ran out is recorded in the system stream once
    return result


def _calendar_notice(writer: _Writer, now: dt.datetime, cal: WorkCalendar, notice_from: tuple[int, int]) -> None:
    """Once a day per office, each administrator is told which year's holiday notice to import."""
    today = cal.local_date(now)
    missing = years_to_import(cal, today, notice_from)
    if not missing:
        return
    years = "、".join(str(y) for y in missing)
    conn = writer.conn
    for org_id, org_name in conn.execute(select(ORG.c.id, ORG.c.name).order_by(ORG.c.id)).all():
        key = f"calendar:{org_id}:{today.isoformat()}"
        people = writer.recipients(org_id, ["admin"], None)
        wanted = {f"{key}:calendar:u{p.id}" for p in people}
        if not wanted or len(conn.execute(select(N.c.id).where(N.c.dedupe.in_(wanted))).all()) == len(wanted):
            continue  # no administrator, or all of them told today already
        waiting = conn.execute(select(func.count()).select_from(DL).where(
            DL.c.status == "awaiting", DL.c.org_id == org_id)).scalar_one()
        waiting += conn.execute(select(func.count()).select_from(D).where(
            D.c.stall_awaiting.is_not(None), D.c.org_id == org_id)).scalar_one()
        writer.notify(
            org_id=org_id, decision_id=None, deadline_id=None, kind="calendar", key=key,
            subject=f"【日历】请导入{years}年法定节假日安排",
            body=(f"{org_name}\n系统尚无{years}年的国务院办公厅节假日安排数据，无法计算该年的工作日。"
                  f"目前有 {waiting} 项期限等待该日历。通知发布后，请系统管理员用“juece calendar import 文件”导入。\n"
                  f"No official calendar for {', '.join(map(str, missing))}: the system administrator imports the State "
                  f"Council holiday notice (juece calendar import FILE); {waiting} deadline(s) are waiting for it."),
            payload={"years": missing, "awaiting": int(waiting), "day": today.isoformat()},
            people=people, office_channel=False)
        writer.result.calendar_notices += 1


def _labels(core: Juece, decision: Any, key: str) -> tuple[str, str]:
    """The deadline's name; an office-wide one (no decision) is named by any procedure that defines it."""
    procedures = [core.catalog.get(f"{decision.procedure_id}@{decision.procedure_version}")] if decision else (
        core.catalog.all())
    deadline = next((p.deadlines[key] for p in procedures if key in p.deadlines), None)
    return (deadline.label.zh, deadline.label.en) if deadline else (key, key)


def _fire_due(core: Juece, st: Store, writer: _Writer, now: dt.datetime, limit: int) -> None:
    rows = st.conn.execute(
        select(DL).where(DL.c.status == OPEN, DL.c.fire_at <= naive(now)).order_by(DL.c.fire_at).limit(limit)
        .with_for_update(skip_locked=True)).all()
    calendars: dict[int, WorkCalendar] = {}
    for row in rows:
        decision = st.conn.execute(select(D).where(D.c.id == row.decision_id)).first() if row.decision_id else None
        title = decision.title if decision else writer.org(row.org_id).name
        zh, en = _labels(core, decision, row.key)
        due = aware(row.due_at)
        assert due is not None
        kind = "reminder" if row.kind == "reminder" else "overdue"
        if kind == "reminder" and due <= now:
            # Caught up after an outage: the overdue alert says it all; a stale reminder would only confuse.
            st.conn.execute(update(DL).where(DL.c.id == row.id).values(status="fired", fired_at=naive(now)))
            continue
        if kind == "reminder":
            subject = f"【提醒】{title}：{zh}将于{_last_day(due)}届满"
            body = f"{title}\n{zh}（{row.article}）将于 {_last_day(due)} 届满。\n{en} is due {utc_iso(due)}."
            result_field = "reminders"
        else:
            subject = f"【逾期】{title}：{zh}已于{_last_day(due)}届满"
            body = f"{title}\n{zh}（{row.article}）已于 {_last_day(due)} 届满，请尽快处理。\n{en} was due {utc_iso(due)}."
            result_field = "overdue"
        people = writer.recipients(row.org_id, row.recipients, decision.owner_id if decision else None)
        writer.notify(org_id=row.org_id, decision_id=row.decision_id, deadline_id=row.id, kind=kind,
                      key=f"deadline:{row.id}", subject=subject, body=body,
                      payload={"deadline": row.id, "key": row.key, "due_at": utc_iso(due), "article": row.article,
                               "decision": row.decision_id, "title": title},
                      people=people)
        setattr(writer.result, result_field, getattr(writer.result, result_field) + 1)
        escalate_at, awaiting = None, None
        if kind == "overdue":
            org = writer.org(row.org_id)
            office = Office(org.id, org.name, dict(org.settings))
            cal = calendars.setdefault(int(row.org_id), core.calendar_for(st, st.system_seq(), int(row.org_id)))
            escalation = {"kind": "working_days", "days": int(office.setting("escalation_working_days"))}
            try:
                escalate_at = compute(escalation, now, cal)
            except CalendarMissing as missing:  # the escalation waits for that year's calendar (awaiting.py)
                awaiting = {"escalation": True, "rule": escalation, "start": utc_iso(now),
                            "year": int(missing.details["year"])}
        st.conn.execute(update(DL).where(DL.c.id == row.id).values(
            status="fired", fired_at=naive(now), escalate_at=naive(escalate_at) if escalate_at else None,
            awaiting=awaiting))


def _escalate(core: Juece, st: Store, writer: _Writer, now: dt.datetime, limit: int) -> None:
    rows = st.conn.execute(
        select(DL).where(DL.c.status == FIRED, DL.c.escalated_at.is_(None), DL.c.acknowledged_at.is_(None),
                         DL.c.escalate_at <= naive(now)).order_by(DL.c.escalate_at).limit(limit)
        .with_for_update(skip_locked=True)).all()
    for row in rows:
        decision = st.conn.execute(select(D).where(D.c.id == row.decision_id)).first() if row.decision_id else None
        title = decision.title if decision else writer.org(row.org_id).name
        zh, _ = _labels(core, decision, row.key)
        people = writer.recipients(row.org_id, ["supervisor"], None)
        writer.notify(org_id=row.org_id, decision_id=row.decision_id, deadline_id=row.id, kind="escalation",
                      key=f"deadline:{row.id}", subject=f"【督办】{title}：{zh}逾期未处理",
                      body=f"{title}\n{zh}（{row.article}）逾期后仍未确认处理，请督办。\nOverdue and not acknowledged.",
                      payload={"deadline": row.id, "key": row.key, "decision": row.decision_id}, people=people)
        writer.result.escalations += 1
        st.conn.execute(update(DL).where(DL.c.id == row.id).values(escalated_at=naive(now)))


def _stalls(core: Juece, writer: _Writer, now: dt.datetime, limit: int) -> None:
    conn = writer.conn
    rows = conn.execute(select(D).where(D.c.stall_due_at.is_not(None), D.c.stall_due_at <= naive(now))
                        .order_by(D.c.stall_due_at).limit(limit).with_for_update(skip_locked=True)).all()
    for row in rows:
        people = writer.recipients(row.org_id, ["owner", "supervisor"], row.owner_id)
        since = aware(row.updated_at)
        assert since is not None
        writer.notify(org_id=row.org_id, decision_id=row.id, deadline_id=None, kind="stall",
                      key=f"stall:{row.id}:v{row.version}", subject=f"【久拖不决】{row.title}：自{_local(since)}起无进展",
                      body=f"{row.title}\n自 {_local(since)} 起没有任何办理（Art. 38 久拖不决）。\nNo action since then.",
                      payload={"decision": row.id, "since": utc_iso(since)}, people=people)
        writer.result.stalls += 1
        # The next action restarts the clock; until then one alert per quiet period is enough.
        conn.execute(update(D).where(D.c.id == row.id).values(stall_due_at=None))


def acknowledge(core: Juece, notification_id: int, user: str) -> dict[str, Any]:
    """A person acknowledges a notification (theirs or their office's); an overdue item stops escalating."""
    now = core.clock()
    with core.db.write() as conn:
        person = people.find_person(conn, user)
        row = conn.execute(select(N).where(N.c.id == notification_id)).first()
        if person is None or row is None or row.org_id != person.org_id or (
                row.user_id is not None and row.user_id != person.id):
            raise NotFound(f"没有这条通知：{notification_id}", f"no such notification: {notification_id}")
        if row.acknowledged_at is None:
            conn.execute(update(N).where(N.c.id == notification_id).values(
                acknowledged_at=naive(now), acknowledged_by=person.id))
            if row.deadline_id:
                conn.execute(update(DL).where(DL.c.id == row.deadline_id, DL.c.acknowledged_at.is_(None))
                             .values(acknowledged_at=naive(now)))
    return {"notification": notification_id, "acknowledged_by": user, "at": utc_iso(now)}


def notify_roles(conn: Connection, now: dt.datetime, *, org_id: int, decision_id: int, roles: Iterable[str],
                 owner_id: int | None, kind: str, key: str, subject: str, body: str,
                 payload: dict[str, Any]) -> int:
    """Notify the office's people in ``roles`` about an event (inbox, e-mail, webhook), once per ``key``."""
    result = ScanResult()
    writer = _Writer(conn, now, result)
    writer.notify(org_id=org_id, decision_id=decision_id, deadline_id=None, kind=kind, key=key, subject=subject,
                  body=body, payload=payload, people=writer.recipients(org_id, roles, owner_id))
    return result.notifications
