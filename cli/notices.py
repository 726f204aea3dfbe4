"""``juece deadlines …`` and ``juece notifications …``."""

from __future__ import annotations

import datetime as dt

import click

from cli.common import Ctx, emit, json_option, pass_ctx
from cli.signing import password_stdin_option, read_password
from workflow.admin import people
from workflow.views import people as listing
from workflow.views.queries import iso
from workflow.views.visibility import public_only, visible_ids


@click.group()
def deadlines() -> None:
    """Statutory deadlines."""


@deadlines.command("list")
@click.option("--overdue", is_flag=True, help="only due instants already past")
@json_option
@pass_ctx
def deadlines_list(c: Ctx, overdue: bool, as_json: bool) -> None:
    """List running deadline rows (open, fired, paused) and those awaiting a year's calendar (stall clocks too)."""
    from workflow.views.queries import awaiting_stalls, list_deadlines

    with c.core.db.read() as conn:
        rows = [r for status in ("open", "fired", "paused")
                for r in list_deadlines(conn, overdue_at=c.core.clock() if overdue else None, status=status)]
        if not overdue:  # an awaiting deadline has no due instant yet, so it is never overdue
            rows += list_deadlines(conn, status="awaiting") + awaiting_stalls(conn)
    rows.sort(key=lambda r: (r["due_at"] is None, r["due_at"] or "", r["id"] or 0))
    if as_json:
        emit(rows)
        return
    for r in rows:
        if r["status"] == "awaiting":
            click.echo(f"{r['id'] or '-'}\tdecision {r['decision_id']}\t{r['key']}\t{r['kind']}\tawaiting\t"
                       f"待导入{r['awaiting_year']}年日历 / awaiting the {r['awaiting_year']} calendar\t{r['article']}")
            continue
        click.echo(f"{r['id']}\tdecision {r['decision_id']}\t{r['key']}\t{r['kind']}\t{r['status']}\t"
                   f"fire {r['fire_at']}\tdue {r['due_at']}\t{r['article']}")


@deadlines.command("scan")
@json_option
@pass_ctx
def deadlines_scan(c: Ctx, as_json: bool) -> None:
    """Run one deadline scan now and print what it did (the beat runs it every few seconds)."""
    from workflow.notices.alerts import scan

    result = scan(c.core, calendar_notice_from=c.settings.calendar_notice_from).as_dict()
    if as_json:
        emit(result)
        return
    click.echo(f"reminders {result['reminders']}, overdue {result['overdue']}, escalations {result['escalations']}, "
               f"stalls {result['stalls']}, calendar notices {result['calendar_notices']}: "
               f"{result['notifications']} notifications, {result['deliveries']} deliveries queued"
               + (f"; {result['resolved']} awaiting deadlines computed" if result["resolved"] else ""))
    for problem in result["problems"]:
        click.echo(f"problem: {problem}", err=True)


def _change(c: Ctx, decision_id: int, key: str, actor: str, reason: str, until: dt.datetime | None,
            password_stdin: bool) -> None:
    from workflow.timing.deadline_changes import change_deadline

    # The chief executive signs the move with their own key: the password is asked every time.
    emit(change_deadline(c.core, decision_id, key, actor, reason, until.date() if until else None,
                         password=read_password(password_stdin)))


@deadlines.command("extend")
@click.argument("decision_id", type=int)
@click.argument("key")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), required=True, help="the new last day")
@click.option("--reason", required=True)
@click.option("--as", "actor", required=True, help="the chief executive (signs with their password)")
@password_stdin_option
@pass_ctx
def deadlines_extend(c: Ctx, decision_id: int, key: str, until: dt.datetime, reason: str, actor: str,
                     password_stdin: bool) -> None:
    """Move a decision's deadline KEY to a new last day (the chief executive, signed, with a reason)."""
    _change(c, decision_id, key, actor, reason, until, password_stdin)


@deadlines.command("pause")
@click.argument("decision_id", type=int)
@click.argument("key")
@click.option("--reason", required=True)
@click.option("--as", "actor", required=True, help="the chief executive (signs with their password)")
@password_stdin_option
@pass_ctx
def deadlines_pause(c: Ctx, decision_id: int, key: str, reason: str, actor: str, password_stdin: bool) -> None:
    """Pause a decision's deadline KEY (no alerts) until it is extended to a new day (the chief, signed)."""
    _change(c, decision_id, key, actor, reason, None, password_stdin)


@click.group()
def notifications() -> None:
    """Reminders and alerts: the in-app inbox and the state of every delivery."""


@notifications.command("list")
@click.option("--as", "viewer", help="only this person's notifications")
@json_option
@pass_ctx
def notifications_list(c: Ctx, viewer: str | None, as_json: bool) -> None:
    """List notifications with each delivery's state (sent / failed with reason / pending)."""
    with c.core.db.read() as conn:
        person = people.resolve_person(conn, viewer) if viewer else None
        rows = listing.all_notifications(conn, person.id if person is not None else None)
        if person is not None and public_only(person.roles):  # a citizen: notices about what they may see
            seen = visible_ids(conn, int(person.org_id), [r.decision_id for r in rows if r.decision_id],
                               c.core.clock(), c.core.catalog)
            rows = [r for r in rows if r.decision_id is None or r.decision_id in seen]
        deliveries = listing.deliveries(conn)
    out = [{"id": r.id, "kind": r.kind, "to": r.user_name or "(office channel)", "decision": r.decision_id,
            "deadline": r.deadline_id, "subject": r.subject, "created_at": iso(r.created_at),
            "acknowledged_at": iso(r.acknowledged_at),
            "deliveries": deliveries.get(r.id, [])} for r in rows]
    if as_json:
        emit(out)
        return
    for n in out:
        sends = ", ".join(f"{d['channel']}:{d['status']}" + (f" ({d['error']})" if d["error"] else "")
                          for d in n["deliveries"]) or "inbox"
        ack = " ✓" if n["acknowledged_at"] else ""
        click.echo(f"{n['id']}\t{n['kind']}\t{n['to']}\t{n['subject']}\t[{sends}]{ack}")


@notifications.command("ack")
@click.argument("notification_id", type=int)
@click.option("--as", "actor", required=True)
@pass_ctx
def notifications_ack(c: Ctx, notification_id: int, actor: str) -> None:
    """Acknowledge a notification (an overdue item then stops escalating)."""
    from workflow.notices.alerts import acknowledge

    emit(acknowledge(c.core, notification_id, actor))


@click.group()
def tokens() -> None:
    """Personal access tokens for the REST API."""


@tokens.command("create")
@click.argument("user")
@click.option("--days", type=int, default=None, help="valid for this many days (default 90, at most 366)")
@click.option("--name", default="", help="what the token is for (e.g. 浙政钉 connector)")
@json_option
@pass_ctx
def tokens_create(c: Ctx, user: str, days: int | None, name: str, as_json: bool) -> None:
    """Issue a token for USER and print it once (only its hash is kept)."""
    from workflow.admin.tokens import create_token

    issued = create_token(c.core, user, name=name, days=days)
    if as_json:
        emit(issued.as_dict())
    else:
        click.echo(issued.secret)


@tokens.command("revoke")
@click.argument("token_id", type=int)
@pass_ctx
def tokens_revoke(c: Ctx, token_id: int) -> None:
    """Revoke a token at once."""
    from workflow.admin.tokens import revoke_token

    emit(revoke_token(c.core, token_id, by="admin"))
