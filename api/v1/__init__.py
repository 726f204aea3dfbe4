"""The REST API under /api/v1: JSON over the same ``workflow`` core as the CLI and the pages.

* The OpenAPI 3.1 document is generated (flask-smorest + apispec) from the marshmallow schemas that
  validate the requests: ``/api/v1/openapi.json``, interactive at ``/api/v1/docs`` (Swagger UI served
  from the ``flask-swagger-ui`` package when installed, else from a CDN).
* Authentication: ``Authorization: Bearer <personal access token>`` only (``workflow.admin.tokens``).
* Errors: ``application/problem+json`` with the engine's code, article and bilingual messages; the
  status policy is in ``api.v1.problems`` and in the document's description.
* ETag / If-Match on decisions (412 when stale), ``Idempotency-Key`` on POST, a rate limit per token.
"""

from __future__ import annotations

import http
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import flask
from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_smorest import Api, Blueprint
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException, MethodNotAllowed, default_exceptions
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.routing import IntegerConverter, UnicodeConverter

from api.v1 import (
    idempotency,
    problems,
    route_helpers,
    routes_approvals,
    routes_comments_audit,
    routes_decisions,
    routes_deputies,
    routes_documents,
    routes_log,
    routes_people,
    routes_procedures,
    routes_records,
)
from api.v1.auth import authenticate, rate_key
from api.v1.schemas import IdempotencyHeaders, Problem
from api.v1.smorest_types import Blp
from config.settings import Settings
from workflow.admin import sessions
from workflow.engine.errors import WorkflowError
from workflow.outage import unavailable
from workflow.service import Juece

PREFIX = "/api/v1"
MAX_BODY = 25 * 1024 * 1024
CDN_SWAGGER_UI = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/"
LIMITER = "juece-api-v1-limiter"
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]

DESCRIPTION = """\
The major-decision engine (重大行政决策) over HTTP. Every change goes through the same audited core as
the command line; every refusal names its rule and article.

**Authentication**: `Authorization: Bearer jc_…`, a personal access token (an administrator issues it
with `POST /api/v1/users/{user_id}/tokens`). It acts with its person's roles, in its person's office;
another office's data does not exist for it. Session cookies are never accepted. A member of the
public (a person whose only role is `public`) sees only public material: decisions put out for comment,
announced for a hearing or published, their public documents and the person's own comments; anything
else (legality opinions, the audit trail, other people's comments, contract reviews) is a 404.

**Errors** are `application/problem+json` (RFC 9457) with `code` (stable), `article` and `rule` when a
hard rule refused, `message_zh`, `message_en`, and `field` for bad input:
400 malformed input (the field is named) · 401 no, unknown, expired or revoked token ·
403 not allowed for this person's roles · 404 no such resource (or another office's) or action ·
405 method not allowed · 409 action not possible in the current state, name taken, or the same
Idempotency-Key still in progress · 412 If-Match stale (who acted, what, when) · 413 body too large ·
415 a body that is not JSON · 422 refused by a hard rule, a year without an official calendar, or an
Idempotency-Key reused with a different request · 429 rate limit (Retry-After) · 503
`database_unavailable`: the database cannot be reached now (Retry-After); never a 500 for that.

**Signing**: a signed step (legality opinion, expert or adviser opinion, hearing record, the chief
executive's decision) is signed with the acting person's own key, which only their password opens:
send it in the `Juece-Signing-Password` header of that request. juece stores no copy and cannot sign
without it (403 `signing_password_required` / `signing_password_wrong`; 409 `no_signing_key` until the
person has set their own password). A deputy (代理) acts in their own name with `Juece-Deputy-Grant`.

**Concurrency**: a decision's `ETag` is its version; send it back in `If-Match` with an action.
**Retries**: send `Idempotency-Key` with a POST; a retry with the same key and body is answered from
the first answer (`Idempotent-Replayed: true`) and never acts twice. The key's record is written in the
same transaction as the action: an action that committed is replayed even when its first answer was a
503 or never arrived; one that did not commit runs when retried.
"""

TAGS = [
    ("procedures", "Procedure definitions and diagrams"),
    ("decisions", "Decisions: create, list, read"),
    ("actions", "Actions on a decision: the action's fields as the JSON body"),
    ("documents", "Document bytes by hash, and a decision's document versions"),
    ("comments", "Public comments on a decision"),
    ("audit", "The hash-chained record and its verification"),
    ("notifications", "The person's inbox"),
    ("users", "People of the office (admin role)"),
    ("tokens", "Personal access tokens"),
    ("deputies", "Deputy grants (代理): a person's role held by another for a period, granted and signed by the "
                 "chief executive"),
]


class _Parser(FlaskParser):
    """Validation errors are 400 (malformed input), not webargs' default 422."""

    DEFAULT_VALIDATION_STATUS = 400


class ApiBlueprint(Blueprint):  # type: ignore[misc]
    """The API's blueprint: its argument parser answers 400."""

    ARGUMENTS_PARSER = _Parser()


class IdConverter(IntegerConverter):
    """A positive id; the range (1 … 2**63-1) is checked by the blueprint, so a bad id is a problem 404."""


class Sha256Converter(UnicodeConverter):
    """A content hash; its form is checked by the view, so a bad one is a problem 404."""


def _id_schema(_: Any) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": route_helpers.MAX_ID}


def _sha_schema(_: Any) -> dict[str, Any]:
    return {"type": "string", "pattern": "^[0-9a-f]{64}$"}


class _Api(Api):  # type: ignore[misc]
    """flask-smorest on the plain app, with problem documents and without app-wide error handlers."""

    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        """The API blueprint translates its own errors; the pages keep theirs."""

    def _register_responses(self) -> None:
        self.spec.components.schema("Problem", schema=Problem)
        for status in http.HTTPStatus:
            if status >= 400:
                self.spec.components.response(status.name, problems.response_component(status), lazy=True)


def _swagger_ui_assets() -> Path | None:
    try:
        import flask_swagger_ui
    except ImportError:
        return None
    path = Path(flask_swagger_ui.__file__).parent / "dist"
    return path if (path / "swagger-ui-bundle.js").exists() else None


def _bad_json_value(value: Any, path: str) -> str | None:
    """The path of the first value no store can keep: NUL, lone surrogates, NaN or infinities."""
    if isinstance(value, str):
        if "\x00" in value:
            return path
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
    elif isinstance(value, float):
        if not math.isfinite(value):
            return path
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            bad = _bad_json_value(key, where) or _bad_json_value(item, where)
            if bad is not None:
                return bad
    elif isinstance(value, list):
        for index, item in enumerate(value):
            bad = _bad_json_value(item, f"{path}.{index}" if path else str(index))
            if bad is not None:
                return bad
    return None


def _check_body() -> Response | None:
    """A POST body is JSON an engine can store, or a 400/415 naming what is wrong."""
    data = request.get_data(cache=True)
    if not data:
        return None
    if not request.is_json:
        return problems.problem(415, "unsupported_media_type", "请求内容应为 JSON（application/json）",
                                "the body must be JSON (Content-Type: application/json)")
    try:
        value = json.loads(data)
        bad = _bad_json_value(value, "")
    except (ValueError, RecursionError):
        return problems.problem(400, "malformed_json", "请求内容不是有效的 JSON", "the body is not valid JSON",
                                field="body")
    if bad is not None:
        return problems.problem(400, "invalid_input", f"字段“{bad or 'body'}”含有无法保存的字符",
                                f"field '{bad or 'body'}' contains characters that cannot be stored (NUL, lone "
                                "surrogates, NaN or infinity)", field=bad or "body")
    return None


def _check_query() -> Response | None:
    for key, value in request.args.items(multi=True):
        if "\x00" in key or "\x00" in value:
            return problems.problem(400, "invalid_input", f"查询参数“{key}”含有无法保存的字符",
                                    f"query parameter '{key}' contains NUL", field=key.replace("\x00", ""))
    return None


def make_blueprint(core: Juece) -> ApiBlueprint:
    """The blueprint with every operation (action routes come from the catalogue's definitions)."""
    blueprint = ApiBlueprint("api_v1", __name__, url_prefix=PREFIX, description="juece REST API v1")
    blp = cast(Blp, blueprint)

    def problems_doc(*codes: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        wanted = sorted({400, 401, 429, *codes})

        def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
            for code in wanted:
                func = blp.alt_response(code, response=http.HTTPStatus(code).name)(func)
            return func

        return decorate

    # The order of registration is the order of the operations in the OpenAPI document and in /docs.
    routes_procedures.register(blp, core.catalog, problems_doc)
    routes_decisions.register(blp, core.catalog, problems_doc)
    routes_documents.register(blp, problems_doc)
    routes_comments_audit.register(blp, problems_doc)
    routes_records.register(blp, problems_doc)
    routes_approvals.register(blp, problems_doc)
    routes_people.register(blp, problems_doc)
    routes_log.register(blp, problems_doc)
    routes_deputies.register(blp, problems_doc)

    def catch_all(path: str) -> Response:
        """Unknown paths under /api/v1 are problem documents: 404, or 405 when another method fits."""
        allowed = allowed_methods()
        if allowed:
            raise MethodNotAllowed(valid_methods=sorted(allowed))
        raise HTTPNotFound()

    flask.Blueprint.add_url_rule(blueprint, "/<path:path>", "catch_all", catch_all, methods=METHODS,
                                 provide_automatic_options=False)
    flask.Blueprint.add_url_rule(blueprint, "/", "catch_all_root", catch_all, defaults={"path": ""}, methods=METHODS,
                                 provide_automatic_options=False)

    def allowed_methods() -> set[str]:
        adapter = current_app.url_map.bind_to_environ(request.environ)
        allowed = set()
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            try:
                endpoint, _ = adapter.match(request.path, method=method)
            except HTTPException:
                continue
            if endpoint not in (f"{blp.name}.catch_all", f"{blp.name}.catch_all_root"):
                allowed.add(method)
        if "GET" in allowed:
            allowed.add("HEAD")
        return allowed | {"OPTIONS"} if allowed else set()

    @blp.before_request
    def before() -> Response | None:
        request.max_content_length = MAX_BODY
        if request.method == "OPTIONS":  # the methods of this path only (not the catch-all's), no token needed
            allowed = allowed_methods()
            if not allowed:
                raise HTTPNotFound()
            response = current_app.response_class(status=204)
            response.headers["Allow"] = ", ".join(sorted(allowed))
            return response
        if request.endpoint in (f"{blp.name}.catch_all", f"{blp.name}.catch_all_root"):
            return None
        who = authenticate()
        for value in (request.view_args or {}).values():
            if isinstance(value, int) and not 1 <= value <= route_helpers.MAX_ID:
                raise HTTPNotFound()
        checked = _check_query()
        if checked is None and request.method == "POST":
            if request.endpoint != f"{blp.name}.upload":
                checked = _check_body()
            key = request.headers.get(idempotency.HEADER)
            if checked is None and key is not None:
                errors = IdempotencyHeaders().validate({idempotency.HEADER: key})
                if errors:
                    return problems.validation_problem(problems._flatten(errors))
                return idempotency.begin(who, key)
        return checked

    @blp.after_request
    def after(response: Response) -> Response:
        limiter: Limiter | None = current_app.extensions.get(LIMITER)
        current = limiter.current_limit if limiter is not None else None
        if current is not None:
            response.headers["X-RateLimit-Limit"] = str(current.limit.amount)
            response.headers["X-RateLimit-Remaining"] = str(current.remaining)
            response.headers["X-RateLimit-Reset"] = str(int(current.reset_at))
            if response.status_code == 429:
                response.headers["Retry-After"] = str(max(1, math.ceil(current.reset_at - time.time())))
        return idempotency.finish(response)

    @blp.errorhandler(WorkflowError)
    def workflow_error(error: WorkflowError) -> Response:
        if isinstance(error, sessions.WrongSigningPassword):  # counts towards the holder's sign-in lock-out
            sessions.record_failure(current_app.extensions["juece"], sessions.name_key(error.user))
        return problems.from_workflow_error(error)

    @blp.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        return problems.from_http_exception(error)

    # Handlers by status code outrank handlers by class, and the pages register theirs by code on the
    # app: the blueprint's by code come first for its own requests.
    for code in default_exceptions:
        blp.register_error_handler(code, http_error)

    @blp.teardown_request
    def teardown(_: BaseException | None) -> None:
        idempotency.abandon()

    @blp.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        if unavailable(error):
            current_app.logger.warning("database unavailable in %s %s: %s", request.method, request.path, error)
            return problems.database_unavailable()
        current_app.logger.exception("unexpected error in %s %s", request.method, request.path)
        code, zh, en = problems.HTTP_CODES[500]
        return problems.problem(500, code, zh, en)

    return blueprint


def rate_limit_storage(settings: Settings) -> str:
    """Where the rate-limit counters live: ``JUECE_RATE_LIMIT_STORAGE``, else a Redis broker, else memory.

    Counters in Redis are shared by every gunicorn worker and survive a restart; ``memory://`` is per process.
    """
    broker_url = settings.broker_url
    if settings.rate_limit_storage:
        return settings.rate_limit_storage
    if broker_url.startswith(("redis://", "rediss://", "redis+sentinel://")):
        return broker_url
    return "memory://"


def init_app(app: Flask) -> None:
    """Register the API, its OpenAPI document and docs page, and its rate limit."""
    core: Juece = app.extensions["juece"]
    assets = _swagger_ui_assets()
    app.config.setdefault("API_V1_OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("API_V1_OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_V1_OPENAPI_SWAGGER_UI_PATH", "docs")
    app.config.setdefault("API_V1_OPENAPI_SWAGGER_UI_URL", f"{PREFIX}/docs/assets/" if assets else CDN_SWAGGER_UI)
    # A token typed into the docs page stays in that page's memory: never in localStorage for the next user.
    app.config.setdefault("API_V1_OPENAPI_SWAGGER_UI_CONFIG", {"persistAuthorization": False, "validatorUrl": None})
    settings: Settings = app.config["JUECE_SETTINGS"]
    app.config.setdefault("JUECE_API_RATE_LIMIT", settings.api_rate_limit)
    app.config.setdefault("JUECE_API_RATELIMIT_STORAGE_URI", rate_limit_storage(settings))
    app.url_map.converters.setdefault(route_helpers.ID, IdConverter)
    app.url_map.converters.setdefault("juece_sha256", Sha256Converter)
    api = _Api(app, config_prefix="API_V1", spec_kwargs={
        "title": "juece 决策 API", "version": "1.0.0", "openapi_version": "3.1.0",
        "info": {"description": DESCRIPTION}, "security": [{"bearerAuth": []}]})
    api.register_converter(IdConverter, _id_schema)
    api.register_converter(Sha256Converter, _sha_schema)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer",
                                                       "description": "a personal access token (jc_…)"})
    for name, text in TAGS:
        api.spec.tag({"name": name, "description": text})
    blp = make_blueprint(core)
    limiter = Limiter(rate_key, app=app, storage_uri=app.config["JUECE_API_RATELIMIT_STORAGE_URI"],
                      headers_enabled=False, key_prefix="juece-api-v1")
    app.extensions[LIMITER] = limiter
    limiter.limit(lambda: str(current_app.config["JUECE_API_RATE_LIMIT"]))(blp)
    api.register_blueprint(blp)
    if assets is not None:
        static = flask.Blueprint("api_v1_docs_assets", __name__, url_prefix=f"{PREFIX}/docs/assets")

        @static.get("/<path:filename>")
        def docs_asset(filename: str) -> Response:
            return flask.send_from_directory(assets, filename, max_age=86400)

        app.register_blueprint(static)
