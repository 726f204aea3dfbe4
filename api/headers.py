"""Response headers outside the pages' own: the API's caching, the API docs page's CSP, and ``Server``.

The pages set theirs in ``api.web``. API answers carry people's data and tokens: no cache keeps them
(``no-store``). The docs page (Swagger UI) runs one inline script, allowed by its hash and nothing
else; it may not be framed. ``Server`` names no software version a scanner could match to a CVE.
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, request
from werkzeug.serving import WSGIRequestHandler
from werkzeug.wrappers import Response

#: Inline scripts of the docs page, allowed one by one by their hash.
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def docs_csp(html: str, assets: str) -> str:
    """The docs page's Content-Security-Policy: its assets' origin, and its inline scripts by hash only."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
                      for s in _INLINE_SCRIPT.findall(html))
    source = "'self'" if assets.startswith("/") else f"'self' {assets}"
    # Swagger UI styles its widgets from JavaScript; scripts stay limited to the assets and the hashes.
    return (f"default-src 'none'; script-src {source} {hashes}; style-src {source} 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class QuietHandler(WSGIRequestHandler):
    """Werkzeug's request handler for ``juece up``, saying ``Server: juece`` instead of its and Python's versions."""

    def version_string(self) -> str:
        """The ``Server`` header: a name, no version."""
        return "juece"


def init_app(app: Flask, prefix: str) -> None:
    """Set the API's ``Cache-Control`` and the docs page's headers on every answer."""
    docs, assets = f"{prefix}/docs", f"{prefix}/docs/assets/"

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.pop("Server", None)  # the server in front says its name (``QuietHandler``, gunicorn)
        path = request.path
        if path.startswith(prefix) and not path.startswith(assets):
            response.headers["Cache-Control"] = "no-store"
        if path == docs and response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = docs_csp(
                response.get_data(as_text=True), str(app.config.get("API_V1_OPENAPI_SWAGGER_UI_URL", assets)))
            response.headers["X-Frame-Options"] = "DENY"
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "no-referrer"
        return response
