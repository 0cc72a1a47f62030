"""The database behind a service's peewee proxy, chosen by `DATABASE_URL`.

SQLite (the embedded default) runs in WAL mode with a busy timeout and takes its
write lock at BEGIN, so concurrent writers queue instead of failing on upgrade; the
writers of one process queue on a lock of their own first (`QueuedSqliteDatabase`).
PostgreSQL gets a connection pool and one schema per service, so several services
may share one database without seeing each other's tables.
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
import weakref
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlparse

import peewee
from playhouse.migrations import Runner
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

if TYPE_CHECKING:  # a worker process needs no Flask
    from flask import Flask

log = logging.getLogger(__name__)

_BUSY_TIMEOUT_MS = 15000
_SQLITE_PRAGMAS = (
    ("journal_mode", "wal"),
    ("busy_timeout", _BUSY_TIMEOUT_MS),
    ("synchronous", "normal"),
    ("foreign_keys", 1),
)


class QueuedSqliteDatabase(PooledSqliteDatabase):
    """SQLite whose transactions in one process take turns on a Python lock before `BEGIN IMMEDIATE`.

    SQLite's busy handler waits for the write lock by sleeping, up to 100 ms a time, and a writer
    that wakes to find the lock taken again sleeps again: under 8 concurrent writers a few of them
    waited over a second (`make run`'s tail, issue 23). A lock per database file hands the turn to
    the next writer of this process as soon as the last one commits; writers of other processes
    still meet the busy handler. A writer that waited the busy timeout for the lock goes on without it.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._turn = threading.local()

    def _file_lock(self) -> threading.Lock:
        with _write_locks_guard:
            return _write_locks.setdefault(str(self.database), threading.Lock())

    def begin(self, lock_type=None) -> None:
        if getattr(self._turn, "lock", None) is None:  # a thread that has its turn keeps it, never waits on itself
            lock = self._file_lock()
            if lock.acquire(timeout=_BUSY_TIMEOUT_MS / 1000):
                self._turn.lock = lock
            else:
                log.warning("sqlite write turn not given in time; going on without it",
                            extra={"database": str(self.database)})
        try:
            super().begin(lock_type)
        except BaseException:
            self._end_turn()
            raise

    def after_commit(self, callback: Callable[[], None]) -> None:
        """`callback()` once this thread's transaction commits (at once outside one); never if it rolls back."""
        if not self.in_transaction():
            callback()
            return
        pending = getattr(self._turn, "after_commit", None)
        if pending is None:
            pending = self._turn.after_commit = []
        pending.append(callback)

    def commit(self) -> None:
        pending, self._turn.after_commit = getattr(self._turn, "after_commit", None), None
        try:
            super().commit()
        finally:
            self._end_turn()
        for callback in pending or ():  # only once the commit went through
            callback()

    def rollback(self) -> None:
        self._turn.after_commit = None
        try:
            super().rollback()
        finally:
            self._end_turn()

    def close(self) -> bool:
        self._turn.after_commit = None  # what a closed connection left open is rolled back
        try:
            return super().close()
        finally:
            self._end_turn()  # the pool rolls back what a closed connection left open

    def _end_turn(self) -> None:
        lock = getattr(self._turn, "lock", None)
        self._turn.lock = None
        if lock is not None:
            lock.release()


_write_locks: dict[str, threading.Lock] = {}
_write_locks_guard = threading.Lock()


def is_postgres(database: peewee.Database) -> bool:
    return isinstance(database, peewee.PostgresqlDatabase)


_made: weakref.WeakSet = weakref.WeakSet()


def close_pooled_connections() -> None:
    """Close every pooled connection this process holds, in every database made here: what gunicorn's
    master calls before it forks workers from a preloaded app (deploy/gunicorn.conf.py), so that no two
    processes share a connection's socket (the migrations at start-up left one in the pool)."""
    for database in list(_made):
        if hasattr(database, "close_all"):
            database.close_all()


def make_database(url: str, schema: str) -> peewee.Database:
    """Open (lazily) the database that `url` names; on PostgreSQL the service's tables live in `schema`
    (the service's name unless the URL says `?schema=...`)."""
    database = _make_database(url, schema)
    _made.add(database)
    return database


def _make_database(url: str, schema: str) -> peewee.Database:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else parsed.path
        if path not in ("", ":memory:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Pooled, so the pragmas run once per connection rather than once per request.
        return QueuedSqliteDatabase(path or ":memory:", pragmas=_SQLITE_PRAGMAS, lock_type="IMMEDIATE",
                                    check_same_thread=False, max_connections=64, stale_timeout=300, timeout=10)
    if parsed.scheme in ("postgres", "postgresql"):
        query = dict(parse_qsl(parsed.query))
        max_connections = int(query.get("max_connections", 20))
        schema = query.get("schema", schema)
        database = PooledPostgresqlDatabase(
            None,
            max_connections=max_connections,
            stale_timeout=300,
            timeout=10,
        )
        database.init(dsn_database(parsed), **dsn_params(parsed), options=f"-c search_path={schema}")
        database._service_schema = schema  # read by ensure_schema and the migrations runner
        return database
    raise ValueError(f"unsupported DATABASE_URL scheme {parsed.scheme!r}")


def dsn_database(parsed) -> str:
    return parsed.path.lstrip("/") or "postgres"


def dsn_params(parsed) -> dict:
    params = {"host": parsed.hostname or "127.0.0.1", "port": parsed.port or 5432,
              "user": parsed.username or "postgres"}
    if parsed.password:
        params["password"] = parsed.password
    params.update(dict(parse_qsl(parsed.query)))
    params.pop("max_connections", None)
    params.pop("schema", None)
    return params


def ensure_schema(database: peewee.Database) -> None:
    schema = getattr(database, "_service_schema", None)
    if schema and is_postgres(database):
        with database.connection_context():
            try:
                database.execute_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            except peewee.IntegrityError:
                pass  # another process created it at the same moment (IF NOT EXISTS does not lock)


_shared_models: weakref.WeakSet = weakref.WeakSet()


def shared_table(model: type[peewee.Model]) -> type[peewee.Model]:
    """Mark a model of `shared/` that services make on their database (the outbox, the processed
    events): `run_migrations` creates its table in each of them, so no service declares it again."""
    _shared_models.add(model)
    return model


def shared_models_of(database: peewee.Database) -> list[type[peewee.Model]]:
    """The shared models made on `database`, directly or through the proxy now pointing at it."""
    def bound(model) -> peewee.Database:
        target = model._meta.database
        return target.obj if isinstance(target, peewee.DatabaseProxy) else target

    return sorted((m for m in list(_shared_models) if bound(m) is database), key=lambda m: m._meta.table_name)


def run_migrations(database: peewee.Database, directory: Path) -> list[str]:
    """Create the shared tables that are missing, then apply the service's numbered migrations
    that are not yet applied.

    The shared tables come first and from the shared models themselves, with their columns,
    indexes and constraints; a database made before they moved here already has them (its
    0001 migration made them the same way). Replicas starting together take a lock first,
    so each migration runs once.
    """
    ensure_schema(database)
    with _first_connection_lock(database), database.connection_context():
        with _migration_lock(database, str(directory)):
            shared = shared_models_of(database)
            if shared:
                with database.atomic():
                    database.create_tables(shared, safe=True)
            runner = Runner(database, directory=str(directory),
                            schema=getattr(database, "_service_schema", None))
            pending = [m.name for m in runner.migrations() if m.name not in runner.applied()]
            if pending:
                runner.up()
                log.info("migrations applied", extra={"migrations": pending})
            return pending


_local_locks: dict[str, threading.Lock] = {}


@contextlib.contextmanager
def _migration_lock(database: peewee.Database, name: str):
    lock = _local_locks.setdefault(name, threading.Lock())
    with lock:
        if is_postgres(database):
            key = zlib.crc32(f"{getattr(database, '_service_schema', '')}:migrations".encode())
            database.execute_sql("SELECT pg_advisory_lock(%s)", (key,))
            try:
                yield
            finally:
                database.execute_sql("SELECT pg_advisory_unlock(%s)", (key,))
        else:
            yield  # SQLite's processes took turns before they connected (`_first_connection_lock`)


@contextlib.contextmanager
def _first_connection_lock(database: peewee.Database):
    """A SQLite file's processes starting together (a service's gunicorn workers, its event worker) take
    turns before they connect to migrate: a connection's first pragma turns a new file to WAL, and SQLite
    answers another process doing so "database is locked" at once, without its busy handler."""
    if not isinstance(database, peewee.SqliteDatabase) or database.database == ":memory:":
        yield
        return
    with open(f"{database.database}.migrate-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # until the file is closed
        yield


def open_service_database(proxy: peewee.DatabaseProxy, url: str, service: str, migrations: Path,
                          migrate: bool = True) -> peewee.Database:
    """Point a service's proxy at its database and, unless told not to, bring the schema up to date."""
    database = make_database(url, service)
    proxy.initialize(database)
    if migrate:
        run_migrations(database, migrations)
    return database


def readiness_check(proxy: peewee.DatabaseProxy):
    """A `/readyz` check: the database answers a query."""

    def check() -> None:
        with proxy.connection_context():
            proxy.execute_sql("SELECT 1")

    return check


def bind_to_app(app: Flask, database: peewee.Database) -> None:
    """A request takes a pooled connection on its first query (peewee connects lazily)
    and gives it back when it ends; requests that touch no table take none."""

    @app.teardown_request
    def _close(_exc) -> None:
        if not database.is_closed():
            database.close()


def for_update(query: peewee.Query, database: peewee.Database, skip_locked: bool = True):
    """`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's write lock already serialises."""
    if is_postgres(database):
        return query.for_update("FOR UPDATE SKIP LOCKED" if skip_locked else "FOR UPDATE")
    return query
