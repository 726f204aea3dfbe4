"""The inbox in SQL: which decision rows can wait on a person, and the key they are ordered by.

``may_act`` (``workflow.engine.decide``) is a function of the action's roles, the person's roles, the
decision's owner and owner unit: none of it needs the facts beyond ``owner_unit``. So the catalogue is
read once per request into (procedure, version, states) where one of the person's roles has an action
(never ``any`` alone: open actions do not fill an official's inbox), and states where only their ``owner``
role does (then the decision must be theirs or their unit's). Terminal states have no actions. The archive
(closed decisions) never matches, so a page reads only open work in the person's states.

The order key is the nearest pending due deadline that concerns the person (its recipients name one of
their roles, or ``owner`` when the decision is theirs), then the decision id; without one, after all dated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Select, String, and_, cast, false, func, literal, or_, select

from workflow.engine.catalog import Catalog
from workflow.engine.context import Actor
from workflow.persistence.store import DL, D
from workflow.views.visibility import public_procedures

#: Deadline statuses that still wait (fired: overdue but not closed).
PENDING = ("open", "fired", "paused", "awaiting")
#: The order key of a decision without a dated deadline (after every real date).
FAR = dt.datetime(9999, 12, 31)


@dataclass(frozen=True, slots=True)
class InboxKeys:
    """The inbox as a query of (id, due_key) rows and its order columns."""

    query: Select[Any]
    order: list[ColumnElement[Any]]


def _states(catalog: Catalog, actor: Actor) -> tuple[list[tuple[str, str, set[str]]], list[tuple[str, str, set[str]]]]:
    """(id, version, states) where the actor may act outright, and where only as the decision's owner."""
    outright, as_owner = [], []
    for procedure in catalog.all():
        anyone: set[str] = set()
        owned: set[str] = set()
        for action in procedure.actions.values():
            roles = set(action.roles) & actor.roles
            if not roles:
                continue  # an ``any`` action without one of the person's roles does not fill their inbox
            live = {s for s in action.sources if s in procedure.states and not procedure.terminal(s)}
            # may_act: ``any`` admits everyone; only the bare owner role needs the decision to be theirs.
            (owned if roles == {"owner"} and "any" not in action.roles else anyone).update(live)
        if anyone:
            outright.append((procedure.id, procedure.version, anyone))
        if owned - anyone:
            as_owner.append((procedure.id, procedure.version, owned - anyone))
    return outright, as_owner


def _in(groups: list[tuple[str, str, set[str]]]) -> ColumnElement[bool]:
    return or_(false(), *(and_(D.c.procedure_id == pid, D.c.procedure_version == version,
                               D.c.state.in_(sorted(states))) for pid, version, states in groups))


def _theirs(actor: Actor) -> ColumnElement[bool]:
    """The decision is the actor's own, or their unit's (``may_act`` for the owner role)."""
    mine = D.c.owner_id == actor.id
    if not actor.unit:
        return mine
    return or_(mine, D.c.facts["owner_unit"].as_string() == actor.unit)


def _concerns(actor: Actor) -> ColumnElement[bool]:
    """A deadline whose recipients name one of the actor's roles, or ``owner`` on the actor's decision."""
    text = cast(DL.c.recipients, String)  # a JSON list of role names: matched as quoted words
    named = [text.contains(f'"{role}"', autoescape=True) for role in sorted(actor.roles)]
    return or_(*named, and_(text.contains('"owner"', autoescape=True), _theirs(actor)))


def page_keys(catalog: Catalog, actor: Actor, citizen: bool) -> InboxKeys | None:
    """The inbox rows of ``actor`` as (id, due_key), or None when no state can wait on them."""
    outright, as_owner = _states(catalog, actor)
    if not outright and not as_owner:
        return None
    # The union of the states first, as its own conjunct: the index (org_id, state, id) seeks on it; the
    # exact (procedure, version, state) pairs then filter those rows.
    states = sorted({s for _, _, group in outright + as_owner for s in group})
    where = [D.c.org_id == actor.org_id, D.c.state.in_(states),
             or_(_in(outright), and_(_in(as_owner), _theirs(actor)))]
    if citizen:  # a superset of the open comment windows; the exact rule runs on each row (bounded scan)
        where += [D.c.procedure_id.in_(sorted(public_procedures(catalog))),
                  D.c.facts["comment_window"]["closes_at"].as_string().is_not(None)]
        due: ColumnElement[Any] = literal(FAR, DateTime())
    else:
        nearest = (select(func.min(DL.c.due_at)).where(DL.c.decision_id == D.c.id, DL.c.kind == "due",
                                                        DL.c.status.in_(PENDING), _concerns(actor))
                   .scalar_subquery())
        due = func.coalesce(nearest, literal(FAR, DateTime()), type_=DateTime())
    inner = select(D.c.id.label("id"), due.label("due_key")).where(*where).subquery("inbox")
    return InboxKeys(select(inner.c.id, inner.c.due_key), [inner.c.due_key, inner.c.id])


__all__ = ["FAR", "PENDING", "InboxKeys", "page_keys"]
