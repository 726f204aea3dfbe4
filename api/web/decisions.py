"""The decision pages: create, show (timeline, diagram, documents, audit), take an action, download."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from api.web import public
from api.web.auth import _failures
from api.web.common import (
    FlaskForm,
    actor,
    core,
    label,
    lang,
    load_decision,
    local_time,
    login_required,
    msg,
    roles_required,
    viewer_of,
)
from api.web.forms import MAX_UPLOAD_BYTES, UploadRefused, build_form, choices, form_data
from api.web.present import action_label, page_context
from workflow import dossier
from workflow.admin import check_password
from workflow.engine import may_act
from workflow.errors import (
    ActionNotAllowed,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleViolation,
    StaleVersion,
    WorkflowError,
)
from workflow.visibility import public_document, public_only

bp = Blueprint("decisions", __name__)


@bp.before_request
def limit_upload_size() -> None:
    """Uploads up to the document limit plus the form around them (this blueprint only)."""
    request.max_content_length = MAX_UPLOAD_BYTES + 1024 * 1024


class NewDecisionForm(FlaskForm):
    """A new decision: title, procedure and the flags known at proposal time."""

    title = StringField("事项名称", validators=[DataRequired(), Length(max=500)])
    procedure = SelectField("程序", choices=[])


@bp.route("/decisions/new", methods=["GET", "POST"])
@login_required
@roles_required("owner")
def new_decision() -> Any:
    """Propose a decision (owners only); flags are set when it is initiated."""
    c, person = core(), actor()
    form = NewDecisionForm()
    form.title.label.text, form.procedure.label.text = _("事项名称"), _("程序")
    current = {p.id: p for p in c.catalog.all()}
    form.procedure.choices = choices([(p.id, f"{label(p.title)}（{p.key}）") for p in current.values()])
    error = None
    if form.validate_on_submit():
        try:
            did = c.create_decision(str(form.procedure.data), str(form.title.data), person.name, [])
        except WorkflowError as exc:
            error = msg(exc)
        else:
            flash(_("已创建决策事项 %(id)s。", id=did), "ok")
            return redirect(url_for("decisions.show", decision_id=did), 303)
    elif request.method == "POST":
        error = _("请填写事项名称（页面已过期时请刷新后重试）。")
    return render_template("new_decision.html", form=form, error=error), 200 if error is None else 422


@bp.get("/decisions/<int:decision_id>")
@login_required
def show(decision_id: int) -> str:
    """One decision: diagram, timeline, deadlines, documents, audit, and the actions this person may take."""
    person = actor()
    row, view = load_decision(decision_id, person)
    if public_only(person.roles):
        return render_template("public_decision.html", **public.decision_context(decision_id, person))
    return render_template("decision.html", **page_context(row, view, person))


def _refusal(exc: WorkflowError, procedure: Any) -> dict[str, Any]:
    info: dict[str, Any] = {"code": exc.code, "message": msg(exc), "article": exc.article, "rule": exc.rule,
                            "field": exc.details.get("field")}
    if isinstance(exc, StaleVersion) and exc.details.get("by"):  # a citizen is not told who acted
        info["stale"] = {"by": exc.details.get("by"), "action": action_label(procedure, str(exc.details.get("action"))),
                         "at": local_time(exc.details.get("at")), "version": exc.details.get("current_version")}
    return info


@bp.post("/decisions/<int:decision_id>/act/<action_id>")
@login_required
def act(decision_id: int, action_id: str) -> Any:
    """Take an action: role and office first (403/404), then the engine's checks; refusals keep the input."""
    c, person = core(), actor()
    row, view = load_decision(decision_id, person)
    action = view.procedure.actions.get(action_id)
    if action is None:
        abort(404)
    if not may_act(action, person, view):
        abort(403)
    citizen = public_only(person.roles)
    people: list[str] = []
    inputs: list[dict[str, str]] = []
    if not citizen:  # a citizen's form never carries other people's names or comments
        with c.db.read() as conn:
            people = [p["name"] for p in dossier.office_people(conn, view.org_id)]
            inputs = dossier.inputs(dossier.trail(conn, view.id), dict(view.facts))
    form = build_form(action, view.procedure, lang=lang(), people=people, inputs=inputs, version=view.version,
                      formdata=CombinedMultiDict((request.files, request.form)))
    failure: dict[str, Any] | None = None
    status = 422
    if not form.validate_on_submit():
        status = 400
        failure = {"code": "csrf", "message": _("页面已过期或表单无效，请刷新后重试。"), "article": None, "rule": None,
                   "field": None}
    elif not str(form.expected_version.data or "").isdigit():
        status, failure = 400, {"code": "invalid_input", "message": _("缺少版本号，请刷新后重试。"), "article": None,
                                "rule": None, "field": None}
    elif action.signed and not check_password(c, person.name, str(form["password"].data or "")):
        _failures().fail(f"name:{person.name}")
        failure = {"code": "password", "message": _("密码不正确，未签名。"), "article": None,
                                "rule": None, "field": "password"}
    else:
        try:
            data = form_data(form, action)
            result = c.act(decision_id, action_id, person.name, data, int(str(form.expected_version.data)))
        except UploadRefused as exc:
            failure = {"code": "upload_refused", "message": str(exc), "article": None, "rule": None,
                       "field": exc.field}
        except StaleVersion as exc:
            status, failure = 409, _refusal(exc, view.procedure)
        except (RuleViolation, InvalidInput) as exc:
            failure = _refusal(exc, view.procedure)
        except ActionNotAllowed as exc:
            status, failure = 409, _refusal(exc, view.procedure)
        except Forbidden as exc:
            status, failure = 403, _refusal(exc, view.procedure)
        except NotFound as exc:
            status, failure = 404 if exc.code == "not_found" else 422, _refusal(exc, view.procedure)
        else:
            flash(_("已完成：%(action)s（第 %(v)s 版）", action=label(action.label), v=result.version), "ok")
            if result.linked_decision:
                flash(_("已启动新的关联决策事项 %(id)s。", id=result.linked_decision), "ok")
            return redirect(url_for("decisions.show", decision_id=decision_id) + "#timeline", 303)
    if "password" in form:
        form["password"].data = ""
    row, view = load_decision(decision_id, person)
    failure["action"] = action_id
    failure["form"] = form
    if citizen:
        return render_template("public_decision.html", **public.decision_context(decision_id, person, failure)), status
    return render_template("decision.html", **page_context(row, view, person, failure)), status


@bp.get("/decisions/<int:decision_id>/documents/<sha256>")
@login_required
def download(decision_id: int, sha256: str) -> Response:
    """A document version of this decision, as an attachment (never rendered inline); a citizen's only if public."""
    c, person = core(), actor()
    load_decision(decision_id, person)
    with c.db.read() as conn:
        if public_only(person.roles):
            found = public_document(conn, viewer_of(person), sha256, c.clock(), decision_id)
        else:
            found = dossier.document_of(conn, decision_id, sha256)
    if found is None:
        abort(404)
    content, media, filename = found
    name = filename or f"{sha256[:16]}{'.txt' if media.startswith('text/') else '.bin'}"
    response = send_file(io.BytesIO(content), mimetype=media if media.startswith("text/plain") else
                         "application/octet-stream", as_attachment=True, download_name=name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
