"""Sign-in and sign-out (Flask-Login, argon2), the lock-out after repeated failures, the language switch."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from api.web.common import LANGS, CsrfForm, FlaskForm, core, login_required, referrer_path, safe_next
from workflow.admin import sessions
from workflow.admin.offices import sign_in
from workflow.admin.people import named

bp = Blueprint("auth", __name__)
login_manager = LoginManager()

MAX_FAILURES = sessions.MAX_FAILURES
MAX_ADDRESS_FAILURES = sessions.MAX_ADDRESS_FAILURES


class WebUser(UserMixin):  # type: ignore[misc]  # flask_login ships no types
    """The signed-in person: id, name, roles, office and unit, read fresh on every request."""

    def __init__(self, row: Any, session_secret: str) -> None:
        self.id = int(row.id)
        self.name = named(row)  # the name, bound to the office: every lookup by it stays there
        self.roles = frozenset(row.roles)
        self.org_id = int(row.org_id)
        self.org_name = str(row.org_name)
        self.unit = str(row.unit or "")
        self.session_secret = session_secret

    def get_id(self) -> str:
        """The session key: the secret of this sign-in's server-side record (``workflow.admin.sessions``)."""
        return self.session_secret


def load_user(secret: str) -> WebUser | None:
    """The active person behind a live session record, or None (signed out, ended or deactivated)."""
    row = sessions.session_user(core(), secret)
    return WebUser(row, secret) if row else None


class Failures:
    """Failed sign-ins per name and per address, in the database (shared by every process, kept over restarts)."""

    def __init__(self, limit: int = MAX_FAILURES) -> None:
        self.limit = limit

    def locked(self, key: str, limit: int | None = None) -> bool:
        """True when ``key`` has reached ``limit`` (default: the name limit) within the window."""
        return sessions.locked(core(), key, limit or self.limit)

    def fail(self, *keys: str) -> None:
        """Count one failure for each key."""
        sessions.record_failure(core(), *keys)

    def clear(self, key: str) -> None:
        """Forget a name's failures after a successful sign-in."""
        sessions.clear_failures(core(), key)


class LoginForm(FlaskForm):
    """Name and password."""

    username = StringField("用户名", validators=[DataRequired(), Length(max=200)],
                           render_kw={"autocomplete": "username"})
    password = PasswordField("密码", validators=[DataRequired(), Length(max=1000)],
                             render_kw={"autocomplete": "current-password"})
    #: Optional: names are unique per office only, and two people of one name are told apart by their office.
    office = StringField("机关", validators=[Length(max=200)], render_kw={"autocomplete": "organization"})


def _failures() -> Failures:
    from flask import current_app

    failures: Failures = current_app.extensions["juece_login_failures"]
    return failures


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The sign-in page; five failures for a name (or twenty from an address) lock it for 15 minutes.

    Success records a server-side session (``workflow.admin.sessions``) whose secret is the cookie's user id.
    """
    if current_user.is_authenticated:
        return redirect(url_for("inbox.inbox"))
    form = LoginForm()
    form.username.label.text = _("用户名")
    form.password.label.text = _("密码")
    form.office.label.text = _("机关（选填）")
    status, error = 200, None
    if request.method == "POST":
        name = (form.username.data or "").strip()
        keys = (sessions.name_key(name), sessions.address_key(request.remote_addr))
        failures = _failures()
        if failures.locked(keys[0]) or failures.locked(keys[1], MAX_ADDRESS_FAILURES):
            status, error = 429, _("尝试次数过多，请 15 分钟后再试。")
        elif not form.validate_on_submit():
            status, error = 400, _("请填写用户名和密码（页面已过期时请刷新后重试）。")
        elif (user_id := sign_in(core(), name, form.password.data or "",
                                 (form.office.data or "").strip() or None)) is not None:
            failures.clear(keys[0])
            user = start_session(user_id)
            if user is not None:
                session["lang"] = request.cookies.get("juece_lang", "zh") if request.cookies.get(
                    "juece_lang") in LANGS else "zh"
                return redirect(safe_next(request.args.get("next"), url_for("inbox.inbox")))
        else:
            failures.fail(*keys)
            status, error = 401, _("用户名或密码不正确。")
    return render_template("login.html", form=form, error=error), status


def start_session(user_id: int) -> WebUser | None:
    """Record a new session for the person and sign this browser in with it (a fresh cookie)."""
    user = load_user(sessions.start_session(core(), user_id, request.remote_addr))
    if user is not None:
        lang = session.get("lang")
        session.clear()
        login_user(user)
        if lang:
            session["lang"] = lang
    return user


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Sign out (a POST with the CSRF token)."""
    form = CsrfForm()
    if form.validate_on_submit():
        sessions.end_session(core(), str(current_user.get_id()))
        logout_user()
        session.clear()
        flash(_("您已退出登录。"), "ok")
    return redirect(url_for("auth.login"))


@bp.get("/lang/<code>")
def switch_language(code: str) -> Response:
    """Switch between Chinese and English; remembered in the session and a cookie."""
    chosen = code if code in LANGS else "zh"
    session["lang"] = chosen
    response = redirect(referrer_path(url_for("inbox.inbox")))
    response.set_cookie("juece_lang", chosen, max_age=365 * 86400, httponly=True, samesite="Lax")
    return response


def init_login(app: Flask) -> None:
    """Attach Flask-Login and the failure counter to the app."""
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = ""
    login_manager.session_protection = "strong"
    app.extensions["juece_login_failures"] = Failures()
