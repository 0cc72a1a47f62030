"""The outbox relay and the idempotent consumer on a real RabbitMQ, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import threading
import time

import peewee
import pika
import pytest
from kombu import Connection
from kombu.exceptions import OperationalError

from shared import db as shared_db
from shared.bus import connect, event_exchange
from shared.consumer import EventConsumer, QueueTopology, dead_letters, make_processed_event_model, replay_dead_letters
from shared.events import Envelope, EventType
from shared.outbox import Outbox, OutboxRelay, make_outbox_model
from tests.support import AMQP_URL, unique

pytestmark = pytest.mark.rabbitmq


class Env:
    """A database with an outbox, a processed-events table and a table for handler effects."""

    def __init__(self, url: str):
        self.database = shared_db.make_database(url, "msgtest")
        shared_db.ensure_schema(self.database)
        self.outbox_model = make_outbox_model(self.database)
        self.processed = make_processed_event_model(self.database)

        class Effect(peewee.Model):
            event_id = peewee.CharField()
            note = peewee.CharField()

            class Meta:
                database = self.database
                table_name = "effect"

        self.Effect = Effect
        with self.database.connection_context():
            self.database.create_tables([self.outbox_model, self.processed, Effect])
        self.outbox = Outbox(self.outbox_model, "testsvc")

    def close(self):
        if hasattr(self.database, "close_all"):
            self.database.close_all()


@pytest.fixture
def env(database_url):
    environment = Env(database_url)
    yield environment
    environment.close()


@pytest.fixture
def exchange_name():
    name = unique("test.exchange")
    yield name
    with Connection(AMQP_URL) as conn:
        channel = conn.channel()
        try:
            channel.exchange_delete(name)
        except Exception:  # noqa: BLE001 - already gone
            pass


def delete_queues(*names):
    with Connection(AMQP_URL) as conn:
        for name in names:
            channel = conn.channel()
            try:
                channel.queue_delete(name)
            except Exception:  # noqa: BLE001
                pass


def add_event(env: Env, user_id: int = 1) -> Envelope:
    with env.database.connection_context(), env.database.atomic():
        return env.outbox.add(EventType.USER_APP_INSTALLED, {"user_id": user_id, "platform": "ios"})


def test_relay_publishes_plain_amqp_json_that_pika_reads(env, exchange_name):
    """The wire format is plain AMQP + JSON: pika, not kombu, reads it."""
    queue = unique("test.pika")
    params = pika.URLParameters(AMQP_URL.rstrip("/") + "/%2F" if AMQP_URL.endswith("//") else AMQP_URL)
    with pika.BlockingConnection(params) as connection:
        channel = connection.channel()
        channel.exchange_declare(exchange_name, exchange_type="topic", durable=True)
        channel.queue_declare(queue, durable=False, exclusive=True)
        channel.queue_bind(queue, exchange_name, routing_key="user.*.v1")
        envelope = add_event(env, user_id=42)
        relay = OutboxRelay(env.outbox, env.database, AMQP_URL, event_exchange(exchange_name))
        assert relay.relay_once() == 1
        method, properties, body = None, None, None
        for _ in range(50):
            method, properties, body = channel.basic_get(queue, auto_ack=True)
            if method:
                break
            time.sleep(0.05)
        assert method is not None
        assert method.routing_key == "user.app_installed.v1"
        assert properties.content_type == "application/json"
        assert properties.message_id == envelope.id
        assert properties.type == "user.app_installed.v1"
        assert properties.delivery_mode == 2
        payload = json.loads(body)
        assert payload["id"] == envelope.id and payload["data"] == {"user_id": 42, "platform": "ios"}
    with env.database.connection_context():
        assert env.outbox_model.select().where(env.outbox_model.sent_at.is_null()).count() == 0


def test_relay_keeps_rows_while_the_broker_is_unreachable(env, exchange_name):
    add_event(env)
    down = OutboxRelay(env.outbox, env.database, "amqp://guest:guest@127.0.0.1:1//", event_exchange(exchange_name))
    with pytest.raises((OSError, OperationalError)):
        down.relay_once()
    with env.database.connection_context():
        assert env.outbox_model.select().where(env.outbox_model.sent_at.is_null()).count() == 1
    up = OutboxRelay(env.outbox, env.database, AMQP_URL, event_exchange(exchange_name))
    assert up.relay_once() == 1


def test_unroutable_events_are_noticed(env, exchange_name):
    add_event(env)
    relay = OutboxRelay(env.outbox, env.database, AMQP_URL, event_exchange(exchange_name))
    assert relay.relay_once() == 1
    assert relay.unroutable == 1


def test_a_batch_is_confirmed_once_and_each_unroutable_event_counted(env, exchange_name, monkeypatch):
    """Only `user.app_installed.v1` has a queue: the batch's other events come back, each counted, and every row
    of the batch is sent, after one wait for the broker's confirms of them all."""
    from shared import bus

    queue = unique("test.batch")
    with Connection(AMQP_URL) as connection:
        channel = connection.default_channel
        event_exchange(exchange_name)(channel).declare()
        channel.queue_declare(queue, durable=True, auto_delete=False)
        channel.queue_bind(queue, exchange_name, routing_key="user.app_installed.v1")
    try:
        with env.database.connection_context(), env.database.atomic():
            for user_id in range(1, 7):
                if user_id % 3:
                    env.outbox.add(EventType.USER_APP_INSTALLED, {"user_id": user_id, "platform": "ios"})
                else:
                    env.outbox.add(EventType.USER_REGISTERED, {
                        "user_id": user_id, "email": f"u{user_id}@example.com", "locale": "en",
                        "registered_at": "2026-12-06T17:00:00Z"})
        waits = []
        real_wait = bus.Confirms.wait
        monkeypatch.setattr(bus.Confirms, "wait", lambda self, *args: waits.append(len(self.unsettled)) or
                            real_wait(self, *args))
        relay = OutboxRelay(env.outbox, env.database, AMQP_URL, event_exchange(exchange_name))

        assert relay.relay_once() == 6
        assert relay.unroutable == 2 and len(waits) == 1  # one wait, for the confirms still to come
        with Connection(AMQP_URL) as connection:
            routed = []
            simple = connection.SimpleQueue(queue, no_ack=True)
            while len(routed) < 4:
                routed.append(json.loads(simple.get(timeout=10).body)["data"]["user_id"])
            simple.close()
        assert routed == [1, 2, 4, 5]
        with env.database.connection_context():
            assert env.outbox_model.select().where(env.outbox_model.sent_at.is_null()).count() == 0
    finally:
        delete_queues(queue)


def run_consumer(consumer: EventConsumer):
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    return thread


def stop_consumer(consumer: EventConsumer, thread: threading.Thread):
    consumer.should_stop = True
    thread.join(10)


def wait(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def make_consumer(env: Env, exchange_name: str, handler, **kwargs):
    topology = QueueTopology(unique("test.consumer"), event_exchange(exchange_name), [EventType.USER_APP_INSTALLED])
    consumer = EventConsumer(connect(AMQP_URL), topology, {EventType.USER_APP_INSTALLED: [handler]},
                             env.database, env.processed, **kwargs)
    with Connection(AMQP_URL) as conn:
        topology.declare(conn.default_channel)
    return consumer, topology


def publish_raw(exchange_name: str, body: str, routing_key: str = "user.app_installed.v1",
                content_type: str = "application/json"):
    with Connection(AMQP_URL) as conn:
        conn.Producer().publish(body, exchange=event_exchange(exchange_name), routing_key=routing_key,
                                content_type=content_type, content_encoding="utf-8")


def test_duplicate_delivery_has_one_effect(env, exchange_name):
    def record(envelope):
        env.Effect.create(event_id=envelope.id, note="installed")

    consumer, topology = make_consumer(env, exchange_name, record)
    envelope = Envelope.new(EventType.USER_APP_INSTALLED, {"user_id": 3}, "test")
    try:
        for _ in range(3):
            publish_raw(exchange_name, envelope.to_json())
        thread = run_consumer(consumer)
        with env.database.connection_context():
            assert wait(lambda: env.processed.select().count() == 1)
            time.sleep(0.3)
            assert env.Effect.select().count() == 1
        stop_consumer(consumer, thread)
    finally:
        delete_queues(topology.name, topology.retry_queue.name, topology.dead_letter_queue.name)


@pytest.mark.chaos
def test_failing_handler_is_retried_then_parked_then_replayed(env, exchange_name):
    attempts = []
    broken = threading.Event()
    broken.set()

    def flaky(envelope):
        attempts.append(envelope.id)
        if broken.is_set():
            raise RuntimeError("downstream unavailable")
        env.Effect.create(event_id=envelope.id, note="done")

    consumer, topology = make_consumer(env, exchange_name, flaky, max_retries=2, backoff_base=0.05)
    try:
        thread = run_consumer(consumer)
        envelope = Envelope.new(EventType.USER_APP_INSTALLED, {"user_id": 4}, "test")
        publish_raw(exchange_name, envelope.to_json())
        assert wait(lambda: len(attempts) == 3), attempts  # the first try and two retries
        with Connection(AMQP_URL) as conn:
            assert wait(lambda: len(dead_letters(conn, topology)) == 1)
            parked = dead_letters(conn, topology)
        assert parked[0]["body"]["id"] == envelope.id
        assert "downstream unavailable" in parked[0]["headers"]["x-park-reason"]
        with env.database.connection_context():
            assert env.Effect.select().count() == 0
        broken.clear()
        with Connection(AMQP_URL) as conn:
            assert replay_dead_letters(conn, topology) == 1
        with env.database.connection_context():
            assert wait(lambda: env.Effect.select().count() == 1)
        with Connection(AMQP_URL) as conn:
            assert dead_letters(conn, topology) == []
        stop_consumer(consumer, thread)
    finally:
        delete_queues(topology.name, topology.retry_queue.name, topology.dead_letter_queue.name)


def test_malformed_messages_are_parked_not_lost(env, exchange_name):
    """What any AMQP client may publish: not an envelope, not JSON, not even said to be JSON. Each is parked
    as it came, and the events behind them go on."""
    def record(envelope):
        env.Effect.create(event_id=envelope.id, note="installed")

    consumer, topology = make_consumer(env, exchange_name, record)
    try:
        thread = run_consumer(consumer)
        publish_raw(exchange_name, '{"not": "an envelope"}')
        publish_raw(exchange_name, "{not json")
        publish_raw(exchange_name, "user_id=5", content_type="text/plain")
        envelope = Envelope.new(EventType.USER_APP_INSTALLED, {"user_id": 5}, "test")
        publish_raw(exchange_name, envelope.to_json())
        with env.database.connection_context():
            assert wait(lambda: env.Effect.select().count() == 1)
        with Connection(AMQP_URL) as conn:
            assert wait(lambda: len(dead_letters(conn, topology)) == 3)
            parked = dead_letters(conn, topology)
        assert [letter["body"] for letter in parked] == [{"not": "an envelope"}, "{not json", "user_id=5"]
        assert all(letter["headers"]["x-park-reason"] for letter in parked)
        stop_consumer(consumer, thread)
    finally:
        delete_queues(topology.name, topology.retry_queue.name, topology.dead_letter_queue.name)


def test_in_process_bus_routes_by_type(tmp_path):
    """The embedded default's memory transport keeps topic routing and idempotency."""
    env = Env(f"sqlite:///{tmp_path}/mem.db")
    exchange = event_exchange(unique("mem"))
    topology = QueueTopology(unique("mem.q"), exchange, [EventType.USER_APP_INSTALLED])
    seen = []
    consumer = EventConsumer(connect("memory://"), topology, {EventType.USER_APP_INSTALLED: [seen.append]},
                             env.database, env.processed)
    with connect("memory://") as conn:
        topology.declare(conn.default_channel)
    add_event(env, 9)
    add_event(env, 10)
    relay = OutboxRelay(env.outbox, env.database, "memory://", exchange)
    assert relay.relay_once() == 2
    thread = run_consumer(consumer)
    assert wait(lambda: len(seen) == 2)
    assert sorted(e.data["user_id"] for e in seen) == [9, 10]
    stop_consumer(consumer, thread)


def test_published_codes_do_not_stay_in_the_outbox(tmp_path):
    env = Env(f"sqlite:///{tmp_path}/codes.db")
    with env.database.connection_context(), env.database.atomic():
        env.outbox.add(EventType.GUEST_VERIFICATION_REQUESTED,
                       {"purpose": "guest_ticket", "address": "g@example.com", "code": "493817"})
    relay = OutboxRelay(env.outbox, env.database, "memory://", event_exchange(unique("codes")))
    assert relay.relay_once() == 1
    with env.database.connection_context():
        row = env.outbox_model.get()
        assert row.sent_at is not None and "493817" not in row.payload


def test_the_catalogue_says_which_published_rows_are_blanked(tmp_path):
    env = Env(f"sqlite:///{tmp_path}/secrets.db")
    with env.database.connection_context(), env.database.atomic():
        code = env.outbox.add(EventType.USER_ANTI_PHISHING_CODE_CHANGED, {"user_id": 1, "code": "QX7RT2"})
        plain = env.outbox.add(EventType.USER_APP_INSTALLED, {"user_id": 1, "platform": "ios"})
    relay = OutboxRelay(env.outbox, env.database, "memory://", event_exchange(unique("secrets")))
    assert relay.relay_once() == 2
    with env.database.connection_context():
        rows = {row.event_id: row.payload for row in env.outbox_model.select()}
    assert "QX7RT2" not in rows[code.id]
    assert json.loads(rows[plain.id]) == plain.to_dict()


def test_a_row_committed_by_another_process_wakes_the_relay_at_commit(env, database_url):
    """The relay's watcher (NOTIFY on PostgreSQL, the write-ahead log on SQLite) fires on the commit of a
    row written through another connection pool, as another process would, and not before it."""
    from shared.outbox import CommitWatcher

    wakeup, stop = threading.Event(), threading.Event()
    threading.Thread(target=CommitWatcher(env.database, wakeup).run, args=(stop,), daemon=True).start()
    other = shared_db.make_database(database_url, "msgtest")
    other_outbox = Outbox(make_outbox_model(other), "testsvc")
    try:
        time.sleep(0.3)  # listening (or the log's first state noted)
        wakeup.clear()
        with other.connection_context(), other.atomic():
            other_outbox.add(EventType.USER_APP_INSTALLED, {"user_id": 5, "platform": "ios"})
            assert not wakeup.wait(0.3), "woken before the commit"
        assert wakeup.wait(2.0), "not woken by the commit"
    finally:
        stop.set()
        other.close_all()
