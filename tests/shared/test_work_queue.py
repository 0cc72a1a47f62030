"""A work queue of the shared worker (build_worker's `work_queues`) on RabbitMQ: an earlier stage queues chunks
of jobs (each an event with what that stage attached) in one confirmed publish; the consumer hands every job to
the delivery with its attachment, and a job that failed is queued again alone, the others not again."""
from __future__ import annotations

import threading
import time

import pytest
from kombu import Connection

from shared import db as shared_db
from shared.batching import jobs_body
from shared.bus import PooledPublisher
from shared.consumer import make_processed_event_model
from shared.events import Envelope
from shared.worker import WorkQueue, build_worker
from tests.support import AMQP_URL, unique

pytestmark = pytest.mark.rabbitmq


def registered(user_id: int) -> Envelope:
    return Envelope.new("user.registered.v1", {"user_id": user_id, "email": f"u{user_id}@example.com",
                                               "locale": "en", "registered_at": "2026-01-01T00:00:00Z"}, "test")


def depth(name: str) -> int:
    with Connection(AMQP_URL) as connection:
        return connection.default_channel.queue_declare(name, passive=True).message_count


def test_chunks_of_jobs_reach_the_delivery_and_a_failed_job_is_retried_alone(tmp_path):
    database = shared_db.make_database(f"sqlite:///{tmp_path}/jobs.db", "jobs")
    prefix = unique("jobs") + "."
    delivered: list[tuple[int, object]] = []
    failed_once: set[int] = set()
    lock = threading.Lock()

    def deliver_many(jobs) -> list:
        outcomes = []
        for job in jobs:
            user_id = job.envelope.data["user_id"]
            with lock:
                if user_id == 2 and user_id not in failed_once:
                    failed_once.add(user_id)
                    outcomes.append(RuntimeError("the provider is down"))
                    continue
                delivered.append((user_id, job.attached))
            outcomes.append(1)
        return outcomes

    worker = build_worker("jobs-test", database=database, outbox=None, broker_url=AMQP_URL,
                          exchange_name=unique("x"), processed_model=make_processed_event_model(database),
                          queue_prefix=prefix, backoff_base=0.05,
                          work_queues=[WorkQueue("jobs", deliver_many, batch_size=10)]).start()
    queue = prefix + "jobs"
    try:
        events = [registered(n) for n in range(1, 6)]
        publisher = PooledPublisher(AMQP_URL, confirm=True)
        publisher.publish_many([(jobs_body([(e.to_json(), {"n": e.data["user_id"]}) for e in events[:3]]), queue),
                                (jobs_body([(e.to_json(), {"n": e.data["user_id"]}) for e in events[3:]]), queue)])
        publisher.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(delivered) < 5:
            time.sleep(0.02)
        assert sorted(delivered) == [(n, {"n": n}) for n in range(1, 6)]  # each once, its attachment with it
        assert failed_once == {2}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and depth(queue) + depth(queue + ".retry") > 0:
            time.sleep(0.02)
        assert depth(queue) == depth(queue + ".retry") == depth(queue + ".dlq") == 0
    finally:
        worker.stop(10)
        with Connection(AMQP_URL) as connection:
            for name in (queue, queue + ".retry", queue + ".dlq"):
                connection.default_channel.queue_delete(name)
        database.close_all()
