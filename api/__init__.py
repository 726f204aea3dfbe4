"""The web edge: Flask application factory. Pages and the REST API are thin adapters over ``workflow``.

So far this serves a read-only overview (decisions, their state, history and audit status); sign-in,
step forms and the REST API arrive with their own issues.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Settings, settings_or_exit
from config.production import refuse_unsafe
from config.runtime import open_core
from workflow.service import Juece


def create_app(settings: Settings | None = None, core: Juece | None = None) -> Flask:
    """Build the web application for ``settings`` (read from the environment when None)."""
    settings = settings or settings_or_exit()  # under gunicorn: one line naming the variable, then exit 1
    app = Flask(__name__)
    app.config["JUECE_SETTINGS"] = settings
    trusted = settings.trusted_proxies
    app.config["JUECE_TRUSTED_PROXIES"] = trusted
    if trusted:  # only behind proxies we were told of is X-Forwarded-For the client's address
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted)  # type: ignore[method-assign]
    app.extensions["juece"] = core or open_core(settings)
    # Under production mode an unsafe setting stops here: gunicorn reports "Worker failed to boot" and exits.
    refuse_unsafe(settings, app.extensions["juece"])
    from api import availability, headers, request_scope, transparency, v1, web

    request_scope.init_app(app)
    web.init_app(app)
    v1.init_app(app)
    headers.init_app(app, v1.PREFIX)
    availability.init_app(app)
    app.register_blueprint(transparency.bp)
    return app
