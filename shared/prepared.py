"""Look-ups whose SQL is made once: `Prepared(lambda number: Ticket.select().where(Ticket.number == number))`.

peewee builds a query's SQL from its expression tree at every execution, and for the look-ups every request
makes (a ticket by its number, a ticket's SLA rows, a policy) that cost more than the database's own work: a
quarter of `make run`'s CPU was peewee writing SQL (py-spy, bench/load.py). A `Prepared` query is built once
per kind of database with a marker for each argument, and then runs that SQL with each call's values through
`Model.raw`, which gives model instances as the query would (each column read by its field).

For arguments that the driver takes as they are (strings, integers, None): a value a field would convert
(a datetime on SQLite, a model instance) must be converted by the caller.
"""
from __future__ import annotations

from collections.abc import Callable

import peewee


def _database_kind(model: type[peewee.Model]) -> type:
    """The class of the database the model is bound to now (through its proxy): the SQL's dialect."""
    database = model._meta.database
    return type(getattr(database, "obj", None) or database)


class Prepared:
    def __init__(self, build: Callable[..., peewee.ModelSelect]) -> None:
        self.build = build
        self._model: type[peewee.Model] | None = None
        self._made: dict[type, tuple[str, list]] = {}

    def _made_for(self, count: int) -> tuple[str, list]:
        made = self._made.get(_database_kind(self._model)) if self._model is not None else None
        if made is not None:
            return made
        # Markers the fields do not convert (an integer field would refuse a string), found again in the parameters.
        markers = [f"\x00prepared-{index}\x00" for index in range(count)]
        query = self.build(*[peewee.Value(marker, converter=False) for marker in markers])
        self._model = query.model
        sql, params = query.sql()
        # Each parameter: the index of the argument it takes, or the query's own constant (a LIMIT, a status).
        plan = [(markers.index(value), None) if value in markers else (None, value) for value in params]
        if sorted(index for index, _ in plan if index is not None) != list(range(count)):
            raise ValueError("each argument of a prepared query must be used exactly once")
        made = self._made[_database_kind(query.model)] = (sql, plan)
        return made

    def rows(self, *values) -> list:
        sql, plan = self._made_for(len(values))
        return list(self._model.raw(sql, *[values[index] if index is not None else constant for index, constant in plan]))

    def first(self, *values):
        rows = self.rows(*values)
        return rows[0] if rows else None
