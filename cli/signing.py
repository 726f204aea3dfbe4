"""``juece account …``, ``juece keys …`` and ``juece deputies …``: own passwords, signing keys, deputy grants.

Signing needs the signer's own password at that moment. Interactively it is asked for (hidden);
scripts pass ``--password-stdin`` and write it as one line on standard input. It is never read from
an environment variable or an argument, where other users of the machine could see it.
"""

from __future__ import annotations

import sys

import click

from cli.common import Ctx, emit, json_option, pass_ctx
from workflow.admin import people
from workflow.views.decision import decision_row

password_stdin_option = click.option(
    "--password-stdin", is_flag=True,
    help="read the signer's password from the first line of standard input (for scripts)")


def read_password(password_stdin: bool, prompt: str = "签名密码 / signing password") -> str | None:
    """The password from stdin's next line, or asked for on a terminal; None when neither is possible."""
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n") or None
    if sys.stdin.isatty():
        return str(click.prompt(prompt, hide_input=True))
    return None  # not interactive and not given: the service refuses with signing_password_required


def signed_action(c: Ctx, decision_id: int, action: str, actor: str | None = None, deputy: bool = False) -> bool:
    """Whether ``action`` on this decision is signed (so its password is asked for).

    An action that needs approval is signed when an approver takes it (a deputy may hold the approving
    role); anyone else only requests it, which signs nothing.
    """
    with c.core.db.read() as conn:
        row = decision_row(conn, decision_id)
        try:
            person = people.find_person(conn, actor) if actor else None
        except people.AmbiguousName:
            person = None  # the service refuses the ambiguous name itself
        roles = person.roles if person is not None else None
    if row is None:
        return False  # the service says "no such decision"
    spec = c.core.catalog.get(f"{row.procedure_id}@{row.procedure_version}").actions.get(action)
    if spec is not None and spec.approval is not None:
        return deputy or actor is None or bool(set(roles or ()) & set(spec.approval.by))
    return bool(spec and spec.signed)


@click.group()
def account() -> None:
    """A person's own password and signing key (only they can sign with it)."""


@account.command("passwd")
@click.argument("name")
@password_stdin_option
@pass_ctx
def account_passwd(c: Ctx, name: str, password_stdin: bool) -> None:
    """Set your own password: re-wraps your signing key, or issues your key pair if you have none yet.

    With --password-stdin: the current password on the first line (omit it if you have none yet), the
    new one on the next.
    """
    from workflow.record import keys

    with c.core.db.read() as conn:
        has_password = people.resolve_person(conn, name).password_hash is not None
    if password_stdin:
        current = sys.stdin.readline().rstrip("\r\n") if has_password else None
        new = sys.stdin.readline().rstrip("\r\n")
    else:
        current = click.prompt("当前密码 / current password", hide_input=True) if has_password else None
        new = click.prompt("新密码 / new password", hide_input=True, confirmation_prompt=True)
    key_id = keys.change_password(c.core, name, new, current)
    click.echo(f"password set for {name}; signing key {key_id}")


@click.group("keys")
def keys_group() -> None:
    """Signing keys: list, rotate, revoke; retire keys made before holder-only signing."""


@keys_group.command("list")
@click.argument("name")
@json_option
@pass_ctx
def keys_list(c: Ctx, name: str, as_json: bool) -> None:
    """A person's keys, newest first (retired ones stay: old signatures verify against them)."""
    from workflow.record.keys import keys_of

    with c.core.db.read() as conn:
        rows = keys_of(conn, name)
    if as_json:
        emit(rows)
        return
    for r in rows:
        state = "usable" if r["usable"] else f"retired {r['retired_at'] or ''} ({r['retired_reason'] or r['kind']})"
        click.echo(f"{r['key']}\t{r['created_at']}\t{state}\t{r['public_key']}")


@keys_group.command("rotate")
@click.argument("name")
@password_stdin_option
@pass_ctx
def keys_rotate(c: Ctx, name: str, password_stdin: bool) -> None:
    """Replace your key by a new pair under the same password (the old one is retired, audited)."""
    from workflow.record.keys import rotate_key

    click.echo(f"new signing key {rotate_key(c.core, name, read_password(password_stdin) or '')} for {name}")


@keys_group.command("revoke")
@click.argument("name")
@click.option("--reason", required=True)
@click.option("--by", default="admin", show_default=True, help="who revokes (recorded)")
@pass_ctx
def keys_revoke(c: Ctx, name: str, reason: str, by: str) -> None:
    """Retire a person's key at once (e.g. suspected compromise); their next own password issues a new one."""
    from workflow.record.keys import revoke_key

    click.echo(f"key {revoke_key(c.core, name, reason, by)} of {name} revoked")


@keys_group.command("retire-legacy")
@pass_ctx
def keys_retire_legacy(c: Ctx) -> None:
    """Record the retirement of keys made before holder-only signing (``db upgrade`` does it too)."""
    from workflow.record.keys import retire_legacy

    click.echo(f"{retire_legacy(c.core)} legacy keys retired")


@click.group()
def deputies() -> None:
    """Deputy grants (代理): a chief executive's signed grant of a person's role for a period."""


@deputies.command("grant")
@click.option("--as", "granter", required=True, help="the chief executive granting (signs with their password)")
@click.option("--principal", required=True, help="whose role is granted")
@click.option("--deputy", required=True, help="who acts in their place, in their own name")
@click.option("--role", required=True)
@click.option("--until", "ends_at", required=True, help="end instant, e.g. 2026-05-01T00:00+08:00")
@click.option("--from", "starts_at", help="start instant (default: now)")
@click.option("--reason", required=True)
@password_stdin_option
@json_option
@pass_ctx
def deputies_grant(c: Ctx, granter: str, principal: str, deputy: str, role: str, ends_at: str, starts_at: str | None,
                   reason: str, password_stdin: bool, as_json: bool) -> None:
    """Grant PRINCIPAL's ROLE to DEPUTY until --until, signed by the granter; prints the grant id."""
    from workflow.admin.deputies import grant

    grant_id = grant(c.core, granter, principal, deputy, role, ends_at, reason, read_password(password_stdin),
                     starts_at)
    if as_json:
        emit({"ok": True, "grant": grant_id})
    else:
        click.echo(grant_id)


@deputies.command("revoke")
@click.argument("grant_id", type=int)
@click.option("--as", "by", required=True, help="a chief executive of the office (signs)")
@click.option("--reason", required=True)
@password_stdin_option
@pass_ctx
def deputies_revoke(c: Ctx, grant_id: int, by: str, reason: str, password_stdin: bool) -> None:
    """End a grant early, signed."""
    from workflow.admin.deputies import revoke

    revoke(c.core, grant_id, by, reason, read_password(password_stdin))
    click.echo(f"grant {grant_id} revoked")


@deputies.command("list")
@click.option("--as", "viewer", required=True, help="a person of the office")
@json_option
@pass_ctx
def deputies_list(c: Ctx, viewer: str, as_json: bool) -> None:
    """The office's grants, newest first, with their standing."""
    from workflow.admin.deputies import office_grants

    with c.core.db.read() as conn:
        org_id = people.resolve_person(conn, viewer, field="as").org_id
        rows = office_grants(conn, int(org_id), c.core.clock())
    if as_json:
        emit(rows)
        return
    for g in rows:
        click.echo(f"{g['id']}\t{g['status']}\t{g['deputy']} 代 {g['principal']} ({g['role']})\t"
                   f"{g['starts_at']} → {g['ends_at']}\t{g['granted_by']}{' ✍' if g['signature_ok'] else ' ✗'}\t"
                   f"{g['reason']}")


@deputies.command("expire")
@pass_ctx
def deputies_expire(c: Ctx) -> None:
    """Record grants that ran out (the deadline scan does it too)."""
    from workflow.admin.deputies import expire

    click.echo(f"{expire(c.core)} grants recorded as expired")
