"""The message bus: one durable topic exchange of domain events on RabbitMQ.

Plain JSON bodies with AMQP properties (`message_id`, `type`, `content_type`,
persistent delivery), so any AMQP client reads them. Without a reachable broker
the embedded default uses kombu's in-process transport, which keeps the same
routing for a single-process run.
"""
from __future__ import annotations

import logging
import queue
import socket
import time
from collections.abc import Iterable
from contextlib import nullcontext
from urllib.parse import urlparse

from kombu import Connection, Exchange, Producer

from shared import amqp_transport
from shared.events import Envelope

log = logging.getLogger(__name__)

MEMORY_URL = "memory://localhost/"  # with a host: kombu warns on every connection without one
RETRY_POLICY = {"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 2}


def event_exchange(name: str = "support.events") -> Exchange:
    return Exchange(name, type="topic", durable=True)


def broker_reachable(url: str, timeout: float = 1.0) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 5672), timeout=timeout):
            return True
    except OSError:
        return False


def resolve_broker_url(url: str | None, *, fall_back: bool = False) -> str:
    """The broker to use: `AMQP_URL`, or the in-process bus when none is set.

    Only the embedded default (`make run`) passes `fall_back`, turning an `AMQP_URL`
    that does not answer into the in-process bus; a deployed process keeps its broker
    and waits for it, since a process on its own bus would silently talk to nobody.
    """
    if not url or is_memory(url):
        return MEMORY_URL
    if fall_back and not broker_reachable(url):
        log.warning("AMQP_URL does not answer; using the in-process bus")
        return MEMORY_URL
    return url


def is_memory(url: str) -> bool:
    return url.startswith("memory")


def broker_connection(url: str, **options) -> Connection:
    """A kombu connection to `url`: RabbitMQ's reads its socket buffered (shared/amqp_transport.py)."""
    return Connection(url, transport=None if is_memory(url) else amqp_transport.Transport, **options)


def connect(url: str, *, max_retries: int | None = None, poll_interval: float | None = None,
            confirm_each: bool = True) -> Connection:
    """A connection whose publishes wait for the broker's confirm (`confirm_each=False`: the caller
    waits for them itself, once for several: `EventPublisher.publish_many`).

    `max_retries` bounds the attempts to connect, for callers that have their own
    back-off (the outbox relay) and must not block on a broker that is down.
    `poll_interval`: how often a consumer on the in-process bus (which polls) looks for messages
    (kombu's default is a second).
    """
    options = {} if is_memory(url) or not confirm_each else {"confirm_publish": True}
    if max_retries is not None:
        options["max_retries"] = max_retries
    if poll_interval is not None and is_memory(url):
        options["polling_interval"] = poll_interval
    return broker_connection(url, transport_options=options, heartbeat=0 if is_memory(url) else 30,
                             connect_timeout=5)


class EventPublisher:
    """Publishes envelopes with publisher confirms and notices unroutable ones.

    One producer per publisher, reused across publishes (connections are
    expensive to open); not thread-safe: one per thread.
    """

    def __init__(self, connection: Connection, exchange: Exchange, *, retry: bool = True,
                 confirm_timeout: float = 30.0) -> None:
        self.connection = connection
        self.exchange = exchange
        self.retry = retry
        self.confirm_timeout = confirm_timeout
        self._returned_ids: set[str] = set()
        self._producer: Producer | None = None
        self._confirms: Confirms | None = None

    def _on_return(self, exception, exchange, routing_key, message) -> None:
        self._returned_ids.add((getattr(message, "properties", None) or {}).get("message_id"))
        log.warning("event unroutable", extra={"routing_key": routing_key, "exchange": exchange})

    @property
    def producer(self) -> Producer:
        if self._producer is None:
            channel = self.connection.default_channel
            self.exchange(channel).declare()
            self._producer = Producer(channel, exchange=self.exchange, on_return=self._on_return)
            # A connection that does not wait for each confirm (connect(confirm_each=False)): waited for per batch.
            confirm_each = self.connection.transport_options.get("confirm_publish")
            if not confirm_each and not is_memory(self.connection.as_uri()):
                self._confirms = Confirms(channel)
        return self._producer

    def _send(self, envelope: Envelope) -> None:
        self.producer.publish(
            envelope.to_json(),
            routing_key=envelope.type,
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=2,
            message_id=envelope.id,
            type=envelope.type,
            correlation_id=envelope.correlation_id,
            mandatory=not is_memory(self.connection.as_uri()),
            retry=self.retry,
            retry_policy=RETRY_POLICY,
        )
        if self._confirms is not None:
            self._confirms.add()

    def publish(self, envelope: Envelope) -> bool:
        """Publish and wait for the confirm; returns False if the broker could route it nowhere."""
        return self.publish_many([envelope])[0]

    def publish_many(self, envelopes: list[Envelope], on_each=None) -> list[bool]:
        """Each envelope in order (`on_each(envelope)` wraps its sending: a tracing span), then the broker's
        confirms of them all, waited for once; for each, whether the broker routed it anywhere (a mandatory
        message comes back, before its confirm, when no queue takes it)."""
        self._returned_ids.clear()
        for envelope in envelopes:
            with on_each(envelope) if on_each is not None else nullcontext():
                self._send(envelope)
        if self._confirms is not None:
            self._confirms.wait(self.connection, self.confirm_timeout)
        return [envelope.id not in self._returned_ids for envelope in envelopes]

    def reset(self) -> None:
        """Drop the channel after a connection error, so the next publish starts clean."""
        self._producer = self._confirms = None
        close_quietly(self.connection)


class PooledPublisher:
    """Raw JSON bodies to an exchange (or a queue, by name, on the default exchange), for a process whose
    threads publish in turn: each publish takes a kept connection and producer from the pool, or opens one,
    and gives it back; one that failed is closed instead, and the error is the caller's (no retry: a caller
    inside a transaction rolls back). `confirm`: `publish_many` returns once the broker has confirmed every
    message of the batch (publisher confirms, waited for once per batch rather than once per message: a batch
    of jobs costs one round trip). No heartbeats, so an idle pooled connection is not dropped for missing them."""

    def __init__(self, broker_url: str, exchange: Exchange | None = None, *, confirm: bool = True,
                 persistent: bool = True, size: int = 4, confirm_timeout: float = 30.0) -> None:
        self.broker_url = broker_url
        self.exchange = exchange
        self.confirm = confirm and not is_memory(broker_url)
        self.confirm_timeout = confirm_timeout
        self.delivery_mode = 2 if persistent else 1
        self._idle: queue.LifoQueue = queue.LifoQueue(maxsize=size)

    def publish_many(self, bodies: Iterable[tuple], *, wait: bool = True) -> Confirming | None:
        """Each `(body, routing_key)`, or `(body, routing_key, headers)`, in order, on one pooled producer.
        `wait=False`: returns at once with the confirms still to come (`Confirming.wait` raises as this would),
        so the caller goes on with its work, or commits and announces, during that round trip."""
        producer = self._acquire()
        try:
            for body, routing_key, *headers in bodies:
                producer.publish(body, routing_key=routing_key, retry=False, content_type="application/json",
                                 content_encoding="utf-8", delivery_mode=self.delivery_mode,
                                 headers=headers[0] if headers else None,
                                 **({} if self.exchange else {"exchange": ""}))
                if self.confirm:
                    producer.confirms.add()
        except Exception:
            close_quietly(producer.connection)
            raise
        confirming = Confirming(self, producer)
        if not wait:
            return confirming
        confirming.wait()
        return None

    def publish(self, body: str | bytes, routing_key: str = "", headers: dict | None = None) -> None:
        self.publish_many([(body, routing_key, headers)])

    def _release(self, producer: Producer) -> None:
        try:
            self._idle.put_nowait(producer)
        except queue.Full:
            close_quietly(producer.connection)

    def _acquire(self) -> Producer:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        connection = broker_connection(self.broker_url, heartbeat=0, connect_timeout=5)
        try:
            producer = Producer(connection.default_channel, exchange=self.exchange)
            if self.exchange is not None:
                self.exchange(producer.channel).declare()
            if self.confirm:
                producer.confirms = Confirms(producer.channel)
        except Exception:
            close_quietly(connection)
            raise
        return producer

    def close(self) -> None:
        while True:
            try:
                close_quietly(self._idle.get_nowait().connection)
            except queue.Empty:
                return


class Confirming:
    """A `publish_many` whose confirms are still to come, on the pooled producer that sent it (its own until
    then: given back to the pool once they came, closed if they did not)."""

    def __init__(self, pool: PooledPublisher, producer: Producer) -> None:
        self.pool = pool
        self.producer: Producer | None = producer

    def wait(self) -> None:
        """Until the broker confirmed every message (MessageRefused if it refused one; the connection's error)."""
        producer, self.producer = self.producer, None
        if producer is None:
            return
        try:
            if self.pool.confirm:
                producer.confirms.wait(producer.connection, self.pool.confirm_timeout)
        except Exception:
            close_quietly(producer.connection)
            raise
        self.pool._release(producer)


class MessageRefused(RuntimeError):
    """The broker nacked a published message (it could not take it)."""


class Confirms:
    """A channel's publisher confirms: the broker numbers a channel's publishes from 1 and acks (or nacks) them,
    several at once with `multiple`; `wait` drains the connection until every publish is settled."""

    def __init__(self, channel) -> None:
        self.published = 0
        self.unsettled: set[int] = set()
        self.refused = False
        channel.confirm_select()
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)

    def add(self) -> None:
        self.published += 1
        self.unsettled.add(self.published)

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        if multiple:
            self.unsettled = {tag for tag in self.unsettled if tag > delivery_tag}
        else:
            self.unsettled.discard(delivery_tag)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._on_ack(delivery_tag, multiple)
        self.refused = True

    def wait(self, connection: Connection, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.unsettled:
            connection.drain_events(timeout=max(0.001, deadline - time.monotonic()))
        if self.refused:
            self.refused = False
            raise MessageRefused("the broker refused a published message")


def close_quietly(connection: Connection | None) -> None:
    """Close a broker connection that may be broken already (closing one may fail in many ways)."""
    if connection is not None:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - closing a broken connection may fail in many ways
            pass
