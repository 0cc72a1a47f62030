"""Fresh SQLite databases from a template: a service's migrations run once per test process.

Most tests start a service on a new, empty SQLite file, and migrating it is most of what the
start costs. The first fresh database of each migrations folder is migrated for real and copied
aside; each later fresh database of that folder is a copy of it (SQLite's online backup), and the
names of the migrations it holds are answered as applied. A file that already holds tables (an
upgrade, a restarted service) and PostgreSQL are migrated for real.
"""
from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

import peewee

_FOLDER = Path(tempfile.mkdtemp(prefix="sqlite-templates-"))
_TEMPLATES: dict[str, tuple[Path, list[str]]] = {}


def _fresh_sqlite_file(database: peewee.Database) -> bool:
    if not isinstance(database, peewee.SqliteDatabase) or database.database in ("", ":memory:"):
        return False
    path = Path(database.database)
    return not path.exists() or path.stat().st_size == 0


def migrate_from_templates(run_migrations: Callable[[peewee.Database, Path], list[str]]):
    def run(database: peewee.Database, directory: Path) -> list[str]:
        if not _fresh_sqlite_file(database):
            return run_migrations(database, directory)
        key = str(Path(directory).resolve())
        if key not in _TEMPLATES:
            applied = run_migrations(database, directory)
            template = _FOLDER / f"{len(_TEMPLATES)}.db"
            copy = sqlite3.connect(template)
            try:
                with database.connection_context():
                    database.connection().backup(copy)
            finally:
                copy.close()
            _TEMPLATES[key] = (template, applied)
            return applied
        template, applied = _TEMPLATES[key]
        source = sqlite3.connect(template)
        try:
            with database.connection_context():
                source.backup(database.connection())
        finally:
            source.close()
        return list(applied)

    return run
