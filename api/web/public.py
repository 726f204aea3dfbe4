"""What a member of the public sees on the pages: a decision, the catalogue and its exports.

Thin: every datum comes from ``workflow.views.visibility`` (or ``workflow.views.catalogue.public_catalogue``),
which decides what is public; this module only arranges it for the templates.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_babel import gettext as _

from api.web import labels
from api.web.common import core, due_time, label, lang, local_time, viewer_of
from api.web.forms import ActionForm, build_form, field_rows
from workflow.engine.context import Actor
from workflow.engine.errors import NotFound
from workflow.views.catalogue import (
    CatalogueFilter,
    PublicCatalogueRow,
    public_catalogue,
    public_catalogue_page,
    public_years,
)
from workflow.views.decision import decision_row
from workflow.views.inbox import actions_for, decision_view
from workflow.views.paging import Page, Window
from workflow.views.visibility import public_decision, public_procedures


def decision_context(decision_id: int, person: Actor, failed: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything public_decision.html needs: the public view and the comment forms while the window is open."""
    c = core()
    now = c.clock()
    with c.db.read() as conn:
        try:
            public = public_decision(conn, c.catalog, decision_id, viewer_of(person), now)
        except NotFound:
            abort(404)
        row = decision_row(conn, decision_id)
    view = decision_view(row, c.catalog)
    forms: list[dict[str, Any]] = []
    if public.comment_open or failed:
        for action in actions_for(person, view):
            is_failed = bool(failed and failed["action"] == action.id)
            # No people and no inputs: a citizen's form never lists other people or their comments.
            form: ActionForm = failed["form"] if failed and is_failed else build_form(
                action, view.procedure, lang=lang(), people=[], inputs=[], version=public.version)
            forms.append({"action": action, "label": label(action.label), "form": form,
                          "rows": field_rows(form, action), "failed": failed if is_failed else None})
    return {"d": public, "view": view, "state_label": label(public.state_label), "forms": forms, "now": now,
            "drafts": [doc for doc in public.documents if doc.kind == "draft"],
            "reports": [doc for doc in public.documents if doc.kind != "draft"]}


def catalogue_rows(person: Actor, wanted: CatalogueFilter) -> list[PublicCatalogueRow]:
    """The public catalogue for ``person``'s office."""
    c = core()
    with c.db.read() as conn:
        return public_catalogue(conn, c.catalog, person.org_id, wanted, c.clock())


def catalogue_page(person: Actor, wanted: CatalogueFilter, window: Window) -> Page[PublicCatalogueRow]:
    """A page of the public catalogue for ``person``'s office."""
    c = core()
    with c.db.read() as conn:
        return public_catalogue_page(conn, c.catalog, person.org_id, wanted, c.clock(), window)


def catalogue_years(person: Actor) -> list[int]:
    """The years offered in the public catalogue's filter."""
    c = core()
    with c.db.read() as conn:
        return public_years(conn, person.org_id, c.clock(), c.catalog)


def catalogue_table(rows: list[PublicCatalogueRow]) -> list[list[Any]]:
    """The public catalogue as export rows: header, then one line per decision (public columns only)."""
    head = [_("编号"), _("事项名称"), _("当前环节"), _("征求意见开始"), _("征求意见截止"), _("公布日期")]
    body = [[r.id, r.title, label(r.state_label), local_time(r.comment_opens), due_time(r.comment_closes),
             r.published_on or ""] for r in rows]
    return [head, *body]


def state_choices() -> dict[str, str]:
    """The states a citizen may filter by: those of the procedures with a public side."""
    out: dict[str, str] = {}
    public = public_procedures(core().catalog)
    for procedure in core().catalog.all():
        if procedure.id in public:
            for sid, state in procedure.states.items():
                out.setdefault(sid, labels.pick(state.label, lang()))
    return out
