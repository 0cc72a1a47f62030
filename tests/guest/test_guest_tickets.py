"""Opening a ticket as a guest, on the tickets service itself (SQLite and PostgreSQL)."""
from services.tickets.core.models import Message, Ticket
from tests.guest.conftest import GUEST_EMAIL, open_guest_ticket, outbox_events
from tests.support import file_tuple, png_bytes


def test_guest_ticket_answers_number_and_status_and_announces_the_guest(anonymous):
    number = open_guest_ticket(anonymous, email="Guest@Example.com", locale="es", txid="0xfeedbeef12345678")
    ticket = Ticket.get(Ticket.number == number)
    assert (ticket.requester_kind, ticket.requester_email, ticket.locale) == ("guest", GUEST_EMAIL, "es")
    assert ticket.requester_user_id is None
    first = Message.get(Message.ticket == ticket)
    assert (first.author_role, first.body) == ("guest", "My withdrawal has been pending for a day.")
    [created] = outbox_events("ticket.created.v1")
    assert created["number"] == number
    assert created["requester"] == {"kind": "guest", "user_id": None, "email": GUEST_EMAIL, "locale": "es"}


def test_locale_comes_from_the_browser_when_the_form_has_none(anonymous):
    response = anonymous.post("/api/v1/guest/tickets", json={
        "email": GUEST_EMAIL, "subject": "Card lost", "category": "account_security", "description": "Help"},
        headers={"Accept-Language": "zh-TW,zh;q=0.9,en;q=0.5"})
    assert response.status_code == 201
    number = response.json["number"]
    assert Ticket.get(Ticket.number == number).locale == "zh-Hant"
    assert set(response.json) == {"number", "status"} and response.json["status"] == "open"


def test_multipart_with_a_screenshot(anonymous):
    response = anonymous.post("/api/v1/guest/tickets", data={
        "email": GUEST_EMAIL, "subject": "Deposit missing", "category": "deposit_withdrawal",
        "description": "Screenshot attached", "files": [file_tuple(png_bytes(), "deposit.png")]},
        content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    ticket = Ticket.get(Ticket.number == response.json["number"])
    [attachment] = list(ticket.attachments)
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "deposit.png", "image/png", len(png_bytes()))


def test_same_validation_as_a_customer_and_nothing_stored(anonymous):
    cases = [
        ({"subject": "Hi", "category": "wallet", "description": "x"}, "email"),
        ({"email": "not-an-email", "subject": "Fine subject", "category": "wallet", "description": "x"}, "email"),
        ({"email": GUEST_EMAIL, "subject": "Fine subject", "category": "lottery", "description": "x"}, "category"),
        ({"email": GUEST_EMAIL, "subject": "Fine subject", "category": "wallet", "description": "x",
          "txid": "no spaces allowed"}, "txid"),
        ({"email": GUEST_EMAIL, "subject": "Fine subject", "category": "wallet", "description": "x",
          "is_admin": True}, "is_admin"),
    ]
    for body, field in cases:
        response = anonymous.post("/api/v1/guest/tickets", json=body)
        assert response.status_code == 400, body
        assert response.json["error"]["code"] == "validation_error"
        assert field in response.json["error"]["details"]["fields"]
    refused = anonymous.post("/api/v1/guest/tickets", data={
        "email": GUEST_EMAIL, "subject": "Fine subject", "category": "wallet", "description": "x",
        "files": [file_tuple(b"MZ\x90\x00 not a picture", "tool.exe")]}, content_type="multipart/form-data")
    assert refused.status_code == 415
    assert anonymous.post("/api/v1/guest/tickets", data="email=x", content_type="text/plain").status_code == 415
    assert Ticket.select().count() == 0 and outbox_events("ticket.created.v1") == []


def test_duplicate_rule_per_guest_email(anonymous):
    first = open_guest_ticket(anonymous, order_id="ORD-77")
    again = anonymous.post("/api/v1/guest/tickets", json={
        "email": GUEST_EMAIL.upper(), "subject": "Same order again", "category": "wallet",
        "description": "Still waiting", "order_id": "ORD-77"})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "duplicate_ticket"
    assert again.json["error"]["details"]["ticket_number"] == first
    # Another guest's open ticket about the same order is none of this guest's business.
    other = open_guest_ticket(anonymous, email="someone.else@example.com", order_id="ORD-77")
    assert other != first
    assert Ticket.select().count() == 2
