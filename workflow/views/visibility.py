"""What the public may see of a decision: the one read model every edge uses for a public viewer.

The web pages, the REST API, the exports and the CLI ask this module, and nothing else, what a member
of the public (an account whose only role is ``public``) may see. Officials (any other role) keep the
office-wide view they have today.

**Which decisions** a public viewer sees at all (``publicly_visible``): a decision of their office under
a procedure with a public side (its pack marks the actions that put the draft before the public: Decree
713's does; a pack in an office's extra folder may too, so the catalogue in use decides), not lawfully withheld from the public (flag ``confidential``: 依法不予公开, Decree 713 Art. 14
and 32), once its draft has been put before the public:

* a public-comment window has opened (``opens_at`` has come; Art. 15: the draft, its explanation, how
  and by when to comment are published through channels the public knows);
* a hearing has been announced (Art. 16: the draft, time, place, the participant-selection method and
  the participants' list are published beforehand; Art. 17: the hearing is held in public); or
* the decision has been published (Art. 32), not withheld.

A contract review (``contract-review``, 行政合同合法性审查) is an internal legality review and is never
public. Which actions open a window, announce a hearing or carry a public report is read from the
procedure's marks (``workflow.engine.definition.MARKS``), never from action ids. A decision whose window
is announced for later stays invisible until the window opens.

**Which parts** of a visible decision (``PublicDecision``): title, office and current step; the comment
window (opens, closes, channels, the stated reason for a shorter period, Art. 15); the draft version
current when a window opened or a hearing was announced; the hearing notice (time, place, selection
method, participants, Art. 16); the publication record (channels, date, adoption explanation, Art. 32)
once published; implementation reports the executing unit marked ``public`` (Art. 34); and the
viewer's own comments with their text and times.

**Never**: legality opinions and advisers' opinions (Art. 25-28: an internal review), experts' opinions
and the risk assessment (nothing publishes them), meeting records, the audit trail, deadlines and
notifications about others, internal documents (later draft versions included), flags, the owner's
name, and other people's comments or names. A comment and its author's name are personal information:
under PIPL Art. 14 and 25 they are not disclosed to others without the person's separate consent (and
never sensitive information, Art. 28), which juece does not collect; so each citizen sees only their own.

Whatever is refused is answered as ``NotFound``, the same answer as for another office's decision, so
a public viewer cannot tell an internal decision from one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, or_, select

from workflow.engine.catalog import Catalog, default_catalog
from workflow.engine.context import parse_iso, utc_iso
from workflow.engine.definition import Label, ProcedureDef
from workflow.engine.errors import NotFound
from workflow.persistence.store import DOC, DV, ORG, D, E, aware
from workflow.views.paging import SCAN_FACTOR

PUBLIC_ROLE = "public"
#: Marks of the actions that put a procedure's draft before the public: a procedure with one has a public side.
_PUBLIC_SIDE = frozenset({"comment_window", "public_notice"})


def public_procedures(catalog: Catalog) -> frozenset[str]:
    """The procedures with a public side, as their packs declare it (a contract review has none: Ningbo art. 13)."""
    return frozenset(p.id for p in catalog.all() if any(a.marks & _PUBLIC_SIDE for a in p.actions.values()))


def _public(catalog: Catalog | None) -> frozenset[str]:
    """The public procedures of the catalogue in use (an office's extra packs included); the shipped one if none."""
    return public_procedures(catalog if catalog is not None else default_catalog())


DRAFT_KIND = "draft"
#: Marks (``workflow.engine.definition.MARKS``) of the events whose content the public read model needs
#: (never the whole trail): which actions they are is the procedure's declaration, not this module's.
_PUBLIC_MARKS = frozenset({"comment_window", "public_notice", "public_report", "comment", "comment_edit"})
_WINDOW_KEYS = ("opens_at", "closes_at", "channels", "short_reason")
_HEARING_KEYS = ("hearing_at", "place", "selection_method", "participants")
_PUBLICATION_KEYS = ("channels", "published_on", "adoption_explanation")


def public_only(roles: Iterable[str]) -> bool:
    """True for an account with no role but ``public`` (a citizen): it gets the public view."""
    return not set(roles) - {PUBLIC_ROLE}


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking: the person, their office and roles."""

    id: int
    org_id: int
    roles: frozenset[str]

    @property
    def public(self) -> bool:
        """True when this viewer sees only what the public may see."""
        return public_only(self.roles)


def _has_come(instant: Any, now: dt.datetime) -> bool:
    return bool(instant) and parse_iso(str(instant)) <= now


def _window_open_since(facts: Mapping[str, Any], now: dt.datetime) -> bool:
    return _has_come((facts.get("comment_window") or {}).get("opens_at"), now)


def comment_open(facts: Mapping[str, Any], now: dt.datetime) -> bool:
    """True while the public-comment window is open (the same test as the ``comment_window_open`` guard)."""
    closes = (facts.get("comment_window") or {}).get("closes_at")
    return _window_open_since(facts, now) and bool(closes) and now < parse_iso(str(closes))


def public_window(facts: Mapping[str, Any], now: dt.datetime) -> dict[str, Any] | None:
    """The comment window as the public notice states it (Art. 15), once it has opened."""
    window = facts.get("comment_window") or {}
    return {k: window.get(k) for k in _WINDOW_KEYS} if _window_open_since(facts, now) else None


def published(facts: Mapping[str, Any]) -> bool:
    """True once the decision was published (Art. 32), not withheld."""
    publication = facts.get("publication") or {}
    return bool(publication.get("published_on")) and "withheld" not in publication


def publicly_visible(procedure_id: str, facts: Mapping[str, Any], now: dt.datetime,
                     catalog: Catalog | None = None, *, public: frozenset[str] | None = None) -> bool:
    """The module's rule: a public, non-confidential decision whose draft was put before the public."""
    if procedure_id not in (public if public is not None else _public(catalog)) or "confidential" in (facts.get("flags") or []):
        return False
    return _window_open_since(facts, now) or bool((facts.get("hearing") or {}).get("hearing_at")) or published(facts)


def may_see(viewer: Viewer, org_id: int, procedure_id: str, facts: Mapping[str, Any], now: dt.datetime,
            catalog: Catalog | None = None) -> bool:
    """Whether ``viewer`` may see the decision at all: their office's, and public if they are public."""
    if org_id != viewer.org_id:
        return False
    return not viewer.public or publicly_visible(procedure_id, facts, now, catalog)


@dataclass(frozen=True, slots=True)
class PublicDocument:
    """A document the public may read: a draft put out for comment or hearing, or a public report."""

    kind: str
    version: int
    sha256: str
    filename: str
    event_seq: int
    published_at: str


@dataclass(frozen=True, slots=True)
class OwnComment:
    """One of the viewer's own comments: its current text, when it was made and every text it had."""

    id: int
    text: str
    submitted_at: str
    edited_at: str | None
    reply_to: int | None
    history: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PublicDecision:
    """A decision as a member of the public sees it (see the module docstring for what and why)."""

    id: int
    title: str
    office: str
    procedure: str
    state: str
    state_label: Label
    terminal: bool
    version: int
    updated_at: str
    comment_window: dict[str, Any] | None
    comment_open: bool
    hearing: dict[str, Any] | None
    publication: dict[str, Any] | None
    documents: list[PublicDocument]
    my_comments: list[OwnComment]

    def public_facts(self) -> dict[str, Any]:
        """The public parts as one JSON-ready mapping (the API's ``facts`` for a public viewer)."""
        return {"comment_window": self.comment_window, "comment_open": self.comment_open, "hearing": self.hearing,
                "publication": self.publication, "documents": [asdict(d) for d in self.documents],
                "my_comments": [asdict(c) for c in self.my_comments]}


def _missing(decision_id: int) -> NotFound:
    return NotFound(f"没有这个决策事项：{decision_id}", f"no such decision: {decision_id}",
                    details={"decision": decision_id})


def _procedure(conn: Connection, decision_id: int, catalog: Catalog | None) -> ProcedureDef:
    """The decision's procedure version, from the catalogue in use (the shipped one when none is given)."""
    row = conn.execute(select(D.c.procedure_id, D.c.procedure_version).where(D.c.id == decision_id)).one()
    return (catalog or default_catalog()).get(f"{row.procedure_id}@{row.procedure_version}")


def _marks(procedure: ProcedureDef, action: str) -> frozenset[str]:
    known = procedure.actions.get(action)
    return known.marks if known is not None else frozenset()


def _report_kinds(procedure: ProcedureDef) -> list[str]:
    """Document kinds of the reports that may be public (the service names them ``<action>.<field>``)."""
    return [f"{a}.{f.name}" for a in procedure.marked("public_report")
            for f in procedure.actions[a].fields.values() if f.type == "document"]


def _events(conn: Connection, decision_id: int, procedure: ProcedureDef) -> list[Any]:
    public = [a.id for a in procedure.actions.values() if a.marks & _PUBLIC_MARKS]
    return list(conn.execute(select(E.c.seq, E.c.action, E.c.actor_id, E.c.at, E.c.event).where(
        E.c.stream == f"decision:{decision_id}", E.c.action.in_(public)).order_by(E.c.seq)).all())


def _public_seqs(events: list[Any], now: dt.datetime,
                 procedure: ProcedureDef) -> tuple[list[tuple[int, str]], set[int]]:
    """(seq, instant) of each event that put the current draft before the public; seqs of public reports."""
    shown: list[tuple[int, str]] = []
    reports: set[int] = set()
    for e in events:
        data, marks = e.event.get("data") or {}, _marks(procedure, e.action)
        if "comment_window" in marks and _has_come(data.get("opens_at"), now):
            shown.append((int(e.seq), str(data["opens_at"])))
        elif "public_notice" in marks:
            shown.append((int(e.seq), str(e.event["at"])))
        elif "public_report" in marks and data.get("public") is True:
            reports.add(int(e.seq))
    return shown, reports


def public_documents(conn: Connection, decision_id: int, now: dt.datetime,
                     events: list[Any] | None = None, catalog: Catalog | None = None) -> list[PublicDocument]:
    """The decision's public documents: each draft version put before the public, and public reports."""
    procedure = _procedure(conn, decision_id, catalog)
    events = _events(conn, decision_id, procedure) if events is None else events
    shown, reports = _public_seqs(events, now, procedure)
    report_kinds = _report_kinds(procedure)
    rows = conn.execute(select(DV).where(DV.c.decision_id == decision_id, DV.c.kind.in_([DRAFT_KIND, *report_kinds]))
                        .order_by(DV.c.event_seq, DV.c.id)).all()
    out: dict[tuple[str, int], PublicDocument] = {}
    drafts = [r for r in rows if r.kind == DRAFT_KIND]
    for seq, at in shown:
        # The draft under comment is the version current when the window opened or the hearing was set.
        current = [r for r in drafts if int(r.event_seq) < seq]
        if current and (DRAFT_KIND, int(current[-1].version_no)) not in out:
            r = current[-1]
            out[(DRAFT_KIND, int(r.version_no))] = PublicDocument(DRAFT_KIND, int(r.version_no), str(r.sha256),
                                                                  str(r.filename or ""), int(r.event_seq), at)
    for r in rows:
        if r.kind in report_kinds and int(r.event_seq) in reports:
            at_ = aware(r.created_at)
            out[(r.kind, int(r.version_no))] = PublicDocument(str(r.kind), int(r.version_no), str(r.sha256),
                                                                   str(r.filename or ""), int(r.event_seq),
                                                                   utc_iso(at_) if at_ else "")
    return sorted(out.values(), key=lambda d: (d.event_seq, d.kind))


def own_comments(events: list[Any], viewer_id: int, procedure: ProcedureDef) -> list[OwnComment]:
    """The viewer's comments, numbered as the decision numbers all comments, each with its edits."""
    texts: dict[int, list[dict[str, str]]] = {}
    replies: dict[int, int | None] = {}
    number = 0
    for e in events:
        data = e.event.get("data") or {}
        marks = _marks(procedure, e.action)
        if "comment" in marks:
            number += 1  # counted over everyone's comments: the number is what an edit refers to
            if e.actor_id == viewer_id:
                texts[number] = [{"text": str(data.get("text", "")), "at": str(e.event["at"])}]
                replies[number] = data.get("reply_to")
        elif "comment_edit" in marks and e.actor_id == viewer_id and data.get("comment_id") in texts:
            texts[int(data["comment_id"])].append({"text": str(data.get("text", "")), "at": str(e.event["at"])})
    return [OwnComment(n, h[-1]["text"], h[0]["at"], h[-1]["at"] if len(h) > 1 else None, replies[n], h)
            for n, h in texts.items()]


def public_decision(conn: Connection, catalog: Catalog, decision_id: int, viewer: Viewer,
                    now: dt.datetime) -> PublicDecision:
    """The public view of one decision for ``viewer``; ``NotFound`` when they may not see it."""
    row = conn.execute(select(D, ORG.c.name.label("office")).join(ORG, ORG.c.id == D.c.org_id)
                       .where(D.c.id == decision_id)).first()
    # The public view itself, whoever asks: an official previewing it sees exactly what citizens see.
    if row is None or int(row.org_id) != viewer.org_id or not publicly_visible(str(row.procedure_id), row.facts, now,
                                                                                         catalog):
        raise _missing(decision_id)
    facts: Mapping[str, Any] = row.facts
    procedure = catalog.get(f"{row.procedure_id}@{row.procedure_version}")
    state = procedure.states[str(row.state)]
    events = _events(conn, decision_id, procedure)
    # Open for comment: the window is open and the decision is where a comment can be submitted.
    is_open = comment_open(facts, now) and any(row.state in procedure.actions[a].sources
                                               for a in procedure.marked("comment"))
    hearing = facts.get("hearing") or {}
    updated = aware(row.updated_at)
    return PublicDecision(
        int(row.id), str(row.title), str(row.office), procedure.key, str(row.state), state.label, state.terminal,
        int(row.version), utc_iso(updated) if updated else "", public_window(facts, now), is_open,
        {k: hearing.get(k) for k in _HEARING_KEYS} if hearing.get("hearing_at") else None,
        {k: (facts["publication"]).get(k) for k in _PUBLICATION_KEYS} if published(facts) else None,
        public_documents(conn, decision_id, now, events, catalog), own_comments(events, viewer.id, procedure))


def public_document(conn: Connection, viewer: Viewer, sha256: str, now: dt.datetime,
                    decision_id: int | None = None, catalog: Catalog | None = None) -> tuple[bytes, str, str] | None:
    """(content, media type, file name) when ``sha256`` is public material of a decision ``viewer`` may see."""
    query = select(DV.c.decision_id).join(D, D.c.id == DV.c.decision_id).where(
        DV.c.sha256 == sha256, D.c.org_id == viewer.org_id)  # which kinds are public: public_documents says
    if decision_id is not None:
        query = query.where(DV.c.decision_id == decision_id)
    for candidate in sorted({int(d) for d in conn.execute(query).scalars()}):
        row = conn.execute(select(D.c.procedure_id, D.c.facts).where(D.c.id == candidate)).one()
        if not publicly_visible(str(row.procedure_id), row.facts, now, catalog):
            continue
        for doc in public_documents(conn, candidate, now, catalog=catalog):
            if doc.sha256 == sha256:
                content = conn.execute(select(DOC.c.content, DOC.c.media_type).where(DOC.c.sha256 == sha256)).one()
                return bytes(content.content), str(content.media_type), doc.filename
    return None


def candidates(public: frozenset[str]) -> Any:
    """Decision rows of the ``public`` procedures that may be visible (a superset: ``publicly_visible`` decides each)."""
    # A superset of the visible decisions, found in the database so that a page does not read the
    # archive: a window, a hearing or a publication date on record (the exact rule runs on each row).
    facts = D.c.facts
    return select(D).where(D.c.procedure_id.in_(sorted(public)), or_(
        facts["comment_window"]["opens_at"].as_string().is_not(None),
        facts["hearing"]["hearing_at"].as_string().is_not(None),
        facts["publication"]["published_on"].as_string().is_not(None)))


def visible_rows(conn: Connection, org_id: int, now: dt.datetime, *, state: str | None = None,
                 procedure_id: str | None = None, procedure_version: str | None = None, below: int | None = None,
                 limit: int | None = None, catalog: Catalog | None = None) -> list[Any]:
    """The office's decision rows a public viewer may see, newest first (``below``: ids under it only)."""
    public = _public(catalog)
    query = candidates(public).where(D.c.org_id == org_id).order_by(D.c.id.desc())
    for column, value in ((D.c.state, state), (D.c.procedure_id, procedure_id),
                          (D.c.procedure_version, procedure_version)):
        if value is not None:
            query = query.where(column == value)
    if below is not None:
        query = query.where(D.c.id < below)
    out = []
    for row in conn.execute(query):
        if publicly_visible(str(row.procedure_id), row.facts, now, public=public):
            out.append(row)
            if limit is not None and len(out) >= limit:
                break
    return out


def visible_page(conn: Connection, org_id: int, now: dt.datetime, *, limit: int, state: str | None = None,
                 procedure_id: str | None = None, procedure_version: str | None = None,
                 below: int | None = None, catalog: Catalog | None = None) -> tuple[list[Any], int | None]:
    """Up to ``limit`` visible rows newest first below id ``below``, and the id the next page continues below.

    Candidates are read a page's worth at a time, at most ``SCAN_FACTOR`` pages' worth (the bound on a
    page's cost): a page of mostly invisible candidates ends short rather than reading on; None: the end.
    """
    public = _public(catalog)
    query = candidates(public).where(D.c.org_id == org_id).order_by(D.c.id.desc()).limit(limit)
    for column, value in ((D.c.state, state), (D.c.procedure_id, procedure_id),
                          (D.c.procedure_version, procedure_version)):
        if value is not None:
            query = query.where(column == value)
    out: list[Any] = []
    for _ in range(SCAN_FACTOR):
        batch = conn.execute(query if below is None else query.where(D.c.id < below)).all()
        for row in batch:
            if len(out) == limit:
                return out, below
            below = int(row.id)
            if publicly_visible(str(row.procedure_id), row.facts, now, public=public):
                out.append(row)
        if len(batch) < limit:
            return out, None
    return out, below


def visible_ids(conn: Connection, org_id: int, ids: Iterable[int], now: dt.datetime,
                catalog: Catalog | None = None) -> set[int]:
    """Which of ``ids`` a public viewer of the office may see (to filter notifications and links)."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    rows = conn.execute(select(D.c.id, D.c.procedure_id, D.c.facts).where(D.c.id.in_(wanted), D.c.org_id == org_id))
    public = _public(catalog)
    return {int(r.id) for r in rows if publicly_visible(str(r.procedure_id), r.facts, now, public=public)}


__all__ = ["DRAFT_KIND", "PUBLIC_ROLE", "OwnComment", "PublicDecision", "candidates",
           "PublicDocument", "Viewer", "comment_open", "may_see", "public_window", "own_comments", "public_decision",
           "public_document", "public_documents", "public_only", "public_procedures", "publicly_visible", "published",
           "visible_ids", "visible_page", "visible_rows"]
