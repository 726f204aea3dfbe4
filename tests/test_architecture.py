"""The fences: the domain imports neither Flask nor Celery (nor any library not on its list); only persistence
imports SQLAlchemy; each part of ``workflow`` imports only the parts its package docstring allows, packs only
the engine and the pure time modules (forbid by default, allow by list). The action-id fence and the api/worker
fence are in ``tests/test_fences.py``."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = sorted((ROOT / "workflow").rglob("*.py"))

#: Which parts of ``workflow`` each part may import (besides itself); the package docstrings say why.
PARTS_ALLOWED: dict[str, set[str]] = {
    "engine": {"timing.calendar", "timing.deadlines", "timing.timetruth"},
    "timing": {"engine", "persistence", "record", "admin", "service"},
    "record": {"engine", "persistence", "admin", "notices", "service"},
    "notices": {"engine", "timing", "admin", "views", "persistence", "service"},
    "views": {"engine", "timing", "record", "admin", "persistence"},
    "admin": {"engine", "timing", "record", "persistence", "service"},
    "packs": {"engine", "timing.calendar", "timing.deadlines", "timing.timetruth"},
}
#: The libraries beyond the standard library ``workflow`` may import; packs import none (they are pure).
LIBRARIES_ALLOWED = {"alembic", "argon2", "chinese_calendar", "cryptography", "psycopg", "rfc8785", "sqlalchemy",
                     "transitions", "yaml"}
#: Modules the engine relies on being pure: no database, no clock of their own.
PURE = ["workflow/engine", "workflow/packs", "workflow/timing/calendar.py", "workflow/timing/deadlines.py",
        "workflow/timing/timetruth.py", "workflow/record/signing.py"]


def _imports(path: Path) -> set[str]:
    """Every absolute module name ``path`` imports, with the names a ``from … import`` brings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def _tops(path: Path) -> set[str]:
    return {name.split(".")[0] for name in _imports(path)}


@pytest.mark.parametrize("path", DOMAIN, ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_does_not_import_web_or_queue(path: Path) -> None:
    forbidden = {"flask", "werkzeug", "wtforms", "celery", "kombu", "api", "worker", "cli"}
    tops = _tops(path)
    assert not tops & forbidden
    assert not {t for t in tops if t.startswith("flask_")}


@pytest.mark.parametrize("path", DOMAIN, ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_imports_only_the_libraries_on_its_list(path: Path) -> None:
    allowed = set() if "packs" in path.relative_to(ROOT).parts else LIBRARIES_ALLOWED
    libraries = _tops(path) - set(sys.stdlib_module_names) - {"workflow"}
    assert libraries <= allowed, sorted(libraries - allowed)


@pytest.mark.parametrize("part", sorted(PARTS_ALLOWED))
def test_each_part_of_workflow_imports_only_what_it_may(part: str) -> None:
    allowed = PARTS_ALLOWED[part]
    wrong: list[str] = []
    for path in sorted((ROOT / "workflow" / part).rglob("*.py")):
        for name in _imports(path):
            if not name.startswith("workflow.") or name.startswith(f"workflow.{part}"):
                continue
            inner = name.removeprefix("workflow.")
            if not any(inner == a or inner.startswith(a + ".") for a in allowed):
                # ``from workflow.timing import calendar`` names the package; its members decide.
                if not any(a.startswith(inner + ".") for a in allowed):
                    wrong.append(f"{path.relative_to(ROOT)}: {name}")
    assert not wrong, wrong


def test_only_persistence_and_its_users_import_sqlalchemy() -> None:
    paths: list[Path] = []
    for entry in PURE:
        target = ROOT / entry
        paths += sorted(target.rglob("*.py")) if target.is_dir() else [target]
    assert len(paths) > 10
    for path in paths:
        tops = _tops(path)
        assert "sqlalchemy" not in tops, path
        assert not any(n.startswith("workflow.persistence") for n in _imports(path)), path


def test_every_part_of_workflow_says_what_it_may_import() -> None:
    for part in PARTS_ALLOWED:
        doc = ast.get_docstring(ast.parse((ROOT / "workflow" / part / "__init__.py").read_text(encoding="utf-8")))
        assert doc and "may import" in doc, part
