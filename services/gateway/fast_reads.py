"""The product's hot path below Flask: GETs with a bearer token on a service's path.

Reading tickets, lists, inboxes and calls is most of the traffic. These requests
carry no cookie (so no CSRF), no body and no guest grant, and need nothing of a
page: they are authenticated, checked and forwarded by the same functions as in the
Flask view (`identity.identity_for_bearer`, `proxy.check_access`,
`upstream.finished_answer`), without building Flask's request and response objects.
Anything else goes on to the Flask app.
"""
from __future__ import annotations

import json
import time
from http import HTTPStatus

from services.gateway import audit, identity
from services.gateway.models import db
from services.gateway.proxy import check_access
from services.gateway.upstream import client, find_route, finished_answer, forwarded_headers, upstream_path
from shared import metrics
from shared.errors import ApiError


class FastReads:
    def __init__(self, flask_app, security_headers: dict[str, str]) -> None:
        self.flask_app = flask_app
        self.next = flask_app.wsgi_app
        # Every answer here is to a bearer token: private, never to be cached.
        self.own_headers = [*security_headers.items(), ("Cache-Control", "no-store")]
        self.own_names = {name.lower() for name, _ in self.own_headers}

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        if environ["REQUEST_METHOD"] != "GET" or not path.startswith("/api/v1/") \
                or not authorization.startswith("Bearer "):
            return self.next(environ, start_response)
        target = find_route(path)
        if target is None or target.stream:
            return self.next(environ, start_response)
        started = time.perf_counter()
        with self.flask_app.app_context():
            try:
                who = identity.identity_for_bearer(authorization[7:].strip())
                caller = who.caller
                check_access(target, caller, who.session)
                upstream = client().request(
                    target.service, "GET", upstream_path(path), caller, query=environ.get("QUERY_STRING", ""),
                    headers=forwarded_headers(lambda name: environ.get("HTTP_" + name.upper().replace("-", "_"))))
                status, headers, body = finished_answer(target, upstream)
                if caller.is_agent:  # staff reads go to the audit log
                    audit.record_staff_request(caller, "GET", path, status, environ.get("REMOTE_ADDR"))
            except ApiError as error:
                status, body = error.status, json.dumps(error.to_dict()).encode()
                headers = [("Content-Type", "application/json"), *error.headers.items()]
            finally:
                if not db.is_closed():
                    db.close()
        headers = [*(h for h in headers if h[0].lower() not in self.own_names), ("Content-Length", str(len(body))),
                   *self.own_headers]
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        metrics.observe_request("gateway", "GET", target.pattern.pattern, status, time.perf_counter() - started)
        return [body]
