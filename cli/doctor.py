"""``juece doctor``: every setting production mode would refuse, listed in any mode (exit 1 if any)."""

from __future__ import annotations

import sys

import click

from cli.common import Ctx, emit, json_option, pass_ctx
from config.production import data_findings, settings_findings
from workflow.outage import DatabaseError


@click.command("doctor")
@click.option("--everyone", is_flag=True,
              help="try the demo password on every active person, not only the demo's names (slow: argon2 each)")
@json_option
@pass_ctx
def doctor(c: Ctx, everyone: bool, as_json: bool) -> None:
    """List what JUECE_ENV=production would refuse to start with; exit 1 if anything, 0 if nothing."""
    found = settings_findings(c.settings)
    unchecked = ""
    try:
        found += data_findings(c.core, everyone)
    except (DatabaseError, OSError) as error:  # the settings are still worth listing
        unchecked = f"{type(error).__name__}: {error}".splitlines()[0]
    mode = c.settings.environment
    if as_json:
        emit({"ok": not found, "environment": mode, "findings": [f.as_dict() for f in found]}
             | ({"database_unchecked": unchecked} if unchecked else {}))
    elif not found:
        click.echo(f"ok: nothing production mode would refuse (JUECE_ENV={mode})")
    else:
        click.echo(f"{len(found)} finding(s) production mode would refuse (JUECE_ENV={mode}):")
        for f in found:
            click.echo(f"  [{f.code}] {f.zh}\n      {f.en}\n      fix: {f.fix}")
    if unchecked and not as_json:
        click.echo(f"database not checked / 未检查数据库: {unchecked}", err=True)
    sys.exit(1 if found else 0)
