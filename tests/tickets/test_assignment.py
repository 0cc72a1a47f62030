"""The agent directory and round-robin assignment on the tickets service, on SQLite and PostgreSQL."""
import json

import pytest

from services.tickets.core.models import Ticket
from services.tickets.handlers import HANDLERS
from services.tickets.models import OutboxMessage
from services.tickets.workspace.agents import record_profile_event
from services.tickets.workspace.models import Agent
from shared.events import Envelope, EventType
from tests.support import agent
from tests.tickets.conftest import As, new_ticket


def events(event_type: str) -> list[dict]:
    return [json.loads(row.payload)["data"] for row in
            OutboxMessage.select().where(OutboxMessage.event_type == event_type).order_by(OutboxMessage.id)]


def profile_event(user_id: int, **data) -> Envelope:
    body = {"user_id": user_id, "email": f"agent{user_id}@support.example", "name": f"Agent {user_id}",
            "tier": "standard", "department": None, "roles": [], "locale": "en", "active": True, **data}
    return Envelope.new(EventType.AGENT_PROFILE_CHANGED, body, "gateway")


def hire(app, user_id: int, **data) -> None:
    """An agent the gateway announced (`agent.profile_changed.v1`), as the worker records it."""
    with app.app_context():
        record_profile_event(profile_event(user_id, **data))


def set_status(client, user_id: int, status: str, **claims) -> None:
    response = As(client, agent(user_id, **claims)).put("/api/v1/agent/me/status", json={"status": status})
    assert response.status_code == 200, response.json


def assignees(numbers: list[str]) -> list[int | None]:
    by_number = {t.number: t.assignee_id for t in Ticket.select().where(Ticket.number.in_(numbers))}
    return [by_number[n] for n in numbers]


def test_the_worker_consumes_agent_profiles():
    assert HANDLERS[EventType.AGENT_PROFILE_CHANGED] == [record_profile_event]


def test_directory_from_events_and_from_the_agents_own_calls(app, client, alice):
    hire(app, 700, name="Ana", tier="senior", department="compliance", roles=["editor", "supervisor"])
    # Agent 900 was never announced: its own call puts it in the directory.
    support = As(client, agent(900))
    assert support.get("/api/v1/agent/tickets").status_code == 200
    items = support.get("/api/v1/agent/agents").json["items"]
    assert [(a["id"], a["name"], a["tier"], a["department"], a["roles"], a["status"], a["open_assigned"])
            for a in items] == [(900, "Agent 900", "standard", None, [], "available", 0),
                                (700, "Ana", "senior", "compliance", ["editor", "supervisor"], "available", 0)]
    assert items[1]["email"] == "agent700@support.example"
    # The profile changes: the directory follows; the agent's status stays its own.
    set_status(client, 700, "away", tier="senior", department="compliance")
    hire(app, 700, name="Ana B", tier="standard", department=None, roles=[])
    ana = Agent.get_by_id(700)
    assert (ana.name, ana.tier, ana.department, ana.roles, ana.status) == ("Ana B", "standard", None, "", "away")
    # Deactivated: gone from the list.
    hire(app, 700, active=False)
    assert [a["id"] for a in support.get("/api/v1/agent/agents").json["items"]] == [900]
    # open_assigned counts the tickets open or awaiting the customer held by the agent.
    first, second = new_ticket(alice)["number"], new_ticket(alice, category="wallet")["number"]
    assert assignees([first, second]) == [900, 900]
    support.post(f"/api/v1/agent/tickets/{second}/resolve")
    assert support.get("/api/v1/agent/agents").json["items"][0]["open_assigned"] == 1


def test_status_is_validated_and_for_agents_only(client, alice):
    support = As(client, agent(900))
    bad = support.put("/api/v1/agent/me/status", json={"status": "busy"})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "validation_error"
    assert "status" in bad.json["error"]["details"]["fields"]
    assert support.put("/api/v1/agent/me/status", json={}).status_code == 400
    answer = support.put("/api/v1/agent/me/status", json={"status": "away"})
    assert answer.status_code == 200 and answer.json["status"] == "away" and answer.json["id"] == 900
    assert alice.put("/api/v1/agent/me/status", json={"status": "away"}).status_code == 403
    assert alice.get("/api/v1/agent/agents").status_code == 403
    guest = As(client, {"kind": "guest", "email": "g@example.com", "scope": {"ticket": "12345678"}})
    assert guest.get("/api/v1/agent/agents").status_code == 403
    assert guest.put("/api/v1/agent/me/status", json={"status": "away"}).status_code == 403


def test_round_robin_least_recent_first_and_event_carries_the_assignee(app, client, alice):
    for user_id in (901, 902, 903):
        hire(app, user_id)
    numbers = [new_ticket(alice, category="other", subject=f"Question {i}")["number"] for i in range(6)]
    assert assignees(numbers) == [901, 902, 903, 901, 902, 903]
    created = events("ticket.created.v1")
    assert [e["assignee_id"] for e in created] == [901, 902, 903, 901, 902, 903]
    assigned = events("ticket.assigned.v1")
    assert [(e["number"], e["assignee_id"], e["previous_assignee_id"], e["assigned_by"]) for e in assigned] == [
        (n, a, None, "auto") for n, a in zip(numbers, [901, 902, 903, 901, 902, 903], strict=True)]
    # A manual assignment counts too: 901, given 902's ticket, goes to the end of the rotation.
    support = As(client, agent(901))
    assert support.post(f"/api/v1/agent/tickets/{numbers[1]}/assign", json={"agent_id": 901}).status_code == 200
    nxt = new_ticket(alice, category="other", subject="Next")["number"]
    assert assignees([nxt]) == [902]


@pytest.mark.parametrize("tier,department,expected", [
    ("standard", None, 911),  # standard tier, no department: the general standard agents
    ("senior", None, 912),
    ("standard", "compliance", 913),  # a department's tickets go to its agents, whatever their tier
])
def test_the_group_is_tier_or_department(app, alice, tier, department, expected):
    hire(app, 911)
    hire(app, 912, tier="senior")
    hire(app, 913, tier="senior", department="compliance")
    hire(app, 914, department="kyc")
    number = new_ticket(alice)["number"]
    with app.app_context():
        Ticket.update(tier=tier, department=department, assignee_id=None).where(Ticket.number == number).execute()
    # A customer's reply on an unassigned ticket assigns it.
    assert alice.post(f"/api/v1/tickets/{number}/messages", json={"body": "Any news?"}).status_code == 201
    assert assignees([number]) == [expected]
    assert events("ticket.message_added.v1")[-1]["assignee_id"] == expected


def test_away_inactive_and_full_agents_are_skipped(app, client, alice):
    assert app.config["AGENT_MAX_OPEN"] == 20  # the default cap; 2 here, to reach it
    with app.app_context():
        app.config["AGENT_MAX_OPEN"] = 2
    hire(app, 921)
    hire(app, 922)
    hire(app, 923, active=False)
    set_status(client, 922, "away")
    numbers = [new_ticket(alice, category="other", subject=f"Q {i}")["number"] for i in range(3)]
    # 921 alone takes tickets, up to its cap; the third stays in the queue.
    assert assignees(numbers) == [921, 921, None]
    assert len(events("ticket.assigned.v1")) == 2
    # Resolving one frees a place: the next customer reply on the unassigned one takes it.
    As(client, agent(921)).post(f"/api/v1/agent/tickets/{numbers[0]}/resolve")
    alice.post(f"/api/v1/tickets/{numbers[2]}/messages", json={"body": "Hello?"})
    assert assignees([numbers[2]]) == [921]
    # An assigned ticket keeps its assignee when the customer writes again.
    set_status(client, 922, "available")
    alice.post(f"/api/v1/tickets/{numbers[2]}/messages", json={"body": "Hello again"})
    assert assignees([numbers[2]]) == [921]


def test_escalation_reassigns_within_the_new_group(app, client, alice):
    hire(app, 931)
    hire(app, 932, tier="senior")
    hire(app, 933, department="compliance")
    first = new_ticket(alice)["number"]
    assert assignees([first]) == [931]
    assert alice.post(f"/api/v1/tickets/{first}/escalation", json={"reason": "Not solved"}).status_code == 201
    assert assignees([first]) == [932]
    escalated = events("ticket.escalated.v1")[-1]
    assert escalated["assignee_id"] == 932
    assert events("ticket.assigned.v1")[-1] == {**events("ticket.assigned.v1")[-1], "assignee_id": 932,
                                                "previous_assignee_id": 931, "assigned_by": "auto"}
    # To a department with nobody available: the assignee leaves, the ticket waits in that queue.
    set_status(client, 933, "away", department="compliance")
    second = new_ticket(alice, category="wallet")["number"]
    alice.post(f"/api/v1/tickets/{second}/escalation", json={"reason": "Compliance", "department": "compliance"})
    assert assignees([second]) == [None]
    # The senior who accepts an escalation holds the ticket.
    senior = As(client, agent(932, tier="senior"))
    assert senior.post(f"/api/v1/agent/tickets/{first}/escalation/accept").json["assignee"] == {
        "id": 932, "name": "Agent 932"}


def test_manual_assignment_takes_unknown_agents_and_shows_names(app, client, alice):
    hire(app, 941, name="Bea")
    number = new_ticket(alice)["number"]
    support = As(client, agent(942))
    view = support.get(f"/api/v1/agent/tickets/{number}").json
    assert (view["assignee_id"], view["assignee"]) == (941, {"id": 941, "name": "Bea"})
    # An agent the directory does not know yet: accepted, named later.
    moved = support.post(f"/api/v1/agent/tickets/{number}/assign", json={"agent_id": 4242})
    assert moved.status_code == 200 and moved.json["assignee"] == {"id": 4242, "name": None}
    assert events("ticket.assigned.v1")[-1] == {**events("ticket.assigned.v1")[-1], "assignee_id": 4242,
                                                "previous_assignee_id": 941, "assigned_by": "agent"}
    back = support.post(f"/api/v1/agent/tickets/{number}/assign", json={"agent_id": None})
    assert back.status_code == 200 and back.json["assignee"] is None
    # The same assignee again changes nothing and tells nobody.
    count = len(events("ticket.assigned.v1"))
    support.post(f"/api/v1/agent/tickets/{number}/assign", json={"agent_id": None})
    assert len(events("ticket.assigned.v1")) == count
    queue = support.get("/api/v1/agent/tickets").json["items"]
    assert [(t["number"], t["assignee"]) for t in queue] == [(number, None)]
