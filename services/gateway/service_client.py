"""The gateway's HTTP client to the services: kept-alive connections, the internal token
naming the caller, and 503 in the contract's shape when a service cannot be reached in time."""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import select
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPException, HTTPResponse, HTTPSConnection
from urllib.parse import quote, urlsplit

from shared import clock, tracing
from shared.errors import ApiError
from shared.internal_auth import Caller, sign_internal_token

log = logging.getLogger(__name__)

# A live stream sends a heartbeat every few seconds; a quiet minute means it is gone.
STREAM_READ_TIMEOUT = 60.0
STREAM_CHUNK = 65536
# What a query keeps as it is (RFC 3986: sub-delims, ":", "@", "/", "?", and "%" of its escapes);
# anything else (a raw space or byte above 127 a client sent) is escaped, as urllib3 did.
QUERY_SAFE = "!$&'()*+,;=:@/?%"
REPEATABLE = {"GET", "HEAD", "OPTIONS"}  # sent again on a new connection when a kept-alive one failed
TOKEN_REUSE = dt.timedelta(seconds=30)  # internal tokens live 60 s


@dataclass
class Answer:
    """A service's answer: its status, its headers as sent, its body (or, streamed, `chunks`)."""
    status: int
    headers: list[tuple[str, str]]
    data: bytes
    chunks: Iterator[bytes] | None = None


class UpstreamClient:
    """Kept-alive connections to the services (the standard library's `http.client`): one per
    service and thread, so a request takes no lock and no pool's bookkeeping."""

    def __init__(self, service_urls: dict[str, str], connect_timeout: float, read_timeout: float, secret: str,
                 issuer: str) -> None:
        self.addresses = {name: _address(url) for name, url in service_urls.items()}
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.secret = secret
        self.issuer = issuer
        self._local = threading.local()
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
                body: bytes | None = None, headers: dict | None = None, stream: bool = False) -> Answer:
        """The service's answer, read whole; with `stream`, its body as `chunks` while they come."""
        if service not in self.addresses:
            raise ApiError(404, "not_found", "No such endpoint.")
        outgoing = dict(headers or {})
        outgoing["Authorization"] = "Bearer " + self.internal_token(caller or Caller(kind="anonymous"), service)
        tracing.inject(outgoing)  # the service's span continues this request's trace
        target = path + ("?" + quote(query, safe=QUERY_SAFE, encoding="latin-1") if query else "")
        try:
            if stream:
                return self._open_stream(service, method, target, body, outgoing)
            return self._exchange(service, method, target, body, outgoing)
        except TimeoutError:
            log.warning("upstream timed out", extra={"service": service, "path": path})
            raise ApiError(503, "service_unavailable",
                           f"The {service} service did not answer in time; please try again.") from None
        except (OSError, HTTPException):
            log.warning("upstream unreachable", extra={"service": service, "path": path})
            raise ApiError(503, "service_unavailable",
                           f"The {service} service is unavailable; please try again shortly.") from None

    def _exchange(self, service: str, method: str, target: str, body: bytes | None, headers: dict) -> Answer:
        """One request on this thread's connection to `service`. A kept-alive connection the service
        closed meanwhile is opened again once: before the request if it is seen closed, else after
        it failed, if the request was not sent whole or may be repeated."""
        conn, reused = self._connection(service)
        while True:
            sent = False
            try:
                conn.request(method, target, body, headers)
                sent = True
                response = conn.getresponse()
                return Answer(response.status, response.getheaders(), response.read())
            except ConnectionError:
                self._forget(service)
                if not reused or (sent and method not in REPEATABLE):
                    raise
            except BaseException:
                self._forget(service)
                raise
            conn, reused = self._connection(service)  # a new one: not tried twice

    def _connection(self, service: str) -> tuple[HTTPConnection, bool]:
        """This thread's open connection to `service`, and whether it served a request before."""
        local = self._local
        if getattr(local, "pid", None) != os.getpid():  # a forked worker shares no socket with its parent
            local.pid, local.connections = os.getpid(), {}
        conn = local.connections.get(service)
        if conn is not None and conn.sock is not None and not readable(conn.sock):
            return conn, True
        if conn is not None:  # closed by the service, or it sent what was not asked for
            conn.close()
        conn = local.connections[service] = self._connect(service, self.read_timeout)
        return conn, False

    def _forget(self, service: str) -> None:
        conn = self._local.connections.pop(service, None)
        if conn is not None:
            conn.close()

    def _connect(self, service: str, read_timeout: float, connect_timeout: float | None = None) -> HTTPConnection:
        scheme, host, port = self.addresses[service]
        conn = (HTTPSConnection if scheme == "https" else HTTPConnection)(
            host, port, timeout=connect_timeout or self.connect_timeout)
        conn.connect()  # http.client sets TCP_NODELAY: a request's last packet leaves at once
        conn.sock.settimeout(read_timeout)
        return conn

    def _open_stream(self, service: str, method: str, target: str, body: bytes | None, headers: dict) -> Answer:
        """A stream on a connection of its own, closed when the stream ends (one side went away)."""
        conn = self._connect(service, STREAM_READ_TIMEOUT)
        try:
            conn.request(method, target, body, headers)
            response = conn.getresponse()
        except BaseException:
            conn.close()
            raise
        return Answer(response.status, response.getheaders(), b"", chunks=_chunks(conn, response))

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
        """A service's public document (its OpenAPI), on a connection of its own."""
        conn = self._connect(service, timeout, connect_timeout=timeout)
        try:
            conn.request("GET", path)
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()


def readable(sock) -> bool:
    """Whether a kept-alive socket has something to read now: the service closed it, or sent what was
    not asked for; either way it cannot carry the next request."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


def _address(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def _chunks(conn: HTTPConnection, response: HTTPResponse) -> Iterator[bytes]:
    """A streamed body as the service sends it; the connection is closed when the stream ends."""
    try:
        while chunk := response.read1(STREAM_CHUNK):
            yield chunk
    finally:
        response.close()
        conn.close()
