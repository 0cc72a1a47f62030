"""Apply or check a service's migrations outside its web process: the work behind
`python -m services.migrate`, given what it needs (the service's app module, its
database URL, its migrations folder) so that it names no service.

Each service also migrates itself on start unless `RUN_MIGRATIONS=false`; both ways
take the same PostgreSQL advisory lock, so replicas and the command never run one
migration twice.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import peewee
from playhouse.migrations import Runner

from shared.db import make_database, run_migrations


def apply(app_module: ModuleType, url: str) -> list[str]:
    """Apply the pending migrations of the service whose `app` module (with `init_database`
    and `MIGRATIONS`) is given, on the database at `url`; return their names."""
    database = app_module.init_database(url, migrate=False)
    try:
        return run_migrations(database, app_module.MIGRATIONS)
    finally:
        close(database)


def pending(url: str, schema: str, migrations: Path) -> list[str]:
    """The migrations in `migrations` not yet applied to the database at `url` (all of them
    before its schema exists); `schema` is the service's PostgreSQL schema unless the URL names one."""
    database = make_database(url, schema)
    try:
        with database.connection_context():
            runner = Runner(database, directory=str(migrations),
                            schema=getattr(database, "_service_schema", None))
            applied = set(runner.applied())
            return [m.name for m in runner.migrations() if m.name not in applied]
    finally:
        close(database)


def wait_until_applied(check: Callable[[], dict[str, list[str]]], seconds: float) -> bool:
    """Poll `check` (pending migrations by service) until none are pending, at most `seconds`;
    report the outcome as a JSON line and say whether all are applied."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            waiting = check()
            error = None
        except Exception as exc:  # noqa: BLE001 - a database not up yet is one more reason to wait
            waiting, error = {}, str(exc).splitlines()[0][:200]
        if error is None and not any(waiting.values()):
            report(message="migrations up to date", services=list(waiting))
            return True
        if time.monotonic() >= deadline:
            report(message="migrations pending", pending=waiting, error=error)
            return False
        time.sleep(min(2.0, max(0.1, deadline - time.monotonic())))


def close(database: peewee.Database) -> None:
    if hasattr(database, "close_all"):
        database.close_all()
    elif not database.is_closed():
        database.close()


def report(**fields) -> None:
    print(json.dumps(fields), flush=True)
