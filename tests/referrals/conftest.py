import pytest
from kombu import Connection

from services.referrals.app import create_app
from services.referrals.handlers import handlers
from services.referrals.models import MysteryBox, ProcessedEvent, db
from services.referrals.program import ReferralProgram
from shared.bus import event_exchange
from shared.consumer import EventConsumer, QueueTopology
from tests.conftest import close_database
from tests.referrals.factories import CODE_SECRET
from tests.support import SECRET, CallerClient, customer

RESTRICTED = ["US", "KP"]


def service_config(database_url: str, **extra) -> dict:
    return {"DATABASE_URL": database_url, "INTERNAL_TOKEN_SECRET": SECRET, "TESTING": True,
            "REFERRAL_CODE_SECRET": CODE_SECRET, "REFERRAL_RESTRICTED_REGIONS": RESTRICTED,
            "REFERRAL_STATIC_PRICES": "BTC=65000,ETH=3200,DOT=6.5", "PUBLIC_URL": "https://exchange.example",
            **extra}


@pytest.fixture
def app(database_url):
    app = create_app(service_config(database_url))
    yield app
    close_database(db)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def program(app):
    return ReferralProgram.from_settings(app.config, app.extensions["outbox"])


@pytest.fixture
def deliver(program):
    """Hand envelopes to the service's real consumer logic (dedupe + handlers in one transaction)."""
    consumer = EventConsumer(Connection("memory://"), QueueTopology("referrals-test", event_exchange("t"), []),
                             handlers(program), db.obj, ProcessedEvent)

    def _deliver(*envelopes):
        for envelope in envelopes:
            consumer.handle(envelope)

    return _deliver


class As(CallerClient):
    """Requests to the referrals service on behalf of one customer."""

    service = "referrals"

    def __init__(self, client, user_id: int, **extra):
        super().__init__(client, customer(user_id, **extra))
        self.user_id = user_id


def boxes_of(user_id: int) -> list[tuple[str, str, int]]:
    """(milestone, role, invitee) of every box the user holds, sorted."""
    return sorted((b.milestone, b.role, b.invitee_id) for b in MysteryBox.select().where(MysteryBox.user_id == user_id))
