"""Fixtures for the whole suite: a fresh database per test (SQLite and PostgreSQL)."""
from __future__ import annotations

import os
import sys
import tempfile

import pytest

# Secrets the embedded default would write to DATA_DIR go to a folder of the test run.
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="support-tests-"))

from shared import clock  # noqa: E402
from shared import db as shared_db
from tests import pg_templates, sqlite_templates  # noqa: E402
from tests.support import PG_URL, unique  # noqa: E402

# A fresh database of a service starts as a copy of the first one this process migrated (SQLite), or
# as a schema an earlier test of this process was done with, emptied (PostgreSQL): the same migrations
# give the same schema. Upgrades of existing databases still migrate for real.
shared_db.run_migrations = pg_templates.migrate_from_templates(
    sqlite_templates.migrate_from_templates(shared_db.run_migrations))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path):
    """A fresh, empty database: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/service.db"
        return
    schema = unique("t")
    yield f"{PG_URL}?schema={schema}"
    pg_templates.recycle_or_drop(schema)


def pytest_sessionfinish(session):
    pg_templates.drop_all()
    harness = sys.modules.get("tests.e2e.harness")
    if harness is not None:  # the products' queues and exchanges, off the shared broker
        harness.delete_broker_names()


@pytest.fixture(autouse=True)
def _reset_clock():
    clock.clock.reset()
    yield
    clock.clock.reset()


def close_database(proxy) -> None:
    database = proxy.obj
    if database is None:
        return
    if hasattr(database, "close_all"):
        database.close_all()
    elif not database.is_closed():
        database.close()


def pytest_collection_modifyitems(config, items):
    """The files that start a whole product (marked e2e) first: `make test` runs whole files in
    each of its processes, and the long ones left for the end would make one process run on
    alone while the other has finished."""
    started = {item.path for item in items if item.get_closest_marker("e2e")}
    items.sort(key=lambda item: item.path not in started)
