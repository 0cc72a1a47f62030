"""What many tests need: real databases and brokers, internal tokens, sample files."""
from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import struct
import subprocess
import threading
import time
import uuid
import zlib

import psycopg2

from services.registry import GATEWAY
from shared.internal_auth import Caller, sign_internal_token

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
SECRET = "test-internal-secret-" + "x" * 16
ISSUER = GATEWAY.name  # who signs internal tokens


def unique(prefix: str = "t") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def drop_pg_schema(schema: str) -> None:
    with contextlib.closing(psycopg2.connect(PG_URL)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def token(service: str, secret: str = SECRET, **caller) -> dict:
    return {"Authorization": "Bearer " + sign_internal_token(Caller(**caller), service, secret, ISSUER)}


def customer(user_id: int = 1, email: str | None = None, **extra) -> dict:
    return {"kind": "user", "user_id": user_id, "role": "customer",
            "email": email or f"user{user_id}@example.com", "name": f"user{user_id}", "locale": "en", **extra}


def agent(user_id: int = 900, tier: str = "standard", department: str | None = None) -> dict:
    return {"kind": "user", "user_id": user_id, "role": "agent", "email": f"agent{user_id}@support.example",
            "name": f"Agent {user_id}", "tier": tier, "department": department}


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real, valid PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def file_tuple(data: bytes, name: str) -> tuple:
    return (io.BytesIO(data), name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(app):
    """`app` listening on a free port in a thread (threaded, like `make run`): its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


class CallerClient:
    """Requests to one service's test client on behalf of one caller (an internal token per call).

    Each service's tests name the service in a two-line subclass.
    """

    service = ""

    def __init__(self, client, caller: dict):
        self.client = client
        self.caller = caller

    def headers(self, extra: dict | None = None) -> dict:
        return {**(extra or {}), **token(self.service, **self.caller)}

    def _call(self, method: str, path: str, headers: dict | None = None, **kw):
        return getattr(self.client, method)(path, headers=self.headers(headers), **kw)

    def get(self, path, **kw):
        return self._call("get", path, **kw)

    def post(self, path, **kw):
        return self._call("post", path, **kw)

    def put(self, path, **kw):
        return self._call("put", path, **kw)

    def delete(self, path, **kw):
        return self._call("delete", path, **kw)


def as_replicas(run, database, replicas: int = 2, rounds: int = 5) -> list:
    """`run()` called `rounds` times in each of `replicas` threads that start together (as scheduler
    replicas of one service would); each thread gives its database connection back. The answers
    of every call; an error in any thread fails the test."""
    barrier = threading.Barrier(replicas)
    answers: list = []
    errors: list[BaseException] = []

    def replica():
        try:
            barrier.wait(10)
            for _ in range(rounds):
                answers.append(run())
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            if not database.is_closed():
                database.close()

    threads = [threading.Thread(target=replica) for _ in range(replicas)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    return answers


def sigterm_burst(process: subprocess.Popen, signals: int = 400) -> None:
    """SIGTERMs a few to a few hundred microseconds apart until `process` exits, so that some land while it
    handles another (`make run-services` stopped by a signal to make's group: SIGTERM, then make's own)."""
    for gap in range(signals):
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        time.sleep(gap % 7 * 0.00003)
