"""Agents' presence heartbeats: what one costs, what a page's poll costs, and that the table
stays one row per ticket and agent present while the simulated hours pass.

    .venv/bin/python bench/presence_heartbeats.py [--database-url postgresql://postgres@127.0.0.1/test?schema=bench]
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.registry import GATEWAY  # noqa: E402
from services.tickets.app import create_app  # noqa: E402
from services.tickets.core.models import Ticket  # noqa: E402
from services.tickets.core.presence import TicketPresence  # noqa: E402
from services.tickets.models import db  # noqa: E402
from shared import clock  # noqa: E402
from shared.internal_auth import Caller, sign_internal_token  # noqa: E402

SECRET = "bench-secret-" + "x" * 20
AGENTS, TICKETS, ROUNDS = 40, 2_000, 60  # a round is 10 s of the simulated clock


def seed(count: int) -> list[str]:
    now = clock.now()
    rows = [dict(number=f"7{i:07d}", requester_kind="user", requester_user_id=1 + i % 500,
                 requester_email=f"u{i % 500}@example.com", subject=f"Ticket {i}", category="other",
                 description="seeded", status="open", created_at=now, updated_at=now) for i in range(count)]
    with db.atomic():
        for offset in range(0, len(rows), 1000):
            Ticket.insert_many(rows[offset:offset + 1000]).execute()
    return [row["number"] for row in rows]


def headers(agent_id: int) -> dict:
    caller = Caller(kind="user", user_id=agent_id, role="agent", email=f"a{agent_id}@support.example",
                    name=f"Agent {agent_id}", tier="standard")
    return {"Authorization": "Bearer " + sign_internal_token(caller, "tickets", SECRET, GATEWAY.name)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/tickets.db"
    app = create_app({"DATABASE_URL": url, "INTERNAL_TOKEN_SECRET": SECRET, "ATTACHMENT_DIR": tempfile.mkdtemp(),
                      "HELP_SEED_ARTICLES": False})
    client = app.test_client()
    clock.clock.freeze()
    with db.connection_context():
        numbers = seed(TICKETS)
    beats, polls, peak_rows = [], [], 0
    for round_ in range(ROUNDS):
        tokens = {agent: headers(agent) for agent in range(1, AGENTS + 1)}  # short-lived, and the clock moves
        for agent, token in tokens.items():
            # Each agent stays on a ticket for a minute, two agents share each ticket.
            number = numbers[(agent // 2 + round_ // 6 * AGENTS) % TICKETS]
            started = time.perf_counter()
            assert client.post(f"/api/v1/agent/tickets/{number}/presence", headers=token,
                               json={"state": "typing" if round_ % 3 == 0 else "viewing"}).status_code == 204
            beats.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            assert client.get(f"/api/v1/agent/tickets/{number}/presence", headers=token).status_code == 200
            polls.append((time.perf_counter() - started) * 1000)
        clock.clock.advance(dt.timedelta(seconds=10))
        if round_ % 20 == 19:
            clock.clock.advance(dt.timedelta(hours=1))  # a quiet hour: the next heartbeats prune
        with db.connection_context():
            peak_rows = max(peak_rows, TicketPresence.select().count())
    with db.connection_context():
        final_rows = TicketPresence.select().count()
    print(f"{AGENTS} agents, {TICKETS} tickets, {ROUNDS} rounds of 10 s ({url.split(':')[0]})")
    print(f"{'call':<24}{'count':>7}{'median ms':>11}{'p95 ms':>9}")
    for name, timings in (("POST presence", beats), ("GET presence (poll)", polls)):
        p95 = statistics.quantiles(timings, n=20)[-1]
        print(f"{name:<24}{len(timings):>7}{statistics.median(timings):>11.2f}{p95:>9.2f}")
    print(f"presence rows: peak {peak_rows}, at the end {final_rows} (heartbeats sent: {len(beats)})")


if __name__ == "__main__":
    main()
