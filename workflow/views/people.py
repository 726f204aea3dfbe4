"""People, offices and their notices as the edges list them: an office's people (with the office's name),
one person by id, an office's settings and calendar days, notifications and their deliveries. Reads only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, literal, select

from workflow.persistence.store import CD, DY, OCD, ORG, N, U
from workflow.views.decision import iso

_USERS = select(U.c.id, U.c.name, U.c.roles, U.c.unit, U.c.email, U.c.active, U.c.org_id,
                ORG.c.name.label("org_name")).join(ORG, ORG.c.id == U.c.org_id)


def office_name(conn: Connection, org_id: int) -> str:
    """The office's name."""
    return str(conn.execute(select(ORG.c.name).where(ORG.c.id == org_id)).scalar_one())


def office_settings(conn: Connection, org_id: int) -> dict[str, Any]:
    """The settings the office stored (defaults are the caller's)."""
    return dict(conn.execute(select(ORG.c.settings).where(ORG.c.id == org_id)).scalar_one() or {})


def office_users(conn: Connection, org_id: int, *, active_only: bool = False) -> list[Any]:
    """The office's people, in the order they were added, each with ``org_name``."""
    query = _USERS.where(U.c.org_id == org_id).order_by(U.c.id)
    if active_only:
        query = query.where(U.c.active.is_(True))
    return list(conn.execute(query).all())


def user(conn: Connection, user_id: int) -> Any | None:
    """One person by id, with ``org_name`` (None: nobody has that id)."""
    return conn.execute(_USERS.where(U.c.id == user_id)).first()


def user_out(row: Any) -> dict[str, Any]:
    """A person in the plain form of the API's ``UserOut``."""
    return {"id": int(row.id), "name": row.name, "roles": sorted(row.roles), "unit": row.unit or "",
            "office": row.org_name, "email": row.email, "active": bool(row.active)}


def calendar_days(conn: Connection, org_id: int, own_label: str, limit: int = 500) -> list[Any]:
    """The office's own working-day changes (their source shown as ``own_label``), then the national ones."""
    own = conn.execute(select(OCD.c.day, OCD.c.is_workday, OCD.c.name, literal(own_label).label("source"),
                              OCD.c.entered_by).where(OCD.c.org_id == org_id)
                       .order_by(OCD.c.day.desc()).limit(limit)).all()
    national = conn.execute(select(CD.c.day, CD.c.is_workday, CD.c.name, CD.c.source, CD.c.entered_by)
                            .order_by(CD.c.day.desc()).limit(limit)).all()
    return list(own) + list(national)


def notifications_page(conn: Connection, org_id: int, user_id: int, *, limit: int, before: int | None = None,
                       acknowledged: bool | None = None, own_only: bool = False) -> list[Any]:
    """Up to ``limit + 1`` notifications of a person and their office's group ones, newest first, below ``before``.

    ``own_only`` leaves the group ones out (a citizen's); the extra row tells that another page follows.
    The person's own and the group's are two index seeks on (org_id, user_id, id), merged here.
    """
    def side(who: Any) -> list[Any]:
        query = select(N).where(N.c.org_id == org_id, who).order_by(N.c.id.desc()).limit(limit + 1)
        if acknowledged is False:
            query = query.where(N.c.acknowledged_at.is_(None))
        elif acknowledged is True:
            query = query.where(N.c.acknowledged_at.is_not(None))
        if before is not None:
            query = query.where(N.c.id < before)
        return list(conn.execute(query).all())

    rows = side(N.c.user_id == user_id) + ([] if own_only else side(N.c.user_id.is_(None)))
    return sorted(rows, key=lambda r: -int(r.id))[:limit + 1]


def all_notifications(conn: Connection, user_id: int | None = None) -> list[Any]:
    """Every notification (or one person's), oldest first, each with ``user_name`` (None: an office channel)."""
    query = select(N, U.c.name.label("user_name")).outerjoin(U, U.c.id == N.c.user_id).order_by(N.c.id)
    if user_id is not None:
        query = query.where(N.c.user_id == user_id)
    return list(conn.execute(query).all())


def deliveries(conn: Connection) -> dict[int, list[dict[str, object]]]:
    """Each notification's deliveries: channel, target, status, attempts, last error, when sent."""
    out: dict[int, list[dict[str, object]]] = {}
    for d in conn.execute(select(DY).order_by(DY.c.id)):
        out.setdefault(d.notification_id, []).append(
            {"channel": d.channel, "target": d.target, "status": d.status, "attempts": d.attempts,
             "error": d.last_error or None, "sent_at": iso(d.sent_at)})
    return out


__all__ = ["all_notifications", "calendar_days", "deliveries", "notifications_page", "office_name",
           "office_settings", "office_users", "user", "user_out"]

