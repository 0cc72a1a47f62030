"""Many rows in one INSERT, for the inbox consumer's batches.

peewee's `insert_many` builds its SQL value by value, which for a batch of inbox items
costs more than the database's work; this writes the one statement directly, with
parameters, for SQLite (3.35+) and PostgreSQL alike.
"""
from __future__ import annotations

import peewee


def insert_rows(model: type[peewee.Model], rows: list[dict], returning: tuple[str, ...] = ()) -> list[tuple]:
    """Insert `rows` (column -> Python value, the same columns in each); returns the `returning` columns."""
    if not rows:
        return []
    database = model._meta.database
    fields = [model._meta.columns[name] for name in rows[0]]
    quote = '"{}"'.format  # standard SQL identifiers: SQLite and PostgreSQL alike
    one = "(" + ", ".join([database.param] * len(fields)) + ")"
    sql = (f"INSERT INTO {quote(model._meta.table_name)} ({', '.join(quote(f.column_name) for f in fields)}) "
           f"VALUES {', '.join([one] * len(rows))}")
    if returning:
        sql += " RETURNING " + ", ".join(quote(name) for name in returning)
    params = [field.db_value(row[field.column_name]) for row in rows for field in fields]
    cursor = database.execute_sql(sql, params)
    return [tuple(row) for row in cursor.fetchall()] if returning else []
