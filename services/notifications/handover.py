"""The record that an email left, written so that the record and the message stand or fall together
as closely as one process can make them.

An SMTP server takes a message when it reads the final dot, and nothing tells a sender that was
killed whether its dot went out. So the sender writes the whole body, then the record, then the
dot: killed before the record, the server drops the unfinished message and the redelivered event
sends it again; killed after the dot, the record is there and the event is not sent twice. What is
left is the time between the record becoming certain and the dot leaving:

- SQLite: the commit is a write by this process, the dot the next write.
- PostgreSQL: a COMMIT the server has received goes through even when its client dies, so waiting
  for its answer before writing the dot would leave a round trip and the WAL flush in that window (a
  SIGKILL in the middle of a burst of a thousand emails landed there about one time in six). The
  record is inserted in a transaction first, on a connection of its own in psycopg2's asynchronous
  mode (a second sender with the same event waits on the unique index here and fails, before any
  dot); then the COMMIT goes out, the dot right behind it, and the COMMIT's answer is read after.
"""
from __future__ import annotations

import logging
import select
from collections.abc import Callable

import peewee
import psycopg2
import psycopg2.extensions

from services.notifications.models import Delivery, db
from shared.db import is_postgres

log = logging.getLogger(__name__)

Settle = Callable[[], None]


class AlreadyDelivered(Exception):
    """This event's message to this recipient was handed over before (or is being, by another sender)."""


def _wait(connection, timeout: float, *, until_sent: bool = False) -> None:
    """Drive an asynchronous connection until its command is done (or, `until_sent`, written out)."""
    while True:
        state = connection.poll()
        if state == psycopg2.extensions.POLL_OK:
            return
        if state == psycopg2.extensions.POLL_READ:
            if until_sent:
                return
            ready = select.select([connection.fileno()], [], [], timeout)[0]
        elif state == psycopg2.extensions.POLL_WRITE:
            ready = select.select([], [connection.fileno()], [], timeout)[1]
        else:
            raise psycopg2.OperationalError(f"unexpected poll state {state}")
        if not ready:
            raise psycopg2.OperationalError(f"the database did not answer within {timeout} s")


class DeliveryRecorder:
    """`begin(row)` puts the delivery's record on its way and returns `settle`, which waits for it."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self._connection = None
        self._cursor = None

    def begin(self, row: dict) -> Settle:
        """Raises AlreadyDelivered when the record exists (the unique index is the one guard)."""
        query = Delivery.insert(**row).returning()  # no RETURNING: nothing to read back
        if not is_postgres(db.obj):
            try:
                query.execute()  # committed on its own (autocommit) by the time this returns
            except peewee.IntegrityError as exc:
                raise AlreadyDelivered(row["event_id"]) from exc
            return lambda: None
        sql, params = query.sql()
        connection = self._connect()
        try:
            self._run(connection, "BEGIN; " + sql, params)
        except psycopg2.Error as exc:
            self._rollback(connection)
            if isinstance(exc, psycopg2.IntegrityError):
                raise AlreadyDelivered(row["event_id"]) from exc
            raise
        try:
            self._execute(connection, "COMMIT")
            _wait(connection, self.timeout, until_sent=True)
        except psycopg2.Error:
            self.close()  # the server rolls back a transaction whose client went away
            raise

        def settle() -> None:
            try:
                _wait(connection, self.timeout)
            except psycopg2.Error:
                self.close()
                raise

        return settle

    def _execute(self, connection, sql: str, params=None) -> None:
        # psycopg2 forgets an asynchronous command whose cursor is garbage: the cursor is kept until the next.
        self._cursor = connection.cursor()
        self._cursor.execute(sql, params)

    def _run(self, connection, sql: str, params=None) -> None:
        self._execute(connection, sql, params)
        _wait(connection, self.timeout)

    def _rollback(self, connection) -> None:
        try:
            self._run(connection, "ROLLBACK")
        except psycopg2.Error:
            self.close()

    def _connect(self):
        if self._connection is None or self._connection.closed:
            database = db.obj
            connection = psycopg2.connect(dbname=database.database, async_=1, **database.connect_params)
            try:
                _wait(connection, self.timeout)
            except psycopg2.Error:
                connection.close()
                raise
            self._connection = connection
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except psycopg2.Error:
                pass
            self._connection = None
