"""The notifications worker: one consumer per channel it is told to serve (NOTIFICATIONS_CHANNELS), each
on its own durable queue bound to the events it needs, with its own retry (delay) queue and dead-letter queue.

- `notifications.events` (inbox): the address book and the inbox (batched, one transaction per batch),
  then the live announcement of the new items and the push jobs;
- `notifications.email`: one alert email per notice and recipient;
- `notifications.push`: Web Push to every subscribed browser.

Run with `python -m services.notifications.worker`. It scales by deployment, not by processes of its own:
compose and Kubernetes run an inbox, an email and a push worker, each scaled on its own queue (competing
consumers; docs/deploy.md), while `make run` keeps every channel in its one process. SIGTERM finishes the
events in hand and gives back the rest.
"""
from __future__ import annotations

import logging
import sys

from kombu import Connection

from services.notifications import config, handlers
from services.notifications.attention import release_digests
from services.notifications.email_channel import EmailChannel
from services.notifications.models import ProcessedEvent, db, init_database
from services.notifications.notices import ADDRESS_BOOK_TYPES, INBOX_TYPES, NOTIFYING_TYPES
from services.notifications.push import PushChannel, PushJobs
from services.notifications.quiet_hours import release_due
from services.notifications.senders import make_email_sender
from services.notifications.stream import LivePublisher
from shared.batch_consumer import BatchingEventConsumer
from shared.batching import ChannelConsumer, each
from shared.bus import connect, event_exchange, is_memory, resolve_broker_url
from shared.consumer import EventConsumer, QueueTopology
from shared.logs import configure_logging
from shared.outbox import Outbox
from shared.worker import PeriodicJob, ServiceWorker

log = logging.getLogger(__name__)

PUSH_TYPES = INBOX_TYPES - ADDRESS_BOOK_TYPES


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
            if not is_memory(broker_url):
                # The push queue was once bound to the events themselves; a queue keeps its bindings.
                push = next((t for t in topologies if t.name.endswith(config.PUSH_QUEUE)), None)
                for event_type in sorted(PUSH_TYPES) if push else ():
                    channel.queue_unbind(push.name, push.exchange.name, routing_key=str(event_type))


def topology(settings: dict, exchange, channel: str) -> QueueTopology:
    """A channel's queue and the events bound to it."""
    name, types = {"inbox": (config.INBOX_QUEUE, INBOX_TYPES), "email": (config.EMAIL_QUEUE, NOTIFYING_TYPES),
                   "push": (config.PUSH_QUEUE, ())}[channel]  # push: jobs from the inbox consumer (push.py)
    return QueueTopology(settings["QUEUE_PREFIX"] + name, exchange, types)


def create_worker(settings: dict | None = None, outbox: Outbox | None = None) -> ServiceWorker:
    """The worker for `settings` (the environment's by default), consuming the channels WORKER_CHANNELS names.
    `outbox` is unused: the service publishes no events."""
    settings = settings or config.settings()
    database = db.obj or init_database(settings["DATABASE_URL"], settings["RUN_MIGRATIONS"])
    broker_url = resolve_broker_url(settings["AMQP_URL"])
    exchange = event_exchange(settings["EVENT_EXCHANGE"])
    channels = set(settings["WORKER_CHANNELS"])
    common = {"max_retries": settings["MAX_RETRIES"], "backoff_base": settings["BACKOFF_BASE"]}
    consumers: list[EventConsumer] = []
    jobs: list[PeriodicJob] = []
    if "inbox" in channels:
        handlers.configure(settings["PUBLIC_URL"])
        live = LivePublisher(broker_url, config.live_exchange_name(settings))
        push_jobs = PushJobs(broker_url, topology(settings, exchange, "push").name)
        consumers.append(BatchingEventConsumer(
            consumer_connection(broker_url), topology(settings, exchange, "inbox"), handlers.HANDLERS, database,
            ProcessedEvent,
            prefetch=settings["INBOX_PREFETCH"], batch_size=settings["INBOX_BATCH_SIZE"],
            before_commit=push_jobs.enqueue, after_commit=live.publish, channel="inbox", **common))
    if "email" in channels:
        # Several senders, each with its own SMTP connection: an SMTP server's round trips are mostly waiting.
        for _ in range(settings["EMAIL_SENDERS"]):
            email = EmailChannel(settings, make_email_sender(settings))
            consumers.append(ChannelConsumer(consumer_connection(broker_url), topology(settings, exchange, "email"),
                                             {}, database, ProcessedEvent, prefetch=settings["DELIVERY_PREFETCH"],
                                             batch_size=settings["EMAIL_BATCH_SIZE"],
                                             deliver_many=each(email.deliver), channel="email", **common))
        jobs.append(release_job(database, "email", email.deliver_notice, settings["RELEASE_SECONDS"]))
        jobs.append(PeriodicJob("release-digests", settings["RELEASE_SECONDS"], lambda channel=email: _in(
            database, release_digests, channel.send_digest, channel.deliver_notice)))
    if "push" in channels:
        push = PushChannel(settings)
        consumers.append(ChannelConsumer(consumer_connection(broker_url), topology(settings, exchange, "push"), {},
                                         database, ProcessedEvent,
                                         prefetch=settings["INBOX_PREFETCH"], batch_size=settings["INBOX_BATCH_SIZE"],
                                         deliver_many=push.deliver_many, channel="push", **common))
        jobs.append(release_job(database, "push", push.deliver_notice, settings["RELEASE_SECONDS"]))
    # Every channel's queue, whichever this worker serves (the others' deployments may not run yet): what is
    # published once this returns waits for them.
    declare_queues(broker_url, [topology(settings, exchange, channel) for channel in config.CHANNELS])
    log.info("notifications worker channels", extra={"channels": sorted(channels)})
    return ServiceWorker(config.SERVICE, consumer=consumers[0] if consumers else None, more_consumers=consumers[1:],
                         jobs=jobs)


def release_job(database, channel: str, deliver, interval: float) -> PeriodicJob:
    """The channel's periodic delivery of what quiet hours held (quiet_hours.py)."""

    return PeriodicJob(f"release-held-{channel}", interval, lambda: _in(database, release_due, channel, deliver))


def _in(database, job, *args) -> int:
    with database.connection_context():
        return job(*args)


def main() -> None:
    configure_logging()
    # Consumer and writer threads share the interpreter: hand it over every 0.2 ms instead of every 5,
    # so a thread whose database answer has arrived does not wait long for the one that is parsing.
    sys.setswitchinterval(0.0002)
    create_worker(config.settings()).run_forever()


if __name__ == "__main__":
    main()
