"""The metric families: request durations by route template, consumer outcomes per queue, outbox gauges."""
from __future__ import annotations

import datetime as dt

import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared import clock, metrics
from shared.events import Envelope, EventType
from shared.outbox import OutboxRelay
from tests.shared.test_messaging import (
    Env,
    delete_queues,
    make_consumer,
    publish_raw,
    run_consumer,
    stop_consumer,
    wait,
)
from tests.support import AMQP_URL, SECRET, customer, token


def samples(text: str) -> dict[tuple, float]:
    """{(sample name, sorted labels): value} of a scrape."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(name: str, **labels) -> float:
    body, _ = metrics.exposition()
    return samples(body.decode()).get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def tickets_app(tmp_path):
    from services.tickets.app import create_app
    from services.tickets.models import db
    from tests.conftest import close_database

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/tickets.db", "INTERNAL_TOKEN_SECRET": SECRET,
                      "ATTACHMENT_DIR": str(tmp_path / "attachments"), "TESTING": True})
    yield app
    close_database(db)


def test_metrics_need_no_token_and_requests_are_timed_by_route_template(tickets_app):
    client = tickets_app.test_client()
    headers = token("tickets", **customer(1, "alice@example.com"))
    route = "/api/v1/tickets/<string:number>"
    labels = {"service": "tickets", "method": "GET", "status": "404"}
    before = value("http_request_duration_seconds_count", route=route, **labels)
    for number in (987654, 987655):
        assert client.get(f"/api/v1/tickets/{number}", headers=headers).status_code == 404

    scrape = client.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.content_type.startswith("text/plain")
    found = samples(scrape.get_data(as_text=True))
    routes = {dict(labels_).get("route") for (name, labels_) in found if name.startswith("http_request_duration")}
    assert not any("987654" in (r or "") for r in routes), routes  # never the raw path
    assert found[("http_request_duration_seconds_count",
                  tuple(sorted(dict(labels, route=route).items())))] == before + 2


def test_outbox_backlog_and_the_age_of_its_oldest_row_are_read_at_scrape_time(tmp_path):
    env = Env(f"sqlite:///{tmp_path}/outbox.db")
    try:
        clock.clock.freeze(dt.datetime(2026, 1, 5, 12, 0))
        OutboxRelay(env.outbox, env.database, "memory://", exchange=None)  # watched from its start
        with env.database.connection_context():
            for user_id in (1, 2, 3):
                env.outbox.add(EventType.USER_APP_INSTALLED, {"user_id": user_id})
        clock.clock.advance(dt.timedelta(seconds=90))
        assert value("outbox_backlog", service="testsvc") == 3
        assert value("outbox_oldest_unsent_age_seconds", service="testsvc") == 90
        with env.database.connection_context():
            env.outbox_model.update(sent_at=clock.now()).execute()
        assert value("outbox_backlog", service="testsvc") == 0
        assert value("outbox_oldest_unsent_age_seconds", service="testsvc") == 0
    finally:
        env.close()


@pytest.mark.rabbitmq
def test_consumer_outcomes_per_queue(tmp_path, exchange_name):
    env = Env(f"sqlite:///{tmp_path}/consumer.db")

    def handler(envelope):
        if envelope.data["user_id"] == 13:
            raise RuntimeError("poison")
        env.Effect.create(event_id=envelope.id, note="ok")

    consumer, topology = make_consumer(env, exchange_name, handler, max_retries=1, backoff_base=0.05)
    queue = topology.name
    assert value("consumer_messages_total", queue=queue, outcome="handled") == 0  # there from the start
    try:
        thread = run_consumer(consumer)
        good = Envelope.new(EventType.USER_APP_INSTALLED, {"user_id": 1}, "test")
        publish_raw(exchange_name, good.to_json())
        publish_raw(exchange_name, good.to_json())
        publish_raw(exchange_name, Envelope.new(EventType.USER_APP_INSTALLED, {"user_id": 13}, "test").to_json())
        assert wait(lambda: value("consumer_messages_total", queue=queue, outcome="parked") == 1)
        assert wait(lambda: value("consumer_messages_total", queue=queue, outcome="duplicate") == 1)
        assert value("consumer_messages_total", queue=queue, outcome="handled") == 1
        assert value("consumer_messages_total", queue=queue, outcome="retried") == 1
        assert value("consumer_handling_seconds_count", queue=queue) == 4
        stop_consumer(consumer, thread)
    finally:
        delete_queues(topology.name, topology.retry_queue.name, topology.dead_letter_queue.name)
        env.close()


@pytest.fixture
def exchange_name():
    from kombu import Connection

    from tests.support import unique

    name = unique("test.exchange")
    yield name
    with Connection(AMQP_URL) as conn:
        try:
            conn.channel().exchange_delete(name)
        except Exception:  # noqa: BLE001 - already gone
            pass
