"""Decisions over HTTP: the office's list, starting one, reading one (with ETag), and one POST operation
per action of the catalogue, its body generated from the action's fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app

from api.v1 import schemas as s
from api.v1.actions import action_schema, actions_by_id, describe
from api.v1.auth import core, principal
from api.v1.route_helpers import (
    ID,
    Problems,
    decision_detail,
    entity_tags,
    etag,
    expected_version,
    page_cursor,
    page_out,
    today,
    visible_decision,
    who_is_public,
)
from api.v1.routes_deputies import signing_password
from api.v1.schemas.signing import ActingHeaders
from api.v1.smorest_types import Blp
from workflow.admin.tokens import Principal
from workflow.engine.catalog import Catalog
from workflow.engine.errors import InvalidInput, NotFound
from workflow.views.queries import decision_summary, office_page
from workflow.views.visibility import visible_page


def register(blp: Blp, catalog: Catalog, problems: Problems) -> None:
    """Add the decision operations (list, create, read) and one operation per action to ``blp``."""

    @blp.route("/decisions", methods=["GET"], tags=["decisions"])
    @blp.arguments(s.DecisionListQuery, location="query", arg_name="query")
    @blp.response(200, s.DecisionPage)
    @problems()
    def decisions(query: dict[str, Any]) -> dict[str, Any]:
        """The office's decisions, newest first, by state and procedure, a page at a time"""
        who = principal()
        juece = core()
        if who_is_public(who):
            return _public_page(query, who)
        pid, _, version = str(query.get("procedure") or "").partition("@")
        before = page_cursor(query)
        with juece.db.read() as conn:
            rows = office_page(conn, who.org_id, limit=query["limit"] + 1, state=query.get("state"),
                               procedure_id=pid or None, procedure_version=version or None, below=before)
        page = rows[:query["limit"]]
        return page_out([decision_summary(r, juece.catalog) for r in page],
                        int(page[-1].id) if len(rows) > query["limit"] else None)

    @blp.route("/decisions", methods=["POST"], tags=["decisions"])
    @blp.arguments(s.IdempotencyHeaders, location="headers", arg_name="headers")
    @blp.arguments(s.DecisionCreate, arg_name="body")
    @blp.response(201, s.DecisionDetail, headers={
        "ETag": {"description": "the decision's version", "schema": {"type": "string"}},
        "Location": {"description": "the new decision", "schema": {"type": "string"}}})
    @problems(403, 409, 413, 415, 422)
    def create_decision(headers: dict[str, Any], body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Start a decision, owned by the token's person (who needs the owner role)

        The decision starts in the procedure's initial state under the version in force today.
        """
        who = principal()
        juece = core()
        try:
            juece.catalog.current(body["procedure"], today())
        except NotFound as missing:
            raise InvalidInput(missing.zh, missing.en, code="unknown_procedure",
                               details={"field": "procedure"}) from None
        decision_id = juece.create_decision(body["procedure"], body["title"], who.user, body["flags"])
        with juece.db.read() as conn:
            detail = decision_detail(conn, decision_id, who)
        return detail, 201, {"ETag": detail["etag"], "Location": f"/api/v1/decisions/{decision_id}"}

    @blp.route(f"/decisions/<{ID}:decision_id>", methods=["GET"], tags=["decisions"])
    @blp.arguments(s.ConditionalGetHeaders, location="headers", arg_name="headers")
    @blp.response(200, s.DecisionDetail, headers={
        "ETag": {"description": "the decision's version; send it back in If-Match", "schema": {"type": "string"}}})
    @blp.alt_response(304, description="Not modified (If-None-Match matched)", success=True)
    @problems(404)
    def decision(decision_id: int, headers: dict[str, Any]) -> Any:
        """One decision: state, tasks, deadlines, documents, history and next actions"""
        who = principal()
        with core().db.read() as conn:
            detail = decision_detail(conn, decision_id, who)
        current = (False, detail["etag"].strip('"'))
        matches = entity_tags(headers.get("if_none_match"))
        if any(tag in (current, (True, current[1])) or tag[1] == "*" for tag in matches):
            response = current_app.response_class(status=304)
            response.headers["ETag"] = detail["etag"]
            return response
        return detail, 200, {"ETag": detail["etag"]}

    for action_id, defs in actions_by_id(catalog).items():
        _register_action(blp, catalog, problems, action_id, defs)


def _public_page(query: dict[str, Any], who: Principal) -> dict[str, Any]:
    """A page of the decisions a citizen may see (workflow.views.visibility), with the same filters and cursor."""
    juece = core()
    pid, _, version = str(query.get("procedure") or "").partition("@")
    with juece.db.read() as conn:
        rows, next_below = visible_page(conn, who.org_id, juece.clock(), state=query.get("state"),
                                        procedure_id=pid or None, procedure_version=version or None,
                                        below=page_cursor(query), limit=query["limit"],
                                        catalog=juece.catalog)
    return page_out([decision_summary(r, juece.catalog) for r in rows], next_below)


def _register_action(blp: Blp, catalog: Catalog, problems: Problems, action_id: str,
                     defs: list[Any]) -> None:
    schema = action_schema(action_id, defs)
    summary, description = describe(action_id, defs)
    required = any(f.required for _, a in defs for f in a.fields.values())

    def act(decision_id: int, headers: dict[str, Any], body: dict[str, Any]) -> tuple[dict[str, Any], int,
                                                                                     dict[str, str]]:
        who = principal()
        juece = core()
        with juece.db.read() as conn:
            visible_decision(conn, decision_id, who)
        expected = expected_version(headers.get("if_match"), decision_id)
        result = juece.act(decision_id, action_id, who.user, dict(body), expected_version=expected,
                           password=signing_password(headers), grant=headers.get("deputy_grant"))
        with juece.db.read() as conn:
            detail = decision_detail(conn, decision_id, who)
        out = {"decision_id": result.decision_id, "action": result.action, "from_state": result.from_state,
               "state": result.state, "version": result.version, "hash": result.hash,
               "linked_decision": result.linked_decision, "approval_request": result.request, "decision": detail}
        # 202: the action needs an approver and became a request (workflow.record.approvals); nothing else changed.
        return out, 200 if result.request is None else 202, {"ETag": etag(decision_id, result.version)}

    act.__name__ = f"act_{action_id}"
    act.__doc__ = None
    view: Callable[..., Any] = act
    for decorate in (
        problems(403, 404, 409, 412, 413, 415, 422),
        blp.response(200, s.ActionResultOut, headers={
            "ETag": {"description": "the decision's new version", "schema": {"type": "string"}}}),
        blp.arguments(schema, arg_name="body", required=required),
        blp.arguments(ActingHeaders, location="headers", arg_name="headers"),
        blp.doc(summary=summary, description=description, operationId=f"act_{action_id}"),
    ):
        view = decorate(view)
    blp.route(f"/decisions/<{ID}:decision_id>/actions/{action_id}", methods=["POST"], tags=["actions"],
              endpoint=f"act_{action_id}")(view)


__all__ = ["register"]
