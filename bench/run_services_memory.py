"""The memory of the deployed shape: `make run-services` (gunicorn per service, each worker its own
process, PostgreSQL and RabbitMQ) on a database, exchange, queues and ports of its own; after it is
ready and has served a little traffic, the PSS of each of its processes (psutil), and their total,
in MiB (2**20 bytes; issue 23's 400 MB target is 381 MiB), the total in MB too.

    .venv/bin/python bench/run_services_memory.py [--rounds 3] [--workers 2]

"Application" processes are the services' gunicorn masters and workers and the workers' processes;
the launchers (make, deploy/respawn.py) are listed apart. Target (issue 23): <= 400 MB PSS.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import defaultdict
from pathlib import Path

import psutil
import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, free_port, stop_tree, wait_ready  # noqa: E402
from bench.product import PARENT, delete_queues  # noqa: E402
from bench.product import label as product_label  # noqa: E402

SERVICES = ("gateway", "tickets", "notifications", "video", "referrals")
PG = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
AMQP = os.environ.get("AMQP_URL") or "amqp://guest:guest@127.0.0.1:5672//"


def admin(sql: str) -> None:
    with contextlib.closing(psycopg2.connect(PG)) as connection:
        connection.autocommit = True
        connection.cursor().execute(sql)


def label(process: psutil.Process) -> tuple[str, bool]:
    """A process's name in the table (bench/product.py's), and whether it is one of the application's (not make
    or the respawner)."""
    name = product_label(process)
    return name, name == PARENT or "gunicorn" in name or name.endswith("-worker")


def traffic(port: int) -> None:
    """A customer registers, logs in, opens and reads a ticket: each service's code paths are loaded."""
    def call(path, body=None, token=None):
        headers = {"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})}
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers,
                                         data=json.dumps(body).encode() if body is not None else None)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    for _ in range(3):
        email = f"{uuid.uuid4().hex[:8]}@example.com"
        call("/api/v1/auth/register", {"email": email, "password": "memory bench 1"})
        token = call("/api/v1/auth/login", {"email": email, "password": "memory bench 1"})["access_token"]
        for _ in range(5):
            number = call("/api/v1/tickets", {"subject": "Deposit missing", "category": "other",
                                              "description": "It has not arrived."}, token)["ticket"]["number"]
            call(f"/api/v1/tickets/{number}", token=token)
            call("/api/v1/notifications", token=token)


def one_round(workers: int, root: Path = ROOT) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    database = f"bench_memory_{uuid.uuid4().hex[:8]}"
    admin(f'CREATE DATABASE "{database}"')
    ports = {name: free_port() for name in SERVICES}
    env = {k: v for k, v in os.environ.items()
           if not k.endswith(("_DATABASE_URL", "_URL", "_PORT")) and k not in ("DATABASE_URL", "MAKEFLAGS")}
    env.update({f"{name.upper()}_PORT": str(port) for name, port in ports.items()})
    env.update(DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{database}", AMQP_URL=AMQP,
               EVENT_EXCHANGE=f"bench.memory.{uuid.uuid4().hex[:8]}", QUEUE_PREFIX=f"bench-memory-{uuid.uuid4().hex[:8]}.",
               DATA_DIR=str(tmp / "data"), GUNICORN_WORKERS=str(workers), RUN_SERVICES_ENV_FILE=str(tmp / "none.env"),
               PUBLIC_URL=f"http://127.0.0.1:{ports['gateway']}", PASSWORD_HASH_MEMORY_KIB="1024",
               PASSWORD_HASH_TIME_COST="1", GUNICORN_ACCESS_LOG="false", VENV=str(Path(sys.executable).parent.parent))
    process = subprocess.Popen(["make", "--no-print-directory", "-o", f"{env['VENV']}/.installed", "run-services"],
                               cwd=root, env=env, stdout=open(tmp / "run.log", "w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        for port in ports.values():
            wait_ready(port, timeout=180)
        traffic(ports["gateway"])
        time.sleep(3)  # let the workers handle the events the traffic raised
        found: dict[str, list[float]] = defaultdict(list)
        launchers = 0.0
        for child in psutil.Process(process.pid).children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess):
                name, application = label(child)
                pss = child.memory_full_info().pss / 2**20
                if application:
                    found[name].append(pss)
                else:
                    launchers += pss
        return {"processes": dict(found), "total": sum(sum(v) for v in found.values()), "launchers": launchers}
    finally:
        stop_tree(process)
        admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        delete_queues(env, AMQP)  # a shared broker keeps no queues of a finished round


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="GUNICORN_WORKERS")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to run (to compare with another)")
    args = parser.parse_args()
    rounds = []
    for number in range(args.rounds):
        rounds.append(one_round(args.workers, args.root))
        print(f"round {number + 1}: application {rounds[-1]['total']:.0f} MiB PSS; "
              f"launchers {rounds[-1]['launchers']:.0f} MiB", flush=True)
    best = sorted(rounds, key=lambda r: r["total"])[len(rounds) // 2]
    print(f"\nmake run-services, GUNICORN_WORKERS={args.workers}: PSS per process (the median round)")
    for name in sorted(best["processes"]):
        values = best["processes"][name]
        print(f"  {name:<34}{len(values)} x {statistics.mean(values):6.1f} MiB")
    total = statistics.median(r["total"] for r in rounds)
    print(f"application total: {total:.0f} MiB = {total * 2**20 / 1e6:.0f} MB PSS (median of {args.rounds}); "
          f"launchers (make, respawn): {statistics.median(r['launchers'] for r in rounds):.0f} MiB")


if __name__ == "__main__":
    main()
