"""`make run` with RabbitMQ answering (`EMBEDDED_PROCESSES` left at its default): each service in a process of its own under one parent
(services/supervisor.py), the events crossing processes on the broker; the product behaves the same."""
import psutil
import pytest

from tests.e2e.harness import create_agent, register_and_login, start_product, wait_for
from tests.support import AMQP_URL

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    running = start_product(tmp_path_factory.mktemp("product"), {"AMQP_URL": AMQP_URL}, timeout=120)
    yield running
    running.stop()


def test_each_service_runs_in_its_own_process_and_events_cross_them(product):
    names = sorted(child.cmdline()[-1] for child in psutil.Process(product.process.pid).children())
    assert names == ["gateway", "notifications", "referrals", "tickets", "video"]

    alice = register_and_login(product, locale="en")
    created = alice.post("/api/v1/tickets", json={"subject": "Deposit missing", "category": "deposit_withdrawal",
                                                  "description": "My USDT deposit has not arrived."})
    assert created.status_code == 201, created.text
    number = created.json()["ticket"]["number"]
    agent = create_agent(product)
    assert agent.post(f"/api/v1/agent/tickets/{number}/messages",
                      json={"body": "Which network did you use?", "kind": "reply"}).status_code == 201
    # tickets (its outbox) -> RabbitMQ -> the notifications worker's process -> the customer's inbox
    items = wait_for(lambda: alice.get("/api/v1/notifications").json()["items"], timeout=30,
                     message="the reply's inbox item")
    assert any(number in (item.get("link") or "") + item["title"] + item["body"] for item in items), items


def test_the_children_stop_with_the_product(product):
    children = psutil.Process(product.process.pid).children()
    product.stop()
    assert product.process.returncode == 0
    wait_for(lambda: not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children),
             timeout=20, message="the service processes to stop")
