"""The agent workspace end to end, through the gateway of a product started like `make run`: the
agent directory learnt from `make create-agent`'s event, agents' status, round-robin assignment,
manual assignment, macros; and customers and guests kept out of all of it."""
from __future__ import annotations

import uuid

import pytest

from tests.e2e.harness import Client, create_agent, register_and_login, wait_for

pytestmark = pytest.mark.e2e


def department() -> str:
    return f"kyc-{uuid.uuid4().hex[:6]}"


def listed(agent: Client) -> dict[int, dict]:
    response = agent.get("/api/v1/agent/agents")
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["items"]}


def escalated_ticket(customer: Client, to: str, subject: str = "Identity check") -> str:
    created = customer.post("/api/v1/tickets", json={"subject": subject, "category": "video_verification",
                                                     "description": "Please verify me."})
    assert created.status_code == 201, created.text
    number = created.json()["ticket"]["number"]
    answer = customer.post(f"/api/v1/tickets/{number}/escalation", json={"reason": "KYC", "department": to})
    assert answer.status_code == 201, answer.text
    return number


def assignee(agent: Client, number: str) -> dict | None:
    response = agent.get(f"/api/v1/agent/tickets/{number}")
    assert response.status_code == 200, response.text
    return response.json()["assignee"]


def outsiders(product) -> list[Client]:
    """A customer, and a guest (the bearer of a guest chat)."""
    customer = register_and_login(product)
    chat = Client(product).post("/api/v1/chats", json={"message": "Hello", "email": "visitor@example.com"})
    assert chat.status_code == 201, chat.text
    return [customer, Client(product, chat.json()["chat_token"])]


def test_directory_from_create_agent_and_the_agents_status(product):
    team = department()
    first = create_agent(product, department=team, name="First Agent")
    second = create_agent(product, department=team, tier="senior", name="Second Agent")
    # The second agent has not called the tickets service: the gateway's event told it.
    seen = wait_for(lambda: listed(first).get(second.user["id"]), timeout=20, message="the agent in the directory")
    assert seen == {**seen, "name": "Second Agent", "email": second.email, "tier": "senior", "department": team,
                    "roles": [], "status": "available", "open_assigned": 0}
    away = first.put("/api/v1/agent/me/status", json={"status": "away"})
    assert away.status_code == 200 and away.json()["status"] == "away" and away.json()["id"] == first.user["id"]
    assert listed(second)[first.user["id"]]["status"] == "away"
    bad = first.put("/api/v1/agent/me/status", json={"status": "sleeping"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "validation_error")
    assert "status" in bad.json()["error"]["details"]["fields"]
    for outsider in outsiders(product):
        assert outsider.get("/api/v1/agent/agents").status_code == 403
        assert outsider.put("/api/v1/agent/me/status", json={"status": "away"}).status_code == 403
    assert Client(product).get("/api/v1/agent/agents").status_code == 401


def test_round_robin_away_manual_assignment_and_replies(product):
    team = department()
    one = create_agent(product, department=team, name="One")
    two = create_agent(product, department=team, name="Two")
    wait_for(lambda: {one.user["id"], two.user["id"]} <= set(listed(one)), timeout=20, message="both agents listed")
    customer = register_and_login(product)
    numbers = [escalated_ticket(customer, team, f"Check {i}") for i in range(4)]
    holders = [assignee(one, number)["id"] for number in numbers]
    assert holders in ([one.user["id"], two.user["id"]] * 2, [two.user["id"], one.user["id"]] * 2)
    counts = listed(one)
    assert counts[one.user["id"]]["open_assigned"] == counts[two.user["id"]]["open_assigned"] == 2

    # Away agents get nothing; nobody available leaves the ticket in the department's queue.
    assert two.put("/api/v1/agent/me/status", json={"status": "away"}).status_code == 200
    assert assignee(one, escalated_ticket(customer, team)) == {"id": one.user["id"], "name": "One"}
    assert one.put("/api/v1/agent/me/status", json={"status": "away"}).status_code == 200
    waiting = escalated_ticket(customer, team)
    assert assignee(one, waiting) is None
    queue = one.get(f"/api/v1/agent/tickets?department={team}&assignee=none").json()["items"]
    assert [(t["number"], t["assignee"]) for t in queue] == [(waiting, None)]
    # The customer's reply on the unassigned ticket assigns it, once someone is available.
    assert two.put("/api/v1/agent/me/status", json={"status": "available"}).status_code == 200
    assert customer.post(f"/api/v1/tickets/{waiting}/messages", json={"body": "Any news?"}).status_code == 201
    assert assignee(one, waiting) == {"id": two.user["id"], "name": "Two"}

    # By hand, to anyone, even an id the directory does not know yet.
    moved = one.post(f"/api/v1/agent/tickets/{waiting}/assign", json={"agent_id": one.user["id"]})
    assert moved.status_code == 200 and moved.json()["assignee"] == {"id": one.user["id"], "name": "One"}
    unknown = one.post(f"/api/v1/agent/tickets/{waiting}/assign", json={"agent_id": 987654})
    assert unknown.status_code == 200 and unknown.json()["assignee"] == {"id": 987654, "name": None}
    bad = one.post(f"/api/v1/agent/tickets/{waiting}/assign", json={"agent_id": "two"})
    assert bad.status_code == 400 and "agent_id" in bad.json()["error"]["details"]["fields"]
    for outsider in outsiders(product):
        assert outsider.post(f"/api/v1/agent/tickets/{waiting}/assign",
                             json={"agent_id": one.user["id"]}).status_code == 403


def test_macros_written_by_editors_and_sent_in_the_tickets_language(product):
    editor = create_agent(product, editor=True, name="Eva")
    agent = create_agent(product, name="Sam")
    shipped = editor.get("/api/v1/agent/macros?locale=es").json()["items"]
    assert len(shipped) >= 3 and all(item["has_locale"] for item in shipped)

    body = {"title": "Ask for the TXID", "kind": "info_request", "bodies": {
        "en": "Hello {{customer_name}}, please send the TXID for ticket {{ticket_number}}. {{agent_name}}",
        "es": "Hola {{customer_name}}, envíanos el TXID del ticket {{ticket_number}}. {{agent_name}}"}}
    made = editor.post("/api/v1/agent/macros", json=body)
    assert made.status_code == 201, made.text
    macro_id = made.json()["id"]
    assert made.json()["bodies"] == {**body["bodies"], "zh-Hant": None}
    bad = editor.post("/api/v1/agent/macros", json={**body, "bodies": {"en": "Hi {{password}}"}})
    assert bad.status_code == 400 and "en" in bad.json()["error"]["details"]["fields"]["bodies"]
    assert agent.post("/api/v1/agent/macros", json=body).status_code == 403
    assert agent.put(f"/api/v1/agent/macros/{macro_id}", json=body).status_code == 403
    assert agent.delete(f"/api/v1/agent/macros/{macro_id}").status_code == 403
    assert editor.put("/api/v1/agent/macros/99999999", json=body).status_code == 404

    customer = register_and_login(product, locale="es")
    number = customer.post("/api/v1/tickets", json={
        "subject": "Depósito", "category": "deposit_withdrawal", "description": "No llega."}).json()["ticket"]["number"]
    local_part = customer.email.split("@")[0]
    preview = agent.get(f"/api/v1/agent/tickets/{number}/macros/{macro_id}")
    assert preview.status_code == 200
    assert preview.json() == {"macro_id": macro_id, "kind": "info_request", "resolve": False, "locale": "es",
                              "body": f"Hola {local_part}, envíanos el TXID del ticket {number}. Sam"}
    sent = agent.post(f"/api/v1/agent/tickets/{number}/macros/{macro_id}")
    assert sent.status_code == 201, sent.text
    assert sent.json()["message"]["body"] == preview.json()["body"]
    seen = customer.get(f"/api/v1/tickets/{number}").json()
    assert seen["status"] == "awaiting_user"
    assert [(m["author"]["role"], m["kind"]) for m in seen["messages"] if m["body"] == preview.json()["body"]] == [
        ("agent", "info_request")]
    assert agent.post(f"/api/v1/agent/tickets/{number}/macros/99999999").status_code == 404

    # A resolving macro resolves.
    thanks = editor.post("/api/v1/agent/macros", json={"title": "Thanks", "kind": "reply", "resolve": True,
                                                       "bodies": {"en": "Solved. {{agent_name}}"}}).json()
    assert agent.post(f"/api/v1/agent/tickets/{number}/macros/{thanks['id']}").status_code == 201
    assert customer.get(f"/api/v1/tickets/{number}").json()["status"] == "resolved"

    changed = editor.put(f"/api/v1/agent/macros/{macro_id}", json={**body, "title": "TXID please"})
    assert changed.status_code == 200 and changed.json()["title"] == "TXID please"
    assert editor.delete(f"/api/v1/agent/macros/{macro_id}").status_code == 204
    assert macro_id not in [m["id"] for m in agent.get("/api/v1/agent/macros").json()["items"]]

    for outsider in outsiders(product):
        assert outsider.get("/api/v1/agent/macros").status_code == 403
        assert outsider.post("/api/v1/agent/macros", json=body).status_code == 403
        assert outsider.put(f"/api/v1/agent/macros/{thanks['id']}", json=body).status_code == 403
        assert outsider.delete(f"/api/v1/agent/macros/{thanks['id']}").status_code == 403
        assert outsider.get(f"/api/v1/agent/tickets/{number}/macros/{thanks['id']}").status_code == 403
        assert outsider.post(f"/api/v1/agent/tickets/{number}/macros/{thanks['id']}").status_code == 403
