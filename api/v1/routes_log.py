"""The transparency log over the API: signed tree heads, the log key, consistency and inclusion proofs.

Heads, the key and consistency proofs reveal nothing of any office (sizes and hashes); they are also
served without a token by ``api.transparency`` for witnesses. An inclusion proof carries the event, so
it is only given, with a token, for a decision of the token's office.
"""

from __future__ import annotations

from typing import Any

from api.v1.auth import core, principal
from api.v1.route_helpers import ID, Problems, visible_decision
from api.v1.schemas import log as ls
from api.v1.smorest_types import Blp
from workflow.engine.errors import AuditBroken, InvalidInput, NotFound
from workflow.record import tlog_verify, transparency
from workflow.record.merkle import ProofError
from workflow.record.treehead import HeadError


def no_head() -> NotFound:
    """No head published yet (or none of the asked size)."""
    return NotFound("尚无此树头", "no such tree head published", code="no_tree_head")


def register(blp: Blp, problems: Problems) -> None:
    """Add the log operations to ``blp``."""

    @blp.route("/log/head", methods=["GET"], tags=["audit"])
    @blp.response(200, ls.TreeHeadOut)
    @problems(404)
    def log_head() -> dict[str, Any]:
        """The newest signed tree head of the transparency log"""
        principal()
        with core().db.read() as conn:
            head = transparency.latest_head(conn)
        if head is None:
            raise no_head()
        return head

    @blp.route("/log/heads", methods=["GET"], tags=["audit"])
    @blp.arguments(ls.TreeHeadQuery, location="query")
    @blp.response(200, ls.TreeHeadList)
    @problems()
    def log_heads(query: dict[str, Any]) -> dict[str, Any]:
        """Published tree heads, newest first"""
        principal()
        with core().db.read() as conn:
            return {"items": transparency.heads(conn, query["limit"], query.get("before"))}

    @blp.route("/log/key", methods=["GET"], tags=["audit"])
    @blp.response(200, ls.LogKeyOut)
    @problems(404)
    def log_key() -> dict[str, Any]:
        """The log's public key and the verifier key witnesses pin"""
        principal()
        with core().db.read() as conn:
            return transparency.require_key(conn)

    @blp.route("/log/consistency", methods=["GET"], tags=["audit"])
    @blp.arguments(ls.ConsistencyQuery, location="query")
    @blp.response(200, ls.ConsistencyOut)
    @problems()
    def log_consistency(query: dict[str, Any]) -> dict[str, Any]:
        """An RFC 9162 consistency proof between two tree sizes"""
        principal()
        return consistency(query["first"], query["second"])

    @blp.route(f"/decisions/<{ID}:decision_id>/inclusion", methods=["GET"], tags=["audit"])
    @blp.arguments(ls.InclusionQuery, location="query")
    @blp.response(200, ls.InclusionOut)
    @problems(404, 409)
    def inclusion(query: dict[str, Any], decision_id: int) -> dict[str, Any]:
        """An inclusion proof of one of the decision's events in a published tree head

        404 when the event is not covered by that head yet; 409 when the record no longer matches it.
        """
        who = principal()
        with core().db.read() as conn:
            visible_decision(conn, decision_id, who)
            return prove(conn, decision_id, query["seq"], query.get("tree_size"))


def consistency(first: int, second: int) -> dict[str, Any]:
    """A consistency proof, or a 400 naming why there is none."""
    try:
        with core().db.read() as conn:
            return tlog_verify.consistency(conn, first, second)
    except ProofError as exc:
        raise InvalidInput(f"无法给出一致性证明：{exc}", str(exc), details={"field": "second"}) from exc


def prove(conn: Any, decision_id: int, seq: int, tree_size: int | None) -> dict[str, Any]:
    """The bundle for ``decision:ID #seq`` against the newest head (or the one of ``tree_size``)."""
    head = transparency.latest_head(conn, tree_size)
    if head is None:
        raise no_head()
    try:
        return tlog_verify.prove(conn, f"decision:{decision_id}", seq, head)
    except HeadError as exc:
        raise AuditBroken(f"树头无法验证：{exc}", str(exc)) from exc
    except ProofError as exc:
        if "not what the head signed" in str(exc):
            raise AuditBroken(f"记录与已发布的树头不符：{exc}", str(exc)) from exc
        raise NotFound(f"该事件不在此树头内：{exc}", str(exc), code="not_in_tree_head") from exc
