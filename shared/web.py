"""What every service's Flask app has: the contract's errors, JSON logs, the
internal-token guard, health and readiness, and an OpenAPI document."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

import flask_smorest

# Every guarded request checks its internal token with PyJWT, which shared.internal_auth imports only when
# called (the worker processes check none). Imported with the app instead: gunicorn's master preloads it
# and its workers share it, rather than each loading PyJWT and cryptography (~11 MB) at its first request.
import jwt  # noqa: F401
import peewee
from flask import Flask, Response, g, jsonify, request
from flask import Request as FlaskRequest
from flask_smorest import Api
from webargs.flaskparser import FlaskParser, is_json_request

from shared import metrics, safe_input, tracing
from shared.bus import broker_reachable, is_memory
from shared.db import bind_to_app, readiness_check
from shared.errors import ApiError, ErrorSchema, error_response, from_http_exception, register_error_handlers
from shared.internal_auth import Caller, verify_internal_token
from shared.logs import configure_logging
from shared.openapi import ContractMarshmallowPlugin
from shared.routing import LazyBuildRule

log = logging.getLogger(__name__)

PUBLIC_ENDPOINTS = {"healthz", "readyz", "metrics", "api-docs.openapi_json", "static"}


class ContractApi(Api):
    """flask-smorest's Api, answering errors in the contract's shape, 400 for bad input.

    A blueprint's routes are registered at once and its OpenAPI description when the document is
    first read: describing every operation's schemas took a third of a service's start (0.3–0.6 s),
    which a service that is never asked for its document need not spend."""

    ERROR_SCHEMA = ErrorSchema

    def __init__(self, *args, **kwargs) -> None:
        self._undocumented: list[tuple[flask_smorest.Blueprint, str, list | None]] = []
        self._documenting = threading.Lock()
        super().__init__(*args, **kwargs)

    @property
    def spec(self):
        with self._documenting:
            while self._undocumented:
                blueprint, name, parameters = self._undocumented.pop(0)
                blueprint.register_views_in_doc(self, self._app, self._spec, name=name, parameters=parameters)
                self._spec.tag({"name": name, "description": blueprint.description})
        return self._spec

    @spec.setter
    def spec(self, value) -> None:
        self._spec = value

    def register_blueprint(self, blp, *, parameters=None, **options):
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def handle_http_exception(self, error):
        api_error = from_http_exception(error)
        return api_error.to_dict(), api_error.status, api_error.headers


class _ContractParser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400

    def _raw_load_json(self, req):
        """webargs parses bodies itself: with `safe_input`'s rules, like `request.get_json`."""
        if not is_json_request(req):
            return super()._raw_load_json(req)
        try:
            return safe_input.loads(req.get_data(cache=True))
        except safe_input.RefusedInput as exc:
            raise refused_input_error(exc) from None


def refused_input_error(refused: safe_input.RefusedInput) -> ApiError:
    """A value no database stores is bad input in a field; JSON too deep to read is not JSON."""
    if refused.path is None:
        return ApiError(400, "invalid_json", str(refused))
    return ApiError(400, "validation_error", "Some fields are missing or invalid.", {"fields": refused.fields()})


class ContractRequest(FlaskRequest):
    """A body that is not JSON, or JSON that `safe_input` refuses, is the contract's 400."""

    def on_json_loading_failed(self, e: ValueError | None):
        if isinstance(e, safe_input.RefusedInput):
            raise refused_input_error(e)
        if e is not None:
            raise ApiError(400, "invalid_json", "The request body is not valid JSON.")
        return super().on_json_loading_failed(e)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint; bad arguments are a 400 in the contract's shape."""

    ARGUMENTS_PARSER = _ContractParser()


def create_service_app(name: str, settings: dict, test_config: dict | None = None,
                       *, title: str, readiness: Callable[[], None] | None = None,
                       guard: bool = True) -> tuple[Flask, ContractApi]:
    """The Flask app of service `name`: defaults, then environment, then overrides."""
    configure_logging()
    app = Flask(name)
    app.url_rule_class = LazyBuildRule
    app.request_class = ContractRequest
    app.json = safe_input.SafeJSONProvider(app)
    # Before any route is added: ids in paths are 64-bit, a bigger one matches no route.
    app.url_map.converters["int"] = safe_input.Int64Converter
    app.config.update(
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_SORT_KEYS=False,
    )
    app.config.update(settings)
    if test_config:
        app.config.update(test_config)
    app.json.sort_keys = False
    api = ContractApi(app, spec_kwargs={"marshmallow_plugin": ContractMarshmallowPlugin(), "components": {
        "securitySchemes": {"internalToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}}})
    register_error_handlers(app)

    install_metrics(app, name)
    install_tracing(app, name, trust_incoming=guard)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok", service=name)

    @app.get("/readyz")
    def readyz():
        try:
            if readiness is not None:
                readiness()
            broker = app.config.get("AMQP_URL")
            if broker and not is_memory(broker) and not broker_reachable(broker, timeout=0.5):
                raise ConnectionError("the message broker does not answer")
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            log.warning("not ready", extra={"error": str(exc)[:200]})
            return error_response(ApiError(503, "not_ready", "A dependency is unreachable."))
        return jsonify(status="ready", service=name)

    @app.before_request
    def _refuse_unstorable_text():
        # Percent-decoding makes NULs of `%00`; no database stores them (PostgreSQL refuses them).
        if safe_input.text_problem(request.path):
            raise ApiError(404, "not_found", "No such endpoint.")
        problems = {name: [problem] for name, value in request.args.items(multi=True)
                    if (problem := safe_input.text_problem(name) or safe_input.text_problem(value))}
        if problems:
            raise ApiError(400, "validation_error", "Some query parameters are invalid.", {"fields": problems})

    if guard:
        @app.before_request
        def _require_internal_token():
            if request.endpoint in PUBLIC_ENDPOINTS:
                return None
            header = request.headers.get("Authorization", "")
            token = header[7:] if header.startswith("Bearer ") else None
            g.caller = verify_internal_token(token, name, app.config["INTERNAL_TOKEN_SECRET"],
                                             app.config.get("INTERNAL_TOKEN_PREVIOUS_SECRET"),
                                             issuer=app.config["INTERNAL_TOKEN_ISSUER"])
            return None

    return app, api


def install_metrics(app: Flask, name: str) -> None:
    """`/metrics`, and every request's duration by its route's template (never the raw path) and status."""
    @app.before_request
    def _start_clock():
        g.request_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        started = g.pop("request_started", None)
        if started is not None:
            route = g.pop("metrics_route", None) or (request.url_rule.rule if request.url_rule else "unmatched")
            metrics.observe_request(name, request.method, route, response.status_code, time.perf_counter() - started)
        return response

    @app.get("/metrics", endpoint="metrics")
    def metrics_text():
        # Scrapers reach the pod itself; a request through a proxy (the ingress, to the gateway) is an outsider's.
        if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
            raise ApiError(404, "not_found", "No such endpoint.")
        body, content_type = metrics.exposition()
        return Response(body, content_type=content_type)


def install_tracing(app: Flask, name: str, *, trust_incoming: bool) -> None:
    """A span per request: continuing the caller's `traceparent` where callers are the product's own
    (`trust_incoming`), a new trace at the gateway. No-op unless tracing is on (shared.tracing)."""
    tracing.configure(app.config.get("OTEL_EXPORTER_OTLP_ENDPOINT"), name)
    spans = tracing.ServerSpans(name, trust_incoming)

    @app.before_request
    def _start_span():
        g.server_span = spans.start(request.method, request.url_rule.rule if request.url_rule else "unmatched",
                                    request.headers)

    @app.after_request
    def _name_span(response):
        started = g.get("server_span")
        if started is not None:
            started[0].set_attribute("http.response.status_code", response.status_code)
            if route := g.get("metrics_route"):
                started[0].update_name(f"{request.method} {route}")
        return response

    @app.teardown_request
    def _end_span(_exc):
        spans.finish(g.pop("server_span", None))


def build_service(name: str, settings: dict, test_config: dict | None = None, *, title: str,
                  database: peewee.DatabaseProxy, init_database: Callable[[str, bool], peewee.Database],
                  blueprints: Sequence = (), init_extensions: Callable[[Flask], None] | None = None,
                  guard: bool = True) -> tuple[Flask, ContractApi, peewee.Database]:
    """The start-up every service shares, in one order: its settings (defaults, environment,
    then `test_config`), the app (`create_service_app`), its database (migrated unless
    `RUN_MIGRATIONS` is false) given to each request and checked by `/readyz`, what request
    code needs (`init_extensions`, the service's `extensions.init_app`), then its blueprints
    (flask-smorest's into the OpenAPI document, plain Flask ones as they are)."""
    app, api = create_service_app(name, settings, test_config, title=title, readiness=readiness_check(database),
                                  guard=guard)
    opened = init_database(app.config["DATABASE_URL"], app.config["RUN_MIGRATIONS"])
    bind_to_app(app, opened)
    if init_extensions is not None:
        init_extensions(app)
    for blueprint in blueprints:
        if isinstance(blueprint, flask_smorest.Blueprint):
            api.register_blueprint(blueprint)
        else:
            app.register_blueprint(blueprint)
    return app, api, opened


def current_caller() -> Caller:
    return g.caller



def load_body(schema, *, allow_multipart: bool = True) -> tuple[dict, list]:
    """Validate a JSON body, or a multipart form with its `files`, against `schema`.

    Returns the loaded fields and the uploaded files; bad input becomes the
    contract's 400 naming the fields.
    """
    import marshmallow as ma

    files: list = []
    if request.mimetype == "application/json":
        raw = request.get_json()
        if not isinstance(raw, dict):
            raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    elif allow_multipart and request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raw = {key: value for key, value in request.form.items() if value != ""}
        problems = {key: [problem] for key, value in raw.items()
                    if (problem := safe_input.text_problem(key) or safe_input.text_problem(value))}
        if problems:
            raise ApiError(400, "validation_error", "Some fields are missing or invalid.", {"fields": problems})
        files = request.files.getlist("files")
        unknown_files = set(request.files) - {"files"}
        if unknown_files:
            raise ApiError(400, "validation_error", "Some fields are missing or invalid.",
                           {"fields": {name: ["Unknown file field; use 'files'."] for name in unknown_files}})
    else:
        raise ApiError(415, "unsupported_media_type",
                       "Send JSON" + (" or multipart/form-data." if allow_multipart else "."))
    try:
        return schema.load(raw), files
    except ma.ValidationError as exc:
        raise ApiError(400, "validation_error", "Some fields are missing or invalid.",
                       {"fields": exc.messages}) from exc
