"""`make run`'s tail under concurrent writes: the product as `python -m services run` starts it
(SQLite, no broker unless `--amqp`), `--clients` customers each creating a ticket, reading it,
replying to it and listing their tickets in a loop for `--seconds`; latency p50/p99 per operation.

    .venv/bin/python bench/embedded_tail.py [--clients 8] [--seconds 20] [--rounds 3]

Each round starts a fresh product; the figures printed last are the medians over the rounds.
Target (issue 23): p99 <= 200 ms for every operation at 8 clients.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, base_env, free_port, tree_cpu, wait_ready  # noqa: E402
from bench.product import delete_queues  # noqa: E402

OPERATIONS = ("create", "read", "reply", "list")


def start(data_dir: Path, amqp: str | None, root: Path = ROOT) -> tuple[subprocess.Popen, int, dict]:
    env = base_env(data_dir)
    env["PYTHONPATH"] = str(root)
    port = free_port()
    env.update(PORT=str(port), PUBLIC_URL=f"http://127.0.0.1:{port}", RATE_LIMIT_REGISTER="1000/minute",
               RATE_LIMIT_LOGIN="1000/minute", RATE_LIMIT_LOGIN_PER_EMAIL="1000/minute",
               MAIL_CATCHER_PORT=str(free_port()))
    backends = {name: free_port() for name in ("tickets", "notifications", "video", "referrals")}
    for name, backend_port in backends.items():
        env[f"{name.upper()}_URL"] = f"http://127.0.0.1:{backend_port}"
    if amqp:
        env.update(AMQP_URL=amqp, EVENT_EXCHANGE=f"bench.{uuid.uuid4().hex[:8]}",
                   QUEUE_PREFIX=f"bench-{uuid.uuid4().hex[:8]}.")
    process = subprocess.Popen([sys.executable, "-m", "services", "run"], cwd=root, env=env,
                               stdout=open(data_dir / "product.log", "w"), stderr=subprocess.STDOUT)
    for each in (*backends.values(), port):
        wait_ready(each, timeout=120)
    return process, port, env


def call(conn: http.client.HTTPConnection, method: str, path: str, body=None, token=None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, (json.loads(data) if data else {})


def client(port: int, seconds: float, samples: dict, errors: list, ready: threading.Barrier) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    call(conn, "POST", "/api/v1/auth/register", {"email": email, "password": "bench password 1"})
    _, login = call(conn, "POST", "/api/v1/auth/login", {"email": email, "password": "bench password 1"})
    token = login["access_token"]
    ready.wait()
    deadline = time.monotonic() + seconds
    mine = {op: [] for op in OPERATIONS}
    i = 0
    while time.monotonic() < deadline:
        i += 1

        def timed(op, method, path, body=None, expect=200):
            started = time.perf_counter()
            status, data = call(conn, method, path, body, token)
            mine[op].append((time.perf_counter() - started) * 1000)
            if status != expect:
                errors.append((op, status, str(data)[:200]))
            return data

        created = timed("create", "POST", "/api/v1/tickets", {
            "subject": f"Deposit missing {i}", "category": "other",
            "description": f"My deposit {uuid.uuid4().hex} has not arrived after an hour."}, 201)
        number = created.get("ticket", {}).get("number")
        if not number:
            continue
        timed("read", "GET", f"/api/v1/tickets/{number}")
        timed("reply", "POST", f"/api/v1/tickets/{number}/messages", {"body": "Any news?"}, 201)
        timed("list", "GET", "/api/v1/tickets")
    for op in OPERATIONS:
        samples[op].extend(mine[op])


def tree_pss(pid: int) -> float:
    """PSS in MB of the product's processes."""
    root = psutil.Process(pid)
    return sum(p.memory_full_info().pss for p in [root, *root.children(recursive=True)]) / 2**20


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)] if ordered else float("nan")


def one_round(clients: int, seconds: float, amqp: str | None, root: Path = ROOT) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-embedded-"))
    process, port, env = start(data_dir, amqp, root)
    try:
        samples = {op: [] for op in OPERATIONS}
        errors: list = []
        ready = threading.Barrier(clients + 1)
        threads = [threading.Thread(target=client, args=(port, seconds, samples, errors, ready))
                   for _ in range(clients)]
        for thread in threads:
            thread.start()
        ready.wait()
        cpu_before = tree_cpu(process.pid)
        for thread in threads:
            thread.join()
        cpu = tree_cpu(process.pid) - cpu_before
        pss = tree_pss(process.pid)
    finally:
        process.terminate()
        process.wait(30)
        if amqp:  # a shared broker keeps no bench queues
            delete_queues(env, amqp)
    result = {op: {"n": len(v), "rps": len(v) / seconds, "p50": statistics.median(v) if v else float("nan"),
                   "p99": percentile(v, 0.99)} for op, v in samples.items()}
    result["errors"] = len(errors)
    result["cpu_ms_per_loop"] = 1000 * cpu / max(1, len(samples["create"]))
    result["pss_mb"] = pss
    if errors:
        print("errors, first ones:", errors[:3], file=sys.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--amqp", default=None, help="AMQP_URL for the product (default: none: one process, "
                                                     "in-process bus; with one: a process per service)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to run (to compare with another)")
    args = parser.parse_args()
    rounds = []
    for number in range(args.rounds):
        result = one_round(args.clients, args.seconds, args.amqp or os.environ.get("BENCH_AMQP_URL"), args.root)
        rounds.append(result)
        print(f"round {number + 1}: " + "; ".join(
            f"{op} {result[op]['rps']:.1f}/s p50 {result[op]['p50']:.0f} p99 {result[op]['p99']:.0f} ms"
            for op in OPERATIONS) + f"; errors {result['errors']}; CPU {result['cpu_ms_per_loop']:.0f} ms per "
            f"create+read+reply+list; PSS {result['pss_mb']:.0f} MB", flush=True)
    print(f"\n{args.clients} clients, {args.seconds:.0f} s, median of {args.rounds} rounds")
    print(f"{'operation':<10}{'ops/s':>8}{'p50 ms':>9}{'p99 ms':>9}")
    for op in OPERATIONS:
        print(f"{op:<10}{statistics.median(r[op]['rps'] for r in rounds):>8.1f}"
              f"{statistics.median(r[op]['p50'] for r in rounds):>9.0f}"
              f"{statistics.median(r[op]['p99'] for r in rounds):>9.0f}")
    print(f"CPU of the product's processes per create+read+reply+list: "
          f"{statistics.median(r['cpu_ms_per_loop'] for r in rounds):.0f} ms; "
          f"PSS {statistics.median(r['pss_mb'] for r in rounds):.0f} MB")


if __name__ == "__main__":
    main()
