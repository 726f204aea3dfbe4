"""The API docs page works in a real browser under its own Content-Security-Policy (nothing blocked)."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.web.test_browser import ARGS, CHROMIUM, _require


def test_swagger_ui_renders_under_its_csp_with_no_violation(app: Flask) -> None:
    _require(CHROMIUM.exists(), str(CHROMIUM))
    playwright = pytest.importorskip("playwright.sync_api")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with playwright.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
            page = browser.new_page()  # the CSP is enforced (no bypass_csp)
            messages: list[str] = []
            page.on("console", lambda m: messages.append(m.text))
            answer = page.goto(f"http://127.0.0.1:{server.server_port}/api/v1/docs")
            assert answer is not None and "sha256-" in answer.headers["content-security-policy"]
            page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
            assert "juece" in page.inner_text(".swagger-ui .info .title")
            assert not [m for m in messages if "Content Security Policy" in m or "Refused" in m], messages
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
