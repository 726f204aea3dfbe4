"""Migration of an in-flight decision to a newer version of its procedure (issue 8, item 5). No I/O.

A newer version declares, under ``migrates_from``, how states and facts of an older version map to it.
A migration is an audited event (``procedure_migrated``) in the decision's own chain: it records the two
versions, the legal basis, the state it maps and exactly which facts it renames, drops and adds, so a
replay applies what the event says (the old version's effects before it, the new version's after it)
and never re-reads a declaration that might have been edited since.

Only the chief executive migrates a decision, signed with their own key: the 行政首长 answers for how the
decision is made (Art. 4, 30 of Decree 713: 行政首长负责制), and which procedure governs it is part of that.
An administrator keeps the system, not the procedure (as for deadlines, ``workflow.timing.deadline_changes``).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workflow.engine.context import Actor, DecisionView, Office, utc_iso
from workflow.engine.definition import DeadlineDef, MigrationDef, ProcedureDef, StateDef
from workflow.engine.errors import ActionNotAllowed, DefinitionError, DefinitionProblem, Forbidden, InvalidInput
from workflow.timing.calendar import WorkCalendar
from workflow.timing.deadlines import DeadlinePlan, fix_rule, schedule, stall, stall_rule

ACTION = "procedure_migrated"
MAY_MIGRATE = frozenset({"chief_executive"})
#: A dry run writes nothing: the office's administrator may prepare one for the chief to carry out.
MAY_PREVIEW = MAY_MIGRATE | {"admin"}
#: Deadlines started at a migration have no action inputs: rules that read a field cannot be counted then.
_FIELD_RULES = frozenset({"at_field", "before_field"})
Resolve = Callable[[str], ProcedureDef]


# -- the declaration ------------------------------------------------------------------------------
def load_migrations(check: Any, raw: Mapping[str, Any], states: Mapping[str, StateDef],
                    deadlines: Mapping[str, DeadlineDef]) -> dict[str, MigrationDef]:
    """Parse ``migrates_from`` of a definition (``check`` is the loader's problem collector)."""
    node = check.mapping(raw, "migrates_from", required=False)
    out: dict[str, MigrationDef] = {}
    for source, mnode in node.items():
        line = check.line_of(node, source)
        pid, _, version = str(source).partition("@")
        if pid != str(raw.get("id")) or not version or version == str(raw.get("version")):
            check.add(line, f"migrates_from '{source}': must name an older version of this procedure (id@version)")
        if not isinstance(mnode, dict):
            check.add(line, f"migrates_from '{source}' must be a mapping")
            continue
        check.keys(mnode, {"states", "facts", "deadlines"}, f"migrates_from '{source}'")
        smap = check.mapping(mnode, "states", required=False)
        for old, new in smap.items():
            if str(new) not in states:
                check.add(check.line_of(smap, old), f"migrates_from '{source}': state '{old}' maps to unknown "
                                                    f"state '{new}'")
        facts = check.mapping(mnode, "facts", required=False)
        check.keys(facts, {"rename", "drop"}, f"migrates_from '{source}' facts")
        rename = check.mapping(facts, "rename", required=False)
        for old, new in rename.items():
            if not _path_ok(str(old)) or not _path_ok(str(new)):
                check.add(check.line_of(rename, old), f"migrates_from '{source}': fact '{old}' → '{new}' must be "
                                                      "a key or tasks.<id>")
        drop = tuple(str(d) for d in (facts.get("drop") or []))
        for name in drop:
            if not _path_ok(name):
                check.add(check.line_of(facts, "drop"), f"migrates_from '{source}': fact '{name}' must be a key "
                                                        "or tasks.<id>")
        dnode = check.mapping(mnode, "deadlines", required=False)
        check.keys(dnode, {"start"}, f"migrates_from '{source}' deadlines")
        start = check.names(dnode, "start", deadlines, "deadline")
        for key in start:
            if key in deadlines and (deadlines[key].rule.get("kind") in _FIELD_RULES or "*" in deadlines[key].starts_on):
                check.add(check.line_of(dnode, "start"), f"migrates_from '{source}': deadline '{key}' reads an "
                                                         "action's input or is the stall clock; it cannot start "
                                                         "at a migration")
        out[str(source)] = MigrationDef(
            str(source), {str(k): str(v) for k, v in smap.items()}, {str(k): str(v) for k, v in rename.items()},
            drop, start, line, {str(k): check.line_of(smap, k) for k in smap} if smap else {})
    return out


def _path_ok(path: str) -> bool:
    parts = path.split(".")
    return bool(path) and all(parts) and (len(parts) == 1 or (len(parts) == 2 and parts[0] == "tasks"))


def check_migrations(procedures: Mapping[str, ProcedureDef]) -> None:
    """Judge each declaration against the version it maps from; raise ``DefinitionError`` naming file:line.

    Every non-terminal state of the old version must land on a state of the new one (a state not listed
    keeps its id); a decision could otherwise migrate into a state the new version does not have.
    """
    problems: list[DefinitionProblem] = []
    for target in procedures.values():
        for key, spec in target.migrates_from.items():
            old = procedures.get(key)
            if old is None:
                problems.append(DefinitionProblem(target.source, spec.line, f"migrates_from: unknown version '{key}'"))
                continue
            if old.effective_from >= target.effective_from:
                problems.append(DefinitionProblem(target.source, spec.line,
                                                  f"migrates_from: '{key}' is not older than {target.key}"))
            for sid in spec.states:
                if sid not in old.states:
                    problems.append(DefinitionProblem(target.source, spec.lines.get(sid, spec.line),
                                                      f"migrates_from '{key}': '{sid}' is not a state of {key}"))
            for sid, state in old.states.items():
                if not state.terminal and spec.states.get(sid, sid) not in target.states:
                    problems.append(DefinitionProblem(
                        target.source, spec.lines.get(sid, spec.line),
                        f"migrates_from '{key}': state '{sid}' maps to no state of {target.key}"))
    if problems:
        raise DefinitionError(problems)


# -- deciding a migration -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Migrated:
    """An accepted migration: the event to append, the state and facts after it, its deadlines."""

    event: dict[str, Any]
    from_state: str
    to_state: str
    facts: dict[str, Any]
    deadlines: DeadlinePlan
    target: ProcedureDef

    def preview(self, before: Mapping[str, Any]) -> dict[str, Any]:
        """What a dry run shows: versions, state, and the facts that change."""
        data = self.event["data"]
        return {"from": data["from"], "to": data["to"], "basis": data["basis"],
                "state": {"from": self.from_state, "to": self.to_state},
                "facts": data["facts"], "deadlines": data["deadlines"],
                "changed_facts": sorted(k for k in set(before) | set(self.facts)
                                        if before.get(k) != self.facts.get(k))}


def _refuse(code: str, zh: str, en: str, **details: Any) -> ActionNotAllowed:
    return ActionNotAllowed(zh, en, code=code, details=details)


def decide_migration(decision: DecisionView, target: ProcedureDef, actor: Actor, basis: str, now: dt.datetime,
                     office: Office, cal: WorkCalendar, *, preview: bool = False) -> Migrated:
    """Check a migration of ``decision`` to ``target`` and return what it changes (nothing is written here).

    ``preview`` judges a dry run, which the office's administrator may also ask for."""
    source = decision.procedure
    if not str(basis or "").strip():
        raise InvalidInput("迁移必须写明法律依据", "a migration needs its legal basis", code="migration_basis_required",
                           details={"field": "basis"})
    if actor.org_id != decision.org_id or not set(actor.roles) & (MAY_PREVIEW if preview else MAY_MIGRATE):
        raise Forbidden("程序版本的迁移由行政首长本人决定并签名", "only the chief executive migrates a decision, "
                        "signed with their own key", code="role_not_permitted", details={"roles": sorted(MAY_MIGRATE)})
    if target.id != source.id:
        raise _refuse("migration_other_procedure", f"只能迁移到同一程序（{source.id}）的新版本",
                      f"a decision migrates only to a version of its own procedure ({source.id})", to=target.key)
    if target.effective_from <= source.effective_from:
        raise _refuse("migration_not_newer", f"{target.key} 不晚于当前版本 {source.key}",
                      f"{target.key} is not newer than {source.key}", to=target.key)
    spec = target.migrates_from.get(source.key)
    if spec is None:
        raise _refuse("migration_not_declared", f"{target.key} 未声明如何承接 {source.key} 的决策事项",
                      f"{target.key} does not declare how decisions of {source.key} map to it", to=target.key)
    if source.terminal(decision.state):
        raise _refuse("migration_terminal", "已办结的决策事项不能迁移", "a finished decision cannot migrate",
                      state=decision.state)
    to_state = spec.states.get(decision.state, decision.state)
    facts_change = {"rename": {k: v for k, v in spec.rename.items() if _has(decision.facts, k)},
                    "drop": [d for d in spec.drop if _has(decision.facts, d)],
                    # Tasks are created when a decision is initiated: the new version's new tasks join them.
                    "add_tasks": sorted(t for t in target.tasks if decision.facts.get("tasks")
                                        and t not in decision.facts["tasks"] and f"tasks.{t}" not in
                                        spec.rename.values())}
    plan = _deadlines(source, target, spec, to_state, now, office, cal, decision.org_id)
    data = {"from": source.key, "to": target.key, "basis": basis.strip(),
            "state": {"from": decision.state, "to": to_state}, "facts": facts_change,
            "deadlines": {"close": plan.close, "start": list(spec.start)}}
    event = {"action": ACTION, "actor": actor.as_record(), "at": utc_iso(now), "data": data}
    return Migrated(event, decision.state, to_state, map_facts(decision.facts, facts_change), plan, target)


def targets(decision_key: str, procedures: Sequence[ProcedureDef]) -> list[ProcedureDef]:
    """The versions a decision under ``decision_key`` may migrate to (those that declare it), newest first."""
    return sorted((p for p in procedures if decision_key in p.migrates_from), key=lambda p: p.effective_from,
                  reverse=True)


def _deadlines(source: ProcedureDef, target: ProcedureDef, spec: MigrationDef, to_state: str, now: dt.datetime,
               office: Office, cal: WorkCalendar, org_id: int) -> DeadlinePlan:
    """Close the old version's deadlines the new one does not define, and those it starts again; start the
    declared ones counted from the migration; the stall clock restarts (Art. 38: the migration is an act)."""
    plan = DeadlinePlan()
    plan.close = sorted({k for k in source.deadlines if k not in target.deadlines} | set(spec.start))
    if target.terminal(to_state):
        return plan
    office = office.under(target.settings)
    plan.stall_due_at, plan.stall_awaiting = stall(stall_rule(target), now, office, cal)
    for key in spec.start:
        deadline = target.deadlines[key]
        plan.open.extend(schedule(deadline, fix_rule(deadline.rule, {}, office), now, cal, org_id))
    return plan


# -- facts ------------------------------------------------------------------------------------------
def _split(path: str) -> tuple[str | None, str]:
    head, _, tail = path.partition(".")
    return (head, tail) if tail else (None, head)


def _has(facts: Mapping[str, Any], path: str) -> bool:
    parent, key = _split(path)
    holder = facts.get(parent) if parent else facts
    return isinstance(holder, Mapping) and key in holder


def map_facts(facts: Mapping[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    """The facts after a migration's recorded change: renames, then drops, then the new tasks (empty)."""
    out = copy.deepcopy(dict(facts))
    for old, new in (change.get("rename") or {}).items():
        parent, key = _split(old)
        holder = out.get(parent) if parent else out
        if isinstance(holder, dict) and key in holder:
            value = holder.pop(key)
            nparent, nkey = _split(new)
            (out.setdefault(nparent, {}) if nparent else out)[nkey] = value
    for path in change.get("drop") or []:
        parent, key = _split(path)
        holder = out.get(parent) if parent else out
        if isinstance(holder, dict):
            holder.pop(key, None)
    for task in change.get("add_tasks") or []:
        out.setdefault("tasks", {}).setdefault(task, {})
    return out


# -- replay -----------------------------------------------------------------------------------------
def versions(events: Sequence[Mapping[str, Any]]) -> list[str]:
    """The versions a decision went through, oldest first ([] when it never migrated)."""
    out: list[str] = []
    for event in events:
        if event.get("action") == ACTION:
            data = event["data"]
            out = (out or [str(data["from"])]) + [str(data["to"])]
    return out


def first_procedure(current: ProcedureDef, events: Sequence[Mapping[str, Any]], resolve: Resolve) -> ProcedureDef:
    """The version a decision started under: the first migration's source, else the version it is under."""
    path = versions(events)
    return resolve(path[0]) if path else current


def replay_step(procedure: ProcedureDef, event: Mapping[str, Any], facts: Mapping[str, Any],
                resolve: Resolve | None) -> tuple[ProcedureDef, dict[str, Any]]:
    """The version and facts after a migration event, as it recorded them."""
    data = event["data"]
    if resolve is None:
        raise ValueError("a migrated decision replays only with the catalogue of its versions")
    if data["from"] != procedure.key:
        raise ValueError(f"migration from {data['from']} recorded while the decision was under {procedure.key}")
    if data["state"]["to"] != event["to"]:
        raise ValueError("the migration's recorded state differs from its event")
    return resolve(str(data["to"])), map_facts(facts, data["facts"])
