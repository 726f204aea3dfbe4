"""``juece log …`` and ``juece audit prove``: the transparency log from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from cli.common import Ctx, emit, json_option, pass_ctx
from workflow.record import tlog_verify, transparency
from workflow.record.merkle import ProofError

head_file = click.Path(exists=True, dir_okay=False, path_type=Path)
key_option = click.option("--key", "vkey", default=None, envvar="JUECE_LOG_VERIFIER_KEY",
                          help="the log's verifier key (origin+hash+base64) as published; "
                               "without it the key on record in the database is used")


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from a file, or a usage error."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"{path}: {exc}") from exc
    except RecursionError as exc:
        raise click.BadParameter(f"{path}: JSON nested too deeply to read") from exc
    if not isinstance(value, dict):
        raise click.BadParameter(f"{path}: not a JSON object")
    return value


def verify_log(c: Ctx, against: Path, vkey: str | None) -> tlog_verify.LogReport:
    """Check the record against a published head (``juece audit verify --against``)."""
    with c.core.db.read() as conn:
        return tlog_verify.verify_against(conn, read_json(against), vkey)


@click.group("log")
def log() -> None:
    """The transparency log: signed tree heads, witnesses, proofs."""


@log.command("publish")
@click.option("--force", is_flag=True, help="sign a head even when the log did not grow")
@json_option
@pass_ctx
def log_publish(c: Ctx, force: bool, as_json: bool) -> None:
    """Log new events, sign a tree head and queue it to the witnesses."""
    head = transparency.publish(c.core, c.settings.log_origin, force=force)
    if as_json:
        emit(head)
    elif head is None:
        click.echo("the log did not grow: no new head (use --force to sign one anyway)")
    else:
        click.echo(f"tree head {head['tree_size']} {head['root_hash']} {head['timestamp']}")


@log.command("head")
@pass_ctx
def log_head(c: Ctx) -> None:
    """Print the newest signed tree head as JSON (what --against takes)."""
    with c.core.db.read() as conn:
        head = transparency.latest_head(conn)
    if head is None:
        click.echo("no tree head published yet", err=True)
        sys.exit(1)
    emit(head)


@log.command("key")
@pass_ctx
def log_key(c: Ctx) -> None:
    """Print the log's public key and verifier key (what witnesses pin)."""
    with c.core.db.read() as conn:
        emit(transparency.require_key(conn))


@log.command("check")
@click.argument("bundle", type=head_file)
@click.option("--key", "vkey", required=True, envvar="JUECE_LOG_VERIFIER_KEY", help="the log's verifier key")
@json_option
def log_check(bundle: Path, vkey: str, as_json: bool) -> None:
    """Verify an inclusion proof bundle offline (no database): exit 1 if it does not hold."""
    try:
        result = tlog_verify.check_bundle(read_json(bundle), vkey)
    except (ProofError, KeyError, TypeError, ValueError) as exc:
        if as_json:
            emit({"ok": False, "problem": str(exc)})
        else:
            click.echo(f"BROKEN: {exc}", err=True)
        sys.exit(1)
    if as_json:
        emit(result)
    else:
        click.echo(f"ok: {result['stream']} #{result['seq']} is leaf {result['leaf_index']} of the tree of size "
                   f"{result['tree_size']} signed by {result['origin']} at {result['timestamp']}")


@click.command("prove")
@click.argument("decision_id", type=int)
@click.argument("seq", type=int)
@click.option("--against", type=head_file, required=True, help="a published tree head (JSON)")
@key_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="write the bundle here")
@pass_ctx
def audit_prove(c: Ctx, decision_id: int, seq: int, against: Path, vkey: str | None, output: Path | None) -> None:
    """Prove that event SEQ of decision DECISION_ID is in a published head (a bundle to file with the dossier)."""
    try:
        with c.core.db.read() as conn:
            bundle = tlog_verify.prove(conn, f"decision:{decision_id}", seq, read_json(against), vkey)
    except ProofError as exc:
        click.echo(f"BROKEN: {exc}", err=True)
        sys.exit(1)
    if output is None:
        emit(bundle)
    else:
        output.write_text(json.dumps(bundle, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        click.echo(f"inclusion proof of decision:{decision_id} #{seq} (leaf {bundle['leaf_index']} of "
                   f"{bundle['tree_size']}) written to {output}")
