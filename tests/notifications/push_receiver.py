"""A Web Push service on 127.0.0.1 for tests: it holds the browsers' private keys, decrypts
what arrives (aes128gcm, RFC 8291) and checks the VAPID signature (RFC 8292), as a
browser vendor's push service and the browser together would."""
from __future__ import annotations

import base64
import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    def __init__(self, name: str, status: int) -> None:
        self.name = name
        self.status = status
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    def keys(self) -> dict:
        point = self.private_key.public_key().public_bytes(serialization.Encoding.X962,
                                                           serialization.PublicFormat.UncompressedPoint)
        return {"p256dh": b64url(point), "auth": b64url(self.auth)}


class PushReceiver:
    def __init__(self) -> None:
        self.browsers: dict[str, Browser] = {}
        self.received: list[dict] = []
        self.hits: dict[str, int] = {}  # every POST per browser, whatever it was answered
        self.condition = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.accept(self.path.strip("/"), self.headers, body, self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host_port = f"127.0.0.1:{self.server.server_address[1]}"  # what PUSH_ALLOWED_HOSTS must name
        self.origin = f"http://{self.host_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def browser(self, name: str, status: int = 201) -> dict:
        """A subscription as PushSubscription.toJSON() gives it; `status` is what the service answers."""
        self.browsers[name] = Browser(name, status)
        return {"endpoint": f"{self.origin}/{name}", "keys": self.browsers[name].keys(), "expirationTime": None}

    def accept(self, name: str, headers, body: bytes, handler: BaseHTTPRequestHandler) -> None:
        browser = self.browsers.get(name)
        status = browser.status if browser else 404
        with self.condition:
            self.hits[name] = self.hits.get(name, 0) + 1
        if status == 201:
            claims = self.verify_vapid(headers)
            payload = http_ece.decrypt(body, private_key=browser.private_key, auth_secret=browser.auth,
                                       version=headers.get("Content-Encoding", "aes128gcm"))
            with self.condition:
                self.received.append({"browser": name, "payload": json.loads(payload), "claims": claims,
                                      "ttl": headers.get("TTL"), "vapid_key": self.vapid_key})
                self.condition.notify_all()
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def verify_vapid(self, headers) -> dict:
        scheme, _, params = headers["Authorization"].partition(" ")
        assert scheme == "vapid", scheme
        fields = dict(part.strip().split("=", 1) for part in params.split(","))
        self.vapid_key = fields["k"]
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(fields["k"]))
        return jwt.decode(fields["t"], public, algorithms=["ES256"], audience=self.origin)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict]:
        with self.condition:
            if not self.condition.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"expected {count} pushes, got {len(self.received)}")
            return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class ConnectionCounter:
    """A TCP listener on a port of its own (IPv4 and IPv6 loopback alike) that counts the connections it
    accepts and closes them: the worker's connection attempts, whatever protocol it would speak."""

    def __init__(self) -> None:
        self.peers: list[int] = []  # the client port of each accepted connection, in order
        self.lock = threading.Lock()
        try:
            self.sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            self.sock.bind(("::", 0))
        except OSError:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, peer = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.peers.append(peer[1])
            connection.close()

    def count_after_a_probe(self, timeout: float = 5.0) -> int:
        """Connect once ourselves and wait until that connection is accepted: connections are accepted in
        the order they were made, so every attempt before it has been counted by then. Returns the count
        of the others."""
        probe = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        probe_port = probe.getsockname()[1]
        probe.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if probe_port in self.peers:
                    return len(self.peers) - 1
            time.sleep(0.01)
        raise AssertionError("the listener did not accept the probe connection")

    def close(self) -> None:
        self.sock.close()
