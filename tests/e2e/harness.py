"""Start the whole product the way `make run` does, in a subprocess, on free ports.

Tests drive it over HTTP only, as an outside client would.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVICE_NAMES = ("tickets", "notifications", "video", "referrals")


@dataclass
class RunningProduct:
    base_url: str
    data_dir: Path
    env: dict
    process: subprocess.Popen
    log_path: Path
    http: requests.Session = field(default_factory=requests.Session)

    def url(self, path: str) -> str:
        return self.base_url + path

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_product(tmp_path: Path, extra_env: dict | None = None, *, timeout: float = 60.0) -> RunningProduct:
    """`python -m services run` with its own data folder, ports, exchange and queues.

    A port found free may be taken before the product binds it (by any outgoing connection of the
    machine); the product then exits at once, and is started again on other ports."""
    for attempt in (1, 2, 3):
        try:
            return _start_product(tmp_path, extra_env, timeout=timeout)
        except PortTaken:
            if attempt == 3:
                raise
    raise AssertionError("unreachable")


class PortTaken(RuntimeError):
    pass


def _start_product(tmp_path: Path, extra_env: dict | None, *, timeout: float) -> RunningProduct:
    port = free_port()
    data_dir = tmp_path / "data"
    env = dict(os.environ)
    for key in [k for k in env if k.endswith("_DATABASE_URL") or k in ("DATABASE_URL",)]:
        env.pop(key)
    env.update({
        "PORT": str(port),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "DATA_DIR": str(data_dir),
        "EVENT_EXCHANGE": f"test.events.{uuid.uuid4().hex[:8]}",
        "QUEUE_PREFIX": f"test-{uuid.uuid4().hex[:8]}.",
        "PASSWORD_HASH_MEMORY_KIB": "1024",
        "PASSWORD_HASH_TIME_COST": "1",
        "RATE_LIMIT_REGISTER": "1000/minute",
        "RATE_LIMIT_LOGIN": "1000/minute",
        "RATE_LIMIT_LOGIN_PER_EMAIL": "1000/minute",
        "RATE_LIMIT_CHATS": "1000/minute",
        "RATE_LIMIT_CHATS_PER_EMAIL": "1000/minute",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    })
    for name in SERVICE_NAMES:
        env[f"{name.upper()}_URL"] = f"http://127.0.0.1:{free_port()}"
    env["MAIL_CATCHER_PORT"] = str(free_port())
    env.update(extra_env or {})
    tmp_path.mkdir(parents=True, exist_ok=True)
    log_path = tmp_path / "product.log"
    log_file = open(log_path, "w")
    process = subprocess.Popen([sys.executable, "-m", "services", "run"], cwd=ROOT, env=env,
                               stdout=log_file, stderr=subprocess.STDOUT)
    product = RunningProduct(f"http://127.0.0.1:{port}", data_dir, env, process, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            logs = product.logs()
            error = PortTaken if "is in use by another program" in logs else RuntimeError
            raise error("the product exited while starting:\n" + logs[-4000:])
        try:
            if requests.get(product.url("/readyz"), timeout=1).status_code == 200:
                return product
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    product.stop()
    raise RuntimeError("the product did not become ready:\n" + product.logs()[-4000:])


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.1, message: str = "condition"):
    """Poll until `predicate()` returns something truthy; return it."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}; last value: {last!r}")


class Client:
    """An outside client of the public API: a bearer token, or cookies with CSRF."""

    def __init__(self, product: RunningProduct, token: str | None = None):
        self.product = product
        self.session = requests.Session()
        self.token = token

    def _headers(self, headers: dict | None) -> dict:
        merged = dict(headers or {})
        if self.token:
            merged.setdefault("Authorization", f"Bearer {self.token}")
        return merged

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs["headers"] = self._headers(kwargs.get("headers"))
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.product.url(path), **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)


def register_and_login(product: RunningProduct, email: str | None = None, password: str = "correct horse 1",
                       **fields) -> Client:
    email = email or f"{uuid.uuid4().hex[:10]}@example.com"
    response = requests.post(product.url("/api/v1/auth/register"),
                             json={"email": email, "password": password, **fields}, timeout=30)
    assert response.status_code == 201, response.text
    return login(product, email, password)


def login(product: RunningProduct, email: str, password: str) -> Client:
    response = requests.post(product.url("/api/v1/auth/login"), json={"email": email, "password": password},
                             timeout=30)
    assert response.status_code == 200, response.text
    client = Client(product, response.json()["access_token"])
    client.user = response.json()["user"]
    client.email = email
    return client


def create_agent(product: RunningProduct, email: str | None = None, password: str = "agent password 1",
                 tier: str = "standard", department: str | None = None, supervisor: bool = False) -> Client:
    """`make create-agent`'s own command, against the product's data folder."""
    email = email or f"agent-{uuid.uuid4().hex[:8]}@support.example"
    args = [sys.executable, "-m", "services.gateway.cli", "create-agent", "--email", email, "--password", password,
            "--tier", tier]
    if department:
        args += ["--department", department]
    if supervisor:
        args.append("--supervisor")
    subprocess.run(args, cwd=ROOT, env=product.env, check=True, capture_output=True, timeout=60)
    return login(product, email, password)
