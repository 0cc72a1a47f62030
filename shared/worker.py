"""The worker process of a service: its outbox relay, its event consumer and its
periodic jobs, each on a thread, stopping cleanly on SIGTERM (the in-flight
message finishes; prefetched ones go back to the queue when the channel closes).
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from shared import metrics, tracing
from shared.config import otlp_endpoint, outbox_poll_seconds, worker_metrics_port
from shared.consumer import EventConsumer
from shared.outbox import OutboxRelay
from shared.signals import StopSignals

log = logging.getLogger(__name__)


@dataclass
class PeriodicJob:
    name: str
    interval: float
    run: Callable[[], object]


@dataclass
class ServiceWorker:
    name: str
    relay: OutboxRelay | None = None
    consumer: EventConsumer | None = None
    jobs: list[PeriodicJob] = field(default_factory=list)
    # More queues consumed by the same process (a service with several, e.g. one per delivery channel).
    more_consumers: list[EventConsumer] = field(default_factory=list)
    stop_event: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    @property
    def consumers(self) -> list[EventConsumer]:
        return ([self.consumer] if self.consumer is not None else []) + list(self.more_consumers)

    def start(self) -> ServiceWorker:
        for consumer in self.consumers:
            self._declare_topology(consumer)
        if self.relay is not None:
            self._spawn(f"{self.name}-relay", self.relay.run, self.stop_event)
        for index, consumer in enumerate(self.consumers):
            self._spawn(f"{self.name}-consumer" + (f"-{index}" if index else ""), self._consume, consumer)
        for job in self.jobs:
            self._spawn(f"{self.name}-{job.name}", self._every, job)
        return self

    def _declare_topology(self, consumer: EventConsumer) -> None:
        """Bind the queue before anything else starts, so no event published after
        `start()` returns can miss it; if the broker is down the consumer binds it later."""
        try:
            with consumer.connection.clone() as connection:
                connection.ensure_connection(max_retries=1)
                consumer.topology.declare(connection.default_channel)
        except Exception as exc:  # noqa: BLE001 - the consumer's own loop retries
            log.warning("queue not declared yet", extra={"worker": self.name, "error": str(exc)[:200]})

    def _spawn(self, name: str, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def _consume(self, consumer: EventConsumer) -> None:
        while not self.stop_event.is_set():
            try:
                consumer.run()
            except Exception as exc:  # noqa: BLE001 - reconnect after any broker trouble
                log.warning("consumer restarting", extra={"worker": self.name, "error": str(exc)[:200]})
                self.stop_event.wait(1.0)

    def _every(self, job: PeriodicJob) -> None:
        while not self.stop_event.wait(job.interval):
            try:
                job.run()
            except Exception:  # noqa: BLE001 - a failed run is logged and tried next time
                log.exception("periodic job failed", extra={"job": job.name})

    def request_stop(self) -> None:
        """Tell the consumers and periodic jobs to stop; they finish what they hold first."""
        self.stop_event.set()
        for consumer in self.consumers:
            consumer.should_stop = True

    def stop(self, timeout: float = 30.0) -> None:
        self.request_stop()
        for thread in self.threads:
            thread.join(timeout)

    def run_forever(self) -> None:
        """Run until SIGTERM or SIGINT, with `/metrics` on `<NAME>_WORKER_METRICS_PORT` if set."""
        signals = StopSignals().install()
        tracing.configure(otlp_endpoint(), self.name)
        self.start()
        if port := worker_metrics_port(self.name):
            metrics.serve(port)
        log.info("worker started", extra={"worker": self.name, "pid": os.getpid()})
        if (signum := signals.wait(until=self.stop_event)) is not None:
            log.info("worker stopping", extra={"worker": self.name, "signal": signum, "pid": os.getpid()})
        self.stop()
        log.info("worker stopped", extra={"worker": self.name, "pid": os.getpid()})


@dataclass
class WorkQueue:
    """A queue that an earlier stage fills with jobs (shared/batching.py's `ChannelConsumer`): delivered outside
    any transaction by `deliver_many`, `consumers` of them in the process (each its own connection: a delivery
    that mostly waits on a remote server goes faster with a few)."""

    name: str
    deliver_many: Callable[[list], list]
    prefetch: int = 20
    batch_size: int = 10
    consumers: int = 1
    label: str = "jobs"  # what the log lines name the consumer's work


def build_worker(name: str, *, database, outbox, broker_url: str, exchange_name: str,
                 handlers: dict | None = None, processed_model=None, jobs: list[PeriodicJob] | None = None,
                 queue_prefix: str = "", queue_name: str | None = None, prefetch: int = 32, max_retries: int = 8,
                 backoff_base: float = 1.0, batch_size: int | None = None, before_commit: Callable | None = None,
                 after_commit: Callable | None = None, replay: Callable | None = None,
                 work_queues: list[WorkQueue] | None = None, label: str = "events",
                 poll_interval: float | None = None) -> ServiceWorker:
    """A service's worker: relay its outbox, consume its queue (if it handles events) and its work queues, run
    its jobs.

    `batch_size` is the consumer's batching mode (shared/batch_consumer.py): the events at hand, up to that many,
    in one transaction, each handler taking the list of its events (`before_commit(results, bodies)` inside the
    transaction, `after_commit(results)` after it, `replay(events)` for the handled ones that come again); without
    it, an event per transaction and each handler taking one event. `poll_interval`: how often a consumer on the
    in-process bus looks for messages."""
    from shared.batch_consumer import BatchingEventConsumer
    from shared.batching import ChannelConsumer
    from shared.bus import connect, event_exchange
    from shared.consumer import EventConsumer, QueueTopology

    exchange = event_exchange(exchange_name)
    relay = (OutboxRelay(outbox, database, broker_url, exchange, poll_interval=outbox_poll_seconds())
             if outbox is not None else None)
    options = {"max_retries": max_retries, "backoff_base": backoff_base}
    consumers: list[EventConsumer] = []
    if handlers:
        topology = QueueTopology(queue_prefix + (queue_name or f"{name}.events"), exchange, handlers.keys())
        connection = connect(broker_url, poll_interval=poll_interval)
        consumers.append(
            EventConsumer(connection, topology, handlers, database, processed_model, prefetch=prefetch, **options)
            if batch_size is None else
            BatchingEventConsumer(connection, topology, handlers, database, processed_model, prefetch=prefetch,
                                  batch_size=batch_size, before_commit=before_commit, after_commit=after_commit,
                                  replay=replay, channel=label, **options))
    for work in work_queues or ():
        topology = QueueTopology(queue_prefix + work.name, exchange, ())
        consumers += [ChannelConsumer(connect(broker_url, poll_interval=poll_interval), topology, {}, database,
                                      processed_model, prefetch=work.prefetch, batch_size=work.batch_size,
                                      deliver_many=work.deliver_many, channel=work.label, **options)
                      for _ in range(work.consumers)]
    return ServiceWorker(name, relay=relay, consumer=consumers[0] if consumers else None,
                         more_consumers=consumers[1:], jobs=list(jobs or []))
