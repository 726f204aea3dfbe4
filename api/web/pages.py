"""Read-only overview pages (zh-CN): the decision list and one decision's record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Flask, abort, current_app, render_template

from workflow.audit import verify_all
from workflow.errors import NotFound
from workflow.queries import list_decisions, show_decision
from workflow.service import Juece

bp = Blueprint("pages", __name__, template_folder="templates")
CST = dt.timezone(dt.timedelta(hours=8))


def _core() -> Juece:
    core: Juece = current_app.extensions["juece"]
    return core


@bp.app_template_filter("local")
def local_time(value: str | None) -> str:
    """An ISO instant shown in Asia/Shanghai."""
    if not value:
        return ""
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(CST).strftime("%Y-%m-%d %H:%M")


@bp.get("/")
def index() -> str:
    """All decisions with their current step."""
    core = _core()
    with core.db.read() as conn:
        rows = list_decisions(conn, core.catalog)
    return render_template("index.html", decisions=rows)


@bp.get("/decisions/<int:decision_id>")
def decision(decision_id: int) -> str:
    """One decision: tasks, deadlines, documents, history and whether its record verifies."""
    core = _core()
    with core.db.read() as conn:
        try:
            info: dict[str, Any] = show_decision(conn, core.catalog, decision_id, core.clock())
        except NotFound:
            abort(404)
        report = verify_all(conn, core.catalog, [decision_id])
    return render_template("decision.html", d=info, report=report)


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the database answers."""
    with _core().db.read() as conn:
        conn.exec_driver_sql("SELECT 1")
    return {"status": "ok"}


def register_errors(app: Flask) -> None:
    """Plain Chinese error pages; never a stack trace."""

    @app.errorhandler(404)
    def not_found(_: Exception) -> tuple[str, int]:
        return render_template("error.html", code=404, message="页面不存在 / Not found"), 404

    @app.errorhandler(500)
    def server_error(_: Exception) -> tuple[str, int]:
        return render_template("error.html", code=500, message="服务器内部错误 / Internal error"), 500
