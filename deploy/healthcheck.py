"""Container health checks, with nothing but the Python standard library.

    python deploy/healthcheck.py http     # a web process: GET /healthz on $PORT answers 200
    python deploy/healthcheck.py worker   # a worker: its broker and database accept connections
    python deploy/healthcheck.py          # whichever fits the container's main process (PID 1)
    python deploy/healthcheck.py worker --wait 300   # poll until healthy (an init container)

A process that starts while `AMQP_URL` does not answer falls back to the in-process
bus for good (shared/bus.py), so Kubernetes pods wait for the broker first.

A worker has no HTTP port; what makes it useless is losing its broker or its
database, so that is what its check looks at (TCP connects, a few seconds at most).
Exits 0 when healthy, 1 otherwise, printing one JSON line either way.
"""
from __future__ import annotations

import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlparse

TIMEOUT = float(os.environ.get("HEALTHCHECK_TIMEOUT", "3"))
DEFAULT_PORTS = {"amqp": 5672, "amqps": 5671, "postgres": 5432, "postgresql": 5432}


def check_http() -> tuple[bool, dict]:
    port = int(os.environ.get("PORT") or 8000)
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return response.status == 200, {"url": url, "status": response.status}
    except (urllib.error.URLError, OSError) as exc:
        return False, {"url": url, "error": str(exc)[:200]}


def _database_url() -> str | None:
    service = os.environ.get("SERVICE_NAME", "")
    return os.environ.get(f"{service.upper()}_DATABASE_URL") or os.environ.get("DATABASE_URL")


def _reachable(url: str) -> tuple[bool, str]:
    parsed = urlparse(url)
    port = parsed.port or DEFAULT_PORTS.get(parsed.scheme, 0)
    target = f"{parsed.hostname}:{port}"  # no credentials in the output
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", port), timeout=TIMEOUT):
            return True, target
    except OSError as exc:
        return False, f"{target}: {exc}"


def check_worker() -> tuple[bool, dict]:
    results = {}
    for name, url in (("broker", os.environ.get("AMQP_URL")), ("database", _database_url())):
        if not url or url.startswith(("memory", "sqlite")):
            continue  # in-process bus or a local file: nothing to reach
        ok, where = _reachable(url)
        results[name] = {"ok": ok, "target": where}
    return all(r["ok"] for r in results.values()), results


def detect_mode() -> str:
    """`http` when the container runs gunicorn, else `worker`; one image serves both."""
    try:
        with open("/proc/1/cmdline", "rb") as handle:
            command = handle.read().replace(b"\0", b" ")
    except OSError:
        return "http"
    return "http" if b"gunicorn" in command else "worker"


def main(argv: list[str]) -> int:
    args = argv[1:]
    wait = 0.0
    if "--wait" in args:
        index = args.index("--wait")
        wait = float(args[index + 1])
        del args[index:index + 2]
    mode = args[0] if args else detect_mode()
    if mode not in ("http", "worker"):
        print(json.dumps({"message": "usage: healthcheck.py [http|worker] [--wait SECONDS]"}))
        return 2
    check = check_http if mode == "http" else check_worker
    deadline = time.monotonic() + wait
    healthy, details = check()
    while not healthy and time.monotonic() < deadline:
        time.sleep(1.0)
        healthy, details = check()
    print(json.dumps({"message": "healthy" if healthy else "unhealthy", "mode": mode, **details}))
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
