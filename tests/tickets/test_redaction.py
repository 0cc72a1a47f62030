"""Agents redact a message: `[redacted]` for everyone, its files deleted, the history says
who (and, for agents only, why). On the tickets service itself, SQLite and PostgreSQL."""
from pathlib import Path

from services.tickets.core.models import Attachment, Message, Ticket
from tests.support import file_tuple, pdf_bytes, png_bytes
from tests.tickets.conftest import As, new_ticket

CARD = "4111 1111 1111 1111"
REASON = "Card number in the message"


def redact(who, number, message_id, reason=REASON):
    return who.post(f"/api/v1/agent/tickets/{number}/messages/{message_id}/redaction", json={"reason": reason})


def files_on_disk(app) -> set[str]:
    return {path.name for path in Path(app.config["ATTACHMENT_DIR"]).rglob("*") if path.is_file()}


def test_a_redacted_reply_reads_redacted_for_everyone_and_its_files_are_gone(app, alice, support):
    number = new_ticket(alice)["number"]
    sent = alice.post(f"/api/v1/tickets/{number}/messages", data={
        "body": f"My card is {CARD}", "files": [file_tuple(png_bytes(), "card.png"), file_tuple(pdf_bytes(), "s.pdf")]},
        content_type="multipart/form-data")
    assert sent.status_code == 201, sent.json
    message = sent.json["message"]
    urls = [a["url"] for a in message["attachments"]]
    stored = {row.storage_name for row in Attachment.select()}
    assert len(stored) == 2 and stored <= files_on_disk(app)
    assert all(alice.get(url).status_code == 200 for url in urls)

    response = redact(support, number, message["id"])
    assert response.status_code == 200, response.json
    redacted = response.json["message"]
    assert response.json["ticket_number"] == number
    assert (redacted["id"], redacted["body"], redacted["attachments"], redacted["redacted"]) == (
        message["id"], "[redacted]", [], True)
    assert redacted["redaction"]["reason"] == REASON
    assert redacted["redaction"]["by"] == {"id": 900, "name": "Agent 900"}

    customer_view = alice.get(f"/api/v1/tickets/{number}")
    seen = next(m for m in customer_view.json["messages"] if m["id"] == message["id"])
    assert (seen["body"], seen["attachments"], seen["redacted"]) == ("[redacted]", [], True)
    assert "redaction" not in seen
    text = customer_view.get_data(as_text=True)
    assert CARD not in text and REASON not in text
    assert customer_view.json["messages"][-1]["body"] == "Agent 900 redacted a message."
    assert customer_view.json["messages"][-1]["kind"] == "event"

    agent_view = support.get(f"/api/v1/agent/tickets/{number}").json
    assert [m["kind"] for m in agent_view["messages"][-2:]] == ["event", "note"]  # who, then why
    assert CARD not in str(agent_view)
    assert [m["body"] for m in agent_view["messages"] if m["kind"] == "note"] == [
        f"Agent 900 redacted message {message['id']}. Reason: {REASON}"]
    assert next(m for m in agent_view["messages"] if m["id"] == message["id"])["redaction"]["reason"] == REASON

    for url in urls:
        assert alice.get(url).status_code == 404
        assert support.get(url).status_code == 404
    assert not Attachment.select().where(Attachment.message == message["id"]).exists()
    assert not stored & files_on_disk(app)
    assert CARD not in Message.get_by_id(message["id"]).body


def test_redacting_the_first_message_redacts_the_description_and_twice_is_a_conflict(alice, support):
    ticket = new_ticket(alice, description=f"Charged twice on card {CARD}")
    first = ticket["messages"][0]["id"]
    assert redact(support, ticket["number"], first).status_code == 200
    assert Ticket.get(Ticket.number == ticket["number"]).description == "[redacted]"
    assert alice.get(f"/api/v1/tickets/{ticket['number']}").json["description"] == "[redacted]"

    again = redact(support, ticket["number"], first, "once more")
    assert again.status_code == 409
    assert again.json["error"]["code"] == "already_redacted"
    notes = Message.select().where((Message.kind == "note") & Message.body.contains("once more"))
    assert not notes.exists()


def test_a_guest_reads_redacted_too(client, support):
    anonymous = As(client, {"kind": "anonymous"})
    created = anonymous.post("/api/v1/guest/tickets", json={
        "email": "guest@example.com", "subject": "Card", "category": "other", "description": f"card {CARD}"})
    number = created.json["number"]
    guest = As(client, {"kind": "guest", "email": "guest@example.com", "name": "guest", "scope": {"ticket": number}})
    first = guest.get(f"/api/v1/tickets/{number}").json["messages"][0]
    assert redact(support, number, first["id"]).status_code == 200
    view = guest.get(f"/api/v1/tickets/{number}")
    assert view.json["messages"][0]["body"] == "[redacted]" and CARD not in view.get_data(as_text=True)


def test_a_chat_transcript_is_redacted_in_the_chat_too(alice, support):
    started = alice.post("/api/v1/chats", json={"message": f"my card {CARD} was charged twice"})
    chat_id = started.json["chat"]["id"]
    alice.post(f"/api/v1/chats/{chat_id}/messages", json={"body": "the purple elephant sings loudly"})
    handed = alice.post(f"/api/v1/chats/{chat_id}/handover").json["chat"]
    number = handed["ticket_number"]
    ticket = support.get(f"/api/v1/agent/tickets/{number}").json
    assert CARD in ticket["subject"]
    first = ticket["messages"][0]
    assert CARD in first["body"]

    assert redact(support, number, first["id"]).status_code == 200
    chat = alice.get(f"/api/v1/chats/{chat_id}")
    assert CARD not in chat.get_data(as_text=True)
    assert chat.json["messages"][0]["body"] == "[redacted]"
    assert chat.json["messages"][2]["body"] == "the purple elephant sings loudly"
    assert support.get(f"/api/v1/agent/chats/{chat_id}").json["messages"][0]["body"] == "[redacted]"
    assert Ticket.get(Ticket.number == number).subject == "Live chat: [redacted]"


def test_bad_redaction_requests_are_refused_without_a_change(alice, bob, support):
    ticket = new_ticket(alice)
    other = new_ticket(bob)
    number, first = ticket["number"], ticket["messages"][0]["id"]
    path = f"/api/v1/agent/tickets/{number}/messages/{first}/redaction"
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}, {"reason": 5},
                 {"reason": "ok", "extra": 1}):
        response = support.post(path, json=body)
        assert response.status_code == 400, body
        assert response.json["error"]["code"] == "validation_error"
    assert support.post(path, data="reason", content_type="text/plain").status_code in (400, 415)
    assert support.post(path, data="{not json", content_type="application/json").status_code == 400
    assert redact(support, number, other["messages"][0]["id"]).status_code == 404  # not this ticket's
    assert redact(support, number, 10**12).status_code == 404
    assert redact(support, number, 0).status_code == 404
    assert redact(support, "99999999", first).status_code == 404
    assert support.post(f"/api/v1/agent/tickets/{number}/messages/abc/redaction",
                        json={"reason": "x"}).status_code == 404
    assert redact(alice, number, first).status_code == 403
    assert redact(support, number, first, "x" * 500).status_code == 200
    assert Message.get_by_id(other["messages"][0]["id"]).body == "I sent 0.1 BTC two hours ago and it is not in my account."
