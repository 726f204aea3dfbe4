"""The fences: the domain imports neither Flask nor Celery; only persistence imports SQLAlchemy."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = sorted((ROOT / "workflow").rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", DOMAIN, ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_does_not_import_web_or_queue(path: Path) -> None:
    assert not _imports(path) & {"flask", "celery", "kombu", "api", "worker", "cli"}


def test_only_persistence_and_its_users_import_sqlalchemy() -> None:
    pure = ["engine.py", "guards.py", "effects.py", "tasks.py", "calendar.py", "deadlines.py", "definition.py",
            "loader.py", "machine.py", "context.py", "rules.py", "errors.py", "signing.py", "graph.py"]
    for name in pure:
        assert "sqlalchemy" not in _imports(ROOT / "workflow" / name), name
