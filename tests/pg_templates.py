"""Fresh PostgreSQL schemas from recycled ones: a service's migrations run once per test process.

Creating a service's tables is most of what a PostgreSQL test's start costs (the tickets service's
ten migrations take about a second of the server's time). The first fresh schema of each migrations
folder is migrated for real, and the rows its migrations wrote are copied aside. When a test is done
with such a schema it is emptied instead of dropped (its rows deleted with triggers off, the
migrations' rows and the sequences put back) and kept; the next fresh schema of that folder is a
kept one, renamed. A schema that is not fresh, or that more than one folder migrated, is migrated
and dropped for real.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import peewee
import psycopg2

from tests.support import PG_URL

_PREFIX = f"recycled_{os.getpid()}_"
_names = itertools.count()
_lock = threading.Lock()


@dataclass
class _Template:
    applied: list[str]
    seeds: str  # the schema holding a copy of each table the migrations wrote rows in
    tables: dict[str, str] = field(default_factory=dict)  # table -> its columns that take values
    sequences: dict[str, tuple[int, bool]] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)


_templates: dict[str, _Template] = {}
_migrated_by: dict[str, set[str]] = {}  # schema -> the folders that migrated it


def _connect():
    connection = psycopg2.connect(PG_URL)
    connection.autocommit = True
    return connection


def _schema_exists(cursor, schema: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
    return cursor.fetchone() is not None


def _describe(cursor, schema: str, seeds: str, applied: list[str]) -> _Template:
    template = _Template(applied=list(applied), seeds=seeds)
    cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
                   " AND table_type = 'BASE TABLE'", (schema,))
    for (table,) in cursor.fetchall():
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = %s"
                       " AND table_name = %s AND is_generated = 'NEVER' ORDER BY ordinal_position",
                       (schema, table))
        template.tables[table] = ", ".join(f'"{column}"' for (column,) in cursor.fetchall())
    cursor.execute(f'CREATE SCHEMA "{seeds}"')
    for table, columns in template.tables.items():
        cursor.execute(f'CREATE TABLE "{seeds}"."{table}" AS SELECT {columns} FROM "{schema}"."{table}"')
    cursor.execute("SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = %s",
                   (schema,))
    for (sequence,) in cursor.fetchall():
        cursor.execute(f'SELECT last_value, is_called FROM "{schema}"."{sequence}"')
        template.sequences[sequence] = cursor.fetchone()
    return template


def migrate_from_templates(run_migrations: Callable[[peewee.Database, Path], list[str]]):
    def run(database: peewee.Database, directory: Path) -> list[str]:
        schema = getattr(database, "_service_schema", None)
        if not isinstance(database, peewee.PostgresqlDatabase) or not schema:
            return run_migrations(database, directory)
        key = str(Path(directory).resolve())
        with _lock, contextlib.closing(_connect()) as connection, connection.cursor() as cursor:
            _migrated_by.setdefault(schema, set()).add(key)
            template = _templates.get(key)
            fresh = not _schema_exists(cursor, schema)
            if fresh and template is not None and template.kept:
                with contextlib.suppress(psycopg2.Error):  # taken meanwhile: migrate it for real
                    cursor.execute(f'ALTER SCHEMA "{template.kept[-1]}" RENAME TO "{schema}"')
                    template.kept.pop()
                    return list(template.applied)
            applied = run_migrations(database, directory)
            if fresh and template is None and applied:
                _templates[key] = _describe(cursor, schema, f"{_PREFIX}seeds_{next(_names)}", applied)
            return applied

    return run


def recycle_or_drop(schema: str) -> None:
    """Empty `schema` and keep it for the next test of its folder, or drop it."""
    with _lock, contextlib.closing(_connect()) as connection, connection.cursor() as cursor:
        folders = _migrated_by.pop(schema, set())
        template = _templates.get(next(iter(folders))) if len(folders) == 1 else None
        if template is not None:
            try:
                _empty(cursor, schema, template)
                return
            except psycopg2.Error:
                pass
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _empty(cursor, schema: str, template: _Template) -> None:
    kept = f"{_PREFIX}{next(_names)}"
    cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
                   " AND table_type = 'BASE TABLE'", (schema,))
    if {table for (table,) in cursor.fetchall()} != set(template.tables):
        raise psycopg2.ProgrammingError("the test changed the schema's tables")
    statements = ["BEGIN", "SET LOCAL session_replication_role = replica"]  # the audit log refuses DELETE
    statements += [f'DELETE FROM "{schema}"."{table}"' for table in template.tables]
    statements += [f'INSERT INTO "{schema}"."{table}" ({columns}) OVERRIDING SYSTEM VALUE'
                   f' SELECT {columns} FROM "{template.seeds}"."{table}"'
                   for table, columns in template.tables.items()]
    statements += [f"SELECT setval('\"{schema}\".\"{sequence}\"', {value}, {called})"
                   for sequence, (value, called) in template.sequences.items()]
    statements += [f'ALTER SCHEMA "{schema}" RENAME TO "{kept}"', "COMMIT"]
    try:
        cursor.execute(";\n".join(statements))
    except psycopg2.Error:
        cursor.execute("ROLLBACK")
        raise
    template.kept.append(kept)


def drop_all() -> None:
    """At the end of the run: the kept schemas and the copies of the migrations' rows, and those a
    test process that was killed left behind."""
    with contextlib.closing(_connect()) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'recycled\\_%'")
        for (schema,) in cursor.fetchall():
            pid = int(schema.split("_")[1])
            if pid == os.getpid() or not _alive(pid):
                cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        _templates.clear()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
