"""Deputies (代理): a chief executive grants a person's role to a deputy for a period, with a reason.

The grant is an event of the system stream signed by the granter's own key; the deputy then acts and
signs in their own name, and every act under the grant carries a ``deputy`` marker (for whom, which
grant, which role) in its event. Revocation is signed too; expiry is recorded by the deadline scan.
An act outside the grant's period is refused here, and ``juece audit verify`` flags one in the record.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Table, insert, select, update
from sqlalchemy.orm import aliased

from workflow.admin import people
from workflow.engine.context import Actor, Deputy, parse_iso, utc_iso
from workflow.engine.errors import ActionNotAllowed, Forbidden, InvalidInput, NotFound
from workflow.persistence.deputy_models import DeputyGrant
from workflow.persistence.store import E, Store, U, aware, naive
from workflow.record import keys
from workflow.record.keyring import Keyring

if TYPE_CHECKING:
    from workflow.service import Juece

G = cast(Table, DeputyGrant.__table__)
#: Roles a deputy may hold: offices act through people; experts, advisers and evaluators are chosen for
#: their own judgment, so nobody may give an opinion in their place.
GRANTABLE = frozenset({"owner", "legal_reviewer", "chief_executive", "secretary", "publisher", "executor"})
GRANTER_ROLE = "chief_executive"
MAX_PERIOD = dt.timedelta(days=366)


def _instant(value: dt.datetime | str, field: str) -> dt.datetime:
    moment: dt.datetime | None
    try:
        moment = value if isinstance(value, dt.datetime) else parse_iso(str(value))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidInput("时间应为带时区的 ISO 8601 格式", "an ISO 8601 instant with an offset is required",
                           details={"field": field})
    return moment.astimezone(dt.UTC)


def _not_found(grant_id: int) -> NotFound:
    return NotFound(f"没有这个代理授权：{grant_id}", f"no such deputy grant: {grant_id}", code="deputy_grant_not_found",
                    details={"grant": grant_id})


def acting(st: Store, actor: Actor, grant_id: int, now: dt.datetime) -> Actor:
    """``actor`` as the deputy of grant ``grant_id`` (only the granted role), or why they may not act so."""
    P = aliased(U)
    row = st.conn.execute(select(G, P.c.name.label("principal"), P.c.unit.label("principal_unit"))
                          .join(P, P.c.id == G.c.principal_id).where(G.c.id == grant_id)).first()
    if row is None or int(row.org_id) != actor.org_id or int(row.deputy_id) != actor.id:
        raise _not_found(grant_id)
    until = aware(row.ends_at)
    assert until is not None
    details = {"grant": grant_id, "until": utc_iso(until)}
    if row.revoked_at is not None:
        raise Forbidden(f"代理授权 {grant_id} 已被撤销", f"deputy grant {grant_id} was revoked",
                        code="deputy_grant_revoked", details=details)
    if now < aware(row.starts_at):  # type: ignore[operator]
        raise Forbidden(f"代理授权 {grant_id} 尚未开始", f"deputy grant {grant_id} has not started yet",
                        code="deputy_grant_not_started", details=details)
    if now >= until:
        raise Forbidden(f"代理授权 {grant_id} 已于 {utc_iso(until)} 到期，不能再以代理身份办理",
                        f"deputy grant {grant_id} expired at {utc_iso(until)}: no act under it is possible",
                        code="deputy_grant_expired", details=details)
    deputy = Deputy(grant_id, int(row.principal_id), str(row.principal), str(row.principal_unit or ""),
                    str(row.role), utc_iso(until))
    return Actor(actor.id, actor.name, frozenset({str(row.role)}), actor.org_id, actor.unit, deputy)


def acting_now(conn: Connection, actor: Actor, grant_id: int, now: dt.datetime) -> Actor:
    """``acting`` on a read connection (pages check a deputy's form before the service does)."""
    return acting(Store(conn), actor, grant_id, now)


def _person(st: Store, name: str, org_id: int | None, field: str) -> Any:
    row = people.find_person(st.conn, name, org_id)
    if row is None or not row.active:
        raise NotFound(f"没有这个用户：{name}", f"no such user: {name}", details={"field": field, "user": name})
    return row


def _granter(st: Store, name: str) -> Any:
    row = _person(st, name, None, "granted_by")
    if GRANTER_ROLE not in row.roles:
        raise Forbidden("代理由行政首长授权", "a deputy is appointed by the chief executive", code="role_not_permitted",
                        details={"roles": [GRANTER_ROLE]})
    return row


def grant(core: Juece, granter: str, principal: str, deputy: str, role: str, ends_at: dt.datetime | str,
          reason: str, password: str | None, starts_at: dt.datetime | str | None = None) -> int:
    """Grant ``principal``'s ``role`` to ``deputy`` until ``ends_at``, signed by ``granter``; returns the grant id."""
    if not str(reason or "").strip():
        raise InvalidInput("请说明代理理由", "a reason is required", details={"field": "reason"})
    now = core.clock()
    start = max(_instant(starts_at, "starts_at"), now) if starts_at else now
    end = _instant(ends_at, "ends_at")
    if end <= start or end - start > MAX_PERIOD:
        raise InvalidInput("代理期限应在开始之后、一年以内", "the period must end after it starts, within a year",
                           details={"field": "ends_at"})
    with core.db.write() as conn:
        st = Store(conn)
        boss = _granter(st, granter)
        org_id = int(boss.org_id)
        holder, stand_in = _person(st, principal, org_id, "principal"), _person(st, deputy, org_id, "deputy")
        if role not in GRANTABLE or role not in holder.roles:
            raise InvalidInput(f"{principal} 没有可代理的角色 {role}（可代理：{'、'.join(sorted(GRANTABLE))}）",
                               f"{principal} has no grantable role {role} (grantable: {', '.join(sorted(GRANTABLE))})",
                               details={"field": "role"})
        if holder.id == stand_in.id or stand_in.id == boss.id:
            raise InvalidInput("代理人不能是被代理人本人或授权人本人", "the deputy must be neither the principal nor the granter",
                               details={"field": "deputy"})
        grant_id = int(conn.execute(insert(G).values(
            org_id=org_id, principal_id=holder.id, deputy_id=stand_in.id, role=role, starts_at=naive(start),
            ends_at=naive(end), reason=reason.strip(), granted_by=boss.id, granted_at=naive(now), system_seq=0,
        ).returning(G.c.id)).scalar_one())
        data = {"grant": grant_id, "org": str(boss.org_name), "principal": str(holder.name),
                "principal_id": int(holder.id), "deputy": str(stand_in.name), "deputy_id": int(stand_in.id),
                "role": role, "starts_at": utc_iso(start), "ends_at": utc_iso(end), "reason": reason.strip()}
        seq = core.append_system(conn, "deputy_granted", str(boss.name), data, signer=lambda event: keys.sign_event(
            st, int(boss.id), str(boss.name), password, "system", event, now))
        conn.execute(update(G).where(G.c.id == grant_id).values(system_seq=seq))
        return grant_id


def revoke(core: Juece, grant_id: int, by: str, reason: str, password: str | None) -> None:
    """End a grant early, signed by a chief executive of the office."""
    if not str(reason or "").strip():
        raise InvalidInput("请说明撤销理由", "a reason is required", details={"field": "reason"})
    now = core.clock()
    with core.db.write() as conn:
        st = Store(conn)
        boss = _granter(st, by)
        row = conn.execute(select(G).where(G.c.id == grant_id).with_for_update()).first()
        if row is None or int(row.org_id) != int(boss.org_id):
            raise _not_found(grant_id)
        if row.revoked_at is not None or aware(row.ends_at) <= now:  # type: ignore[operator]
            raise ActionNotAllowed(f"代理授权 {grant_id} 已经结束", f"deputy grant {grant_id} has already ended",
                                   code="deputy_grant_ended", details={"grant": grant_id})
        conn.execute(update(G).where(G.c.id == grant_id).values(revoked_at=naive(now), revoked_by=boss.id,
                                                                 revoke_reason=reason.strip()))
        name = str(boss.name)  # as resolved: ``by`` may be NAME@OFFICE
        core.append_system(conn, "deputy_revoked", name, {"grant": grant_id, "reason": reason.strip()},
                           signer=lambda event: keys.sign_event(st, int(boss.id), name, password, "system", event, now))


def expire(core: Juece, now: dt.datetime | None = None) -> int:
    """Record in the system stream every grant that ran out (once each); returns how many."""
    now = now or core.clock()
    query = select(G.c.id, G.c.ends_at).where(G.c.ends_at <= naive(now), G.c.revoked_at.is_(None),
                                              G.c.expiry_recorded_at.is_(None)).order_by(G.c.id)
    with core.db.read() as conn:  # the scan runs every few seconds: take the write lock only when needed
        if conn.execute(query.limit(1)).first() is None:
            return 0
    with core.db.write() as conn:
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = conn.execute(query).all()
        for row in rows:
            ended = aware(row.ends_at)
            assert ended is not None
            core.append_system(conn, "deputy_grant_expired", "system", {"grant": int(row.id), "ends_at": utc_iso(ended)})
            conn.execute(update(G).where(G.c.id == row.id).values(expiry_recorded_at=naive(now)))
        return len(rows)


def office_grants(conn: Connection, org_id: int, now: dt.datetime) -> list[dict[str, Any]]:
    """The office's grants, newest first, with their standing and whether the granter's signature holds."""
    P, D_, B = aliased(U), aliased(U), aliased(U)
    rows = conn.execute(
        select(G, P.c.name.label("principal"), D_.c.name.label("deputy"), B.c.name.label("granter"),
               E.c.event.label("event"))
        .join(P, P.c.id == G.c.principal_id).join(D_, D_.c.id == G.c.deputy_id).join(B, B.c.id == G.c.granted_by)
        .join(E, (E.c.stream == "system") & (E.c.seq == G.c.system_seq), isouter=True)
        .where(G.c.org_id == org_id).order_by(G.c.id.desc())).all()
    ring = Keyring.load(conn) if rows else Keyring()
    out = []
    for r in rows:
        starts, ends, revoked = aware(r.starts_at), aware(r.ends_at), aware(r.revoked_at)
        assert starts is not None and ends is not None
        status = ("revoked" if revoked else "expired" if ends <= now else "scheduled" if now < starts else "in_force")
        signed = r.event is not None and "signature" in r.event
        out.append({"id": int(r.id), "principal": str(r.principal), "deputy": str(r.deputy), "role": str(r.role),
                    "starts_at": utc_iso(starts), "ends_at": utc_iso(ends), "reason": str(r.reason),
                    "granted_by": str(r.granter), "status": status,
                    "revoked_at": utc_iso(revoked) if revoked else None, "revoke_reason": r.revoke_reason,
                    "signature_ok": signed and ring.signature_problem("system", r.event) is None})
    return out


def held_by(conn: Connection, user_id: int, now: dt.datetime) -> list[dict[str, Any]]:
    """The grants ``user_id`` may act under now."""
    rows = conn.execute(select(G.c.id).where(G.c.deputy_id == user_id, G.c.revoked_at.is_(None),
                                             G.c.starts_at <= naive(now), G.c.ends_at > naive(now))).all()
    if not rows:
        return []
    org_id = conn.execute(select(U.c.org_id).where(U.c.id == user_id)).scalar_one()
    ids = {int(r.id) for r in rows}
    return [g for g in office_grants(conn, int(org_id), now) if g["id"] in ids]


__all__ = ["GRANTABLE", "acting", "expire", "grant", "held_by", "office_grants", "revoke"]
