import pytest

from services.notifications.app import create_app
from services.notifications.models import db
from services.notifications.worker import create_worker
from shared.logs import configure_logging
from tests.conftest import close_database
from tests.notifications.support import Broker, SmtpServer
from tests.support import SECRET, CallerClient

PUBLIC_URL = "https://support.example"
GUEST_LINK_SECRET = "test-guest-link-secret-" + "y" * 16


def app_settings(database_url: str, **overrides) -> dict:
    settings = {"DATABASE_URL": database_url, "INTERNAL_TOKEN_SECRET": SECRET, "TESTING": True,
                "PUBLIC_URL": PUBLIC_URL, "GUEST_LINK_SECRET": GUEST_LINK_SECRET, "AMQP_URL": None,
                "MAIL_FROM": "no-reply@support.example", "STREAM_HEARTBEAT_SECONDS": 0.3,
                "PUSH_ALLOWED_HOSTS": [], "MAIL_CATCHER_DIR": None}
    settings.update(overrides)
    return settings


@pytest.fixture(scope="session", autouse=True)
def _service_logging():
    """The services' JSON logging, set up before any test's log capture starts: set up the first time
    inside a test (by create_app), it would replace that test's capture handler."""
    configure_logging()


@pytest.fixture
def app(database_url):
    app = create_app(app_settings(database_url))
    yield app
    close_database(db)


@pytest.fixture
def client(app):
    return app.test_client()


class As(CallerClient):
    """Requests to the notifications service on behalf of one caller."""

    service = "notifications"


def customer(user_id: int, email: str | None = None, locale: str = "en") -> dict:
    return {"kind": "user", "user_id": user_id, "role": "customer", "email": email or f"user{user_id}@example.com",
            "locale": locale}


@pytest.fixture
def alice(client):
    return As(client, customer(1, "alice@example.com"))


@pytest.fixture
def bob(client):
    return As(client, customer(2, "bob@example.com"))


@pytest.fixture
def broker():
    names = Broker()
    yield names
    names.cleanup()


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def start_worker(broker, smtp, tmp_path):
    """Start the service with its worker on RabbitMQ and the SMTP server (`start(database_url, **settings)`
    answers the app); every worker started is stopped after the test."""
    workers = []

    def start(database_url: str, **overrides):
        app = create_app(app_settings(database_url, **broker.settings(), **smtp.settings(),
                                      MAIL_DIR=str(tmp_path / "mail"), BACKOFF_BASE=0.05, **overrides))
        workers.append(create_worker(dict(app.config)).start())
        return app

    yield start
    for worker in workers:
        worker.stop(timeout=10)
    close_database(db)


@pytest.fixture
def releasing_worker(start_worker, database_url):
    """The service with its worker, releasing held notices within 0.1 s."""
    return start_worker(database_url, RELEASE_SECONDS=0.1)
