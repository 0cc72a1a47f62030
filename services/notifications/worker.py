"""The notifications worker: one consumer per channel, each on its own durable queue bound
to the events it needs, with its own retry (delay) queue and dead-letter queue.

- `notifications.events`: the address book and the inbox (batched, one transaction per
  batch), then the live announcement of the new items;
- `notifications.email`: one alert email per notice over SMTP;
- `notifications.push`: Web Push to every subscribed browser.

Run alone with `python -m services.notifications.worker`; start more of them to drain a
backlog faster (competing consumers). `NOTIFICATIONS_CHANNELS=email` makes a worker
that only sends email. SIGTERM finishes the events in hand and gives back the rest.
"""
from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field

from kombu import Connection

from services.notifications import config
from services.notifications.app import init_database
from services.notifications.consumers import BatchingEventConsumer, ChannelConsumer, each
from services.notifications.email_channel import EmailChannel
from services.notifications.handlers import inbox_handlers
from services.notifications.mail import make_transport
from services.notifications.models import ProcessedEvent, db
from services.notifications.notices import INBOX_TYPES, NOTIFYING_TYPES
from services.notifications.push import PushChannel
from services.notifications.stream import LivePublisher
from shared.bus import connect, event_exchange, is_memory, resolve_broker_url
from shared.consumer import EventConsumer, QueueTopology
from shared.events import EventType
from shared.logs import configure_logging
from shared.outbox import Outbox
from shared.worker import ServiceWorker

log = logging.getLogger(__name__)

PUSH_TYPES = INBOX_TYPES - {EventType.USER_REGISTERED}


@dataclass
class NotificationsWorker(ServiceWorker):
    """The shared worker, with the email and push consumers beside the inbox's."""

    channel_consumers: list[EventConsumer] = field(default_factory=list)

    def start(self) -> NotificationsWorker:
        super().start()
        for consumer in self.channel_consumers:
            self._spawn(f"{self.name}-{consumer.channel}", self._consume_channel, consumer)
        return self

    def _consume_channel(self, consumer: EventConsumer) -> None:
        while not self.stop_event.is_set():
            try:
                consumer.run()
            except Exception as exc:  # noqa: BLE001 - reconnect after any broker trouble
                log.warning("consumer restarting", extra={"worker": self.name, "error": str(exc)[:200]})
                self.stop_event.wait(1.0)

    def stop(self, timeout: float = 30.0) -> None:
        for consumer in self.channel_consumers:
            consumer.should_stop = True
        super().stop(timeout)

    @property
    def consumers(self) -> list[EventConsumer]:
        return ([self.consumer] if self.consumer is not None else []) + list(self.channel_consumers)


def consumer_connection(broker_url: str) -> Connection:
    if is_memory(broker_url):
        # The in-process bus polls; kombu's default of a second would be the stream's latency.
        return Connection(broker_url, transport_options={"polling_interval": 0.02})
    return connect(broker_url)


def declare_queues(broker_url: str, topologies: list[QueueTopology]) -> None:
    """Declare the queues now, so events published from here on wait for this worker."""
    with consumer_connection(broker_url) as connection:
        with connection.channel() as channel:
            for topology in topologies:
                topology.declare(channel)


def create_worker(settings: dict | None = None, outbox: Outbox | None = None) -> NotificationsWorker:
    """The worker for `settings` (the environment's by default). `outbox` is unused: the service publishes no events."""
    settings = settings or config.settings()
    database = db.obj or init_database(settings["DATABASE_URL"], settings["RUN_MIGRATIONS"])
    broker_url = resolve_broker_url(settings["AMQP_URL"])
    exchange = event_exchange(settings["EVENT_EXCHANGE"])
    prefix = settings["QUEUE_PREFIX"]
    channels = set(settings["WORKER_CHANNELS"])
    common = {"max_retries": settings["MAX_RETRIES"], "backoff_base": settings["BACKOFF_BASE"]}
    consumers: list[EventConsumer] = []
    if "inbox" in channels:
        handlers = inbox_handlers(settings["PUBLIC_URL"])
        topology = QueueTopology(prefix + config.INBOX_QUEUE, exchange, handlers)
        live = LivePublisher(broker_url, config.live_exchange_name(settings))
        consumers.append(BatchingEventConsumer(
            consumer_connection(broker_url), topology, handlers, database, ProcessedEvent,
            prefetch=settings["INBOX_PREFETCH"], batch_size=settings["INBOX_BATCH_SIZE"],
            after_commit=live.publish, **common))
    if "email" in channels:
        topology = QueueTopology(prefix + config.EMAIL_QUEUE, exchange, NOTIFYING_TYPES)
        # Several senders, each with its own SMTP connection: an SMTP server's round trips are mostly waiting.
        for _ in range(settings["EMAIL_SENDERS"]):
            email = EmailChannel(settings, make_transport(settings))
            consumers.append(ChannelConsumer(consumer_connection(broker_url), topology, {}, database,
                                             ProcessedEvent, prefetch=settings["DELIVERY_PREFETCH"],
                                             batch_size=settings["EMAIL_BATCH_SIZE"],
                                             deliver_many=each(email.deliver), channel="email", **common))
    if "push" in channels:
        topology = QueueTopology(prefix + config.PUSH_QUEUE, exchange, PUSH_TYPES)
        push = PushChannel(settings)
        consumers.append(ChannelConsumer(consumer_connection(broker_url), topology, {}, database, ProcessedEvent,
                                         prefetch=settings["INBOX_PREFETCH"], batch_size=settings["INBOX_BATCH_SIZE"],
                                         deliver_many=push.deliver_many, channel="push", **common))
    declare_queues(broker_url, [consumer.topology for consumer in consumers])
    return NotificationsWorker(config.SERVICE, consumer=consumers[0] if consumers else None,
                               channel_consumers=consumers[1:])


def main() -> None:
    configure_logging()
    # Several consumer threads share the interpreter: hand it over every millisecond instead of every
    # five, so an inbox batch never waits long behind an email being built.
    sys.setswitchinterval(0.001)
    create_worker().run_forever()


if __name__ == "__main__":
    main()
