"""Administration (admin role): people and roles, passwords, office settings, the working-day overrides."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from api.errors import status_of
from api.web import labels
from api.web.common import FlaskForm, actor, core, lang, login_required, msg, office_name, roles_required
from api.web.forms import CheckboxesField, choices
from workflow.admin import offices as domain
from workflow.admin.people import Named
from workflow.engine.context import DEFAULT_OFFICE_SETTINGS
from workflow.engine.definition import ROLES
from workflow.engine.errors import WorkflowError
from workflow.engine.office_settings import range_text
from workflow.record import migration
from workflow.timing.awaiting import calendar_status
from workflow.timing.calendar import SHANGHAI
from workflow.views import people as listing

bp = Blueprint("admin", __name__, url_prefix="/admin")
#: A year's notice lists a few dozen days: anything larger is not one.
MAX_NOTICE_BYTES = 256 * 1024


class AddUserForm(FlaskForm):
    """A new person of this office."""

    name = StringField("姓名", validators=[DataRequired(), Length(max=200)])
    unit = StringField("单位/科室", validators=[Length(max=200)])
    email = StringField("电子邮件", validators=[Optional(), Length(max=320)])
    roles = CheckboxesField("角色", choices=[])
    password = PasswordField("初始密码（至少 10 个字符；只能登录，本人设置自己的密码后才能签名）", validators=[Optional()])


class PasswordForm(FlaskForm):
    """A reset password for a person of this office: it signs them in; their signing key is retired."""

    user = SelectField("人员", choices=[])
    password = PasswordField("临时密码（至少 10 个字符）", validators=[DataRequired()])


class ActiveForm(FlaskForm):
    """Deactivating or reactivating a person of this office (the button says which)."""

    user = SelectField("人员", choices=[])


class SettingsForm(FlaskForm):
    """The office settings people change here."""

    collective_body = StringField("集体讨论会议名称", validators=[DataRequired(), Length(max=200)])
    legality_review_unit = StringField("合法性审查机构", validators=[Length(max=200)])
    legality_review_days = IntegerField("合法性审查期限（工作日）", validators=[NumberRange(7, 60)])
    stall_days = IntegerField("久拖不决提醒（工作日）", validators=[NumberRange(1, 250)])
    expert_opinions_min = IntegerField("专家论证意见最少份数", validators=[NumberRange(1, 20)])
    escalation_working_days = IntegerField("逾期未确认后督办（工作日）", validators=[NumberRange(1, 30)])
    supervisor = StringField("督办人员（多人用逗号分隔）", validators=[Length(max=500)])


class CalendarDayForm(FlaskForm):
    """One day's working-day override."""

    day = StringField("日期", validators=[DataRequired()], render_kw={"type": "date"})
    is_workday = BooleanField("工作日（不勾选为休息日）")
    name = StringField("名称（如 台风停工）", validators=[Length(max=60)])


class MigrateForm(FlaskForm):
    """Moving an in-flight decision to a newer version of its procedure, with the legal basis."""

    decision = IntegerField("决策事项编号", validators=[DataRequired(), NumberRange(1)])
    to = SelectField("迁移到的程序版本", choices=[])
    basis = TextAreaField("迁移依据（如修订后的条例及条款）", validators=[DataRequired(), Length(max=2000)])
    password = PasswordField("行政首长本人的签名密码（预览无需填写）", validators=[Optional()])


def _translate(form: FlaskForm) -> None:
    for field in form:
        if field.type not in ("CSRFTokenField",):
            field.label.text = _(str(field.label.text))


def _people(org_id: int) -> list[Any]:
    with core().db.read() as conn:
        return listing.office_users(conn, org_id)


@bp.route("/users", methods=["GET", "POST"])
@login_required
@roles_required("admin")
def users() -> Any:
    """The office's people with their roles; add a person; set a password."""
    person = actor()
    office = office_name(person.org_id)
    add, pw, active = AddUserForm(prefix="add"), PasswordForm(prefix="pw"), ActiveForm(prefix="active")
    for form in (add, pw, active):
        _translate(form)
    add.roles.choices = choices([(r, labels.pick(labels.ROLES.get(r), lang(), r)) for r in sorted(ROLES)])
    people = _people(person.org_id)
    pw.user.choices = choices([(str(p.name), str(p.name)) for p in people])
    active.user.choices = choices([(str(p.name), str(p.name)) for p in people if p.name != person.name])
    error, status = None, 200
    if request.method == "POST":
        try:
            if request.form.get("which") == "add" and add.validate_on_submit():
                domain.add_user(core(), str(add.name.data).strip(), list(add.roles.data or []), office,
                                unit=str(add.unit.data or "").strip(), password=add.password.data or None,
                                by=person.name, email=(add.email.data or None))
                flash(_("已添加人员：%(name)s", name=add.name.data), "ok")
                return redirect(url_for("admin.users"), 303)
            if request.form.get("which") == "pw" and pw.validate_on_submit():
                if pw.user.data not in {p.name for p in people}:
                    return redirect(url_for("admin.users"), 303)
                domain.set_password(core(), Named(str(pw.user.data), person.org_id), str(pw.password.data),
                                    by=person.name)
                flash(_("已重置密码：%(name)s（原签名密钥已停用；本人设置自己的密码后生成新密钥）", name=pw.user.data), "ok")
                return redirect(url_for("admin.users"), 303)
            if request.form.get("which") == "active" and active.validate_on_submit():
                if active.user.data not in {p.name for p in people}:
                    return redirect(url_for("admin.users"), 303)
                if request.form.get("do") == "reactivate":
                    domain.reactivate_user(core(), Named(str(active.user.data), person.org_id), by=person.name)
                    flash(_("已恢复：%(name)s", name=active.user.data), "ok")
                else:
                    domain.deactivate_user(core(), Named(str(active.user.data), person.org_id), by=person.name)
                    flash(_("已停用：%(name)s（会话已结束，API 令牌已失效）", name=active.user.data), "ok")
                return redirect(url_for("admin.users"), 303)
            error, status = _("表单无效，请检查后重试。"), 400
        except WorkflowError as exc:
            error, status = msg(exc), status_of(exc)
    return render_template("admin_users.html", people=people, add=add, pw=pw, active=active, error=error,
                           role_label=lambda r: labels.pick(labels.ROLES.get(r), lang(), r)), status


@bp.route("/office", methods=["GET", "POST"])
@login_required
@roles_required("admin")
def office() -> Any:
    """The office settings: collective body, review limits, stall and escalation, supervisor."""
    person = actor()
    name = office_name(person.org_id)
    with core().db.read() as conn:
        current = dict(DEFAULT_OFFICE_SETTINGS) | listing.office_settings(conn, person.org_id)
    declared = core().catalog.settings
    current |= {k: spec.held(current.get(k)) for k, spec in declared.items()}  # as the rules read them
    form = _settings_form()(data={k: current.get(k) for k in SettingsForm.__dict__ if k in current} | {
        k: current[k] for k in declared})
    _translate(form)
    error, status = None, 200
    if request.method == "POST":
        if form.validate_on_submit():
            changes = {f.name: f.data for f in form if (f.name in DEFAULT_OFFICE_SETTINGS or (
                f.name in declared and f.data is not None)) and f.data != current.get(f.name)}
            try:
                if changes:
                    domain.update_org_settings(core(), name, changes, by=person.name)
            except WorkflowError as exc:
                error, status = msg(exc), status_of(exc)
            else:
                flash(_("已保存单位设置。"), "ok")
                return redirect(url_for("admin.office"), 303)
        else:
            error, status = _("表单无效，请检查后重试。"), 422
    sections = [(labels.pick(p.title, lang()), [form[spec.key] for spec in specs])
                for p, specs in core().catalog.settings_by_procedure()]
    return render_template("admin_office.html", form=form, office=name, error=error, sections=sections,
                           declared=declared), status


def _settings_form() -> type[SettingsForm]:
    """The settings form with a field for each setting the packs in use declare: its label, range and article."""
    english = lang() == "en"
    fields: dict[str, Any] = {}
    for key, spec in core().catalog.settings.items():
        hint = _("范围 %(range)s；依据：%(article)s", range=range_text(spec, english), article=spec.article)
        fields[key] = IntegerField(labels.pick(spec.label, lang()), description=hint, validators=[
            Optional(), NumberRange(spec.low, spec.high, message=_("应在 %(range)s 之间（%(article)s）",
                                                                   range=range_text(spec, english),
                                                                   article=spec.article))])
    return type("OfficeSettingsForm", (SettingsForm,), fields)


def _flash_resolved(resolved: dict[str, int]) -> None:
    computed = resolved["deadlines"] + resolved["stalls"] + resolved["escalations"]
    if computed:
        flash(_("已计算等待日历的期限 %(n)s 项。", n=computed), "ok")


@bp.route("/calendar", methods=["GET", "POST"])
@login_required
@roles_required("admin")
def calendar() -> Any:
    """The covered years and the working-day override table; import a year's notice or set one day."""
    person = actor()
    form = CalendarDayForm()
    _translate(form)
    error, status = None, 200
    if request.method == "POST" and request.form.get("which") == "import":
        # A State Council notice is national: it moves every office's deadlines, so only the system
        # administrator imports it (``juece calendar import`` on the server), never one office's admin.
        error, status = _("国务院办公厅节假日安排为全国数据，由系统管理员以 juece calendar import 导入；"
                          "本页只能调整本单位的工作日。"), 403
    elif request.method == "POST":
        try:
            if not form.validate_on_submit():
                raise ValueError
            day = dt.date.fromisoformat(str(form.day.data))
        except ValueError:
            error, status = _("请输入有效日期 YYYY-MM-DD。"), 422
        else:
            resolved = domain.set_calendar_day(core(), day, bool(form.is_workday.data), str(form.name.data or ""),
                                               by=person.name, org=office_name(person.org_id))
            flash(_("已设置 %(day)s。", day=day.isoformat()), "ok")
            _flash_resolved(resolved)
            return redirect(url_for("admin.calendar"), 303)
    with core().db.read() as conn:
        # This office's own days, then the national ones; another office's days are not shown.
        days = listing.calendar_days(conn, person.org_id, str(_("本单位")))
        info = calendar_status(conn, core().clock().astimezone(SHANGHAI).date(),
                               current_app.config["JUECE_SETTINGS"].calendar_notice_from)
    return render_template("admin_calendar.html", form=form, days=days, error=error,
                           info=info), status


@bp.route("/migrate", methods=["GET", "POST"])
@login_required
@roles_required("admin", "chief_executive")
def migrate() -> Any:
    """Preview (administrator or chief) and carry out (the chief, signed) a decision's move to a newer version."""
    person = actor()
    form = MigrateForm(data={"decision": request.args.get("decision", type=int)} if request.method == "GET" else None)
    _translate(form)
    form.to.choices = choices([(p.key, f"{p.key} · {labels.pick(p.title, lang())}") for p in core().catalog.all()
                               if p.migrates_from])
    preview, error, status = None, None, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            error, status = _("表单无效，请检查后重试。"), 422
        else:
            dry = request.form.get("do") != "migrate"
            try:
                result = migration.migrate(core(), int(form.decision.data or 0), str(form.to.data), person.name,
                                           str(form.basis.data), dry_run=dry, password=form.password.data or None)
            except WorkflowError as exc:
                error, status = msg(exc), 422
            else:
                if dry:
                    preview = result
                else:
                    flash(_("已迁移：%(a)s → %(b)s", a=result["from"], b=result["to"]), "ok")
                    return redirect(url_for("decisions.show", decision_id=result["decision"]) + "#timeline", 303)
    return render_template("admin_migrate.html", form=form, preview=preview, error=error,
                           chief="chief_executive" in person.roles), status


def nav_links() -> list[tuple[str, str]]:
    """The administration pages (endpoint, label) for the navigation."""
    return [("admin.users", _("人员与角色")), ("admin.office", _("单位设置")), ("admin.calendar", _("工作日调整")),
            ("admin.migrate", _("程序版本迁移"))]


def init_admin(app: Any) -> Response | None:
    """Expose the admin navigation to templates."""
    app.jinja_env.globals["admin_links"] = nav_links
    return None
