"""The edges are thin: no module in ``api/`` or ``cli/`` imports the database layer (``workflow.persistence``,
SQLAlchemy) or runs a statement of its own; they read through ``workflow.views`` and write through the
service. Forbidden by default, allowed by list, each allowance with its reason."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.test_architecture import _imports

ROOT = Path(__file__).resolve().parent.parent
EDGES = sorted(p for part in ("api", "cli") for p in (ROOT / part).rglob("*.py"))
#: Modules of the edges that may import the database layer, and why. None may today: the app factory
#: gets its core (and so its Database) from ``config.runtime.open_core``, the health check asks
#: ``Database.ping``, the outage answer uses ``workflow.outage``.
ALLOWED: dict[str, str] = {}
FORBIDDEN = ("sqlalchemy", "workflow.persistence")
#: Calls that run SQL: an edge that makes one builds its own query.
STATEMENT_CALLS = {"execute", "exec_driver_sql", "scalar", "scalars"}


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_edges_are_found() -> None:
    assert len(EDGES) > 40 and any(_name(p) == "api/web/decisions.py" for p in EDGES)


def test_every_allowance_names_a_module_and_a_reason() -> None:
    for name, reason in ALLOWED.items():
        assert (ROOT / name).is_file() and len(reason) > 20, name


@pytest.mark.parametrize("path", EDGES, ids=_name)
def test_an_edge_does_not_import_the_database_layer(path: Path) -> None:
    if _name(path) in ALLOWED:
        return
    wrong = sorted(n for n in _imports(path) if any(n == f or n.startswith(f + ".") for f in FORBIDDEN))
    assert not wrong, f"{_name(path)} imports {wrong}: read through workflow.views, write through the service"


@pytest.mark.parametrize("path", EDGES, ids=_name)
def test_an_edge_runs_no_statement_of_its_own(path: Path) -> None:
    if _name(path) in ALLOWED:
        return
    calls = [node.lineno for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
             and node.func.attr in STATEMENT_CALLS]
    assert not calls, f"{_name(path)} runs SQL at lines {calls}"
