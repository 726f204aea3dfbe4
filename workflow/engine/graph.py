"""Procedure diagrams generated from a definition (Mermaid state diagrams and Graphviz dot)."""

from __future__ import annotations

from workflow.engine.definition import ProcedureDef


def edges(procedure: ProcedureDef) -> list[tuple[str, str, str]]:
    """(source, destination, label) for every state change; in-state actions are left out."""
    out: list[tuple[str, str, str]] = []
    for action in procedure.actions.values():
        dests = [(d, f"{action.id} [{o}]") for o, d in action.outcomes.items()] if action.outcomes else (
            [(action.target, action.id)] if action.target else [])
        for source in action.sources:
            for dest, label in dests:
                if dest and dest != source:
                    out.append((source, dest, label))
    return out


def mermaid(procedure: ProcedureDef, current: str | None = None, lang: str = "zh") -> str:
    """A Mermaid ``stateDiagram-v2``; ``current`` is highlighted."""
    lines = ["stateDiagram-v2", f"  [*] --> {procedure.initial}"]
    for sid, state in procedure.states.items():
        label = state.label.zh if lang == "zh" else state.label.en
        lines.append(f'  state "{label}" as {sid}')
    for source, dest, label in edges(procedure):
        lines.append(f"  {source} --> {dest}: {label}")
    for sid, state in procedure.states.items():
        if state.terminal:
            lines.append(f"  {sid} --> [*]")
    if current:
        lines += ["  classDef current fill:#fde68a,stroke:#b45309,stroke-width:3px", f"  class {current} current"]
    return "\n".join(lines) + "\n"


def dot(procedure: ProcedureDef, current: str | None = None, lang: str = "zh") -> str:
    """A Graphviz ``digraph``; ``current`` is filled."""
    lines = [f'digraph "{procedure.key}" {{', "  rankdir=LR;", '  node [shape=box, style="rounded"];']
    for sid, state in procedure.states.items():
        label = state.label.zh if lang == "zh" else state.label.en
        attrs = [f'label="{label}\\n{sid}"']
        if state.terminal:
            attrs.append("peripheries=2")
        if sid == current:
            attrs.append('style="rounded,filled", fillcolor="#fde68a"')
        lines.append(f"  {sid} [{', '.join(attrs)}];")
    for source, dest, label in edges(procedure):
        lines.append(f'  {source} -> {dest} [label="{label}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
