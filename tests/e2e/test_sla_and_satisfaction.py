"""Service levels, satisfaction and reports end to end, over HTTP against a product started like
`make run`, its events on the real RabbitMQ."""
import datetime as dt
import json
import uuid

import pika
import pytest

from shared import clock
from tests.e2e.harness import create_agent, register_and_login, start_product, wait_for
from tests.support import AMQP_URL

pytestmark = pytest.mark.e2e
BREACHES = f"sla-breaches-{uuid.uuid4().hex[:8]}"


def channel_of(url: str):
    return pika.BlockingConnection(pika.URLParameters(url.rstrip("/") + "/%2F"))


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    exchange = f"test.events.{uuid.uuid4().hex[:8]}"
    with channel_of(AMQP_URL) as connection:  # a queue of the test's own, bound before anything is published
        channel = connection.channel()
        channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        channel.queue_declare(BREACHES)
        channel.queue_bind(BREACHES, exchange, routing_key="ticket.sla_breached.v1")
    running = start_product(tmp_path_factory.mktemp("sla-product"), {
        "AMQP_URL": AMQP_URL, "EVENT_EXCHANGE": exchange, "SLA_BREACH_INTERVAL_SECONDS": "0.5"})
    yield running
    running.stop()
    with channel_of(AMQP_URL) as connection:
        connection.channel().queue_delete(BREACHES)
        connection.channel().exchange_delete(exchange)


def published_breaches() -> list[dict]:
    found = []
    with channel_of(AMQP_URL) as connection:
        channel = connection.channel()
        while True:
            method, _properties, body = channel.basic_get(BREACHES, auto_ack=True)
            if method is None:
                return found
            found.append(json.loads(body))


@pytest.fixture(scope="module")
def boss(product):
    return create_agent(product, tier="senior", supervisor=True)


def open_ticket(customer, category="deposit_withdrawal"):
    response = customer.post("/api/v1/tickets", json={"subject": "Deposit missing", "category": category,
                                                      "description": "My USDT deposit has not arrived."})
    assert response.status_code == 201, response.text
    return response.json()["ticket"]


def test_due_times_achievement_and_a_published_breach(product, boss):
    alice, agent = register_and_login(product), create_agent(product)
    ticket = open_ticket(alice)
    number, created = ticket["number"], clock.parse_iso(ticket["created_at"])
    sla = agent.get(f"/api/v1/agent/tickets/{number}").json()["sla"]
    assert sla["first_response"]["due_at"] == clock.isoformat(created + dt.timedelta(hours=2))
    assert sla["resolution"]["due_at"] == clock.isoformat(created + dt.timedelta(hours=72))
    queue = agent.get("/api/v1/agent/tickets?sort=sla").json()["items"]
    assert {"number": number, "sla_due_at": sla["first_response"]["due_at"]}.items() <= \
        next(item for item in queue if item["number"] == number).items()
    assert agent.post(f"/api/v1/agent/tickets/{number}/messages", json={"body": "Checking."}).status_code == 201
    first = agent.get(f"/api/v1/agent/tickets/{number}").json()["sla"]["first_response"]
    assert first["achieved_at"] is not None and first["breached"] is False

    assert agent.put("/api/v1/admin/sla-policies", json={"items": []}).status_code == 403
    policy = {"category": "wallet", "tier": "standard", "first_response_s": 5, "next_response_s": 3600,
              "resolution_s": 86400}
    changed = boss.put("/api/v1/admin/sla-policies", json={"items": [policy]})
    assert changed.status_code == 200, changed.text
    assert {**policy, "calendar": "always"} in changed.json()["items"]
    late = open_ticket(alice, "wallet")["number"]
    seen = []

    def breach_of_late():
        seen.extend(published_breaches())
        return [event for event in seen if event["data"]["number"] == late]

    [event] = wait_for(breach_of_late, timeout=30, message="the breach event")
    assert event["type"] == "ticket.sla_breached.v1" and event["data"]["metric"] == "first_response"
    view = agent.get(f"/api/v1/agent/tickets/{late}").json()
    assert view["sla"]["first_response"]["breached"] is True
    # The breach tells the ticket's holder, or the supervisors while nobody holds it.
    staff = {who.get("/api/v1/me").json()["user"]["id"]: who for who in (agent, boss)}
    told = staff[view["assignee"]["id"]] if view["assignee"] else boss

    def breach_notices(who):
        return [item for item in who.get("/api/v1/notifications").json()["items"]
                if item["kind"] == "sla_breaches" and item["link"].endswith(f"/agent/tickets/{late}")]

    [notice] = wait_for(lambda: breach_notices(told), timeout=30, message="the breach's inbox item")
    assert late in notice["title"]
    assert not [e for e in published_breaches() if e["data"]["number"] == late]  # once only
    assert len(breach_notices(told)) == 1 and not breach_notices(next(w for w in staff.values() if w is not told))


def test_ratings_after_the_resolution(product):
    alice, bob, agent = register_and_login(product), register_and_login(product), create_agent(product)
    number = open_ticket(alice, "other")["number"]
    early = alice.post(f"/api/v1/tickets/{number}/satisfaction", json={"rating": "good"})
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_resolved"
    assert agent.post(f"/api/v1/agent/tickets/{number}/resolve").status_code == 200
    bad = alice.post(f"/api/v1/tickets/{number}/satisfaction", json={"rating": "excellent"})
    assert bad.status_code == 400 and "rating" in bad.json()["error"]["details"]["fields"]
    assert bob.post(f"/api/v1/tickets/{number}/satisfaction", json={"rating": "bad"}).status_code == 404
    assert alice.post(f"/api/v1/tickets/{number}/satisfaction",
                      json={"rating": "bad", "comment": "Slow"}).status_code == 201
    again = alice.post(f"/api/v1/tickets/{number}/satisfaction", json={"rating": "good"})
    assert again.status_code == 200 and again.json()["satisfaction"]["rating"] == "good"
    assert alice.get(f"/api/v1/tickets/{number}").json()["satisfaction"]["rating"] == "good"
    assert agent.get(f"/api/v1/agent/tickets/{number}").json()["satisfaction"]["rating"] == "good"


def test_reports_for_supervisors(product, boss):
    agent = create_agent(product)
    for path in ("/api/v1/agent/reports/summary", "/api/v1/agent/reports/tickets.csv", "/api/v1/admin/calendars"):
        assert agent.get(path).status_code == 403
        assert register_and_login(product).get(path).status_code == 403
    alice = register_and_login(product)
    number = open_ticket(alice, "other")["number"]
    assert agent.post(f"/api/v1/agent/tickets/{number}/resolve").status_code == 200
    assert alice.post(f"/api/v1/tickets/{number}/satisfaction", json={"rating": "good"}).status_code == 201
    summary = boss.get("/api/v1/agent/reports/summary")
    assert summary.status_code == 200, summary.text
    assert summary.json()["created"] >= 1 and summary.json()["resolved"] >= 1
    assert summary.json()["satisfaction"]["good"] >= 1
    exported = boss.get("/api/v1/agent/reports/tickets.csv")
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    header, *rows = exported.text.splitlines()
    assert header.startswith("number,category,tier") and any(row.startswith(number + ",") for row in rows)
