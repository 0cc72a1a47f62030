"""The batching consumer with a transaction (`build_worker(batch_size=...)`; the notifications inbox's): the
events that have arrived are handled together in one transaction with their processed-event rows, then
acked; each handler gets the batch's events of its types as a list (a few queries per batch, not per
event). A handler that fails rolls the batch back, and its events go one by one (its own transaction,
retry with back-off, dead-letter queue).

It all runs on the consumer's thread, one batch after the other. A writer thread of its own, reading the next
batch while the database worked on this one, gained nothing: the two threads took turns on the interpreter's
lock, and with two worker processes on two cores each stalled the other (issue 20: one process 3,228-4,000
events/s with the thread, 3,391-4,012 without; two processes 4,851-5,245 with it, 5,662-6,425 without).
A busy queue still has the next batch waiting in the prefetch while this one commits.

`before_commit` may publish without waiting for the broker's confirms (`shared.bus.Confirming`): the batch
commits and `after_commit` announces it, and only then are the confirms awaited, before the batch is acked.
Should they not come (a crash, a refusal), the events come again (redelivered, or retried with back-off)
and find themselves handled: for every event handled before that comes again, `replay` makes again what
`before_commit` publishes, and a second copy is the receiver's to recognise.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

import peewee

from shared import clock
from shared.batching import BatchingConsumer
from shared.bulk import insert_rows
from shared.events import Envelope

log = logging.getLogger(__name__)


class Unconfirmed(RuntimeError):
    """A committed batch whose `before_commit` messages the broker did not confirm: its events come again."""


class BatchingEventConsumer(BatchingConsumer):
    """Handles the events at hand in one transaction; `after_commit` gets what the handlers returned."""

    def __init__(self, *args, after_commit: Callable[[list], None] | None = None,
                 before_commit: Callable[[list, dict], object] | None = None,
                 replay: Callable[[list[Envelope]], list] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.after_commit = after_commit
        # Inside the transaction, with what the handlers returned and each event's message body by id; returns
        # None or the confirms still to come (`Confirming`).
        self.before_commit = before_commit
        # For the handled events that come again: what the handlers returned, for `before_commit` only.
        self.replay = replay

    def handle_batch(self, batch) -> None:
        """The batch's transaction, its `after_commit`, the confirms of what it published, then one ack; a failed
        batch's events go one at a time."""
        try:
            results, effects, confirming = self._handle_in_one_transaction(batch)
        except Exception as exc:  # noqa: BLE001 - one bad event must not hold back the others
            log.warning("batch failed; handling its events one at a time",
                        extra={"queue": self.topology.name, "size": len(batch), "error": repr(exc)[:300]})
            for envelope, message in batch:
                self._handle_alone(envelope, message)
            return
        self._after_commit(effects)
        if confirming is not None:
            try:
                confirming.wait()
            except Exception as exc:  # noqa: BLE001 - committed: its events must come again
                outcome = Unconfirmed(repr(exc)[:300])
                log.warning("batch committed, its messages not confirmed: its events come again",
                            extra={"queue": self.topology.name, "size": len(batch), "error": str(outcome)})
                for envelope, message in batch:
                    self._retry_or_park(message, envelope, outcome)
                return
        self.ack_all([message for _, message, _ in results])
        for envelope, _message, duplicate in results:
            if duplicate:
                log.info("duplicate event ignored", extra={"event_id": envelope.id, "queue": self.topology.name})
        self.log_handled([envelope for envelope, _message, duplicate in results if not duplicate])

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

    def _handle_in_one_transaction(self, batch) -> tuple[list[tuple[Envelope, object, bool]], list, object]:
        """The processed-event rows first: the ones the database takes are the events not handled before
        (one statement, where a lookup and an insert would be two)."""
        unique, now = list({envelope.id: envelope for envelope, _ in batch}.values()), clock.now()
        # One connection kept by this consumer thread across batches (a pool checkout costs as much as a query).
        self.database.connect(reuse_if_open=True)
        confirming = None
        try:
            with self.database.atomic():
                fresh_ids = {row[0] for row in insert_rows(self.processed, [self._processed_row(e, now) for e in unique],
                                                           ("event_id",), skip_existing=True)}
                fresh = [envelope for envelope in unique if envelope.id in fresh_ids]
                effects = self._run_handlers(fresh)
                again = [envelope for envelope in unique if envelope.id not in fresh_ids]
                confirming = self._before_commit(effects + self._replayed(again), batch)
        except Exception as exc:
            if isinstance(exc, (peewee.InterfaceError, peewee.OperationalError)):
                self.database.close()  # a broken connection is not kept
            if confirming is not None:  # the commit failed: what went out is a copy the receiver recognises
                try:
                    confirming.wait()
                except Exception:  # noqa: BLE001, S110 - the batch fails either way
                    pass
            raise
        results, seen = [], set()
        for envelope, message in batch:
            duplicate = envelope.id not in fresh_ids or envelope.id in seen  # handled before, or twice here
            seen.add(envelope.id)
            results.append((envelope, message, duplicate))
        return results, effects, confirming

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
                    replayed = self._replayed([envelope]) if already else []
                    confirming = self._before_commit((produced or []) + replayed, [(envelope, message)])
                    if confirming is not None:
                        confirming.wait()
        except Exception as exc:  # noqa: BLE001 - retried with back-off, then parked
            self._retry_or_park(message, envelope, exc)
            return
        message.ack()
        if produced is not None:
            self.log_handled([envelope])
            self._after_commit(produced)

    def _replayed(self, envelopes: list[Envelope]) -> list:
        return self.replay(envelopes) if envelopes and self.replay is not None else []

    def _before_commit(self, effects: list, batch) -> object:
        if effects and self.before_commit is not None:
            return self.before_commit(effects, {envelope.id: message.body for envelope, message in batch})
        return None

    def _after_commit(self, effects: list) -> None:
        if effects and self.after_commit is not None:
            try:
                self.after_commit(effects)
            except Exception:  # noqa: BLE001 - the batch is committed; what follows is best effort
                log.exception("after-commit step failed", extra={"queue": self.topology.name})
