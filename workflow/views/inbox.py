"""The inbox read model (我的待办): what waits on a person now, by due date, and their notifications.

Reads only. A decision waits on a person when an action they may take (``engine.may_act``) leaves or
stays in its current state; actions open to everyone (``any``) do not fill an official's inbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from workflow.admin import people
from workflow.engine.catalog import Catalog
from workflow.engine.context import Actor, DecisionView
from workflow.engine.decide import may_act
from workflow.engine.definition import ActionDef, Label
from workflow.engine.errors import CalendarMissing
from workflow.persistence.store import DL, D, E, N, Store, U, aware
from workflow.record import approvals
from workflow.timing.calendar import WorkCalendar
from workflow.views import inbox_query
from workflow.views.paging import MAX_LIMIT, Page, Window, page_of, scan, seek
from workflow.views.visibility import comment_open, public_only, publicly_visible

#: Due within this many working days: highlighted as "due soon".
DUE_SOON_WORKING_DAYS = 2


@dataclass(frozen=True, slots=True)
class Due:
    """A deadline as one person sees it: when, how many working days over or left.

    ``due_at`` is None while the deadline awaits the calendar of ``missing_year``; the counts are None
    when the working days in between lie in such a year (the due date itself may still be known).
    """

    key: str
    label: Label
    article: str
    due_at: dt.datetime | None
    overdue_working_days: int | None
    working_days_left: int | None
    passed: bool = False
    missing_year: int | None = None

    @property
    def overdue(self) -> bool:
        """True when the due instant has passed."""
        return self.passed

    @property
    def due_soon(self) -> bool:
        """True when not overdue but due within ``DUE_SOON_WORKING_DAYS`` working days."""
        return not self.passed and self.working_days_left is not None and (
            self.working_days_left <= DUE_SOON_WORKING_DAYS)

    @property
    def awaiting(self) -> bool:
        """True while the due date itself waits for a year's calendar."""
        return self.due_at is None


@dataclass(slots=True)
class InboxItem:
    """One decision that waits on the person, with the actions they may take and the nearest deadline."""

    decision_id: int
    title: str
    state: str
    state_label: Label
    version: int
    actions: list[ActionDef] = field(default_factory=list)
    due: Due | None = None
    #: Requests this person may approve or decline (``workflow.record.approvals``), by their event number.
    approvals: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class InboxNotification:
    """A notification addressed to the person."""

    id: int
    decision_id: int | None
    kind: str
    subject: str
    body: str
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None


def actor_by_id(conn: Connection, user_id: int) -> Actor | None:
    """The active person with this id, as the engine sees them."""
    row = conn.execute(select(U).where(U.c.id == user_id, U.c.active.is_(True))).first()
    if row is None:
        return None
    # The name is bound to the office: whatever the pages pass it to looks the person up there only.
    return Actor(int(row.id), people.named(row), frozenset(row.roles), int(row.org_id), str(row.unit or ""))


def decision_view(row: Any, catalog: Catalog) -> DecisionView:
    """The engine's view of a decision row."""
    procedure = catalog.get(f"{row.procedure_id}@{row.procedure_version}")
    return DecisionView(int(row.id), int(row.org_id), int(row.owner_id), procedure, str(row.state),
                        int(row.version), dict(row.facts))


def actions_for(actor: Actor, view: DecisionView, *, include_any: bool = True) -> list[ActionDef]:
    """The actions ``actor`` may take on the decision in its current state (guards not yet checked)."""
    out = []
    for action in view.procedure.actions_from(view.state):
        if not may_act(action, actor, view):
            continue
        if not include_any and "any" in action.roles and not (set(action.roles) & actor.roles):
            continue
        out.append(action)
    return out


def _concerns(recipients: list[str], actor: Actor, view: DecisionView) -> bool:
    if set(recipients) & actor.roles:
        return True
    return "owner" in recipients and (actor.id == view.owner_id or (
        bool(view.facts.get("owner_unit")) and actor.unit == view.facts.get("owner_unit")))


def due_of(key: str, label: Label, article: str, due_at: dt.datetime | None, now: dt.datetime, cal: WorkCalendar,
           awaiting_year: int | None = None) -> Due:
    """How a due instant stands today: working days over (overdue) or left; uncounted without a year's calendar."""
    if due_at is None:
        return Due(key, label, article, None, None, None, missing_year=awaiting_year)
    today = cal.local_date(now)
    last_day = cal.local_date(due_at - dt.timedelta(microseconds=1))  # due 24:00 = end of the last day
    passed = due_at <= now
    try:
        if passed:
            over = max(1, cal.working_days_between(last_day, today))
            return Due(key, label, article, due_at, over, -over, passed=True)
        return Due(key, label, article, due_at, 0, cal.working_days_between(today, last_day))
    except CalendarMissing as missing:  # a date in a year without data: shown, but its working days not counted
        return Due(key, label, article, due_at, None, None, passed=passed, missing_year=int(missing.details["year"]))


def inbox_items(conn: Connection, catalog: Catalog, actor: Actor, now: dt.datetime,
                cal: WorkCalendar) -> list[InboxItem]:
    """The first ``MAX_LIMIT`` decisions waiting on ``actor`` (``inbox_page`` pages the rest)."""
    return inbox_page(conn, catalog, actor, now, cal, Window(MAX_LIMIT)).items


def inbox_page(conn: Connection, catalog: Catalog, actor: Actor, now: dt.datetime, cal: WorkCalendar,
               window: Window) -> Page[InboxItem]:
    """A page of the decisions waiting on ``actor``: by their nearest deadline concerning ``actor``, then id.

    The database selects the rows (``workflow.views.inbox_query``): only decisions in a state where one of
    the actor's roles has an action, as ``may_act`` judges it; the page's rows are then checked again here.
    A citizen's rows also need an open comment window, judged here: that scan is bounded (``SCAN_FACTOR``).
    """
    citizen = public_only(actor.roles)
    keys = inbox_query.page_keys(catalog, actor, citizen)
    if keys is None:
        return Page()
    ended: bool | None = None
    if citizen:  # candidates by their (id, key) only; the rule needs the facts: read with them, a page at a time
        rows, backward, ended = scan(conn, keys.query.add_columns(D.c.procedure_id, D.c.facts).join(
            D, D.c.id == keys.order[1]), keys.order, window, (dt.datetime, int), _key,
            lambda r: publicly_visible(str(r.procedure_id), r.facts, now, catalog) and comment_open(r.facts, now))
    else:
        query, backward = seek(keys.query, keys.order, window, (dt.datetime, int))
        rows = list(conn.execute(query).all())
    full = {int(r.id): r for r in conn.execute(select(D).where(D.c.id.in_([int(k.id) for k in rows])))}
    items: dict[int, InboxItem] = {}
    views: dict[int, DecisionView] = {}

    def build(key: Any) -> InboxItem | None:
        row = full[int(key.id)]
        view = decision_view(row, catalog)
        if view.procedure.terminal(view.state):
            return None
        if citizen and not (publicly_visible(str(row.procedure_id), view.facts, now, catalog) and comment_open(view.facts, now)):
            return None  # workflow.views.visibility: a citizen is waited on only where a public window is open now
        actions = actions_for(actor, view, include_any=False)
        if not actions:
            return None
        views[view.id] = view
        items[view.id] = InboxItem(view.id, str(row.title), view.state, view.procedure.states[view.state].label,
                                   view.version, actions)
        return items[view.id]

    page = page_of(rows, window, backward, _key, build, ended=ended)
    if items and not citizen:  # deadlines concern officials; a citizen is told none about others' work
        _deadlines(conn, actor, items, views, now, cal)
        _approvals(conn, actor, items, views)
    return page


def _key(row: Any) -> tuple[dt.datetime, int]:
    return (row.due_key, int(row.id))


def _deadlines(conn: Connection, actor: Actor, items: dict[int, InboxItem], views: dict[int, DecisionView],
               now: dt.datetime, cal: WorkCalendar) -> None:
    """Each item's nearest deadline concerning ``actor`` (the one its place in the inbox was sorted by)."""
    # Dated deadlines first (nearest first), then those awaiting a year's calendar.
    deadlines = conn.execute(select(DL).where(DL.c.decision_id.in_(list(items)), DL.c.kind == "due",
                                              DL.c.status.in_(inbox_query.PENDING))
                             .order_by(DL.c.due_at.is_(None), DL.c.due_at, DL.c.id)).all()
    for dl in deadlines:
        item, view = items[int(dl.decision_id)], views[int(dl.decision_id)]
        if item.due is not None or not _concerns(list(dl.recipients), actor, view):
            continue
        definition = view.procedure.deadlines.get(str(dl.key))
        label = definition.label if definition else Label(str(dl.key), str(dl.key))
        year = int(dl.awaiting["year"]) if dl.status == "awaiting" and dl.awaiting else None
        item.due = due_of(str(dl.key), label, str(dl.article), aware(dl.due_at), now, cal, year)


def _approvals(conn: Connection, actor: Actor, items: dict[int, InboxItem], views: dict[int, DecisionView]) -> None:
    """Mark the requests waiting on ``actor``'s signed approval (never their own)."""
    asked = conn.execute(select(E.c.stream).where(E.c.stream.in_([f"decision:{i}" for i in items]),
                                                  E.c.action == "approval_requested").distinct()).scalars()
    st = Store(conn)
    for stream in asked:
        view = views[int(str(stream).split(":")[1])]
        items[view.id].approvals = [
            r["seq"] for r in approvals.open_requests(st, view)
            if approvals.is_approver(view.procedure.actions[r["action"]], actor) and r["requested_by"] != actor.name]


def notifications(conn: Connection, user_id: int, *, limit: int = 50) -> list[InboxNotification]:
    """The person's newest ``limit`` notifications (``notifications_page`` pages the rest)."""
    return notifications_page(conn, user_id, Window(limit)).items


def notifications_page(conn: Connection, user_id: int, window: Window,
                       keep: Callable[[Any], bool] | None = None) -> Page[InboxNotification]:
    """A page of the person's notifications, newest first (by id: ids grow with creation).

    ``keep`` leaves rows out within the page (a citizen's notices about decisions they may not see); such a
    page may end short, its cursor still continuing after the last row read.
    """
    query, backward = seek(select(N).where(N.c.user_id == user_id), [N.c.id], window, (int,), descending=True)
    rows = conn.execute(query).all()

    def build(r: Any) -> InboxNotification | None:
        return _notification(r) if keep is None or keep(r) else None

    return page_of(rows, window, backward, lambda r: (int(r.id),), build)


def _notification(r: Any) -> InboxNotification:
    created = aware(r.created_at)
    assert created is not None
    return InboxNotification(int(r.id), r.decision_id, str(r.kind), str(r.subject), str(r.body), created,
                             aware(r.acknowledged_at))
