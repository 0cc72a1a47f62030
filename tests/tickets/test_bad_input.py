"""Bad input on every tickets endpoint: the contract's error, never a 5xx, nothing stored."""
import io

import pytest

from services.tickets.core.models import Attachment, Message, Ticket
from services.tickets.models import OutboxMessage
from tests.support import file_tuple, png_bytes
from tests.tickets.conftest import new_ticket

MIB = 1024 * 1024


def counts():
    return (Ticket.select().count(), Message.select().count(), Attachment.select().count(),
            OutboxMessage.select().count())


def assert_error(response, status, code=None):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    error = response.json["error"]
    assert set(error) == {"code", "message", "details"}
    if code:
        assert error["code"] == code
    return error


GOOD = {"subject": "Deposit missing", "category": "deposit_withdrawal", "description": "Where is it?"}


@pytest.mark.parametrize("body, field", [
    ({}, "subject"),
    ({**GOOD, "subject": None}, "subject"),
    ({**GOOD, "subject": 12}, "subject"),
    ({**GOOD, "subject": "x" * 201}, "subject"),
    ({**GOOD, "description": "x" * 10001}, "description"),
    ({**GOOD, "category": "lambo"}, "category"),
    ({**GOOD, "txid": "<script>"}, "txid"),
    ({**GOOD, "txid": "a" * 500}, "txid"),
    ({**GOOD, "order_id": ["A-1"]}, "order_id"),
    ({**GOOD, "occurred_at": "yesterday"}, "occurred_at"),
    ({**GOOD, "occurred_at": "2099-01-01T00:00:00Z"}, "occurred_at"),
    ({**GOOD, "is_admin": True}, "is_admin"),
])
def test_create_rejects_bad_fields(alice, body, field):
    before = counts()
    error = assert_error(alice.post("/api/v1/tickets", json=body), 400, "validation_error")
    assert field in error["details"]["fields"]
    assert counts() == before


@pytest.mark.parametrize("data, content_type, status", [
    ("not json", "application/json", 400),
    ("[1, 2]", "application/json", 400),
    ("subject=x", "text/plain", 415),
    (b"\x00\xff", "application/octet-stream", 415),
])
def test_create_rejects_non_json_bodies(alice, data, content_type, status):
    before = counts()
    assert_error(alice.post("/api/v1/tickets", data=data, content_type=content_type), status)
    assert counts() == before


@pytest.mark.parametrize("payload, name, status, code", [
    (b"<!doctype html><html><script>alert(1)</script></html>", "cat.png", 415, "unsupported_file_type"),
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64, "invoice.pdf", 415, "unsupported_file_type"),
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "photo.jpg", 415, "unsupported_file_type"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", "icon.txt", 415, "unsupported_file_type"),
    (b"", "empty.png", 400, "empty_file"),
])
def test_files_are_checked_by_content_not_name(alice, payload, name, status, code):
    before = counts()
    response = alice.post("/api/v1/tickets", data={**GOOD, "files": [file_tuple(payload, name)]},
                          content_type="multipart/form-data")
    assert_error(response, status, code)
    assert counts() == before


def test_plain_text_and_jpeg_are_accepted(alice):
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"
    response = alice.post("/api/v1/tickets", data={**GOOD, "files": [
        file_tuple("Order log: 12:00 UTC — échec\n".encode(), "log.txt"), file_tuple(jpeg, "photo.jpeg")]},
        content_type="multipart/form-data")
    assert response.status_code == 201
    types = [a["content_type"] for a in response.json["ticket"]["messages"][0]["attachments"]]
    assert types == ["text/plain", "image/jpeg"]


def test_a_20_mib_file_is_413_and_stores_nothing(alice):
    before = counts()
    big = png_bytes() + b"\x00" * (20 * MIB)
    response = alice.post("/api/v1/tickets", data={**GOOD, "files": [(io.BytesIO(big), "huge.png")]},
                          content_type="multipart/form-data")
    assert_error(response, 413, "file_too_large")
    assert counts() == before


def test_a_body_over_the_request_limit_is_413(app, alice):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = alice.post("/api/v1/tickets", data=b"x" * (limit + 10), content_type="application/json")
    assert_error(response, 413)


def test_six_files_are_refused(alice):
    before = counts()
    files = [file_tuple(png_bytes(), f"s{i}.png") for i in range(6)]
    assert_error(alice.post("/api/v1/tickets", data={**GOOD, "files": files}, content_type="multipart/form-data"),
                 400, "too_many_files")
    assert counts() == before


@pytest.mark.parametrize("query", ["status=pending", "status=open,nope", "limit=0", "limit=1000", "limit=abc",
                                   "cursor=%%%", "cursor=bm90IGEgY3Vyc29y"])
def test_list_rejects_bad_queries(alice, query):
    new_ticket(alice)
    assert_error(alice.get(f"/api/v1/tickets?{query}"), 400)


@pytest.mark.parametrize("body", [{"body": 5}, {"body": "x" * 10001}, {"text": "hi"}, {"body": ""}, {"body": "  "}])
def test_reply_rejects_bad_bodies(alice, body):
    number = new_ticket(alice)["number"]
    before = counts()
    assert_error(alice.post(f"/api/v1/tickets/{number}/messages", json=body), 400)
    assert counts() == before


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "x" * 2001}, {"reason": "ok reason", "department": "Bad Dept!"}])
def test_escalation_rejects_bad_bodies(alice, body):
    number = new_ticket(alice)["number"]
    assert_error(alice.post(f"/api/v1/tickets/{number}/escalation", json=body), 400)
    assert Ticket.get(Ticket.number == number).tier == "standard"


@pytest.mark.parametrize("path, body", [
    ("messages", {"body": "x", "kind": "shout"}),
    ("messages", {"body": 1}),
    ("assign", {"agent_id": "me"}),
    ("assign", {"agent_id": -3}),
    ("assign", {}),
])
def test_agent_endpoints_reject_bad_bodies(alice, support, path, body):
    number = new_ticket(alice)["number"]
    before = counts()
    assert_error(support.post(f"/api/v1/agent/tickets/{number}/{path}", json=body), 400)
    assert counts() == before


@pytest.mark.parametrize("query", ["tier=gold", "assignee=someone", "min_age_hours=-1", "department=UPPER",
                                   "escalated=maybe"])
def test_agent_queue_rejects_bad_filters(support, query):
    assert_error(support.get(f"/api/v1/agent/tickets?{query}"), 400)


def test_unknown_ids_are_404_everywhere(alice, support):
    for response in (alice.get("/api/v1/tickets/99999999"), alice.get("/api/v1/attachments/nope"),
                     alice.post("/api/v1/tickets/99999999/messages", json={"body": "x"}),
                     support.get("/api/v1/agent/tickets/99999999"),
                     support.post("/api/v1/agent/tickets/99999999/resolve")):
        assert_error(response, 404, "not_found")


def test_resolve_on_a_closed_ticket_is_409(alice, support):
    import datetime as dt

    from shared import clock

    number = new_ticket(alice)["number"]
    support.post(f"/api/v1/agent/tickets/{number}/resolve")
    clock.clock.advance(dt.timedelta(days=15))
    assert_error(support.post(f"/api/v1/agent/tickets/{number}/resolve"), 409, "ticket_closed")
    assert_error(support.post(f"/api/v1/agent/tickets/{number}/messages", json={"body": "late"}), 409, "ticket_closed")
