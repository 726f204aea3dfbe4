"""The operations of /api/v1: thin adapters from HTTP to ``workflow`` (reads in one snapshot, changes
through ``Juece.act`` / ``create_decision``). Errors are raised and translated once, in the blueprint."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import Response, current_app, request
from sqlalchemy import Connection, or_, select

from api.v1 import schemas as s
from api.v1.actions import action_schema, actions_by_id, describe
from api.v1.auth import core, principal, require_admin
from api.v1.smorest_types import Blp
from workflow import admin, graph, tokens
from workflow.alerts import acknowledge
from workflow.audit import verify_all
from workflow.catalog import Catalog
from workflow.context import utc_iso
from workflow.definition import ProcedureDef
from workflow.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from workflow.persistence.store import DOC, DV, ORG, D, E, N, Store, U, aware
from workflow.queries import decision_summary, show_decision
from workflow.service import MAX_DOCUMENT_BYTES
from workflow.tokens import Principal

CST = dt.timezone(dt.timedelta(hours=8))
MAX_ID = 2**63 - 1
#: Path converters that never refuse a value (a refusal at routing would be an HTML 404 outside the API):
#: the blueprint checks the range and answers a problem document instead.
ID = "juece_id"
_ETAG = re.compile(r'(W/)?"([^"]*)"')
_MEDIA = re.compile(r"^[\x20-\x7e]{1,120}$")

Problems = Callable[..., Callable[[Callable[..., Any]], Callable[..., Any]]]


def _iso(moment: dt.datetime | None) -> str | None:
    value = aware(moment)
    return utc_iso(value) if value else None


def etag(decision_id: int, version: int) -> str:
    """The strong ETag of a decision's version."""
    return f'"{decision_id}.{version}"'


def _tags(header: str | None) -> list[tuple[bool, str]]:
    """Entity tags of an If-Match / If-None-Match header: (weak, opaque) pairs; '*' as (False, '*')."""
    if header is None:
        return []
    if header.strip() == "*":
        return [(False, "*")]
    return [(bool(m.group(1)), m.group(2)) for m in _ETAG.finditer(header)]


def expected_version(header: str | None, decision_id: int) -> int | None:
    """The version an If-Match header asks for (None: no condition); 412 when it cannot match."""
    if header is None or not header.strip():
        return None
    candidates = []
    for weak, tag in _tags(header):
        if tag == "*":
            return None
        ident, _, version = tag.partition(".")
        if not weak and ident == str(decision_id) and version.isdigit() and len(version) < 19:
            candidates.append(int(version))
    if not candidates:
        raise StaleVersion("If-Match 与此决策事项的任何版本都不符", "If-Match matches no version of this decision",
                           code="precondition_failed", details={"if_match": header[:200]})
    return max(candidates)


def _cursor(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("ascii")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        text = ""
    kind, _, number = text.partition(":")
    if kind != "id" or not number.isdigit() or len(number) > 18:
        raise InvalidInput("分页游标无效", "invalid cursor", details={"field": "cursor"})
    return int(number)


def _next_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode("ascii").rstrip("=")


def visible_decision(conn: Connection, decision_id: int, who: Principal) -> Any:
    """A decision of the token's office; another office's does not exist for it."""
    row = conn.execute(select(D.c.id, D.c.org_id, D.c.version).where(D.c.id == decision_id)).first()
    if row is None or row.org_id != who.org_id:
        raise NotFound(f"没有这个决策事项：{decision_id}", f"no such decision: {decision_id}",
                       details={"decision": decision_id})
    return row


def decision_detail(conn: Connection, decision_id: int, who: Principal) -> dict[str, Any]:
    """show_decision for the token's office, with the ETag."""
    juece = core()
    detail = show_decision(conn, juece.catalog, decision_id, juece.clock(), org_id=who.org_id)
    detail["etag"] = etag(decision_id, int(detail["version"]))
    return detail


def _today() -> dt.date:
    return core().clock().astimezone(CST).date()


def _procedure(catalog: Catalog, key: str) -> ProcedureDef:
    return catalog.get(key) if "@" in key else catalog.current(key, _today())


def _procedure_summary(catalog: Catalog, p: ProcedureDef) -> dict[str, Any]:
    try:
        in_force = catalog.current(p.id, _today()).key == p.key
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
                                  "required": f.required, "options": list(f.options)} for f in a.fields.values()]}
                    for a in p.actions.values()],
        "deadlines": [{"key": d.key, "zh": d.label.zh, "en": d.label.en, "article": d.article,
                       "recipients": list(d.recipients), "starts_on": list(d.starts_on),
                       "closes_on": list(d.closes_on), "scope": d.scope} for d in p.deadlines.values()],
    }
    return out


def _user_out(row: Any) -> dict[str, Any]:
    return {"id": int(row.id), "name": row.name, "roles": sorted(row.roles), "unit": row.unit or "",
            "office": row.org_name, "email": row.email, "active": bool(row.active)}


_USERS = select(U.c.id, U.c.name, U.c.roles, U.c.unit, U.c.email, U.c.active, U.c.org_id,
                ORG.c.name.label("org_name")).join(ORG, ORG.c.id == U.c.org_id)


def _office_user(conn: Connection, user_id: int, who: Principal) -> Any:
    row = conn.execute(_USERS.where(U.c.id == user_id)).first()
    if row is None or row.org_id != who.org_id:
        raise NotFound(f"没有这个用户：{user_id}", f"no such user: {user_id}", details={"user": user_id})
    return row


def register(blp: Blp, catalog: Catalog, problems: Problems) -> None:
    """Add every operation to ``blp``."""

    # -- who am I ------------------------------------------------------------------------------
    @blp.route("/me", methods=["GET"], tags=["tokens"])
    @blp.response(200, s.MeOut)
    @problems()
    def me() -> dict[str, Any]:
        """The token's person, roles and office"""
        who = principal()
        return {"user": who.user, "user_id": who.user_id, "roles": sorted(who.roles), "office": who.org,
                "unit": who.unit, "token_id": who.token_id, "token_expires_at": utc_iso(who.expires_at)}

    # -- procedures ----------------------------------------------------------------------------
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

    # -- decisions -----------------------------------------------------------------------------
    @blp.route("/decisions", methods=["GET"], tags=["decisions"])
    @blp.arguments(s.DecisionListQuery, location="query", arg_name="query")
    @blp.response(200, s.DecisionPage)
    @problems()
    def decisions(query: dict[str, Any]) -> dict[str, Any]:
        """The office's decisions, newest first, by state and procedure, a page at a time"""
        who = principal()
        juece = core()
        stmt = select(D).where(D.c.org_id == who.org_id).order_by(D.c.id.desc()).limit(query["limit"] + 1)
        if "state" in query:
            stmt = stmt.where(D.c.state == query["state"])
        if "procedure" in query:
            pid, _, version = query["procedure"].partition("@")
            stmt = stmt.where(D.c.procedure_id == pid)
            if version:
                stmt = stmt.where(D.c.procedure_version == version)
        before = _cursor(query.get("cursor"))
        if before is not None:
            stmt = stmt.where(D.c.id < before)
        with juece.db.read() as conn:
            rows = conn.execute(stmt).all()
        page = rows[:query["limit"]]
        return {"items": [decision_summary(r, juece.catalog) for r in page],
                "next_cursor": _next_cursor(int(page[-1].id)) if len(rows) > query["limit"] else None}

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
            juece.catalog.current(body["procedure"], _today())
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
        if any(tag in (current, (True, current[1])) or tag[1] == "*" for tag in _tags(headers.get("if_none_match"))):
            response = current_app.response_class(status=304)
            response.headers["ETag"] = detail["etag"]
            return response
        return detail, 200, {"ETag": detail["etag"]}

    # -- actions -------------------------------------------------------------------------------
    for action_id, defs in actions_by_id(catalog).items():
        _register_action(blp, catalog, problems, action_id, defs)

    # -- documents -----------------------------------------------------------------------------
    @blp.route("/documents", methods=["POST"], tags=["documents"])
    @blp.arguments(s.IdempotencyHeaders, location="headers", arg_name="headers")
    @blp.doc(requestBody={"required": True, "description": "the document's bytes (at most 20 MB); the "
                          "Content-Type header is kept as its media type",
                          "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                                      "text/plain": {"schema": {"type": "string"}}}})
    @blp.response(201, s.StoredDocument)
    @blp.alt_response(200, schema=s.StoredDocument, description="the same bytes were stored before", success=True)
    @problems(409, 413, 422)
    def upload(headers: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Store a document's bytes; use the returned hash as {"sha256": …} in an action's document field

        A stored document belongs to no decision until an action names it (e.g. ``upload_draft`` with
        ``{"content": {"sha256": …}, "filename": "草案.docx"}`` adds a draft version).
        """
        content = request.get_data(cache=True)
        if not content:
            raise InvalidInput("文档内容为空", "the document is empty", details={"field": "body"})
        if len(content) > MAX_DOCUMENT_BYTES:
            raise InvalidInput("文件过大（上限 20 MB）", "document larger than 20 MB", code="payload_too_large",
                               details={"field": "body"})
        media = request.headers.get("Content-Type") or "application/octet-stream"
        if not _MEDIA.match(media):
            media = "application/octet-stream"
        sha = hashlib.sha256(content).hexdigest()
        juece = core()
        with juece.db.write() as conn:
            existing = conn.execute(select(DOC.c.media_type).where(DOC.c.sha256 == sha)).first()
            if existing is None:
                Store(conn).store_document(sha, content, media, juece.clock())
        out = {"sha256": sha, "size": len(content), "media_type": existing.media_type if existing else media,
               "created": existing is None}
        return out, 201 if existing is None else 200

    @blp.route("/documents/<juece_sha256:sha256>", methods=["GET"], tags=["documents"])
    @blp.doc(responses={"200": {"description": "the document's bytes, with the media type it was stored with",
                                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}})
    @problems(404)
    def download(sha256: str) -> Response:
        """A document of one of the office's decisions, by its hash"""
        who = principal()
        missing = NotFound(f"没有这个文档：{sha256}", f"no such document: {sha256}", details={"document": sha256})
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise missing
        with core().db.read() as conn:
            version = conn.execute(
                select(DV.c.filename).join(D, D.c.id == DV.c.decision_id)
                .where(DV.c.sha256 == sha256, D.c.org_id == who.org_id).order_by(DV.c.id.desc()).limit(1)).first()
            doc = conn.execute(select(DOC.c.content, DOC.c.media_type).where(DOC.c.sha256 == sha256)).first()
        if version is None or doc is None:
            raise missing
        response = current_app.response_class(bytes(doc.content), mimetype=doc.media_type)
        filename = version.filename or sha256[:12]
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "sandbox"
        response.headers["ETag"] = f'"{sha256}"'
        return response

    @blp.route(f"/decisions/<{ID}:decision_id>/documents", methods=["GET"], tags=["documents"])
    @blp.response(200, s.DocumentList)
    @problems(404)
    def decision_documents(decision_id: int) -> dict[str, Any]:
        """Every version of a decision's documents (drafts, opinions, records, reports)"""
        who = principal()
        with core().db.read() as conn:
            visible_decision(conn, decision_id, who)
            rows = conn.execute(select(DV).where(DV.c.decision_id == decision_id).order_by(DV.c.id)).all()
        return {"items": [{"kind": d.kind, "version": d.version_no, "sha256": d.sha256, "filename": d.filename,
                           "event_seq": d.event_seq, "created_at": _iso(d.created_at)} for d in rows]}

    # -- comments ------------------------------------------------------------------------------
    @blp.route(f"/decisions/<{ID}:decision_id>/comments", methods=["GET"], tags=["comments"])
    @blp.response(200, s.CommentList)
    @problems(404)
    def comments(decision_id: int) -> dict[str, Any]:
        """The public comments on a decision with their current text and every edit

        Comments are taken with the actions ``submit_comment`` and ``edit_comment``.
        """
        who = principal()
        with core().db.read() as conn:
            visible_decision(conn, decision_id, who)
            facts = conn.execute(select(D.c.facts).where(D.c.id == decision_id)).scalar_one()
            events = conn.execute(select(E.c.action, E.c.event).where(
                E.c.stream == f"decision:{decision_id}", E.c.action.in_(["submit_comment", "edit_comment"]))
                .order_by(E.c.seq)).all()
        texts: dict[int, list[dict[str, Any]]] = {}
        authors: dict[int, str | None] = {}
        number = 0
        for row in events:
            data = row.event.get("data") or {}
            if row.action == "submit_comment":
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

    # -- audit ---------------------------------------------------------------------------------
    @blp.route(f"/decisions/<{ID}:decision_id>/audit", methods=["GET"], tags=["audit"])
    @blp.response(200, s.AuditTrail)
    @problems(404)
    def audit_events(decision_id: int) -> dict[str, Any]:
        """The decision's hash-chained audit events, oldest first"""
        who = principal()
        with core().db.read() as conn:
            visible_decision(conn, decision_id, who)
            rows = conn.execute(select(E).where(E.c.stream == f"decision:{decision_id}").order_by(E.c.seq)).all()
        return {"decision_id": decision_id, "items": [
            {"seq": r.seq, "action": r.action, "from_state": r.from_state, "to_state": r.to_state,
             "at": _iso(r.at), "event": r.event, "prev_hash": r.prev_hash, "hash": r.hash} for r in rows]}

    @blp.route(f"/decisions/<{ID}:decision_id>/audit/verify", methods=["GET"], tags=["audit"])
    @blp.response(200, s.VerifyReport)
    @problems(404)
    def audit_verify(decision_id: int) -> dict[str, Any]:
        """Verify the decision's chain, signatures, documents and replay (and the system stream)

        Problems elsewhere (other decisions, other offices' documents) are left out.
        """
        who = principal()
        juece = core()
        with juece.db.read() as conn:
            visible_decision(conn, decision_id, who)
            report = verify_all(conn, juece.catalog, [decision_id])
            hashes = {r.sha256 for r in conn.execute(select(DV.c.sha256).where(DV.c.decision_id == decision_id))}
        prefixes = {f"document:{h[:12]}" for h in hashes}
        problems_ = [str(p) for p in report.problems
                     if p.stream in (f"decision:{decision_id}", "system") or p.stream in prefixes]
        return {"ok": not problems_, "events": report.events, "signatures": report.signatures,
                "documents": len(hashes), "decisions": report.decisions, "problems": problems_,
                "first_broken": problems_[0] if problems_ else None}

    # -- notifications -------------------------------------------------------------------------
    @blp.route("/notifications", methods=["GET"], tags=["notifications"])
    @blp.arguments(s.NotificationListQuery, location="query", arg_name="query")
    @blp.response(200, s.NotificationPage)
    @problems()
    def notifications(query: dict[str, Any]) -> dict[str, Any]:
        """The token's person's notifications (and the office's group ones), newest first"""
        who = principal()
        stmt = (select(N).where(N.c.org_id == who.org_id, or_(N.c.user_id == who.user_id, N.c.user_id.is_(None)))
                .order_by(N.c.id.desc()).limit(query["limit"] + 1))
        if query.get("unacknowledged") is True:
            stmt = stmt.where(N.c.acknowledged_at.is_(None))
        elif query.get("unacknowledged") is False:
            stmt = stmt.where(N.c.acknowledged_at.is_not(None))
        before = _cursor(query.get("cursor"))
        if before is not None:
            stmt = stmt.where(N.c.id < before)
        with core().db.read() as conn:
            rows = conn.execute(stmt).all()
        page = rows[:query["limit"]]
        return {"items": [{"id": int(n.id), "kind": n.kind, "subject": n.subject, "body": n.body,
                           "decision_id": n.decision_id, "deadline_id": n.deadline_id,
                           "personal": n.user_id is not None, "payload": n.payload,
                           "created_at": _iso(n.created_at), "acknowledged_at": _iso(n.acknowledged_at)}
                          for n in page],
                "next_cursor": _next_cursor(int(page[-1].id)) if len(rows) > query["limit"] else None}

    @blp.route(f"/notifications/<{ID}:notification_id>/acknowledge", methods=["POST"], tags=["notifications"])
    @blp.arguments(s.IdempotencyHeaders, location="headers", arg_name="headers")
    @blp.response(200, s.AcknowledgementOut)
    @problems(404, 409, 413, 415, 422)
    def acknowledge_notification(notification_id: int, headers: dict[str, Any]) -> dict[str, Any]:
        """Acknowledge a notification: an overdue item stops escalating"""
        return acknowledge(core(), notification_id, principal().user)

    # -- users and tokens ----------------------------------------------------------------------
    @blp.route("/users", methods=["GET"], tags=["users"])
    @blp.response(200, s.UserList)
    @problems(403)
    def users() -> dict[str, Any]:
        """The people of the admin's office (admin role)"""
        who = require_admin()
        with core().db.read() as conn:
            rows = conn.execute(_USERS.where(U.c.org_id == who.org_id).order_by(U.c.id)).all()
        return {"items": [_user_out(r) for r in rows]}

    @blp.route("/users", methods=["POST"], tags=["users"])
    @blp.arguments(s.IdempotencyHeaders, location="headers", arg_name="headers")
    @blp.arguments(s.UserCreate, arg_name="body")
    @blp.response(201, s.UserOut)
    @problems(403, 409, 413, 415, 422)
    def add_user(headers: dict[str, Any], body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Add a person to the admin's office (admin role); they get a signing key"""
        who = require_admin()
        juece = core()
        user_id = admin.add_user(juece, body["name"], body["roles"], who.org, unit=body["unit"],
                                 password=body.get("password"), by=who.user, email=body.get("email"))
        with juece.db.read() as conn:
            return _user_out(_office_user(conn, user_id, who)), 201

    @blp.route(f"/users/<{ID}:user_id>/tokens", methods=["GET"], tags=["tokens"])
    @blp.response(200, s.TokenList)
    @problems(403, 404)
    def user_tokens(user_id: int) -> dict[str, Any]:
        """A person's tokens, never their secrets (admin role)"""
        who = require_admin()
        with core().db.read() as conn:
            _office_user(conn, user_id, who)
            return {"items": tokens.list_tokens(conn, user_id=user_id)}

    @blp.route(f"/users/<{ID}:user_id>/tokens", methods=["POST"], tags=["tokens"])
    @blp.arguments(s.IdempotencyHeaders, location="headers", arg_name="headers")
    @blp.arguments(s.TokenCreate, arg_name="body", required=False)
    @blp.response(201, s.IssuedTokenOut)
    @problems(403, 404, 409, 413, 415, 422)
    def create_token(user_id: int, headers: dict[str, Any], body: dict[str, Any]) -> tuple[dict[str, Any], int,
                                                                                         dict[str, str]]:
        """Issue a token for a person of the office (admin role); the secret is in this answer only"""
        who = require_admin()
        with core().db.read() as conn:
            person = _office_user(conn, user_id, who)
        issued = tokens.create_token(core(), person.name, name=body.get("name", ""), days=body.get("days"),
                                     expires_at=body.get("expires_at"), by=who.user)
        return issued.as_dict(), 201, {"Cache-Control": "no-store"}

    @blp.route("/tokens", methods=["GET"], tags=["tokens"])
    @blp.response(200, s.TokenList)
    @problems()
    def list_tokens() -> dict[str, Any]:
        """Tokens: all of the office's for an admin, one's own otherwise"""
        who = principal()
        with core().db.read() as conn:
            if "admin" in who.roles:
                return {"items": tokens.list_tokens(conn, org_id=who.org_id)}
            return {"items": tokens.list_tokens(conn, user_id=who.user_id)}

    @blp.route(f"/tokens/<{ID}:token_id>", methods=["DELETE"], tags=["tokens"])
    @blp.response(200, s.TokenOut)
    @problems(403, 404)
    def revoke_token(token_id: int) -> dict[str, Any]:
        """Revoke a token at once: one's own, or any of the office's for an admin"""
        who = principal()
        with core().db.read() as conn:
            current = tokens.get_token(conn, token_id, org_id=who.org_id)
        if "admin" not in who.roles and current["user_id"] != who.user_id:
            raise Forbidden("只能撤销自己的令牌", "you may revoke only your own tokens", code="admin_only")
        return tokens.revoke_token(core(), token_id, by=who.user, org_id=who.org_id)


def _register_action(blp: Blp, catalog: Catalog, problems: Problems, action_id: str,
                     defs: list[Any]) -> None:
    schema = action_schema(action_id, defs, catalog)
    summary, description = describe(action_id, defs)
    required = any(f.required for _, a in defs for f in a.fields.values())

    def act(decision_id: int, headers: dict[str, Any], body: dict[str, Any]) -> tuple[dict[str, Any], int,
                                                                                     dict[str, str]]:
        who = principal()
        juece = core()
        with juece.db.read() as conn:
            visible_decision(conn, decision_id, who)
        expected = expected_version(headers.get("if_match"), decision_id)
        result = juece.act(decision_id, action_id, who.user, dict(body), expected_version=expected)
        with juece.db.read() as conn:
            detail = decision_detail(conn, decision_id, who)
        out = {"decision_id": result.decision_id, "action": result.action, "from_state": result.from_state,
               "state": result.state, "version": result.version, "hash": result.hash,
               "linked_decision": result.linked_decision, "decision": detail}
        return out, 200, {"ETag": etag(decision_id, result.version)}

    act.__name__ = f"act_{action_id}"
    act.__doc__ = None
    view: Callable[..., Any] = act
    for decorate in (
        problems(403, 404, 409, 412, 413, 415, 422),
        blp.response(200, s.ActionResultOut, headers={
            "ETag": {"description": "the decision's new version", "schema": {"type": "string"}}}),
        blp.arguments(schema, arg_name="body", required=required),
        blp.arguments(s.ActionHeaders, location="headers", arg_name="headers"),
        blp.doc(summary=summary, description=description, operationId=f"act_{action_id}"),
    ):
        view = decorate(view)
    blp.route(f"/decisions/<{ID}:decision_id>/actions/{action_id}", methods=["POST"], tags=["actions"],
              endpoint=f"act_{action_id}")(view)


__all__ = ["register", "etag", "expected_version", "visible_decision"]
