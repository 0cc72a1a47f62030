"""Forwarding to the services: one pooled HTTP client, the internal token naming
the caller, the services' errors passed through, and 503 in the contract's shape
when a service cannot be reached in time."""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass
from urllib.parse import quote

import urllib3
from flask import Response, current_app, request, stream_with_context

from services.gateway.identity import GRANT_KEY, apply_guest_grant
from shared import clock, tracing
from shared.errors import ApiError
from shared.internal_auth import Caller, sign_internal_token

log = logging.getLogger(__name__)

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "content-length", "content-encoding", "set-cookie", "server", "date"}
STREAM_READ_TIMEOUT = 60.0
TOKEN_REUSE = dt.timedelta(seconds=30)  # internal tokens live 60 s
FORWARDED_REQUEST_HEADERS = ("Content-Type", "Accept", "Accept-Language", "X-Request-ID", "Last-Event-ID")


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern
    service: str
    access: str  # "user" | "agent" | "caller" (user or guest) | "public"
    stream: bool = False


# The ids the services put in paths, as they make them: ticket numbers are digits
# (tickets.core.workflow.new_ticket_number makes 8, the column holds 12), attachments uuid4 strings,
# chats 32 hex digits (tickets.chat.conversation.new_chat_id), the rest 64-bit integers. A path whose id is
# malformed matches no route: 404 here, without a call to a service.
ID_FORMATS = {
    "number": r"[0-9]{1,12}",
    "uuid": r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "chat": r"[0-9a-f]{32}",
    "int": r"(?P<int_id>[0-9]{1,19})",  # and at most 2**63 - 1, checked in find_route
    "word": r"[a-z][a-z0-9-]*",  # a fixed name beside the ids (`read-all`, `stream`, `boxes`)
}
MAX_INT_ID = 2 ** 63 - 1


def route(regex: str, service: str, access: str = "user", stream: bool = False) -> Route:
    return Route(re.compile(regex.format(**ID_FORMATS)), service, access, stream)


# First match wins: the agents' video paths sit under tickets' paths but belong to video.
ROUTES: list[Route] = [
    route(r"^/api/v1/agent/tickets/{number}/video-calls$", "video", "agent"),
    route(r"^/api/v1/agent/video-calls(/({int}|{word})(/.*)?)?$", "video", "agent"),
    route(r"^/api/v1/agent/chats/{chat}/stream$", "tickets", "agent", stream=True),
    route(r"^/api/v1/agent/tickets(/{number}(/.*)?)?$", "tickets", "agent"),
    route(r"^/api/v1/agent/chats(/{chat}(/.*)?)?$", "tickets", "agent"),
    route(r"^/api/v1/agent/help(/.*)?$", "tickets", "agent"),
    route(r"^/api/v1/agent/(agents|me/status|search|macros(/{int})?|reports/(summary|tickets\.csv))$",
          "tickets", "agent"),
    route(r"^/api/v1/admin/(sla-policies|calendars)$", "tickets", "agent"),
    route(r"^/api/v1/tickets/limits$", "tickets", "public"),
    route(r"^/api/v1/tickets(/{number}(/.*)?)?$", "tickets", "caller"),
    route(r"^/api/v1/attachments/{uuid}$", "tickets", "caller"),
    route(r"^/api/v1/guest/tickets(/{number}(/.*)?)?$", "tickets", "public"),
    route(r"^/api/v1/help(/.*)?$", "tickets", "public"),
    route(r"^/api/v1/chats/{chat}/stream$", "tickets", "public", stream=True),
    route(r"^/api/v1/chats(/{chat}(/.*)?)?$", "tickets", "public"),
    route(r"^/api/v1/notifications/stream$", "notifications", "user", stream=True),
    route(r"^/api/v1/(notifications|notification-preferences|push|push-subscriptions)(/({int}|{word})(/.*)?)?$",
          "notifications", "user"),
    route(r"^/api/v1/guest/video-calls(/.*)?$", "video", "public"),
    route(r"^/api/v1/video-calls(/({int}|{word})(/.*)?)?$", "video", "caller"),
    route(r"^/api/v1/(referrals|assets)(/{word}(/({int}|{word})(/.*)?)?)?$", "referrals", "user"),
]


def find_route(path: str) -> Route | None:
    """The route of a (decoded) path; None for no route, a malformed id, or a `.`/`..` segment
    (which the HTTP client would resolve into another service path than the one checked here)."""
    if "/." in path and any(segment in (".", "..") for segment in path.split("/")):
        return None
    for candidate in ROUTES:
        match = candidate.pattern.match(path)
        if match is not None:
            int_id = match.groupdict().get("int_id")
            return None if int_id is not None and int(int_id) > MAX_INT_ID else candidate
    return None


def upstream_path(wsgi_path: str) -> str:
    """The path to send a service: the WSGI `PATH_INFO` (decoded, as latin-1 bytes) encoded
    again, so a `%3F`, `%23` or `%0A` the client sent stays part of its segment."""
    return quote(wsgi_path.encode("latin-1", "replace"), safe="/")


class UpstreamClient:
    """One keep-alive connection pool per service (urllib3), shared by the gateway's threads."""

    def __init__(self, service_urls: dict[str, str], pool_size: int, connect_timeout: float,
                 read_timeout: float, secret: str, issuer: str) -> None:
        self.service_urls = service_urls
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.secret = secret
        self.issuer = issuer
        # One pool per service, made once: a request neither parses a URL nor looks a pool up.
        self.pools = {name: urllib3.connection_from_url(url, maxsize=pool_size, block=False, retries=False)
                      for name, url in service_urls.items()}
        self.timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
        # A live stream sends a heartbeat every few seconds; a quiet minute means it is gone.
        self.stream_timeout = urllib3.Timeout(connect=connect_timeout, read=STREAM_READ_TIMEOUT)
        self._tokens: dict[tuple, tuple[dt.datetime, str]] = {}

    def internal_token(self, caller: Caller, service: str) -> str:
        """Signed once per caller and service for half the token's life: signing is per caller, not per request."""
        key = (service, caller.cache_key())
        now = clock.now()
        cached = self._tokens.get(key)
        if cached is not None and cached[0] <= now < cached[0] + TOKEN_REUSE:
            return cached[1]
        token = sign_internal_token(caller, service, self.secret, self.issuer)
        if len(self._tokens) > 10_000:
            self._tokens.clear()
        self._tokens[key] = (now, token)
        return token

    def request(self, service: str, method: str, path: str, caller: Caller | None, *, query: str = "",
                body: bytes | None = None, headers: dict | None = None,
                stream: bool = False) -> urllib3.BaseHTTPResponse:
        pool = self.pools.get(service)
        if pool is None:
            raise ApiError(404, "not_found", "No such endpoint.")
        outgoing = dict(headers or {})
        outgoing["Authorization"] = "Bearer " + self.internal_token(caller or Caller(kind="anonymous"), service)
        tracing.inject(outgoing)  # the service's span continues this request's trace
        try:
            return pool.urlopen(method, path + (f"?{query}" if query else ""), body=body, headers=outgoing,
                                timeout=self.stream_timeout if stream else self.timeout,
                                preload_content=not stream, redirect=False, retries=False)
        except (urllib3.exceptions.TimeoutError, urllib3.exceptions.ReadTimeoutError):
            log.warning("upstream timed out", extra={"service": service, "path": path})
            raise ApiError(503, "service_unavailable",
                           f"The {service} service did not answer in time; please try again.") from None
        except urllib3.exceptions.HTTPError:
            log.warning("upstream unreachable", extra={"service": service, "path": path})
            raise ApiError(503, "service_unavailable",
                           f"The {service} service is unavailable; please try again shortly.") from None

    def json(self, service: str, method: str, path: str, caller: Caller | None, *, payload: dict | None = None,
             query: str = "") -> tuple[int, dict]:
        """A call whose answer the gateway itself reads (not passed through)."""
        body = json.dumps(payload).encode() if payload is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        response = self.request(service, method, path, caller, query=query, body=body, headers=headers)
        try:
            return response.status, json.loads(response.data or b"{}")
        except ValueError:
            return response.status, {}

    def get_public(self, service: str, path: str, timeout: float = 2.0) -> dict:
        response = self.pools[service].urlopen("GET", path, timeout=timeout, retries=False)
        return json.loads(response.data)


def client() -> UpstreamClient:
    return current_app.extensions["upstream"]


def forward(target: Route, caller: Caller | None) -> Response:
    """Pass the request to the owning service and its answer back, headers filtered."""
    headers = forwarded_headers(request.headers.get)
    body = request.get_data(cache=False) if request.method not in ("GET", "HEAD") else None
    path = upstream_path(request.environ["PATH_INFO"])
    upstream = client().request(target.service, request.method, path, caller,
                                query=request.query_string.decode("latin-1"), body=body, headers=headers,
                                stream=target.stream)
    if target.stream:
        response_headers = [(k, v) for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP]
        def relay():
            try:
                yield from upstream.stream(None, decode_content=False)
            finally:
                # A stream ends when one side goes away: its connection is not fit for reuse.
                upstream.close()
                upstream.release_conn()

        response = Response(stream_with_context(relay()), status=upstream.status, headers=response_headers)
        response.headers["X-Accel-Buffering"] = "no"
        response.headers["Cache-Control"] = "no-cache"
        return response
    status, response_headers, content = finished_answer(target, upstream)
    if status < 300 and GRANT_KEY.encode() in content:
        body, cookies = apply_guest_grant(json.loads(content))
        response = Response(json.dumps(body), status=upstream.status, mimetype="application/json")
        response.headers["Cache-Control"] = "no-store"
        for name, value, options in cookies:
            response.set_cookie(name, value, **options)
        return response
    return Response(content, status=status, headers=response_headers)


def finished_answer(target: Route, upstream) -> tuple[int, list[tuple[str, str]], bytes]:
    """A service's whole answer as status, passed-through headers and body; a failure of the
    service outside the contract's shape becomes 502."""
    content = upstream.data
    if upstream.status >= 500 and not _is_contract_error(content):
        raise ApiError(502, "bad_gateway", f"The {target.service} service failed; please try again.")
    return upstream.status, [(k, v) for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP], content


def forwarded_headers(get) -> dict:
    """The request headers a service sees, read with `get(name)`."""
    return {name: value for name in FORWARDED_REQUEST_HEADERS if (value := get(name)) is not None}


def _is_contract_error(content: bytes) -> bool:
    return content.startswith(b'{"error"')
