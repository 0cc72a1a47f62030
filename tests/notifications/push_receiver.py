"""A Web Push service on 127.0.0.1 for tests: it holds the browsers' private keys, decrypts
what arrives (aes128gcm, RFC 8291) and checks the VAPID signature (RFC 8292), as a
browser vendor's push service and the browser together would."""
from __future__ import annotations

import base64
import json
import os
import threading
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
        self.condition = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.accept(self.path.strip("/"), self.headers, body, self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def browser(self, name: str, status: int = 201) -> dict:
        """A subscription as PushSubscription.toJSON() gives it; `status` is what the service answers."""
        self.browsers[name] = Browser(name, status)
        return {"endpoint": f"{self.origin}/{name}", "keys": self.browsers[name].keys(), "expirationTime": None}

    def accept(self, name: str, headers, body: bytes, handler: BaseHTTPRequestHandler) -> None:
        browser = self.browsers.get(name)
        status = browser.status if browser else 404
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
