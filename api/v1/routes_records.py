"""Back-entries (补录) and corrections (更正) over HTTP: the two ways history enters the record other than
as it happens (``workflow.record.records``). Both answer like an action and carry their marker in the history."""

from __future__ import annotations

from typing import Any

from api.v1 import schemas as s
from api.v1.auth import core, principal
from api.v1.route_helpers import ID, Problems, decision_detail, etag, expected_version, internal_decision
from api.v1.routes_deputies import signing_password
from api.v1.schemas import records as rs
from api.v1.schemas import signing as sg
from api.v1.smorest_types import Blp
from workflow.record import migration, records
from workflow.service import ActResult


def result_out(result: ActResult) -> tuple[dict[str, Any], int, dict[str, str]]:
    """An action's answer: the result, the decision after it and its ETag."""
    who, juece = principal(), core()
    with juece.db.read() as conn:
        detail = decision_detail(conn, result.decision_id, who)
    out = {"decision_id": result.decision_id, "action": result.action, "from_state": result.from_state,
           "state": result.state, "version": result.version, "hash": result.hash,
           "linked_decision": result.linked_decision, "approval_request": result.request, "decision": detail}
    return out, 200, {"ETag": etag(result.decision_id, result.version)}


def register(blp: Blp, problems: Problems) -> None:
    """Add the back-entry and correction operations to ``blp``."""

    @blp.route(f"/decisions/<{ID}:decision_id>/backfills", methods=["GET"], tags=["records"])
    @blp.response(200, rs.BackfillList)
    @problems(404)
    def backfills(decision_id: int) -> dict[str, Any]:
        """Back-entry (补录) requests of a decision awaiting the chief executive's confirmation"""
        who = principal()
        with core().db.read() as conn:
            internal_decision(conn, decision_id, who)
        return {"items": records.pending_backfills(core(), decision_id)}

    @blp.route(f"/decisions/<{ID}:decision_id>/backfills", methods=["POST"], tags=["records"])
    @blp.arguments(sg.SigningHeaders, location="headers", arg_name="headers")
    @blp.arguments(rs.BackfillCreate, arg_name="body")
    @blp.response(201, rs.BackfillCreated)
    @problems(403, 404, 409, 412, 422)
    def request_backfill(decision_id: int, headers: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        """Request a back-entry (补录) of a step that happened offline

        The step is judged as of ``occurred_at`` (which may not be in the future nor before the
        decision's previous step) and applied only when a chief executive other than the requester
        confirms it. It is then marked ``backfill`` in the history. A signed step is signed now, by the
        requester: send their password in ``Juece-Signing-Password`` (the confirmation signs nothing).
        """
        who = principal()
        with core().db.read() as conn:
            internal_decision(conn, decision_id, who)
        seq = records.request_backfill(core(), decision_id, body["action"], who.user, body["data"],
                                       body["occurred_at"], body["reason"],
                                       expected_version(headers.get("if_match"), decision_id),
                                       password=signing_password(headers))
        return {"decision_id": decision_id, "request": seq}

    @blp.route(f"/decisions/<{ID}:decision_id>/backfills/<{ID}:request>/confirm", methods=["POST"],
               tags=["records"])
    @blp.response(200, s.ActionResultOut)
    @problems(403, 404, 409, 422)
    def confirm_backfill(decision_id: int, request: int) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Confirm a back-entry request (chief executive; not the requester)"""
        who = principal()
        with core().db.read() as conn:
            internal_decision(conn, decision_id, who)
        return result_out(records.confirm_backfill(core(), decision_id, request, who.user))

    @blp.route(f"/decisions/<{ID}:decision_id>/backfills/<{ID}:request>/reject", methods=["POST"],
               tags=["records"])
    @blp.arguments(rs.BackfillReject, arg_name="body")
    @blp.response(200, rs.BackfillCreated)
    @problems(403, 404, 422)
    def reject_backfill(decision_id: int, request: int, body: dict[str, Any]) -> dict[str, Any]:
        """Decline a back-entry request, with a reason (chief executive)"""
        who = principal()
        with core().db.read() as conn:
            internal_decision(conn, decision_id, who)
        records.reject_backfill(core(), decision_id, request, who.user, body["reason"])
        return {"decision_id": decision_id, "request": request}

    @blp.route(f"/decisions/<{ID}:decision_id>/corrections/<action>", methods=["POST"], tags=["records"])
    @blp.arguments(sg.ActingHeaders, location="headers", arg_name="headers")
    @blp.arguments(rs.CorrectionCreate, arg_name="body")
    @blp.response(200, s.ActionResultOut)
    @problems(403, 404, 409, 412, 422)
    def correct(decision_id: int, action: str, headers: dict[str, Any],
                body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Correct a recorded meeting, opinion, hearing record or comment window (更正)

        The correction is a new version with a reason; the earlier version stays in the facts
        (``superseded``) and the trail. Only the version in force can be corrected. A correction of a
        signed record is signed by the corrector: send their password in ``Juece-Signing-Password``.
        """
        who = principal()
        with core().db.read() as conn:
            internal_decision(conn, decision_id, who)
        result = records.correct(core(), decision_id, action, who.user, body["data"], body["reason"],
                                 body.get("of_version"), expected_version(headers.get("if_match"), decision_id),
                                 password=signing_password(headers), grant=headers.get("deputy_grant"))
        return result_out(result)

    @blp.route(f"/decisions/<{ID}:decision_id>/migrate", methods=["POST"], tags=["records"])
    @blp.arguments(sg.SigningHeaders, location="headers", arg_name="headers")
    @blp.arguments(rs.MigrationCreate, arg_name="body")
    @blp.response(200, rs.MigrationOut)
    @problems(403, 404, 409, 412, 422)
    def migrate(decision_id: int, headers: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        """Migrate an in-flight decision to a newer version of its procedure (chief executive, signed)

        The newer version must declare how the decision's version maps to it (``migrates_from``). The
        migration is an audited event naming the legal basis; send the chief's password in
        ``Juece-Signing-Password``. With ``dry_run`` it answers the mapped state and facts and changes
        nothing (the office's administrator may ask for that too).
        """
        who = principal()
        with core().db.read() as conn:
            internal_decision(conn, decision_id, who)
        return migration.migrate(core(), decision_id, body["to"], who.user, body["basis"], dry_run=body["dry_run"],
                                 password=signing_password(headers),
                                 expected_version=expected_version(headers.get("if_match"), decision_id))
