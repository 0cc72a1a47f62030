"""What ops see: the Prometheus metric families of every service and worker.

Each family is defined once, here; code elsewhere calls one of the small functions
below (a one-line hook). `/metrics` on every service (shared.web) and the workers'
own port (`<NAME>_WORKER_METRICS_PORT`, shared.worker) expose them.

Several gunicorn processes behind one port write their values to files under
`PROMETHEUS_MULTIPROC_DIR` (prometheus_client reads it) and a scrape sums them;
deploy/gunicorn.conf.py removes an exited process's files. The outbox gauges are
computed at scrape time from the outbox tables (`watch_outbox`), so they are right
whichever process wrote the rows.
"""
from __future__ import annotations

import datetime as dt
import logging

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from shared import clock
from shared.config import metrics_multiproc_dir

log = logging.getLogger(__name__)

HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

http_request_seconds = Histogram(
    "http_request_duration_seconds", "Time to answer an HTTP request, by route template and status.",
    ["service", "method", "route", "status"], buckets=HTTP_BUCKETS)
consumer_handling_seconds = Histogram(
    "consumer_handling_seconds", "Time a consumer took over one message, by queue.", ["queue"],
    buckets=HTTP_BUCKETS)
consumer_messages = Counter(
    "consumer_messages", "Messages a consumer finished, by queue and outcome "
    "(handled, duplicate, retried, parked).", ["queue", "outcome"])
notifications_sent = Counter(
    "notifications_sent", "Emails and pushes handed over, by channel and result (sent, failed).",
    ["channel", "result"])
sla_breaches = Counter("sla_breaches", "SLA clocks found past their due time, by clock (first_response, ...).",
                       ["clock"])
rate_limit_refusals = Counter("rate_limit_refusals", "Requests the gateway refused with 429, by limit scope.",
                              ["scope"])

CONSUMER_OUTCOMES = ("handled", "duplicate", "retried", "parked")


def observe_request(service: str, method: str, route: str, status: int, seconds: float) -> None:
    http_request_seconds.labels(service, method, route, str(status)).observe(seconds)


def observe_message(queue: str, outcome: str, seconds: float) -> None:
    consumer_handling_seconds.labels(queue).observe(seconds)
    consumer_messages.labels(queue, outcome).inc()


def count_notification(channel: str, ok: bool) -> None:
    notifications_sent.labels(channel, "sent" if ok else "failed").inc()


def count_breach(clock_name: str) -> None:
    sla_breaches.labels(clock_name).inc()


def count_refusal(scope: str) -> None:
    rate_limit_refusals.labels(scope).inc()


def declare_queue(queue: str) -> None:
    """Every outcome of a queue at zero from its start: a rate over a series that appears later misleads."""
    for outcome in CONSUMER_OUTCOMES:
        consumer_messages.labels(queue, outcome)


class OutboxCollector(Collector):
    """The unsent rows of each watched outbox and the age of the oldest, read at scrape time."""

    def __init__(self) -> None:
        self.outboxes: dict[str, tuple] = {}

    def watch(self, service: str, model, database) -> None:
        self.outboxes[service] = (model, database)

    def collect(self):
        backlog = GaugeMetricFamily("outbox_backlog", "Outbox rows not yet published.", labels=["service"])
        age = GaugeMetricFamily("outbox_oldest_unsent_age_seconds",
                                "Age of the oldest unpublished outbox row (0 when none).", labels=["service"])
        for service, (model, database) in sorted(self.outboxes.items()):
            try:
                count, oldest = _unsent(model, database)
            except Exception as exc:  # noqa: BLE001 - a scrape while the database is down shows no value
                log.warning("outbox metrics unavailable", extra={"service": service, "error": str(exc)[:200]})
                continue
            backlog.add_metric([service], count)
            age.add_metric([service], _age_seconds(oldest))
        yield backlog
        yield age


def _unsent(model, database) -> tuple[int, dt.datetime | None]:
    import peewee

    with database.connection_context():
        row = (model.select(peewee.fn.COUNT(model.id), peewee.fn.MIN(model.created_at))
               .where(model.sent_at.is_null()).tuples().get())
    return row[0] or 0, row[1]


def _age_seconds(oldest) -> float:
    if oldest is None:
        return 0.0
    if isinstance(oldest, str):  # SQLite may hand back the text it stored
        oldest = dt.datetime.fromisoformat(oldest)
    now = clock.now()
    if oldest.tzinfo is None and now.tzinfo is not None:
        now = now.replace(tzinfo=None)
    return max(0.0, (now - oldest).total_seconds())


outbox_collector = OutboxCollector()
REGISTRY.register(outbox_collector)


def watch_outbox(service: str, model, database) -> None:
    outbox_collector.watch(service, model, database)


def _registry():
    """This process's values, or (under gunicorn) every process's, summed from their files."""
    if not metrics_multiproc_dir():
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    registry.register(outbox_collector)
    return registry


def exposition() -> tuple[bytes, str]:
    """The text a scrape reads, and its content type."""
    return generate_latest(_registry()), CONTENT_TYPE_LATEST


def serve(port: int, host: str = "0.0.0.0"):  # noqa: S104 - the scraper comes from the pod network
    """A worker's own `/metrics` on `port`; a port already taken is logged, the worker runs on."""
    from prometheus_client import start_http_server

    try:
        return start_http_server(port, host, registry=_registry())
    except OSError as exc:
        log.error("metrics port unavailable", extra={"port": port, "error": str(exc)[:200]})
        return None

