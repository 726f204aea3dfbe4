"""One database connection per request, shared by every page helper, API route and service call in it.

Before each request the core's database binds a connection to the request's context (checked out at the
first query, so a static file or a health probe takes none); every ``read()`` and ``write()`` of the
request, the service's included, takes its transaction on it; the teardown returns it to the pool. Each
transaction stays as short as before: binding shares the connection, not one long transaction.
"""

from __future__ import annotations

from flask import Flask, current_app, g

from workflow.service import Juece


def _bind() -> None:
    core: Juece = current_app.extensions["juece"]
    g.juece_connection = core.db.bind()


def _release(_: BaseException | None) -> None:
    bound = g.pop("juece_connection", None)
    if bound is not None:
        bound.release()


def init_app(app: Flask) -> None:
    """Bind a connection for each request (before any other handler asks the database) and release it after."""
    app.before_request_funcs.setdefault(None, []).insert(0, _bind)
    app.teardown_request(_release)
