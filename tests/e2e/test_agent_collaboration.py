"""The agent workspace through the gateway: presence, the stale-reply guard and merging,
for agents, and what customers and guests get (403 on agent calls; old links of a merged
ticket, a guest's link included, lead to the target). Against a product started like `make run`."""
from __future__ import annotations

import uuid

import pytest
import requests

from tests.e2e.harness import Client, create_agent, register_and_login, start_product, wait_for
from tests.guest.mailbox import code_in, ticket_links
from tests.support import png_bytes

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def product(tmp_path_factory, mailbox):
    running = start_product(tmp_path_factory.mktemp("workspace-product"), {
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mailbox.port),
        "RATE_LIMIT_GUEST_TICKETS": "1000/hour", "RATE_LIMIT_GUEST_TICKETS_PER_EMAIL": "1000/hour"})
    yield running
    running.stop()


@pytest.fixture(scope="module")
def agents(product):
    return create_agent(product), create_agent(product), create_agent(product, supervisor=True)


def new_ticket(client: Client, subject: str = "Deposit missing", **fields) -> dict:
    created = client.post("/api/v1/tickets", json={"subject": subject, "category": "deposit_withdrawal",
                                                   "description": f"{subject}: 100 USDT not credited.", **fields})
    assert created.status_code == 201, created.text
    return created.json()["ticket"]


def audit_actions(supervisor: Client, number: str) -> list[str]:
    answer = supervisor.get(f"/api/v1/admin/audit-events?ticket={number}")
    assert answer.status_code == 200, answer.text
    return [item["action"] for item in answer.json()["items"]]


def test_presence_heartbeats_show_other_agents_and_are_not_audited(product, agents):
    first, second, supervisor = agents
    alice = register_and_login(product)
    number = new_ticket(alice)["number"]
    for _ in range(12):  # a page's heartbeat every few seconds is never refused
        assert first.post(f"/api/v1/agent/tickets/{number}/presence", json={"state": "viewing"}).status_code == 204
    assert first.post(f"/api/v1/agent/tickets/{number}/presence", json={"state": "typing"}).status_code == 204

    seen = second.get(f"/api/v1/agent/tickets/{number}").json()["viewers"]
    assert [(v["agent"]["id"], v["state"]) for v in seen] == [(first.user["id"], "typing")]
    assert seen[0]["agent"]["name"] and seen[0]["since"].endswith("Z")
    assert first.get(f"/api/v1/agent/tickets/{number}").json()["viewers"] == []
    poll = second.get(f"/api/v1/agent/tickets/{number}/presence")
    assert poll.status_code == 200 and [v["agent"]["id"] for v in poll.json()["viewers"]] == [first.user["id"]]
    assert poll.json()["last_public_message_id"] is not None

    bad = first.post(f"/api/v1/agent/tickets/{number}/presence", json={"state": "away"})
    assert bad.status_code == 400 and "state" in bad.json()["error"]["details"]["fields"]
    assert first.post("/api/v1/agent/tickets/99999999/presence", json={"state": "viewing"}).status_code == 404
    assert alice.post(f"/api/v1/agent/tickets/{number}/presence", json={"state": "viewing"}).status_code == 403
    assert alice.get(f"/api/v1/agent/tickets/{number}/presence").status_code == 403
    assert Client(product).post(f"/api/v1/agent/tickets/{number}/presence",
                                json={"state": "viewing"}).status_code == 401

    actions = wait_for(lambda: audit_actions(supervisor, number) or None, message="the ticket views audited")
    assert "ticket.viewed" in actions
    assert not [a for a in actions if a not in ("ticket.viewed",)], actions  # heartbeats and polls: nothing


def test_a_reply_past_a_new_customer_message_is_refused_unless_forced(product, agents):
    first, second, _ = agents
    alice = register_and_login(product)
    ticket = new_ticket(alice)
    number, seen = ticket["number"], ticket["messages"][0]["id"]
    newer = alice.post(f"/api/v1/tickets/{number}/messages", json={"body": "It arrived half an hour ago?"})
    assert newer.status_code == 201
    other = second.post(f"/api/v1/agent/tickets/{number}/messages", json={"body": "internal", "kind": "note"})
    assert other.status_code == 201

    refused = first.post(f"/api/v1/agent/tickets/{number}/messages",
                         json={"body": "We are checking.", "seen_message_id": seen})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "ticket_changed"
    assert [m["id"] for m in refused.json()["error"]["details"]["new_messages"]] == [newer.json()["message"]["id"]]
    multipart = first.post(f"/api/v1/agent/tickets/{number}/messages",
                           data={"body": "See the file", "seen_message_id": str(seen)},
                           files=[("files", ("a.png", png_bytes(), "image/png"))])
    assert multipart.status_code == 409 and multipart.json()["error"]["code"] == "ticket_changed"
    forced = first.post(f"/api/v1/agent/tickets/{number}/messages",
                        json={"body": "We are checking.", "seen_message_id": seen, "force": True})
    assert forced.status_code == 201
    bad = first.post(f"/api/v1/agent/tickets/{number}/messages", json={"body": "x", "seen_message_id": "first"})
    assert bad.status_code == 400 and "seen_message_id" in bad.json()["error"]["details"]["fields"]


def test_merging_a_customers_duplicate_and_the_old_link(product, agents):
    first, _, supervisor = agents
    alice = register_and_login(product)
    bob = register_and_login(product)
    target = new_ticket(alice, "Deposit missing")
    source = new_ticket(alice, "Deposit still missing", txid="0xfeedbeef12345678")
    bobs = new_ticket(bob)["number"]

    for who in (alice, bob):
        refused = who.post(f"/api/v1/agent/tickets/{source['number']}/merge", json={"into": target["number"]})
        assert refused.status_code == 403
    different = first.post(f"/api/v1/agent/tickets/{source['number']}/merge", json={"into": bobs})
    assert (different.status_code, different.json()["error"]["code"]) == (409, "different_requester")
    assert first.post(f"/api/v1/agent/tickets/{source['number']}/merge", json={"into": "99999999"}).status_code == 404
    itself = first.post(f"/api/v1/agent/tickets/{source['number']}/merge", json={"into": source["number"]})
    assert itself.status_code == 400 and "into" in itself.json()["error"]["details"]["fields"]

    merged = first.post(f"/api/v1/agent/tickets/{source['number']}/merge", json={"into": target["number"]})
    assert merged.status_code == 200, merged.text
    assert (merged.json()["status"], merged.json()["merged_into"]) == ("closed", target["number"])
    again = first.post(f"/api/v1/agent/tickets/{source['number']}/merge", json={"into": target["number"]})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_merged")

    history = first.get(f"/api/v1/agent/tickets/{target['number']}").json()["messages"]
    assert [m["body"] for m in history if m.get("from_ticket") == source["number"]][0] == source["description"]
    old_link = alice.get(f"/api/v1/tickets/{source['number']}")
    assert old_link.status_code == 200 and old_link.json()["number"] == target["number"]
    assert alice.post(f"/api/v1/tickets/{source['number']}/messages", json={"body": "ok"}).status_code == 201
    assert bob.get(f"/api/v1/tickets/{source['number']}").status_code == 404
    duplicate = alice.post("/api/v1/tickets", json={"subject": "Again", "category": "wallet", "description": "x",
                                                    "txid": "0xfeedbeef12345678"})
    assert duplicate.json()["error"]["details"]["ticket_number"] == target["number"]

    actions = wait_for(lambda: [a for a in audit_actions(supervisor, source["number"]) if a == "ticket.merged"]
                       or None, message="the merge audited")
    assert actions == ["ticket.merged"]


def test_a_guest_link_of_a_merged_ticket_opens_the_target(product, agents, mailbox):
    first, _, _ = agents
    email = f"guest-{uuid.uuid4().hex[:10]}@example.com"
    http = requests.Session()

    def guest_ticket(subject):
        created = http.post(product.url("/api/v1/guest/tickets"), timeout=30, json={
            "email": email, "subject": subject, "category": "wallet", "description": f"{subject}, please help."})
        assert created.status_code == 201, created.text
        return created.json()["number"]

    target, source = guest_ticket("Wallet frozen"), guest_ticket("Wallet still frozen")
    alerts = mailbox.wait(email, 2)
    links = dict(link for alert in alerts for link in ticket_links(alert, product.base_url))
    merged = first.post(f"/api/v1/agent/tickets/{source}/merge", json={"into": target})
    assert merged.status_code == 200, merged.text

    # The source's old link: code, session, then the target's history, and a reply lands there.
    t = links[source]
    assert http.post(product.url(f"/api/v1/guest/tickets/{source}/verification-code"), json={"t": t},
                     timeout=30).status_code == 202
    code = code_in(wait_for(lambda: next((m for m in mailbox.to(email) if "code" in str(m["Subject"]).lower()),
                                         None), timeout=30, message="the code email"))
    session = http.post(product.url(f"/api/v1/guest/tickets/{source}/session"), json={"t": t, "code": code},
                        timeout=30)
    assert session.status_code == 200, session.text
    guest = Client(product, session.json()["guest_token"])
    view = guest.get(f"/api/v1/tickets/{source}")
    assert view.status_code == 200 and view.json()["number"] == target
    assert "Wallet still frozen, please help." in [m["body"] for m in view.json()["messages"]]
    reply = guest.post(f"/api/v1/tickets/{source}/messages", json={"body": "Thank you"})
    assert reply.status_code == 201
    target_history = first.get(f"/api/v1/agent/tickets/{target}").json()["messages"]
    assert target_history[-1]["body"] == "Thank you" and "from_ticket" not in target_history[-1]
    assert guest.get(f"/api/v1/tickets/{target}").status_code == 200

    # The page of the old link shows the target's conversation.
    page = http.get(product.url(f"/support/tickets/{source}"), timeout=30)
    assert page.status_code == 200 and "Thank you" in page.text and "Wallet frozen, please help." in page.text

    for path, body in ((f"/api/v1/agent/tickets/{source}", None), (f"/api/v1/agent/tickets/{target}/presence", None),
                       (f"/api/v1/agent/tickets/{source}/merge", {"into": target}),
                       (f"/api/v1/agent/tickets/{target}/presence", {"state": "viewing"})):
        answer = guest.post(path, json=body) if body else guest.get(path)
        assert answer.status_code == 403, path
