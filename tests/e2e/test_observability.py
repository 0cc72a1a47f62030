"""What ops see of a product started like `make run`: `/metrics` on every service."""
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.harness import SERVICE_NAMES, register_and_login, wait_for

pytestmark = pytest.mark.e2e

FAMILIES = {
    "http_request_duration_seconds": "histogram",
    "consumer_handling_seconds": "histogram",
    "consumer_messages": "counter",
    "outbox_backlog": "gauge",
    "outbox_oldest_unsent_age_seconds": "gauge",
    "notifications_sent": "counter",
    "sla_breaches": "counter",
    "rate_limit_refusals": "counter",
}


def scrape(base_url: str) -> dict:
    response = requests.get(base_url + "/metrics", timeout=10)
    assert response.status_code == 200, response.text
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def sample_values(family, name: str) -> list[tuple[dict, float]]:
    return [(sample.labels, sample.value) for sample in family.samples if sample.name == name]


def test_every_service_exposes_the_families(product):
    alice = register_and_login(product)
    created = alice.post("/api/v1/tickets", json={"subject": "Fees", "category": "trading_fees_limits",
                                                  "description": "Why this fee?"})
    assert created.status_code == 201, created.text
    number = created.json()["ticket"]["number"]
    assert alice.get(f"/api/v1/tickets/{number}").status_code == 200

    bases = {"gateway": product.base_url} | {name: product.env[f"{name.upper()}_URL"] for name in SERVICE_NAMES}
    for service, base in bases.items():
        families = scrape(base)
        for name, kind in FAMILIES.items():
            assert name in families and families[name].type == kind, (service, name)

    gateway = scrape(product.base_url)["http_request_duration_seconds"]
    routes = {(labels["route"], labels["status"]) for labels, _ in sample_values(
        gateway, "http_request_duration_seconds_count") if labels["service"] == "gateway"}
    assert ("/api/v1/auth/register", "201") in routes
    assert not any(number in route for route, _ in routes), routes  # templates, never a ticket's number
    tickets = scrape(bases["tickets"])["http_request_duration_seconds"]
    assert any(labels["service"] == "tickets" and labels["route"] == "/api/v1/tickets" and labels["status"] == "201"
               for labels, _ in sample_values(tickets, "http_request_duration_seconds_count"))

    # The ticket's event went through the tickets outbox and was handled by the consumers.
    def drained_and_handled():
        families = scrape(bases["tickets"])
        backlog = dict((labels["service"], value) for labels, value in
                       sample_values(families["outbox_backlog"], "outbox_backlog"))
        handled = sum(value for labels, value in sample_values(families["consumer_messages"],
                                                               "consumer_messages_total")
                      if labels["outcome"] == "handled")
        return backlog.get("tickets") == 0 and handled > 0
    wait_for(drained_and_handled, timeout=20, message="the outbox drained and events handled")


def test_metrics_need_no_credentials(product):
    for _ in range(3):
        response = requests.get(product.url("/metrics"), timeout=10)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
    # Through the ingress (a proxy), the gateway's metrics are nobody's business.
    proxied = requests.get(product.url("/metrics"), headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10)
    assert proxied.status_code == 404
    assert proxied.json()["error"]["code"] == "not_found"
