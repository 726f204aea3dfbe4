"""A decision's record over HTTP: its public comments (rebuilt from their events, with every edit) and
its hash-chained audit trail with the trail's verification."""

from __future__ import annotations

from typing import Any

from api.v1 import schemas as s
from api.v1.auth import core, principal
from api.v1.route_helpers import (
    ID,
    Problems,
    internal_decision,
    iso,
    viewer_of,
    visible_decision,
    who_is_public,
)
from api.v1.smorest_types import Blp
from workflow.record.audit import DAMAGED, damage_report, verify_decision
from workflow.views import decision
from workflow.views.visibility import public_decision


def register(blp: Blp, problems: Problems) -> None:
    """Add the comment and audit operations of a decision to ``blp``."""

    @blp.route(f"/decisions/<{ID}:decision_id>/comments", methods=["GET"], tags=["comments"])
    @blp.response(200, s.CommentList)
    @problems(404)
    def comments(decision_id: int) -> dict[str, Any]:
        """The public comments on a decision with their current text and every edit

        Comments are taken with the actions ``submit_comment`` and ``edit_comment``. A member of the
        public sees only their own comments.
        """
        who = principal()
        with core().db.read() as conn:
            visible_decision(conn, decision_id, who)
            if who_is_public(who):  # a citizen sees only their own comments (workflow.views.visibility, PIPL)
                mine = public_decision(conn, core().catalog, decision_id, viewer_of(who), core().clock()).my_comments
                return {"items": [{"id": c.id, "author": who.user, "author_id": who.user_id, "reply_to": c.reply_to,
                                   "text": c.text, "submitted_at": c.submitted_at, "edited_at": c.edited_at,
                                   "edits": len(c.history) - 1, "history": c.history} for c in mine]}
            dec = decision.decision_row(conn, decision_id)
            facts, procedure = dec.facts, core().catalog.get(f"{dec.procedure_id}@{dec.procedure_version}")
            submits = procedure.marked("comment")
            events = decision.events(conn, decision_id, [*submits, *procedure.marked("comment_edit")])
        texts: dict[int, list[dict[str, Any]]] = {}
        authors: dict[int, str | None] = {}
        number = 0
        for row in events:
            data = row.event.get("data") or {}
            if row.action in submits:
                number += 1
                texts[number] = [{"text": str(data.get("text", "")), "at": row.event["at"]}]
                authors[number] = (row.event.get("actor") or {}).get("name")
            elif isinstance(data.get("comment_id"), int) and data["comment_id"] in texts:
                texts[data["comment_id"]].append({"text": str(data.get("text", "")), "at": row.event["at"]})
        items = []
        for comment in facts.get("comments") or []:
            history = texts.get(int(comment["id"]), [])
            items.append({"id": int(comment["id"]), "author": authors.get(int(comment["id"])),
                          "author_id": comment.get("author"), "reply_to": comment.get("reply_to"),
                          "text": history[-1]["text"] if history else "",
                          "submitted_at": history[0]["at"] if history else "",
                          "edited_at": history[-1]["at"] if len(history) > 1 else None,
                          "edits": int(comment.get("edits", 0)), "history": history})
        return {"items": items}

    @blp.route(f"/decisions/<{ID}:decision_id>/audit", methods=["GET"], tags=["audit"])
    @blp.response(200, s.AuditTrail)
    @problems(404)
    def audit_events(decision_id: int) -> dict[str, Any]:
        """The decision's hash-chained audit events, oldest first (officials only: not public)"""
        who = principal()
        with core().db.read() as conn:
            internal_decision(conn, decision_id, who)
            rows = decision.events(conn, decision_id)
        return {"decision_id": decision_id, "items": [
            {"seq": r.seq, "action": r.action, "from_state": r.from_state, "to_state": r.to_state,
             "at": iso(r.at), "event": r.event, "prev_hash": r.prev_hash, "hash": r.hash} for r in rows]}

    @blp.route(f"/decisions/<{ID}:decision_id>/audit/verify", methods=["GET"], tags=["audit"])
    @blp.response(200, s.VerifyReport)
    @problems(404)
    def audit_verify(decision_id: int) -> dict[str, Any]:
        """Verify the decision's chain, signatures, documents and replay (and the system stream)

        Only this decision's rows and the documents it names are read: problems elsewhere (other
        decisions, other offices' documents) are neither looked for nor reported.
        """
        who = principal()
        juece = core()
        with juece.db.read() as conn:
            try:
                internal_decision(conn, decision_id, who)
            except DAMAGED:  # a row that cannot be read: its office's officials get the findings, not a 500
                damage = None if who_is_public(who) else damage_report(conn, juece.catalog, decision_id, who.org_id)
                if damage is None:
                    raise
                return damage.as_dict()
            report = verify_decision(conn, juece.catalog, decision_id)
        return report.as_dict()

__all__ = ["register"]
