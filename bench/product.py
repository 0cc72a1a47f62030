"""The product under load for bench/load.py: started as `make run` or `make run-services` does,
with a fresh data folder (and a fresh PostgreSQL database, exchange and queues), or one
already running; and the CPU time and memory (PSS) of its processes.

The started product's rate limits on sign-up and sign-in are raised (the bench makes its
customers through the API, one per client) and agents need no second factor (the bench's
agent has no authenticator); nothing else differs from what the two make targets start.
"""
from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from bench.common import ROOT, free_port, stop_tree, wait_ready
from services.registry import ALL, BACKENDS

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"
BENCH_SETTINGS = {
    "RATE_LIMIT_REGISTER": "100000/minute", "RATE_LIMIT_LOGIN": "100000/minute",
    "RATE_LIMIT_LOGIN_PER_EMAIL": "100000/minute", "AGENT_MFA_REQUIRED": "false",
    "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
}


@dataclass
class Product:
    """A product the bench drives: its gateway's URL, the root of its process tree (if known),
    the environment `make create-agent` needs, and how to stop it."""
    url: str
    root_pid: int | None = None
    env: dict = field(default_factory=dict)
    process: subprocess.Popen | None = None
    cleanup: list = field(default_factory=list)

    def processes(self) -> list[psutil.Process]:
        if self.root_pid is None:
            return []
        try:
            root = psutil.Process(self.root_pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def stop(self) -> None:
        """Stops what the bench started (a product it was only pointed at is left alone)."""
        if self.process is None:
            return
        stop_tree(self.process)
        for step in self.cleanup:
            with contextlib.suppress(Exception):
                step()


def _base_env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.endswith(("_DATABASE_URL", "_URL", "_PORT")) and k not in ("DATABASE_URL", "MAKEFLAGS")}
    env.update(BENCH_SETTINGS, DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    return env


def start_run(workdir: Path) -> Product:
    """`make run`: `python -m services run`, SQLite and the in-process bus, in a fresh data folder."""
    env = _base_env(workdir / "data")
    port = free_port()
    env.update(PORT=str(port), PUBLIC_URL=f"http://127.0.0.1:{port}", MAIL_CATCHER_PORT=str(free_port()))
    env.update({f"{s.name.upper()}_URL": f"http://127.0.0.1:{free_port()}" for s in BACKENDS})
    process = subprocess.Popen([sys.executable, "-m", "services", "run"], cwd=ROOT, env=env,
                               stdout=open(workdir / "product.log", "w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    product = Product(f"http://127.0.0.1:{port}", process.pid, env, process)
    _wait(product, [port], workdir / "product.log")
    return product


def start_services(workdir: Path, gunicorn_workers: int | None = None) -> Product:
    """`make run-services`: gunicorn per service and a process per worker (deploy/processes.py), on this machine's
    PostgreSQL (a database of its own) and RabbitMQ (an exchange and queues of their own)."""
    import psycopg2

    database = f"bench_{uuid.uuid4().hex[:10]}"
    _pg(psycopg2, f'CREATE DATABASE "{database}"')
    ports = {s.name: free_port() for s in ALL}
    env = _base_env(workdir / "data")
    env.update({
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{database}", "AMQP_URL": AMQP_URL,
        "EVENT_EXCHANGE": f"bench.events.{uuid.uuid4().hex[:8]}", "QUEUE_PREFIX": f"bench-{uuid.uuid4().hex[:8]}.",
        "PUBLIC_URL": f"http://127.0.0.1:{ports['gateway']}", "MAIL_CATCHER_PORT": str(free_port()),
        "RUN_SERVICES_ENV_FILE": str(workdir / "no-such.env"), "VENV": str(Path(sys.executable).parent.parent),
    })
    if gunicorn_workers:
        env["GUNICORN_WORKERS"] = str(gunicorn_workers)
    env.update({f"{name.upper()}_PORT": str(port) for name, port in ports.items()})
    env.update({f"{name.upper()}_URL": f"http://127.0.0.1:{port}" for name, port in ports.items() if name != "gateway"})
    process = subprocess.Popen(["make", "--no-print-directory", "-o", f"{env['VENV']}/.installed", "run-services"],
                               cwd=ROOT, env=env, stdout=open(workdir / "product.log", "w"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    product = Product(env["PUBLIC_URL"], process.pid, env, process)
    product.cleanup += [lambda: delete_queues(env), lambda: _pg(psycopg2, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')]
    try:
        _wait(product, list(ports.values()), workdir / "product.log", workers=len(ALL))
    except BaseException:
        product.stop()
        raise
    return product


def _wait(product: Product, ports: list[int], log: Path, workers: int = 0, timeout: float = 120) -> None:
    """Every port ready, and (deployed) every worker process saying it started."""
    deadline = time.monotonic() + timeout
    for port in ports:
        if product.process.poll() is not None:
            raise RuntimeError("the product exited while starting:\n" + log.read_text()[-3000:])
        wait_ready(port, timeout=max(1.0, deadline - time.monotonic()))
    while log.read_text(errors="replace").count('"worker started"') < workers:
        if time.monotonic() > deadline:
            raise RuntimeError("the workers did not start:\n" + log.read_text()[-3000:])
        time.sleep(0.3)


def _pg(psycopg2, sql: str) -> None:
    with contextlib.closing(psycopg2.connect(PG_ADMIN_URL)) as connection:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(sql)


def delete_queues(env: dict, amqp_url: str = AMQP_URL) -> None:
    """The queues (with their retry and dead-letter queues) and exchanges of a product started with
    `env`'s QUEUE_PREFIX and EVENT_EXCHANGE, on a shared broker; whatever is not there is skipped."""
    from services.notifications import config as notifications_config
    from shared.bus import connect

    names = [notifications_config.INBOX_QUEUE, notifications_config.EMAIL_QUEUE,
             notifications_config.PUSH_QUEUE] + [f"{s.name}.events" for s in ALL]
    with contextlib.suppress(Exception), connect(amqp_url) as connection:
        channel = connection.channel()
        for name in names:
            for suffix in ("", ".retry", ".dlq"):
                with contextlib.suppress(Exception):
                    channel.queue_delete(env["QUEUE_PREFIX"] + name + suffix)
        # The event exchange and the live-stream exchange the notifications service derives from it.
        for exchange in (env["EVENT_EXCHANGE"], env["EVENT_EXCHANGE"] + ".notifications.live"):
            with contextlib.suppress(Exception):
                channel.exchange_delete(exchange)


def create_agent(product: Product, email: str, password: str) -> None:
    """`make create-agent`'s command, against the started product's data."""
    subprocess.run([sys.executable, "-m", "services.gateway.cli", "create-agent", "--email", email,
                    "--password", password, "--tier", "senior"],
                   cwd=ROOT, env=product.env, check=True, capture_output=True, timeout=120)


def cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    """User + system CPU seconds of each live process, by pid."""
    found = {}
    for process in processes:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            found[process.pid] = times.user + times.system
    return found


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two snapshots; a process started in between counts whole (one that
    exited in between, e.g. a recycled gunicorn worker, loses its last stretch)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def backing_services() -> list[psutil.Process]:
    """PostgreSQL's and RabbitMQ's processes: shared by everything on this machine."""
    return [p for p in psutil.process_iter(["name"]) if p.info["name"] in ("postgres", "beam.smp")]


PARENT = "processes parent"


def forked(process: psutil.Process) -> str:
    """What a child of deploy/processes.py runs, by its process name (15 bytes of "<service>" or
    "<service>-worker"; a gunicorn's workers keep its master's): "<service>-worker" or "<service> gunicorn
    master/worker"; the parent's own name is left alone."""
    with contextlib.suppress(psutil.Error):
        name = process.name()
        for service in ALL:
            if name.startswith(service.name + "-"):
                return f"{service.name}-worker"
            if name == service.name:
                return f"{service.name} gunicorn {'master' if process.children() else 'worker'}"
    return PARENT


def label(process: psutil.Process) -> str:
    """A short name for a process of the product: which service or worker it runs."""
    try:
        command = " ".join(process.cmdline())
    except psutil.Error:
        return "?"
    if match := re.search(r"respawn\.py (\S+)", command):
        return f"respawn {match.group(1)}"
    if "deploy.processes" in command:
        return forked(process)
    if match := re.search(r"services\.(\w+)\.(app|worker)", command):
        name = f"{match.group(1)} {'gunicorn' if 'gunicorn' in command else match.group(2)}"
        if "gunicorn" in command:
            with contextlib.suppress(psutil.Error):
                name += " master" if process.children() else " worker"
        return name
    if "services run" in command:
        return "python -m services run"
    return " ".join(part.rsplit("/", 1)[-1] for part in command.split(" ")[:2]) if command else "?"


def pss_mib(processes: list[psutil.Process]) -> list[tuple[str, int, float]]:
    """(label, pid, PSS in MiB) of each process."""
    rows = []
    for process in processes:
        with contextlib.suppress(psutil.Error):
            rows.append((label(process), process.pid, process.memory_full_info().pss / 2**20))
    return rows


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="bench-load-"))
