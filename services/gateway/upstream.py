"""Forwarding to the services: which service owns a path, the request passed on with
the client of `service_client`, the services' answers and errors passed back."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import quote

from flask import Response, current_app, request, stream_with_context

from services.gateway.identity import GRANT_KEY, apply_guest_grant
from services.gateway.service_client import UpstreamClient
from shared.errors import ApiError
from shared.internal_auth import Caller

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "content-length", "content-encoding", "set-cookie", "server", "date"}
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
        response_headers = [(k, v) for k, v in upstream.headers if k.lower() not in HOP_BY_HOP]
        response = Response(stream_with_context(upstream.chunks), status=upstream.status, headers=response_headers)
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
    return upstream.status, [(k, v) for k, v in upstream.headers if k.lower() not in HOP_BY_HOP], content


def forwarded_headers(get) -> dict:
    """The request headers a service sees, read with `get(name)`."""
    return {name: value for name in FORWARDED_REQUEST_HEADERS if (value := get(name)) is not None}


def _is_contract_error(content: bytes) -> bool:
    return content.startswith(b'{"error"')
