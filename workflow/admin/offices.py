"""Administration: offices, people and their keys, and the working-day override table.

Every change here is appended to the hash-chained ``system`` audit stream.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import delete, insert, select, update

from workflow.admin import people, sessions
from workflow.engine.context import DEFAULT_OFFICE_SETTINGS
from workflow.engine.definition import ROLES
from workflow.engine.errors import InvalidInput, NotFound
from workflow.engine.office_settings import check_changes
from workflow.engine.textrules import one_line
from workflow.persistence.store import CD, CY, OCD, ORG, U, naive
from workflow.record import keys
from workflow.service import Juece
from workflow.timing.awaiting import resolve_awaiting
from workflow.timing.calendar import YearNotice, parse_year_notice

_HASHER = PasswordHasher()


def ensure_org(core: Juece, name: str, settings: Mapping[str, Any] | None = None) -> int:
    """The office named ``name``, created with default settings if it does not exist."""
    name = one_line("org", name)
    settings = check_changes(settings or {}, core.catalog.settings)
    core.outbound.check_settings(settings)
    with core.db.write() as conn:
        row = conn.execute(select(ORG.c.id).where(ORG.c.name == name)).first()
        if row:
            return int(row.id)
        merged = dict(DEFAULT_OFFICE_SETTINGS) | dict(settings or {})
        org_id = int(conn.execute(insert(ORG).values(name=name, settings=merged, created_at=naive(core.clock()))
                                  .returning(ORG.c.id)).scalar_one())
        core.append_system(conn, "org_created", "admin", {"org": name, "settings": merged})
        return org_id


def update_org_settings(core: Juece, name: str, changes: Mapping[str, Any], by: str = "admin") -> dict[str, Any]:
    """Change an office's settings (the engine's and the declared keys only, within range); returns the new settings."""
    # The engine's keys and those the packs in use declare; a declared one within its lawful range.
    changes = check_changes(changes, core.catalog.settings)
    core.outbound.check_settings(changes)  # before any transaction: resolving a name may take a moment
    with core.db.write() as conn:
        row = conn.execute(select(ORG.c.id, ORG.c.settings).where(ORG.c.name == name)).first()
        if row is None:
            raise NotFound(f"没有这个单位：{name}", f"no such office: {name}")
        merged = dict(row.settings) | dict(changes)
        conn.execute(update(ORG).where(ORG.c.id == row.id).values(settings=merged))
        core.append_system(conn, "org_settings_changed", by, {"org": name, "changes": dict(changes)})
        return merged


def add_user(core: Juece, name: str, roles: list[str], org: str, unit: str = "", password: str | None = None,
             by: str = "admin", email: str | None = None) -> int:
    """Add a person with roles in an office.

    ``password`` is an initial sign-in password the administrator chose: it opens no signing key. The
    person's key pair is issued when they set their own password (``keys.change_password``).
    """
    unknown = sorted(set(roles) - ROLES)
    if not roles or unknown:
        raise InvalidInput(f"未知角色：{'、'.join(unknown) or '（空）'}；可选：{'、'.join(sorted(ROLES))}",
                           f"unknown role(s) {', '.join(unknown) or '(none)'}; known: {', '.join(sorted(ROLES))}",
                           details={"field": "role"})
    name, unit = one_line("name", name), one_line("unit", unit)
    email = one_line("email", email) or None if email is not None else None
    if not name:
        raise InvalidInput("姓名必填", "a name is required", details={"field": "name"})
    org_id = ensure_org(core, org)
    now = naive(core.clock())
    with core.db.write() as conn:
        # Only this office's names count: a name used in another office is no duplicate, and says nothing.
        if conn.execute(select(U.c.id).where(U.c.name == name, U.c.org_id == org_id)).first():
            raise InvalidInput(f"用户已存在：{name}", f"user already exists: {name}", code="already_exists",
                               details={"field": "name"})
        user_id = int(conn.execute(insert(U).values(
            org_id=org_id, name=name, roles=sorted(set(roles)), unit=unit,
            password_hash=keys.hasher(core).hash(password) if password else None, active=True, created_at=now,
            email=email,
        ).returning(U.c.id)).scalar_one())
        core.append_system(conn, "user_added", by, {"user": name, "org": org, "roles": sorted(set(roles)),
                                                    "unit": unit, "initial_password": bool(password)})
        return user_id


MIN_PASSWORD = keys.MIN_PASSWORD


def set_password(core: Juece, name: str, password: str, by: str = "admin") -> None:
    """An administrator sets (resets) a person's sign-in password; their signing key is retired.

    The person signs in with it, and signs again once they set their own password (``keys``).
    """
    keys.reset_password(core, name, password, by)


def _person(conn: Any, name: str) -> Any:
    return people.resolve_person(conn, name)


def deactivate_user(core: Juece, name: str, by: str = "admin", reason: str = "") -> int:
    """Deactivate a person: they cannot sign in, their sessions end and their API tokens stop working.

    Returns how many live sessions were ended; deactivating an inactive person changes nothing.
    """
    if name == by and people.office_of(name) == people.office_of(by):
        raise InvalidInput("不能停用自己", "you cannot deactivate yourself", code="cannot_deactivate_self",
                           details={"user": name})
    with core.db.write() as conn:
        person = _person(conn, name)
        if not person.active:
            return 0
        conn.execute(update(U).where(U.c.id == person.id).values(active=False))
        ended = sessions.end_sessions(conn, int(person.id), core.clock(), "deactivated")
        core.append_system(conn, "user_deactivated", by, {"user": str(person.name), "org": str(person.org_name),
                                                          "reason": reason.strip(), "sessions_ended": ended})
        return ended


def reactivate_user(core: Juece, name: str, by: str = "admin") -> None:
    """Reactivate a deactivated person (they sign in again; revoked tokens stay revoked)."""
    with core.db.write() as conn:
        person = _person(conn, name)
        if person.active:
            return
        conn.execute(update(U).where(U.c.id == person.id).values(active=True))
        core.append_system(conn, "user_reactivated", by, {"user": str(person.name), "org": str(person.org_name)})


def set_roles(core: Juece, name: str, roles: list[str], by: str = "admin") -> int:
    """Replace a person's roles; their sessions end (they sign in again). Returns how many ended."""
    unknown = sorted(set(roles) - ROLES)
    if not roles or unknown:
        raise InvalidInput(f"未知角色：{'、'.join(unknown) or '（空）'}", f"unknown role(s) {', '.join(unknown) or '(none)'}",
                           details={"field": "role"})
    with core.db.write() as conn:
        person = _person(conn, name)
        new = sorted(set(roles))
        if sorted(person.roles) == new:
            return 0
        conn.execute(update(U).where(U.c.id == person.id).values(roles=new))
        ended = sessions.end_sessions(conn, int(person.id), core.clock(), "roles_changed")
        core.append_system(conn, "user_roles_changed", by, {"user": str(person.name), "org": str(person.org_name),
                                                            "roles": new, "was": sorted(person.roles),
                                                            "sessions_ended": ended})
        return ended


def check_password(core: Juece, name: str, password: str, office: str | None = None) -> bool:
    """Whether ``password`` signs in the person ``name`` (of ``office``, when given): see ``sign_in``."""
    return sign_in(core, name, password, office) is not None


def sign_in(core: Juece, name: str, password: str, office: str | None = None) -> int | None:
    """The id of the active person called ``name`` (in office ``office`` when named) whose password this is.

    Names are unique per office only. Without an office every active person of that name is tried and
    exactly one must match, so a name shared with another office neither blocks the sign-in nor is
    revealed: the answer is the same None as for a wrong password or an unknown name, after the same
    one hash check when nobody of that name exists.
    """
    query = select(U.c.id, U.c.password_hash).where(U.c.name == name, U.c.active.is_(True),
                                                    U.c.password_hash.is_not(None))
    if office:
        query = query.join(ORG, ORG.c.id == U.c.org_id).where(ORG.c.name == office)
    with core.db.read() as conn:
        candidates = conn.execute(query.order_by(U.c.id)).all()
    if not candidates:
        _verifies(_DUMMY, password)
        return None
    matched = [int(row.id) for row in candidates if _verifies(str(row.password_hash), password)]
    return matched[0] if len(matched) == 1 else None


def _verifies(stored: str, password: str) -> bool:
    from argon2.exceptions import VerificationError

    try:
        return bool(_HASHER.verify(stored, password))
    except VerificationError:
        return False


_DUMMY = _HASHER.hash("juece-dummy-password")


def import_calendar(core: Juece, path: str | Path, by: str = "admin") -> dict[str, Any]:
    """Import a year's official holiday notice file into the override table (replacing that year's rows)."""
    return import_notice(core, parse_year_notice(path), by)


def import_notice(core: Juece, notice: YearNotice, by: str = "admin") -> dict[str, Any]:
    """Import a parsed national year notice (the system administrator's, e.g. ``juece calendar import``); deadlines
    awaiting that year are computed in the same transaction."""
    now = naive(core.clock())
    with core.db.write() as conn:
        first, last = dt.date(notice.year, 1, 1), dt.date(notice.year, 12, 31)
        conn.execute(delete(CD).where(CD.c.day >= first, CD.c.day <= last))
        conn.execute(insert(CD), [
            {"day": day, "is_workday": workday, "name": name, "source": notice.source, "entered_by": by,
             "entered_at": now} for day, (workday, name) in sorted(notice.days.items())])
        conn.execute(delete(CY).where(CY.c.year == notice.year))
        conn.execute(insert(CY).values(year=notice.year, source=notice.source, imported_by=by, imported_at=now))
        holidays = sorted(d.isoformat() for d, (w, _) in notice.days.items() if not w)
        workdays = sorted(d.isoformat() for d, (w, _) in notice.days.items() if w)
        core.append_system(conn, "calendar_imported", by, {"year": notice.year, "source": notice.source,
                                                           "holidays": holidays, "workdays": workdays})
        # Deadlines that waited for this year are computed in the same transaction as the import.
        resolved = resolve_awaiting(conn, core.clock())
    return {"year": notice.year, "holidays": len(holidays), "workdays": len(workdays), "source": notice.source,
            "resolved": resolved.as_dict()}


def set_calendar_day(core: Juece, day: dt.date, is_workday: bool, name: str = "", by: str = "admin",
                     org: str | None = None) -> dict[str, int]:
    """Override one day; returns what it let be computed.

    With ``org`` (an office's administrator) the day is that office's own and moves only its deadlines;
    without it (the system administrator, i.e. the CLI operator) it corrects the national calendar.
    """
    now = naive(core.clock())
    with core.db.write() as conn:
        data: dict[str, Any] = {"day": day.isoformat(), "workday": is_workday, "name": name}
        if org is None:
            conn.execute(delete(CD).where(CD.c.day == day))
            conn.execute(insert(CD).values(day=day, is_workday=is_workday, name=name, source="override",
                                           entered_by=by, entered_at=now))
        else:
            org_id = conn.execute(select(ORG.c.id).where(ORG.c.name == org)).scalar()
            if org_id is None:
                raise NotFound(f"没有这个单位：{org}", f"no such office: {org}")
            conn.execute(delete(OCD).where(OCD.c.org_id == org_id, OCD.c.day == day))
            conn.execute(insert(OCD).values(org_id=org_id, day=day, is_workday=is_workday, name=name, entered_by=by,
                                            entered_at=now))
            data["org"] = org
        core.append_system(conn, "calendar_day_set", by, data)
        # A day entered in a year without data may be all an awaiting deadline needed.
        return resolve_awaiting(conn, core.clock()).as_dict()
