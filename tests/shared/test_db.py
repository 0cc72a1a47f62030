"""The migrations runner: the shared tables first, made from the shared models, in the databases that use them."""
from __future__ import annotations

import peewee

from shared.consumer import make_processed_event_model
from shared.db import make_database, run_migrations, shared_models_of
from shared.outbox import make_outbox_model
from tests.conftest import close_database


def test_the_shared_tables_are_made_where_their_models_are_and_nowhere_else(database_url, tmp_path):
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_initial.py").write_text(
        "from peewee import *\n\n\ndef up(migrator, db):\n    db.execute_sql('CREATE TABLE thing (id INTEGER)')\n")
    proxy = peewee.DatabaseProxy()
    outbox = make_outbox_model(proxy)
    database = make_database(database_url, "dbtest")
    proxy.initialize(database)
    try:
        assert shared_models_of(database) == [outbox]
        assert run_migrations(database, migrations) == ["0001_initial"]
        with database.connection_context():
            assert {"outbox", "thing"} <= set(database.get_tables())
            assert "processed_event" not in database.get_tables()
            outbox.create(event_id="e1", event_type="user.registered.v1", payload="{}")

        processed = make_processed_event_model(proxy)  # a service that starts consuming later
        assert run_migrations(database, migrations) == []
        with database.connection_context():
            assert "processed_event" in database.get_tables()
            assert outbox.select().count() == 1  # an existing shared table is left as it is
            processed.create(event_id="e1", consumer="c", event_type="user.registered.v1")
    finally:
        close_database(proxy)
