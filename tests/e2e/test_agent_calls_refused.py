"""Customers and guests on every agent call, through the gateway of a product started like `make run`.

The calls are not listed by hand: every operation that the public OpenAPI document (`/api/openapi.json`)
holds under `/api/v1/agent/` and `/api/v1/admin/` is tried, with the caller's own ticket, chat, message,
video call and a real macro and article in its path and a body that an agent's call would take. A customer
(bearer token), a ticket's guest, a chat's guest and a video-call guest each get 403 or 404 in the
contract's error shape, nothing changes, and a caller without credentials gets 401. The document must hold
the contract's agent workspace calls, so that a path that fell out of it cannot pass unseen."""
from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
import requests

from tests.e2e.guests import guest_session
from tests.e2e.harness import Client, create_agent, register_and_login, wait_for
from tests.guest.mailbox import Mailbox, plain_text

pytestmark = pytest.mark.e2e

# api.md, "Agents" and "Agent workspace" (and the supervisors' calls after them): (method, path template).
CONTRACT = {
    ("get", "/api/v1/agent/tickets"), ("get", "/api/v1/agent/tickets/{number}"),
    ("post", "/api/v1/agent/tickets/{number}/messages"), ("post", "/api/v1/agent/tickets/{number}/resolve"),
    ("post", "/api/v1/agent/tickets/{number}/assign"), ("post", "/api/v1/agent/tickets/{number}/video-calls"),
    ("post", "/api/v1/agent/video-calls/{call_id}/outcome"),
    ("get", "/api/v1/agent/agents"), ("put", "/api/v1/agent/me/status"),
    ("put", "/api/v1/agent/tickets/{number}/tags"), ("post", "/api/v1/agent/tickets/{number}/presence"),
    ("get", "/api/v1/agent/tickets/{number}/presence"), ("post", "/api/v1/agent/tickets/{number}/merge"),
    ("get", "/api/v1/agent/search"), ("get", "/api/v1/agent/tickets/{number}/context"),
    ("get", "/api/v1/agent/macros"), ("post", "/api/v1/agent/macros"), ("put", "/api/v1/agent/macros/{macro_id}"),
    ("delete", "/api/v1/agent/macros/{macro_id}"), ("post", "/api/v1/agent/tickets/{number}/macros/{macro_id}"),
    ("get", "/api/v1/agent/tickets/{number}/macros/{macro_id}"),
    ("post", "/api/v1/agent/tickets/{number}/messages/{message_id}/redaction"),
    ("get", "/api/v1/admin/sla-policies"), ("put", "/api/v1/admin/sla-policies"),
    ("get", "/api/v1/admin/calendars"), ("put", "/api/v1/admin/calendars"),
    ("get", "/api/v1/agent/reports/summary"), ("get", "/api/v1/agent/reports/tickets.csv"),
    ("get", "/api/v1/admin/audit-events"),
}
MACRO = {"title": "Hijack", "kind": "reply", "resolve": True,
         "bodies": {"en": "Hello {{customer_name}}", "es": "Hola", "zh-Hant": "您好"}}
SOON = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0) + dt.timedelta(days=1)
SLOT = {"start": SOON.isoformat() + "Z", "end": (SOON + dt.timedelta(minutes=30)).isoformat() + "Z"}


def body_for(method: str, template: str, own: dict) -> dict | None:
    """What an agent would send to this call: a refusal must not depend on the body being wrong."""
    if method in ("get", "delete"):
        return None
    bodies = {
        "/messages": {"body": "Resolved, goodbye.", "kind": "reply", "force": True},
        "/assign": {"agent_id": own["user_id"]}, "/tags": {"tags": ["hijacked"]},
        "/presence": {"state": "typing"}, "/merge": {"into": own["other_number"]},
        "/me/status": {"status": "away"}, "/redaction": {"reason": "Holds a card number"},
        "/video-calls": {"slots": [SLOT]}, "/outcome": {"result": "verified"},
        "/reschedule": {"slots": [SLOT]}, "/api/v1/agent/macros": MACRO, "/macros/{macro_id}": MACRO,
        "/articles": {"slug": "hijack", "locale": "en", "category": "wallet", "title": "Hijack", "body": "x"},
        "/sla-policies": {"items": [{"category": "wallet", "tier": "standard", "first_response_s": 1}]},
        "/calendars": {"items": [{"name": "always", "timezone": "UTC", "hours": {}, "holidays": []}]},
    }
    return next((body for end, body in bodies.items() if template.endswith(end)), {})


def filled(template: str, own: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(own[m.group(1)]), template)


@pytest.fixture(scope="module")
def product(mailed_product):
    return mailed_product


def new_ticket(client: Client, subject: str) -> dict:
    created = client.post("/api/v1/tickets", json={"subject": subject, "category": "wallet",
                                                   "description": f"{subject}: my wallet shows nothing."})
    assert created.status_code == 201, created.text
    return created.json()["ticket"]


def video_guest(product, mailbox: Mailbox, email: str) -> Client:
    """The guest who proved `email` to see and join its video calls (the logged-out way)."""
    anonymous = Client(product)
    assert anonymous.post("/api/v1/guest/video-calls/verification-code", json={"email": email}).status_code == 202

    def code():
        mails = [m for m in mailbox.to(email) if "code" in str(m["Subject"]).lower()]
        found = re.search(r"\b(\d{6})\b", plain_text(mails[-1])) if mails else None
        return found and found.group(1)

    session = anonymous.post("/api/v1/guest/video-calls/session",
                             json={"email": email, "code": wait_for(code, timeout=30, message="the code email")})
    assert session.status_code == 200, session.text
    return Client(product, session.json()["guest_token"])


@pytest.fixture(scope="module")
def callers(product, mailbox):
    """Each kind of caller that is not an agent, with the ids of what is its own."""
    agent = create_agent(product, editor=True)
    customer = register_and_login(product)
    ticket, other = new_ticket(customer, "Wallet empty"), new_ticket(customer, "Wallet still empty")
    call = agent.post(f"/api/v1/agent/tickets/{ticket['number']}/video-calls", json={"slots": [SLOT]})
    assert call.status_code == 201, call.text
    booked = customer.post(f"/api/v1/video-calls/{call.json()['call']['id']}/booking",
                           json={"slot_start": SLOT["start"]})
    assert booked.status_code == 200, booked.text
    # The proposal and the booking reach the ticket as its messages by events, a moment later: waited for here,
    # so that what an agent sees of it does not change under the tests for a reason of its own.
    wait_for(lambda: len(agent.get(f"/api/v1/agent/tickets/{ticket['number']}").json()["messages"]) >= 3,
             timeout=30, message="the video call's messages on the ticket")
    guest, guest_number, _ = guest_session(product, mailbox)
    chat = requests.post(product.url("/api/v1/chats"), timeout=30,
                         json={"message": "My deposit is missing", "email": f"chat-{uuid.uuid4().hex[:8]}@example.com"})
    assert chat.status_code == 201, chat.text
    macros = agent.get("/api/v1/agent/macros").json()["items"]
    articles = requests.get(product.url("/api/v1/help/articles"), timeout=30).json()["items"]
    common = {"macro_id": macros[0]["id"], "slug": articles[0]["slug"], "call_id": call.json()["call"]["id"],
              "chat_id": chat.json()["chat"]["id"], "user_id": customer.user["id"], "other_number": other["number"]}

    def first_message(client: Client, number: str) -> int:
        return client.get(f"/api/v1/tickets/{number}").json()["messages"][0]["id"]

    return agent, {
        "customer": (customer, {**common, "number": ticket["number"],
                                "message_id": first_message(customer, ticket["number"])}),
        "ticket guest": (guest, {**common, "number": guest_number, "other_number": ticket["number"],
                                 "message_id": first_message(guest, guest_number)}),
        "chat guest": (Client(product, chat.json()["chat_token"]), {**common, "number": ticket["number"],
                                                                    "message_id": 1}),
        "video guest": (video_guest(product, mailbox, customer.email), {**common, "number": ticket["number"],
                                                                        "message_id": 1}),
    }


@pytest.fixture(scope="module")
def agent_operations(product):
    spec = requests.get(product.url("/api/openapi.json"), timeout=30).json()
    operations = sorted((method, path) for path, item in spec["paths"].items()
                        if path.startswith(("/api/v1/agent/", "/api/v1/admin/"))
                        for method in item if method in ("get", "post", "put", "patch", "delete"))
    # Every call of the contract is among them (with the document's names for the ids in its paths).
    assert CONTRACT <= set(operations), sorted(CONTRACT - set(operations))
    return operations


def what_an_agent_sees(agent: Client, number: str) -> tuple:
    ticket = agent.get(f"/api/v1/agent/tickets/{number}").json()
    # The agent's view of a ticket, as the contract gives it.
    assert {"assignee", "tags", "merged_into", "viewers", "sla", "satisfaction"} <= set(ticket), sorted(ticket)
    return (ticket["status"], ticket["assignee"], ticket["tags"], ticket["merged_into"],
            [(m["id"], m["body"]) for m in ticket["messages"]], ticket["viewers"])


@pytest.mark.parametrize("kind", ["customer", "ticket guest", "chat guest", "video guest"])
def test_every_agent_call_is_refused_to_customers_and_guests(product, callers, agent_operations, kind):
    agent, by_kind = callers
    client, own = by_kind[kind]
    before = what_an_agent_sees(agent, own["number"]), agent.get("/api/v1/agent/macros").json()["items"]
    wrong = []
    for method, template in agent_operations:
        answer = client.request(method.upper(), filled(template, own), json=body_for(method, template, own))
        error = answer.json().get("error", {}) if "json" in answer.headers.get("Content-Type", "") else {}
        if answer.status_code not in (403, 404) or not (error.get("code") and error.get("message")):
            wrong.append((method, template, answer.status_code, answer.text[:200]))
    assert wrong == [], f"{kind}: {wrong}"
    assert len(agent_operations) >= len(CONTRACT)
    after = what_an_agent_sees(agent, own["number"]), agent.get("/api/v1/agent/macros").json()["items"]
    assert after == before


def test_without_credentials_every_agent_call_is_401(product, callers, agent_operations):
    _, by_kind = callers
    _, own = by_kind["customer"]
    anonymous = Client(product)
    wrong = [(method, template, answer.status_code) for method, template in agent_operations
             if (answer := anonymous.request(method.upper(), filled(template, own),
                                             json=body_for(method, template, own))).status_code != 401
             or answer.json()["error"]["code"] != "not_authenticated"]
    assert wrong == []
