"""The fences of procedure packs: no module outside a pack names an action id; api and worker do not import each
other. Forbid by default, allow by list: every exception below says why it is not a breach.

(The domain's own fences, ``workflow/`` importing neither Flask nor Celery and each part importing only what it
may, are in ``tests/test_architecture.py``.)
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from workflow.engine.packs import builtin_packs, load_pack

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("workflow", "api", "cli", "worker", "config")
PACKS = ROOT / "workflow" / "packs"
TEMPLATES = ROOT / "api" / "web" / "templates"

#: (file, literal, why it is not an action id). Nothing else outside a pack may name one.
ALLOWED: set[tuple[str, str, str]] = {
    ("workflow/record/approvals.py", "decline", "the function that declines an approval request (__all__)"),
    ("api/web/decisions.py", "decline", "an approver's answer to a request: confirm or decline"),
    ("api/web/templates/decision.html", "decline", "the answer= URL parameter of the approval form"),
    ("workflow/engine/migration.py", "close", "the key of a migration's deadline plan: the rows it closes"),
    ("cli/decisions.py", "close", "the same key of the migration's deadline plan, printed by a dry run"),
    ("cli/catalogue.py", "publish", "the CLI command `juece catalogue publish` (the yearly catalogue)"),
    ("cli/transparency.py", "publish", "the CLI command `juece log publish` (a signed tree head)"),
}


def _action_ids() -> set[str]:
    """Every action id of every shipped pack."""
    ids: set[str] = set()
    for folder in builtin_packs():
        ids |= set(load_pack(folder).procedure.actions)
    return ids


def _outside_packs() -> list[Path]:
    paths = [p for top in CHECKED for p in sorted((ROOT / top).rglob("*.py"))]
    return [p for p in paths if PACKS not in p.parents]


def _python_literals(path: Path) -> list[tuple[int, str]]:
    """Every string constant of a module (f-string parts included) with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(n.lineno, n.value) for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


_QUOTED = re.compile(r"""(['"])([A-Za-z_][A-Za-z0-9_]*)\1""")


def _template_literals(path: Path) -> list[tuple[int, str]]:
    """Every quoted word of a Jinja template (what a comparison like ``action.id == 'x'`` would hold)."""
    return [(i, m.group(2)) for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
            for m in _QUOTED.finditer(line)]


def _breaches() -> list[str]:
    ids = _action_ids()
    allowed = {(f, lit) for f, lit, _ in ALLOWED}
    found = []
    sources = [(p, _python_literals(p)) for p in _outside_packs()]
    sources += [(p, _template_literals(p)) for p in sorted(TEMPLATES.rglob("*.html"))]
    for path, literals in sources:
        rel = str(path.relative_to(ROOT))
        found += [f"{rel}:{line}: '{value}'" for line, value in literals
                  if value in ids and (rel, value) not in allowed]
    return found


def test_no_module_outside_a_pack_names_an_action_id() -> None:
    breaches = _breaches()
    assert not breaches, "name an action by its marks (docs/writing-a-pack.md), not by its id:\n" + "\n".join(breaches)


def test_every_allowed_literal_is_still_needed() -> None:
    ids = _action_ids()
    for rel, literal, reason in sorted(ALLOWED):
        path = ROOT / rel
        literals = _template_literals(path) if path.suffix == ".html" else _python_literals(path)
        assert literal in ids, f"{rel}: '{literal}' is no action id any more: drop it from ALLOWED"
        assert any(v == literal for _, v in literals), f"{rel} no longer holds '{literal}' ({reason}): drop it"


def test_the_fence_sees_an_action_id_in_code(tmp_path: Path) -> None:
    module = tmp_path / "sample.py"
    module.write_text('def kind(action_id: str) -> str:\n    return "draft" if action_id == "upload_draft" else ""\n',
                      encoding="utf-8")
    assert (2, "upload_draft") in _python_literals(module)
    template = tmp_path / "sample.html"
    template.write_text("{% if f.action.id == 'open_public_comment' %}x{% endif %}\n", encoding="utf-8")
    assert (1, "open_public_comment") in _template_literals(template)


#: Which modules of the other edge each of api/ and worker/ may import (none: they meet in workflow/).
EDGES_ALLOWED: dict[str, set[str]] = {"api": set(), "worker": set()}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("edge", sorted(EDGES_ALLOWED))
def test_api_and_worker_do_not_import_each_other(edge: str) -> None:
    others = set(EDGES_ALLOWED) - {edge}
    wrong = []
    for path in sorted((ROOT / edge).rglob("*.py")):
        for name in _imports(path):
            if name.split(".")[0] in others and name not in EDGES_ALLOWED[edge]:
                wrong.append(f"{path.relative_to(ROOT)}: {name}")
    assert not wrong, wrong


#: (file, procedure id or pack name, why it changes no behaviour). Nothing else outside a pack may name a procedure.
PROCEDURES_ALLOWED: set[tuple[str, str, str]] = {
    ("api/v1/schemas/decisions.py", "cn-713", "an example in the OpenAPI description of the procedure field"),
    ("cli/decisions.py", "cn-713", "an example in the --procedure and --to help texts"),
    ("cli/decisions.py", "contract-review", "an example in the --procedure help text"),
    ("workflow/demo.py", "cn_713_2019_09_01", "the demo tells Decree 713's story, which its pack holds"),
}


def _procedure_names() -> set[str]:
    """Every shipped procedure id and pack folder name."""
    names: set[str] = set()
    for folder in builtin_packs():
        procedure = load_pack(folder).procedure
        names |= {procedure.id, folder.name}
    return names


def _code_literals(path: Path) -> list[tuple[int, str]]:
    """The string constants of a module that are not docstrings (a docstring may cite a procedure), with imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    found = [(n.lineno, n.value) for n in ast.walk(tree)
             if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]
    found += [(n.lineno, n.module) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    return found


def _procedure_breaches() -> list[tuple[str, int, str]]:
    names = _procedure_names()
    sources = [(p, _code_literals(p)) for p in _outside_packs()]
    sources += [(p, list(enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)))
                for p in sorted(TEMPLATES.rglob("*.html"))]
    found = []
    for path, literals in sources:
        rel = str(path.relative_to(ROOT))
        found += [(rel, line, name) for line, value in literals for name in names if name in value]
    return found


def test_no_module_outside_a_pack_names_a_procedure() -> None:
    allowed = {(f, n) for f, n, _ in PROCEDURES_ALLOWED}
    breaches = [f"{rel}:{line}: '{name}'" for rel, line, name in _procedure_breaches() if (rel, name) not in allowed]
    assert not breaches, ("a page, the API or the CLI acts on a pack's declarations (nouns, marks, rules), never on "
                          "which procedure it is:\n" + "\n".join(breaches))


def test_every_allowed_procedure_name_is_still_needed() -> None:
    present = {(rel, name) for rel, _line, name in _procedure_breaches()}
    for rel, name, reason in sorted(PROCEDURES_ALLOWED):
        assert (rel, name) in present, f"{rel} no longer names '{name}' ({reason}): drop it from PROCEDURES_ALLOWED"
