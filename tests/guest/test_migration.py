"""Migration 0002 upgrades a tickets database that already holds tickets, on both databases."""
import shutil

from services.tickets.app import MIGRATIONS
from services.tickets.core.models import Ticket
from services.tickets.guest.models import GuestCode, GuestVerification
from services.tickets.models import db
from shared import clock
from shared.db import make_database, run_migrations
from tests.conftest import close_database


def test_0002_adds_the_guest_tables_and_keeps_existing_tickets(database_url, tmp_path):
    only_first = tmp_path / "migrations"
    only_first.mkdir()
    shutil.copy(MIGRATIONS / "0001_initial.py", only_first)
    database = make_database(database_url, "tickets")
    db.initialize(database)
    try:
        assert run_migrations(database, only_first) == ["0001_initial"]
        now = clock.now()
        with database.connection_context():
            ticket = Ticket.create(number="12345678", requester_kind="guest", requester_email="g@example.com",
                                   subject="Old ticket", category="other", description="before 0002",
                                   created_at=now, updated_at=now)
            assert "guest_code" not in database.get_tables()
        applied = run_migrations(database, MIGRATIONS)
        assert applied[0] == "0002_guest_verification"
        with database.connection_context():
            assert {"guest_code", "guest_verification"} <= set(database.get_tables())
            assert Ticket.get_by_id(ticket.id).description == "before 0002"
            GuestVerification.create(ticket=ticket, wrong_tries=0)
            GuestCode.create(ticket=ticket, code_hash="0" * 64, created_at=now, expires_at=now)
            assert GuestCode.select().where(GuestCode.ticket == ticket).count() == 1
        assert run_migrations(database, MIGRATIONS) == []
    finally:
        close_database(db)
