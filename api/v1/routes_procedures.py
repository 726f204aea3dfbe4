"""The procedure catalogue over HTTP: every version on file, one definition in full, and its diagram."""

from __future__ import annotations

from typing import Any

from api.v1 import schemas as s
from api.v1.route_helpers import Problems, today
from api.v1.smorest_types import Blp
from workflow.engine import graph
from workflow.engine.catalog import Catalog
from workflow.engine.definition import ProcedureDef
from workflow.engine.errors import InvalidInput, NotFound


def _procedure(catalog: Catalog, key: str) -> ProcedureDef:
    return catalog.get(key) if "@" in key else catalog.current(key, today())


def _procedure_summary(catalog: Catalog, p: ProcedureDef) -> dict[str, Any]:
    try:
        in_force = catalog.current(p.id, today()).key == p.key
    except NotFound:
        in_force = False
    return {"key": p.key, "id": p.id, "version": p.version, "effective_from": p.effective_from.isoformat(),
            "title_zh": p.title.zh, "title_en": p.title.en, "legal_basis": p.legal_basis, "in_force": in_force}


def _procedure_detail(catalog: Catalog, p: ProcedureDef) -> dict[str, Any]:
    out = _procedure_summary(catalog, p)
    out |= {
        "initial": p.initial,
        "states": [{"id": st.id, "zh": st.label.zh, "en": st.label.en, "terminal": st.terminal}
                   for st in p.states.values()],
        "flags": [{"id": f.id, "zh": f.label.zh, "en": f.label.en, "article": f.article} for f in p.flags.values()],
        "tasks": [{"id": t.id, "zh": t.label.zh, "en": t.label.en, "done_when": t.done_when,
                   "flags_any": list(t.flags_any), "when_input": t.when_input, "participation": t.participation}
                  for t in p.tasks.values()],
        "actions": [{"id": a.id, "zh": a.label.zh, "en": a.label.en, "roles": list(a.roles), "from_": list(a.sources),
                     "to": a.target, "outcome_field": a.outcome_field, "outcomes": dict(a.outcomes),
                     "signed": a.signed, "task": a.task, "guards": list(a.guards),
                     "fields_": [{"name": f.name, "type": f.type, "zh": f.label.zh, "en": f.label.en,
                                  "required": f.required, "options": list(f.options),
                                  "option_labels": [{"id": o, "zh": lab.zh, "en": lab.en}
                                                    for o, lab in f.option_labels.items()]}
                                 for f in a.fields.values()]}
                    for a in p.actions.values()],
        "deadlines": [{"key": d.key, "zh": d.label.zh, "en": d.label.en, "article": d.article,
                       "recipients": list(d.recipients), "starts_on": list(d.starts_on),
                       "closes_on": list(d.closes_on), "scope": d.scope} for d in p.deadlines.values()],
    }
    return out


def register(blp: Blp, catalog: Catalog, problems: Problems) -> None:
    """Add the procedure operations (list, definition, diagram) to ``blp``."""

    @blp.route("/procedures", methods=["GET"], tags=["procedures"])
    @blp.response(200, s.ProcedureList)
    @problems()
    def procedures() -> dict[str, Any]:
        """Every procedure version on file"""
        return {"items": [_procedure_summary(catalog, p) for p in catalog.all()]}

    @blp.route("/procedures/<string:key>", methods=["GET"], tags=["procedures"])
    @blp.response(200, s.ProcedureDetail)
    @problems(404)
    def procedure(key: str) -> dict[str, Any]:
        """A procedure's definition: states, flags, tasks, actions with their fields, deadlines

        ``key`` is ``id@version``, or just the id for the version in force today.
        """
        return _procedure_detail(catalog, _procedure(catalog, key))

    @blp.route("/procedures/<string:key>/diagram", methods=["GET"], tags=["procedures"])
    @blp.arguments(s.DiagramQuery, location="query", arg_name="query")
    @blp.response(200, s.DiagramOut)
    @problems(404)
    def diagram(key: str, query: dict[str, Any]) -> dict[str, Any]:
        """A procedure as a Mermaid state diagram or a Graphviz digraph"""
        p = _procedure(catalog, key)
        current = query.get("current")
        if current is not None and current not in p.states:
            raise InvalidInput(f"没有这个环节：{current}", f"no such state: {current}", details={"field": "current"})
        draw = graph.mermaid if query["format"] == "mermaid" else graph.dot
        return {"key": p.key, "format": query["format"], "lang": query["lang"],
                "source": draw(p, current, query["lang"])}


__all__ = ["register"]
