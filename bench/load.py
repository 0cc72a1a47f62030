"""The load benchmark: mixed customer and agent traffic through the gateway, at 1, 8 and 32 clients.

    .venv/bin/python bench/load.py --target services        # starts `make run-services` (PostgreSQL, RabbitMQ)
    .venv/bin/python bench/load.py --target run             # starts `make run` (SQLite, in-process bus)
    .venv/bin/python bench/load.py --target services --headline   # create a ticket at 8 clients, 3 rounds
    .venv/bin/python bench/load.py --url http://127.0.0.1:8000 --pid <root pid> --agent EMAIL:PASSWORD

Each client is a thread with one keep-alive HTTP connection, acting as its own customer: it
creates tickets, replies to them, reads them, lists its tickets, and (as the bench's agent)
reads the agent queue and replies to its tickets. Per operation it prints throughput, p50 and
p99; per step the CPU time of all the product's processes (user + system, psutil) divided by
the operations done, and at the end each process's memory (PSS). Every step is bounded by
`--seconds` and `--max-ops`, and everything goes to 127.0.0.1.

Rate limits: every client is a customer of its own, and the product's only per-client limits
on this path are those on sign-up and sign-in (per address), which the started product raises
(bench/product.py); ticket creation itself has no per-customer limit. Against `--url` the
target's limits apply: a 429 at setup is waited out (Retry-After).
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import json
import random
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import product as products  # noqa: E402
from bench.common import run_threads  # noqa: E402

MIXED = {"create": 2, "reply": 2, "read": 3, "list": 2, "agent_queue": 1, "agent_reply": 1}
SUBJECTS = ["Withdrawal pending for hours", "Deposit not credited", "Cannot pass identity check",
            "Trading fee looks wrong", "Referral reward missing", "Two-factor codes rejected"]
CATEGORIES = ["deposit_withdrawal", "wallet", "account_security", "trading_fees_limits", "referral_rewards"]


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `values` (0 < fraction <= 1); 0.0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))  # ceil(n * fraction), at least the first
    return ordered[int(rank) - 1]


class Http:
    """One keep-alive connection to the gateway, JSON in and out."""

    def __init__(self, url: str, token: str | None = None) -> None:
        parsed = urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.token = token
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def call(self, method: str, path: str, body: dict | None = None, token: str | None = None):
        headers = {"Content-Type": "application/json"}
        if token or self.token:
            headers["Authorization"] = "Bearer " + (token or self.token)
        data = json.dumps(body).encode() if body is not None else None
        try:
            self.connection.request(method, path, body=data, headers=headers)
            response = self.connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()  # reconnects on the next call
            raise
        return response.status, (json.loads(raw) if raw[:1] in (b"{", b"[") else {}), response.getheader("Retry-After")


def sign_up(url: str, email: str, password: str, register: bool = True) -> str:
    """Register (unless told not to) and sign in; waits out a 429. Returns the bearer token."""
    client = Http(url)
    steps = ([("/api/v1/auth/register", 201)] if register else []) + [("/api/v1/auth/login", 200)]
    for path, expected in steps:
        while True:
            status, body, retry_after = client.call("POST", path, {"email": email, "password": password})
            if status != 429:
                break
            time.sleep(float(retry_after or 5))
        if status != expected:
            raise RuntimeError(f"{path} answered {status}: {body}")
    if body.get("mfa_required"):
        raise RuntimeError(f"{email} must pass a second factor: use an agent without 2FA (AGENT_MFA_REQUIRED=false)")
    return body["access_token"]


class Client(threading.Thread):
    """One customer (and the shared agent) making requests until the step's deadline or budget."""

    def __init__(self, step: Step, token: str, tickets: list[str], seed: int) -> None:
        super().__init__(daemon=True)
        self.step, self.tickets, self.random = step, tickets, random.Random(seed)
        self.http = Http(step.url, token)
        self.latencies: dict[str, list[float]] = {name: [] for name in step.mix}
        self.errors: dict[str, int] = dict.fromkeys(step.mix, 0)

    def run(self) -> None:
        schedule = [name for name, weight in self.step.mix.items() for _ in range(weight)]
        self.random.shuffle(schedule)
        for name in itertools.cycle(schedule):
            if time.monotonic() > self.step.deadline or not self.step.take():
                return
            started = time.perf_counter()
            try:
                ok = getattr(self, name)()
            except (OSError, http.client.HTTPException):
                ok = False
            self.latencies[name].append((time.perf_counter() - started) * 1000)
            if not ok:
                self.errors[name] += 1

    def create(self) -> bool:
        status, body, _ = self.http.call("POST", "/api/v1/tickets", {
            "subject": f"{self.random.choice(SUBJECTS)} #{self.random.randrange(10**6)}",
            "category": self.random.choice(CATEGORIES),
            "description": "I sent funds an hour ago and they have not arrived; what should I do?"})
        if status == 201:
            self.tickets.append(body["ticket"]["number"])
            self.step.shared_tickets.append(body["ticket"]["number"])
        return status == 201

    def reply(self) -> bool:
        number = self.random.choice(self.tickets)
        return self.http.call("POST", f"/api/v1/tickets/{number}/messages", {"body": "Any news on this?"})[0] == 201

    def read(self) -> bool:
        return self.http.call("GET", f"/api/v1/tickets/{self.random.choice(self.tickets)}")[0] == 200

    def list(self) -> bool:
        return self.http.call("GET", "/api/v1/tickets")[0] == 200

    def agent_queue(self) -> bool:
        return self.http.call("GET", "/api/v1/agent/tickets?status=open", token=self.step.agent_token)[0] == 200

    def agent_reply(self) -> bool:
        number = self.random.choice(self.step.shared_tickets[-200:])
        return self.http.call("POST", f"/api/v1/agent/tickets/{number}/messages",
                              {"body": "We are looking into it.", "kind": "reply"}, token=self.step.agent_token)[0] == 201


class Step:
    """One measured step: the mix, the deadline and the shared budget of operations."""

    def __init__(self, url: str, mix: dict, agent_token: str | None, seconds: float, max_ops: int,
                 shared_tickets: list[str]) -> None:
        self.url, self.mix, self.agent_token = url, mix, agent_token
        self.deadline = time.monotonic() + seconds
        self.budget = itertools.count()
        self.max_ops = max_ops
        self.shared_tickets = shared_tickets

    def take(self) -> bool:
        return next(self.budget) < self.max_ops


def run_step(product, customers, mix, agent_token, clients, seconds, max_ops, shared_tickets) -> dict:
    """`clients` threads for at most `seconds` and `max_ops`: latencies, errors, rate and CPU."""
    step = Step(product.url, mix, agent_token, seconds, max_ops, shared_tickets)
    threads = [Client(step, token, tickets, seed) for seed, (token, tickets) in enumerate(customers[:clients])]
    processes, backing = product.processes(), products.backing_services()
    cpu_before, backing_before = products.cpu_seconds(processes), products.cpu_seconds(backing)
    elapsed = run_threads(threads)
    cpu_after = products.cpu_seconds(product.processes())
    cpu = products.cpu_spent(cpu_before, cpu_after)
    by_process: dict[str, float] = {}
    for process in processes:
        if process.pid in cpu_after:
            name = products.label(process)
            by_process[name] = by_process.get(name, 0.0) + cpu_after[process.pid] - cpu_before.get(process.pid, 0.0)
    backing_cpu = products.cpu_spent(backing_before, products.cpu_seconds(backing))
    result = {"clients": clients, "elapsed": elapsed, "cpu": cpu, "backing_cpu": backing_cpu, "ops": {},
              "cpu_by_process": by_process}
    for name in mix:
        latencies = [ms for thread in threads for ms in thread.latencies[name]]
        result["ops"][name] = {"count": len(latencies), "errors": sum(t.errors[name] for t in threads),
                               "rate": len(latencies) / elapsed, "p50": percentile(latencies, 0.5),
                               "p99": percentile(latencies, 0.99)}
    return result


def report(result: dict, measured: bool) -> None:
    total = sum(op["count"] for op in result["ops"].values())
    print(f"\n{result['clients']} clients, {result['elapsed']:.1f} s, {total} operations, "
          f"{total / result['elapsed']:.1f}/s in all")
    print(f"  {'operation':<12}{'count':>7}{'errors':>7}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for name, op in result["ops"].items():
        print(f"  {name:<12}{op['count']:>7}{op['errors']:>7}{op['rate']:>9.1f}{op['p50']:>9.1f}{op['p99']:>9.1f}")
    if measured and total:
        print(f"  CPU of the product's processes: {1000 * result['cpu'] / total:.2f} ms per operation "
              f"({result['cpu']:.1f} s); with PostgreSQL and RabbitMQ (machine-wide): "
              f"{1000 * (result['cpu'] + result['backing_cpu']) / total:.2f} ms")
        heaviest = sorted(result["cpu_by_process"].items(), key=lambda item: -item[1])[:6]
        print("  of which (ms per operation): " + ", ".join(f"{name} {1000 * seconds / total:.2f}"
                                                           for name, seconds in heaviest))


def report_medians(results: list[dict]) -> None:
    print(f"\nmedian of {len(results)} rounds at {results[0]['clients']} clients:")
    for name in results[0]["ops"]:
        ops = [r["ops"][name] for r in results]
        print(f"  {name:<12}{statistics.median(o['rate'] for o in ops):>9.1f}/s  p50 "
              f"{statistics.median(o['p50'] for o in ops):.1f} ms  p99 {statistics.median(o['p99'] for o in ops):.1f} ms")
    per_op = [1000 * r["cpu"] / max(1, sum(o["count"] for o in r["ops"].values())) for r in results]
    print(f"  CPU of the product per operation: {statistics.median(per_op):.2f} ms")


def report_memory(product) -> None:
    rows = products.pss_mib(product.processes())
    if not rows:
        return
    print("\nmemory (PSS) of the product's processes:")
    for name, pid, mib in sorted(rows, key=lambda row: -row[2]):
        print(f"  {name:<34}{pid:>8}{mib:>9.1f} MiB")
    print(f"  {'total':<42}{sum(row[2] for row in rows):>9.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=["run", "services"], default="services")
    parser.add_argument("--url", help="drive a product already running there instead of starting one")
    parser.add_argument("--pid", type=int, help="with --url: the root of its process tree, for CPU and memory")
    parser.add_argument("--agent", help="with --url: EMAIL:PASSWORD of an agent without 2FA")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--only", choices=sorted(MIXED), help="one operation instead of the mix")
    parser.add_argument("--headline", action="store_true", help="create at 8 clients, 3 rounds (issue 23's figure)")
    parser.add_argument("--seconds", type=float, default=10.0, help="the most a step lasts")
    parser.add_argument("--max-ops", type=int, default=5000, help="the most operations a step makes")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured traffic before each step")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--gunicorn-workers", type=int, help="GUNICORN_WORKERS for --target services (make's default: 2)")
    args = parser.parse_args()
    if args.headline:
        args.only, args.clients, args.rounds = "create", [8], max(args.rounds, 3)
    mix = {args.only: 1} if args.only else MIXED

    workdir = products.workdir()
    if args.url:
        product = products.Product(args.url.rstrip("/"), args.pid)
    elif args.target == "run":
        product = products.start_run(workdir)
    else:
        product = products.start_services(workdir, args.gunicorn_workers)
    try:
        print(f"target: {args.url or args.target} ({product.url}); logs and data in {workdir}")
        agent_token = None
        if any(name.startswith("agent") for name in mix):
            if args.agent:
                email, password = args.agent.split(":", 1)
            else:
                email, password = f"bench-agent-{uuid.uuid4().hex[:6]}@support.example", "bench agent password"
                products.create_agent(product, email, password)
            agent_token = sign_up(product.url, email, password, register=False)
        customers, shared_tickets = [], []
        for _ in range(max(args.clients)):
            token = sign_up(product.url, f"bench-{uuid.uuid4().hex[:10]}@example.com", "bench password 1")
            status, body, _ = Http(product.url, token).call("POST", "/api/v1/tickets", {
                "subject": "First ticket", "category": "wallet", "description": "Where is my deposit?"})
            if status != 201:
                raise RuntimeError(f"creating a ticket answered {status}: {body}")
            customers.append((token, [body["ticket"]["number"]]))
            shared_tickets.append(body["ticket"]["number"])
        print(f"{len(customers)} customers (one per client), {'one agent' if agent_token else 'no agent'}; "
              f"mix: {mix}; each step at most {args.seconds:g} s and {args.max_ops} operations")
        for clients in args.clients:
            results = []
            for _ in range(args.rounds):
                if args.warmup:
                    run_step(product, customers, mix, agent_token, clients, args.warmup, args.max_ops, shared_tickets)
                results.append(run_step(product, customers, mix, agent_token, clients, args.seconds,
                                        args.max_ops, shared_tickets))
                report(results[-1], measured=product.root_pid is not None)
            if args.rounds > 1:
                report_medians(results)
        report_memory(product)
    finally:
        product.stop()


if __name__ == "__main__":
    main()
