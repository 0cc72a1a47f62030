"""Error pages: a page address that fails answers an HTML page in the visitor's language with a
way back (404, 500, 503, and the rest by their class), while the API keeps the contract's JSON
error shape. Installed over the JSON handlers, which it calls for everything but pages."""
from __future__ import annotations

import logging

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from services.gateway.web.pages import render, viewer
from shared.errors import ApiError

log = logging.getLogger(__name__)

NOT_PAGES = ("/api/", "/ui/static/", "/healthz", "/readyz", "/metrics", "/sw.js")
KNOWN = (404, 500, 503)


def is_page_request() -> bool:
    return request.method in ("GET", "HEAD") and not request.path.startswith(NOT_PAGES)


def page_error(status: int):
    """The error page for `status`: 404, 500 and 503 have their own words; another 4xx reads
    as 404 (this page is not here for you), another 5xx as 500."""
    kind = status if status in KNOWN else (404 if status < 500 else 500)
    # Who is looking matters only for the header; a failing identity store must not fail the page.
    try:
        user = viewer() if status < 500 else None
    except Exception:  # noqa: BLE001 - the error page is the last resort
        user = None
    response = render("error.html", "error", user, status=status, kind=kind)
    if status == 503:
        response.headers["Retry-After"] = "30"
    return response


def install(app: Flask) -> None:
    """Route page requests' errors to `page_error`, the rest to the handlers already there."""
    previous = dict(app.error_handler_spec[None][None])

    def handle(error: Exception):
        if is_page_request():
            if isinstance(error, ApiError):
                status = error.status
            elif isinstance(error, HTTPException):
                status = error.code or 500
            else:
                log.exception("unhandled error on a page", extra={"error_type": type(error).__name__})
                status = 500
            if status < 400:
                return error
            return page_error(status)
        for kind in type(error).__mro__:
            if kind in previous:
                return previous[kind](error)
        raise error

    for kind in (ApiError, HTTPException, Exception):
        app.register_error_handler(kind, handle)
