"""My password and signing key (我的账户), and deputy grants (代理授权): the office's list, and the chief
executive's forms to grant and revoke, each signed with the chief's own password."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from api.errors import status_of
from api.web import labels
from api.web.auth import _failures, start_session
from api.web.common import FlaskForm, actor, core, lang, local_time, login_required, msg
from api.web.forms import choices
from workflow.admin import deputies
from workflow.engine.errors import WorkflowError
from workflow.record import keys
from workflow.timing.calendar import SHANGHAI
from workflow.views import people as listing

bp = Blueprint("signing", __name__)


class ChangePasswordForm(FlaskForm):
    """The holder's own new password (the current one, if any, re-wraps the key)."""

    current_password = PasswordField(_l("当前密码"), render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("新密码（至少 10 个字符）"), validators=[DataRequired(), Length(max=1000)],
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("再次输入新密码"), validators=[DataRequired(), Length(max=1000)],
                            render_kw={"autocomplete": "new-password"})


class GrantForm(FlaskForm):
    """A chief executive's grant of a person's role to a deputy, signed with the chief's password."""

    principal = SelectField(_l("被代理人"), choices=[])
    role = SelectField(_l("代理的角色"), choices=[])
    deputy = SelectField(_l("代理人"), choices=[])
    ends_at = StringField(_l("代理截止时间"), validators=[DataRequired()], render_kw={"type": "datetime-local"})
    reason = TextAreaField(_l("代理理由"), validators=[DataRequired(), Length(max=2000)])
    password = PasswordField(_l("输入您的密码以签名"), validators=[DataRequired()],
                             render_kw={"autocomplete": "current-password"})


class RevokeForm(FlaskForm):
    """Ending a grant early, signed."""

    reason = StringField(_l("撤销理由"), validators=[DataRequired(), Length(max=2000)])
    password = PasswordField(_l("输入您的密码以签名"), validators=[DataRequired()],
                             render_kw={"autocomplete": "current-password"})


def _signing_failed(exc: WorkflowError, name: str) -> None:
    """A wrong signing password counts towards the sign-in lock-out, like a wrong sign-in."""
    if exc.code in ("signing_password_wrong", "password_wrong"):
        _failures().fail(f"name:{name}")


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> Any:
    """My password and signing key: setting my own password re-wraps my key, or issues my first one."""
    person, c = actor(), core()
    form = ChangePasswordForm()
    error, status = None, 200
    if request.method == "POST":
        if _failures().locked(f"name:{person.name}"):
            error, status = _("尝试次数过多，请 15 分钟后再试。"), 429
        elif not form.validate_on_submit():
            error, status = _("请填写新密码（页面已过期时请刷新后重试）。"), 400
        elif form.new_password.data != form.confirm.data:
            error, status = _("两次输入的新密码不一致。"), 400
        else:
            try:
                key_id = keys.change_password(c, person.name, str(form.new_password.data),
                                              str(form.current_password.data or "") or None)
            except WorkflowError as exc:
                _signing_failed(exc, person.name)
                error, status = msg(exc), status_of(exc)
            else:
                start_session(person.id)  # the change ended every session, this one included: a fresh one here
                flash(_("密码已设置；您的签名密钥 %(key)s 只有您的密码能打开。", key=key_id), "ok")
                return redirect(url_for("signing.account"), 303)
    with c.db.read() as conn:
        mine = keys.keys_of(conn, person.name)
        held = deputies.held_by(conn, person.id, c.clock())
    return render_template("account.html", form=form, keys=mine, held=held, error=error,
                           role_label=_role_label), status


def _role_label(role: str) -> str:
    return labels.pick(labels.ROLES.get(role), lang(), role)


GRANT_STATUS = {"in_force": ("生效中", "In force"), "scheduled": ("尚未开始", "Not started"),
                "expired": ("已到期", "Expired"), "revoked": ("已撤销", "Revoked")}


def grant_status(status: str) -> str:
    """A grant's standing in the page's language."""
    zh, en = GRANT_STATUS.get(status, (status, status))
    return en if lang() == "en" else zh


def _local_end(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


@bp.route("/deputies", methods=["GET", "POST"])
@login_required
def grants() -> Any:
    """The office's deputy grants; a chief executive grants and revokes them here, signing each."""
    person, c = actor(), core()
    with c.db.read() as conn:
        people = listing.office_users(conn, person.org_id, active_only=True)
    form = GrantForm(prefix="grant")
    form.principal.choices = choices([(str(p.name), str(p.name)) for p in people])
    form.deputy.choices = choices([(str(p.name), str(p.name)) for p in people])
    form.role.choices = choices([(r, _role_label(r)) for r in sorted(deputies.GRANTABLE)])
    is_chief = "chief_executive" in person.roles
    error, status = None, 200
    if request.method == "POST":
        if not is_chief:
            return redirect(url_for("signing.grants"), 303)
        if not form.validate_on_submit():
            error, status = _("表单无效，请检查后重试。"), 400
        else:
            try:
                grant_id = deputies.grant(c, person.name, str(form.principal.data), str(form.deputy.data),
                                          str(form.role.data), _local_end(str(form.ends_at.data)),
                                          str(form.reason.data), str(form.password.data or ""))
            except ValueError:
                error, status = _("截止时间格式应为 YYYY-MM-DDTHH:MM"), 400
            except WorkflowError as exc:
                _signing_failed(exc, person.name)
                error, status = msg(exc), status_of(exc)
            else:
                flash(_("已授权代理（第 %(id)s 号），已由您签名。", id=grant_id), "ok")
                return redirect(url_for("signing.grants"), 303)
        form.password.data = ""
    with c.db.read() as conn:
        rows = deputies.office_grants(conn, person.org_id, c.clock())
    return render_template("deputies.html", form=form, grants=rows, is_chief=is_chief, revoke=RevokeForm(),
                           error=error, role_label=_role_label, local=local_time, grant_status=grant_status), status


@bp.post("/deputies/<int:grant_id>/revoke")
@login_required
def revoke(grant_id: int) -> Response:
    """End a grant early (chief executive), signed."""
    person = actor()
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(_("请填写撤销理由和密码。"), "error")
        return redirect(url_for("signing.grants"), 303)
    try:
        deputies.revoke(core(), grant_id, person.name, str(form.reason.data), str(form.password.data or ""))
    except WorkflowError as exc:
        _signing_failed(exc, person.name)
        flash(msg(exc), "error")
    else:
        flash(_("已撤销代理授权 %(id)s。", id=grant_id), "ok")
    return redirect(url_for("signing.grants"), 303)
