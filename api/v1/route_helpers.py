"""What the route modules share: the id path converter, ETags and If-Match, page cursors, dates, and a
decision as the token's person may see it (a citizen through ``workflow.views.visibility``)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import request

from api.v1.auth import core
from workflow.admin.tokens import Principal
from workflow.engine.errors import InvalidInput, NotFound, StaleVersion
from workflow.service import Connection
from workflow.timing.calendar import SHANGHAI
from workflow.views import decision
from workflow.views.visibility import PublicDocument, Viewer, may_see, public_decision, public_only

CST = SHANGHAI
MAX_ID = 2**63 - 1
#: Path converters that never refuse a value (a refusal at routing would be an HTML 404 outside the API):
#: the blueprint checks the range and answers a problem document instead.
ID = "juece_id"
_ETAG = re.compile(r'(W/)?"([^"]*)"')

#: The blueprint's decorator that documents the problem responses of an operation (400, 401, 429 and
#: the codes given); the route modules take it as a parameter so they need not import the blueprint.
Problems = Callable[..., Callable[[Callable[..., Any]], Callable[..., Any]]]


def iso(moment: dt.datetime | None) -> str | None:
    """A stored instant as UTC ISO 8601 (None stays None)."""
    return decision.iso(moment)


def today() -> dt.date:
    """Today's date in China by the core's clock."""
    # Procedure versions take effect on a date in China (UTC+8), whatever the server's time zone.
    return core().clock().astimezone(CST).date()


def etag(decision_id: int, version: int) -> str:
    """The strong ETag of a decision's version."""
    return f'"{decision_id}.{version}"'


def entity_tags(header: str | None) -> list[tuple[bool, str]]:
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
    for weak, tag in entity_tags(header):
        if tag == "*":
            return None
        ident, _, version = tag.partition(".")
        if not weak and ident == str(decision_id) and version.isdigit() and len(version) < 19:
            candidates.append(int(version))
    if not candidates:
        raise StaleVersion("If-Match 与此决策事项的任何版本都不符", "If-Match matches no version of this decision",
                           code="precondition_failed", details={"if_match": header[:200]})
    return max(candidates)


def decode_cursor(value: str | None) -> int | None:
    """The id a page cursor continues below (None: the first page); 400 when it is not one of ours."""
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


def page_cursor(query: dict[str, Any]) -> int | None:
    """The id a list continues below, from ``after`` (or its older name ``cursor``); 400 when not ours."""
    return decode_cursor(query.get("after") or query.get("cursor"))


def page_out(items: list[Any], next_id: int | None) -> dict[str, Any]:
    """A page answer: its items, the cursor after it and the next page's address with the same filters."""
    if next_id is None:
        return {"items": items, "next_cursor": None, "next": None}
    cursor = encode_cursor(next_id)
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("after", "cursor")]
    return {"items": items, "next_cursor": cursor, "next": f"{request.path}?{urlencode([*args, ('after', cursor)])}"}


def encode_cursor(last_id: int) -> str:
    """The cursor of the page after the one ending with ``last_id``."""
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode("ascii").rstrip("=")


def viewer_of(who: Principal) -> Viewer:
    """The token's person as ``workflow.views.visibility`` sees a viewer."""
    return Viewer(who.user_id, who.org_id, who.roles)


def _missing(decision_id: int) -> NotFound:
    return NotFound(f"没有这个决策事项：{decision_id}", f"no such decision: {decision_id}",
                    details={"decision": decision_id})


def visible_decision(conn: Connection, decision_id: int, who: Principal) -> Any:
    """A decision the token may see: its office's, and for a citizen a public one; else it does not exist."""
    row = decision.decision_row(conn, decision_id)
    if row is None or not may_see(viewer_of(who), int(row.org_id), str(row.procedure_id), row.facts, core().clock(),
                                     core().catalog):
        raise _missing(decision_id)
    return row


def internal_decision(conn: Connection, decision_id: int, who: Principal) -> Any:
    """A decision's internal record (the audit trail): for officials of its office only, a 404 for citizens."""
    if who_is_public(who):
        raise _missing(decision_id)
    return visible_decision(conn, decision_id, who)


def who_is_public(who: Principal) -> bool:
    """True when the token speaks for a member of the public (``workflow.views.visibility.public_only``)."""
    return public_only(who.roles)


def decision_detail(conn: Connection, decision_id: int, who: Principal) -> dict[str, Any]:
    """show_decision for the token's office (the public view for a citizen), with the ETag."""
    juece = core()
    if who_is_public(who):
        detail = public_detail(conn, decision_id, who)
    else:
        detail = decision.show_decision(conn, juece.catalog, decision_id, juece.clock(), org_id=who.org_id)
    detail["etag"] = etag(decision_id, int(detail["version"]))
    return detail


def public_document_out(doc: PublicDocument) -> dict[str, Any]:
    """A public document in the shape of a document version."""
    return {"kind": doc.kind, "version": doc.version, "sha256": doc.sha256, "filename": doc.filename,
            "event_seq": doc.event_seq, "created_at": doc.published_at}


def public_detail(conn: Connection, decision_id: int, who: Principal) -> dict[str, Any]:
    """The public view of a decision in the DecisionDetail shape: internal parts empty, ``facts`` the public ones."""
    juece = core()
    public = public_decision(conn, juece.catalog, decision_id, viewer_of(who), juece.clock())
    procedure = juece.catalog.get(public.procedure)
    created = decision.decision_row(conn, decision_id).created_at
    may_comment = [a.id for a in procedure.actions_from(public.state) if {"public", "any"} & set(a.roles)]
    return {"id": public.id, "title": public.title, "procedure": public.procedure, "state": public.state,
            "state_zh": public.state_label.zh, "state_en": public.state_label.en, "terminal": public.terminal,
            "version": public.version, "updated_at": public.updated_at, "office": public.office, "owner": "",
            "linked_from": None, "facts": public.public_facts(), "flags": [], "created_at": iso(created),
            "stall_due_at": None, "last_hash": "", "tasks": {}, "deadlines": [], "history": [],
            "next_actions": may_comment if public.comment_open else [],
            "documents": [public_document_out(d) for d in public.documents]}


__all__ = ["CST", "ID", "MAX_ID", "Problems", "decision_detail", "decode_cursor", "encode_cursor", "entity_tags",
           "etag", "expected_version", "internal_decision", "iso", "page_cursor", "page_out", "public_detail", "public_document_out", "today",
           "viewer_of", "visible_decision", "who_is_public"]
