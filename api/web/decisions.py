"""The decision pages: create, show (timeline, diagram, documents, audit), take an action, download."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from api.errors import status_of
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
from api.web.forms import (
    MAX_UPLOAD_BYTES,
    ApprovalDecisionForm,
    BackfillDecisionForm,
    UploadRefused,
    build_form,
    choices,
    form_data,
)
from api.web.present import action_label, changes_since, page_context, signs
from workflow.admin import deputies
from workflow.engine.context import Actor
from workflow.engine.decide import may_act
from workflow.engine.errors import (
    InvalidInput,
    StaleVersion,
    WorkflowError,
)
from workflow.record import approvals, records
from workflow.record.audit import DAMAGED, damage_report
from workflow.timing.calendar import SHANGHAI
from workflow.views import dossier
from workflow.views.visibility import public_document, public_only

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
    error, status = None, 200
    if form.validate_on_submit():
        try:
            did = c.create_decision(str(form.procedure.data), str(form.title.data), person.name, [])
        except WorkflowError as exc:
            error, status = msg(exc), status_of(exc)
        else:
            flash(_("已创建%(item)s %(id)s。", item=label(current[str(form.procedure.data)].nouns.item), id=did), "ok")
            return redirect(url_for("decisions.show", decision_id=did), 303)
    elif request.method == "POST":
        error, status = _("请填写事项名称（页面已过期时请刷新后重试）。"), 400
    return render_template("new_decision.html", form=form, error=error), status


@bp.get("/decisions/<int:decision_id>")
@login_required
def show(decision_id: int) -> str:
    """One decision: diagram, timeline, deadlines, documents, audit, and the actions this person may take."""
    person = actor()
    try:
        row, view = load_decision(decision_id, person)
        if public_only(person.roles):
            return render_template("public_decision.html", **public.decision_context(decision_id, person))
        return render_template("decision.html", **page_context(row, view, person))
    except DAMAGED:
        # A stored row that cannot be read: officials of the office see what verification finds, nobody a 500.
        with core().db.read() as conn:
            report = None if public_only(person.roles) else damage_report(conn, core().catalog, decision_id,
                                                                          person.org_id)
        if report is None:
            raise
        return render_template("damaged_decision.html", decision_id=decision_id, report=report)


def _refusal(exc: WorkflowError, procedure: Any) -> dict[str, Any]:
    info: dict[str, Any] = {"code": exc.code, "message": msg(exc), "article": exc.article, "rule": exc.rule,
                            "field": exc.details.get("field")}
    if isinstance(exc, StaleVersion) and exc.details.get("by"):  # a citizen is not told who acted
        info["stale"] = {"by": exc.details.get("by"), "action": action_label(procedure, str(exc.details.get("action"))),
                         "at": local_time(exc.details.get("at")), "version": exc.details.get("current_version")}
    return info


def _take_new_version(exc: WorkflowError, form: Any, failure: dict[str, Any], decision_id: int,
                      procedure: Any) -> None:
    """A stale form comes back carrying the current version and the list of what changed since its own.

    The kept answers stay on their items (rows are keyed by reference); once the person has reviewed the
    changes shown, submitting again is taken against the version they now see.
    """
    if not isinstance(exc, StaleVersion) or "current_version" not in exc.details:
        return
    seen = int(exc.details.get("expected_version") or 0)
    form.expected_version.data = str(exc.details["current_version"])
    if "stale" in failure:
        failure["stale"]["changes"] = changes_since(decision_id, procedure, seen)


def _as_deputy(person: Actor, prefix: str) -> tuple[Actor, int | None]:
    """The person as the deputy of the grant the form names (403 when they hold no such grant now)."""
    raw = str(request.form.get(f"{prefix}-grant") or "").strip()
    if not raw:
        return person, None
    if not raw.isdigit():
        abort(400)
    c = core()
    try:
        with c.db.read() as conn:
            return deputies.acting_now(conn, person, int(raw), c.clock()), int(raw)
    except WorkflowError:
        abort(403)


def _signing_refused(exc: WorkflowError, person: Actor) -> None:
    """A wrong signing password counts towards the sign-in lock-out, like a wrong sign-in."""
    if exc.code == "signing_password_wrong":
        _failures().fail(f"name:{person.name}")


@bp.post("/decisions/<int:decision_id>/act/<action_id>")
@login_required
def act(decision_id: int, action_id: str) -> Any:
    """Take an action: role and office first (403/404), then the engine's checks; refusals keep the input.

    A signed action is signed by the service with the key the typed password opens, never otherwise.
    """
    c, person = core(), actor()
    row, view = load_decision(decision_id, person)
    action = view.procedure.actions.get(action_id)
    if action is None:
        abort(404)
    acting, grant = _as_deputy(person, action_id)
    if not may_act(action, acting, view):
        abort(403)
    citizen = public_only(person.roles)
    people: list[str] = []
    inputs: list[dict[str, str]] = []
    if not citizen:  # a citizen's form never carries other people's names or comments
        with c.db.read() as conn:
            people = [p["name"] for p in dossier.office_people(conn, view.org_id)]
            inputs = dossier.inputs(dossier.trail(conn, view.id), dict(view.facts), view.procedure)
    signed = signs(action, acting)
    form = build_form(action, view.procedure, lang=lang(), people=people, inputs=inputs, version=view.version,
                      formdata=CombinedMultiDict((request.files, request.form)), signs=signed)
    failure: dict[str, Any] | None = None
    status = 422
    if not form.validate_on_submit():
        status = 400
        failure = {"code": "csrf", "message": _("页面已过期或表单无效，请刷新后重试。"), "article": None, "rule": None,
                   "field": None}
    elif not str(form.expected_version.data or "").isdigit():
        status, failure = 400, {"code": "invalid_input", "message": _("缺少版本号，请刷新后重试。"), "article": None,
                                "rule": None, "field": None}
    elif signed and _failures().locked(f"name:{person.name}"):
        status, failure = 429, {"code": "locked", "message": _("尝试次数过多，请 15 分钟后再试。"), "article": None,
                                "rule": None, "field": "password"}
    else:
        password = str(form["password"].data or "") if signed else None
        try:
            data = form_data(form, action)
            occurred = str(form.backfill_occurred_at.data or "").strip()
            reason = str(form.backfill_reason.data or "").strip()
            if occurred or reason:
                # 补录: the step happened offline; it is requested now and applied once the chief confirms.
                seq = records.request_backfill(c, decision_id, action_id, person.name, data,
                                               _local_instant(occurred), reason, int(str(form.expected_version.data)),
                                               password=password)
                flash(_("已提交补录申请（第 %(n)s 号），待行政首长确认后记入。", n=seq), "ok")
                return redirect(url_for("decisions.show", decision_id=decision_id) + "#backfills", 303)
            result = c.act(decision_id, action_id, person.name, data, int(str(form.expected_version.data)),
                           password=password, grant=grant)
        except UploadRefused as exc:
            status = exc.status
            failure = {"code": "upload_refused", "message": str(exc), "article": None, "rule": None,
                       "field": exc.field}
        except WorkflowError as exc:
            _signing_refused(exc, person)
            status, failure = status_of(exc), _refusal(exc, view.procedure)
            _take_new_version(exc, form, failure, decision_id, view.procedure)
        else:
            if result.request is not None:
                flash(_("已提交申请（第 %(n)s 号）：%(action)s，待批准人签名批准后生效。", n=result.request,
                        action=label(action.label)), "ok")
                return redirect(url_for("decisions.show", decision_id=decision_id) + "#approvals", 303)
            flash(_("已完成：%(action)s（第 %(v)s 版）", action=label(action.label), v=result.version), "ok")
            if result.linked_decision:
                flash(_("已启动新的关联%(item)s %(id)s。", item=label(view.procedure.nouns.item), id=result.linked_decision),
                      "ok")
            return redirect(url_for("decisions.show", decision_id=decision_id) + "#timeline", 303)
    if "password" in form:
        form["password"].data = ""
    row, view = load_decision(decision_id, person)
    failure["action"] = action_id
    failure["form"] = form
    if citizen:
        return render_template("public_decision.html", **public.decision_context(decision_id, person, failure)), status
    return render_template("decision.html", **page_context(row, view, person, failure)), status


def _local_instant(text: str) -> str:
    """A datetime-local value (no offset) as the office's local time; an empty value stays an input error."""
    if not text:
        raise InvalidInput("补录须填写实际发生时间", "a back-entry needs the time the step happened",
                           details={"field": "backfill_occurred_at"})
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput("实际发生时间格式应为 YYYY-MM-DDTHH:MM", "the occurrence time must be YYYY-MM-DDTHH:MM",
                           details={"field": "backfill_occurred_at"}) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)).isoformat()


@bp.post("/decisions/<int:decision_id>/correct/<action_id>")
@login_required
def correct(decision_id: int, action_id: str) -> Any:
    """更正: a new version of a recorded meeting, opinion, hearing record or window, with a reason."""
    c, person = core(), actor()
    row, view = load_decision(decision_id, person)
    action = view.procedure.actions.get(action_id)
    if action is None or not action.record:
        abort(404)
    if not may_act(action, person, view):
        abort(403)
    with c.db.read() as conn:
        people = [p["name"] for p in dossier.office_people(conn, view.org_id)]
        inputs = dossier.inputs(dossier.trail(conn, view.id), dict(view.facts), view.procedure)
    form = build_form(action, view.procedure, lang=lang(), people=people, inputs=inputs, version=view.version,
                      formdata=CombinedMultiDict((request.files, request.form)), prefix=f"fix-{action_id}")
    failure: dict[str, Any]
    status = 422
    if not form.validate_on_submit() or not str(form.expected_version.data or "").isdigit():
        status, failure = 400, {"code": "csrf", "message": _("页面已过期或表单无效，请刷新后重试。"), "article": None,
                                "rule": None, "field": None}
    elif action.signed and _failures().locked(f"name:{person.name}"):
        status, failure = 429, {"code": "locked", "message": _("尝试次数过多，请 15 分钟后再试。"), "article": None,
                                "rule": None, "field": "password"}
    else:
        try:
            result = records.correct(c, decision_id, action_id, person.name, form_data(form, action),
                                     str(form.correction_reason.data or ""), None,
                                     int(str(form.expected_version.data)),
                                     password=str(form["password"].data or "") if action.signed else None)
        except UploadRefused as exc:
            status = exc.status
            failure = {"code": "upload_refused", "message": str(exc), "article": None, "rule": None,
                       "field": exc.field}
        except WorkflowError as exc:
            _signing_refused(exc, person)
            status, failure = status_of(exc), _refusal(exc, view.procedure)
            _take_new_version(exc, form, failure, decision_id, view.procedure)
        else:
            flash(_("已更正：%(action)s（第 %(v)s 版）", action=label(action.label), v=result.version), "ok")
            return redirect(url_for("decisions.show", decision_id=decision_id) + "#timeline", 303)
    if "password" in form:
        form["password"].data = ""
    row, view = load_decision(decision_id, person)
    failure["action"] = f"fix-{action_id}"
    failure["form"] = form
    return render_template("decision.html", **page_context(row, view, person, failure)), status


@bp.post("/decisions/<int:decision_id>/backfills/<int:request_seq>/<answer>")
@login_required
def answer_backfill(decision_id: int, request_seq: int, answer: str) -> Any:
    """Confirm or decline a back-entry request (chief executive, not the requester)."""
    c, person = core(), actor()
    load_decision(decision_id, person)
    if answer not in ("confirm", "reject"):
        abort(404)
    form = BackfillDecisionForm()
    if not form.validate_on_submit():
        flash(_("页面已过期或表单无效，请刷新后重试。"), "error")
        return redirect(url_for("decisions.show", decision_id=decision_id) + "#backfills", 303)
    try:
        if answer == "confirm":
            records.confirm_backfill(c, decision_id, request_seq, person.name)
            flash(_("已确认补录，已记入办理过程。"), "ok")
        else:
            records.reject_backfill(c, decision_id, request_seq, person.name, str(form.reason.data or ""))
            flash(_("已不予确认该补录申请。"), "ok")
    except WorkflowError as exc:
        flash(msg(exc) + (f"（{exc.article}）" if exc.article else ""), "error")
        return redirect(url_for("decisions.show", decision_id=decision_id) + "#backfills", 303)
    return redirect(url_for("decisions.show", decision_id=decision_id) + "#timeline", 303)


@bp.post("/decisions/<int:decision_id>/approvals/<int:request_seq>/<answer>")
@login_required
def answer_approval(decision_id: int, request_seq: int, answer: str) -> Any:
    """Approve (signed with the approver's own password) or decline a request (an approver, not the requester)."""
    c, person = core(), actor()
    load_decision(decision_id, person)  # another office's decision: 404
    if answer not in ("confirm", "decline"):
        abort(404)
    form = ApprovalDecisionForm()
    back = redirect(url_for("decisions.show", decision_id=decision_id) + "#approvals", 303)
    if not form.validate_on_submit():
        flash(_("页面已过期或表单无效，请刷新后重试。"), "error")
        return back
    if answer == "confirm" and _failures().locked(f"name:{person.name}"):
        flash(_("尝试次数过多，请 15 分钟后再试。"), "error")
        return back
    try:
        if answer == "confirm":
            approvals.confirm(c, decision_id, request_seq, person.name, password=str(form.password.data or ""))
            flash(_("已签名批准，已记入办理过程。"), "ok")
        else:
            approvals.decline(c, decision_id, request_seq, person.name, str(form.reason.data or ""))
            flash(_("已不予批准该申请。"), "ok")
    except WorkflowError as exc:
        _signing_refused(exc, person)
        flash(msg(exc) + (f"（{exc.article}）" if exc.article else ""), "error")
        return back
    return redirect(url_for("decisions.show", decision_id=decision_id) + "#timeline", 303)


@bp.get("/decisions/<int:decision_id>/documents/<sha256>")
@login_required
def download(decision_id: int, sha256: str) -> Response:
    """A document version of this decision, as an attachment (never rendered inline); a citizen's only if public."""
    c, person = core(), actor()
    load_decision(decision_id, person)
    with c.db.read() as conn:
        if public_only(person.roles):
            found = public_document(conn, viewer_of(person), sha256, c.clock(), decision_id, c.catalog)
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
