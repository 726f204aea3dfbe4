"""The web edge: Flask application factory. Pages and the REST API are thin adapters over ``workflow``.

So far this serves a read-only overview (decisions, their state, history and audit status); sign-in,
step forms and the REST API arrive with their own issues.
"""

from __future__ import annotations

from flask import Flask

from config import Settings, load_settings
from config.runtime import open_core
from workflow.service import Juece


def create_app(settings: Settings | None = None, core: Juece | None = None) -> Flask:
    """Build the web application for ``settings`` (read from the environment when None)."""
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config["JUECE_SETTINGS"] = settings
    app.extensions["juece"] = core or open_core(settings)
    from api import transparency, v1, web

    web.init_app(app)
    v1.init_app(app)
    app.register_blueprint(transparency.bp)
    return app
