import pytest

from services.tickets.app import create_app
from services.tickets.models import db
from tests.conftest import close_database
from tests.support import SECRET, CallerClient, agent, customer


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app({"DATABASE_URL": database_url, "INTERNAL_TOKEN_SECRET": SECRET,
                      "ATTACHMENT_DIR": str(tmp_path / "attachments"), "TESTING": True})
    yield app
    close_database(db)


@pytest.fixture
def client(app):
    return app.test_client()


class As(CallerClient):
    """Requests to the tickets service on behalf of one caller."""

    service = "tickets"


@pytest.fixture
def alice(client):
    return As(client, customer(1, "alice@example.com"))


@pytest.fixture
def bob(client):
    return As(client, customer(2, "bob@example.com"))


@pytest.fixture
def support(client):
    return As(client, agent(900))


@pytest.fixture
def senior(client):
    return As(client, agent(901, tier="senior"))


def new_ticket(who, **fields):
    body = {"subject": "Deposit not credited", "category": "deposit_withdrawal",
            "description": "I sent 0.1 BTC two hours ago and it is not in my account."}
    body.update(fields)
    response = who.post("/api/v1/tickets", json=body)
    assert response.status_code == 201, response.json
    return response.json["ticket"]
