"""Wallet secrets never enter a ticket or a chat: every entry point refuses them with 400
`secret_detected` before anything is written, published or logged (SQLite and PostgreSQL)."""
import logging
from pathlib import Path

import pytest

from services.tickets.chat.models import Chat, ChatMessage
from services.tickets.core.models import Attachment, Escalation, Message, Ticket
from services.tickets.models import OutboxMessage
from tests.support import file_tuple, png_bytes
from tests.tickets.conftest import As, new_ticket

PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"
WIF = "KwdMAjGmerYanjeui5SHS7JkmpZvVipYvB2LJGU1ZxJwYvP98617"
HEX = "e9873d79c6d87dc0fb6a5778633389f4453213303da61f20bd67fc233aa33262"
GUEST_EMAIL = "guest@example.com"
# What must never be kept or shown anywhere: the phrase's rare words and the keys.
TRACES = ("sausage", WIF, HEX, "yellow")


class Everything:
    """How many rows each table holds, to show a refusal wrote nothing."""

    TABLES = (Ticket, Message, Attachment, Escalation, OutboxMessage, Chat, ChatMessage)

    def __init__(self):
        self.counts = {model.__name__: model.select().count() for model in self.TABLES}

    def __eq__(self, other):
        return self.counts == other.counts

    def __repr__(self):
        return repr(self.counts)


@pytest.fixture
def logs():
    """Every log record written during the test, at any level."""
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    root = logging.getLogger()
    handler, level = Keep(level=logging.DEBUG), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield records
    root.removeHandler(handler)
    root.setLevel(level)


def assert_refused(response, kinds, fields):
    assert response.status_code == 400, response.json
    error = response.json["error"]
    assert error["code"] == "secret_detected"
    assert error["details"] == {"kinds": kinds, "fields": fields}
    assert "support will never ask" in error["message"].lower() and "move your funds" in error["message"]
    assert not any(trace in response.get_data(as_text=True) for trace in TRACES)


def assert_nothing_kept(before, logs):
    assert Everything() == before
    for row in Message.select():
        assert not any(trace in row.body for trace in TRACES)
    for row in OutboxMessage.select():
        assert not any(trace in row.payload for trace in TRACES)
    for record in logs:
        line = repr(record.__dict__) + record.getMessage()
        assert not any(trace in line for trace in TRACES), line


@pytest.fixture
def guest_caller(client):
    def make(number):
        return As(client, {"kind": "guest", "email": GUEST_EMAIL, "name": "guest", "scope": {"ticket": number}})
    return make


@pytest.fixture
def anonymous(client):
    return As(client, {"kind": "anonymous"})


def test_a_new_ticket_with_a_phrase_or_key_is_refused_and_nothing_is_kept(app, alice, logs):
    before = Everything()
    cases = [
        ({"description": f"My seed: {PHRASE}"}, ["recovery_phrase"], ["description"]),
        ({"subject": f"Restore {PHRASE}"}, ["recovery_phrase"], ["subject"]),
        ({"txid": WIF}, ["private_key"], ["txid"]),
        ({"order_id": WIF, "description": f"my private key is {HEX}"}, ["private_key"], ["description", "order_id"]),
    ]
    for fields, kinds, where in cases:
        body = {"subject": "Wallet empty", "category": "wallet", "description": "Help me", **fields}
        assert_refused(alice.post("/api/v1/tickets", json=body), kinds, where)
    multipart = alice.post("/api/v1/tickets", data={
        "subject": "Wallet empty", "category": "wallet", "description": "See the file",
        "files": [file_tuple(png_bytes(), "shot.png"), file_tuple(f"words: {PHRASE}\n".encode(), "backup.txt")]},
        content_type="multipart/form-data")
    assert_refused(multipart, ["recovery_phrase"], ["files"])
    assert_nothing_kept(before, logs)
    assert not [path for path in Path(app.config["ATTACHMENT_DIR"]).rglob("*") if path.is_file()]  # no file either


def test_a_transaction_id_is_not_a_secret(alice):
    ticket = new_ticket(alice, txid=HEX, description=f"My deposit with txid 0x{HEX} has not arrived.")
    assert ticket["txid"] == HEX
    assert HEX in ticket["messages"][0]["body"]


def test_replies_of_customers_guests_and_agents_are_refused(alice, support, anonymous, guest_caller, logs):
    number = new_ticket(alice)["number"]
    created = anonymous.post("/api/v1/guest/tickets", json={
        "email": GUEST_EMAIL, "subject": "Lost access", "category": "wallet", "description": "Please help"})
    assert created.status_code == 201, created.json
    guest = guest_caller(created.json["number"])
    assert guest.get(f"/api/v1/tickets/{created.json['number']}").status_code == 200
    before = Everything()
    detail_before = alice.get(f"/api/v1/tickets/{number}").json

    assert_refused(alice.post(f"/api/v1/tickets/{number}/messages", json={"body": PHRASE}),
                   ["recovery_phrase"], ["body"])
    assert_refused(alice.post(f"/api/v1/tickets/{number}/messages", data={
        "body": "here", "files": [file_tuple(f"Private key: {HEX}".encode(), "key.txt")]},
        content_type="multipart/form-data"), ["private_key"], ["files"])
    assert_refused(guest.post(f"/api/v1/tickets/{created.json['number']}/messages",
                              json={"body": "1. legal 2. winner 3. thank 4. year 5. wave 6. sausage 7. worth "
                                            "8. useful 9. legal 10. winner 11. thank 12. yellow"}),
                   ["recovery_phrase"], ["body"])
    for kind in ("reply", "info_request", "note"):
        assert_refused(support.post(f"/api/v1/agent/tickets/{number}/messages",
                                    json={"body": f"Customer's key {WIF}", "kind": kind}), ["private_key"], ["body"])
    assert_refused(alice.post(f"/api/v1/tickets/{number}/escalation", json={"reason": PHRASE}),
                   ["recovery_phrase"], ["reason"])

    assert_nothing_kept(before, logs)
    assert alice.get(f"/api/v1/tickets/{number}").json == detail_before
    # The same people may still write, and a TXID is fine.
    assert alice.post(f"/api/v1/tickets/{number}/messages", json={"body": f"txid {HEX}"}).status_code == 201


def test_a_guest_ticket_with_a_secret_is_refused(anonymous, logs):
    before = Everything()
    response = anonymous.post("/api/v1/guest/tickets", json={
        "email": GUEST_EMAIL, "subject": "Restore wallet", "category": "wallet",
        "description": f"Mi clave privada es {HEX}"})
    assert_refused(response, ["private_key"], ["description"])
    assert_nothing_kept(before, logs)


def test_chat_messages_with_a_secret_are_refused_before_and_after_the_handover(alice, logs):
    before = Everything()
    assert_refused(alice.post("/api/v1/chats", json={"message": f"my words {PHRASE}"}), ["recovery_phrase"], ["message"])
    assert_nothing_kept(before, logs)

    started = alice.post("/api/v1/chats", json={"message": "How do I join a video call with support?"})
    assert started.status_code == 201, started.json
    chat_id = started.json["chat"]["id"]
    before = Everything()
    assert_refused(alice.post(f"/api/v1/chats/{chat_id}/messages", json={"body": WIF}), ["private_key"], ["body"])
    assert_nothing_kept(before, logs)

    handed = alice.post(f"/api/v1/chats/{chat_id}/handover")
    assert handed.status_code == 200 and handed.json["chat"]["status"] == "waiting_agent"
    before = Everything()
    chat_before = alice.get(f"/api/v1/chats/{chat_id}").json
    assert_refused(alice.post(f"/api/v1/chats/{chat_id}/messages", json={"body": PHRASE}), ["recovery_phrase"], ["body"])
    assert_nothing_kept(before, logs)
    assert alice.get(f"/api/v1/chats/{chat_id}").json == chat_before
