"""``juece decisions migrate``: a dry run prints the mapping and changes nothing; the chief migrates with the legal
basis and their password; ``juece audit verify`` holds afterwards; refusals name their code."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from cli.common import Ctx
from cli.main import main
from config.settings import Settings
from tests.helpers import PASSWORD, Clock
from tests.test_migration import BASIS, FIXTURES, NEW, in_consultation
from workflow.record.keywrap import FAST
from workflow.service import Juece


def juece(core: Juece, clock: Clock, tmp_path: Path, *args: str, stdin: str | None = None) -> Result:
    settings = Settings(instance_dir=tmp_path / "instance", database_url=core.db.url, broker_url="memory://",
                        procedures_dir=FIXTURES)
    return CliRunner().invoke(main, list(args), obj=Ctx(settings, clock, kdf=FAST), input=stdin)


def test_dry_run_then_migrate_then_verify(core: Juece, clock: Clock, tmp_path: Path) -> None:
    did = str(in_consultation(core))
    show = json.loads(juece(core, clock, tmp_path, "decisions", "show", did, "--json").output)

    dry = juece(core, clock, tmp_path, "decisions", "migrate", did, "--to", NEW, "--basis", BASIS, "--as", "chief",
                "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "dry run, nothing changed" in dry.output and "state: consultation → consultation" in dry.output
    assert "lead_unit → lead_department" in dry.output and "prior_risk_assessment" in dry.output
    assert json.loads(juece(core, clock, tmp_path, "decisions", "show", did, "--json").output) == show

    done = juece(core, clock, tmp_path, "decisions", "migrate", did, "--to", "2027-01-01", "--basis", BASIS,
                 "--as", "chief", "--password-stdin", "--json", stdin=PASSWORD + "\n")
    assert done.exit_code == 0, done.output
    answer = json.loads(done.output)
    assert answer["ok"] and answer["to"] == NEW and answer["version"] == show["version"] + 1
    shown = juece(core, clock, tmp_path, "decisions", "show", did).output
    assert f"procedure_migrated consultation→consultation ✍  [迁移 migration: cn-713@2019-09-01 → {NEW}，依据 basis：{BASIS}]" \
        in shown
    verify = juece(core, clock, tmp_path, "audit", "verify")
    assert verify.exit_code == 0, verify.output


def test_refusals_name_their_code(core: Juece, clock: Clock, tmp_path: Path) -> None:
    did = str(in_consultation(core))
    wrong = juece(core, clock, tmp_path, "decisions", "migrate", did, "--to", NEW, "--basis", BASIS, "--as", "owner",
                  "--dry-run", "--json")
    assert wrong.exit_code != 0 and "role_not_permitted" in wrong.output
    older = juece(core, clock, tmp_path, "decisions", "migrate", did, "--to", "cn-713@2019-09-01", "--basis", BASIS,
                  "--as", "chief", "--dry-run", "--json")
    assert older.exit_code != 0 and "migration_not_newer" in older.output
    missing = juece(core, clock, tmp_path, "decisions", "migrate", did, "--to", NEW, "--as", "chief", "--dry-run")
    assert missing.exit_code != 0 and "--basis" in missing.output
