"""Forwarding to the services: one pooled HTTP client, the internal token naming
the caller, the services' errors passed through, and 503 in the contract's shape
when a service cannot be reached in time."""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass

import requests
from flask import Response, current_app, request, stream_with_context
from requests.adapters import HTTPAdapter

from shared.errors import ApiError
from shared.internal_auth import Caller, sign_internal_token
from services.gateway.identity import GRANT_KEY, apply_guest_grant

log = logging.getLogger(__name__)

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "content-length", "content-encoding", "set-cookie", "server", "date"}
STREAM_READ_TIMEOUT = 60.0
FORWARDED_REQUEST_HEADERS = ("Content-Type", "Accept", "Accept-Language", "X-Request-ID", "Last-Event-ID")


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern
    service: str
    access: str  # "user" | "agent" | "caller" (user or guest) | "public"
    stream: bool = False


def route(regex: str, service: str, access: str = "user", stream: bool = False) -> Route:
    return Route(re.compile(regex), service, access, stream)


# First match wins: the agents' video paths sit under tickets' paths but belong to video.
ROUTES: list[Route] = [
    route(r"^/api/v1/agent/tickets/[^/]+/video-calls$", "video", "agent"),
    route(r"^/api/v1/agent/video-calls(/.*)?$", "video", "agent"),
    route(r"^/api/v1/agent/(tickets|help|chats)(/.*)?$", "tickets", "agent"),
    route(r"^/api/v1/tickets(/.*)?$", "tickets", "caller"),
    route(r"^/api/v1/attachments/[^/]+$", "tickets", "caller"),
    route(r"^/api/v1/guest/tickets(/.*)?$", "tickets", "public"),
    route(r"^/api/v1/help(/.*)?$", "tickets", "public"),
    route(r"^/api/v1/chats(/.*)?$", "tickets", "public"),
    route(r"^/api/v1/notifications/stream$", "notifications", "user", stream=True),
    route(r"^/api/v1/(notifications|notification-preferences|push|push-subscriptions)(/.*)?$",
          "notifications", "user"),
    route(r"^/api/v1/guest/video-calls(/.*)?$", "video", "public"),
    route(r"^/api/v1/video-calls(/.*)?$", "video", "caller"),
    route(r"^/api/v1/(referrals|assets)(/.*)?$", "referrals", "user"),
]


def find_route(path: str) -> Route | None:
    return next((r for r in ROUTES if r.pattern.match(path)), None)


class UpstreamClient:
    """One requests.Session per gateway process: keep-alive connections, pooled per service."""

    def __init__(self, service_urls: dict[str, str], pool_size: int, connect_timeout: float,
                 read_timeout: float, secret: str) -> None:
        self.service_urls = service_urls
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.secret = secret
        self.session = requests.Session()
        self.session.trust_env = False
        adapter = HTTPAdapter(pool_connections=len(service_urls) or 1, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def request(self, service: str, method: str, path: str, caller: Caller | None, *, params=None,
                data=None, json=None, headers: dict | None = None, stream: bool = False) -> requests.Response:
        base = self.service_urls.get(service)
        if base is None:
            raise ApiError(404, "not_found", "No such endpoint.")
        outgoing = dict(headers or {})
        outgoing["Authorization"] = "Bearer " + sign_internal_token(caller or Caller(kind="anonymous"), service,
                                                                     self.secret)
        # A live stream sends a heartbeat every few seconds; a quiet minute means it is gone.
        timeout = (self.connect_timeout, STREAM_READ_TIMEOUT if stream else self.read_timeout)
        try:
            return self.session.request(method, base + path, params=params, data=data, json=json,
                                        headers=outgoing, timeout=timeout, stream=stream, allow_redirects=False)
        except requests.Timeout:
            log.warning("upstream timed out", extra={"service": service, "path": path})
            raise ApiError(503, "service_unavailable",
                           f"The {service} service did not answer in time; please try again.") from None
        except requests.ConnectionError:
            log.warning("upstream unreachable", extra={"service": service, "path": path})
            raise ApiError(503, "service_unavailable",
                           f"The {service} service is unavailable; please try again shortly.") from None

    def json(self, service: str, method: str, path: str, caller: Caller | None, **kwargs) -> tuple[int, dict]:
        """A call whose answer the gateway itself reads (not passed through)."""
        response = self.request(service, method, path, caller, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = {}
        return response.status_code, body


def client() -> UpstreamClient:
    return current_app.extensions["upstream"]


def forward(target: Route, caller: Caller | None) -> Response:
    """Pass the request to the owning service and its answer back, headers filtered."""
    headers = {name: request.headers[name] for name in FORWARDED_REQUEST_HEADERS if name in request.headers}
    body = request.get_data(cache=False) if request.method not in ("GET", "HEAD") else None
    upstream = client().request(target.service, request.method, request.path, caller,
                                params=request.args.to_dict(flat=False), data=body, headers=headers,
                                stream=target.stream)
    response_headers = [(k, v) for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP]
    if target.stream and upstream.status_code == 200:
        def relay():
            try:
                yield from upstream.iter_content(chunk_size=None)
            finally:
                upstream.close()

        response = Response(stream_with_context(relay()), status=upstream.status_code, headers=response_headers)
        response.headers["X-Accel-Buffering"] = "no"
        response.headers["Cache-Control"] = "no-cache"
        return response
    content = upstream.content
    upstream.close()
    if upstream.status_code >= 500 and not _is_contract_error(content):
        raise ApiError(502, "bad_gateway", f"The {target.service} service failed; please try again.")
    if upstream.status_code < 300 and GRANT_KEY.encode() in content:
        body, cookies = apply_guest_grant(json.loads(content))
        response = Response(json.dumps(body), status=upstream.status_code, mimetype="application/json")
        response.headers["Cache-Control"] = "no-store"
        for name, value, options in cookies:
            response.set_cookie(name, value, **options)
        return response
    return Response(content, status=upstream.status_code, headers=response_headers)


def _is_contract_error(content: bytes) -> bool:
    return content.startswith(b'{"error"')
