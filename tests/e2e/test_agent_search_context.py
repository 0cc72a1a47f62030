"""The agent workspace's search, tags and customer context through the gateway, on the
product started like `make run` (SQLite, in-process bus): the context's facts arrive as
events from the gateway, the referrals and the video services."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
import requests

from tests.e2e.guests import guest_session
from tests.e2e.harness import Client, create_agent, login, register_and_login, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def product(mailed_product):
    return mailed_product


@pytest.fixture(scope="module")
def agent(product):
    return create_agent(product)


def open_ticket(customer: Client, **fields) -> str:
    body = {"subject": "Deposit not credited", "category": "deposit_withdrawal",
            "description": "I sent USDT on Tron two hours ago."}
    created = customer.post("/api/v1/tickets", json={**body, **fields})
    assert created.status_code == 201, created.text
    return created.json()["ticket"]["number"]


def found(agent: Client, q: str) -> list[str]:
    response = agent.get("/api/v1/agent/search", params={"q": q})
    assert response.status_code == 200, response.text
    return [item["number"] for item in response.json()["items"]]


def test_tags_and_search(product, agent):
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    alice = register_and_login(product, email=email)
    txid = uuid.uuid4().hex * 2
    first = open_ticket(alice, txid=txid, description="The walrusfish transfer never arrived.")
    second = open_ticket(alice, subject="Order stuck", category="trading_fees_limits", order_id=f"ORD-{first}")

    tagged = agent.put(f"/api/v1/agent/tickets/{first}/tags", json={"tags": [" VIP", "tron"]})
    assert tagged.status_code == 200, tagged.text
    assert tagged.json()["tags"] == ["tron", "vip"]
    assert agent.get(f"/api/v1/agent/tickets/{first}").json()["tags"] == ["tron", "vip"]
    queue = agent.get("/api/v1/agent/tickets", params={"tag": "vip"}).json()["items"]
    assert [t["number"] for t in queue] == [first] and queue[0]["tags"] == ["tron", "vip"]

    assert found(agent, first) == [first]
    assert found(agent, txid) == [first]
    assert found(agent, f"ORD-{first}") == [second]
    assert set(found(agent, email.upper())) == {first, second}
    assert first in found(agent, "VIP")
    assert found(agent, "walrusfish transfer") == [first]
    agent.post(f"/api/v1/agent/tickets/{second}/messages", json={"body": "Checked the okapibird ledger",
                                                                 "kind": "note"})
    assert found(agent, "okapibird") == [second]

    bad = agent.put(f"/api/v1/agent/tickets/{first}/tags", json={"tags": ["no spaces please"]})
    assert bad.status_code == 400 and "tags" in bad.json()["error"]["details"]["fields"]
    empty = agent.get("/api/v1/agent/search", params={"q": " "})
    assert empty.status_code == 400 and "q" in empty.json()["error"]["details"]["fields"]
    assert agent.put("/api/v1/agent/tickets/00000000/tags", json={"tags": []}).status_code == 404

    for call in (alice.get("/api/v1/agent/search", params={"q": first}),
                 alice.put(f"/api/v1/agent/tickets/{first}/tags", json={"tags": ["mine"]}),
                 alice.get(f"/api/v1/agent/tickets/{first}/context")):
        assert call.status_code == 403, call.text
    assert requests.get(product.url(f"/api/v1/agent/search?q={first}"), timeout=30).status_code == 401


def test_the_context_gathers_the_requesters_facts_from_events(product, agent):
    alice = register_and_login(product, region="ES", locale="es")
    number = open_ticket(alice)
    older = open_ticket(alice, subject="Fees", category="trading_fees_limits")

    def requester():
        response = agent.get(f"/api/v1/agent/tickets/{number}/context")
        assert response.status_code == 200, response.text
        return response.json()["requester"]

    known = wait_for(lambda: (r := requester())["registered_at"] and r["referral"]["eligible"] is not None and r,
                     timeout=20, message="the registration and the referral standing")
    assert (known["id"], known["email"], known["locale"], known["region"], known["is_sub_account"]) == (
        alice.user["id"], alice.email, "es", "ES", False)
    assert known["tickets"]["open"] == 2 and known["tickets"]["total"] == 2
    assert [t["number"] for t in known["tickets"]["recent"]] == [older]
    assert known["referral"]["eligible"] is True and known["referral"]["invitees"] == 0

    code = alice.get("/api/v1/referrals/me").json()["code"]
    register_and_login(product, region="FR", referral_code=code)
    wait_for(lambda: requester()["referral"]["invitees"] == 1, timeout=20, message="the invitee")

    start = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0) + dt.timedelta(days=2)
    slot = {"start": start.isoformat() + "Z", "end": (start + dt.timedelta(minutes=30)).isoformat() + "Z"}
    proposed = agent.post(f"/api/v1/agent/tickets/{number}/video-calls", json={"slots": [slot]})
    assert proposed.status_code == 201, proposed.text
    calls = wait_for(lambda: requester()["video_calls"]["last"], timeout=20, message="the video call")
    assert (calls["ticket_number"], calls["status"]) == (number, "proposed")

    sub_email = f"sub-{uuid.uuid4().hex[:8]}@example.com"
    made = alice.post("/api/v1/auth/sub-accounts", json={"email": sub_email, "password": "sub password 1"})
    assert made.status_code == 201, made.text
    sub_number = open_ticket(login(product, sub_email, "sub password 1"))
    sub = wait_for(lambda: (r := agent.get(f"/api/v1/agent/tickets/{sub_number}/context").json()["requester"])
                   ["registered_at"] and r, timeout=20, message="the sub-account's registration")
    assert sub["is_sub_account"] is True and sub["referral"]["eligible"] is False

    supervisor = create_agent(product, supervisor=True)
    audit = supervisor.get("/api/v1/admin/audit-events", params={"action": "ticket.context_viewed",
                                                                "ticket": number})
    assert audit.status_code == 200 and audit.json()["items"], audit.text


def test_a_guests_ticket_context_and_a_guest_on_agent_calls(product, agent, mailbox):
    guest, number, email = guest_session(product, mailbox, "Cannot log in", "account_security", "Locked out.")
    for call in (guest.get("/api/v1/agent/search", params={"q": number}),
                 guest.get(f"/api/v1/agent/tickets/{number}/context"),
                 guest.put(f"/api/v1/agent/tickets/{number}/tags", json={"tags": ["x"]})):
        assert call.status_code in (403, 404), call.text

    context = agent.get(f"/api/v1/agent/tickets/{number}/context")
    assert context.status_code == 200, context.text
    body = context.json()
    assert (body["guest"], body["email"], body["tickets"]["total"], body["tickets"]["open"]) == (True, email, 1, 1)
    assert found(agent, email) == [number]
