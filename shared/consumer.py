"""The idempotent consumer base.

Each service consumes from its own durable queue, bound by event type. A handler's
effect and the event's id in the processed-events table commit in one
transaction; the message is acked only after that commit, so a redelivered event
has no second effect. A failing event is retried with back-off (a delay queue
that dead-letters back into the service's queue) a bounded number of times, then
parked in the service's dead-letter queue for ops to inspect and replay.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable

import peewee
from kombu import Connection, Exchange, Queue, binding
from kombu.mixins import ConsumerMixin

from shared import clock, config, metrics, tracing
from shared.bus import is_memory
from shared.db import shared_table
from shared.events import Envelope, InvalidEvent

log = logging.getLogger(__name__)

Handler = Callable[[Envelope], None]
DEFAULT_EXCHANGE = Exchange("", type="direct")
RETRY_HEADER = "x-retries"


def make_processed_event_model(database) -> type[peewee.Model]:
    class ProcessedEvent(peewee.Model):
        event_id = peewee.CharField(max_length=36)
        consumer = peewee.CharField(max_length=100)
        event_type = peewee.CharField(max_length=100)
        processed_at = peewee.DateTimeField(default=clock.now)

        class Meta:
            table_name = "processed_event"
            primary_key = peewee.CompositeKey("event_id", "consumer")

    ProcessedEvent._meta.set_database(database)
    return shared_table(ProcessedEvent)


class QueueTopology:
    """A consumer's queue, its retry (delay) queue and its dead-letter queue."""

    def __init__(self, name: str, exchange: Exchange, event_types: Iterable[str],
                 queue_type: str | None = None) -> None:
        self.name = name
        self.exchange = exchange
        self.event_types = sorted(set(event_types))
        # A queue bound to no event is a work queue: messages reach it by its name (the default exchange).
        self.queue = Queue(
            name,
            exchange=exchange if self.event_types else None,
            bindings=[binding(exchange, routing_key=t) for t in self.event_types],
            durable=True,
            queue_arguments=main_queue_arguments(name, queue_type or config.queue_type()),
        )
        self.retry_queue = Queue(
            f"{name}.retry",
            exchange=DEFAULT_EXCHANGE,
            routing_key=f"{name}.retry",
            durable=True,
            queue_arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": name},
        )
        self.dead_letter_queue = Queue(f"{name}.dlq", exchange=DEFAULT_EXCHANGE,
                                       routing_key=f"{name}.dlq", durable=True)

    def declare(self, channel) -> None:
        self.exchange(channel).declare()
        for queue in (self.queue, self.retry_queue, self.dead_letter_queue):
            queue(channel).declare()


def main_queue_arguments(name: str, queue_type: str) -> dict | None:
    """`QUEUE_TYPE=quorum`: a replicated queue; a message delivered `QUEUE_DELIVERY_LIMIT` times without an
    ack (a consumer that crashes on it each time) is dead-lettered to the queue's `.dlq`, not redelivered for
    ever. A queue's type is fixed when it is first declared: switching needs new queues (docs/deploy.md)."""
    if queue_type != "quorum":
        return None
    return {"x-queue-type": "quorum", "x-delivery-limit": config.queue_delivery_limit(),
            "x-dead-letter-exchange": "", "x-dead-letter-routing-key": f"{name}.dlq"}


def backoff_seconds(attempt: int, base: float = 1.0, cap: float = 60.0) -> float:
    """1, 2, 4, ... seconds, capped: eight attempts span about four minutes."""
    return min(cap, base * (2 ** attempt))


class EventConsumer(ConsumerMixin):
    """Consumes a service's queue and dispatches to handlers, once per event id."""

    def __init__(self, connection: Connection, topology: QueueTopology,
                 handlers: dict[str, list[Handler]], database: peewee.Database,
                 processed_model: type[peewee.Model], *, consumer_name: str | None = None,
                 prefetch: int = 32, max_retries: int = 8, backoff_base: float = 1.0) -> None:
        self.connection = connection
        self.topology = topology
        self.handlers = handlers
        self.database = database
        self.processed = processed_model
        self.consumer_name = consumer_name or topology.name
        self.prefetch = prefetch
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.handled = 0
        self._timers: list[threading.Timer] = []
        metrics.declare_queue(topology.name)

    # kombu's ConsumerMixin asks for the consumers once per connection.
    def get_consumers(self, Consumer, channel):
        self.topology.declare(channel)
        # The raw message, not kombu's decoding of it: kombu acks and drops a body it cannot decode, where
        # a body that is not an event (not JSON, or not said to be) is parked here like any malformed event.
        return [Consumer(queues=[self.topology.queue], on_message=self._on_raw_message,
                         prefetch_count=self.prefetch)]

    def on_consume_ready(self, connection, channel, consumers, **kwargs) -> None:
        # Subscribed: from here on the broker hands this process its share of the queue.
        log.info("consuming", extra={"queue": self.topology.name, "pid": os.getpid()})

    def _on_raw_message(self, message) -> None:
        if self.should_stop:
            # Stopping: kombu cancels the consumer on the way out, and while it waits for the broker's answer
            # it hands over the whole prefetch still on the wire. Taken, that would be handled after the stop
            # was asked (a batching consumer's last batches even committed but never acked, as the acks are
            # done by then). Left unacked, each goes back to the queue when the channel closes.
            return
        self.on_message(message.body, message)

    def on_message(self, body, message) -> None:
        started = time.perf_counter()
        try:
            raw = json.loads(body) if isinstance(body, (str, bytes, bytearray)) else body
            envelope = Envelope.from_dict(raw)
        except (InvalidEvent, ValueError, TypeError) as exc:
            log.error("malformed event parked", extra={"queue": self.topology.name, "error": str(exc)[:300]})
            self._park(message, reason=str(exc)[:300])
            return
        try:
            with tracing.continued(envelope.traceparent, f"consume {envelope.type}",
                                   attributes={"messaging.destination.name": self.topology.name}):
                first_time = self.handle(envelope)
        except Exception as exc:  # noqa: BLE001 - any handler failure is retried, then parked
            self._retry_or_park(message, envelope, exc)
            metrics.consumer_handling_seconds.labels(self.topology.name).observe(time.perf_counter() - started)
            return
        message.ack()
        metrics.observe_message(self.topology.name, "handled" if first_time else "duplicate",
                                time.perf_counter() - started)

    def handle(self, envelope: Envelope) -> bool:
        """Run the handlers for one event in one transaction; False if it was a duplicate."""
        with self.database.connection_context():
            with self.database.atomic():
                already = (self.processed.select()
                           .where((self.processed.event_id == envelope.id)
                                  & (self.processed.consumer == self.consumer_name))
                           .exists())
                if already:
                    return False
                for handler in self.handlers.get(envelope.type, []):
                    handler(envelope)
                self.processed.create(event_id=envelope.id, consumer=self.consumer_name,
                                      event_type=envelope.type)
        self.handled += 1
        return True

    def _retry_or_park(self, message, envelope: Envelope, exc: Exception, *, body=None, settle: bool = True) -> None:
        """Retry the event later (back-off), or park it after `max_retries`. `body`: what to queue again, when
        the message carried more than this event (a chunk of jobs, shared/batching.py); `settle`: ack the
        message (the caller acks one that carried more, once)."""
        body = message.body if body is None else body
        attempt = int((message.headers or {}).get(RETRY_HEADER, 0))
        if attempt >= self.max_retries:
            log.error("event parked after retries", extra={
                "event_id": envelope.id, "event_type": envelope.type, "attempts": attempt,
                "error": repr(exc)[:300]})
            self._park(message, reason=repr(exc)[:300], body=body, settle=settle)
            return
        delay = backoff_seconds(attempt, self.backoff_base)
        log.warning("event handler failed; retrying", extra={
            "event_id": envelope.id, "event_type": envelope.type, "attempt": attempt + 1,
            "retry_in": delay, "error": repr(exc)[:300]})
        headers = dict(message.headers or {}, **{RETRY_HEADER: attempt + 1})
        if is_memory(self.connection.as_uri()):
            # The in-process bus has no message TTL: a timer puts the event back.
            timer = threading.Timer(delay, self._republish, args=(body, headers, self.topology.name))
            timer.daemon = True
            timer.start()
            self._timers.append(timer)
        else:
            self._republish(body, headers, self.topology.retry_queue.name, expiration=delay)
        if settle:
            message.ack()
        metrics.consumer_messages.labels(self.topology.name, "retried").inc()

    def _park(self, message, reason: str, *, body=None, settle: bool = True) -> None:
        headers = dict(message.headers or {}, **{"x-park-reason": reason, "x-parked-at": clock.isoformat(clock.now())})
        self._republish(message.body if body is None else body, headers, self.topology.dead_letter_queue.name)
        if settle:
            message.ack()
        metrics.consumer_messages.labels(self.topology.name, "parked").inc()

    def _republish(self, body, headers: dict, routing_key: str, expiration: float | None = None) -> None:
        with self.connection.Producer() as producer:
            producer.publish(
                body, exchange="", routing_key=routing_key, headers=headers,
                content_type="application/json", content_encoding="utf-8", delivery_mode=2,
                expiration=expiration,
                declare=[self.topology.retry_queue, self.topology.dead_letter_queue],
                retry=True,
            )


def dead_letters(connection: Connection, topology: QueueTopology, limit: int = 100) -> list[dict]:
    """The parked messages, left in place (read unacked, then given back)."""
    found = []
    with connection.channel() as channel:
        topology.declare(channel)
        queue = topology.dead_letter_queue(channel)
        for _ in range(limit):
            message = queue.get(no_ack=False, accept=["json"])
            if message is None:
                break
            found.append({"headers": dict(message.headers or {}), "body": _as_json(message.body)})
        # Closing the channel returns every unacked message to the queue, in order.
    return found


def replay_dead_letters(connection: Connection, topology: QueueTopology, limit: int | None = None) -> int:
    """Move parked messages back to the service's queue with a fresh retry count."""
    moved = 0
    with connection.channel() as channel:
        topology.declare(channel)
        queue = topology.dead_letter_queue(channel)
        producer = connection.Producer(channel)
        while limit is None or moved < limit:
            message = queue.get(no_ack=False, accept=["json"])
            if message is None:
                break
            headers = {k: v for k, v in (message.headers or {}).items()
                       if k not in (RETRY_HEADER, "x-park-reason", "x-parked-at", "x-death")}
            producer.publish(message.body, exchange="", routing_key=topology.name, headers=headers,
                             content_type="application/json", content_encoding="utf-8",
                             delivery_mode=2)
            message.ack()
            moved += 1
    return moved


def _as_json(body):
    try:
        return json.loads(body)
    except (TypeError, ValueError):
        return body
