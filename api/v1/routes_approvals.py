"""Approvals (批准) over HTTP: requests awaiting an approver, and the approver's signed answer.

An action that needs approval, taken by someone without the approving role, answers 202 with
``approval_request`` (``workflow.record.approvals``). An approver of the same office lists, confirms (signed
with ``Juece-Signing-Password``) or declines it here; another office's decision is 404 as everywhere.
"""

from __future__ import annotations

from typing import Any

from api.v1 import schemas as s
from api.v1.auth import core, principal
from api.v1.route_helpers import ID, Problems, internal_decision
from api.v1.routes_deputies import signing_password
from api.v1.routes_records import result_out
from api.v1.schemas import records as rs
from api.v1.schemas import signing as sg
from api.v1.smorest_types import Blp
from workflow.record import approvals


def register(blp: Blp, problems: Problems) -> None:
    """Add the approval operations to ``blp``."""

    @blp.route(f"/decisions/<{ID}:decision_id>/approvals", methods=["GET"], tags=["approvals"])
    @blp.response(200, rs.ApprovalList)
    @problems(404)
    def approval_requests(decision_id: int) -> dict[str, Any]:
        """Requests of a decision awaiting an approver's signed confirmation"""
        who = principal()
        with core().db.read() as conn:
            internal_decision(conn, decision_id, who)
        return {"items": approvals.pending(core(), decision_id)}

    @blp.route(f"/decisions/<{ID}:decision_id>/approvals/<{ID}:request>/confirm", methods=["POST"],
               tags=["approvals"])
    @blp.arguments(sg.SigningHeaders, location="headers", arg_name="headers")
    @blp.response(200, s.ActionResultOut)
    @problems(403, 404, 409, 422)
    def confirm_approval(decision_id: int, request: int, headers: dict[str, Any]
                         ) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Approve a request: the action applies now, in the approver's name, signed with their password

        Only an approver of the decision's office other than the requester (403
        ``approval_self_confirmation`` for the requester); the action is judged again by the rules as
        they stand. Send the approver's own password in ``Juece-Signing-Password``.
        """
        who = principal()
        with core().db.read() as conn:
            internal_decision(conn, decision_id, who)
        return result_out(approvals.confirm(core(), decision_id, request, who.user, password=signing_password(headers)))

    @blp.route(f"/decisions/<{ID}:decision_id>/approvals/<{ID}:request>/decline", methods=["POST"],
               tags=["approvals"])
    @blp.arguments(rs.BackfillReject, arg_name="body")
    @blp.response(200, rs.ApprovalDeclined)
    @problems(403, 404, 422)
    def decline_approval(decision_id: int, request: int, body: dict[str, Any]) -> dict[str, Any]:
        """Decline a request, with a reason (an approver, not the requester); the decision stays as it was"""
        who = principal()
        with core().db.read() as conn:
            internal_decision(conn, decision_id, who)
        seq = approvals.decline(core(), decision_id, request, who.user, body["reason"])
        return {"decision_id": decision_id, "request": request, "version": seq}
