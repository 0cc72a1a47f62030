"""The inbox's batching consumer on RabbitMQ: a batch whose handler fails is rolled back and its events
go one at a time (the bad one retried, then parked), the others take effect once, duplicates none; what a
committed batch published and the broker did not confirm is published again."""
import json
import logging
import threading
from types import SimpleNamespace

import peewee
import pytest
from kombu import Connection

from shared import db as shared_db
from shared.batch_consumer import BatchingEventConsumer
from shared.bus import PooledPublisher, event_exchange
from shared.consumer import QueueTopology, make_processed_event_model
from tests.notifications.support import registered, wait_until
from tests.support import AMQP_URL

pytestmark = pytest.mark.rabbitmq

UNLUCKY = 13


@pytest.fixture
def database(tmp_path):
    database = shared_db.make_database(f"sqlite:///{tmp_path}/batch.db", "batch")

    class Effect(peewee.Model):
        user_id = peewee.IntegerField()

        class Meta:
            table_name = "effect"

    Effect._meta.set_database(database)
    processed = make_processed_event_model(database)
    with database.connection_context():
        database.create_tables([Effect, processed])
    yield SimpleNamespace(database=database, Effect=Effect, processed=processed)
    database.close_all()


def inbox_consumer(env, broker, handler, **options) -> BatchingEventConsumer:
    """A batching consumer of `user.registered.v1` on the test's own queue, the queue declared."""
    topology = QueueTopology(broker.prefix + "notifications.events", event_exchange(broker.exchange),
                             ["user.registered.v1"])
    with Connection(AMQP_URL) as connection:
        topology.declare(connection.default_channel)
    return BatchingEventConsumer(Connection(AMQP_URL), topology, {"user.registered.v1": [handler]}, env.database,
                                 env.processed, **options)


def effects(env) -> list[int]:
    with env.database.connection_context():
        return sorted(row.user_id for row in env.Effect.select())


def test_a_failing_batch_goes_one_event_at_a_time(database, broker, caplog):
    caplog.set_level(logging.INFO)
    announced = []

    def handler(envelopes):
        ids = [envelope.data["user_id"] for envelope in envelopes]
        for user_id in ids:
            database.Effect.create(user_id=user_id)
        if UNLUCKY in ids:
            raise RuntimeError("unlucky")  # rolls back the whole batch, the effects above included
        return [SimpleNamespace(user_id=user_id) for user_id in ids]

    consumer = inbox_consumer(database, broker, handler, batch_size=50, max_retries=1, backoff_base=0.01,
                              after_commit=announced.extend)
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        events = [registered(user_id, f"u{user_id}@example.com") for user_id in range(10, 20)]
        broker.publish(*events, events[0])  # the first one twice
        wait_until(lambda: broker.queue_depth("notifications.events.dlq") == 1, timeout=20,
                   message="the unlucky event parked")
        wait_until(lambda: len(effects(database)) == 9, message="the other nine events")
        assert effects(database) == [n for n in range(10, 20) if n != UNLUCKY]
        assert sorted(item.user_id for item in announced) == effects(database)
        assert consumer.handled == 9
        assert broker.queue_depth("notifications.events") == 0
        messages = [record.getMessage() for record in caplog.records]
        assert "batch failed; handling its events one at a time" in messages
    finally:
        consumer.should_stop = True
        thread.join(10)


def test_what_a_committed_batch_published_unconfirmed_is_published_again(database, broker):
    """`before_commit` publishes without waiting; the batch commits and is announced meanwhile; the broker refuses
    the message (a queue that is full refuses publishes), so the event comes again, finds itself handled (no
    second effect, no second announcement) and publishes what `replay` makes of it, confirmed this time."""
    refusing, accepting = broker.prefix + "refusing", broker.prefix + "accepting"
    with Connection(AMQP_URL) as connection:
        channel = connection.default_channel
        channel.queue_declare(refusing, durable=True, arguments={"x-max-length": 0, "x-overflow": "reject-publish"})
        channel.queue_declare(accepting, durable=True)
    publisher = PooledPublisher(AMQP_URL, confirm=True)
    target, announced, replayed = [refusing], [], []

    def handler(envelopes):
        for envelope in envelopes:
            database.Effect.create(user_id=envelope.data["user_id"])
        return [envelope.data["user_id"] for envelope in envelopes]

    def before_commit(results, bodies):
        return publisher.publish_many([(json.dumps({"user_id": user_id}), target[0]) for user_id in results],
                                      wait=False)

    def replay(envelopes):
        target[0] = accepting
        replayed.extend(envelope.data["user_id"] for envelope in envelopes)
        return [envelope.data["user_id"] for envelope in envelopes]

    consumer = inbox_consumer(database, broker, handler, batch_size=50, backoff_base=0.01,
                              before_commit=before_commit, after_commit=announced.extend, replay=replay)
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        broker.publish(registered(7, "u7@example.com"))
        wait_until(lambda: broker.queue_depth_of(accepting) == 1, message="the message published again")
        wait_until(lambda: broker.queue_depth("notifications.events") == 0, message="the event taken")
        wait_until(lambda: replayed == [7], message="the event handled again")
        consumer.should_stop = True
        thread.join(10)
        assert not thread.is_alive()
        # Acked: nothing came back to the queue when the consumer's channel closed.
        assert broker.queue_depth("notifications.events") == 0
        assert effects(database) == [7] and announced == [7] and replayed == [7]
        assert broker.queue_depth_of(refusing) == 0 and broker.queue_depth("notifications.events.dlq") == 0
    finally:
        consumer.should_stop = True
        thread.join(10)
        publisher.close()
        with Connection(AMQP_URL) as connection:
            for name in (refusing, accepting):
                connection.default_channel.queue_delete(name)


def test_bodies_that_are_not_events_are_parked_and_the_batch_goes_on(database, broker):
    def handler(envelopes):
        for envelope in envelopes:
            database.Effect.create(user_id=envelope.data["user_id"])
        return []

    consumer = inbox_consumer(database, broker, handler, batch_size=50)
    broker.publish(registered(1, "u1@example.com"))
    broker.publish_raw("{not json", "user.registered.v1")
    broker.publish_raw("user_id=2", "user.registered.v1", content_type="text/plain")
    broker.publish_raw('{"id": "not a uuid"}', "user.registered.v1")
    broker.publish(registered(3, "u3@example.com"))
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: broker.queue_depth("notifications.events.dlq") == 3, message="three bodies parked")
        wait_until(lambda: effects(database) == [1, 3], message="the two events around them")
        assert broker.queue_depth("notifications.events") == 0
    finally:
        consumer.should_stop = True
        thread.join(10)


def test_batching_is_an_option_of_every_services_worker(database, tmp_path):
    from shared.consumer import EventConsumer
    from shared.worker import build_worker

    common = {"database": database, "outbox": None, "broker_url": "memory://localhost/", "exchange_name": "x",
              "handlers": {"user.registered.v1": [lambda events: []]}, "processed_model": make_processed_event_model(
                  database)}
    plain = build_worker("plain", **common).consumer
    batching = build_worker("batching", batch_size=50, **common).consumer
    assert type(plain) is EventConsumer
    assert isinstance(batching, BatchingEventConsumer) and batching.batch_size == 50
    assert batching.topology.event_types == plain.topology.event_types == ["user.registered.v1"]


def test_a_stopping_consumer_finishes_what_it_took_and_gives_back_the_rest(database, broker):
    """SIGTERM's path (`should_stop`): the batches taken before the stop are committed and acked; the
    prefetch still on the wire, which kombu hands over while it cancels the consumer, is neither handled
    nor acked but goes back to the queue. (Taken, it was written after the acks were done: committed,
    never acked, delivered again; and a worker's stop took as long as its whole prefetch.)"""
    release, entered = threading.Event(), threading.Event()

    def handler(envelopes):
        entered.set()
        release.wait(30)  # the first batch holds the consumer until the stop is asked
        for envelope in envelopes:
            database.Effect.create(user_id=envelope.data["user_id"])
        return []

    consumer = inbox_consumer(database, broker, handler, batch_size=10, prefetch=100)
    broker.publish(*[registered(user_id, f"u{user_id}@example.com") for user_id in range(100)])
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        # Every message is out to the consumer: a few batches taken, the rest of the prefetch on the wire.
        wait_until(lambda: broker.queue_depth("notifications.events") == 0, timeout=20, message="the prefetch")
        wait_until(entered.is_set, timeout=20, message="a batch taken")
    finally:
        consumer.should_stop = True
        release.set()
        thread.join(30)
    assert not thread.is_alive()
    taken = consumer.handled
    assert 10 <= taken < 100 and len(effects(database)) == taken
    wait_until(lambda: broker.queue_depth("notifications.events") == 100 - taken, timeout=20,
               message="the rest back in the queue")
    with database.database.connection_context():
        assert database.processed.select().count() == taken  # none written beyond what was acked
