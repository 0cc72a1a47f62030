"""The migrations runner: the shared tables first, made from the shared models, in the databases that use them."""
from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import peewee

from shared.consumer import make_processed_event_model
from shared.db import make_database, run_migrations, shared_models_of
from shared.outbox import make_outbox_model
from tests.conftest import close_database

TICKETS_MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "tickets" / "migrations"


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


def _migrate_when_all_are_ready(path: str, barrier, answers) -> None:
    from services.tickets.models import db, init_database

    barrier.wait()
    try:
        init_database(f"sqlite:///{path}", True)
        answers.put("ok")
    except Exception as error:  # noqa: BLE001 - the answer the test reads
        answers.put(repr(error))
    finally:
        if not db.obj.is_closed():
            db.obj.close()


def test_processes_starting_together_on_a_new_sqlite_file_all_migrate_it(tmp_path):
    """A service's gunicorn workers and its event worker start at once on a new SQLite file: each connects
    and migrates, none meets "database is locked" (a new file's switch to WAL does not wait for the others)."""
    context = multiprocessing.get_context("fork")
    for round_number in range(6):
        path = tmp_path / f"round-{round_number}.db"
        barrier, answers = context.Barrier(4), context.Queue()
        processes = [context.Process(target=_migrate_when_all_are_ready, args=(str(path), barrier, answers))
                     for _ in range(4)]
        for process in processes:
            process.start()
        for process in processes:
            process.join(60)
        assert [answers.get(timeout=10) for _ in processes] == ["ok"] * 4, f"round {round_number}"
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            applied = {name for name, in connection.execute("SELECT name FROM schema_migration")}
        assert applied == {migration.stem for migration in TICKETS_MIGRATIONS.glob("0*.py")}
