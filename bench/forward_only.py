"""The least a gateway can be under gunicorn: a WSGI app that forwards each GET to the tickets
service (`TICKETS_URL`) on a kept-alive connection of its thread, with `http.client` as
`services/gateway/service_client.py` does, and passes the answer back. It reads no session,
checks no route, signs no token and filters no header: the client sends the internal token itself.

`bench/gateway_overhead.py` reads the ticket through it in turn with the direct read: what the
server and the upstream call cost before a gateway does any work of its own.
"""
from __future__ import annotations

import http.client
import os
import threading
from urllib.parse import urlsplit

_upstream = urlsplit(os.environ.get("TICKETS_URL", "http://127.0.0.1:8001"))
_local = threading.local()


def app(environ, start_response):
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = _local.connection = http.client.HTTPConnection(_upstream.hostname, _upstream.port, timeout=30)
    connection.request("GET", environ["PATH_INFO"], headers={"Authorization": environ.get("HTTP_AUTHORIZATION", "")})
    response = connection.getresponse()
    body = response.read()
    start_response(f"{response.status} {response.reason}", [
        ("Content-Type", response.getheader("Content-Type", "application/json")), ("Content-Length", str(len(body)))])
    return [body]
