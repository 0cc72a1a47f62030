"""Round-robin assignment with two replicas of the tickets service, each a process of its own,
opening tickets at the same moment on one database (SQLite file or PostgreSQL schema): every ticket
is assigned once, nobody passes AGENT_MAX_OPEN, and the rotation stays fair."""
from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
from pathlib import Path

from services.tickets.core.models import Ticket
from services.tickets.models import OutboxMessage
from tests.tickets.test_assignment import hire

ROOT = Path(__file__).resolve().parents[2]


def burst(database_url: str, tmp_path: Path, per_replica: int, max_open: int, first_customer: int) -> list[str]:
    """Two replicas, started together, each opening `per_replica` tickets; their numbers."""
    start = tmp_path / f"start-{first_customer}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    replicas = [subprocess.Popen([sys.executable, "-m", "tests.tickets.assignment_burst", database_url,
                                  str(per_replica), str(max_open), str(start), str(first_customer + i * 1000)],
                                 cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for i in range(2)]
    start.touch()
    numbers = []
    for replica in replicas:
        out, err = replica.communicate(timeout=180)
        assert replica.returncode == 0, err[-3000:]
        numbers += json.loads(out.strip().splitlines()[-1])
    assert len(set(numbers)) == 2 * per_replica
    return numbers


def assigned_events() -> dict[str, list[int]]:
    found = collections.defaultdict(list)
    for row in OutboxMessage.select().where(OutboxMessage.event_type == "ticket.assigned.v1"):
        data = json.loads(row.payload)["data"]
        found[data["number"]].append(data["assignee_id"])
    return found


def test_two_replicas_assign_each_ticket_once_fairly_and_within_the_cap(app, database_url, tmp_path):
    for user_id in (801, 802, 803):
        hire(app, user_id)
    with app.app_context():
        numbers = burst(database_url, tmp_path, per_replica=12, max_open=20, first_customer=10_000)
        tickets = {t.number: t.assignee_id for t in Ticket.select()}
        events = assigned_events()
        # Every ticket assigned, once, to whom its event says; the rotation gives each agent a third.
        assert all(tickets[n] is not None for n in numbers)
        assert {n: events[n] for n in numbers} == {n: [tickets[n]] for n in numbers}
        assert collections.Counter(tickets.values()) == {801: 8, 802: 8, 803: 8}

        # A lower cap: the next burst fills every agent up to it, and the rest waits in the queue.
        more = burst(database_url, tmp_path, per_replica=6, max_open=10, first_customer=20_000)
        tickets = {t.number: t.assignee_id for t in Ticket.select()}
        events = assigned_events()
        assert collections.Counter(tickets.values()) == {801: 10, 802: 10, 803: 10, None: 6}
        assert all(len(events[n]) == (1 if tickets[n] else 0) for n in more)
