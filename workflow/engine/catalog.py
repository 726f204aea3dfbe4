"""The catalogue of procedure definitions: every version on disk, loaded and validated once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from workflow.engine.definition import ProcedureDef, SettingDef
from workflow.engine.errors import NotFound
from workflow.engine.loader import builtin_paths, load_definition
from workflow.engine.migration import check_migrations
from workflow.engine.office_settings import collect


@dataclass(slots=True)
class Catalog:
    """Procedure definitions by ``id@version``."""

    procedures: dict[str, ProcedureDef] = field(default_factory=dict)
    #: The office settings the loaded packs declare, by key (``office_settings.collect``).
    settings: dict[str, SettingDef] = field(default_factory=dict)

    @classmethod
    def load(cls, paths: Iterable[Path]) -> Catalog:
        """Load every file; a broken one raises ``DefinitionError`` (juece refuses to start with it)."""
        catalog = cls()
        for path in paths:
            procedure = load_definition(path)
            catalog.procedures[procedure.key] = procedure
        check_migrations(catalog.procedures)  # a migration map is judged against the version it maps from
        catalog.settings = collect(catalog.procedures.values())
        return catalog

    def get(self, key: str) -> ProcedureDef:
        """A definition by ``id@version``."""
        try:
            return self.procedures[key]
        except KeyError:
            raise NotFound(f"没有这个程序定义：{key}", f"no such procedure: {key}", details={"procedure": key}) from None

    def current(self, procedure_id: str, on: dt.date) -> ProcedureDef:
        """The version of ``procedure_id`` in force on ``on`` (the latest that has taken effect)."""
        versions = [p for p in self.procedures.values() if p.id == procedure_id and p.effective_from <= on]
        if not versions:
            raise NotFound(f"没有生效的程序定义：{procedure_id}", f"no procedure '{procedure_id}' in force on {on}",
                           details={"procedure": procedure_id})
        return max(versions, key=lambda p: p.effective_from)

    def settings_by_procedure(self) -> list[tuple[ProcedureDef, list[SettingDef]]]:
        """The declared settings grouped by procedure (its latest version names the section), in id order."""
        latest: dict[str, ProcedureDef] = {}
        for procedure in self.all():
            latest[procedure.id] = procedure
        return [(p, [s for s in self.settings.values() if s.procedure == pid]) for pid, p in sorted(latest.items())
                if any(s.procedure == pid for s in self.settings.values())]

    def all(self) -> list[ProcedureDef]:
        """Every version, sorted by id then effective date."""
        return sorted(self.procedures.values(), key=lambda p: (p.id, p.effective_from))


_DEFAULT: Catalog | None = None


def default_catalog(extra_dir: Path | None = None) -> Catalog:
    """The built-in catalogue (cached), plus definitions from ``extra_dir`` when given."""
    global _DEFAULT
    if extra_dir is not None:
        return Catalog.load(builtin_paths(extra_dir))
    if _DEFAULT is None:
        _DEFAULT = Catalog.load(builtin_paths())
    return _DEFAULT
