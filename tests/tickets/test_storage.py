"""The tickets database: migrations upgrade data in place, and the customer's list is indexed."""
from pathlib import Path

from playhouse.migrations import Runner

from services.tickets.app import MIGRATIONS
from services.tickets.core.models import Message, Ticket
from services.tickets.models import db
from shared.db import is_postgres, make_database, run_migrations
from tests.conftest import close_database


def test_migrations_upgrade_a_database_that_holds_data(database_url):
    database = make_database(database_url, "tickets")
    from shared.db import ensure_schema

    ensure_schema(database)
    db.initialize(database)
    try:
        with database.connection_context():
            runner = Runner(database, directory=str(MIGRATIONS), schema=getattr(database, "_service_schema", None))
            runner.up("0001_initial")
            database.execute_sql(
                "INSERT INTO ticket (number, requester_kind, requester_user_id, requester_email, locale, channel, "
                "subject, category, description, status, tier, created_at, updated_at) VALUES "
                "('11112222', 'user', 7, 'old@example.com', 'en', 'web', 'Old ticket', 'other', 'from before', "
                "'open', 'standard', '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
            database.execute_sql(
                "INSERT INTO message (ticket_id, author_role, author_id, author_name, kind, body, created_at) "
                "SELECT id, 'customer', 7, 'old', 'reply', 'from before', '2026-01-01 00:00:00' FROM ticket")
        applied = run_migrations(database, Path(MIGRATIONS))
        assert applied == sorted(p.stem for p in Path(MIGRATIONS).glob("[0-9]*.py"))[1:]
        assert run_migrations(database, Path(MIGRATIONS)) == []
        with database.connection_context():
            old = Ticket.get(Ticket.number == "11112222")
            assert (old.subject, old.requester_user_id, old.status) == ("Old ticket", 7, "open")
            message = Message.get(Message.ticket == old)
            assert (message.body, message.redacted_at, message.redaction_reason) == ("from before", None, None)
    finally:
        close_database(db)


def test_the_customers_list_reads_an_index_in_order(app, alice):
    """Keyset pages on (requester, updated_at, id): no sort, no scan, whatever the number of tickets."""
    database = db.obj
    query = (Ticket.select().where((Ticket.requester_kind == "user") & (Ticket.requester_user_id == 1))
             .order_by(Ticket.updated_at.desc(), Ticket.id.desc()).limit(21))
    sql, params = query.sql()
    with database.connection_context():
        if is_postgres(database):
            database.execute_sql("SET enable_seqscan = off")
            plan = " ".join(row[0] for row in database.execute_sql("EXPLAIN " + sql, params).fetchall())
            assert "ticket_requester_user_id_updated_at_id" in plan
            assert "Sort" not in plan
        else:
            plan = " ".join(str(row[-1]) for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
            assert "ticket_requester_user_id_updated_at_id" in plan
            assert "TEMP B-TREE" not in plan
