"""PostgreSQL stopped hard under writes and started again, on a server of the test's own: while it is down
the API answers 503 in the contract's shape, nothing is half-written, and the outboxes drain after."""
from __future__ import annotations

import threading
import time

import psycopg2
import pytest

from tests.e2e.harness import register_and_login, start_product, wait_for
from tests.e2e.private_postgres import PrivatePostgres, postgres_binaries_available
from tests.support import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.chaos, pytest.mark.skipif(not postgres_binaries_available(), reason="needs initdb")]


def unsent_outbox_rows(url: str) -> int:
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT table_schema FROM information_schema.tables WHERE table_name = 'outbox'")
        schemas = [row[0] for row in cursor.fetchall()]
        assert "tickets" in schemas, schemas  # the services are on this server
        total = 0
        for schema in schemas:
            cursor.execute(f'SELECT COUNT(*) FROM "{schema}".outbox WHERE sent_at IS NULL')
            total += cursor.fetchone()[0]
    return total


def test_requests_answer_503_while_postgres_is_down_and_nothing_is_half_written(tmp_path):
    server = PrivatePostgres(free_port())
    product = None
    try:
        server.init()
        server.start()
        product = start_product(tmp_path / "product", {"DATABASE_URL": server.url})
        customer = register_and_login(product)
        created: list[str] = []
        refused: list[dict] = []
        other: list[tuple[int, str]] = []
        stop = threading.Event()

        def write():
            i = 0
            while not stop.is_set():
                i += 1
                response = customer.post("/api/v1/tickets", json={
                    "subject": f"Ticket {i}", "category": "other", "description": "during a database restart"})
                if response.status_code == 201:
                    created.append(response.json()["ticket"]["number"])
                elif response.status_code == 503:
                    refused.append(response.json())
                else:
                    other.append((response.status_code, response.text[:300]))
                time.sleep(0.05)

        writer = threading.Thread(target=write)
        writer.start()
        wait_for(lambda: len(created) >= 5, timeout=20, message="tickets before the restart")
        server.stop("immediate")
        wait_for(lambda: len(refused) >= 5, timeout=20, message="503s while the database is down")
        server.start()
        after = len(created)
        wait_for(lambda: len(created) >= after + 5, timeout=60, message="tickets after the restart")
        stop.set()
        writer.join(30)

        assert other == []
        assert all(body["error"]["code"] == "service_unavailable" and body["error"]["message"] for body in refused)
        listed = customer.get("/api/v1/tickets?limit=100").json()
        assert sorted(t["number"] for t in listed["items"]) == sorted(created)  # no ticket the client was refused
        wait_for(lambda: unsent_outbox_rows(server.url) == 0, timeout=30, message="the outboxes drained")
    finally:
        if product is not None:
            product.stop()
        server.remove()
