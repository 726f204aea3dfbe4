"""The officials' web pages (server-rendered, zh-CN by default)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the pages and their error handlers."""
    from api.web import pages

    app.register_blueprint(pages.bp)
    pages.register_errors(app)
