"""The yearly catalogue read model (决策事项目录): an office's decisions and which key steps are done.

Reads only. The five steps of the catalogue columns are 公众参与, 专家论证, 风险评估, 合法性审查 and
集体讨论; each is ``done``, ``waived``, ``open`` or ``not_required`` for a decision, as the procedure's pack
reads its facts (its ``catalogue_steps`` hook). A member of the public gets ``public_catalogue`` instead:
only the rows and columns ``workflow.views.visibility`` makes public.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from workflow.engine.catalog import Catalog
from workflow.engine.context import Office
from workflow.engine.definition import Label, ProcedureDef
from workflow.engine.tasks import task_status
from workflow.persistence.store import ORG, D, U, aware
from workflow.timing.calendar import SHANGHAI
from workflow.views.visibility import public_window, published, visible_rows

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


def years_of(conn: Connection, org_id: int) -> list[int]:
    """The years in which the office created decisions (newest first)."""
    years = {aware(c).astimezone(SHANGHAI).year  # type: ignore[union-attr]
             for c in conn.execute(select(D.c.created_at).where(D.c.org_id == org_id)).scalars()}
    return sorted(years, reverse=True)


def catalogue(conn: Connection, catalog: Catalog, org_id: int, wanted: CatalogueFilter,
              now: dt.datetime) -> list[CatalogueRow]:
    """The office's decisions of a year, filtered, oldest first (the order of the yearly catalogue)."""
    org = conn.execute(select(ORG).where(ORG.c.id == org_id)).one()
    office = Office(int(org.id), str(org.name), dict(org.settings))
    start = dt.datetime(wanted.year, 1, 1, tzinfo=SHANGHAI).astimezone(dt.UTC).replace(tzinfo=None)
    end = dt.datetime(wanted.year + 1, 1, 1, tzinfo=SHANGHAI).astimezone(dt.UTC).replace(tzinfo=None)
    query = (select(D, U.c.name.label("owner_name"), U.c.unit.label("owner_user_unit"))
             .join(U, U.c.id == D.c.owner_id)
             .where(D.c.org_id == org_id, D.c.created_at >= start, D.c.created_at < end).order_by(D.c.id))
    if wanted.state:
        query = query.where(D.c.state == wanted.state)
    rows: list[CatalogueRow] = []
    for r in conn.execute(query):
        facts = dict(r.facts)
        unit = str(facts.get("owner_unit") or r.owner_user_unit or "")
        if wanted.unit and unit != wanted.unit:
            continue
        if wanted.text and wanted.text.strip().lower() not in str(r.title).lower():
            continue
        procedure = catalog.get(f"{r.procedure_id}@{r.procedure_version}")
        state = procedure.states[r.state]
        tasks = task_status(procedure, facts, now, office) if procedure.tasks else {}
        created = aware(r.created_at)
        assert created is not None
        rows.append(CatalogueRow(int(r.id), str(r.title), str(r.state), state.label, state.terminal,
                                 str(r.owner_name), unit, created.astimezone(SHANGHAI).date(),
                                 step_statuses(procedure, tasks, facts),
                                 tuple(procedure.actions[b["action"]].label for b in facts.get("backfilled") or []
                                       if b.get("action") in procedure.actions)))
    return rows


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
    """The decisions of a year a member of the public may see, oldest first; the unit filter is ignored.

    The owner unit is not public, so filtering by it would tell which hidden unit a decision belongs to.
    """
    start, end = (dt.datetime(y, 1, 1, tzinfo=SHANGHAI).astimezone(dt.UTC) for y in (wanted.year, wanted.year + 1))
    rows: list[PublicCatalogueRow] = []
    for r in reversed(visible_rows(conn, org_id, now, state=wanted.state, catalog=catalog)):
        created = aware(r.created_at)
        assert created is not None
        if not start <= created < end or (wanted.text and wanted.text.strip().lower() not in str(r.title).lower()):
            continue
        state = catalog.get(f"{r.procedure_id}@{r.procedure_version}").states[r.state]
        window = public_window(r.facts, now) or {}
        publication = r.facts["publication"] if published(r.facts) else {}
        rows.append(PublicCatalogueRow(int(r.id), str(r.title), str(r.state), state.label, state.terminal,
                                       window.get("opens_at"), window.get("closes_at"), publication.get("published_on")))
    return rows


def public_years(conn: Connection, org_id: int, now: dt.datetime, catalog: Catalog | None = None) -> list[int]:
    """The years of the decisions a member of the public may see (newest first)."""
    return sorted({aware(r.created_at).astimezone(SHANGHAI).year  # type: ignore[union-attr]
                   for r in visible_rows(conn, org_id, now, catalog=catalog)}, reverse=True)
