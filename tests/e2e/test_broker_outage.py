"""Kill RabbitMQ while tickets are being created, start it again: every `ticket.*`
event of those tickets is published once the broker is back, none lost."""
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pika
import pytest

from tests.e2e.harness import register_and_login, start_product, wait_for
from tests.e2e.private_broker import PrivateBroker, rabbitmq_available
from tests.support import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.chaos, pytest.mark.skipif(not rabbitmq_available(), reason="needs rabbitmq-server as root")]


def pika_params(url: str) -> pika.URLParameters:
    return pika.URLParameters(url.rstrip("/") + "/%2F")


def test_events_written_while_the_broker_is_down_are_published_when_it_returns(tmp_path):
    # The node runs as the rabbitmq user, which cannot enter pytest's private tmp folders.
    broker = PrivateBroker(Path(tempfile.mkdtemp(prefix="rabbit-", dir="/tmp")), free_port(), free_port())
    broker.start()
    exchange = f"outage.{uuid.uuid4().hex[:8]}"
    product = None
    try:
        # A durable queue of the test's own, bound before anything is published.
        with pika.BlockingConnection(pika_params(broker.url)) as connection:
            channel = connection.channel()
            channel.exchange_declare(exchange, exchange_type="topic", durable=True)
            channel.queue_declare("outage-audit", durable=True)
            channel.queue_bind("outage-audit", exchange, routing_key="ticket.#")
        product = start_product(tmp_path / "product", {"AMQP_URL": broker.url, "EVENT_EXCHANGE": exchange})
        customer = register_and_login(product)
        created: list[str] = []
        failures: list[str] = []
        stop = threading.Event()

        def create_tickets():
            i = 0
            while not stop.is_set():
                i += 1
                response = customer.post("/api/v1/tickets", json={
                    "subject": f"Outage ticket {i}", "category": "other", "description": "during the outage"})
                if response.status_code == 201:
                    created.append(response.json()["ticket"]["number"])
                else:
                    failures.append(response.text)
                time.sleep(0.05)

        writer = threading.Thread(target=create_tickets)
        writer.start()
        wait_for(lambda: len(created) >= 5, 20, message="tickets before the outage")
        broker.kill()
        during = len(created)
        wait_for(lambda: len(created) >= during + 10, 30, message="tickets while the broker is down")
        broker.start()
        time.sleep(1)
        stop.set()
        writer.join(30)
        assert failures == []
        assert len(created) >= 15

        seen: dict[str, int] = {}

        def drain():
            with pika.BlockingConnection(pika_params(broker.url)) as connection:
                channel = connection.channel()
                while True:
                    method, properties, body = channel.basic_get("outage-audit", auto_ack=True)
                    if method is None:
                        break
                    if properties.type == "ticket.created.v1":
                        number = __import__("json").loads(body)["data"]["number"]
                        seen[number] = seen.get(number, 0) + 1
            return set(created) <= set(seen)

        wait_for(drain, 60, interval=1.0, message="every ticket.created event after the outage")
        assert set(seen) == set(created)
        assert all(count == 1 for count in seen.values()), {n: c for n, c in seen.items() if c != 1}
    finally:
        if product is not None:
            product.stop()
        broker.kill()
        shutil.rmtree(broker.base, ignore_errors=True)
