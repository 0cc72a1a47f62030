"""Faults of the broker under running consumers, on a RabbitMQ node of the tests' own (never the machine's):
a restart of the node while a worker consumes, and quorum queues (`QUEUE_TYPE=quorum`) with their
delivery limit."""
from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from pathlib import Path

import pika
import pytest
from kombu import Connection

from shared.bus import connect, event_exchange
from shared.consumer import EventConsumer, QueueTopology
from shared.events import Envelope, EventType
from shared.worker import ServiceWorker
from tests.e2e.harness import wait_for
from tests.e2e.private_broker import PrivateBroker, rabbitmq_available
from tests.shared.test_messaging import Env
from tests.support import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.chaos, pytest.mark.skipif(not rabbitmq_available(), reason="needs rabbitmq-server as root")]


@pytest.fixture(scope="module")
def node():
    # The node runs as the rabbitmq user, which cannot enter pytest's private tmp folders.
    broker = PrivateBroker(Path(tempfile.mkdtemp(prefix="rabbit-", dir="/tmp")), free_port(), free_port())
    broker.start()
    yield broker
    broker.kill()
    shutil.rmtree(broker.base, ignore_errors=True)


def publish(url: str, exchange: str, envelopes: list[Envelope]) -> None:
    """As the relay does: each publish confirmed by the broker, so on its disk before the node is killed."""
    with connect(url) as connection:
        producer = connection.Producer()
        for envelope in envelopes:
            producer.publish(envelope.to_json(), exchange=event_exchange(exchange), routing_key=envelope.type,
                             content_type="application/json", content_encoding="utf-8", delivery_mode=2,
                             declare=[event_exchange(exchange)], retry=True)


def events(count: int, first: int) -> list[Envelope]:
    return [Envelope.new(EventType.USER_APP_INSTALLED, {"user_id": first + i}, "test") for i in range(count)]


def test_consumers_come_back_after_the_broker_restarts_and_nothing_is_lost(node, tmp_path):
    env = Env(f"sqlite:///{tmp_path}/consumer.db")
    exchange = f"restart.{uuid.uuid4().hex[:8]}"

    def record(envelope):
        time.sleep(0.005)  # slow enough that some are in flight when the node dies
        env.Effect.create(event_id=envelope.id, note="installed")

    topology = QueueTopology(f"restart-{uuid.uuid4().hex[:8]}", event_exchange(exchange),
                             [EventType.USER_APP_INSTALLED])
    consumer = EventConsumer(connect(node.url), topology, {EventType.USER_APP_INSTALLED: [record]},
                             env.database, env.processed, prefetch=10)
    worker = ServiceWorker("restart-test", consumer=consumer).start()

    def handled() -> int:
        with env.database.connection_context():
            return env.Effect.select().count()
    try:
        before = events(200, 1)
        publish(node.url, exchange, before)
        wait_for(lambda: handled() >= 20, timeout=20, message="the consumer at work")
        node.kill()
        node.start()
        restarted = time.monotonic()
        after = events(50, 1000)
        publish(node.url, exchange, after)
        wait_for(lambda: handled() >= 250, timeout=60, interval=0.2, message="every event after the restart")
        assert time.monotonic() - restarted < 60
        with env.database.connection_context():
            ids = [row.event_id for row in env.Effect.select()]
        assert sorted(ids) == sorted(e.id for e in before + after)  # each once: none lost, none twice
    finally:
        worker.stop(timeout=10)
        env.close()


def test_quorum_queues_dead_letter_a_message_past_the_delivery_limit(node, tmp_path, monkeypatch):
    monkeypatch.setenv("QUEUE_TYPE", "quorum")
    monkeypatch.setenv("QUEUE_DELIVERY_LIMIT", "2")
    exchange = f"quorum.{uuid.uuid4().hex[:8]}"
    topology = QueueTopology(f"quorum-{uuid.uuid4().hex[:8]}", event_exchange(exchange),
                             [EventType.USER_APP_INSTALLED])
    with Connection(node.url) as connection:
        topology.declare(connection.default_channel)
    params = pika.URLParameters(node.url.rstrip("/") + "/%2F")
    with pika.BlockingConnection(params) as connection:
        channel = connection.channel()
        with pytest.raises(pika.exceptions.ChannelClosedByBroker) as refused:
            channel.queue_declare(topology.name, durable=True, arguments={"x-queue-type": "classic"})
        assert refused.value.reply_code == 406  # it is a quorum queue

    # A consumer that dies on a message (no ack, no reject of its own): redelivered up to the limit, then parked.
    poison = events(1, 13)[0]
    publish(node.url, exchange, [poison])
    with pika.BlockingConnection(params) as connection:
        channel = connection.channel()
        for _ in range(3):
            method = None
            deadline = time.monotonic() + 10
            while method is None and time.monotonic() < deadline:
                method, _properties, _body = channel.basic_get(topology.name)
            if method is None:
                break
            channel.basic_nack(method.delivery_tag, requeue=True)

        def parked():
            method, _properties, body = channel.basic_get(f"{topology.name}.dlq", auto_ack=True)
            return body is not None and poison.id in body.decode()
        wait_for(parked, timeout=10, message="the poison message in the dead-letter queue")
        assert channel.basic_get(topology.name)[0] is None

    # Events that do not crash anyone are handled on the quorum queue as on a classic one.
    env = Env(f"sqlite:///{tmp_path}/consumer.db")
    consumer = EventConsumer(connect(node.url), topology,
                             {EventType.USER_APP_INSTALLED: [lambda e: env.Effect.create(event_id=e.id, note="ok")]},
                             env.database, env.processed)
    worker = ServiceWorker("quorum-test", consumer=consumer).start()
    try:
        good = events(5, 100)
        publish(node.url, exchange, good)

        def count():
            with env.database.connection_context():
                return env.Effect.select().count()
        wait_for(lambda: count() == 5, timeout=20, message="the events on the quorum queue")
    finally:
        worker.stop(timeout=10)
        env.close()
