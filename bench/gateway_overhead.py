"""What the gateway adds to reading a ticket: the same request through the gateway and
directly to the tickets service, both under gunicorn with the same settings, in one run.

With `--agent`, an agent's read of the ticket (`GET /api/v1/agent/tickets/{number}`) is
measured the same way: the gateway writes one audit row (`ticket.viewed`) for each, a
customer's read writes none, so the difference between the two overheads is the audit's cost.

Beside latency it prints each service's CPU time per request (user + system of its gunicorn
processes, psutil): the machine's other work moves the latencies at 1 connection, not that.

    make bench            (or: .venv/bin/python bench/gateway_overhead.py --requests 3000 [--agent])
"""
from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import base_env, free_port, gunicorn, load, tree_cpu, wait_ready  # noqa: E402
from services.registry import GATEWAY  # noqa: E402
from shared.internal_auth import Caller, sign_internal_token  # noqa: E402


def call(url: str, body: dict | None = None, headers: dict | None = None) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def median_result(samples: list[dict]) -> dict:
    return {key: statistics.median(sample[key] for sample in samples)
            for key in ("rps", "p50", "p99", "errors", "tickets_cpu", "gateway_cpu")}


def load_with_cpu(services: dict, port: int, path: str, headers, requests: int, concurrency: int) -> dict:
    """`load`, with the CPU ms per request each service's gunicorn processes spent: what a read
    costs them whatever else the machine runs, unlike its latency."""
    before = {name: tree_cpu(process.pid) for name, process in services.items()}
    result = load(port, path, headers, requests, concurrency)
    for name, process in services.items():
        result[f"{name}_cpu"] = 1000 * (tree_cpu(process.pid) - before[name]) / result["requests"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--gateway-worker-class", default="gthread",
                        help="the gateway's gunicorn worker class, e.g. deploy.gunicorn_worker.KeepAliveThreadWorker "
                             "(the tickets service keeps gthread)")
    parser.add_argument("--agent", action="store_true",
                        help="also measure an agent's read of the ticket, which the gateway audits")
    parser.add_argument("--gateway-database-url", default=None,
                        help="the gateway's database (default: SQLite in a temporary folder), e.g. "
                             "postgresql://postgres@127.0.0.1:5432/test?schema=bench_gateway")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    env = base_env(data_dir)
    # The bench's agent has no authenticator; the 2FA check of a session that passed it is one attribute.
    env["AGENT_MFA_REQUIRED"] = "false"
    if args.gateway_database_url:
        env["GATEWAY_DATABASE_URL"] = args.gateway_database_url
    tickets_port, gateway_port = free_port(), free_port()
    env.update(TICKETS_URL=f"http://127.0.0.1:{tickets_port}", PORT=str(gateway_port))
    processes = [
        gunicorn("services.tickets.app:create_app()", tickets_port, env, args.workers, args.threads,
                 data_dir / "tickets.log"),
    ]
    try:
        wait_ready(tickets_port)
        processes.append(gunicorn("services.gateway.app:create_app()", gateway_port, env, args.workers,
                                  args.threads, data_dir / "gateway.log", args.gateway_worker_class))
        wait_ready(gateway_port)
        floor_port = free_port()
        processes.append(gunicorn("bench.forward_only:app", floor_port, env, args.workers, args.threads,
                                  data_dir / "forward_only.log", args.gateway_worker_class))
        services = {"tickets": processes[0], "gateway": processes[1]}
        gateway = f"http://127.0.0.1:{gateway_port}"
        call(gateway + "/api/v1/auth/register", {"email": "bench@example.com", "password": "bench password"})
        login = call(gateway + "/api/v1/auth/login", {"email": "bench@example.com", "password": "bench password"})
        bearer = {"Authorization": "Bearer " + login["access_token"]}
        ticket = call(gateway + "/api/v1/tickets", {"subject": "Benchmark ticket", "category": "other",
                                                    "description": "A ticket with a short conversation."}, bearer)
        number = ticket["ticket"]["number"]
        for i in range(5):
            call(gateway + f"/api/v1/tickets/{number}/messages", {"body": f"Follow-up {i}"}, bearer)
        user = login["user"]
        caller = Caller(kind="user", user_id=user["id"], role="customer", email=user["email"], name="bench")
        secret = env["INTERNAL_TOKEN_SECRET"]
        path = f"/api/v1/tickets/{number}"

        def direct_headers():
            return {"Authorization": "Bearer " + sign_internal_token(caller, "tickets", secret, GATEWAY.name)}

        # (reader, path, direct headers, gateway headers): a customer's read, and an agent's (audited).
        readers = [("customer", path, direct_headers, lambda: bearer)]
        if args.agent:
            readers.append(agent_reader(gateway, env, number))
        # Warm every path, then measure them one after the other in the same run.
        for _, reader_path, direct, through in readers:
            load(tickets_port, reader_path, direct, 200, 2)
            load(gateway_port, reader_path, through, 200, 2)
        results = []
        for concurrency in args.concurrency:
            # Rounds alternate which path goes first; each figure is the median over the rounds,
            # so a burst of noise on this small machine moves one sample, not the result.
            for reader, reader_path, direct, through in readers:
                rounds = {"direct": [], "gateway": []}
                for round_number in range(args.rounds):
                    order = [("direct", tickets_port, direct), ("gateway", gateway_port, through)]
                    for name, port, headers in order if round_number % 2 == 0 else reversed(order):
                        rounds[name].append(load_with_cpu(services, port, reader_path, headers, args.requests,
                                                          concurrency))
                results.append((concurrency, reader, median_result(rounds["direct"]),
                                median_result(rounds["gateway"])))
        # The same reads, one direct and one through the gateway in turn on one client: whatever the machine
        # does meanwhile falls on both alike (this VM's speed moves within seconds, between the rounds above).
        pairs = [(reader, interleaved(tickets_port, gateway_port, reader_path, direct, through, args.requests))
                 for reader, reader_path, direct, through in readers]
        # The floor: the same in turn through an app that only forwards, under the same gunicorn.
        wait_ready(floor_port, path, headers=direct_headers())
        floor = interleaved(tickets_port, floor_port, path, direct_headers, direct_headers, args.requests)
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)

    print(f"gateway database: {'PostgreSQL' if (args.gateway_database_url or '').startswith('postgres') else 'SQLite'}")
    print(f"gunicorn: {args.workers} workers x {args.threads} threads each, the gateway's worker class "
          f"{args.gateway_worker_class}; "
          f"{args.requests} GET /api/v1/tickets/{{number}} (an agent: /api/v1/agent/tickets/{{number}}) per sample, "
          f"median of {args.rounds} alternating rounds, keep-alive connections")
    print(f"{'connections':<12}{'reader':<10}{'path':<10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}"
          f"{'CPU ms per request: tickets':>29}{'gateway':>9}")
    added: dict[tuple[int, str], float] = {}
    for concurrency, reader, direct, through in results:
        for name, result in (("direct", direct), ("gateway", through)):
            print(f"{concurrency:<12}{reader:<10}{name:<10}{result['rps']:>10.0f}{result['p50']:>10.2f}"
                  f"{result['p99']:>10.2f}{result['errors']:>8.0f}{result['tickets_cpu']:>29.2f}"
                  f"{result['gateway_cpu']:>9.2f}")
        ratio = through["p50"] / direct["p50"]
        added[concurrency, reader] = through["p50"] - direct["p50"]
        print(f"{concurrency:<12}{reader:<10}gateway/direct p50 ratio {ratio:.2f}: the gateway adds "
              f"{100 * (ratio - 1):.0f}% to p50 (issue 23: <= 10%)")
    for reader, (direct_p50, gateway_p50) in pairs:
        print(f"1, in turn  {reader:<10}direct p50 {direct_p50:.2f} ms, gateway p50 {gateway_p50:.2f} ms: ratio "
              f"{gateway_p50 / direct_p50:.2f} ({args.requests} pairs, each a direct read then one through the gateway)")
    print(f"1, in turn  forwarding only: direct p50 {floor[0]:.2f} ms, through bench/forward_only.py under the same "
          f"gunicorn {floor[1]:.2f} ms: ratio {floor[1] / floor[0]:.2f}, {floor[1] - floor[0]:.2f} ms added before a "
          f"gateway does any work of its own")
    for concurrency in args.concurrency:
        if (concurrency, "agent") in added:
            audit = added[concurrency, "agent"] - added[concurrency, "customer"]
            print(f"{concurrency:<12}the audit row of an agent's read: {audit:+.2f} ms at p50 "
                  f"(the gateway's p50 overhead for an agent minus that for a customer)")


def interleaved(direct_port: int, gateway_port: int, path: str, direct_headers, gateway_headers,
                pairs: int) -> tuple[float, float]:
    """p50 (ms) of `pairs` direct reads and of as many through the gateway, made in turn on kept-alive connections."""
    connections = {port: http.client.HTTPConnection("127.0.0.1", port, timeout=30) for port in (direct_port, gateway_port)}
    latencies: dict[int, list[float]] = {direct_port: [], gateway_port: []}
    for _ in range(pairs):
        for port, headers in ((direct_port, direct_headers), (gateway_port, gateway_headers)):
            started = time.perf_counter()
            connections[port].request("GET", path, headers=headers())
            response = connections[port].getresponse()
            response.read()
            if response.status == 200:
                latencies[port].append((time.perf_counter() - started) * 1000)
    return statistics.median(latencies[direct_port]), statistics.median(latencies[gateway_port])


def agent_reader(gateway: str, env: dict, number: str):
    """An agent made with `make create-agent`'s command, logged in: its read of the ticket, direct and
    through the gateway."""
    email, password = "bench-agent@support.example", "bench agent password"
    subprocess.run([sys.executable, "-m", "services.gateway.cli", "create-agent", "--email", email,
                    "--password", password], env=env, check=True, capture_output=True, timeout=60)
    login = call(gateway + "/api/v1/auth/login", {"email": email, "password": password})
    bearer = {"Authorization": "Bearer " + login["access_token"]}
    user = login["user"]
    caller = Caller(kind="user", user_id=user["id"], role="agent", email=email, name="bench-agent", tier="standard")
    secret = env["INTERNAL_TOKEN_SECRET"]

    def direct_headers():
        return {"Authorization": "Bearer " + sign_internal_token(caller, "tickets", secret, GATEWAY.name)}

    return "agent", f"/api/v1/agent/tickets/{number}", direct_headers, lambda: bearer


if __name__ == "__main__":
    main()
