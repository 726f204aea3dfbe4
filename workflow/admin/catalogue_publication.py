"""Publishing the office's yearly catalogue of major decisions (年度重大行政决策事项目录公布).

Art. 3 para 3: the deciding office sets its catalogue of decision matters and, with the consent of
the Party committee at the same level, publishes it (Ningbo rule art. 12 makes it compulsory for
townships). The engine's ``catalogue_publication`` deadline (docs/procedure/cn-713.md, "Deadlines"; counting in docs/deadlines.md) is met by
this act: it is an office-level act, not a step of any one decision, so it is appended to the
hash-chained ``system`` stream and closes that office's deadline rows of that year. It also files
closed rows under the deadline's dedupe keys, so that a decision initiated later in the year
(which starts the office's deadline, deduplicated per office and due date) does not reopen it.
Publishing the same year again records an adjustment (目录调整, "并根据实际情况调整").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from workflow.engine import rules
from workflow.engine.catalog import Catalog
from workflow.engine.context import Office, utc_iso
from workflow.engine.definition import DeadlineDef
from workflow.engine.errors import CalendarMissing, Forbidden, InvalidInput, NotFound, RuleViolation
from workflow.persistence.store import DL, E, Store, naive
from workflow.service import Juece
from workflow.timing.calendar import SHANGHAI, WorkCalendar
from workflow.timing.deadlines import due_instant, fix_rule, rows_for, schedule

#: The deadline this act meets (its key in the procedure definitions).
DEADLINE_KEY = "catalogue_publication"
#: The audited event's action in the system stream.
ACTION = "catalogue_published"
#: Who records the office's catalogue: the chief executive (the office decides it, Art. 3), the
#: office's secretariat (党政综合办, which keeps the office's records) and administrators.
MAY_PUBLISH = frozenset({"chief_executive", "secretary", "admin"})
#: The first year a catalogue under Decree 713 can concern (in force 2019-09-01).
FIRST_YEAR = 2019
MAX_TEXT = 500


@dataclass(frozen=True, slots=True)
class CataloguePublication:
    """One recorded publication (or adjustment) of an office's yearly catalogue."""

    year: int
    revision: int
    reference: str
    channels: tuple[str, ...]
    published_on: dt.date
    party_consent: str
    by: str
    at: str

    def as_dict(self) -> dict[str, Any]:
        """Machine-readable form."""
        return {"year": self.year, "revision": self.revision, "reference": self.reference,
                "channels": list(self.channels), "published_on": self.published_on.isoformat(),
                "party_consent": self.party_consent, "by": self.by, "at": self.at}


def catalogue_deadline(catalog: Catalog) -> DeadlineDef | None:
    """The office-wide catalogue deadline of the newest procedure that defines one."""
    for procedure in reversed(catalog.all()):
        deadline = procedure.deadlines.get(DEADLINE_KEY)
        if deadline is not None and deadline.scope == "office":
            return deadline
    return None


def publications(conn: Connection, org_id: int, year: int | None = None) -> list[CataloguePublication]:
    """The office's recorded catalogue publications (of one year, if given), oldest first."""
    rows = conn.execute(select(E.c.event).where(E.c.stream == "system", E.c.action == ACTION).order_by(E.c.seq))
    out = []
    for event in rows.scalars():
        data = event["data"]
        if data.get("org_id") != org_id or (year is not None and data.get("year") != year):
            continue
        out.append(CataloguePublication(
            int(data["year"]), int(data["revision"]), str(data["reference"]), tuple(data.get("channels") or ()),
            dt.date.fromisoformat(data["published_on"]), str(data.get("party_consent") or ""),
            str(event["actor"]["name"]), str(event["at"])))
    return out


def _text(field: str, value: str) -> str:
    """A short text that every database stores (no NUL, no lone surrogates, at most 500 characters)."""
    text = value.strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = "\x00"
    if "\x00" in text or len(text) > MAX_TEXT:
        raise InvalidInput(f"字段“{field}”含有不允许的字符或过长", f"field '{field}' has invalid characters or is "
                           f"longer than {MAX_TEXT} characters", details={"field": field})
    return text


def _check(year: int, reference: str, party_consent: str, published_on: dt.date, today: dt.date) -> None:
    if not FIRST_YEAR <= year <= today.year + 1:
        raise InvalidInput(f"年度应在 {FIRST_YEAR}–{today.year + 1} 之间", f"the year must be between {FIRST_YEAR} "
                           f"and {today.year + 1}", details={"field": "year"})
    if published_on > today:
        raise InvalidInput("公布日期不能晚于今天", "the publication date is in the future",
                           details={"field": "published_on"})
    if published_on.year < year - 1:
        raise InvalidInput(f"{published_on.isoformat()} 不是 {year} 年度目录的公布日期",
                           f"{published_on.isoformat()} cannot be when the {year} catalogue was published",
                           details={"field": "published_on"})
    if not reference:
        raise RuleViolation.of(rules.CATALOGUE_REFERENCE_REQUIRED)
    if not party_consent:
        raise RuleViolation.of(rules.CATALOGUE_PARTY_CONSENT_REQUIRED)


def _meet_deadline(conn: Connection, pg: bool, org_id: int, deadline: DeadlineDef, office: Office, year: int,
                   now: dt.datetime, cal: WorkCalendar) -> int:
    """Close the office's rows due in ``year``; file closed rows under the keys a later start would use."""
    start = naive(dt.datetime(year, 1, 1, tzinfo=SHANGHAI))
    end = naive(dt.datetime(year + 1, 1, 1, tzinfo=SHANGHAI))
    # Rows due in ``year`` (a period ending 24:00 on 31 December is stored as 00:00 on 1 January).
    closed = conn.execute(update(DL).where(
        DL.c.org_id == org_id, DL.c.decision_id.is_(None), DL.c.key == deadline.key,
        DL.c.status.in_(["open", "fired", "paused"]), DL.c.due_at > start, DL.c.due_at <= end,
    ).values(status="closed", closed_at=naive(now))).rowcount
    # A deadline still awaiting that year's calendar (workflow.timing.deadlines.schedule) is met all the same.
    awaiting_key = f"{org_id}:{deadline.key}:awaiting:{year}-"
    closed += conn.execute(update(DL).where(
        DL.c.org_id == org_id, DL.c.decision_id.is_(None), DL.c.key == deadline.key, DL.c.status == "awaiting",
        DL.c.dedupe.startswith(awaiting_key),
    ).values(status="closed", closed_at=naive(now), awaiting=None)).rowcount
    # Computed as an initiation on 1 January of that year would compute it, so the dedupe keys match the
    # ones workflow.timing.deadlines gives a later start, and Store.open_deadlines leaves these rows as they are.
    first = dt.datetime(year, 1, 1, tzinfo=SHANGHAI)
    try:
        rows = rows_for(deadline, due_instant(deadline.rule, {}, first, office, cal), now, cal, org_id)
    except CalendarMissing:
        # Without that year's calendar a later start would file an awaiting row under this key instead.
        rows = schedule(deadline, fix_rule(deadline.rule, {}, office), first, cal, org_id)
    dialect_insert = postgresql.insert if pg else sqlite.insert
    for row in rows:
        conn.execute(dialect_insert(DL).values(
            org_id=org_id, decision_id=None, key=row.key, kind=row.kind,
            fire_at=naive(row.fire_at) if row.fire_at else None, due_at=naive(row.due_at) if row.due_at else None,
            recipients=list(row.recipients), article=row.article, status="closed",
            dedupe=row.dedupe, created_at=naive(now), closed_at=naive(now),
        ).on_conflict_do_nothing(index_elements=["dedupe"]))
    return int(closed or 0)


def publish_catalogue(core: Juece, year: int, actor_name: str, reference: str, *, party_consent: str,
                      channels: Iterable[str] = (), published_on: dt.date | None = None) -> CataloguePublication:
    """Record that the office published its catalogue for ``year``; meets its catalogue deadline."""
    now = core.clock()
    with core.db.write() as conn:
        st = Store(conn)
        row = st.actor(actor_name)
        if row is None or not row.active:
            raise NotFound(f"没有这个用户：{actor_name}", f"no such user: {actor_name}", details={"user": actor_name})
        if not set(row.roles) & MAY_PUBLISH:
            raise Forbidden(f"{actor_name} 无权公布决策事项目录", f"{actor_name} may not publish the decision catalogue",
                            code="role_not_permitted", details={"roles": sorted(MAY_PUBLISH)})
        today = now.astimezone(SHANGHAI).date()
        reference, party_consent = _text("reference", reference), _text("party_consent", party_consent)
        kept = tuple(_text("channels", c) for c in channels if c.strip())
        published = published_on or today
        _check(year, reference, party_consent, published, today)
        org_id, office = int(row.org_id), Office(int(row.org_id), str(row.org_name), dict(row.settings or {}))
        st.system_head("system")  # lock the system stream first: two publications of a year get two revisions
        revision = len(publications(conn, org_id, year)) + 1
        deadline = catalogue_deadline(core.catalog)
        cal = core.calendar_for(st, row.system_seq, org_id)
        closed = _meet_deadline(conn, st.pg, org_id, deadline, office, year, now, cal) if deadline else 0
        core.append_system(conn, ACTION, actor_name, {
            "org": office.name, "org_id": org_id, "year": year, "revision": revision, "reference": reference,
            "channels": list(kept), "published_on": published.isoformat(), "party_consent": party_consent,
            "deadline_rows_closed": closed})
    return CataloguePublication(year, revision, reference, kept, published, party_consent, actor_name, utc_iso(now))
