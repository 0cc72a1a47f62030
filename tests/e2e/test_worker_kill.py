"""SIGKILL of a service's worker in the middle of a burst of events, then a new one: every event handled
exactly once (the effect and the processed-event row commit together; the ack comes after)."""
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


def consumers_on(queue: str) -> int:
    try:
        with pika.BlockingConnection(pika.URLParameters(AMQP_URL.rstrip("/") + "/%2F")) as connection:
            return connection.channel().queue_declare(queue, passive=True).method.consumer_count
    except pika.exceptions.ChannelClosedByBroker:
        return 0


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
        wait_for(lambda: consumers_on(queue) >= 1, timeout=60, message="the worker consuming")
        events = [Envelope.new(event_type, data(i), "test") for i in range(BURST)]
        with connect(AMQP_URL) as connection:
            producer = connection.Producer()
            for envelope in events:
                producer.publish(envelope.to_json(), exchange=event_exchange(exchange), routing_key=envelope.type,
                                 content_type="application/json", content_encoding="utf-8", delivery_mode=2)
        wait_for(lambda: processed(database)[0] >= 20, timeout=30, message="the burst under way")
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        at_kill = processed(database)[0]
        assert at_kill < BURST, "the burst was over before the kill; make it longer"

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
