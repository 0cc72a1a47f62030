"""The worker's consumers, built on the shared idempotent `EventConsumer`.

- `BatchingEventConsumer` (the inbox): the events that have arrived are handled
  together in one transaction with their processed-event rows, then acked; each
  handler gets the batch's events of its types as a list (a few queries per batch,
  not per event). A handler that fails rolls the batch back, and its events go one
  by one (its own transaction, retry with back-off, dead-letter queue).
- `ChannelConsumer` (email, Web Push): the effect leaves the service, so it runs
  outside any transaction; the channel records each delivery itself (unique per
  event, channel and recipient) the moment it is handed over, and an event whose
  delivery failed takes the shared retry and dead-letter path alone.

Both candidates for `shared/consumer.py` once another service needs them.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import uuid
from collections.abc import Callable

import marshmallow as ma
import peewee

from services.notifications.bulk import insert_rows
from shared import clock
from shared.bus import is_memory
from shared.consumer import EventConsumer
from shared.events import SCHEMAS, Envelope, EventType, InvalidEvent

log = logging.getLogger(__name__)

# How long the inbox consumer waits for more events before handling the ones it holds.
LINGER_SECONDS = 0.002

_schemas = threading.local()


def _schema(event_type: str) -> ma.Schema:
    cache = _schemas.__dict__.setdefault("by_type", {})
    if event_type not in cache:
        cache[event_type] = SCHEMAS[EventType(event_type)]()
    return cache[event_type]


def parse_envelope(body) -> Envelope:
    """`Envelope.from_dict` with one schema instance per type and thread: making a marshmallow
    schema costs as much as using it, and this runs for every message on three queues."""
    try:
        raw = json.loads(body) if isinstance(body, (str, bytes)) else body
        envelope = Envelope(id=str(uuid.UUID(str(raw["id"]))), type=str(raw["type"]),
                            occurred_at=str(raw["occurred_at"]), producer=str(raw.get("producer") or "unknown"),
                            correlation_id=raw.get("correlation_id"), data=dict(raw.get("data") or {}))
        clock.parse_iso(envelope.occurred_at)
        schema = _schema(envelope.type)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidEvent(f"malformed envelope: {exc}") from exc
    try:
        # Validated as the catalogue says; the loaded values are what the handlers read (no dump back).
        data = schema.load(envelope.data)
    except ma.ValidationError as exc:
        raise InvalidEvent(json.dumps(exc.messages)) from exc
    return dataclasses.replace(envelope, data=data)


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
                    try:
                        connection.drain_events(timeout=LINGER_SECONDS if self.pending else safety_interval)
                    except TimeoutError:
                        self.flush()
                        connection.heartbeat_check()
                    yield
                # Stopping (SIGTERM): finish what was taken; the unsent prefetch goes back with the channel.
                self.flush()
            except Exception:
                # The channel is gone: its unacked messages return to the queue by themselves.
                self.pending.clear()
                raise

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

    def log_handled(self, envelope: Envelope, **extra) -> None:
        log.info("event handled", extra={"event_type": envelope.type, "event_id": envelope.id, "pid": os.getpid(),
                                         "channel": self.channel, "queue": self.topology.name, **extra})


class BatchingEventConsumer(_BatchingConsumer):
    """Handles the events at hand in one transaction; `after_commit` gets what the handlers returned."""

    def __init__(self, *args, after_commit: Callable[[list], None] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.after_commit = after_commit

    def handle_batch(self, batch) -> None:
        try:
            results, effects = self._handle_in_one_transaction(batch)
        except Exception as exc:  # noqa: BLE001 - one bad event must not hold back the others
            log.warning("batch failed; handling its events one at a time",
                        extra={"queue": self.topology.name, "size": len(batch), "error": repr(exc)[:300]})
            for envelope, message in batch:
                self._handle_alone(envelope, message)
            return
        self.ack_all([message for _, message, _ in results])
        for envelope, _message, duplicate in results:
            if duplicate:
                log.info("duplicate event ignored", extra={"event_id": envelope.id, "queue": self.topology.name})
            else:
                self.handled += 1
                self.log_handled(envelope)
        self._after_commit(effects)

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

    def _processed_row(self, envelope: Envelope) -> dict:
        return {"event_id": envelope.id, "consumer": self.consumer_name, "event_type": envelope.type,
                "processed_at": clock.now()}

    def _handle_in_one_transaction(self, batch) -> tuple[list[tuple[Envelope, object, bool]], list]:
        processed = self.processed
        with self.database.connection_context():
            with self.database.atomic():
                seen = {row.event_id for row in processed.select(processed.event_id).where(
                    processed.event_id.in_([envelope.id for envelope, _ in batch])
                    & (processed.consumer == self.consumer_name))}
                results, fresh = [], []
                for envelope, message in batch:
                    duplicate = envelope.id in seen  # handled before, or twice in this batch
                    seen.add(envelope.id)
                    results.append((envelope, message, duplicate))
                    if not duplicate:
                        fresh.append(envelope)
                effects = self._run_handlers(fresh)
                insert_rows(processed, [self._processed_row(envelope) for envelope in fresh])
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
        except Exception as exc:  # noqa: BLE001 - retried with back-off, then parked
            self._retry_or_park(message, envelope, exc)
            return
        message.ack()
        if produced is not None:
            self.handled += 1
            self.log_handled(envelope)
            self._after_commit(produced)

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
        delivered = []
        for (envelope, message), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                self._retry_or_park(message, envelope, outcome)
            else:
                delivered.append(message)
                self.handled += 1
                self.log_handled(envelope, sent=outcome)
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
