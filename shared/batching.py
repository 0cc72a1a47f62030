"""The batching mode of the shared idempotent `EventConsumer` (shared/consumer.py): the same queue
topology, envelope parser, retries and dead letters, for a queue busy enough that handling events
one by one costs more than the handling itself.

- `BatchingConsumer`: kombu's loop, holding the events that arrive together and
  handling them as a batch. `batch_consumer.BatchingEventConsumer` handles a batch in
  one transaction with its processed-event rows (`build_worker(batch_size=...)`).
- `ChannelConsumer` (a delivery that leaves the service: email, Web Push): it runs
  outside any transaction; the caller records each delivery itself (unique per event,
  channel and recipient) the moment it is handed over, and an event whose delivery
  failed takes the shared retry and dead-letter path alone. Its queue is a work queue
  an earlier stage fills with chunks of jobs (`jobs_body`: each job an event as it came,
  with what that stage made of it), a message per chunk rather than per event, since a
  publish costs the earlier stage about as much as handling the event; each job is handed
  to the delivery as a `Job`, and a failed one is queued again alone (a chunk of one).
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Callable

import msgspec
import peewee

from shared import metrics, tracing
from shared.bus import is_memory
from shared.consumer import EventConsumer
from shared.events import Envelope, InvalidEvent

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Job:
    """An event on a work queue, with what the stage that queued it attached (None: a bare event)."""

    envelope: Envelope
    attached: object = None


def jobs_body(jobs: list[tuple[str | bytes, object]]) -> str:
    """A work queue's message: `(event JSON as it came, attached)` pairs, the events' JSON kept as it is."""
    parts = [f'{{"event":{event.decode() if isinstance(event, bytes) else event},'
             f'"attached":{json.dumps(attached, separators=(",", ":"))}}}' for event, attached in jobs]
    return '{"jobs":[' + ",".join(parts) + "]}"


# How long a batching consumer waits for more events before handling the ones it holds.
LINGER_SECONDS = 0.002


class BatchingConsumer(EventConsumer):
    """kombu's consumer loop, holding the events that arrive together and handling them as a batch
    when no more come within LINGER_SECONDS (or the batch is full)."""

    def __init__(self, *args, batch_size: int = 100, channel: str = "events", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.batch_size = batch_size
        self.channel = channel  # what the log lines name the consumer's work
        self.pending: list[tuple[Envelope, object]] = []

    def on_message(self, body, message) -> None:
        try:
            raw = msgspec.json.decode(body) if isinstance(body, (str, bytes, bytearray)) else body
            envelope = Envelope.from_dict(raw)
        except (InvalidEvent, ValueError, TypeError, msgspec.DecodeError) as exc:
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

    def log_handled(self, envelopes: list[Envelope], **extra) -> None:
        """One line for the events a batch handled (a line per event would cost as much as handling it)."""
        if envelopes:
            self.handled += len(envelopes)
            metrics.consumer_messages.labels(self.topology.name, "handled").inc(len(envelopes))
            log.info("events handled", extra={
                "count": len(envelopes), "event_ids": [envelope.id for envelope in envelopes],
                "event_types": sorted({envelope.type for envelope in envelopes}), "pid": os.getpid(),
                "channel": self.channel, "queue": self.topology.name, **extra})


class ChannelConsumer(BatchingConsumer):
    """`deliver_many(jobs)` sends and records, outside any transaction, and answers for each job
    how many messages left (an int) or why it failed (an exception: that job is retried alone)."""

    def __init__(self, *args, deliver_many: Callable[[list[Job]], list], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.deliver_many = deliver_many

    def on_message(self, body, message) -> None:
        """A chunk of jobs (`jobs_body`) or a bare event; each job pending with its message and its part of the
        chunk (None: the message is the job)."""
        try:
            raw = json.loads(body) if isinstance(body, (str, bytes, bytearray)) else body
            if isinstance(raw, dict) and "jobs" in raw:
                jobs = [(Job(Envelope.from_dict(item["event"]), item.get("attached")), message, item)
                        for item in raw["jobs"]]
            else:
                jobs = [(Job(Envelope.from_dict(raw)), message, None)]
        except (InvalidEvent, ValueError, TypeError, KeyError) as exc:
            log.error("malformed job parked", extra={"queue": self.topology.name, "error": str(exc)[:300]})
            self._park(message, reason=str(exc)[:300])
            return
        self.pending.extend(jobs)
        if len(self.pending) >= self.batch_size:
            self.flush()

    def handle_batch(self, batch) -> None:
        # One connection per consumer thread, kept across batches: opening one costs more than the queries.
        self.database.connect(reuse_if_open=True)
        try:
            outcomes = self.deliver_many([job for job, _, _ in batch])
        except Exception as exc:  # noqa: BLE001 - e.g. the database is down: every job is retried
            outcomes = [exc] * len(batch)
        if any(isinstance(o, (peewee.InterfaceError, peewee.OperationalError)) for o in outcomes):
            self.database.close()  # a broken connection is not kept
        messages, failed, done, sent = {}, set(), [], 0
        for (job, message, part), outcome in zip(batch, outcomes, strict=True):
            messages[id(message)] = message
            if isinstance(outcome, BaseException):
                # Queued again alone (the message's other jobs went); the message is acked once, below.
                alone = None if part is None else jobs_body([(json.dumps(part["event"]), part.get("attached"))])
                self._retry_or_park(message, job.envelope, outcome, body=alone, settle=False)
                failed.add(id(message))
            else:
                done.append(job.envelope)
                sent += outcome
        self.log_handled(done, sent=sent)
        if not failed:
            self.ack_all(list(messages.values()))
        else:
            for message in messages.values():
                message.ack()


def each(deliver: Callable[[Job], int]) -> Callable[[list[Job]], list]:
    """`deliver_many` from a one-job `deliver`, keeping each event's failure to itself."""

    def deliver_many(jobs: list[Job]) -> list:
        outcomes = []
        for job in jobs:
            try:
                with tracing.continued(job.envelope.traceparent, f"deliver {job.envelope.type}",
                                       tracing.SpanKind.CLIENT):
                    outcomes.append(deliver(job))
            except Exception as exc:  # noqa: BLE001 - this event is retried; the others go on
                outcomes.append(exc)
        return outcomes

    return deliver_many
