#!/usr/bin/env python3
"""Bootstrap and run juece from a fresh checkout with nothing but Python 3.11+.

    python3 dev.py up      # create .venv, install (pinned), load the demo, serve http://127.0.0.1:8000
    python3 dev.py test    # create .venv with test tools, run ruff, mypy and pytest

Installs exactly the versions in constraints.txt. Extra arguments after ``test`` go to pytest;
after ``up`` to ``juece up`` (e.g. ``--port 8080``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"


def _stamp(extras: str) -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    return f"{digest.hexdigest()}:{extras}"


def ensure_venv(extras: str) -> None:
    """Create .venv and install juece (editable) with ``extras``, unless already up to date."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script must explain itself on an old Python
        sys.exit(f"juece needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    marker = VENV / ".juece-installed"
    if marker.exists() and marker.read_text() == _stamp(extras):
        return
    if not PY.exists():
        print("creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("installing juece and its pinned dependencies (constraints.txt) …", flush=True)
    target = f".[{extras}]" if extras else "."
    subprocess.run([str(PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(PY), "-m", "pip", "install", "--quiet", "-c", str(ROOT / "constraints.txt"), "-e", target],
                   check=True, cwd=ROOT)
    marker.write_text(_stamp(extras))


def main(argv: list[str]) -> int:
    """Dispatch ``up`` or ``test``."""
    if not argv or argv[0] not in ("up", "test"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "up":
        ensure_venv("")
        juece = str(BIN / "juece")
        return subprocess.call([juece, "up", "--demo", *rest], cwd=ROOT)
    ensure_venv("test")
    for step in ([str(PY), "-m", "ruff", "check", "."], [str(PY), "-m", "mypy"]):
        print("$", " ".join(step[2:]), flush=True)
        if subprocess.call(step, cwd=ROOT):
            return 1
    return subprocess.call([str(PY), "-m", "pytest", *rest], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
