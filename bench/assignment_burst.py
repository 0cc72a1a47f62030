"""Round-robin assignment under load: replicas of the tickets service, each a process of its own,
opening tickets at once on one database; tickets per second, and how they were spread.

    .venv/bin/python bench/assignment_burst.py [--database-url postgresql://postgres@127.0.0.1/test?schema=bench_assign]
                                               [--replicas 4] [--tickets 200] [--agents 10]
"""
from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.registry import GATEWAY  # noqa: E402
from services.tickets.app import create_app  # noqa: E402
from services.tickets.core.models import Ticket  # noqa: E402
from services.tickets.models import db  # noqa: E402
from services.tickets.workspace.models import Agent  # noqa: E402
from shared.internal_auth import Caller, sign_internal_token  # noqa: E402

SECRET = "bench-secret-" + "x" * 20


def app_for(url: str, max_open: int):
    return create_app({"DATABASE_URL": url, "INTERNAL_TOKEN_SECRET": SECRET, "ATTACHMENT_DIR": tempfile.mkdtemp(),
                       "HELP_SEED_ARTICLES": False, "AGENT_MAX_OPEN": max_open})


def replica(url: str, count: int, first: int, start_file: str, max_open: int) -> None:
    client = app_for(url, max_open).test_client()
    while not os.path.exists(start_file):
        time.sleep(0.005)
    for user_id in range(first, first + count):
        caller = Caller(kind="user", user_id=user_id, role="customer", email=f"u{user_id}@example.com")
        headers = {"Authorization": "Bearer " + sign_internal_token(caller, "tickets", SECRET, GATEWAY.name)}
        response = client.post("/api/v1/tickets", headers=headers, json={
            "subject": "Deposit missing", "category": "other", "description": "Bench."})
        assert response.status_code == 201, response.get_data(as_text=True)


def burst(url: str, replicas: int, tickets: int, max_open: int, offset: int) -> float:
    start_file = tempfile.mktemp()
    processes = [subprocess.Popen([sys.executable, __file__, "--replica", url, str(tickets), str(offset + i * tickets),
                                   start_file, str(max_open)]) for i in range(replicas)]
    time.sleep(3.0)  # each replica opens its app before the start
    started = time.perf_counter()
    Path(start_file).touch()
    for process in processes:
        assert process.wait(600) == 0
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--replicas", type=int, default=4)
    parser.add_argument("--tickets", type=int, default=200, help="per replica")
    parser.add_argument("--agents", type=int, default=10)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/tickets.db"
    app_for(url, 10**6)
    total = args.replicas * args.tickets
    print(f"{'agents':<10}{'tickets':>8}{'seconds':>9}{'tickets/s':>11}{'assigned':>10}{'min-max per agent':>19}")
    for agents, offset in ((0, 1_000_000), (args.agents, 2_000_000)):
        with db.connection_context():
            Agent.delete().execute()
            Ticket.update(status="resolved").execute()
            for user_id in range(1, agents + 1):
                Agent.create(user_id=user_id, email=f"a{user_id}@support.example", name=f"Agent {user_id}")
        seconds = burst(url, args.replicas, args.tickets, 10**6, offset)
        with db.connection_context():
            held = collections.Counter(t.assignee_id for t in Ticket.select().where(Ticket.status == "open"))
        assigned = total - held.pop(None, 0)
        spread = f"{min(held.values())}-{max(held.values())}" if held else "-"
        print(f"{agents:<10}{total:>8}{seconds:>9.2f}{total / seconds:>11.1f}{assigned:>10}{spread:>19}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--replica":
        replica(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6]))
    else:
        main()
