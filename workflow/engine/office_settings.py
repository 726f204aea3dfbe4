"""Office settings a pack declares (``settings:`` in its ``procedure.yaml``): loading, collecting, checking changes.

An office's settings are the engine's own (``context.DEFAULT_OFFICE_SETTINGS``) plus the keys the packs in
use declare, each an integer with a default, a lawful range, a unit and the article that sets the range.
Rules and guards read every one through ``Office.setting``, which holds a declared value within its range.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from workflow.engine.context import DEFAULT_OFFICE_SETTINGS
from workflow.engine.definition import SETTING_UNITS, Label, ProcedureDef, SettingDef
from workflow.engine.errors import DefinitionError, DefinitionProblem, InvalidInput

KEY = re.compile(r"^[a-z][a-z0-9_]*$")
FIELDS = {"default", "min", "max", "unit", "zh", "en", "article"}


class _Check(Protocol):
    file: str

    def add(self, line: int, message: str) -> None: ...

    def line_of(self, node: Any, key: str | None = None) -> int: ...

    def keys(self, node: Any, allowed: set[str], what: str) -> None: ...


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def load_settings(check: _Check, node: Any, procedure: str) -> dict[str, SettingDef]:
    """``settings: {key: {default, min, max, unit, zh, en, article}}``, each problem at its line."""
    out: dict[str, SettingDef] = {}
    if node is None:
        return out
    if not isinstance(node, dict):
        check.add(check.line_of(node), "'settings' must be a mapping")
        return out
    for key, spec in node.items():
        line = check.line_of(node, key)
        if not KEY.match(str(key)):
            check.add(line, f"setting '{key}': a key is lower-case letters, digits and '_'")
        if key in DEFAULT_OFFICE_SETTINGS:
            check.add(line, f"setting '{key}' is the engine's own; a pack declares only keys of its own")
        if not isinstance(spec, dict):
            check.add(line, f"setting '{key}' must be a mapping of default, min, max, unit, zh, en, article")
            continue
        check.keys(spec, FIELDS, f"setting '{key}'")
        for needed in sorted(FIELDS - set(spec)):
            check.add(line, f"setting '{key}': missing '{needed}'")
        default, low, high = (_int(spec.get(k)) for k in ("default", "min", "max"))
        for name, value in (("default", default), ("min", low), ("max", high)):
            if name in spec and value is None:
                check.add(check.line_of(spec, name), f"setting '{key}': '{name}' must be a whole number")
        if low is not None and high is not None and low > high:
            check.add(check.line_of(spec, "min"), f"setting '{key}': min {low} is above max {high}")
        elif default is not None and low is not None and high is not None and not low <= default <= high:
            check.add(check.line_of(spec, "default"), f"setting '{key}': default {default} is outside {low}–{high}")
        unit = str(spec.get("unit", ""))
        if "unit" in spec and unit not in SETTING_UNITS:
            check.add(check.line_of(spec, "unit"),
                      f"setting '{key}': unknown unit '{unit}' (one of {', '.join(sorted(SETTING_UNITS))})")
        for text in ("zh", "en", "article"):
            if text in spec and not str(spec.get(text) or "").strip():
                check.add(check.line_of(spec, text), f"setting '{key}': '{text}' is empty")
        if default is not None and low is not None and high is not None:
            out[str(key)] = SettingDef(str(key), Label(str(spec.get("zh", "")), str(spec.get("en", ""))), default,
                                       low, high, unit, str(spec.get("article", "")), procedure)
    return out


def check_references(check: _Check, dnode: Any, key: str, rule: Mapping[str, Any],
                     reminders: Iterable[Any], declared: Mapping[str, SettingDef]) -> None:
    """A deadline reads only settings its own pack declares or the engine's own."""
    named = [rule.get("setting"), rule.get("at_least_setting")]
    named += [r.get("setting") for r in reminders if isinstance(r, dict)]
    for name in named:
        if name and name not in declared and name not in DEFAULT_OFFICE_SETTINGS:
            check.add(check.line_of(dnode, "reminders" if name not in named[:2] else "rule"),
                      f"deadline '{key}': setting '{name}' is not declared (declare it under 'settings:')")


def collect(procedures: Iterable[ProcedureDef]) -> dict[str, SettingDef]:
    """Every declared setting of ``procedures`` by key; two declarations of one key must agree (or load fails)."""
    out: dict[str, SettingDef] = {}
    owner: dict[str, ProcedureDef] = {}
    problems: list[DefinitionProblem] = []
    for procedure in sorted(procedures, key=lambda p: (p.id, p.effective_from)):
        for key, spec in procedure.settings.items():
            known = out.get(key)
            if known is not None and (known.default, known.low, known.high, known.unit) != (
                    spec.default, spec.low, spec.high, spec.unit):
                problems.append(DefinitionProblem(procedure.source, 0, (
                    f"setting '{key}' is declared differently by {owner[key].key} ({owner[key].source}): "
                    "a key has one default, range and unit")))
                continue
            out[key], owner[key] = spec, procedure  # the latest version's labels and article
    if problems:
        raise DefinitionError(problems)
    return out


def range_text(spec: SettingDef, english: bool = False) -> str:
    """``5–15 工作日`` / ``5–15 working days``: the lawful range with its unit."""
    zh, en = SETTING_UNITS.get(spec.unit, ("", ""))
    unit = en if english else zh
    return f"{spec.low}–{spec.high}{' ' if english and unit else ''}{unit}"


def check_changes(changes: Mapping[str, Any], declared: Mapping[str, SettingDef]) -> dict[str, Any]:
    """The changes as they are stored: only known keys, a declared one a whole number within its range.

    Raises ``InvalidInput`` naming the first unknown key, or the range and the article a value breaks.
    """
    unknown = sorted(set(changes) - set(DEFAULT_OFFICE_SETTINGS) - set(declared))
    if unknown:
        raise InvalidInput(f"未知设置：{'、'.join(unknown)}（本单位的程序未声明这些设置）",
                           f"unknown settings: {', '.join(unknown)} (no procedure in use declares them)",
                           code="unknown_setting", details={"field": unknown[0], "unknown": unknown})
    out = dict(changes)
    for key, value in changes.items():
        spec = declared.get(key)
        if spec is None:
            continue
        try:
            number = int(str(value).strip()) if not isinstance(value, bool) else None
        except ValueError:
            number = None
        if number is None or not spec.low <= number <= spec.high:
            raise InvalidInput(
                f"“{spec.label.zh}”（{key}）应为 {range_text(spec)} 之间的整数（{spec.article}）",
                f"'{spec.label.en}' ({key}) must be a whole number within {range_text(spec, True)} ({spec.article})",
                code="setting_out_of_range",
                details={"field": key, "min": spec.low, "max": spec.high, "unit": spec.unit,
                         "article": spec.article})
        out[key] = number
    return out
