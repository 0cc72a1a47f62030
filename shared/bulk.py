"""Many rows in one statement, for the inbox consumer's batches.

peewee builds `insert_many` and `in_()` value by value, which for a batch of inbox items
costs more than the database's work; these write the one statement directly, with
parameters, for SQLite (3.35+) and PostgreSQL alike.
"""
from __future__ import annotations

import peewee

# Fields whose db_value gives a value of this type back unchanged.
_STORED_AS = {peewee.CharField: str, peewee.TextField: str, peewee.IntegerField: int, peewee.BigIntegerField: int,
              peewee.AutoField: int}


def _quote(name: str) -> str:
    return f'"{name}"'  # standard SQL identifiers: SQLite and PostgreSQL alike


def insert_rows(model: type[peewee.Model], rows: list[dict], returning: tuple[str, ...] = (), *,
                skip_existing: bool = False) -> list[tuple]:
    """Insert `rows` (column -> Python value, the same columns in each); returns the `returning` columns
    of the rows inserted. `skip_existing`: a row that hits a unique index is left out, not an error."""
    if not rows:
        return []
    database = model._meta.database
    fields = [model._meta.columns[name] for name in rows[0]]
    quote = _quote
    one = "(" + ", ".join([database.param] * len(fields)) + ")"
    sql = (f"INSERT INTO {quote(model._meta.table_name)} ({', '.join(quote(f.column_name) for f in fields)}) "
           f"VALUES {', '.join([one] * len(rows))}")
    if skip_existing:
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join(quote(name) for name in returning)
    # A value already of the type a plain column stores goes as it is; the others through their field.
    plan = [(field.column_name, _STORED_AS.get(type(field)), field.db_value) for field in fields]
    params = [value if kind is not None and (type(value) is kind or value is None) else db_value(value)
              for row in rows for name, kind, db_value in plan for value in (row[name],)]
    cursor = database.execute_sql(sql, params)
    return [tuple(row) for row in cursor.fetchall()] if returning else []


def select_in(model: type[peewee.Model], columns: tuple[str, ...], key: str, values) -> list[tuple]:
    """`SELECT columns FROM model's table WHERE key IN values`, as tuples."""
    values = list(values)
    if not values:
        return []
    database = model._meta.database
    sql = (f"SELECT {', '.join(map(_quote, columns))} FROM {_quote(model._meta.table_name)} "
           f"WHERE {_quote(key)} IN ({', '.join([database.param] * len(values))})")
    return [tuple(row) for row in database.execute_sql(sql, values).fetchall()]
