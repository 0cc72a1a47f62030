"""The message bus: one durable topic exchange of domain events on RabbitMQ.

Plain JSON bodies with AMQP properties (`message_id`, `type`, `content_type`,
persistent delivery), so any AMQP client reads them. Without a reachable broker
the embedded default uses kombu's in-process transport, which keeps the same
routing for a single-process run.
"""
from __future__ import annotations

import logging
import socket
from urllib.parse import urlparse

from kombu import Connection, Exchange, Producer

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


def connect(url: str, *, max_retries: int | None = None) -> Connection:
    """A connection whose publishes wait for the broker's confirm.

    `max_retries` bounds the attempts to connect, for callers that have their own
    back-off (the outbox relay) and must not block on a broker that is down.
    """
    options = {} if is_memory(url) else {"confirm_publish": True}
    if max_retries is not None:
        options["max_retries"] = max_retries
    return Connection(url, transport_options=options, heartbeat=0 if is_memory(url) else 30,
                      connect_timeout=5)


class UnroutableError(RuntimeError):
    """The broker returned a mandatory message: no queue is bound for its type."""


class EventPublisher:
    """Publishes envelopes with publisher confirms and notices unroutable ones.

    One producer per publisher, reused across publishes (connections are
    expensive to open); not thread-safe: one per thread.
    """

    def __init__(self, connection: Connection, exchange: Exchange, *, retry: bool = True) -> None:
        self.connection = connection
        self.exchange = exchange
        self.retry = retry
        self.returned: list[str] = []
        self._producer: Producer | None = None

    def _on_return(self, exception, exchange, routing_key, message) -> None:
        self.returned.append(routing_key)
        log.warning("event unroutable", extra={"routing_key": routing_key, "exchange": exchange})

    @property
    def producer(self) -> Producer:
        if self._producer is None:
            channel = self.connection.default_channel
            self.exchange(channel).declare()
            self._producer = Producer(channel, exchange=self.exchange, on_return=self._on_return)
        return self._producer

    def publish(self, envelope: Envelope) -> bool:
        """Publish and wait for the confirm; returns False if the broker could route it nowhere."""
        before = len(self.returned)
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
        return len(self.returned) == before

    def reset(self) -> None:
        """Drop the channel after a connection error, so the next publish starts clean."""
        self._producer = None
        close_quietly(self.connection)


def close_quietly(connection: Connection | None) -> None:
    """Close a broker connection that may be broken already (closing one may fail in many ways)."""
    if connection is not None:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - closing a broken connection may fail in many ways
            pass
