"""``juece``: the command line. Thin: parse, call the service, print; errors translated here once.

A refused action exits with status 1 and prints its code, article and message in Chinese and
English (or a JSON object with ``--json``). Usage errors exit with status 2. A database that cannot be
reached exits with status 75 (``database_unavailable``).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from cli import transparency as _transparency
from cli.common import Ctx, emit, fail, fail_unavailable, json_option, pass_ctx
from config import settings_or_exit
from workflow.admin.sessions import WrongSigningPassword, name_key, record_failure
from workflow.engine.errors import DefinitionError, WorkflowError
from workflow.outage import unavailable


class JueceGroup(click.Group):
    """Translates engine errors into exit status 1 for every sub-command."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WorkflowError as error:
            if isinstance(error, WrongSigningPassword) and isinstance(ctx.obj, Ctx):
                record_failure(ctx.obj.core, name_key(error.user))  # the same lock-out as the pages and the API
            fail(error, as_json=bool(ctx.meta.get("json")))
        except Exception as error:
            if not unavailable(error):
                raise
            fail_unavailable(error, as_json=bool(ctx.meta.get("json")))
        finally:
            if isinstance(ctx.obj, Ctx):
                ctx.obj.close()


@click.group(cls=JueceGroup)
@click.pass_context
def main(ctx: click.Context) -> None:
    """juece (决策): major administrative decisions, lawfully from proposal to evaluation."""
    if not isinstance(ctx.obj, Ctx):
        ctx.obj = Ctx(settings_or_exit())


@main.group()
def db() -> None:
    """The database."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(c: Ctx) -> None:
    """Create or migrate the database to the newest schema."""
    from workflow.record.keys import retire_legacy

    revision = c.core.db.upgrade()
    click.echo(f"database at revision {revision}: {c.core.db.engine.url.render_as_string(hide_password=True)}")
    retired = retire_legacy(c.core)
    if retired:  # keys made before holder-only signing: they verify, they can no longer sign
        click.echo(f"{retired} signing keys made before holder-only signing retired (recorded in the system stream)")


@main.group()
def procedures() -> None:
    """Procedure definitions."""


@procedures.command("list")
@json_option
@pass_ctx
def procedures_list(c: Ctx, as_json: bool) -> None:
    """List the procedure versions juece knows."""
    rows = [{"id": p.id, "version": p.version, "effective_from": p.effective_from.isoformat(), "title": p.title.zh,
             "title_en": p.title.en, "legal_basis": p.legal_basis, "states": len(p.states),
             "actions": len(p.actions)} for p in c.core.catalog.all()]
    if as_json:
        emit(rows)
        return
    for r in rows:
        click.echo(f"{r['id']}@{r['version']}  生效 {r['effective_from']}  {r['title']} / {r['title_en']}  "
                   f"({r['states']} states, {r['actions']} actions)\n    {r['legal_basis']}")


@procedures.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def procedures_check(files: tuple[Path, ...]) -> None:
    """Validate definition files or pack folders; print file:line problems and exit 1 if any."""
    from workflow.engine.loader import load_definition

    broken = 0
    for path in files:
        if path.is_dir():  # a pack folder: its definition, with its own functions
            path = path / "procedure.yaml"
        try:
            procedure = load_definition(path)
        except DefinitionError as error:
            broken += 1
            for problem in error.problems:
                click.echo(str(problem), err=True)
        else:
            click.echo(f"{path}: ok ({procedure.key}, {len(procedure.states)} states, {len(procedure.actions)} actions)")
    sys.exit(1 if broken else 0)


@procedures.command("graph")
@click.argument("procedure_id")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--current", help="highlight this state")
@pass_ctx
def procedures_graph(c: Ctx, procedure_id: str, fmt: str, lang: str, current: str | None) -> None:
    """Print the procedure diagram (ID or ID@VERSION)."""
    from workflow.engine import graph

    catalog = c.core.catalog
    procedure = catalog.get(procedure_id) if "@" in procedure_id else catalog.current(procedure_id, dt.date.today())
    click.echo((graph.mermaid if fmt == "mermaid" else graph.dot)(procedure, current, lang), nl=False)


@main.group()
def users() -> None:
    """People and their roles."""


@users.command("deactivate")
@click.argument("name")
@click.option("--reason", default="", help="recorded in the system audit stream")
@pass_ctx
def users_deactivate(c: Ctx, name: str, reason: str) -> None:
    """Deactivate a person: no sign-in, their sessions end at once, their API tokens stop working."""
    from workflow.admin.offices import deactivate_user

    ended = deactivate_user(c.core, name, by="admin", reason=reason)
    click.echo(f"deactivated {name}: {ended} session(s) ended")


@users.command("reactivate")
@click.argument("name")
@pass_ctx
def users_reactivate(c: Ctx, name: str) -> None:
    """Reactivate a deactivated person (they sign in again; revoked tokens stay revoked)."""
    from workflow.admin.offices import reactivate_user

    reactivate_user(c.core, name, by="admin")
    click.echo(f"reactivated {name}")


@users.command("roles")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, help="repeat for several roles")
@pass_ctx
def users_roles(c: Ctx, name: str, roles: tuple[str, ...]) -> None:
    """Replace a person's roles; their sessions end (they sign in again with the new roles)."""
    from workflow.admin.offices import set_roles

    ended = set_roles(c.core, name, list(roles), by="admin")
    click.echo(f"{name}: {','.join(sorted(set(roles)))} ({ended} session(s) ended)")


@users.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, help="repeat for several roles")
@click.option("--org", default="古塘街道", show_default=True, help="the office (created if new)")
@click.option("--unit", default="", help="the person's unit (科室/单位)")
@click.option("--email", default=None, help="where reminders and alerts are e-mailed")
@pass_ctx
def users_add(c: Ctx, name: str, roles: tuple[str, ...], org: str, unit: str, email: str | None) -> None:
    """Add a person with roles in an office (their signing key comes with their own password: account passwd)."""
    from workflow.admin.offices import add_user

    user_id = add_user(c.core, name, list(roles), org, unit=unit, email=email)
    click.echo(f"{user_id}\t{name}\t{','.join(roles)}\t{org}")


@users.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="read the new password from standard input")
@pass_ctx
def users_passwd(c: Ctx, name: str, password_stdin: bool) -> None:
    """Reset a person's sign-in password (administrator): their signing key is retired.

    They sign in with it, and can sign again once they set their own with ``juece account passwd``.
    """
    from workflow.admin.offices import set_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("新密码 / new password", hide_input=True, confirmation_prompt=True)
    set_password(c.core, name, password)
    click.echo(f"password reset for {name}: their signing key is retired until they set their own password")


@main.group()
def office() -> None:
    """Office settings (collective body, review limits, supervisor)."""


@office.command("set")
@click.argument("org")
@click.argument("pairs", nargs=-1, required=True)
@pass_ctx
def office_set(c: Ctx, org: str, pairs: tuple[str, ...]) -> None:
    """Set KEY=VALUE settings of an office (numbers for the limits)."""
    from workflow.admin.offices import update_org_settings

    changes: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.UsageError(f"expected KEY=VALUE, got {pair!r}")
        changes[key] = int(value) if value.isdigit() else value
    emit(update_org_settings(c.core, org, changes))


@main.group()
def calendar() -> None:
    """The working-day calendar and its override table."""


@calendar.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def calendar_import(c: Ctx, file: Path) -> None:
    """Import a year's official holiday notice (YAML: year, source, holidays, workdays)."""
    from workflow.admin.offices import import_calendar

    result = import_calendar(c.core, file)
    resolved = result["resolved"]
    click.echo(f"{result['year']}: {result['holidays']} holidays, {result['workdays']} make-up working days imported; "
               f"{resolved['deadlines']} awaiting deadlines and {resolved['stalls']} stall clocks computed"
               + (f", {resolved['escalations']} escalations scheduled" if resolved["escalations"] else "")
               + (f", {resolved['still_awaiting']} still awaiting another year" if resolved["still_awaiting"] else ""))


@calendar.command("status")
@json_option
@pass_ctx
def calendar_status(c: Ctx, as_json: bool) -> None:
    """Which years have official data (package or imported, with source); whether next year is missing."""
    from workflow.timing.awaiting import calendar_status as status
    from workflow.timing.calendar import SHANGHAI

    today = c.core.clock().astimezone(SHANGHAI).date()
    with c.core.db.read() as conn:
        info = status(conn, today, c.settings.calendar_notice_from)
    if as_json:
        emit(info)
        return
    package = [y["year"] for y in info["years"] if y["package"] and not y.get("imported")]
    if package:
        click.echo(f"{package[0]}–{package[-1]}\t{info['package']}")
    for y in info["years"]:
        if y.get("imported"):
            click.echo(f"{y['year']}\timported {y['imported_at'][:10]} by {y['imported_by']}: {y['source']}")
    for which in ("current_year", "next_year"):
        year = info[which]
        click.echo(f"{year['year']}: {'covered' if year['covered'] else 'MISSING / 缺少'}"
                   + (" (next year)" if which == "next_year" else ""))
    waiting = info["awaiting"]
    if waiting["deadlines"] or waiting["stalls"]:
        click.echo(f"awaiting the calendar: {waiting['deadlines']} deadlines, {waiting['stalls']} stall clocks "
                   f"(years {', '.join(map(str, waiting['years']))})")
    if info["to_import"]:
        click.echo(f"import now: {', '.join(map(str, info['to_import']))} — administrators are notified daily "
                   f"(from {info['notice_from']}); juece calendar import FILE")


@calendar.command("set")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("kind", type=click.Choice(["workday", "holiday"]))
@click.option("--name", default="")
@click.option("--office", default=None, help="only this office's calendar (without it: the national calendar)")
@pass_ctx
def calendar_set(c: Ctx, day: dt.datetime, kind: str, name: str, office: str | None) -> None:
    """Override one day as a working day or a holiday, nationally or (--office) for one office only."""
    from workflow.admin.offices import set_calendar_day

    resolved = set_calendar_day(c.core, day.date(), kind == "workday", name, org=office)
    computed = resolved["deadlines"] + resolved["stalls"] + resolved["escalations"]
    click.echo(f"{day.date()} {kind}" + (f"; {computed} awaiting deadlines computed" if computed else ""))


@main.group()
def audit() -> None:
    """The tamper-evident record."""


#: A full run shows progress on stderr only when it has at least this many decisions to go through.
PROGRESS_FROM = 500


def _progress(as_json: bool) -> Callable[[int, int], None] | None:
    """Prints "verified 1200/10000 decisions" on stderr about every twentieth of a long run."""
    if as_json:
        return None

    def show(done: int, total: int) -> None:
        if total >= PROGRESS_FROM and (done == total or done % max(1, total // 20) == 0):
            click.echo(f"verified {done}/{total} decisions", err=True)
    return show


@audit.command("verify")
@click.argument("decision_id", required=False, type=int)
@click.option("--full", is_flag=True, help="redo everything, ignoring the positions earlier runs verified")
@click.option("--against", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="also prove, against this published tree head (JSON), that nothing it covers changed")
@_transparency.key_option
@json_option
@pass_ctx
def audit_verify(c: Ctx, decision_id: int | None, full: bool, against: Path | None, vkey: str | None,
                 as_json: bool) -> None:
    """Verify hash chains, signatures, documents and decision rows; exit 1 naming the first break.

    With ID only that decision (and the keys its signatures need); without, the whole record, each
    stream from where it last verified clean (--full: from the start).
    """
    from workflow.record.audit import verify_decision
    from workflow.record.audit_positions import verify_record

    if decision_id is not None:
        with c.core.db.read() as conn:
            report = verify_decision(conn, c.core.catalog, decision_id)
    else:
        report = verify_record(c.core, full=full, progress=_progress(as_json))
    log = _transparency.verify_log(c, against, vkey) if against is not None else None
    problems = [str(p) for p in report.problems] + (log.problems if log else [])
    if as_json:
        emit(report.as_dict() | ({"log": log.as_dict(), "ok": report.ok and log.ok} if log else {}))
    elif not problems:
        unchanged = f" ({report.skipped} more unchanged since verified)" if report.skipped else ""
        click.echo(f"ok: {report.decisions} decisions{unchanged}, {report.events} events, {report.signatures} "
                   f"signatures, {report.documents} documents verified")
        if log:
            click.echo(f"ok: the log ({log.log_size} leaves) extends the tree head of size {log.head_size} "
                       f"({log.key_source})")
    else:
        click.echo(f"BROKEN: {problems[0]}", err=True)
        for problem in problems[1:]:
            click.echo(f"  also: {problem}", err=True)
    sys.exit(0 if not problems else 1)


@main.command("demo")
@pass_ctx
def demo(c: Ctx) -> None:
    """Load the demo office 古塘街道, its people and the 界牌新潮塘 decision in progress."""
    from workflow.demo import DEMO_PASSWORD, PEOPLE, TITLE, load_demo

    if c.settings.production:
        raise click.UsageError("the demo is not loaded under JUECE_ENV=production / 生产模式不加载演示数据")
    c.core.db.upgrade()
    decision_id = load_demo(c.core)
    click.echo(f"demo loaded: decision {decision_id} {TITLE}")
    click.echo(f"sign in as any of {', '.join(p[0] for p in PEOPLE)} with the password {DEMO_PASSWORD}")


from cli import catalogue as _catalogue  # noqa: E402
from cli import decisions as _decisions  # noqa: E402  (sub-commands live in their own module)
from cli import doctor as _doctor  # noqa: E402
from cli import notices as _notices  # noqa: E402
from cli import run as _run  # noqa: E402
from cli import signing as _signing  # noqa: E402

main.add_command(_catalogue.catalogue)
main.add_command(_decisions.decisions)
main.add_command(_notices.deadlines)
main.add_command(_notices.notifications)
main.add_command(_notices.tokens)
main.add_command(_run.up)
main.add_command(_doctor.doctor)
main.add_command(_transparency.log)
audit.add_command(_transparency.audit_prove)
main.add_command(_signing.account)
main.add_command(_signing.keys_group)
main.add_command(_signing.deputies)
