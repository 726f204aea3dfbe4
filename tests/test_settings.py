"""Configuration that is honest: one ``Settings`` object read once, each default written once, the environment
read in one module, and one time zone — China Standard Time, a legal fact rather than a setting."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.v1 import route_helpers
from api.web.common import due_time
from config.runtime import delivery_policy
from config.settings import DEFAULTS, Settings, SettingsError, load_settings
from worker.app import create_celery
from workflow.notices import alerts, outbox
from workflow.timing.calendar import SHANGHAI, WorkCalendar

ROOT = Path(__file__).resolve().parent.parent
CODE = sorted(p for part in ("workflow", "api", "cli", "worker", "config") for p in (ROOT / part).rglob("*.py"))

#: The modules that may read the environment besides ``config/settings.py``, and why.
ENVIRONMENT_READERS = {
    "config/settings.py": "the one place the settings are read",
    "cli/run.py": "`juece up` hands its own environment (PATH, PYTHONPATH…) on to the worker and beat it starts",
    "cli/transparency.py": "--key of `juece log verify`: one command's argument (click envvar), not configuration",
    "workflow/persistence/migrations/env.py": "the plain `alembic` command line, outside any juece process",
}
#: The one module that names the time zone.
ZONE_SOURCE = "workflow/timing/calendar.py"


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _reads_environment(tree: ast.AST) -> bool:
    """``os.environ``/``os.getenv``/``from os import environ``, or a click option's ``envvar=``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os" \
                and node.attr in ("environ", "environb", "getenv", "getenvb", "putenv"):
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "os" \
                and {a.name for a in node.names} & {"environ", "environb", "getenv", "getenvb"}:
            return True
        if isinstance(node, ast.keyword) and node.arg in ("envvar", "auto_envvar_prefix"):
            return True
    return False


def test_only_the_settings_module_reads_the_environment() -> None:
    readers = {_rel(p) for p in CODE if _reads_environment(ast.parse(p.read_text(encoding="utf-8")))}
    assert readers - ENVIRONMENT_READERS.keys() == set(), "read it into Settings (config/settings.py) instead"
    assert ENVIRONMENT_READERS.keys() - readers == set(), "an exception that no longer reads: strike it off"


def _names_a_zone(tree: ast.AST) -> list[int]:
    """Lines that build a zone: ZoneInfo(…), timezone(<offset>), or a zone name like "Asia/Shanghai"."""
    lines: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "ZoneInfo" or (name == "timezone" and node.args):
                lines.append(node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and node.value.startswith(("Asia/", "Etc/GMT", "PRC")) and " " not in node.value:
            lines.append(node.lineno)
    return lines


def test_one_module_names_the_time_zone() -> None:
    found = {_rel(p): lines for p in CODE if (lines := _names_a_zone(ast.parse(p.read_text(encoding="utf-8"))))}
    assert found.keys() == {ZONE_SOURCE}, "use workflow.timing.calendar.SHANGHAI"


def test_counting_showing_and_scheduling_use_that_one_zone(tmp_path: Path) -> None:
    assert WorkCalendar.tz is SHANGHAI and alerts.CST is SHANGHAI and route_helpers.CST is SHANGHAI
    due = WorkCalendar().end_of_day(dt.date(2026, 3, 2))  # a period's last day runs to 24:00 China time
    assert due == dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)
    assert due_time(due) == "2026-03-02 24:00"
    settings = Settings(instance_dir=tmp_path, database_url="sqlite://", broker_url="memory://")
    assert create_celery(settings).conf.timezone == SHANGHAI.key


def test_the_time_zone_is_no_setting_and_naming_another_is_refused_at_start(tmp_path: Path) -> None:
    assert "timezone" not in {f.name for f in dataclasses.fields(Settings)}
    assert load_settings({"JUECE_TIMEZONE": "Asia/Shanghai"}) == load_settings({})  # says what is true anyway
    with pytest.raises(SettingsError, match=r"JUECE_TIMEZONE: .*China Standard Time.*'Europe/Berlin'"):
        load_settings({"JUECE_TIMEZONE": "Europe/Berlin"})
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUECE_")}
    env |= {"JUECE_INSTANCE_DIR": str(tmp_path), "JUECE_TIMEZONE": "UTC"}
    for start in (["-c", "import worker.celery_app"], ["-c", "from cli.main import main; main()", "doctor"],
                  ["-c", "from api import create_app; create_app()"]):  # what gunicorn calls
        run = subprocess.run([sys.executable, *start], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 1, run.stderr
        assert run.stderr.strip().splitlines() == [
            "juece: JUECE_TIMEZONE: the procedures' deadlines and dates are China Standard Time (Asia/Shanghai) by "
            "law and juece has no time zone setting; 'UTC' would not be used: unset JUECE_TIMEZONE"]


def test_every_default_is_the_field_s_own(tmp_path: Path) -> None:
    loaded = load_settings({"JUECE_INSTANCE_DIR": str(tmp_path)})
    assert loaded == Settings(instance_dir=tmp_path.resolve(), database_url=f"sqlite:///{tmp_path.resolve()}/juece.db",
                              broker_url=f"sqla+sqlite:///{tmp_path.resolve()}/broker.db")
    empty = {"JUECE_SCAN_SECONDS": "", "JUECE_SMTP_PORT": " ", "JUECE_DELIVERY_BACKOFF_SECONDS": ""}
    assert load_settings({"JUECE_INSTANCE_DIR": str(tmp_path)} | empty) == loaded  # empty is unset, not an error
    assert DEFAULTS["delivery_backoff_seconds"] == loaded.delivery_backoff_seconds


@pytest.mark.parametrize("name, value", [("JUECE_SCAN_SECONDS", "often"), ("JUECE_SMTP_PORT", "25.5"),
                                         ("JUECE_DELIVERY_BACKOFF_SECONDS", ","),
                                         ("JUECE_DELIVERY_BACKOFF_SECONDS", "30,-1"),
                                         ("JUECE_TRUSTED_PROXIES", "yes"), ("JUECE_CALENDAR_NOTICE_FROM", "11-31"),
                                         ("JUECE_ENV", "prod")])
def test_a_value_juece_cannot_use_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value})


def test_the_outbox_takes_its_lease_back_off_and_attempts_from_the_settings() -> None:
    for function in (outbox.relay, outbox.claim, outbox.complete):
        assert inspect.signature(function).parameters["policy"].default is inspect.Parameter.empty
    policy = delivery_policy(load_settings({"JUECE_DELIVERY_LEASE_SECONDS": "7", "JUECE_DELIVERY_MAX_ATTEMPTS": "2",
                                            "JUECE_DELIVERY_BACKOFF_SECONDS": "1,5"}))
    assert policy == outbox.DeliveryPolicy(dt.timedelta(seconds=7), (dt.timedelta(seconds=1), dt.timedelta(seconds=5)), 2)
