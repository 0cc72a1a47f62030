"""The supervisors' summary report over 100,000 tickets, on SQLite and on PostgreSQL (target: under 500 ms).

    .venv/bin/python bench/sla_reports.py [--postgres-url postgresql://postgres@127.0.0.1:5432/test] [--tickets N]

Each database is fresh (a SQLite file in a temporary folder, a PostgreSQL schema of its own, dropped after),
seeded with tickets spread over 90 days, their reporting rows and ratings, then asked for the report through
the tickets service's own HTTP interface (in process) several times; the figures are the median and the worst
wall-clock times, and the mean CPU time of one report (this process's and its PostgreSQL backend's), which does
not count what else the machine runs.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg2  # noqa: E402

from bench.common import cpu_seconds  # noqa: E402
from services.registry import GATEWAY  # noqa: E402
from services.tickets.app import create_app  # noqa: E402
from services.tickets.core.models import CATEGORIES, Ticket  # noqa: E402
from services.tickets.models import db  # noqa: E402
from services.tickets.sla.clocks import FAR_FUTURE  # noqa: E402
from services.tickets.sla.models import Satisfaction, TicketSla  # noqa: E402
from shared import clock  # noqa: E402
from shared.internal_auth import Caller, sign_internal_token  # noqa: E402

SECRET = "bench-secret-" + "x" * 20
START = dt.datetime(2027, 1, 1)
NOW = START + dt.timedelta(days=90)
QUERIES = ("/api/v1/agent/reports/summary?from=2027-01-01&to=2027-04-01",
           "/api/v1/agent/reports/summary?from=2027-02-01&to=2027-03-01&department=compliance",
           "/api/v1/agent/reports/summary?from=2027-01-01&to=2027-04-01&tier=senior")
RUNS = 7


def seed(count: int) -> None:
    rng = random.Random(19)
    tickets, reports, ratings = [], [], []
    for i in range(count):
        created = START + dt.timedelta(seconds=rng.randrange(90 * 86400))
        status = rng.choices(("open", "awaiting_user", "resolved", "closed"), (2, 1, 4, 3))[0]
        resolved = created + dt.timedelta(seconds=rng.randrange(600, 5 * 86400)) if status in ("resolved", "closed") else None
        tickets.append(dict(id=i + 1, number=f"{i:08d}", requester_kind="user", requester_user_id=i % 5000 + 1,
                            requester_email=f"u{i % 5000}@example.com", subject=f"Ticket {i}",
                            category=CATEGORIES[i % len(CATEGORIES)], description="seeded", status=status,
                            tier="senior" if i % 10 == 0 else "standard",
                            department="compliance" if i % 7 == 0 else None,
                            created_at=created, updated_at=resolved or created, resolved_at=resolved))
        first = rng.randrange(60, 6 * 3600) if rng.random() < 0.9 else None
        facts = {key: tickets[-1][key] for key in ("created_at", "resolved_at", "status", "tier", "department")}
        reports.append(dict(ticket=i + 1, **facts, due_key=FAR_FUTURE if resolved else created + dt.timedelta(hours=4),
                            first_response_at=created + dt.timedelta(seconds=first) if first else None,
                            first_response_s=first,
                            resolution_s=int((resolved - created).total_seconds()) if resolved else None,
                            met=rng.randrange(3), missed=rng.randrange(2), rating=None, rated_at=None))
        if resolved and rng.random() < 0.3:
            rated = resolved + dt.timedelta(hours=1)
            ratings.append(dict(ticket=i + 1, rating=rng.choice(("good", "good", "bad")), rated_at=rated,
                                first_rated_at=rated))
            reports[-1].update(rating=ratings[-1]["rating"], rated_at=rated)
    with db.atomic():
        for model, rows in ((Ticket, tickets), (TicketSla, reports), (Satisfaction, ratings)):
            for offset in range(0, len(rows), 2000):
                model.insert_many(rows[offset:offset + 2000]).execute()


def measure(label: str, url: str, count: int) -> list[float]:
    app = create_app({"DATABASE_URL": url, "INTERNAL_TOKEN_SECRET": SECRET, "ATTACHMENT_DIR": tempfile.mkdtemp(),
                      "HELP_SEED_ARTICLES": False})
    try:
        with db.connection_context():
            started = time.perf_counter()
            seed(count)
            if url.startswith("postgres"):
                db.execute_sql("ANALYZE")
            print(f"{label}: seeded {count:,} tickets in {time.perf_counter() - started:.1f} s")
        supervisor = Caller(kind="user", user_id=1, role="agent", email="boss@example.com", tier="senior",
                            roles=("supervisor",))
        client = app.test_client()
        clock.clock.freeze(NOW)
        worst = []
        for path in QUERIES:
            timings = []
            cpu_before = cpu_seconds(db.obj)
            for _ in range(RUNS):
                headers = {"Authorization": "Bearer " + sign_internal_token(supervisor, "tickets", SECRET, GATEWAY.name)}
                began = time.perf_counter()
                response = client.get(path, headers=headers)
                timings.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200, response.json
            cpu = (cpu_seconds(db.obj) - cpu_before) * 1000 / RUNS
            body = response.json
            print(f"  {path.split('?')[1]:<60} median {statistics.median(timings):7.1f} ms  max {max(timings):7.1f} ms"
                  f"  CPU {cpu:6.1f} ms  (created {body['created']:,}, resolved {body['resolved']:,})")
            worst.append(max(timings))
        return worst
    finally:
        clock.clock.reset()
        database = db.obj
        if hasattr(database, "close_all"):
            database.close_all()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--tickets", type=int, default=100_000)
    args = parser.parse_args()
    results = {"SQLite": measure("SQLite", f"sqlite:///{tempfile.mkdtemp()}/tickets.db", args.tickets)}
    schema = f"bench_sla_{uuid.uuid4().hex[:8]}"
    try:
        results["PostgreSQL"] = measure("PostgreSQL", f"{args.postgres_url}?schema={schema}", args.tickets)
    finally:
        with psycopg2.connect(args.postgres_url) as connection, connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    for label, worst in results.items():
        verdict = "under" if max(worst) < 500 else "OVER"
        print(f"{label}: slowest summary {max(worst):.1f} ms, {verdict} the 500 ms target")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
