"""The worker's consumers, built on the shared idempotent `EventConsumer`.

- `BatchingEventConsumer` (the inbox): the events that have arrived are handled
  together in one transaction with their processed-event rows, then acked; each
  handler gets the batch's events of its types as a list (a few queries per batch,
  not per event). A handler that fails rolls the batch back, and its events go one
  by one (its own transaction, retry with back-off, dead-letter queue). The
  transaction runs on a writer thread of its own, so the next batch is read and
  parsed while the database works on this one; acks stay on the consumer's thread
  (the channel is not thread-safe), in order, after each commit.
- `ChannelConsumer` (email, Web Push): the effect leaves the service, so it runs
  outside any transaction; the channel records each delivery itself (unique per
  event, channel and recipient) the moment it is handed over, and an event whose
  delivery failed takes the shared retry and dead-letter path alone.

Both candidates for `shared/consumer.py` once another service needs them.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import threading
import uuid
from collections.abc import Callable

import marshmallow as ma
import peewee

from services.notifications.bulk import insert_rows
from shared import clock
from shared.bus import is_memory
from shared.consumer import EventConsumer
from shared.events import Envelope, InvalidEvent
from shared.fastload import load_data

log = logging.getLogger(__name__)

# How long the inbox consumer waits for more events before handling the ones it holds.
LINGER_SECONDS = 0.002

# The worker as ops started it: a channel's process names its parent (see worker.py).
WORKER_PID = int(os.environ.get("NOTIFICATIONS_WORKER_PID") or os.getpid())

def parse_envelope(body) -> Envelope:
    """`Envelope.from_dict`, with the data loaded the quick way (`shared.fastload`): this runs for every
    message on three queues, and a marshmallow load costs more than the rest of handling it."""
    try:
        raw = json.loads(body) if isinstance(body, (str, bytes, bytearray)) else body
        event_id, event_type, occurred_at = str(uuid.UUID(str(raw["id"]))), str(raw["type"]), str(raw["occurred_at"])
        clock.parse_iso(occurred_at)
        data = load_data(event_type, dict(raw.get("data") or {}))
    except ma.ValidationError as exc:
        raise InvalidEvent(json.dumps(exc.messages)) from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidEvent(f"malformed envelope: {exc}") from exc
    return Envelope(id=event_id, type=event_type, occurred_at=occurred_at,
                    producer=str(raw.get("producer") or "unknown"), correlation_id=raw.get("correlation_id"), data=data)


class _BatchingConsumer(EventConsumer):
    """kombu's consumer loop, holding the events that arrive together and handling them as a batch
    when no more come within LINGER_SECONDS (or the batch is full)."""

    channel = "inbox"

    def __init__(self, *args, batch_size: int = 100, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.batch_size = batch_size
        self.pending: list[tuple[Envelope, object]] = []

    def on_message(self, body, message) -> None:
        try:
            envelope = parse_envelope(body)
        except InvalidEvent as exc:
            log.error("malformed event parked", extra={"queue": self.topology.name, "error": str(exc)[:300]})
            self._park(message, reason=str(exc)[:300])
            return
        self.pending.append((envelope, message))
        if len(self.pending) >= self.batch_size:
            self.flush()

    def consume(self, limit=None, timeout=None, safety_interval=1, **kwargs):
        with self.consumer_context(**kwargs) as (connection, _channel, _consumers):
            try:
                while not self.should_stop:
                    waiting = self.pending or self.in_flight
                    try:
                        connection.drain_events(timeout=LINGER_SECONDS if waiting else safety_interval)
                    except TimeoutError:
                        self.flush()
                        connection.heartbeat_check()
                    self.settle()
                    yield
                # Stopping (SIGTERM): finish what was taken; the unsent prefetch goes back with the channel.
                self.flush()
                self.settle(wait=True)
            except Exception:
                # The channel is gone: its unacked messages return to the queue by themselves.
                self.pending.clear()
                self.forget_in_flight()
                raise

    # A consumer that hands batches to another thread reports them done here, on the consumer's thread.
    in_flight = 0

    def settle(self, wait: bool = False) -> None:
        pass

    def forget_in_flight(self) -> None:
        pass

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if batch:
            self.handle_batch(batch)

    def handle_batch(self, batch: list[tuple[Envelope, object]]) -> None:
        raise NotImplementedError

    def ack_all(self, messages: list) -> None:
        """One ack for the batch on RabbitMQ (every earlier delivery is settled by now)."""
        if not messages:
            return
        if is_memory(self.connection.as_uri()):
            for message in messages:
                message.ack()
        else:
            messages[-1].ack(multiple=True)

    def log_handled(self, envelopes: list[Envelope], **extra) -> None:
        """One line for the events a batch handled (a line per event would cost as much as handling it)."""
        if envelopes:
            self.handled += len(envelopes)
            log.info("events handled", extra={
                "count": len(envelopes), "event_ids": [envelope.id for envelope in envelopes],
                "event_types": sorted({envelope.type for envelope in envelopes}), "pid": os.getpid(),
                "worker_pid": WORKER_PID, "channel": self.channel, "queue": self.topology.name, **extra})


class BatchingEventConsumer(_BatchingConsumer):
    """Handles the events at hand in one transaction; `after_commit` gets what the handlers returned."""

    def __init__(self, *args, after_commit: Callable[[list], None] | None = None,
                 before_commit: Callable[[list, dict], None] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.after_commit = after_commit
        # Inside the transaction, with what the handlers returned and each event's message body by id.
        self.before_commit = before_commit
        # One batch waiting for the writer besides the one it writes: reading never runs far ahead.
        self._to_write: queue.Queue = queue.Queue(maxsize=1)
        self._written: queue.SimpleQueue = queue.SimpleQueue()
        self._writer: threading.Thread | None = None

    def handle_batch(self, batch) -> None:
        if self._writer is None:
            self._writer = threading.Thread(target=self._write, name=f"{self.topology.name}-writer", daemon=True)
            self._writer.start()
        self.in_flight += 1
        self._to_write.put(batch)

    def _write(self) -> None:
        """The writer thread: each batch's transaction, then the live announcement of its items."""
        while True:
            batch = self._to_write.get()
            try:
                results, effects = self._handle_in_one_transaction(batch)
            except Exception as exc:  # noqa: BLE001 - one bad event must not hold back the others
                self._written.put((batch, exc))
                continue
            self._after_commit(effects)
            self._written.put((batch, results))

    def settle(self, wait: bool = False) -> None:
        """Ack the batches the writer committed, in order; a failed batch's events go one at a time."""
        while self.in_flight:
            try:
                batch, outcome = self._written.get(timeout=60) if wait else self._written.get_nowait()
            except queue.Empty:
                return
            self.in_flight -= 1
            if isinstance(outcome, Exception):
                log.warning("batch failed; handling its events one at a time",
                            extra={"queue": self.topology.name, "size": len(batch), "error": repr(outcome)[:300]})
                for envelope, message in batch:
                    self._handle_alone(envelope, message)
                continue
            self.ack_all([message for _, message, _ in outcome])
            for envelope, _message, duplicate in outcome:
                if duplicate:
                    log.info("duplicate event ignored", extra={"event_id": envelope.id, "queue": self.topology.name})
            self.log_handled([envelope for envelope, _message, duplicate in outcome if not duplicate])

    def forget_in_flight(self) -> None:
        """The channel is gone, so these cannot be acked: let the writer finish, and drop the outcomes
        (the events come again, and the processed-event rows make them duplicates)."""
        while self.in_flight:
            try:
                self._written.get(timeout=60)
            except queue.Empty:
                break
            self.in_flight -= 1
        self.in_flight = 0

    def _run_handlers(self, envelopes: list[Envelope]) -> list:
        """Each handler once, with the events of its types, in the order the table names the handlers."""
        groups: dict[Callable, list[Envelope]] = {}
        for handlers in self.handlers.values():
            for handler in handlers:
                groups.setdefault(handler, [])
        for envelope in envelopes:
            for handler in self.handlers.get(envelope.type, []):
                groups[handler].append(envelope)
        results = []
        for handler, group in groups.items():
            if group:
                results.extend(handler(group) or [])
        return results

    def _processed_row(self, envelope: Envelope, now=None) -> dict:
        return {"event_id": envelope.id, "consumer": self.consumer_name, "event_type": envelope.type,
                "processed_at": now or clock.now()}

    def _handle_in_one_transaction(self, batch) -> tuple[list[tuple[Envelope, object, bool]], list]:
        """The processed-event rows first: the ones the database takes are the events not handled before
        (one statement, where a lookup and an insert would be two)."""
        unique, now = list({envelope.id: envelope for envelope, _ in batch}.values()), clock.now()
        # One connection kept by this consumer thread across batches (a pool checkout costs as much as a query).
        self.database.connect(reuse_if_open=True)
        try:
            with self.database.atomic():
                fresh_ids = {row[0] for row in insert_rows(self.processed, [self._processed_row(e, now) for e in unique],
                                                           ("event_id",), skip_existing=True)}
                fresh = [envelope for envelope in unique if envelope.id in fresh_ids]
                effects = self._run_handlers(fresh)
                self._before_commit(effects, batch)
        except (peewee.InterfaceError, peewee.OperationalError):
            self.database.close()  # a broken connection is not kept
            raise
        results, seen = [], set()
        for envelope, message in batch:
            duplicate = envelope.id not in fresh_ids or envelope.id in seen  # handled before, or twice here
            seen.add(envelope.id)
            results.append((envelope, message, duplicate))
        return results, effects

    def _handle_alone(self, envelope: Envelope, message) -> None:
        try:
            with self.database.connection_context():
                with self.database.atomic():
                    already = (self.processed.select()
                               .where((self.processed.event_id == envelope.id)
                                      & (self.processed.consumer == self.consumer_name)).exists())
                    produced = None if already else self._run_handlers([envelope])
                    if not already:
                        self.processed.insert(self._processed_row(envelope)).execute()
                        self._before_commit(produced, [(envelope, message)])
        except Exception as exc:  # noqa: BLE001 - retried with back-off, then parked
            self._retry_or_park(message, envelope, exc)
            return
        message.ack()
        if produced is not None:
            self.log_handled([envelope])
            self._after_commit(produced)

    def _before_commit(self, effects: list, batch) -> None:
        if effects and self.before_commit is not None:
            self.before_commit(effects, {envelope.id: message.body for envelope, message in batch})

    def _after_commit(self, effects: list) -> None:
        if effects and self.after_commit is not None:
            try:
                self.after_commit(effects)
            except Exception:  # noqa: BLE001 - the inbox is committed; what follows is best effort
                log.exception("after-commit step failed", extra={"queue": self.topology.name})


class ChannelConsumer(_BatchingConsumer):
    """`deliver_many(events)` sends and records, outside any transaction, and answers for each event
    how many messages left (an int) or why it failed (an exception: that event is retried alone)."""

    def __init__(self, *args, deliver_many: Callable[[list[Envelope]], list], channel: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.deliver_many = deliver_many
        self.channel = channel

    def handle_batch(self, batch) -> None:
        # One connection per consumer thread, kept across batches: opening one costs more than the queries.
        self.database.connect(reuse_if_open=True)
        try:
            outcomes = self.deliver_many([envelope for envelope, _ in batch])
        except Exception as exc:  # noqa: BLE001 - e.g. the database is down: every event is retried
            outcomes = [exc] * len(batch)
        if any(isinstance(o, (peewee.InterfaceError, peewee.OperationalError)) for o in outcomes):
            self.database.close()  # a broken connection is not kept
        delivered, done, sent = [], [], 0
        for (envelope, message), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                self._retry_or_park(message, envelope, outcome)
            else:
                delivered.append(message)
                done.append(envelope)
                sent += outcome
        self.log_handled(done, sent=sent)
        if len(delivered) == len(batch):
            self.ack_all(delivered)
        else:
            for message in delivered:
                message.ack()


def each(deliver: Callable[[Envelope], int]) -> Callable[[list[Envelope]], list]:
    """`deliver_many` from a one-event `deliver`, keeping each event's failure to itself."""

    def deliver_many(envelopes: list[Envelope]) -> list:
        outcomes = []
        for envelope in envelopes:
            try:
                outcomes.append(deliver(envelope))
            except Exception as exc:  # noqa: BLE001 - this event is retried; the others go on
                outcomes.append(exc)
        return outcomes

    return deliver_many
