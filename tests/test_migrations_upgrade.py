"""Today's migrations upgrade a database made by earlier code, holding data, without losing a row,
to the schema a fresh database gets: for every service, on SQLite and on PostgreSQL.

The old databases are the fixtures in tests/fixtures/databases/ (made by its make_databases.py
from the migrations frozen beside them): on SQLite the file itself, on PostgreSQL a schema built
by those frozen migrations and filled with the same rows.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import psycopg2
import pytest
from playhouse.migrations import Runner

from services import registry
from shared.db import ensure_schema, make_database
from tests.support import PG_URL, drop_pg_schema, unique

FIXTURES = Path(__file__).parent / "fixtures" / "databases"
SERVICES = [service.name for service in registry.ALL]


def close(database) -> None:
    if hasattr(database, "close_all"):
        database.close_all()
    elif not database.is_closed():
        database.close()


def migrate(service: str, url: str) -> None:
    """The service's own start-up path: point its database at `url` and bring the schema up to date."""
    close(registry.BY_NAME[service].app_module().init_database(url))


# --- SQLite ---------------------------------------------------------------------------------------

def sqlite_rows(path: Path) -> dict[str, tuple[list[str], set[tuple]]]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        names = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        found = {}
        for name in names:
            cursor = connection.execute(f'SELECT * FROM "{name}"')
            found[name] = ([d[0] for d in cursor.description], set(cursor.fetchall()))
        return found


def sqlite_schema(path: Path) -> dict:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        schema = {}
        for table in tables:
            columns = {(r[1], r[2], r[3], r[5]) for r in connection.execute(f'PRAGMA table_info("{table}")')}
            indexes = set()
            for _, name, is_unique, origin, partial in connection.execute(f'PRAGMA index_list("{table}")'):
                indexed = tuple(r[2] for r in connection.execute(f'PRAGMA index_info("{name}")'))
                indexes.add((name, is_unique, origin, partial, indexed))
            foreign = {tuple(r[2:7]) for r in connection.execute(f'PRAGMA foreign_key_list("{table}")')}
            schema[table] = {"columns": columns, "indexes": indexes, "foreign_keys": foreign}
        schema["triggers"] = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        return schema


def assert_rows_kept(before: dict, after: dict) -> None:
    """Every row of every old table is still there (new columns aside)."""
    for table, (columns, rows) in before.items():
        assert table in after, f"table {table} is gone"
        new_columns, new_rows = after[table]
        missing = set(columns) - set(new_columns)
        assert not missing, f"{table} lost columns {sorted(missing)}"
        positions = [new_columns.index(c) for c in columns]
        kept = {tuple(row[p] for p in positions) for row in new_rows}
        if table == "schema_migration":  # applied-at times differ between two builds of the old schema
            rows, kept = {r[columns.index("name")] for r in rows}, {r[columns.index("name")] for r in kept}
        assert rows <= kept, f"{table} lost rows: {sorted(map(str, rows - kept))[:3]}"


@pytest.mark.parametrize("service", SERVICES)
def test_the_sqlite_database_of_earlier_code_upgrades_with_its_rows(service, tmp_path):
    old = tmp_path / "old" / f"{service}.db"
    old.parent.mkdir()
    shutil.copy(FIXTURES / f"{service}.sqlite", old)
    before = sqlite_rows(old)
    assert all(rows for table, (_, rows) in before.items() if table != "schema_migration"), "an empty fixture table"
    assert {"outbox", "processed_event"} & set(before), "the fixture lacks the shared tables"

    migrate(service, f"sqlite:///{old}")
    assert_rows_kept(before, sqlite_rows(old))

    fresh = tmp_path / "fresh" / f"{service}.db"
    migrate(service, f"sqlite:///{fresh}")
    assert sqlite_schema(old) == sqlite_schema(fresh)


# --- PostgreSQL -----------------------------------------------------------------------------------

def pg_connection():
    return contextlib.closing(psycopg2.connect(PG_URL))


def pg_column_types(cursor, schema: str) -> dict[str, dict[str, str]]:
    cursor.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                   "WHERE table_schema = %s", (schema,))
    types: dict[str, dict[str, str]] = {}
    for table, column, data_type in cursor.fetchall():
        types.setdefault(table, {})[column] = data_type
    return types


def fk_order(tables: list[str], path: Path) -> list[str]:
    """Parents before children, as the foreign keys of the fixture say."""
    ordered: list[str] = []
    with contextlib.closing(sqlite3.connect(path)) as connection:
        def visit(name: str) -> None:
            if name in ordered:
                return
            for fk in connection.execute(f'PRAGMA foreign_key_list("{name}")'):
                if fk[2] != name:
                    visit(fk[2])
            ordered.append(name)

        for table in sorted(tables):
            visit(table)
    return ordered


def build_old_postgres(service: str, schema: str, rows: dict) -> None:
    """The service's schema as the frozen migrations made it, holding the fixture's rows."""
    database = make_database(f"{PG_URL}?schema={schema}", service)
    try:
        ensure_schema(database)
        with database.connection_context():
            Runner(database, directory=str(FIXTURES / "migrations" / service), schema=schema).up()
    finally:
        close(database)
    with pg_connection() as connection, connection.cursor() as cursor:
        cursor.execute(f'SET search_path TO "{schema}"')
        types = pg_column_types(cursor, schema)
        tables = [t for t in rows if t in types and t != "schema_migration"]
        for table in fk_order(tables, FIXTURES / f"{service}.sqlite"):
            columns, values = rows[table]
            for row in sorted(values, key=lambda r: [(v is None, v) for v in r]):  # a root before its children
                row = [bool(v) if v is not None and types[table][c] == "boolean" else v
                       for c, v in zip(columns, row, strict=True)]
                names = ", ".join(f'"{c}"' for c in columns)
                cursor.execute(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join(["%s"] * len(row))})', row)
            if types[table].get("id") == "integer":  # the next id follows the rows, as it did in the old database
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                               f'(SELECT max(id) FROM "{table}"))')
        connection.commit()


def plain(value):
    """A PostgreSQL value as the SQLite fixture holds it."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def pg_rows(schema: str) -> dict[str, tuple[list[str], set[tuple]]]:
    with pg_connection() as connection, connection.cursor() as cursor:
        found = {}
        for table in pg_column_types(cursor, schema):
            cursor.execute(f'SELECT * FROM "{schema}"."{table}"')
            found[table] = ([d[0] for d in cursor.description], {tuple(map(plain, r)) for r in cursor.fetchall()})
        return found


def pg_schema(schema: str) -> dict:
    def own(text: str | None) -> str | None:
        return None if text is None else text.replace(f'"{schema}".', "").replace(f"{schema}.", "")

    with pg_connection() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, "
                       "column_default FROM information_schema.columns WHERE table_schema = %s", (schema,))
        columns = {(t, c, d, n, nullable, own(default)) for t, c, d, n, nullable, default in cursor.fetchall()}
        cursor.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %s", (schema,))
        indexes = {(t, name, own(definition)) for t, name, definition in cursor.fetchall()}
        cursor.execute("SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid) "
                       "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = %s",
                       (schema,))
        constraints = {(own(t), name, kind, own(definition)) for t, name, kind, definition in cursor.fetchall()}
        cursor.execute("SELECT event_object_table, trigger_name, event_manipulation FROM information_schema.triggers "
                       "WHERE trigger_schema = %s", (schema,))
        triggers = set(cursor.fetchall())
    return {"columns": columns, "indexes": indexes, "constraints": constraints, "triggers": triggers}


@pytest.mark.postgres
@pytest.mark.parametrize("service", SERVICES)
def test_the_postgresql_database_of_earlier_code_upgrades_with_its_rows(service):
    old, fresh = unique("old"), unique("fresh")
    fixture = sqlite_rows(FIXTURES / f"{service}.sqlite")
    try:
        build_old_postgres(service, old, fixture)
        before = pg_rows(old)
        assert {t for t in fixture if t != "schema_migration"} - set(before) <= {
            t for t in fixture if t.startswith("help_fts_")}, "a fixture table the old PostgreSQL schema lacks"
        expected = {table: fixture[table] for table in before if table != "schema_migration"}
        assert_rows_kept(expected, before)  # the old database holds the fixture's rows, as written

        migrate(service, f"{PG_URL}?schema={old}")
        assert_rows_kept(before, pg_rows(old))

        migrate(service, f"{PG_URL}?schema={fresh}")
        assert pg_schema(old) == pg_schema(fresh)
    finally:
        drop_pg_schema(old)
        drop_pg_schema(fresh)
