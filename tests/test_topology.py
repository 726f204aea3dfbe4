"""The production topology (``docker-compose.yml``, ``Dockerfile``) runs what the tests run, and its web entry serves.

Docker does not run here: CI validates the compose file with ``docker-compose config``; these tests read it
with PyYAML and hold every service's command to ``config/topology.py``, the one definition ``juece up`` and
the process-level system tests (``tests/system.py``) start their processes from. Then gunicorn on the app
factory is started as a real process and asked ``/healthz`` and ``/readyz``.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

import cli.run
import tests.system
from config import topology
from tests.system import PrivateRedis, free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
JUECE_SERVICES = ("migrate", "web", "worker", "beat")


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"])


def test_the_topology_is_postgres_redis_migrate_web_worker_and_exactly_one_beat(services: dict[str, Any]) -> None:
    assert set(services) == {"db", "redis", *JUECE_SERVICES}
    beats = [name for name, s in services.items() if "beat" in s.get("command", [])]
    assert beats == ["beat"]
    assert "deploy" not in services["beat"] and "scale" not in services["beat"]  # never replicated


def test_every_service_has_a_health_check_and_the_one_shot_migrate_says_its_exit_status_is_its_health(
        services: dict[str, Any]) -> None:
    for name, service in services.items():
        check = service.get("healthcheck")
        assert check, f"{name} has no health check"
        if name == "migrate":
            assert check == {"disable": True} and service["restart"] == "no"
        else:
            assert check["test"][0] in ("CMD", "CMD-SHELL") and not check.get("disable")
    assert "pg_isready" in services["db"]["healthcheck"]["test"][1]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "inspect ping" in services["worker"]["healthcheck"]["test"][1]
    assert "celerybeat-schedule" in " ".join(services["beat"]["healthcheck"]["test"])


def test_migrate_runs_once_and_every_other_juece_process_waits_for_it(services: dict[str, Any]) -> None:
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"] == {"db": {"condition": "service_healthy"},
                                                "redis": {"condition": "service_healthy"},
                                                "migrate": {"condition": "service_completed_successfully"}}


def test_each_service_runs_the_entry_point_the_system_tests_run(services: dict[str, Any]) -> None:
    data = Path(services["worker"]["environment"]["JUECE_INSTANCE_DIR"])
    assert data == topology.IMAGE_INSTANCE_DIR
    assert services["web"]["command"] == topology.web_command(python="python")
    assert services["web"]["command"][-1] == "api:create_app()" and "gunicorn" in services["web"]["command"]
    assert services["worker"]["command"] == topology.worker_command(python="python")
    assert services["beat"]["command"] == topology.beat_command(data, python="python")
    assert services["migrate"]["command"] == topology.migrate_command()
    # The system tests and `juece up` start their worker and beat from the same definition.
    assert tests.system.worker_command is topology.worker_command is cli.run.worker_command
    assert tests.system.beat_command is topology.beat_command is cli.run.beat_command


def test_every_juece_service_runs_in_production_mode_with_the_secret_from_the_env_file(
        services: dict[str, Any]) -> None:
    for name in JUECE_SERVICES:
        env = services[name]["environment"]
        assert env["JUECE_ENV"] == "production"
        assert env["JUECE_SECRET_KEY"].startswith("${JUECE_SECRET_KEY:?")  # compose refuses to start without one
        assert env["JUECE_COOKIE_SECURE"] == "${JUECE_COOKIE_SECURE:-1}"
        assert env["JUECE_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["JUECE_BROKER_URL"].startswith("redis://")
        assert services[name]["volumes"] == ["instance:/data"]
    assert services["db"]["volumes"] == ["pgdata:/var/lib/postgresql/data"]
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert re.search(r"^JUECE_SECRET_KEY=$", example, re.M)  # no usable secret to copy by mistake
    assert re.search(r"^JUECE_COOKIE_SECURE=1$", example, re.M)


def test_the_image_is_debian_with_a_cjk_font_pinned_dependencies_and_no_root() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim-bookworm$", dockerfile, re.M)
    assert "fonts-noto-cjk" in dockerfile and "pip install -c constraints.txt ." in dockerfile
    assert re.search(r"^USER juece$", dockerfile, re.M)
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M)
    assert cmd and json.loads(cmd.group(1)) == topology.web_command(python="python")


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a local test server
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), json.loads(error.read())


def _answers(url: str) -> bool:
    try:
        return _get(url)[0] == 200
    except OSError:
        return False


def test_gunicorn_on_the_app_factory_serves_health_and_readiness_after_the_migration(tmp_path: Path) -> None:
    redis = PrivateRedis(tmp_path)
    redis.start()
    env = dict(os.environ) | {"JUECE_ENV": "development", "JUECE_INSTANCE_DIR": str(tmp_path),
                              "JUECE_DATABASE_URL": f"sqlite:///{tmp_path}/juece.db", "JUECE_BROKER_URL": redis.url,
                              "JUECE_SECRET_KEY": "topology-test-secret", "PYTHONUNBUFFERED": "1"}
    juece = str(Path(sys.executable).parent / "juece")
    migrated = subprocess.run(topology.migrate_command(juece), env=env, capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(tmp_path / "gunicorn.log", "ab") as log:
        web = subprocess.Popen(topology.web_command(f"127.0.0.1:{port}", workers=1), env=env, cwd=ROOT,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: _answers(base + "/healthz"), 60, "gunicorn to answer /healthz")
        assert _get(base + "/healthz") == (200, {"status": "ok"})
        assert _get(base + "/readyz") == (200, {"status": "ready", "database": "ok", "broker": "ok"})
        redis.stop()
        assert _get(base + "/readyz") == (503, {"status": "unavailable", "database": "ok", "broker": "unreachable",
                                                "code": "broker_unavailable"})
        assert _get(base + "/healthz") == (200, {"status": "ok"})
    finally:
        web.terminate()
        web.wait(timeout=30)
        redis.stop()
    assert web.returncode == 0, (tmp_path / "gunicorn.log").read_text(errors="replace")


def _compose_check(services: dict[str, Any], name: str, data: Path) -> list[str]:
    """The service's health-check command as this machine runs it: this interpreter, this instance folder."""
    kind, *command = services[name]["healthcheck"]["test"]
    local = [part.replace("/data/", f"{data}/").replace("$$", "$") for part in command]
    local = [sys.executable if part == "python" else part.replace("python -m", f"{sys.executable} -m")
             for part in local]
    return ["sh", "-c", local[0]] if kind == "CMD-SHELL" else local


def test_the_worker_and_beat_health_checks_pass_while_they_run_and_fail_when_they_are_gone(
        services: dict[str, Any], tmp_path: Path) -> None:
    redis = PrivateRedis(tmp_path)
    redis.start()
    env = dict(os.environ) | {"JUECE_ENV": "development", "JUECE_INSTANCE_DIR": str(tmp_path),
                              "JUECE_DATABASE_URL": f"sqlite:///{tmp_path}/juece.db", "JUECE_BROKER_URL": redis.url,
                              "JUECE_SECRET_KEY": "topology-test-secret", "HOSTNAME": socket.gethostname()}
    juece = str(Path(sys.executable).parent / "juece")
    subprocess.run(topology.migrate_command(juece), env=env, check=True, capture_output=True, timeout=120)
    worker_check, beat_check = (_compose_check(services, name, tmp_path) for name in ("worker", "beat"))

    def healthy(check: list[str]) -> bool:
        return subprocess.run(check, env=env, capture_output=True, timeout=60, cwd=ROOT).returncode == 0

    assert not healthy(worker_check) and not healthy(beat_check)  # nothing runs yet
    with open(tmp_path / "processes.log", "ab") as log:
        processes = [subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
                     for command in (topology.worker_command(), topology.beat_command(tmp_path))]
    try:
        wait_for(lambda: healthy(worker_check), 90, "the worker's health check to pass")
        wait_for(lambda: healthy(beat_check), 60, "beat's health check to pass (its schedule file written)")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
    assert not healthy(worker_check)
    redis.stop()
