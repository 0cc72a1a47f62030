"""Merging a duplicate ticket into another of the same requester: the source closes with
`merged_into`, its messages show in the target's history, the requester is told, and old
links lead to the target. On the tickets service itself, SQLite and PostgreSQL."""
import json
import threading

from services.tickets.core.models import Message, Ticket
from services.tickets.models import OutboxMessage
from tests.support import agent, file_tuple, png_bytes
from tests.tickets.conftest import As, new_ticket

TXID = "0xabc123def456789"


def merge(who, number, into):
    return who.post(f"/api/v1/agent/tickets/{number}/merge", json={"into": into})


def events() -> list[dict]:
    return [json.loads(row.payload) for row in OutboxMessage.select().order_by(OutboxMessage.id)]


def test_a_merged_ticket_closes_and_its_history_continues_in_the_target(alice, support):
    target = new_ticket(alice, subject="Deposit missing", txid=None)
    source = new_ticket(alice, subject="Deposit still missing", txid=TXID)
    sent = alice.post(f"/api/v1/tickets/{source['number']}/messages", data={
        "body": "Screenshot attached", "files": [file_tuple(png_bytes(), "proof.png")]},
        content_type="multipart/form-data").json["message"]
    support.post(f"/api/v1/agent/tickets/{source['number']}/messages", json={"body": "check", "kind": "note"})
    before = len(events())

    merged = merge(support, source["number"], target["number"])
    assert merged.status_code == 200, merged.json
    assert (merged.json["number"], merged.json["status"], merged.json["merged_into"]) == (
        source["number"], "closed", target["number"])
    assert merged.json["messages"][-1]["body"].startswith(f"This ticket was merged into ticket {target['number']}")

    new_events = events()[before:]
    assert [e["type"] for e in new_events] == ["ticket.status_changed.v1", "ticket.merged.v1"]
    assert (new_events[0]["data"]["new_status"], new_events[0]["data"]["merged_into"]) == ("closed", target["number"])
    assert "merged_into" not in events()[0]["data"]  # only a merged ticket's events carry it
    data = new_events[1]["data"]
    assert (data["number"], data["into_number"], data["into_subject"], data["status"]) == (
        source["number"], target["number"], "Deposit missing", "closed")
    assert data["requester"]["user_id"] == 1

    agent_view = support.get(f"/api/v1/agent/tickets/{target['number']}").json
    assert agent_view["merged_into"] is None
    from_source = [m for m in agent_view["messages"] if m.get("from_ticket") == source["number"]]
    assert [m["body"] for m in from_source][:3] == [source["description"], "Screenshot attached", "check"]
    assert "from_ticket" not in agent_view["messages"][0]
    assert agent_view["messages"][-1]["body"].startswith(f"Ticket {source['number']} (Deposit still missing) was merged")
    assert support.get(f"/api/v1/agent/tickets/{source['number']}").json["merged_into"] == target["number"]

    # The customer's old link answers with the target, notes left out; files still download.
    customer_view = alice.get(f"/api/v1/tickets/{source['number']}")
    assert customer_view.status_code == 200
    assert (customer_view.json["number"], customer_view.json["status"]) == (target["number"], "open")
    bodies = [m["body"] for m in customer_view.json["messages"]]
    assert "Screenshot attached" in bodies and "check" not in bodies
    assert alice.get(sent["attachments"][0]["url"]).status_code == 200
    assert support.get(sent["attachments"][0]["url"]).status_code == 200
    listed = {t["number"]: t for t in alice.get("/api/v1/tickets").json["items"]}
    assert (listed[source["number"]]["status"], listed[source["number"]]["merged_into"]) == ("closed", target["number"])

    # Replying to the old ticket lands on the target.
    reply = alice.post(f"/api/v1/tickets/{source['number']}/messages", json={"body": "Any news?"})
    assert reply.status_code == 201
    assert Message.get_by_id(reply.json["message"]["id"]).ticket.number == target["number"]

    # An agent's reply on the merged ticket is refused, pointing at the target.
    refused = support.post(f"/api/v1/agent/tickets/{source['number']}/messages", json={"body": "hi"})
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "ticket_closed"
    assert refused.json["error"]["details"]["merged_into"] == target["number"]

    # A new ticket about the merged one's transaction points at the target.
    duplicate = alice.post("/api/v1/tickets", json={"subject": "Again", "category": "wallet", "description": "x",
                                                    "txid": TXID})
    assert duplicate.status_code == 409
    assert duplicate.json["error"]["details"]["ticket_number"] == target["number"]


def test_merge_conflicts_and_bad_requests_change_nothing(client, alice, bob, support):
    first, second, third = (new_ticket(alice, subject=f"Ticket {i}")["number"] for i in range(3))
    bobs = new_ticket(bob)["number"]
    before = len(events())

    different = merge(support, first, bobs)
    assert different.status_code == 409 and different.json["error"]["code"] == "different_requester"
    itself = merge(support, first, first)
    assert itself.status_code == 400 and "into" in itself.json["error"]["details"]["fields"]
    assert merge(support, first, "99999999").status_code == 404
    assert merge(support, "99999999", first).status_code == 404
    for body in ({}, {"into": ""}, {"into": 12345678}, {"into": "abc"}, {"into": second, "extra": 1}):
        response = support.post(f"/api/v1/agent/tickets/{first}/merge", json=body)
        assert response.status_code == 400, body
        assert response.json["error"]["code"] == "validation_error"
    assert len(events()) == before

    assert merge(support, first, second).status_code == 200
    again = merge(support, first, third)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_merged"
    into_merged = merge(support, third, first)
    assert into_merged.status_code == 409 and into_merged.json["error"]["code"] == "already_merged"
    assert into_merged.json["error"]["details"]["merged_into"] == second
    back = merge(support, second, first)  # would make a cycle
    assert back.status_code == 409 and back.json["error"]["code"] == "already_merged"

    # A closed target cannot carry the conversation on.
    support.post(f"/api/v1/agent/tickets/{third}/resolve")
    Ticket.update(status="closed").where(Ticket.number == third).execute()
    closed = merge(support, second, third)
    assert closed.status_code == 409 and closed.json["error"]["code"] == "ticket_closed"
    assert Ticket.get(Ticket.number == second).merged_into is None

    # Escalated to the senior tier: not this agent's to merge into, nor from.
    escalated = new_ticket(alice, subject="Escalated")["number"]
    alice.post(f"/api/v1/tickets/{escalated}/escalation", json={"reason": "please hurry"})
    assert merge(support, second, escalated).status_code == 404
    assert merge(support, escalated, second).status_code == 404

    guest = As(client, {"kind": "guest", "email": "alice@example.com", "name": "g", "scope": {"ticket": second}})
    for caller in (alice, guest):
        assert merge(caller, second, escalated).status_code == 403


def test_a_guest_session_for_the_merged_ticket_reads_and_answers_the_target(client, support):
    anonymous = As(client, {"kind": "anonymous"})

    def guest_ticket(email, subject):
        created = anonymous.post("/api/v1/guest/tickets", json={
            "email": email, "subject": subject, "category": "other", "description": f"About {subject}"})
        assert created.status_code == 201
        return created.json["number"]

    target, source = guest_ticket("Guest@Example.com", "First"), guest_ticket("guest@example.com", "Second")
    other_guests = guest_ticket("someone@example.com", "Other")
    assert merge(support, source, other_guests).status_code == 409
    assert merge(support, source, target).status_code == 200

    guest = As(client, {"kind": "guest", "email": "guest@example.com", "name": "g", "scope": {"ticket": source}})
    view = guest.get(f"/api/v1/tickets/{source}")
    assert view.status_code == 200 and view.json["number"] == target
    assert [m["body"] for m in view.json["messages"] if m.get("from_ticket") == source] == [
        "About Second", f"This ticket was merged into ticket {target} (First); the conversation continues there."]
    assert guest.get(f"/api/v1/tickets/{target}").status_code == 200  # the target by its own number too
    reply = guest.post(f"/api/v1/tickets/{source}/messages", json={"body": "thanks"})
    assert reply.status_code == 201
    assert Message.get_by_id(reply.json["message"]["id"]).ticket.number == target
    assert guest.get(f"/api/v1/tickets/{other_guests}").status_code == 404

    # A session for the target does not open an unrelated ticket; a stranger's opens neither.
    stranger = As(client, {"kind": "guest", "email": "someone@example.com", "name": "s",
                           "scope": {"ticket": other_guests}})
    assert stranger.get(f"/api/v1/tickets/{source}").status_code == 404
    assert stranger.get(f"/api/v1/tickets/{target}").status_code == 404
    impostor = As(client, {"kind": "guest", "email": "someone@example.com", "name": "s", "scope": {"ticket": source}})
    assert impostor.get(f"/api/v1/tickets/{source}").status_code == 404


def test_an_agent_who_sees_only_the_target_opens_the_merged_tickets_files(client, alice, support):
    senior = As(client, agent(901, tier="senior"))
    target = new_ticket(alice, subject="Target")["number"]
    source = new_ticket(alice, subject="Source")["number"]
    sent = alice.post(f"/api/v1/tickets/{source}/messages", data={
        "body": "file", "files": [file_tuple(png_bytes(), "p.png")]}, content_type="multipart/form-data").json
    url = sent["message"]["attachments"][0]["url"]
    alice.post(f"/api/v1/tickets/{source}/escalation", json={"reason": "senior please"})
    assert support.get(url).status_code == 404  # escalated: the senior tier's now
    department = As(client, agent(905, department="compliance"))
    assert merge(senior, source, target).status_code == 200
    assert support.get(url).status_code == 200  # it shows in the target's history, which support sees
    assert department.get(url).status_code == 200
    assert As(client, {"kind": "user", "user_id": 2, "role": "customer", "email": "bob@example.com",
                       "name": "bob", "locale": "en"}).get(url).status_code == 404


def test_a_merged_tickets_message_is_redacted_from_the_targets_history(alice, support):
    target = new_ticket(alice, subject="Target")["number"]
    source = new_ticket(alice, subject="Source", description="card 4111 1111 1111 1111")
    first = source["messages"][0]["id"]
    assert merge(support, source["number"], target).status_code == 200
    redacted = support.post(f"/api/v1/agent/tickets/{target}/messages/{first}/redaction", json={"reason": "card"})
    assert redacted.status_code == 200, redacted.json
    assert Ticket.get(Ticket.number == source["number"]).description == "[redacted]"
    view = alice.get(f"/api/v1/tickets/{target}").json
    assert "4111" not in str(view)
    assert view["messages"][-1]["body"] == "Agent 900 redacted a message."


def test_two_tickets_merged_into_each_other_at_once_make_no_cycle(app, alice):
    first, second = new_ticket(alice, subject="First")["number"], new_ticket(alice, subject="Second")["number"]
    barrier = threading.Barrier(2)
    answers: dict[str, int] = {}

    def merge_as(agent_id, number, into):
        who = As(app.test_client(), agent(agent_id))
        barrier.wait()
        answers[number] = merge(who, number, into).status_code

    threads = [threading.Thread(target=merge_as, args=args) for args in ((900, first, second), (902, second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(answers.values()) == [200, 409]
    merged = {t.number: t.merged_into for t in Ticket.select().where(Ticket.number.in_([first, second]))}
    assert list(merged.values()).count(None) == 1
    source = next(number for number, into in merged.items() if into)
    assert merged[source] == (second if source == first else first)
