"""One replica of the tickets service in a process of its own, opening tickets as fast as it can:
`python -m tests.tickets.assignment_burst DATABASE_URL COUNT MAX_OPEN START_FILE FIRST_CUSTOMER_ID`.

It waits for START_FILE to exist (so the replicas begin together), then opens COUNT tickets, each
by another customer, through the service's own HTTP handling, and prints their numbers as JSON."""
from __future__ import annotations

import json
import os
import sys
import time

from services.tickets.app import create_app
from tests.support import SECRET, customer, token


def main(url: str, count: int, max_open: int, start_file: str, first_customer: int) -> None:
    app = create_app({"DATABASE_URL": url, "INTERNAL_TOKEN_SECRET": SECRET, "TESTING": True,
                      "HELP_SEED_ARTICLES": False, "AGENT_MAX_OPEN": max_open})
    client = app.test_client()
    deadline = time.monotonic() + 60
    while not os.path.exists(start_file):
        if time.monotonic() > deadline:
            raise SystemExit("never told to start")
        time.sleep(0.01)
    numbers = []
    for index in range(count):
        who = customer(first_customer + index)
        response = client.post("/api/v1/tickets", headers=token("tickets", **who), json={
            "subject": f"Burst {first_customer + index}", "category": "other", "description": "Many at once."})
        if response.status_code != 201:
            raise SystemExit(f"{response.status_code}: {response.get_data(as_text=True)}")
        numbers.append(response.json["ticket"]["number"])
    print(json.dumps(numbers))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
