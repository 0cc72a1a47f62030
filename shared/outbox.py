"""The transactional outbox: an event is a row written in the same transaction as
the change it reports; a relay publishes rows with confirms and marks them sent.
A broker that is down delays events and never loses them.

The relay wakes as soon as a row is committed, whichever process wrote it: a
thread event in its own process, PostgreSQL's NOTIFY (sent with the row, delivered
at commit), or on SQLite a change of the database's write-ahead log. Its poll is
only the fallback.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import select
import threading
from collections.abc import Callable
from contextlib import nullcontext

import peewee
import psycopg2

from shared import clock, metrics, tracing
from shared.bus import EventPublisher, connect
from shared.db import for_update, is_postgres, shared_table
from shared.events import Envelope, is_secret

log = logging.getLogger(__name__)

# What a published row of a type the catalogue marks secret keeps of its payload.
REDACTED = '{"redacted": true}'


def make_outbox_model(database: peewee.DatabaseProxy | peewee.Database) -> type[peewee.Model]:
    class OutboxMessage(peewee.Model):
        event_id = peewee.CharField(max_length=36, unique=True)
        event_type = peewee.CharField(max_length=100)
        payload = peewee.TextField()
        created_at = peewee.DateTimeField(default=clock.now)
        sent_at = peewee.DateTimeField(null=True, index=True)
        attempts = peewee.IntegerField(default=0)

        class Meta:
            table_name = "outbox"

    OutboxMessage._meta.set_database(database)
    return shared_table(OutboxMessage)


class Outbox:
    """Adds events to the service's outbox table, inside the caller's transaction."""

    def __init__(self, model: type[peewee.Model], producer: str) -> None:
        self.model = model
        self.producer = producer
        self.wakeup = threading.Event()

    def add(self, event_type: str, data: dict, *, correlation_id: str | None = None,
            occurred_at: dt.datetime | None = None, event_id: str | None = None) -> Envelope:
        envelope = Envelope.new(event_type, data, self.producer, correlation_id=correlation_id,
                                occurred_at=occurred_at, event_id=event_id,
                                traceparent=tracing.current_traceparent())
        insert = self.model.insert(event_id=envelope.id, event_type=envelope.type, payload=envelope.to_json())
        database = _database(self.model)
        if is_postgres(database):
            # The row and the relay's wake-up (delivered when, and only if, the caller's transaction
            # commits) in one statement: one round trip per event instead of two.
            sql, params = insert.returning().sql()
            database.execute_sql(f"WITH added AS ({sql}) SELECT pg_notify(%s, '')",
                                 (*params, notify_channel(database)))
            self.wakeup.set()
        else:
            insert.execute()
            # The relay, woken before the commit, would find nothing yet and wait for the next poll.
            getattr(database, "after_commit", _now)(self.wakeup.set)
        return envelope


def _now(callback: Callable[[], None]) -> None:
    callback()


def _database(model: type[peewee.Model]) -> peewee.Database:
    database = model._meta.database
    return getattr(database, "obj", None) or database


def notify_channel(database: peewee.Database) -> str:
    """The PostgreSQL notification channel of a service's outbox: one per schema."""
    return f"outbox_{getattr(database, '_service_schema', None) or 'public'}"


class CommitWatcher:
    """Sets `wakeup` when another process may have committed an outbox row (this process's commits set it
    themselves: `Outbox.add`). On SQLite it looks at the WAL every `interval`: every 5 ms, five services' watchers
    in one `make run` took the interpreter lock a thousand times a second from the threads serving requests."""

    def __init__(self, database: peewee.Database, wakeup: threading.Event, interval: float = 0.05) -> None:
        self.database = database
        self.wakeup = wakeup
        self.interval = interval

    def run(self, stop: threading.Event) -> None:
        if is_postgres(self.database):
            self._listen(stop)
        elif self.database.database not in ("", ":memory:"):
            self._watch_log(stop, self.database.database + "-wal")

    def _watch_log(self, stop: threading.Event, path: str) -> None:
        """SQLite writes a commit to the WAL file: a stat every few ms is far cheaper than a query."""
        last = None
        while not stop.wait(self.interval):
            try:
                status = os.stat(path)
                current = (status.st_mtime_ns, status.st_size)
            except FileNotFoundError:
                current = None
            if current != last:
                last = current
                self.wakeup.set()

    def _listen(self, stop: threading.Event) -> None:
        channel = notify_channel(self.database)
        while not stop.is_set():
            connection = None
            try:
                connection = psycopg2.connect(dbname=self.database.database, **self.database.connect_params)
                connection.autocommit = True
                connection.cursor().execute(f'LISTEN "{channel}"')
                self.wakeup.set()  # anything committed while nobody listened
                while not stop.is_set():
                    if select.select([connection], [], [], 0.5)[0]:
                        connection.poll()
                        if connection.notifies:
                            connection.notifies.clear()
                            self.wakeup.set()
            except (psycopg2.Error, OSError) as exc:
                log.warning("outbox listener reconnecting", extra={"error": str(exc)[:200]})
                stop.wait(1.0)
            finally:
                if connection is not None:
                    connection.close()


class OutboxRelay:
    """Publishes unsent outbox rows in order; safe with several replicas on PostgreSQL."""

    def __init__(self, outbox: Outbox, database: peewee.Database, broker_url: str, exchange,
                 *, batch_size: int = 200, poll_interval: float = 0.1) -> None:
        self.outbox = outbox
        self.model = outbox.model
        self.database = database
        self.broker_url = broker_url
        self.exchange = exchange
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self._publisher: EventPublisher | None = None
        self.unroutable = 0
        metrics.watch_outbox(outbox.producer, self.model, database)

    @property
    def publisher(self) -> EventPublisher:
        if self._publisher is None:
            # The relay has its own back-off: a broker that is down fails the batch at once.
            # Confirms waited for once per batch (publish_many), not once per event.
            self._publisher = EventPublisher(connect(self.broker_url, max_retries=1, confirm_each=False), self.exchange,
                                             retry=False)
        return self._publisher

    def _pending(self):
        query = (self.model.select().where(self.model.sent_at.is_null())
                 .order_by(self.model.id).limit(self.batch_size))
        return for_update(query, self.database)

    def relay_once(self) -> int:
        """Publish one batch; returns how many rows were published."""
        with self.database.connection_context():
            if is_postgres(self.database):
                # Rows stay locked while they are published, so replicas share the work.
                with self.database.atomic():
                    return self._publish_rows(list(self._pending()))
            return self._publish_rows(list(self._pending()))

    def _publish_rows(self, rows) -> int:
        published: list[int] = []
        secrets: list[int] = []
        try:
            # Checked against the catalogue when it was added (`Envelope.new`): published as it was written.
            envelopes = [Envelope(**json.loads(row.payload)) for row in rows]
            routed = self.publisher.publish_many(envelopes, on_each=lambda envelope: tracing.continued(
                envelope.traceparent, f"publish {envelope.type}", tracing.SpanKind.PRODUCER)) if envelopes else []
            self.unroutable += routed.count(False)
            published = [row.id for row in rows]
            secrets = [row.id for row in rows if is_secret(row.event_type)]
        except Exception:
            if self._publisher is not None:
                self._publisher.reset()
                self._publisher = None
            raise
        finally:
            if published:
                # One write transaction: on SQLite each one waits its turn behind the service's requests.
                with nullcontext() if self.database.in_transaction() else self.database.atomic():
                    (self.model.update(sent_at=clock.now(), attempts=self.model.attempts + 1)
                     .where(self.model.id.in_(published)).execute())
                    if secrets:  # a sent one-time code has no reason to stay readable in the table
                        self.model.update(payload=REDACTED).where(self.model.id.in_(secrets)).execute()
        return len(published)

    def run(self, stop: threading.Event) -> None:
        watcher = CommitWatcher(getattr(self.database, "obj", None) or self.database, self.outbox.wakeup)
        threading.Thread(target=watcher.run, args=(stop,), name="outbox-commit-watcher", daemon=True).start()
        backoff = self.poll_interval
        while not stop.is_set():
            self.outbox.wakeup.clear()  # before looking: a commit from here on wakes the next look
            try:
                count = self.relay_once()
                backoff = self.poll_interval
            except Exception as exc:  # noqa: BLE001 - the broker or database is down: wait and retry
                log.warning("outbox relay waiting for the broker",
                            extra={"error": str(exc)[:200], "retry_in": backoff})
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if count < self.batch_size:
                self.outbox.wakeup.wait(self.poll_interval)

