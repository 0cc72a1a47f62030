"""The notifications worker, built by the shared `build_worker` like every service's: a consumer per channel
it is told to serve (NOTIFICATIONS_CHANNELS), each on its own durable queue with its own retry (delay) queue and
dead-letter queue.

- `notifications.events` (inbox), bound to the events: the address book and each event's notices, composed
  once, with their inbox items (batched, one transaction per batch), queueing the email and push jobs that
  carry those notices before the commit and announcing the new items on the live stream after it (fanout.py);
- `notifications.email` (jobs): one alert email per notice and recipient;
- `notifications.push` (jobs): Web Push to every subscribed browser.

Run with `python -m services.notifications.worker`. It scales by deployment, not by processes of its own:
compose and Kubernetes run an inbox, an email and a push worker, each scaled on its own queue (competing
consumers; docs/deploy.md), while `make run` keeps every channel in its one process. SIGTERM finishes the
events in hand and gives back the rest.
"""
from __future__ import annotations

import logging

from services.notifications import config, handlers
from services.notifications.attention import release_digests
from services.notifications.email_channel import EmailChannel
from services.notifications.fanout import ChannelJobs, items_of
from services.notifications.models import ProcessedEvent, db, init_database
from services.notifications.notices import NOTIFYING_TYPES
from services.notifications.push import PushChannel
from services.notifications.quiet_hours import release_due
from services.notifications.senders import make_email_sender
from services.notifications.stream import LivePublisher
from shared.batching import each
from shared.bus import connect, event_exchange, is_memory, resolve_broker_url
from shared.consumer import QueueTopology
from shared.logs import configure_logging
from shared.outbox import Outbox
from shared.worker import PeriodicJob, ServiceWorker, WorkQueue, build_worker

log = logging.getLogger(__name__)

# The in-process bus polls; kombu's default of a second would be the stream's latency.
POLL_SECONDS = 0.02


def declare_queues(broker_url: str, prefix: str, exchange) -> None:
    """Every channel's queue, whichever this worker serves (the others' deployments may not run yet): the jobs the
    inbox consumer queues, and the events published from here on, wait for them."""
    topologies = [QueueTopology(prefix + config.INBOX_QUEUE, exchange, handlers.HANDLERS.keys()),
                  *(QueueTopology(prefix + name, exchange, ()) for name in (config.EMAIL_QUEUE, config.PUSH_QUEUE))]
    with connect(broker_url) as connection:
        with connection.channel() as channel:
            for topology in topologies:
                topology.declare(channel)
            if not is_memory(broker_url):
                # The email and push queues were once bound to the events themselves (now they take the inbox
                # consumer's jobs: fanout.py); a queue keeps its bindings.
                for name in (config.EMAIL_QUEUE, config.PUSH_QUEUE):
                    for event_type in sorted(NOTIFYING_TYPES):
                        channel.queue_unbind(prefix + name, exchange.name, routing_key=str(event_type))


def create_worker(settings: dict | None = None, outbox: Outbox | None = None) -> ServiceWorker:
    """The worker for `settings` (the environment's by default), consuming the channels WORKER_CHANNELS names.
    `outbox` is unused: the service publishes no events."""
    settings = settings or config.settings()
    database = db.obj or init_database(settings["DATABASE_URL"], settings["RUN_MIGRATIONS"])
    broker_url = resolve_broker_url(settings["AMQP_URL"])
    prefix = settings["QUEUE_PREFIX"]
    channels = set(settings["WORKER_CHANNELS"])
    inbox, work, jobs = {}, [], []
    if "inbox" in channels:
        handlers.configure(settings["PUBLIC_URL"])
        live = LivePublisher(broker_url, config.live_exchange_name(settings))
        fan_out = ChannelJobs(broker_url, prefix + config.EMAIL_QUEUE, prefix + config.PUSH_QUEUE,
                              chunk=settings["EMAIL_BATCH_SIZE"])
        inbox = dict(handlers=handlers.HANDLERS, queue_name=config.INBOX_QUEUE, prefetch=settings["INBOX_PREFETCH"],
                     batch_size=settings["INBOX_BATCH_SIZE"], before_commit=fan_out.enqueue, replay=handlers.replay,
                     after_commit=lambda fanouts: live.publish(items_of(fanouts)), label="inbox")
    if "email" in channels:
        # Several senders, each with its own SMTP connection: an SMTP server's round trips are mostly waiting.
        senders = [EmailChannel(settings, make_email_sender(settings)) for _ in range(settings["EMAIL_SENDERS"])]
        email = senders[0]
        work += [WorkQueue(config.EMAIL_QUEUE, each(sender.deliver_job), settings["DELIVERY_PREFETCH"],
                           settings["EMAIL_BATCH_SIZE"], label="email") for sender in senders]
        jobs.append(release_job(database, "email", email.deliver_notice, settings["RELEASE_SECONDS"]))
        jobs.append(PeriodicJob("release-digests", settings["RELEASE_SECONDS"], lambda: _in(
            database, release_digests, email.send_digest, email.deliver_notice)))
    if "push" in channels:
        push = PushChannel(settings)
        work.append(WorkQueue(config.PUSH_QUEUE, push.deliver_many, settings["INBOX_PREFETCH"],
                              settings["INBOX_BATCH_SIZE"], label="push"))
        jobs.append(release_job(database, "push", push.deliver_notice, settings["RELEASE_SECONDS"]))
    exchange = event_exchange(settings["EVENT_EXCHANGE"])
    declare_queues(broker_url, prefix, exchange)
    log.info("notifications worker channels", extra={"channels": sorted(channels)})
    return build_worker(config.SERVICE, database=database, outbox=None, broker_url=broker_url,
                        exchange_name=settings["EVENT_EXCHANGE"], processed_model=ProcessedEvent, queue_prefix=prefix,
                        max_retries=settings["MAX_RETRIES"], backoff_base=settings["BACKOFF_BASE"], jobs=jobs,
                        work_queues=work, poll_interval=POLL_SECONDS, **inbox)


def release_job(database, channel: str, deliver, interval: float) -> PeriodicJob:
    """The channel's periodic delivery of what quiet hours held (quiet_hours.py)."""

    return PeriodicJob(f"release-held-{channel}", interval, lambda: _in(database, release_due, channel, deliver))


def _in(database, job, *args) -> int:
    with database.connection_context():
        return job(*args)


def main() -> None:
    configure_logging()
    create_worker(config.settings()).run_forever()


if __name__ == "__main__":
    main()
