"""Production mode: juece refuses to start on an unsafe setting and says why; ``juece doctor`` lists it all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect

from api import create_app
from cli.common import Ctx
from cli.main import main
from config.production import ProductionRefused, data_findings, findings, settings_findings
from config.settings import Settings, load_settings
from tests.helpers import PASSWORD
from workflow.admin import offices as admin
from workflow.demo import DEMO_PASSWORD, load_demo
from workflow.persistence.db import Database
from workflow.record import keys
from workflow.record.keywrap import FAST
from workflow.service import Juece

ROOT = Path(__file__).resolve().parents[1]
STRONG_SECRET = "5nV8-qZ2rT7wXk1LmB4yHc9DfG3jPs6E"  # 32 bytes, 32 different characters
SAFE = {"JUECE_ENV": "production", "JUECE_SECRET_KEY": STRONG_SECRET, "JUECE_ALLOW_SQLITE": "1"}


def settings(tmp_path: Path, **env: str) -> Settings:
    """Settings read from exactly these variables (an instance folder in ``tmp_path``)."""
    return load_settings({"JUECE_INSTANCE_DIR": str(tmp_path)} | env)


def codes(settings: Settings, core: Juece | None = None) -> set[str]:
    """The codes production mode would refuse to start with."""
    return {f.code for f in findings(settings, core)}


def test_each_unsafe_setting_is_a_finding_and_a_safe_set_has_none(tmp_path: Path) -> None:
    assert codes(settings(tmp_path, **SAFE)) == set()
    assert codes(settings(tmp_path, **SAFE | {"JUECE_SECRET_KEY": "a"})) == {"secret_short"}  # the tester's forgery
    assert codes(settings(tmp_path, **SAFE | {"JUECE_SECRET_KEY": "x" * 31})) == {"secret_short"}
    assert codes(settings(tmp_path, **SAFE | {"JUECE_SECRET_KEY": "ab" * 32})) == {"secret_weak"}
    without_secret = dict(SAFE)
    del without_secret["JUECE_SECRET_KEY"]  # the key juece would generate into instance/secret.key
    assert codes(settings(tmp_path, **without_secret)) == {"secret_generated"}
    assert codes(settings(tmp_path, **SAFE | {"JUECE_COOKIE_SECURE": "0"})) == {"cookies_not_secure"}
    sqlite = dict(SAFE)
    del sqlite["JUECE_ALLOW_SQLITE"]
    assert codes(settings(tmp_path, **sqlite)) == {"sqlite_database", "sqlite_broker"}
    served = sqlite | {"JUECE_DATABASE_URL": "postgresql+psycopg://juece@db/juece", "JUECE_BROKER_URL": "redis://r/0"}
    assert codes(settings(tmp_path, **served)) == set()
    # Every finding says what is wrong in both languages and what resolves it.
    for finding in settings_findings(settings(tmp_path, JUECE_ENV="production", JUECE_COOKIE_SECURE="no")):
        assert finding.zh and finding.en and finding.fix


def test_cookies_are_secure_in_production_unless_turned_off_and_a_misspelt_mode_is_refused(tmp_path: Path) -> None:
    assert settings(tmp_path, JUECE_ENV="production").cookie_secure
    assert not settings(tmp_path).cookie_secure  # the quick start on http://127.0.0.1 keeps working
    assert settings(tmp_path, JUECE_COOKIE_SECURE="1").cookie_secure
    with pytest.raises(ValueError, match="JUECE_ENV"):
        settings(tmp_path, JUECE_ENV="prod")
    app = create_app(settings(tmp_path, **SAFE), None)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    app.extensions["juece"].db.dispose()


def test_demo_data_and_the_demo_password_are_findings(core: Juece) -> None:
    assert data_findings(core) == []
    load_demo(core)
    assert {f.code for f in data_findings(core)} == {"demo_data", "demo_password"}
    opened = next(f for f in data_findings(core) if f.code == "demo_password")
    assert "王建国" in opened.zh and "黄磊" in opened.en
    # Someone else who chose the demo password is found when every person is tried (juece doctor --everyone).
    keys.change_password(core, "owner", DEMO_PASSWORD, current=PASSWORD)
    assert "owner" not in next(f for f in data_findings(core) if f.code == "demo_password").en
    assert "owner" in next(f for f in data_findings(core, everyone=True) if f.code == "demo_password").en
    for name in ("owner", "王建国", "李明华", "张晓燕", "陈志强", "刘芳", "孙海峰", "周敏", "吴霞", "郑涛", "冯宁",
                 "黄磊", "居民甲", "居民乙"):
        admin.deactivate_user(core, name)
    assert {f.code for f in data_findings(core, everyone=True)} == {"demo_data"}


def test_the_web_app_refuses_to_start_naming_every_finding(core: Juece, tmp_path: Path) -> None:
    unsafe = Settings(instance_dir=tmp_path, database_url=core.db.url, broker_url="sqla+sqlite:///x.db",
                      secret_key="a", environment="production", cookie_secure_setting=False)
    load_demo(core)
    with pytest.raises(ProductionRefused) as refused:
        create_app(unsafe, core)
    text = str(refused.value)
    for code in ("secret_short", "cookies_not_secure", "sqlite_broker", "demo_data", "demo_password"):
        assert f"[{code}]" in text
    assert ("sqlite_database" in text) == core.db.url.startswith("sqlite")


def cli(settings: Settings, *args: str) -> tuple[int, str]:
    """Run ``juece`` with these settings; its exit status and everything it printed."""
    result = CliRunner().invoke(main, list(args), obj=Ctx(settings, kdf=FAST))
    return result.exit_code, result.output


def test_juece_up_refuses_before_migrating_and_the_demo_is_not_loaded(tmp_path: Path) -> None:
    unsafe = settings(tmp_path, JUECE_ENV="production", JUECE_SECRET_KEY="a")
    status, output = cli(unsafe, "up", "--web-only")
    assert status == 1
    for code in ("secret_short", "sqlite_database", "sqlite_broker"):
        assert f"[{code}]" in output
    database = Database(unsafe.database_url)
    assert inspect(database.engine).get_table_names() == []  # nothing was migrated, nothing served
    database.dispose()
    status, output = cli(settings(tmp_path, **SAFE), "up", "--demo")
    assert status == 2 and "demo" in output
    assert cli(settings(tmp_path, **SAFE), "demo")[0] == 2


def test_the_worker_refuses_to_start_and_says_why(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUECE_")}
    env |= {"JUECE_INSTANCE_DIR": str(tmp_path), "JUECE_ENV": "production", "JUECE_SECRET_KEY": "a"}
    run = subprocess.run([sys.executable, "-c", "import worker.celery_app"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "[secret_short]" in run.stderr and "[sqlite_broker]" in run.stderr


def test_doctor_lists_every_finding_in_any_mode(core: Juece, tmp_path: Path) -> None:
    here = Settings(instance_dir=tmp_path, database_url=core.db.url, broker_url="redis://127.0.0.1:6379/0")
    load_demo(core)
    status, output = cli(here, "doctor")  # development mode: what production would refuse
    assert status == 1 and "JUECE_ENV=development" in output
    assert {"[secret_generated]", "[cookies_not_secure]", "[demo_data]", "[demo_password]"} <= {
        word for word in output.split() if word.startswith("[")}
    status, output = cli(here, "doctor", "--json")
    assert status == 1 and '"code": "demo_password"' in output


def test_doctor_is_content_with_a_safe_configuration(tmp_path: Path) -> None:
    status, output = cli(settings(tmp_path, **SAFE), "doctor")
    assert (status, output.split(":")[0]) == (0, "ok")
