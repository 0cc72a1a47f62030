"""Fixtures for the help center and live chat on the tickets service, on SQLite and PostgreSQL."""
import pytest

from services.tickets.app import create_app
from services.tickets.models import db
from tests.conftest import close_database
from tests.support import PG_URL, SECRET, CallerClient, agent, customer, drop_pg_schema, unique

TEST_CONFIG = {"INTERNAL_TOKEN_SECRET": SECRET, "TESTING": True, "CHAT_STREAM_SECONDS": 2,
               "CHAT_STREAM_POLL_SECONDS": 0.05, "CHAT_STREAM_HEARTBEAT_SECONDS": 0.5}


def make_app(database_url: str, attachments) -> object:
    return create_app({"DATABASE_URL": database_url, "ATTACHMENT_DIR": str(attachments), **TEST_CONFIG})


@pytest.fixture
def app(database_url, tmp_path):
    """A fresh tickets service with the shipped help articles, for tests that change things."""
    app = make_app(database_url, tmp_path / "attachments")
    yield app
    close_database(db)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def shared_app(request, tmp_path_factory):
    """One service per module and database, for tests that only read the shipped articles."""
    folder = tmp_path_factory.mktemp("help")
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{folder}/service.db"
    else:
        schema = unique("help")
        url = f"{PG_URL}?schema={schema}"
    app = make_app(url, folder / "attachments")
    yield app
    close_database(db)
    if schema:
        drop_pg_schema(schema)


class As(CallerClient):
    """Requests to the tickets service on behalf of one caller."""

    service = "tickets"


def editor(user_id: int = 950) -> dict:
    return dict(agent(user_id), roles=("editor",))


def guest(email: str, chat_id: str) -> dict:
    return {"kind": "guest", "email": email, "name": email.split("@")[0], "scope": {"chat": chat_id}}


ANONYMOUS = {"kind": "anonymous"}


@pytest.fixture
def people(app):
    client = app.test_client()

    class People:
        anonymous = As(client, ANONYMOUS)
        alice = As(client, customer(1, "alice@example.com"))
        bob = As(client, customer(2, "bob@example.com"))
        support = As(client, agent(900))
        writer = As(client, editor())

        @staticmethod
        def guest(email: str, chat_id: str) -> As:
            return As(client, guest(email, chat_id))

    return People


@pytest.fixture
def reader(shared_app):
    return As(shared_app.test_client(), ANONYMOUS)
