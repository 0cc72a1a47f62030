"""The ticket loop on the tickets service itself, on SQLite and PostgreSQL."""
import datetime as dt

from services.tickets.core.models import Message, Ticket
from services.tickets.models import OutboxMessage
from shared import clock
from tests.support import file_tuple, pdf_bytes, png_bytes
from tests.tickets.conftest import new_ticket


def event_types():
    return [row.event_type for row in OutboxMessage.select().order_by(OutboxMessage.id)]


def test_create_json_gives_number_first_message_and_event(alice):
    ticket = new_ticket(alice, txid="0xabc123def4567890", order_id="ORD-1",
                        occurred_at="2026-11-20T10:00:00Z")
    assert ticket["number"].isdigit() and len(ticket["number"]) == 8
    assert ticket["status"] == "open"
    assert ticket["txid"] == "0xabc123def4567890"
    assert ticket["occurred_at"] == "2026-11-20T10:00:00.000Z"
    assert [m["author"]["role"] for m in ticket["messages"]] == ["customer"]
    assert event_types() == ["ticket.created.v1"]


def test_a_number_already_taken_is_drawn_again(alice, monkeypatch):
    from services.tickets.core import workflow

    taken = new_ticket(alice)["number"]
    draws = iter([taken, taken, "87654321"])
    monkeypatch.setattr(workflow, "new_ticket_number", lambda: next(draws))

    ticket = new_ticket(alice)

    assert ticket["number"] == "87654321"
    assert Ticket.select().where(Ticket.number == taken).count() == 1
    assert Message.select().join(Ticket).where(Ticket.number == "87654321").count() == 1


def test_create_multipart_with_screenshot_and_download(alice):
    response = alice.post("/api/v1/tickets", data={
        "subject": "Withdrawal stuck", "category": "wallet", "description": "See screenshot",
        "files": [file_tuple(png_bytes(), "shot.png"), file_tuple(pdf_bytes(), "statement.pdf")]},
        content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    attachments = response.json["ticket"]["messages"][0]["attachments"]
    assert [(a["filename"], a["content_type"]) for a in attachments] == [
        ("shot.png", "image/png"), ("statement.pdf", "application/pdf")]
    download = alice.get(attachments[0]["url"])
    assert download.status_code == 200
    assert download.data == png_bytes()
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download.headers["Content-Disposition"]


def test_list_shows_only_own_tickets_newest_activity_first_with_status_filter(alice, bob, support):
    first = new_ticket(alice, subject="First problem")
    clock.clock.advance(dt.timedelta(seconds=5))
    second = new_ticket(alice, subject="Second problem", category="wallet")
    new_ticket(bob)
    clock.clock.advance(dt.timedelta(seconds=5))
    alice.post(f"/api/v1/tickets/{first['number']}/messages", json={"body": "any news?"})
    listed = alice.get("/api/v1/tickets").json
    assert [t["number"] for t in listed["items"]] == [first["number"], second["number"]]
    assert listed["next_cursor"] is None
    support.post(f"/api/v1/agent/tickets/{second['number']}/resolve")
    resolved = alice.get("/api/v1/tickets?status=resolved").json["items"]
    assert [t["number"] for t in resolved] == [second["number"]]
    both = alice.get("/api/v1/tickets?status=open,resolved").json["items"]
    assert len(both) == 2


def test_cursor_pagination_walks_every_ticket_once(alice):
    numbers = set()
    for i in range(7):
        numbers.add(new_ticket(alice, subject=f"Problem {i}", category="other")["number"])
        clock.clock.advance(dt.timedelta(seconds=1))
    seen, cursor = [], None
    while True:
        page = alice.get("/api/v1/tickets?limit=3" + (f"&cursor={cursor}" if cursor else "")).json
        seen.extend(t["number"] for t in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 7 and set(seen) == numbers


def test_other_customers_ticket_and_attachment_are_404(alice, bob):
    response = alice.post("/api/v1/tickets", data={
        "subject": "Card", "category": "account_security", "description": "x",
        "files": [file_tuple(png_bytes(), "id.png")]}, content_type="multipart/form-data")
    ticket = response.json["ticket"]
    url = ticket["messages"][0]["attachments"][0]["url"]
    number = ticket["number"]
    assert bob.get(f"/api/v1/tickets/{number}").status_code == 404
    assert bob.get(url).status_code == 404
    assert bob.post(f"/api/v1/tickets/{number}/messages", json={"body": "hi"}).status_code == 404
    assert bob.post(f"/api/v1/tickets/{number}/escalation", json={"reason": "please"}).status_code == 404
    assert bob.get("/api/v1/tickets/00000000").json["error"]["code"] == "not_found"
    assert Message.select().count() == 1


def test_agent_conversation_info_request_reply_notes_and_resolution(alice, support):
    number = new_ticket(alice)["number"]
    assert support.post(f"/api/v1/agent/tickets/{number}/messages",
                        json={"body": "Internal: checking node", "kind": "note"}).status_code == 201
    assert support.post(f"/api/v1/agent/tickets/{number}/messages",
                        json={"body": "Please send the TXID", "kind": "info_request"}).status_code == 201
    assert alice.get(f"/api/v1/tickets/{number}").json["status"] == "awaiting_user"
    alice.post(f"/api/v1/tickets/{number}/messages", json={"body": "TXID is 0xabc"})
    assert alice.get(f"/api/v1/tickets/{number}").json["status"] == "open"
    support.post(f"/api/v1/agent/tickets/{number}/messages", json={"body": "Credited now."})
    resolved = support.post(f"/api/v1/agent/tickets/{number}/resolve")
    assert resolved.status_code == 200 and resolved.json["status"] == "resolved"
    customer_view = alice.get(f"/api/v1/tickets/{number}").json
    bodies = [m["body"] for m in customer_view["messages"]]
    assert "Internal: checking node" not in bodies
    assert all(m["kind"] != "note" for m in customer_view["messages"])
    assert {"reply", "info_request", "event"} <= {m["kind"] for m in customer_view["messages"]}
    agent_view = support.get(f"/api/v1/agent/tickets/{number}").json
    assert "Internal: checking node" in [m["body"] for m in agent_view["messages"]]
    assert event_types().count("ticket.status_changed.v1") == 3


def test_reply_reopens_resolved_within_14_days_and_closed_after(alice, support):
    number = new_ticket(alice)["number"]
    support.post(f"/api/v1/agent/tickets/{number}/resolve")
    clock.clock.advance(dt.timedelta(days=13))
    assert alice.post(f"/api/v1/tickets/{number}/messages", json={"body": "Still broken"}).status_code == 201
    assert alice.get(f"/api/v1/tickets/{number}").json["status"] == "open"
    support.post(f"/api/v1/agent/tickets/{number}/resolve")
    clock.clock.advance(dt.timedelta(days=14, seconds=1))
    refused = alice.post(f"/api/v1/tickets/{number}/messages", json={"body": "Hello?"})
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "ticket_closed"
    assert alice.get(f"/api/v1/tickets/{number}").json["status"] == "closed"


def test_auto_close_job_closes_quiet_resolved_tickets(app, alice, support):
    from services.tickets.core import workflow
    from services.tickets.models import db

    quiet = new_ticket(alice, category="wallet")["number"]
    active = new_ticket(alice, category="other")["number"]
    support.post(f"/api/v1/agent/tickets/{quiet}/resolve")
    clock.clock.advance(dt.timedelta(days=15))
    with db.connection_context(), db.atomic():
        closed = workflow.close_quiet_resolved(app.extensions["outbox"], 14)
    assert closed == 1
    assert Ticket.get(Ticket.number == quiet).status == "closed"
    assert Ticket.get(Ticket.number == active).status == "open"


def test_duplicate_txid_or_order_on_open_ticket_is_409_and_category_hint(alice, support):
    first = new_ticket(alice, txid="0xfeedfacecafebeef", order_id="A-77")
    again = alice.post("/api/v1/tickets", json={"subject": "Again", "category": "wallet",
                                                "description": "same tx", "txid": "0xfeedfacecafebeef"})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "duplicate_ticket"
    assert again.json["error"]["details"]["ticket_number"] == first["number"]
    by_order = alice.post("/api/v1/tickets", json={"subject": "Order", "category": "other",
                                                   "description": "same order", "order_id": "A-77"})
    assert by_order.status_code == 409
    hinted = alice.post("/api/v1/tickets", json={"subject": "Another deposit", "category": "deposit_withdrawal",
                                                 "description": "different"})
    assert hinted.status_code == 201
    assert [t["number"] for t in hinted.json["similar_open_tickets"]] == [first["number"]]
    support.post(f"/api/v1/agent/tickets/{first['number']}/resolve")
    reused = alice.post("/api/v1/tickets", json={"subject": "Same tx later", "category": "wallet",
                                                 "description": "x", "txid": "0xfeedfacecafebeef"})
    assert reused.status_code == 201


def test_escalation_moves_to_senior_tier_once_at_a_time(alice, support, senior):
    number = new_ticket(alice)["number"]
    support.post(f"/api/v1/agent/tickets/{number}/resolve")
    escalated = alice.post(f"/api/v1/tickets/{number}/escalation", json={"reason": "Not solved at all"})
    assert escalated.status_code == 201
    assert escalated.json["escalation"]["status"] == "pending"
    assert escalated.json["status"] == "open"
    again = alice.post(f"/api/v1/tickets/{number}/escalation", json={"reason": "Hurry"})
    assert again.status_code == 409 and again.json["error"]["code"] == "escalation_pending"
    # The standard tier no longer sees it; the senior tier does.
    assert support.get(f"/api/v1/agent/tickets/{number}").status_code == 404
    queue = senior.get("/api/v1/agent/tickets?tier=senior").json["items"]
    assert [t["number"] for t in queue] == [number]
    accepted = senior.post(f"/api/v1/agent/tickets/{number}/escalation/accept")
    assert accepted.status_code == 200 and accepted.json["escalation"]["status"] == "accepted"
    assert accepted.json["assignee_id"] == 901
    assert "ticket.escalation_accepted.v1" in event_types()
    history = [m["body"] for m in alice.get(f"/api/v1/tickets/{number}").json["messages"]]
    assert any("escalate" in body for body in history)


def test_escalation_to_department(client, alice):
    from tests.support import agent, token

    number = new_ticket(alice)["number"]
    response = alice.post(f"/api/v1/tickets/{number}/escalation",
                          json={"reason": "Compliance question", "department": "compliance"})
    assert response.status_code == 201
    compliance = token("tickets", **agent(950, department="compliance"))
    queue = client.get("/api/v1/agent/tickets?department=compliance", headers=compliance).json["items"]
    assert [t["number"] for t in queue] == [number]


def test_agent_queue_filters_assignment_and_age(alice, bob, support):
    old = new_ticket(alice, category="wallet")["number"]
    clock.clock.advance(dt.timedelta(hours=30))
    fresh = new_ticket(bob)["number"]
    assert support.post(f"/api/v1/agent/tickets/{fresh}/assign", json={"agent_id": 900}).status_code == 200
    mine = support.get("/api/v1/agent/tickets?assignee=me").json["items"]
    assert [t["number"] for t in mine] == [fresh]
    unassigned = support.get("/api/v1/agent/tickets?assignee=none").json["items"]
    assert [t["number"] for t in unassigned] == [old]
    aged = support.get("/api/v1/agent/tickets?min_age_hours=24").json["items"]
    assert [t["number"] for t in aged] == [old]
    assert aged[0]["age_seconds"] >= 30 * 3600
    everything = support.get("/api/v1/agent/tickets?status=open").json["items"]
    assert [t["number"] for t in everything] == [old, fresh]


def test_customers_cannot_use_agent_endpoints(alice):
    number = new_ticket(alice)["number"]
    assert alice.get("/api/v1/agent/tickets").status_code == 403
    assert alice.post(f"/api/v1/agent/tickets/{number}/resolve").status_code == 403


def test_a_senior_agent_without_department_sees_department_escalations(client, alice, senior):
    number = new_ticket(alice)["number"]
    alice.post(f"/api/v1/tickets/{number}/escalation", json={"reason": "Please check", "department": "payments"})
    assert senior.get(f"/api/v1/agent/tickets/{number}").status_code == 200
    assert number in [t["number"] for t in senior.get("/api/v1/agent/tickets?department=payments").json["items"]]
