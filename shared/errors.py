"""One error shape for every service:
`{"error": {"code": "snake_case", "message": "for a person", "details": {}}}`."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import marshmallow as ma
import peewee

if TYPE_CHECKING:  # a worker process raises ApiError without loading Flask
    from flask import Flask
    from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


class ApiError(Exception):
    """An outcome other than success, in the contract's shape."""

    def __init__(self, status: int, code: str, message: str, details: dict | None = None,
                 headers: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class ErrorDetailSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"pattern": "^[a-z][a-z0-9_]*$"})
    message = ma.fields.String(required=True)
    details = ma.fields.Dict(required=True)


class ErrorSchema(ma.Schema):
    """The error body, for the OpenAPI documents."""

    error = ma.fields.Nested(ErrorDetailSchema, required=True)


def not_found(what: str = "resource") -> ApiError:
    return ApiError(404, "not_found", f"The {what} does not exist or is not yours.")


def error_response(error: ApiError):
    from flask import jsonify

    response = jsonify(error.to_dict())
    response.status_code = error.status
    for key, value in error.headers.items():
        response.headers[key] = value
    return response


def from_http_exception(exc: HTTPException) -> ApiError:
    """Turn werkzeug's and webargs' exceptions into the contract's error."""
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    # werkzeug's own, e.g. `Allow` of a 405 (RFC 9110 requires it)
    headers = {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    if messages is not None:
        # webargs puts field errors under their location ("json", "query", ...).
        details = {"fields": _flatten_locations(messages)}
        return ApiError(400, "validation_error", "Some fields are missing or invalid.", details, headers)
    if status == 400 and "JSON" in (exc.description or ""):
        return ApiError(400, "invalid_json", "The request body is not valid JSON.")
    if status == 413:
        return ApiError(413, "payload_too_large", "The request is too large.")
    if status == 429:
        return ApiError(429, "rate_limited", "Too many attempts; please wait and try again.",
                        {"limit": str(exc.description)}, headers)
    message = data.get("message") or exc.description or exc.name
    if status >= 500:
        message = "Something went wrong on our side."
    return ApiError(status, _CODES.get(status, "error"), message, {}, headers)


def _flatten_locations(messages: dict) -> dict:
    if isinstance(messages, dict) and set(messages) <= {"json", "query", "form", "files", "headers", "view_args", "path"}:
        merged: dict = {}
        for value in messages.values():
            if isinstance(value, dict):
                merged.update(value)
            else:
                merged["_schema"] = value
        return merged
    return messages


def register_error_handlers(app: Flask) -> None:
    from werkzeug.exceptions import HTTPException

    app.register_error_handler(ApiError, error_response)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return error_response(from_http_exception(exc))

    @app.errorhandler(peewee.OperationalError)
    @app.errorhandler(peewee.InterfaceError)
    def _database_unavailable(exc: Exception):
        # The database is down, restarting or unreachable: the transaction rolled back, nothing half-written.
        log.exception("database unavailable", extra={"error_type": type(exc).__name__})
        return error_response(ApiError(503, "service_unavailable", "The service is briefly unavailable; "
                                       "please try again.", headers={"Retry-After": "5"}))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error", extra={"error_type": type(exc).__name__})
        return error_response(ApiError(500, "internal_error", "Something went wrong on our side."))
