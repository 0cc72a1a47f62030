"""Fixtures for guest access: the tickets service on both databases, guest links,
and the codes as the notifications service would receive them (from the outbox)."""
from __future__ import annotations

import json

import pytest

from services.tickets.app import create_app
from services.tickets.models import OutboxMessage, db
from shared.guest_links import sign_ticket_link
from tests.conftest import close_database
from tests.support import SECRET, agent, serving, token

LINK_SECRET = "test-guest-link-secret-" + "y" * 16
GUEST_EMAIL = "guest@example.com"


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app({"DATABASE_URL": database_url, "INTERNAL_TOKEN_SECRET": SECRET,
                      "GUEST_LINK_SECRET": LINK_SECRET, "GUEST_CODE_PEPPER": "test-pepper",
                      "ATTACHMENT_DIR": str(tmp_path / "attachments"), "TESTING": True})
    yield app
    close_database(db)


@pytest.fixture
def client(app):
    return app.test_client()


class Caller:
    """Requests to the tickets service on behalf of one caller (as the gateway signs them)."""

    def __init__(self, client, **caller):
        self.client = client
        self.caller = caller

    def get(self, path, **kw):
        return self.client.get(path, headers=token("tickets", **self.caller), **kw)

    def post(self, path, **kw):
        return self.client.post(path, headers={**token("tickets", **self.caller), **kw.pop("headers", {})}, **kw)


@pytest.fixture
def anonymous(client):
    return Caller(client, kind="anonymous")


@pytest.fixture
def support(client):
    return Caller(client, **agent(900))


def as_guest(client, number: str, email: str = GUEST_EMAIL) -> Caller:
    """The caller the gateway names once a guest token for `number` is presented."""
    return Caller(client, kind="guest", email=email, name=email.split("@")[0], scope={"ticket": number})


def open_guest_ticket(anonymous, email: str = GUEST_EMAIL, **fields) -> str:
    body = {"email": email, "subject": "Withdrawal stuck", "category": "wallet",
            "description": "My withdrawal has been pending for a day."}
    body.update(fields)
    response = anonymous.post("/api/v1/guest/tickets", json=body)
    assert response.status_code == 201, response.json
    return response.json["number"]


def link_token(number: str, email: str = GUEST_EMAIL, secret: str = LINK_SECRET) -> str:
    return sign_ticket_link(number, email, secret)


def outbox_events(event_type: str) -> list[dict]:
    rows = OutboxMessage.select().where(OutboxMessage.event_type == event_type).order_by(OutboxMessage.id)
    return [json.loads(row.payload)["data"] for row in rows]


def last_code(number: str) -> str:
    """The code the notifications service would email for this ticket."""
    sent = [e for e in outbox_events("guest.verification_requested.v1") if e["ticket_number"] == number]
    assert sent, "no code was sent"
    return sent[-1]["code"]


def request_code(anonymous, number: str, t: str):
    return anonymous.post(f"/api/v1/guest/tickets/{number}/verification-code", json={"t": t})


def open_session(anonymous, number: str, t: str, code: str):
    return anonymous.post(f"/api/v1/guest/tickets/{number}/session", json={"t": t, "code": code})


class Stack:
    """The gateway app (test client) in front of a tickets service listening on a real port."""

    def __init__(self, gateway, tickets_url: str):
        self.gateway = gateway
        self.tickets_url = tickets_url

    def client(self):
        return self.gateway.test_client()


@pytest.fixture
def tickets_url(app):
    """This test's tickets service listening on a real port (threaded, like `make run`)."""
    with serving(app) as url:
        yield url


@pytest.fixture
def make_stack(tickets_url, tmp_path):
    """Build a gateway (with optional settings) in front of this test's tickets service."""
    from services.gateway.app import create_app as create_gateway
    from services.gateway.models import db as gateway_db

    built = []

    def build(**settings) -> Stack:
        gateway = create_gateway({
            "DATABASE_URL": f"sqlite:///{tmp_path}/gateway-{len(built)}.db", "INTERNAL_TOKEN_SECRET": SECRET,
            "GUEST_LINK_SECRET": LINK_SECRET, "GUEST_TOKEN_SECRET": "test-guest-token-secret-" + "z" * 16,
            "SERVICE_URLS": {"tickets": tickets_url}, "RATE_LIMIT_GUEST_TICKETS": "1000/minute",
            "RATE_LIMIT_GUEST_TICKETS_PER_EMAIL": "1000/minute", "TESTING": True, **settings})
        built.append(gateway)
        return Stack(gateway, tickets_url)

    yield build
    close_database(gateway_db)


@pytest.fixture(scope="session")
def mailbox():
    from tests.guest.mailbox import Mailbox

    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture(scope="session")
def mail_product(tmp_path_factory, mailbox):
    """The whole product (`make run`'s way) sending its mail to this test's SMTP server."""
    from tests.e2e.harness import start_product

    running = start_product(tmp_path_factory.mktemp("guest-product"), {
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mailbox.port),
        "RATE_LIMIT_GUEST_TICKETS": "1000/hour", "RATE_LIMIT_GUEST_TICKETS_PER_EMAIL": "1000/hour"})
    yield running
    running.stop()
