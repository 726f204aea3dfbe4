"""The loader's checks of a definition's parts: field options, approvals, stated times, deadlines, the graph.

``workflow.engine.loader`` reads the file and walks its sections; these check one part each and report every
problem through the loader's checker as ``file:line: message``. Split from the loader to keep each module
about one thing; nothing here reads a file.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workflow.engine.definition import (
    PSEUDO_ROLES,
    ROLES,
    ActionDef,
    ApprovalDef,
    DeadlineDef,
    FlagDef,
    Label,
    SettingDef,
    StateDef,
)
from workflow.engine.fields import FIELD_TYPES, REQUIRED_OPTIONS
from workflow.engine.office_settings import check_references

if TYPE_CHECKING:
    from workflow.engine.loader import _Checker, _Map

RULE_KINDS = frozenset({"at_field", "before_field", "working_days", "calendar_days", "idle_working_days",
                        "months", "annual_date"})


def label_of(node: Any) -> Label:
    """A ``{zh, en}`` mapping as a label (a bare string serves both languages)."""
    if isinstance(node, dict):
        return Label(str(node.get("zh", "")), str(node.get("en", node.get("zh", ""))))
    return Label(str(node), str(node))


def options(check: _Checker, parent: Any, fname: str, fnode: Mapping[str, Any], ftype: str,
            flags: Mapping[str, FlagDef]) -> dict[str, Label]:
    """A field's options with their labels: ``options: {id: {zh: …, en: …}}`` (a flags field takes the flags')."""
    node = fnode.get("options")
    line = check.line_of(fnode, "options") if "options" in fnode else check.line_of(parent, fname)
    kind = FIELD_TYPES.get(ftype)
    if ftype == "flags":
        if node is not None:
            check.add(line, f"field '{fname}': a flags field offers the definition's flags, not its own options")
        return {fid: f.label for fid, f in flags.items()}
    if kind is None or not kind.takes_options:
        if node is not None:
            check.add(line, f"field '{fname}': a {ftype} field takes no options")
        return {}
    if not isinstance(node, dict) or not node:
        check.add(line, f"field '{fname}': a {ftype} field needs options with labels: "
                        "options: {<id>: {zh: …, en: …}, …}")
        return {}
    out: dict[str, Label] = {}
    for oid, onode in node.items():
        check.keys(onode, {"zh", "en"}, f"field '{fname}' option '{oid}'")
        if not (isinstance(onode, dict) and str(onode.get("zh") or "").strip() and str(onode.get("en") or "").strip()):
            check.add(check.line_of(node, oid), f"field '{fname}': option '{oid}' needs a zh and an en label")
        out[str(oid)] = label_of(onode)
    for missing in sorted(REQUIRED_OPTIONS.get(ftype, frozenset()) - set(out)):
        check.add(line, f"field '{fname}': a {ftype} field must offer '{missing}' (a rule reasons about it)")
    return out


def approval(check: _Checker, anode: Mapping[str, Any], aid: str, roles: tuple[str, ...]) -> ApprovalDef | None:
    """``approval: {by: [roles], article}``: the approvers must be able to take the action themselves."""
    node = anode.get("approval")
    if node is None:
        return None
    if not isinstance(node, dict):
        check.add(check.line_of(anode, "approval"), f"action '{aid}' approval must be a mapping")
        return None
    check.keys(node, {"by", "article"}, f"action '{aid}' approval")
    by = check.names(node, "by", ROLES, "role")
    if not by:
        check.add(check.line_of(anode, "approval"), f"action '{aid}' approval names no approving role")
    for role in by:
        if role not in roles:
            check.add(check.line_of(node, "by"), f"approver role '{role}' may not take action '{aid}' itself")
    return ApprovalDef(by, str(node.get("article", "")))


def time_truth(check: _Checker, parent: Any, fname: str, fnode: Mapping[str, Any],
               ftype: str) -> tuple[str | None, tuple[str, ...]]:
    """A field's ``when`` and ``after`` (see ``workflow.timing.timetruth``), checked for form."""
    when = fnode.get("when")
    if when is not None and when not in ("past", "from_now"):
        check.add(check.line_of(parent, fname), f"field '{fname}': 'when' must be past or from_now")
        when = None
    raw = fnode.get("after") or []
    after = tuple(str(x) for x in ([raw] if isinstance(raw, str) else raw))
    for ref in after:
        kind, _, name = ref.partition(":")
        if kind not in ("action", "fact") or not name:
            check.add(check.line_of(parent, fname), f"field '{fname}': 'after' takes action:<id> or fact:<path>")
    if (when or after) and ftype not in ("date", "datetime"):
        check.add(check.line_of(parent, fname), f"field '{fname}': 'when'/'after' apply to dates and times only")
    return (str(when) if when else None), after


def load_deadlines(check: _Checker, node: _Map, actions: Mapping[str, ActionDef],
                   states: Mapping[str, StateDef], settings: Mapping[str, SettingDef]) -> dict[str, DeadlineDef]:
    """Each deadline of the ``deadlines`` section, checked: its rule kind, starts, closes, recipients, settings."""
    out: dict[str, DeadlineDef] = {}
    for key, dnode in node.items():
        if not isinstance(dnode, dict):
            check.add(check.line_of(node, key), f"deadline '{key}' must be a mapping")
            continue
        check.keys(dnode, {"zh", "en", "article", "rule", "starts_on", "closes_on", "starts_when", "recipients",
                           "reminders", "scope", "while_in"}, f"deadline '{key}'")
        rule = dnode.get("rule")
        if not isinstance(rule, dict) or not rule.get("kind"):
            check.add(check.line_of(node, key), f"deadline '{key}' has no rule")
            rule = {}
        elif rule["kind"] not in RULE_KINDS:
            check.add(check.line_of(dnode, "rule"), f"deadline '{key}': unknown rule kind '{rule['kind']}'")
        starts = check.names(dnode, "starts_on", actions, "action")
        if not starts:
            check.add(check.line_of(node, key), f"deadline '{key}' never starts (no 'starts_on')")
        closes = check.names(dnode, "closes_on", actions, "action")
        _check_from_field(check, dnode, key, rule, starts, actions)
        check_references(check, dnode, key, rule, dnode.get("reminders") or [], settings)
        when = _starts_when(check, dnode, key, starts, actions)
        out[key] = DeadlineDef(
            key=key, label=label_of(dnode), article=str(dnode.get("article", "")), rule=dict(rule),
            starts_on=starts, closes_on=closes, starts_when=when,
            recipients=check.names(dnode, "recipients", ROLES | PSEUDO_ROLES, "role"),
            reminders=tuple(dict(r) for r in dnode.get("reminders", []) or []),
            scope=str(dnode.get("scope", "decision")),
            while_in=check.names(dnode, "while_in", states, "state"),
        )
    return out


def _starts_when(check: _Checker, dnode: Any, key: str, starts: tuple[str, ...],
                 actions: Mapping[str, ActionDef]) -> dict[str, tuple[str, ...]]:
    """``starts_when: {field: [values]}``: ``outcome`` (the action's outcome), or a choice field of every starter.

    A starting action without an outcome field is not filtered by ``outcome``; any other field must be a
    choice field of every starting action, and each value one of its options.
    """
    node = dnode.get("starts_when") or {}
    if not isinstance(node, dict):
        check.add(check.line_of(dnode, "starts_when"), f"deadline '{key}': starts_when must be a mapping")
        return {}
    when: dict[str, tuple[str, ...]] = {}
    starters = [actions[a] for a in starts if a in actions]
    for name, raw in node.items():
        line = check.line_of(node, name)
        values = tuple(str(x) for x in ([raw] if isinstance(raw, str) else raw or []))
        when[str(name)] = values
        if not values:
            check.add(line, f"deadline '{key}': starts_when '{name}' lists no value")
        if name == "outcome":
            offered = {o for a in starters for o in a.outcomes}
            if not offered:
                check.add(line, f"deadline '{key}': starts_when 'outcome' but no starting action has outcomes")
            for value in values:
                if offered and value not in offered:
                    check.add(line, f"deadline '{key}': starts_when outcome '{value}' is no starting action's outcome")
            continue
        for action in starters:
            spec = action.fields.get(str(name))
            if spec is None or spec.type != "choice":
                check.add(line, f"deadline '{key}': starts_when '{name}' is not a choice field of '{action.id}'")
                continue
            for value in values:
                if value not in spec.options:
                    check.add(line, f"deadline '{key}': starts_when '{name}': '{value}' is not an option of "
                                    f"'{action.id}'")
    return when


def _check_from_field(check: _Checker, dnode: Any, key: str, rule: Mapping[str, Any], starts: tuple[str, ...],
                      actions: Mapping[str, ActionDef]) -> None:
    """``from_field`` names a date or datetime field of every action that starts the deadline."""
    name = rule.get("from_field")
    if not name:
        return
    for aid in starts:
        spec = actions[aid].fields.get(str(name)) if aid in actions else None
        if aid in actions and (spec is None or spec.type not in ("date", "datetime")):
            check.add(check.line_of(dnode, "rule"),
                      f"deadline '{key}': from_field '{name}' is not a date or datetime field of '{aid}'")


def check_graph(check: _Checker, raw: _Map, states_node: _Map, states: Mapping[str, StateDef],
                actions: Mapping[str, ActionDef], initial: str) -> None:
    """Every state reachable from the initial one; every non-terminal state has a way out."""
    edges: dict[str, set[str]] = {s: set() for s in states}
    for action in actions.values():
        dests = set(action.outcomes.values()) | ({action.target} if action.target else set())
        for src in action.sources:
            if src in edges:
                edges[src] |= {d for d in dests if d in states}
    if initial in states:
        seen, todo = {initial}, deque([initial])
        while todo:
            for nxt in edges[todo.popleft()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        for sid in states:
            if sid not in seen:
                check.add(check.line_of(states_node, sid), f"state '{sid}' is unreachable from '{initial}'")
    for sid, state in states.items():
        way_out = edges[sid] - {sid}
        if not state.terminal and not way_out:
            check.add(check.line_of(states_node, sid), f"state '{sid}' has no way out and is not terminal")
        if state.terminal and way_out:
            check.add(check.line_of(states_node, sid), f"terminal state '{sid}' has actions leading out of it")
