"""The notifications worker: one consumer per channel, each on its own durable queue bound
to the events it needs, with its own retry (delay) queue and dead-letter queue.

- `notifications.events`: the address book and the inbox (batched, one transaction per
  batch), then the live announcement of the new items;
- `notifications.email`: one alert email per notice over SMTP;
- `notifications.push`: Web Push to every subscribed browser.

Run with `python -m services.notifications.worker`; start more of them to drain a backlog
faster (competing consumers). On RabbitMQ the process consumes the inbox itself and starts
one child process per other channel (`NOTIFICATIONS_PROCESS_PER_CHANNEL=false` keeps them
all on threads of one process): rendering and sending email then never takes the inbox's
interpreter, and the children run at a lower priority (`NOTIFICATIONS_CHILD_NICE`), since
the inbox feeds the live stream and an email may wait a moment. The children die with their
parent (a SIGKILL of the worker is a SIGKILL of all of it) and are started again if they
die alone. `NOTIFICATIONS_CHANNELS=email` makes a worker that only sends email. SIGTERM
finishes the events in hand and gives back the rest, in every process.
"""
from __future__ import annotations

import ctypes
import logging
import os
import select
import signal
import subprocess
import sys
from dataclasses import dataclass, field

from kombu import Connection

from services.notifications import config
from services.notifications.app import init_database
from services.notifications.consumers import ChannelConsumer, each
from services.notifications.email_channel import EmailChannel
from services.notifications.handlers import inbox_handlers
from services.notifications.inbox_consumer import BatchingEventConsumer
from services.notifications.models import ProcessedEvent, db
from services.notifications.notices import ADDRESS_BOOK_TYPES, INBOX_TYPES, NOTIFYING_TYPES
from services.notifications.push import PushChannel, PushJobs
from services.notifications.senders import make_email_sender
from services.notifications.stream import LivePublisher
from shared.bus import connect, event_exchange, is_memory, resolve_broker_url
from shared.consumer import EventConsumer, QueueTopology
from shared.logs import configure_logging
from shared.outbox import Outbox
from shared.worker import ServiceWorker

log = logging.getLogger(__name__)

PUSH_TYPES = INBOX_TYPES - ADDRESS_BOOK_TYPES


@dataclass
class NotificationsWorker(ServiceWorker):
    """The shared worker, with the email and push consumers beside the inbox's."""

    channel_consumers: list[EventConsumer] = field(default_factory=list)
    children: list[ChannelProcess] = field(default_factory=list)
    # In a channel process: the pipe on which its parent waits to hear that it consumes, and what it consumes.
    ready_fd: int | None = None
    channels: str = ""

    def start(self) -> NotificationsWorker:
        for child in self.children:
            child.start()
        for child in self.children:  # "worker started" means every channel is running
            child.wait_ready()
        self._spawn(f"{self.name}-children", self._watch_children)
        super().start()
        for consumer in self.channel_consumers:
            self._spawn(f"{self.name}-{consumer.channel}", self._consume_channel, consumer)
        self._tell_parent_ready()
        return self

    def _tell_parent_ready(self) -> None:
        told, self.ready_fd = self.ready_fd, None
        if told is not None:
            log.info("channel process ready", extra={"channels": self.channels, "pid": os.getpid(),
                                                      "worker_pid": os.getppid()})
            os.write(told, b"1")
            os.close(told)

    def _consume_channel(self, consumer: EventConsumer) -> None:
        while not self.stop_event.is_set():
            try:
                consumer.run()
            except Exception as exc:  # noqa: BLE001 - reconnect after any broker trouble
                log.warning("consumer restarting", extra={"worker": self.name, "error": str(exc)[:200]})
                self.stop_event.wait(1.0)

    def _watch_children(self) -> None:
        while not self.stop_event.wait(1.0):
            for child in self.children:
                if child.exited():
                    log.warning("channel process died; starting it again",
                                extra={"channel": child.channel, "returncode": child.process.returncode})
                    child.start()
                    child.wait_ready()

    def stop(self, timeout: float = 30.0) -> None:
        for consumer in self.channel_consumers:
            consumer.should_stop = True
        for child in self.children:
            child.terminate()
        super().stop(timeout)
        for child in self.children:
            child.wait(timeout)

    @property
    def consumers(self) -> list[EventConsumer]:
        return ([self.consumer] if self.consumer is not None else []) + list(self.channel_consumers)


class ChannelProcess:
    """A child process of the worker that consumes one channel (`python -m services.notifications.worker`
    with NOTIFICATIONS_CHANNELS set to it: `config.channel_process_environment`), writing to the same stdout."""

    def __init__(self, channel: str, nice: int) -> None:
        self.channel = channel
        self.nice = nice
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the process; `wait_ready` waits until it consumes (it says so on a pipe)."""
        self._ready, told = os.pipe()
        env = config.channel_process_environment(self.channel, nice=self.nice, ready_fd=told)
        try:
            self.process = subprocess.Popen([sys.executable, "-m", "services.notifications.worker"], env=env,
                                            pass_fds=(told,))
        finally:
            os.close(told)

    def wait_ready(self, timeout: float = 60.0) -> None:
        try:
            if not select.select([self._ready], [], [], timeout)[0] or not os.read(self._ready, 1):
                log.warning("channel process not ready", extra={"channel": self.channel})
        finally:
            os.close(self._ready)

    def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def wait(self, timeout: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def die_with_parent(parent: int) -> None:
    """In a channel process: SIGKILL when the worker that started it (`parent`) dies, however it dies (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (AttributeError, OSError):
        log.warning("cannot follow the parent's death on this system")
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


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


def create_worker(settings: dict | None = None, outbox: Outbox | None = None, *,
                  channel_processes: bool = False) -> NotificationsWorker:
    """The worker for `settings` (the environment's by default). `outbox` is unused: the service publishes no events.

    `channel_processes` (the command line, whose settings are the environment's, and whose children read the
    same environment): a process per channel."""
    settings = settings or config.settings()
    database = db.obj or init_database(settings["DATABASE_URL"], settings["RUN_MIGRATIONS"])
    broker_url = resolve_broker_url(settings["AMQP_URL"])
    exchange = event_exchange(settings["EVENT_EXCHANGE"])
    channels = set(settings["WORKER_CHANNELS"])
    children: list[ChannelProcess] = []
    if channel_processes and settings["PROCESS_PER_CHANNEL"] and not is_memory(broker_url) and len(channels) > 1:
        # This process keeps the inbox (or the first channel asked for); each other channel gets a process.
        own = "inbox" if "inbox" in channels else sorted(channels)[0]
        children = [ChannelProcess(channel, settings["CHILD_NICE"]) for channel in sorted(channels - {own})]
        channels = {own}
    common = {"max_retries": settings["MAX_RETRIES"], "backoff_base": settings["BACKOFF_BASE"],
              "worker_pid": settings.get("WORKER_PID")}
    consumers: list[EventConsumer] = []
    if "inbox" in channels:
        handlers = inbox_handlers(settings["PUBLIC_URL"])
        live = LivePublisher(broker_url, config.live_exchange_name(settings))
        push_jobs = PushJobs(broker_url, topology(settings, exchange, "push").name)
        consumers.append(BatchingEventConsumer(
            consumer_connection(broker_url), topology(settings, exchange, "inbox"), handlers, database, ProcessedEvent,
            prefetch=settings["INBOX_PREFETCH"], batch_size=settings["INBOX_BATCH_SIZE"],
            before_commit=push_jobs.enqueue, after_commit=live.publish, **common))
    if "email" in channels:
        # Several senders, each with its own SMTP connection: an SMTP server's round trips are mostly waiting.
        for _ in range(settings["EMAIL_SENDERS"]):
            email = EmailChannel(settings, make_email_sender(settings))
            consumers.append(ChannelConsumer(consumer_connection(broker_url), topology(settings, exchange, "email"),
                                             {}, database,
                                             ProcessedEvent, prefetch=settings["DELIVERY_PREFETCH"],
                                             batch_size=settings["EMAIL_BATCH_SIZE"],
                                             deliver_many=each(email.deliver), channel="email", **common))
    if "push" in channels:
        push = PushChannel(settings)
        consumers.append(ChannelConsumer(consumer_connection(broker_url), topology(settings, exchange, "push"), {},
                                         database, ProcessedEvent,
                                         prefetch=settings["INBOX_PREFETCH"], batch_size=settings["INBOX_BATCH_SIZE"],
                                         deliver_many=push.deliver_many, channel="push", **common))
    # Every channel's queue, the children's too (and push's, which the inbox feeds): what is published
    # once this returns waits for them.
    declare_queues(broker_url, [topology(settings, exchange, channel) for channel in sorted(set(
        settings["WORKER_CHANNELS"]) | {"push"})])
    return NotificationsWorker(config.SERVICE, consumer=consumers[0] if consumers else None,
                               channel_consumers=consumers[1:], children=children,
                               ready_fd=settings.get("READY_FD"), channels=",".join(sorted(channels)))


def main() -> None:
    configure_logging()
    settings = config.settings()
    if settings["WORKER_PID"]:  # a channel process
        die_with_parent(settings["WORKER_PID"])
        os.nice(settings["NICE"])
    # Consumer and writer threads share the interpreter: hand it over every 0.2 ms instead of every 5,
    # so a thread whose database answer has arrived does not wait long for the one that is parsing.
    sys.setswitchinterval(0.0002)
    create_worker(settings, channel_processes=True).run_forever()


if __name__ == "__main__":
    main()
