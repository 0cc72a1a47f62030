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

import pyotp
import requests

from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVICE_NAMES = ("tickets", "notifications", "video", "referrals")


@dataclass
class MfaKeys:
    """An account's authenticator, as the harness holds it: the TOTP secret, the recovery codes
    not yet spent, and the last time step used (the gateway refuses a code used before)."""

    secret: str
    recovery_codes: list[str]
    last_step: int = -1

    def next_code(self, wait: bool = True) -> str | None:
        """A TOTP code the gateway will take: a step after the last one used, within its ±1 step
        of drift, waiting for the clock when three logins have used them up (or, with
        `wait=False`, None instead of waiting)."""
        while True:
            now = time.time()
            step = int(now // 30)
            # The step before this one is still good while the gateway is in this one.
            earliest = step - 1 if now - step * 30 < 25 else step
            candidate = max(self.last_step + 1, earliest)
            if candidate <= step + 1:
                self.last_step = candidate
                return pyotp.TOTP(self.secret).generate_otp(candidate)
            if not wait:
                return None
            time.sleep((candidate - 1) * 30 - now + 0.05)


@dataclass
class RunningProduct:
    base_url: str
    data_dir: Path
    env: dict
    process: subprocess.Popen
    log_path: Path
    http: requests.Session = field(default_factory=requests.Session)
    # The second factors the harness enrolled, by email: what `login` answers the second step with.
    mfa_keys: dict[str, MfaKeys] = field(default_factory=dict)
    # The last full login of each account with 2FA, reused while it holds when a new one would
    # wait for the authenticator's next time step (a used code cannot be replayed).
    mfa_sessions: dict[str, requests.Response] = field(default_factory=dict)

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


# The queues and exchanges of each product this test process started, deleted from the shared broker when the
# session ends (`delete_broker_names`), not when the product stops: tests start a product again on its queues.
BROKER_NAMES: list[dict] = []


def delete_broker_names() -> None:
    from bench.product import delete_queues

    for names in BROKER_NAMES:
        if names["AMQP_URL"].startswith("amqp"):
            delete_queues(names, names["AMQP_URL"])
    BROKER_NAMES.clear()


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
        # An email waits this long while the person has a page open (2 minutes by default), checked this often.
        "NOTIFICATIONS_READ_WAIT_SECONDS": "1",
        "NOTIFICATIONS_RELEASE_SECONDS": "0.2",
    })
    for name in SERVICE_NAMES:
        env[f"{name.upper()}_URL"] = f"http://127.0.0.1:{free_port()}"
    env["MAIL_CATCHER_PORT"] = str(free_port())
    env.update(extra_env or {})
    BROKER_NAMES.append({"QUEUE_PREFIX": env["QUEUE_PREFIX"], "EVENT_EXCHANGE": env["EVENT_EXCHANGE"],
                         "AMQP_URL": env.get("AMQP_URL") or ""})
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


def wait_for_count(count, target: int, *, progress=None, stall: float = 30.0, limit: float | None = None,
                   interval: float = 0.1, message: str = "count") -> int:
    """Poll `count()` until it reaches `target`, for as long as the work goes on (`progress()`, by default the
    count itself, keeps changing): a burst drains slowly on a loaded machine, not wrongly, and a fixed deadline
    would assert a throughput. Fails when nothing moves for `stall` seconds (something stuck or lost), or after
    `limit` seconds in all if given; the test's own timeout (pytest-timeout) bounds it in any case."""
    progress = progress or count
    started = changed = time.monotonic()
    last, moved = count(), progress()
    while last < target:
        now = time.monotonic()
        if now - changed > stall or (limit is not None and now - started > limit):
            why = f"no progress for {stall} s" if now - changed > stall else f"not done in {limit} s"
            raise AssertionError(f"timed out waiting for {message}: {last} of {target}, {why}")
        time.sleep(interval)
        last, current = count(), progress()
        if current != moved:
            moved, changed = current, time.monotonic()
    return last


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

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


def register_and_login(product: RunningProduct, email: str | None = None, password: str = "correct horse 1",
                       **fields) -> Client:
    email = email or f"{uuid.uuid4().hex[:10]}@example.com"
    response = requests.post(product.url("/api/v1/auth/register"),
                             json={"email": email, "password": password, **fields}, timeout=30)
    assert response.status_code == 201, response.text
    return login(product, email, password)


def login_response(product: RunningProduct, email: str, password: str) -> requests.Response:
    """`POST /auth/login`, and for an account with 2FA the second step with a code from the
    authenticator the harness enrolled (`product.mfa_keys`): the answer with the session."""
    response = requests.post(product.url("/api/v1/auth/login"), json={"email": email, "password": password},
                             timeout=30)
    assert response.status_code == 200, response.text
    if response.json().get("mfa_required"):
        keys = product.mfa_keys.get(email)
        assert keys is not None, f"{email} has 2FA on, and the harness does not hold its authenticator"
        code = keys.next_code(wait=False)
        if code is None and still_signed_in(product, product.mfa_sessions.get(email)):
            return product.mfa_sessions[email]
        response = requests.post(product.url("/api/v1/auth/login/mfa"), timeout=30,
                                 json={"mfa_token": response.json()["mfa_token"], "code": code or keys.next_code()})
        assert response.status_code == 200, response.text
        product.mfa_sessions[email] = response
    return response


def still_signed_in(product: RunningProduct, answer: requests.Response | None) -> bool:
    """Whether a login's session still holds (not logged out, not ended by a password change)."""
    if answer is None:
        return False
    check = requests.get(product.url("/api/v1/me"), timeout=30,
                         headers={"Authorization": "Bearer " + answer.json()["access_token"]})
    return check.status_code == 200


def login(product: RunningProduct, email: str, password: str) -> Client:
    response = login_response(product, email, password)
    client = Client(product, response.json()["access_token"])
    client.user = response.json()["user"]
    client.email = email
    return client


def enrol_totp(client: Client) -> MfaKeys:
    """Turn 2FA on for the client's account through the public API (its session counts as
    having passed the second factor); the harness keeps the authenticator for later logins."""
    offer = client.post("/api/v1/me/mfa/totp")
    assert offer.status_code == 201, offer.text
    keys = MfaKeys(secret=offer.json()["secret"], recovery_codes=[])
    confirmed = client.post("/api/v1/me/mfa/totp/confirm", json={"code": keys.next_code()})
    assert confirmed.status_code == 200, confirmed.text
    keys.recovery_codes = confirmed.json()["recovery_codes"]
    client.product.mfa_keys[client.email] = keys
    client.mfa = keys
    client.user = {**client.user, "mfa_enabled": True}
    return keys


def create_agent(product: RunningProduct, email: str | None = None, password: str = "agent password 1",
                 tier: str = "standard", department: str | None = None, supervisor: bool = False,
                 enrol_2fa: bool = True, editor: bool = False, name: str | None = None) -> Client:
    """`make create-agent`'s own command, against the product's data folder; then the agent
    enrols in 2FA (which `AGENT_MFA_REQUIRED` asks before any agent call), unless `enrol_2fa` is
    false: the client's session has passed the second factor, and `login` answers the second
    step for this agent."""
    email = email or f"agent-{uuid.uuid4().hex[:8]}@support.example"
    args = [sys.executable, "-m", "services.gateway.cli", "create-agent", "--email", email, "--password", password,
            "--tier", tier]
    if department:
        args += ["--department", department]
    if supervisor:
        args.append("--supervisor")
    if editor:
        args.append("--editor")
    if name:
        args += ["--name", name]
    subprocess.run(args, cwd=ROOT, env=product.env, check=True, capture_output=True, timeout=60)
    client = login(product, email, password)
    return with_2fa(client) if enrol_2fa else client


def with_2fa(client: Client) -> Client:
    """The client, its account enrolled in 2FA unless the harness already holds its authenticator."""
    if client.email not in client.product.mfa_keys:
        enrol_totp(client)
    return client
