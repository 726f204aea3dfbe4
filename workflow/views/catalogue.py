"""The yearly catalogue read model (决策事项目录): an office's decisions and which key steps are done.

Reads only. The five steps of the catalogue columns are 公众参与, 专家论证, 风险评估, 合法性审查 and
集体讨论; each is ``done``, ``waived``, ``open`` or ``not_required`` for a decision, as the procedure's pack
reads its facts (its ``catalogue_steps`` hook). A member of the public gets ``public_catalogue`` instead:
only the rows and columns ``workflow.views.visibility`` makes public.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, func, select

from workflow.engine.catalog import Catalog
from workflow.engine.context import Office
from workflow.engine.definition import Label, ProcedureDef
from workflow.engine.tasks import task_status
from workflow.persistence.store import ORG, D, U, aware
from workflow.timing.calendar import SHANGHAI
from workflow.views.paging import MAX_LIMIT, SCAN_FACTOR, Page, Window, page_of, scan, seek
from workflow.views.visibility import candidates, public_procedures, public_window, publicly_visible, published

#: The catalogue's step columns, in order, with their labels.
STEPS: dict[str, Label] = {
    "participation": Label("公众参与", "Public participation"),
    "expert_review": Label("专家论证", "Expert review"),
    "risk_assessment": Label("风险评估", "Risk assessment"),
    "legality_review": Label("合法性审查", "Legality review"),
    "collective_discussion": Label("集体讨论", "Collective discussion"),
}
STATUSES: dict[str, Label] = {
    "done": Label("已完成", "done"),
    "waived": Label("不开展（已说明）", "waived"),
    "open": Label("未完成", "open"),
    "not_required": Label("不需要", "not required"),
}


@dataclass(frozen=True, slots=True)
class CatalogueFilter:
    """What the catalogue shows: a year (local creation date), optionally one state, unit or text."""

    year: int
    state: str | None = None
    unit: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class CatalogueRow:
    """One decision in the catalogue."""

    id: int
    title: str
    state: str
    state_label: Label
    terminal: bool
    owner: str
    owner_unit: str
    created_on: dt.date
    steps: Mapping[str, str] = field(default_factory=dict)
    #: Steps entered afterwards (补录), by label, so statistics and exports tell them apart.
    backfilled: tuple[Label, ...] = ()


def step_statuses(procedure: ProcedureDef, procedure_tasks: Mapping[str, Mapping[str, Any]],
                  facts: Mapping[str, Any]) -> dict[str, str]:
    """The five catalogue steps' statuses, as the procedure's pack reads its task statuses and facts."""
    if procedure.hooks.catalogue_steps is None:  # a procedure the catalogue's steps do not describe
        return dict.fromkeys(STEPS, "not_required")
    return procedure.hooks.catalogue_steps(procedure_tasks, facts)


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The stored (naive UTC) instants of 1 January of ``year`` and of the next year, Beijing time."""
    start, end = (dt.datetime(y, 1, 1, tzinfo=SHANGHAI).astimezone(dt.UTC).replace(tzinfo=None)
                  for y in (year, year + 1))
    return start, end


def _years(conn: Connection, base: Select[Any], has: Callable[[Select[Any]], bool]) -> list[int]:
    """The years between the oldest and newest of ``base``'s decisions for which ``has`` finds one (newest first).

    One index seek for each end, and one bounded probe per year: never a read of the whole archive.
    """
    oldest = conn.execute(base.with_only_columns(D.c.created_at).order_by(D.c.created_at).limit(1)).scalar()
    newest = conn.execute(base.with_only_columns(D.c.created_at).order_by(D.c.created_at.desc()).limit(1)).scalar()
    if oldest is None or newest is None:
        return []
    first, last = (aware(t).astimezone(SHANGHAI).year for t in (oldest, newest))  # type: ignore[union-attr]
    out = []
    for year in range(last, first - 1, -1):
        start, end = _year_bounds(year)
        # Ordered, so the probe seeks on (org_id, created_at, id) rather than scanning the table for the year.
        if has(base.where(D.c.created_at >= start, D.c.created_at < end).order_by(D.c.created_at)):
            out.append(year)
    return out


def years_of(conn: Connection, org_id: int) -> list[int]:
    """The years in which the office created decisions (newest first)."""
    return _years(conn, select(D.c.id).where(D.c.org_id == org_id),
                  lambda q: conn.execute(q.limit(1)).first() is not None)


def _unit() -> ColumnElement[Any]:
    """The owner unit as the catalogue shows it: the decision's recorded unit, else the owner's."""
    return func.coalesce(func.nullif(D.c.facts["owner_unit"].as_string(), ""), U.c.unit, "")


def _catalogue_query(org_id: int, wanted: CatalogueFilter) -> Select[Any]:
    start, end = _year_bounds(wanted.year)
    query = (select(D, U.c.name.label("owner_name"), _unit().label("owner_unit_shown"))
             .join(U, U.c.id == D.c.owner_id)
             .where(D.c.org_id == org_id, D.c.created_at >= start, D.c.created_at < end))
    if wanted.state:
        query = query.where(D.c.state == wanted.state)
    if wanted.unit:
        query = query.where(_unit() == wanted.unit)
    if wanted.text and wanted.text.strip():
        query = query.where(func.lower(D.c.title).contains(wanted.text.strip().lower(), autoescape=True))
    return query


def catalogue(conn: Connection, catalog: Catalog, org_id: int, wanted: CatalogueFilter,
              now: dt.datetime) -> list[CatalogueRow]:
    """The office's decisions of a year, filtered, oldest first: all of them (the exports)."""
    office = _office(conn, org_id)
    query = _catalogue_query(org_id, wanted).order_by(D.c.created_at, D.c.id)
    return [_row(r, catalog, office, now) for r in conn.execute(query)]


def catalogue_page(conn: Connection, catalog: Catalog, org_id: int, wanted: CatalogueFilter, now: dt.datetime,
                   window: Window) -> Page[CatalogueRow]:
    """A page of the office's decisions of a year, filtered in the database, oldest first (creation, id)."""
    office = _office(conn, org_id)
    query, backward = seek(_catalogue_query(org_id, wanted), [D.c.created_at, D.c.id], window, (dt.datetime, int))
    return page_of(conn.execute(query).all(), window, backward, lambda r: (r.created_at, int(r.id)),
                   lambda r: _row(r, catalog, office, now))


def _office(conn: Connection, org_id: int) -> Office:
    org = conn.execute(select(ORG).where(ORG.c.id == org_id)).one()
    return Office(int(org.id), str(org.name), dict(org.settings))


def _row(r: Any, catalog: Catalog, office: Office, now: dt.datetime) -> CatalogueRow:
    facts = dict(r.facts)
    procedure = catalog.get(f"{r.procedure_id}@{r.procedure_version}")
    state = procedure.states[r.state]
    tasks = task_status(procedure, facts, now, office) if procedure.tasks else {}
    created = aware(r.created_at)
    assert created is not None
    return CatalogueRow(int(r.id), str(r.title), str(r.state), state.label, state.terminal,
                        str(r.owner_name), str(r.owner_unit_shown or ""), created.astimezone(SHANGHAI).date(),
                        step_statuses(procedure, tasks, facts),
                        tuple(procedure.actions[b["action"]].label for b in facts.get("backfilled") or []
                              if b.get("action") in procedure.actions))


def office_units(conn: Connection, org_id: int) -> list[str]:
    """The units of the office's people (the unit filter's choices: read from people, not from decisions)."""
    return sorted({str(u) for u in conn.execute(select(U.c.unit).where(U.c.org_id == org_id).distinct()).scalars()
                   if u})


def units_of(rows: Iterable[CatalogueRow]) -> list[str]:
    """The owner units appearing in ``rows`` (for the filter)."""
    return sorted({r.owner_unit for r in rows if r.owner_unit})


@dataclass(frozen=True, slots=True)
class PublicCatalogueRow:
    """One decision in the public catalogue: what workflow.views.visibility makes public, nothing else."""

    id: int
    title: str
    state: str
    state_label: Label
    terminal: bool
    comment_opens: str | None
    comment_closes: str | None
    published_on: str | None


def public_catalogue(conn: Connection, catalog: Catalog, org_id: int, wanted: CatalogueFilter,
                     now: dt.datetime) -> list[PublicCatalogueRow]:
    """The decisions of a year a member of the public may see, oldest first: all of them (the exports)."""
    out: list[PublicCatalogueRow] = []
    window: Window = Window(MAX_LIMIT)
    while True:
        page = public_catalogue_page(conn, catalog, org_id, wanted, now, window)
        out += page.items
        if page.next is None:
            return out
        window = Window(MAX_LIMIT, after=page.next)


def public_catalogue_page(conn: Connection, catalog: Catalog, org_id: int, wanted: CatalogueFilter,
                          now: dt.datetime, window: Window) -> Page[PublicCatalogueRow]:
    """A page of the year's decisions a member of the public may see, oldest first; the unit filter is ignored.

    The owner unit is not public, so filtering by it would tell which hidden unit a decision belongs to.
    The database narrows to candidates (``visibility.candidates``); the exact rule runs on each, a bounded scan.
    """
    start, end = _year_bounds(wanted.year)
    public = public_procedures(catalog)
    query = candidates(public).where(D.c.org_id == org_id, D.c.created_at >= start, D.c.created_at < end)
    if wanted.state:
        query = query.where(D.c.state == wanted.state)
    if wanted.text and wanted.text.strip():
        query = query.where(func.lower(D.c.title).contains(wanted.text.strip().lower(), autoescape=True))
    def visible(r: Any) -> bool:
        return publicly_visible(str(r.procedure_id), r.facts, now, public=public)

    def key(r: Any) -> tuple[dt.datetime, int]:
        return (r.created_at, int(r.id))

    rows, backward, ended = scan(conn, query, [D.c.created_at, D.c.id], window, (dt.datetime, int), key, visible)

    def build(r: Any) -> PublicCatalogueRow | None:
        if not visible(r):
            return None
        state = catalog.get(f"{r.procedure_id}@{r.procedure_version}").states[r.state]
        opened = public_window(r.facts, now) or {}
        publication = r.facts["publication"] if published(r.facts) else {}
        return PublicCatalogueRow(int(r.id), str(r.title), str(r.state), state.label, state.terminal,
                                  opened.get("opens_at"), opened.get("closes_at"), publication.get("published_on"))

    return page_of(rows, window, backward, key, build, ended=ended)


def public_years(conn: Connection, org_id: int, now: dt.datetime, catalog: Catalog) -> list[int]:
    """The years with a decision a member of the public may see (newest first), each found by a bounded probe."""
    public = public_procedures(catalog)

    def has(query: Select[Any]) -> bool:
        rows = conn.execute(query.with_only_columns(D.c.procedure_id, D.c.facts).limit(SCAN_FACTOR)).all()
        return any(publicly_visible(str(r.procedure_id), r.facts, now, public=public) for r in rows)
    return _years(conn, candidates(public).where(D.c.org_id == org_id), has)
