"""What the gateway adds to reading a ticket: the same request through the gateway and
directly to the tickets service, both under gunicorn with the same settings, in one run.

    make bench            (or: .venv/bin/python bench/gateway_overhead.py --requests 3000)
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import base_env, free_port, gunicorn, load, wait_ready  # noqa: E402
from shared.internal_auth import Caller, sign_internal_token  # noqa: E402


def call(url: str, body: dict | None = None, headers: dict | None = None) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def median_result(samples: list[dict]) -> dict:
    return {key: statistics.median(sample[key] for sample in samples) for key in ("rps", "p50", "p99", "errors")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    env = base_env(data_dir)
    tickets_port, gateway_port = free_port(), free_port()
    env.update(TICKETS_URL=f"http://127.0.0.1:{tickets_port}", PORT=str(gateway_port))
    processes = [
        gunicorn("services.tickets.app:create_app()", tickets_port, env, args.workers, args.threads,
                 data_dir / "tickets.log"),
    ]
    try:
        wait_ready(tickets_port)
        processes.append(gunicorn("services.gateway.app:create_app()", gateway_port, env, args.workers,
                                  args.threads, data_dir / "gateway.log"))
        wait_ready(gateway_port)
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
            return {"Authorization": "Bearer " + sign_internal_token(caller, "tickets", secret)}

        # Warm both paths, then measure them one after the other in the same run.
        load(tickets_port, path, direct_headers, 200, 2)
        load(gateway_port, path, lambda: bearer, 200, 2)
        results = []
        for concurrency in args.concurrency:
            # Rounds alternate which path goes first; each figure is the median over the rounds,
            # so a burst of noise on this small machine moves one sample, not the result.
            rounds = {"direct": [], "gateway": []}
            for round_number in range(args.rounds):
                order = [("direct", tickets_port, direct_headers), ("gateway", gateway_port, lambda: bearer)]
                for name, port, headers in order if round_number % 2 == 0 else reversed(order):
                    rounds[name].append(load(port, path, headers, args.requests, concurrency))
            results.append((concurrency, median_result(rounds["direct"]), median_result(rounds["gateway"])))
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)

    print(f"gunicorn: {args.workers} workers x {args.threads} threads (gthread) each; "
          f"{args.requests} GET /api/v1/tickets/{{number}} per sample, median of {args.rounds} alternating rounds, "
          f"keep-alive connections")
    print(f"{'connections':<12}{'path':<10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for concurrency, direct, through in results:
        for name, result in (("direct", direct), ("gateway", through)):
            print(f"{concurrency:<12}{name:<10}{result['rps']:>10.0f}{result['p50']:>10.2f}{result['p99']:>10.2f}"
                  f"{result['errors']:>8.0f}")
        ratio = through["p50"] / direct["p50"]
        print(f"{concurrency:<12}gateway/direct p50 ratio {ratio:.2f}: the gateway adds {100 * (ratio - 1):.0f}% "
              f"to p50 (target <= 25%)")


if __name__ == "__main__":
    main()
