"""The officials' web application: server-rendered pages in Chinese (English by a switch).

Sign-in (Flask-Login, argon2), CSRF on every form (Flask-WTF forms, no global CSRFProtect so that the
REST API is untouched), the inbox, the catalogue, decision pages with step forms generated from the
definition, signed legality opinions (each signature made with the signer's own password), deputy grants,
one's own password and key, and administration. Dates and times show in Asia/Shanghai.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Blueprint, Flask, current_app, render_template, request
from flask_babel import Babel
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from api.availability import HEALTH_PATHS, health_error
from api.v1 import MAX_BODY
from api.web import admin, auth, decisions, labels, lists, signing
from api.web.common import CsrfForm, core, due_time, label, lang, local_time
from config.runtime import instance_secret
from workflow.engine.definition import ProcedureDef
from workflow.timing.calendar import SHANGHAI

HERE = Path(__file__).resolve().parent
TRANSLATIONS = HERE / "translations"
shell = Blueprint("web", __name__, static_folder="static", static_url_path="/static/web",
                  template_folder="templates")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
WEB_BLUEPRINTS = ("web", "auth", "inbox", "decisions", "admin", "signing")


def compile_catalogues(root: Path = TRANSLATIONS) -> None:
    """Compile each messages.po into messages.mo when the .mo is missing or older."""
    for po in root.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh)
        try:
            with mo.open("wb") as fh:
                write_mo(fh, catalog)
        except OSError:  # a read-only install keeps the committed .mo
            logging.getLogger(__name__).warning("cannot compile %s; using the committed catalogue", po)


def _session_key(app: Flask) -> str:
    secret = instance_secret(app.config["JUECE_SETTINGS"])
    return hmac.new(secret, b"juece-web-session-v1", hashlib.sha256).hexdigest()


def _configure(app: Flask) -> None:
    secure = app.config["JUECE_SETTINGS"].cookie_secure  # Secure by default under production mode
    if not app.secret_key:
        app.secret_key = _session_key(app)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config.get("JUECE_COOKIE_SECURE", secure),
        REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=app.config.get("JUECE_COOKIE_SECURE", secure),
        BABEL_DEFAULT_LOCALE="zh", BABEL_DEFAULT_TIMEZONE=SHANGHAI.key,
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
    )
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
    # Every path stops a body over the limit before reading it (413); the API sets the same per request.
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default is None: no limit at all
        app.config["MAX_CONTENT_LENGTH"] = MAX_BODY


def _is_web() -> bool:
    return request.blueprint in WEB_BLUEPRINTS or not request.path.startswith("/api/")


def _headers(response: Response) -> Response:
    if request.blueprint in WEB_BLUEPRINTS:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "web.static":
            response.headers.setdefault("Cache-Control", "no-store")
    return response


def _error(exc: HTTPException) -> Any:
    if request.path in HEALTH_PATHS:
        return health_error(exc)
    if not _is_web():
        return exc
    messages = {400: _("请求无效（页面可能已过期，请刷新后重试）"), 403: _("您无权进行此操作"),
                404: _("页面不存在"), 405: _("不支持此请求方式"), 413: _("文件过大：上限 20 MB"),
                429: _("请求过于频繁，请稍后再试")}
    code = exc.code or 500
    if code == 413:  # the body stays unread: the page's own forms (sign-out) must not try to parse it again
        request.__dict__.update(form=ImmutableMultiDict(), files=ImmutableMultiDict())
    return render_template("error.html", code=code, message=messages.get(code, exc.name)), code


def _server_error(exc: Exception) -> Any:
    if request.path in HEALTH_PATHS:
        return health_error(exc)
    if not _is_web():
        return exc
    current_app.logger.exception("page failed")
    return render_template("error.html", code=500, message=_("服务器内部错误")), 500


def _notification_kind(kind: str) -> str:
    return labels.notification_kind(kind, lang())


def _doc_kind(kind: str, procedure: ProcedureDef | None = None) -> str:
    # On a decision's page the draft is named in its procedure's words; elsewhere generically.
    return labels.document_kind(kind, [procedure] if procedure else core().catalog.all(), lang(),
                                procedure.nouns.draft if procedure else None)


def init_app(app: Flask) -> None:
    """Configure sessions, translations and sign-in, and register the pages and their error pages."""
    _configure(app)
    compile_catalogues()
    Babel(app, locale_selector=lambda: "en" if lang() == "en" else "zh",
          timezone_selector=lambda: SHANGHAI.key)
    auth.init_login(app)
    for blueprint in (shell, auth.bp, lists.bp, decisions.bp, admin.bp, signing.bp):
        app.register_blueprint(blueprint)
    admin.init_admin(app)
    app.after_request(_headers)
    for code in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(code, _error)
    app.register_error_handler(500, _server_error)
    app.jinja_env.globals.update(L=label, lang=lang, local=local_time, due=due_time, csrf_form=CsrfForm,
                                 doc_kind=_doc_kind, notification_kind=_notification_kind)
    app.jinja_env.filters["local"] = local_time
