"""Load and validate procedure definition files, reporting every problem as ``file:line: message``.

A definition is refused as a whole when anything is wrong: an unknown state, guard, effect, role or
field type, an unreachable state, a non-terminal state with no way out, a deadline without a rule.
Guard, effect and done-when names resolve against one pack's functions only (``workflow.engine.packs``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from workflow.engine import loader_parts as parts
from workflow.engine.definition import (
    MARKS,
    PSEUDO_ROLES,
    ROLES,
    ActionDef,
    FieldDef,
    FlagDef,
    Nouns,
    ProcedureDef,
    StateDef,
    TaskDef,
)
from workflow.engine.errors import DefinitionError, DefinitionProblem
from workflow.engine.fields import FIELD_TYPES
from workflow.engine.office_settings import load_settings

if TYPE_CHECKING:
    from workflow.engine.packs import PackFunctions

class _Map(dict[str, Any]):
    """A YAML mapping that remembers the line of each key."""

    line: int = 0
    lines: dict[str, int]


class _Seq(list[Any]):
    """A YAML sequence that remembers its line."""

    line: int = 0


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that keeps line numbers and refuses duplicate keys."""

    duplicates: list[tuple[int, str]]


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> _Map:
    out = _Map()
    out.line = node.start_mark.line + 1
    out.lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        key = str(key)
        if key in out:
            loader.duplicates.append((key_node.start_mark.line + 1, key))
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = key_node.start_mark.line + 1
    return out


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode) -> _Seq:
    out = _Seq(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


class _Checker:
    """Collects problems while a definition is being built."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[DefinitionProblem] = []

    def add(self, line: int, message: str) -> None:
        self.problems.append(DefinitionProblem(self.file, line, message))

    @staticmethod
    def line_of(node: Any, key: str | None = None) -> int:
        if isinstance(node, _Map) and key is not None and key in node.lines:
            return node.lines[key]
        return int(getattr(node, "line", 1))

    def mapping(self, parent: Any, key: str, *, required: bool = True) -> _Map:
        value = parent.get(key) if isinstance(parent, dict) else None
        if value is None:
            if required:
                self.add(self.line_of(parent, key) if key in getattr(parent, "lines", {}) else
                         self.line_of(parent), f"missing section '{key}'")
            empty = _Map()
            empty.line, empty.lines = self.line_of(parent, key), {}
            return empty
        if not isinstance(value, dict):
            self.add(self.line_of(parent, key), f"'{key}' must be a mapping")
            empty = _Map()
            empty.line, empty.lines = self.line_of(parent, key), {}
            return empty
        return value  # type: ignore[return-value]

    def keys(self, node: Any, allowed: set[str], what: str) -> None:
        """Refuse keys a definition does not know (a typo would otherwise be silently ignored)."""
        for extra in sorted(set(node) - allowed if isinstance(node, dict) else []):
            self.add(self.line_of(node, extra), f"{what}: unknown key '{extra}'")

    def names(self, node: Any, key: str, known: Iterable[str], what: str) -> tuple[str, ...]:
        raw = node.get(key, []) if isinstance(node, dict) else []
        if isinstance(raw, str):
            raw = [raw]
        values = tuple(str(v) for v in raw or [])
        known_set = set(known)
        for v in values:
            if v not in known_set and v != "*":
                self.add(self.line_of(node, key), f"unknown {what} '{v}'")
        return values


def _functions_for(path: Path, raw: Any) -> PackFunctions:
    """The functions a definition's names resolve to.

    A pack's ``procedure.yaml`` uses its own folder's; a loose file (a copy being checked or replaced) uses the built-in pack of the same id@version, or none.
    """
    from workflow.engine import packs

    key = (str(raw.get("id", "")), str(raw.get("version", ""))) if isinstance(raw, dict) else ("", "")
    if path.name == packs.DEFINITION and (path.parent / "__init__.py").is_file():
        return packs.functions_of(path.parent)
    return packs.builtin_functions(*key) or packs.PackFunctions()


def _check_folder_name(path: Path, raw: _Map, check: _Checker) -> None:
    """A pack's folder is its version's name: two versions can never share one, nor a folder change version."""
    from workflow.engine import packs

    if path.name == packs.DEFINITION and (path.parent / "__init__.py").is_file():
        expected = packs.pack_name(str(raw.get("id", "")), str(raw.get("version", "")))
        if path.parent.name != expected:
            check.add(check.line_of(raw, "version"), f"pack folder '{path.parent.name}' must be named '{expected}' "
                      f"for {raw.get('id')}@{raw.get('version')}")


def load_definition(path: str | Path, functions: PackFunctions | None = None) -> ProcedureDef:
    """Load one definition file; raise ``DefinitionError`` listing every problem with its line.

    ``functions`` are the pack's (``workflow.engine.packs.load_pack`` passes them); by default they are found
    from where the file is (see ``_functions_for``).
    """
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DefinitionError([DefinitionProblem(name, 0, f"cannot read file: {exc.strerror}")]) from exc
    loader = _LineLoader(text)
    loader.duplicates = []
    try:
        raw = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise DefinitionError([DefinitionProblem(name, line, f"not valid YAML: {exc.problem}")]) from exc
    except RecursionError as exc:
        raise DefinitionError([DefinitionProblem(name, 0, "not readable: nested too deeply")]) from exc
    finally:
        loader.dispose()
    check = _Checker(name)
    check.keys(raw, {"id", "version", "effective_from", "title", "legal_basis", "initial", "states", "flags",
                     "tasks", "actions", "deadlines", "migrates_from", "nouns", "settings"}, "definition")
    for line, key in loader.duplicates:
        check.add(line, f"duplicate key '{key}'")
    if not isinstance(raw, _Map):
        check.add(1, "a definition must be a mapping")
        raise DefinitionError(check.problems)
    fns = functions if functions is not None else _functions_for(path, raw)
    _check_folder_name(path, raw, check)
    for key in ("id", "version", "effective_from", "title", "legal_basis", "initial"):
        if key not in raw:
            check.add(1, f"missing '{key}'")
    effective = raw.get("effective_from")
    if "effective_from" in raw and not isinstance(effective, dt.date):
        check.add(check.line_of(raw, "effective_from"), "effective_from must be a date (YYYY-MM-DD)")
        effective = None

    states_node = check.mapping(raw, "states")
    states: dict[str, StateDef] = {}
    for sid, snode in states_node.items():
        check.keys(snode, {"zh", "en", "terminal"}, f"state '{sid}'")
        states[sid] = StateDef(sid, parts.label_of(snode), bool(isinstance(snode, dict) and snode.get("terminal")))
    initial = str(raw.get("initial", ""))
    if initial and initial not in states:
        check.add(check.line_of(raw, "initial"), f"unknown state '{initial}' as initial state")

    flags_node = check.mapping(raw, "flags", required=False)
    for fid, fnode in flags_node.items():
        check.keys(fnode, {"zh", "en", "article"}, f"flag '{fid}'")
    flags = {fid: FlagDef(fid, parts.label_of(f), str(f.get("article", "")) if isinstance(f, dict) else "")
             for fid, f in flags_node.items()}

    tasks: dict[str, TaskDef] = {}
    for tid, tnode in check.mapping(raw, "tasks", required=False).items():
        tnode = tnode if isinstance(tnode, dict) else _Map()
        check.keys(tnode, {"zh", "en", "required", "done_when", "participation"}, f"task '{tid}'")
        check.keys(tnode.get("required"), {"flags_any", "when_input"}, f"task '{tid}' required")
        req = tnode.get("required") or {}
        done = str(tnode.get("done_when", ""))
        if done not in fns.done_when:
            check.add(check.line_of(tnode, "done_when"), f"task '{tid}': unknown completion rule '{done}'")
        tasks[tid] = TaskDef(
            tid, parts.label_of(tnode), done,
            flags_any=check.names(req, "flags_any", flags, "flag"),
            when_input=bool(req.get("when_input")) if isinstance(req, dict) else False,
            participation=bool(tnode.get("participation")),
            done=fns.done_when.get(done), inputs=fns.hooks.input_refs,
        )

    actions = _load_actions(check, check.mapping(raw, "actions"), states, tasks, flags, fns.guards, fns.effects)
    for action in actions.values():
        for spec in action.fields.values():
            for ref in spec.after:
                if ref.startswith("action:") and ref[7:] not in actions:
                    check.add(check.line_of(raw, "actions"),
                              f"action '{action.id}' field '{spec.name}': unknown action '{ref[7:]}' in 'after'")
    settings = load_settings(check, raw.get("settings"), str(raw.get("id", "")))
    deadlines = parts.load_deadlines(check, check.mapping(raw, "deadlines", required=False), actions, states, settings)
    parts.check_graph(check, raw, states_node, states, actions, initial)
    from workflow.engine.migration import load_migrations

    migrations = load_migrations(check, raw, states, deadlines)
    if check.problems:
        raise DefinitionError(check.problems)
    assert isinstance(effective, dt.date)
    return ProcedureDef(
        id=str(raw["id"]), version=str(raw["version"]), effective_from=effective,
        title=parts.label_of(raw["title"]), legal_basis=str(raw["legal_basis"]), initial=initial,
        states=states, flags=flags, tasks=tasks, actions=actions, deadlines=deadlines, source=name,
        migrates_from=migrations, pack=fns.name, hooks=fns.hooks, nouns=_nouns(check, raw), settings=settings,
    )


def _nouns(check: _Checker, raw: _Map) -> Nouns:
    """The pack's words for its matter and draft; the generic ones where it states none."""
    node = check.mapping(raw, "nouns", required=False)
    check.keys(node, {"item", "draft", "opinion"}, "nouns")
    for key, value in node.items():
        check.keys(value, {"zh", "en"}, f"noun '{key}'")
    words = {k: parts.label_of(node[k]) for k in ("item", "draft", "opinion") if k in node}
    return Nouns(**words)


def _load_actions(
    check: _Checker, node: _Map, states: Mapping[str, StateDef], tasks: Mapping[str, TaskDef],
    flags: Mapping[str, FlagDef], guards: Mapping[str, Callable[..., Any]], effects: Mapping[str, Callable[..., Any]],
) -> dict[str, ActionDef]:
    actions: dict[str, ActionDef] = {}
    for aid, anode in node.items():
        if not isinstance(anode, dict):
            check.add(check.line_of(node, aid), f"action '{aid}' must be a mapping")
            continue
        check.keys(anode, {"zh", "en", "roles", "from", "to", "effect", "guards", "fields", "outcome_field",
                           "outcomes", "signed", "task", "record", "correctable_in", "approval", "marks",
                           "new_decision_on"}, f"action '{aid}'")
        roles = check.names(anode, "roles", ROLES | PSEUDO_ROLES, "role")
        if not roles:
            check.add(check.line_of(node, aid), f"action '{aid}' names no role that may take it")
        sources = check.names(anode, "from", states, "state")
        if not sources:
            check.add(check.line_of(node, aid), f"action '{aid}' has no 'from' state")
        target = anode.get("to")
        if target is not None and target not in states:
            check.add(check.line_of(anode, "to"), f"unknown state '{target}'")
        # An action without an effect records nothing but its event.
        effect = str(anode.get("effect", "note"))
        if "effect" in anode and effect not in effects:
            check.add(check.line_of(anode, "effect"), f"unknown effect '{effect}'")
        action_guards = check.names(anode, "guards", guards, "guard")
        fields: dict[str, FieldDef] = {}
        for fname, fnode in (anode.get("fields") or {}).items():
            fnode = fnode if isinstance(fnode, dict) else {}
            check.keys(fnode, {"type", "required", "options", "zh", "en", "when", "after", "article"},
                       f"action '{aid}' field '{fname}'")
            ftype = str(fnode.get("type", "text"))
            when, after = parts.time_truth(check, anode.get("fields"), fname, fnode, ftype)
            if ftype not in FIELD_TYPES:
                check.add(check.line_of(anode.get("fields"), fname), f"unknown field type '{ftype}'")
            labels = parts.options(check, anode.get("fields"), fname, fnode, ftype, flags)
            fields[fname] = FieldDef(fname, ftype, parts.label_of(fnode), bool(fnode.get("required")), tuple(labels),
                                     when, after, str(fnode.get("article", "")), labels)
        outcome_field = anode.get("outcome_field")
        outcomes = {str(k): str(v) for k, v in (anode.get("outcomes") or {}).items()}
        for out, dest in outcomes.items():
            if dest not in states:
                check.add(check.line_of(anode.get("outcomes"), out), f"unknown state '{dest}'")
        if outcome_field and outcome_field not in fields:
            check.add(check.line_of(anode, "outcome_field"), f"outcome field '{outcome_field}' is not a field")
        if outcomes and not outcome_field:
            check.add(check.line_of(anode, "outcomes"), "outcomes given without an outcome_field")
        if outcome_field in fields and set(fields[str(outcome_field)].options) != set(outcomes):
            check.add(check.line_of(anode, "outcomes"), "outcomes must cover exactly the outcome field's options")
        if target is not None and outcomes:
            check.add(check.line_of(anode, "to"), "an action has either 'to' or 'outcomes', not both")
        task = anode.get("task")
        if task is not None and task not in tasks:
            check.add(check.line_of(anode, "task"), f"unknown task '{task}'")
        record = anode.get("record")
        correctable = check.names(anode, "correctable_in", states, "state")
        if correctable and not record:
            check.add(check.line_of(anode, "correctable_in"), "correctable_in needs 'record' (the facts key)")
        approval = parts.approval(check, anode, aid, roles)
        marks = check.names(anode, "marks", MARKS, "mark")
        for mark in marks:
            for needed in MARKS.get(mark, ()):
                if needed not in fields:
                    check.add(check.line_of(anode, "marks"), f"action '{aid}': mark '{mark}' needs a field '{needed}'")
        new_decision_on = tuple(str(o) for o in anode.get("new_decision_on") or [])
        for out in new_decision_on:
            if out not in outcomes:
                check.add(check.line_of(anode, "new_decision_on"), f"action '{aid}': unknown outcome '{out}'")
        actions[aid] = ActionDef(
            id=aid, label=parts.label_of(anode), roles=roles, sources=sources,
            target=str(target) if target is not None else None, effect=effect, guards=action_guards,
            fields=fields, outcome_field=str(outcome_field) if outcome_field else None, outcomes=outcomes,
            signed=bool(anode.get("signed")), task=str(task) if task else None,
            record=str(record) if record else None, correctable_in=correctable, approval=approval,
            marks=frozenset(marks), new_decision_on=new_decision_on,
            checks=tuple(guards[g] for g in action_guards if g in guards),
            apply=effects.get(effect) if "effect" in anode else None,
        )
    return actions


def builtin_paths(extra_dir: Path | None = None) -> list[Path]:
    """The definition files of the packs shipped with juece, plus those of an optional extra folder
    (its pack folders, then any loose ``*.yaml`` files)."""
    from workflow.engine import packs

    paths = [folder / packs.DEFINITION for folder in packs.builtin_packs(extra_dir)]
    if extra_dir is not None:
        paths += sorted(Path(extra_dir).glob("*.yaml"))
    return paths
