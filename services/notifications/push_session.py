"""The HTTP session that sends Web Push: it connects only to addresses push_safety.py checked, as it connects.

Apart from push_safety.py so that the processes which check endpoints but send no push (the web app) load no
requests or urllib3, and the push channel loads them with its first push (issue 23: about 4.5 MB).
"""
from __future__ import annotations

import socket
import sys

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from services.notifications.push_safety import EndpointRefused, is_exempt, resolve_public


class _CheckedAddressMixin:
    """urllib3's connection, resolving the host itself and connecting only to an address it checked."""

    allowed: frozenset[str] = frozenset()

    def _new_conn(self) -> socket.socket:
        host = self._dns_host.strip("[]").lower()
        if is_exempt(host.rstrip("."), self.port, self.allowed):
            return super()._new_conn()
        try:
            answers = resolve_public(host, self.port)
        except (socket.gaierror, UnicodeError) as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        error: OSError | None = None
        for *_, sockaddr in answers:
            try:
                sock = urllib3_connection.create_connection((sockaddr[0], self.port), self.timeout,
                                                            source_address=self.source_address,
                                                            socket_options=self.socket_options)
            except TimeoutError as exc:
                raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.") from exc
            except OSError as exc:
                error = exc
                continue
            sys.audit("http.client.connect", self, self.host, self.port)
            return sock
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}")


def checked_session(allowed: frozenset[str]) -> requests.Session:
    """A requests session for push services: checked addresses only, no proxies from the environment,
    no redirects (a push service answers; it does not send us elsewhere)."""
    attributes = {"allowed": allowed}
    http_connection = type("CheckedHTTPConnection", (_CheckedAddressMixin, HTTPConnection), attributes)
    https_connection = type("CheckedHTTPSConnection", (_CheckedAddressMixin, HTTPSConnection), attributes)
    pools = {"http": type("CheckedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_connection}),
             "https": type("CheckedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_connection})}

    class CheckedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = pools

        def proxy_manager_for(self, *args, **kwargs):
            raise EndpointRefused("Push services are called directly, not through a proxy.")

    session = requests.Session()
    session.trust_env = False
    session.max_redirects = 0
    adapter = CheckedAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
