"""What a verified guest may do on the tickets service: that one ticket's detail,
messages and attachments, nothing else (SQLite and PostgreSQL)."""
from services.tickets.core.models import Ticket
from services.tickets.models import OutboxMessage
from tests.guest.conftest import GUEST_EMAIL, as_guest, open_guest_ticket
from tests.support import file_tuple, png_bytes


def test_guest_reads_history_and_replies_with_a_file_which_reaches_the_agents(client, anonymous, support):
    number = open_guest_ticket(anonymous)
    agent_view = support.get("/api/v1/agent/tickets?status=open").json["items"]
    assert number in [t["number"] for t in agent_view]
    asked = support.post(f"/api/v1/agent/tickets/{number}/messages",
                         json={"body": "Which network did you use?", "kind": "info_request"})
    assert asked.status_code == 201
    support.post(f"/api/v1/agent/tickets/{number}/messages", json={"body": "internal only", "kind": "note"})
    guest = as_guest(client, number)
    detail = guest.get(f"/api/v1/tickets/{number}")
    assert detail.status_code == 200
    assert detail.json["status"] == "awaiting_user"
    bodies = [m["body"] for m in detail.json["messages"]]
    assert "Which network did you use?" in bodies and "internal only" not in bodies

    reply = guest.post(f"/api/v1/tickets/{number}/messages", data={
        "body": "TRC20, see the screenshot", "files": [file_tuple(png_bytes(4, 4), "tx.png")]},
        content_type="multipart/form-data")
    assert reply.status_code == 201, reply.json
    message = reply.json["message"]
    assert message["author"] == {"role": "guest", "name": "guest"}
    download = guest.get(message["attachments"][0]["url"])
    assert download.status_code == 200 and download.data == png_bytes(4, 4)
    assert Ticket.get(Ticket.number == number).status == "open"  # back in the agents' queue
    queue = support.get("/api/v1/agent/tickets?status=open").json["items"]
    assert number in [t["number"] for t in queue]
    types = [row.event_type for row in OutboxMessage.select().order_by(OutboxMessage.id)]
    assert types.count("ticket.message_added.v1") == 3 and types[-1] == "ticket.status_changed.v1"


def test_guest_token_of_one_ticket_opens_no_other_and_no_list(client, anonymous):
    mine = open_guest_ticket(anonymous)
    same_email = open_guest_ticket(anonymous, subject="Second problem", category="other")
    theirs = open_guest_ticket(anonymous, email="other.guest@example.com")
    with_file = anonymous.post("/api/v1/guest/tickets", data={
        "email": "other.guest@example.com", "subject": "Screenshot", "category": "other", "description": "x",
        "files": [file_tuple(png_bytes(), "p.png")]}, content_type="multipart/form-data").json["number"]
    guest = as_guest(client, mine)
    for number in (same_email, theirs):
        assert guest.get(f"/api/v1/tickets/{number}").status_code == 404
        assert guest.post(f"/api/v1/tickets/{number}/messages", json={"body": "hi"}).status_code == 404
    attachment_id = Ticket.get(Ticket.number == with_file).attachments.get().id
    assert guest.get(f"/api/v1/attachments/{attachment_id}").status_code == 404
    listed = guest.get("/api/v1/tickets")
    assert listed.status_code == 403 and listed.json["error"]["code"] == "forbidden"
    assert guest.post(f"/api/v1/tickets/{mine}/escalation", json={"reason": "too slow"}).status_code == 404
    assert guest.post("/api/v1/tickets", json={"subject": "New one", "category": "other",
                                              "description": "x"}).status_code == 403
    # A scope naming the ticket is not enough: the guest's email must be the ticket's.
    impostor = as_guest(client, mine, email="impostor@example.com")
    assert impostor.get(f"/api/v1/tickets/{mine}").status_code == 404
    assert as_guest(client, mine, email=GUEST_EMAIL).get(f"/api/v1/tickets/{mine}").status_code == 200
