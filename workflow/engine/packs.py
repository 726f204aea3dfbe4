"""Procedure packs: the one interface through which a procedure version enters juece (docs/writing-a-pack.md).

A pack is one folder, named after its procedure's ``id`` and ``version`` as a Python name
(``cn-713`` ``2019-09-01`` → ``cn_713_2019_09_01``), holding:

* ``procedure.yaml``: the definition (states, flags, tasks, actions, deadlines, labels, form hints, marks);
* ``guards.py``: guards, ``(Attempt) -> RuleViolation | None``;
* ``effects.py``: effects, ``(facts, event, procedure) -> None``, folding an event into the facts;
* ``tasks.py``: done-when predicates, ``(task id, facts, now, office) -> bool``;
* ``hooks.py``: optional hooks (``HOOKS``) the engine and the read models call;
* ``rules.py`` (by convention): the pack's hard rules, codes, articles and messages.

Each name the YAML uses resolves **only** against its own pack's modules: the functions a module lists in
``__all__``, or, without one, the public functions defined in it. A new version reuses an older one's
function by importing it and listing it in ``__all__``; nothing is shared by default, so a change in one pack
never changes how another version's decisions replay. The built-in packs live in ``workflow/packs/``; an
extra folder (``JUECE_PROCEDURES_DIR``) may hold more pack folders, imported as top-level packages.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from workflow.engine.definition import Hooks, ProcedureDef

PACKS_DIR = Path(__file__).resolve().parent.parent / "packs"
PACKAGE = "workflow.packs"
DEFINITION = "procedure.yaml"
#: The modules of a pack whose functions its YAML names, by what the YAML calls them.
MODULES = {"guards": "guards", "effects": "effects", "done_when": "tasks"}
#: The hooks a pack's ``hooks.py`` may define (see ``workflow.engine.definition.Hooks``).
HOOKS = frozenset({"input_refs", "catalogue_steps"})


@dataclass(frozen=True, slots=True)
class PackFunctions:
    """The functions one pack's names resolve to: its own, or older ones it imports explicitly."""

    name: str = ""
    guards: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    effects: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    done_when: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    hooks: Hooks = field(default_factory=Hooks)


@dataclass(frozen=True, slots=True)
class Pack:
    """One loaded procedure version: its folder, its validated definition and the functions it resolved to."""

    name: str
    folder: Path
    procedure: ProcedureDef
    functions: PackFunctions


def pack_name(procedure_id: str, version: str) -> str:
    """The folder (and Python package) name of a procedure version: ``cn-713``, ``2019-09-01`` → ``cn_713_2019_09_01``."""
    return re.sub(r"[^0-9a-z]+", "_", f"{procedure_id}_{version}".lower()).strip("_")


def is_pack(folder: Path) -> bool:
    """True for a folder holding a pack (its ``procedure.yaml``)."""
    return (folder / DEFINITION).is_file()


def builtin_packs(extra_dir: Path | None = None) -> list[Path]:
    """The pack folders shipped with juece, then those of an optional extra folder."""
    folders = sorted(p for p in PACKS_DIR.iterdir() if is_pack(p))
    if extra_dir is not None and Path(extra_dir).is_dir():
        folders += sorted(p for p in Path(extra_dir).iterdir() if is_pack(p))
    return folders


def _package(folder: Path) -> str:
    """Import the pack folder as a package and return its name (built-in: ``workflow.packs.<name>``)."""
    folder = folder.resolve()
    if folder.parent == PACKS_DIR:
        return f"{PACKAGE}.{folder.name}"
    name = folder.name
    loaded = sys.modules.get(name)
    if loaded is not None and Path(str(getattr(loaded, "__file__", "") or "")).resolve().parent != folder:
        # Another folder of the same name was imported before (a test's pack): forget it and its modules.
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]
    if str(folder.parent) not in sys.path:
        sys.path.append(str(folder.parent))
    return name


def _module(package: str, folder: Path, module: str) -> ModuleType | None:
    if not (folder / f"{module}.py").is_file():
        return None
    return importlib.import_module(f"{package}.{module}")


def exported(module: ModuleType | None) -> dict[str, Callable[..., Any]]:
    """The names a pack's YAML may use from ``module``: its ``__all__``, else the public functions defined in it."""
    if module is None:
        return {}
    names = getattr(module, "__all__", None)
    if names is not None:
        return {n: getattr(module, n) for n in names if callable(getattr(module, n, None))}
    return {n: f for n, f in vars(module).items()
            if not n.startswith("_") and inspect.isfunction(f) and f.__module__ == module.__name__}


def functions_of(folder: Path) -> PackFunctions:
    """Import a pack folder's modules and collect what its YAML may name (nothing from any other pack)."""
    folder = Path(folder)
    if not (folder / "__init__.py").is_file():
        return PackFunctions(name=folder.name)
    package = _package(folder)
    found = {key: exported(_module(package, folder, module)) for key, module in MODULES.items()}
    hooks = exported(_module(package, folder, "hooks"))
    return PackFunctions(name=folder.name, guards=found["guards"], effects=found["effects"],
                         done_when=found["done_when"],
                         hooks=Hooks(**{k: v for k, v in hooks.items() if k in HOOKS}))


def builtin_functions(procedure_id: str, version: str) -> PackFunctions | None:
    """The functions of the built-in pack of ``id@version``, if juece ships one."""
    folder = PACKS_DIR / pack_name(procedure_id, version)
    return functions_of(folder) if is_pack(folder) else None


def load_pack(folder: str | Path) -> Pack:
    """Load one pack folder: its definition, validated, with every name resolved against the pack's own functions.

    Raises ``DefinitionError`` with every problem as ``file:line: message`` (unknown guards and effects included).
    """
    from workflow.engine.loader import load_definition

    folder = Path(folder)
    functions = functions_of(folder)
    procedure = load_definition(folder / DEFINITION, functions)
    return Pack(folder.name, folder, procedure, functions)
