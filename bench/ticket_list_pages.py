"""Paging a customer's ticket list: one with 100,000 tickets against one with 100.

    .venv/bin/python bench/ticket_list_pages.py [--database-url postgresql://postgres@127.0.0.1/test]
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
from services.tickets.models import db  # noqa: E402
from shared.internal_auth import Caller, sign_internal_token  # noqa: E402

SECRET = "bench-secret-" + "x" * 20


def seed(user_id: int, count: int) -> None:
    start = dt.datetime(2025, 1, 1)
    rows = [dict(number=f"{user_id:02d}{i:08d}", requester_kind="user", requester_user_id=user_id,
                 requester_email=f"u{user_id}@example.com", subject=f"Ticket {i}", category="other",
                 description="seeded", status="open" if i % 3 else "resolved",
                 created_at=start + dt.timedelta(minutes=i), updated_at=start + dt.timedelta(minutes=i))
            for i in range(count)]
    with db.atomic():
        for offset in range(0, len(rows), 1000):
            Ticket.insert_many(rows[offset:offset + 1000]).execute()


def walk(client, user_id: int, pages: int) -> list[float]:
    headers = {"Authorization": "Bearer " + sign_internal_token(
        Caller(kind="user", user_id=user_id, role="customer", email=f"u{user_id}@example.com"), "tickets", SECRET,
        GATEWAY.name)}
    timings, cursor = [], None
    for _ in range(pages):
        started = time.perf_counter()
        response = client.get("/api/v1/tickets?limit=20" + (f"&cursor={cursor}" if cursor else ""), headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
        cursor = response.json["next_cursor"]
        if cursor is None:
            break
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/tickets.db"
    app = create_app({"DATABASE_URL": url, "INTERNAL_TOKEN_SECRET": SECRET, "ATTACHMENT_DIR": tempfile.mkdtemp()})
    with db.connection_context():
        started = time.perf_counter()
        seed(1, 100_000)
        seed(2, 100)
        print(f"seeded 100,100 tickets in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})")
    client = app.test_client()
    walk(client, 1, 3)
    big = walk(client, 1, 5) + walk(client, 1, 5)
    small = walk(client, 2, 5) + walk(client, 2, 5)
    print(f"{'customer':<22}{'pages':>6}{'median ms':>11}{'max ms':>9}")
    for name, timings in (("100,000 tickets", big), ("100 tickets", small)):
        print(f"{name:<22}{len(timings):>6}{statistics.median(timings):>11.2f}{max(timings):>9.2f}")


if __name__ == "__main__":
    main()
