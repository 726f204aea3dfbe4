"""Health checks and the answer every edge gives while the database cannot be reached.

* ``/healthz`` (liveness): the process answers; JSON ``{"status": "ok"}``, whatever the database does,
  so that an orchestrator does not restart a healthy web process because PostgreSQL restarts.
* ``/readyz`` (readiness): the database answers a query now and the broker accepts a connection; 200
  ``{"status": "ready"}``, else 503 ``{"status": "unavailable", "code": "database_unavailable"}`` (or
  ``broker_unavailable``) with ``Retry-After``. Always JSON. The embedded SQLite broker is a file beside the
  database, so it is reported ``embedded`` and not opened (opening creates its tables).
* A page whose database is unreachable is a 503 maintenance page in Chinese (English by the switch)
  with ``Retry-After``; ``/api/…`` paths outside the v1 blueprint get the problem document. Only
  connection-level failures count (``workflow.outage.unavailable``); any other database error
  stays a 500.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from kombu import Connection

from api.v1.problems import database_unavailable
from config.settings import Settings
from workflow.outage import DATABASE_ERRORS, RETRY_AFTER_SECONDS, unavailable
from workflow.service import Juece

bp = Blueprint("health", __name__)
HEALTH_PATHS = ("/healthz", "/readyz")
#: Seconds a readiness probe waits for the broker: well inside an orchestrator's health-check timeout.
BROKER_TIMEOUT_SECONDS = 2


def _json(body: dict[str, Any], status: int, retry: bool = False) -> Any:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if retry:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@bp.get("/healthz")
def healthz() -> Any:
    """Liveness: the process answers (the database is /readyz's business)."""
    return _json({"status": "ok"}, 200)


@bp.get("/readyz")
def readyz() -> Any:
    """Readiness: the database answers a query now; 503 JSON with Retry-After when it does not."""
    core: Juece = current_app.extensions["juece"]
    try:
        core.db.ping()
    except Exception as error:  # noqa: BLE001 - readiness answers JSON whatever went wrong
        reachable = not unavailable(error)
        current_app.logger.warning("readiness check failed: %s", error)
        return _json({"status": "unavailable", "database": "error" if reachable else "unreachable",
                      "code": "database_error" if reachable else "database_unavailable"}, 503, retry=True)
    broker = broker_state(current_app.config["JUECE_SETTINGS"])
    if broker == "unreachable":
        return _json({"status": "unavailable", "database": "ok", "broker": broker, "code": "broker_unavailable"},
                     503, retry=True)
    return _json({"status": "ready", "database": "ok", "broker": broker}, 200)


def broker_state(settings: Settings) -> str:
    """``ok`` when the broker accepts a connection now, ``unreachable`` when not, ``embedded`` for the SQLite file."""
    if settings.uses_embedded_broker:
        return "embedded"
    try:
        with Connection(settings.broker_url, connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
            # One attempt, no back-off: the orchestrator asks again at its own interval.
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as error:  # noqa: BLE001 - any failure to connect means "not ready"
        current_app.logger.warning("readiness check: broker unreachable: %s", error)
        return "unreachable"
    return "ok"


def database_error(error: BaseException) -> Any:
    """The answer to a database that cannot be reached: JSON, a problem document or the maintenance page."""
    if not unavailable(error):
        raise error  # not an outage: the ordinary 500 path
    current_app.logger.warning("database unavailable in %s %s: %s", request.method, request.path, error)
    if request.path in HEALTH_PATHS:
        return _json({"status": "unavailable", "database": "unreachable", "code": "database_unavailable"}, 503,
                     retry=True)
    if request.path.startswith("/api/"):
        return database_unavailable()
    # Rendered without the context processors: Flask-Login's would ask the database who is signed in.
    page = current_app.jinja_env.get_template("maintenance.html").render(path=request.path)
    return page, 503, {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}


def health_error(error: Exception) -> Any:
    """Any other failure of a health path (a wrong method, a bug) is still JSON."""
    status = int(getattr(error, "code", None) or 500)
    return _json({"status": "error", "code": f"http_{status}"}, status)


def init_app(app: Flask) -> None:
    """Register the health checks and the database-unavailable answer for every path."""
    app.register_blueprint(bp)
    for cls in DATABASE_ERRORS:
        app.register_error_handler(cls, database_error)
