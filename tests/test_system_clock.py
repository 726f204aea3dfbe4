"""From outside, the installed ``juece`` command reads the real system clock, so ``faketime`` moves it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
JUECE = Path(sys.executable).with_name("juece")


def _run(env: dict[str, str], when: str, *args: str) -> str:
    result = subprocess.run(["faketime", when, str(JUECE), *args], env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_faketime_moves_the_clock_of_the_real_command(tmp_path: Path) -> None:
    if shutil.which("faketime") is None:
        if IN_CI:
            pytest.fail("faketime is required in CI (apt-get install faketime)")
        pytest.skip("faketime not installed")
    env = dict(os.environ, JUECE_INSTANCE_DIR=str(tmp_path), JUECE_DATABASE_URL=f"sqlite:///{tmp_path}/j.db",
               TZ="UTC")
    _run(env, "2026-03-02 01:00:00", "db", "upgrade")
    _run(env, "2026-03-02 01:00:00", "users", "add", "王建国", "--role", "owner")
    did = _run(env, "2026-03-02 01:00:00", "decisions", "create", "--procedure", "cn-713", "--title", "测试",
               "--owner", "王建国").strip()
    _run(env, "2026-03-09 02:30:00", "decisions", "act", did, "initiate", "--as", "王建国",
         "--data", '{"owner_unit": "城建办"}')
    history = json.loads(_run(env, "2026-03-09 03:00:00", "decisions", "show", did, "--json"))["history"]
    assert [h["at"][:16] for h in history] == ["2026-03-02T01:00", "2026-03-09T02:30"]
