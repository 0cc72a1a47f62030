"""The first slice end to end, over HTTP against a product started like `make run`."""
import pytest
import requests

from tests.e2e.harness import Client, create_agent, register_and_login
from tests.support import png_bytes

pytestmark = pytest.mark.e2e


def test_customer_and_agent_ticket_loop(product):
    alice = register_and_login(product, locale="en")
    created = alice.post("/api/v1/tickets", data={
        "subject": "Deposit missing", "category": "deposit_withdrawal",
        "description": "My USDT deposit has not arrived.", "txid": "0x1234567890abcdef"},
        files=[("files", ("screenshot.png", png_bytes(), "image/png"))])
    assert created.status_code == 201, created.text
    number = created.json()["ticket"]["number"]
    attachment = created.json()["ticket"]["messages"][0]["attachments"][0]
    assert alice.get(attachment["url"]).content == png_bytes()

    listed = alice.get("/api/v1/tickets").json()
    assert [t["number"] for t in listed["items"]] == [number]

    agent = create_agent(product)
    queue = agent.get("/api/v1/agent/tickets?status=open").json()["items"]
    assert number in [t["number"] for t in queue]
    assert agent.post(f"/api/v1/agent/tickets/{number}/messages",
                      json={"body": "Checking with the wallet team", "kind": "note"}).status_code == 201
    assert agent.post(f"/api/v1/agent/tickets/{number}/messages",
                      json={"body": "Which network did you use?", "kind": "info_request"}).status_code == 201
    assert alice.get(f"/api/v1/tickets/{number}").json()["status"] == "awaiting_user"
    assert alice.post(f"/api/v1/tickets/{number}/messages", data={"body": "TRC20, screenshot attached"},
                      files=[("files", ("tx.png", png_bytes(3, 3), "image/png"))]).status_code == 201
    assert agent.post(f"/api/v1/agent/tickets/{number}/resolve").status_code == 200
    detail = alice.get(f"/api/v1/tickets/{number}").json()
    assert detail["status"] == "resolved"
    assert "Checking with the wallet team" not in [m["body"] for m in detail["messages"]]

    escalated = alice.post(f"/api/v1/tickets/{number}/escalation", json={"reason": "The funds are still missing"})
    assert escalated.status_code == 201
    senior = create_agent(product, tier="senior")
    assert number in [t["number"] for t in senior.get("/api/v1/agent/tickets?tier=senior").json()["items"]]


def test_credentials_and_isolation(product):
    alice = register_and_login(product)
    bob = register_and_login(product)
    number = alice.post("/api/v1/tickets", json={"subject": "Fees", "category": "trading_fees_limits",
                                                 "description": "Why this fee?"}).json()["ticket"]["number"]
    assert bob.get(f"/api/v1/tickets/{number}").status_code == 404
    anonymous = Client(product)
    for path in ("/api/v1/tickets", f"/api/v1/tickets/{number}", "/api/v1/me"):
        response = anonymous.get(path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
    assert bob.get("/api/v1/agent/tickets").status_code == 403


def test_cookie_session_needs_csrf_on_unsafe_methods(product):
    email = "cookie-user@example.com"
    requests.post(product.url("/api/v1/auth/register"), json={"email": email, "password": "long password"})
    browser = requests.Session()
    login = browser.post(product.url("/api/v1/auth/login"), json={"email": email, "password": "long password"})
    assert login.status_code == 200
    cookie_header = ";".join(login.headers.get("Set-Cookie", "").split(","))
    assert "HttpOnly" in cookie_header and "SameSite=Lax" in cookie_header
    assert browser.get(product.url("/api/v1/me")).status_code == 200
    body = {"subject": "Cookie ticket", "category": "other", "description": "from the web"}
    refused = browser.post(product.url("/api/v1/tickets"), json=body)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    accepted = browser.post(product.url("/api/v1/tickets"), json=body,
                            headers={"X-CSRF-Token": browser.cookies["csrf_token"]})
    assert accepted.status_code == 201
    assert browser.post(product.url("/api/v1/auth/logout"),
                        headers={"X-CSRF-Token": browser.cookies["csrf_token"]}).status_code == 204
    assert browser.get(product.url("/api/v1/me")).status_code == 401


def test_public_docs(product):
    spec = requests.get(product.url("/api/openapi.json")).json()
    for path in ("/api/v1/auth/login", "/api/v1/tickets", "/api/v1/agent/tickets/{number}/messages"):
        assert path in spec["paths"], path
    docs = requests.get(product.url("/api/docs"))
    assert docs.status_code == 200 and "/api/v1/tickets" in docs.text
    home = requests.get(product.url("/"))
    assert 'href="/api/docs"' in home.text
