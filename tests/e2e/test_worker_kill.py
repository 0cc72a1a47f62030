"""SIGKILL of a service's worker in the middle of a burst of events, then a new one: every event handled
exactly once (the effect and the processed-event row commit together; the ack comes after).

The kill lands mid-burst by construction, not by racing the worker: after a first part is handled, the
test holds the database's write lock, publishes the rest, and kills the worker once it has taken
messages it cannot commit."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import uuid

import pika
import pytest

from shared.bus import connect, event_exchange
from shared.events import Envelope, EventType
from tests.e2e.harness import ROOT, wait_for
from tests.support import AMQP_URL

pytestmark = [pytest.mark.e2e, pytest.mark.rabbitmq, pytest.mark.chaos]

BURST = 400
FIRST = 20  # handled before the kill


def profile_changed(i: int) -> dict:
    return {"user_id": 50_000 + i, "locale": "en"}


def registered(i: int) -> dict:
    return {"user_id": 60_000 + i, "email": f"burst{i}@example.com", "locale": "en", "region": None,
            "referral_code": None, "parent_id": None, "registered_at": "2026-01-05T10:00:00Z"}


def processed(database: str) -> tuple[int, int]:
    """(rows, distinct event ids) of the worker's processed-event table."""
    try:
        with sqlite3.connect(database, timeout=5) as connection:
            return connection.execute("SELECT COUNT(*), COUNT(DISTINCT event_id) FROM processed_event").fetchone()
    except sqlite3.OperationalError:  # not migrated yet
        return 0, 0


def queue_state(queue: str) -> tuple[int, int]:
    """(consumers, messages ready) of a queue; (0, 0) before it exists."""
    try:
        with pika.BlockingConnection(pika.URLParameters(AMQP_URL.rstrip("/") + "/%2F")) as connection:
            method = connection.channel().queue_declare(queue, passive=True).method
            return method.consumer_count, method.message_count
    except pika.exceptions.ChannelClosedByBroker:
        return 0, 0


def publish(events: list[Envelope], exchange: str) -> None:
    with connect(AMQP_URL) as connection:
        producer = connection.Producer()
        for envelope in events:
            producer.publish(envelope.to_json(), exchange=event_exchange(exchange), routing_key=envelope.type,
                             content_type="application/json", content_encoding="utf-8", delivery_mode=2)


def delete(*queues: str) -> None:
    with pika.BlockingConnection(pika.URLParameters(AMQP_URL.rstrip("/") + "/%2F")) as connection:
        channel = connection.channel()
        for queue in queues:
            channel.queue_delete(queue)


@pytest.mark.parametrize(("service", "event_type", "data"), [
    ("tickets", EventType.USER_PROFILE_CHANGED, profile_changed),
    ("referrals", EventType.USER_REGISTERED, registered),
])
def test_a_worker_killed_mid_burst_handles_every_event_once_after_restart(service, event_type, data, tmp_path):
    database = str(tmp_path / f"{service}.db")
    prefix, exchange = f"kill-{uuid.uuid4().hex[:8]}.", f"kill.{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, **{f"{service.upper()}_DATABASE_URL": f"sqlite:///{database}", "AMQP_URL": AMQP_URL,
                              "QUEUE_PREFIX": prefix, "EVENT_EXCHANGE": exchange, "DATA_DIR": str(tmp_path / "data"),
                              "PYTHONPATH": str(ROOT)})
    env.pop("DATABASE_URL", None)
    queue = f"{prefix}{service}.events"
    log = open(tmp_path / "worker.log", "ab")

    def start() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", f"services.{service}.worker"], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)

    worker = start()
    try:
        wait_for(lambda: queue_state(queue)[0] >= 1, timeout=60, message="the worker consuming")
        events = [Envelope.new(event_type, data(i), "test") for i in range(BURST)]
        publish(events[:FIRST], exchange)
        wait_for(lambda: processed(database)[0] >= FIRST, timeout=60, message="the burst under way")
        lock = sqlite3.connect(database, timeout=30, isolation_level=None)
        try:
            lock.execute("BEGIN IMMEDIATE")  # the worker can take messages, not commit their effects
            publish(events[FIRST:], exchange)
            wait_for(lambda: queue_state(queue)[1] < BURST - FIRST, timeout=60,
                     message="the worker holding messages it has not handled")
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            lock.execute("ROLLBACK")
        finally:
            lock.close()
        assert processed(database) == (FIRST, FIRST)

        worker = start()
        wait_for(lambda: processed(database)[0] >= BURST, timeout=90, interval=0.25, message="every event")
        assert processed(database) == (BURST, BURST)
        with sqlite3.connect(database) as connection:
            ids = {row[0] for row in connection.execute("SELECT event_id FROM processed_event")}
        assert ids == {e.id for e in events}
    finally:
        if worker.poll() is None:
            worker.terminate()
            worker.wait(30)
        log.close()
        delete(queue, f"{queue}.retry", f"{queue}.dlq")
