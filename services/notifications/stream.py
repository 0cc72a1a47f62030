"""The live stream: new inbox items reach every open page of their user within a second.

The worker publishes each committed batch of items to a fanout exchange; every web
process listens on it with a queue of its own and hands the items to the streams it
holds for those users. On the in-process bus (one process runs everything) the
worker hands them over directly.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import socket
import threading
import uuid
from collections.abc import Iterable

from kombu import Connection, Consumer, Exchange, Queue

from shared.bus import PooledPublisher, is_memory

log = logging.getLogger(__name__)


def present(item) -> dict:
    """An inbox item as the API shows it."""
    from shared.clock import isoformat

    return {"id": item.id, "kind": item.kind, "title": item.title, "body": item.body, "link": item.link,
            "created_at": isoformat(item.created_at), "read_at": isoformat(item.read_at)}


class LiveHub:
    """The open streams of this process, by user."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: dict[int, set[queue.SimpleQueue]] = {}

    def subscribe(self, user_id: int) -> queue.SimpleQueue:
        inbox: queue.SimpleQueue = queue.SimpleQueue()
        with self._lock:
            self._streams.setdefault(user_id, set()).add(inbox)
        return inbox

    def unsubscribe(self, user_id: int, inbox: queue.SimpleQueue) -> None:
        with self._lock:
            streams = self._streams.get(user_id)
            if streams is not None:
                streams.discard(inbox)
                if not streams:
                    del self._streams[user_id]

    def deliver(self, user_id: int, item: dict) -> int:
        with self._lock:
            streams = list(self._streams.get(user_id, ()))
        for inbox in streams:
            inbox.put(item)
        return len(streams)

    def open_streams(self) -> int:
        with self._lock:
            return sum(len(streams) for streams in self._streams.values())


hub = LiveHub()


def live_exchange(name: str) -> Exchange:
    # Transient: a live item missed while nobody listens is still in the inbox.
    return Exchange(name, type="fanout", durable=False, auto_delete=False)


class LivePublisher:
    """The worker's side: announces committed inbox items (best effort; the inbox is the record), through the
    shared pooled publisher: transient messages, no confirms (an announcement is worth no round trip on the
    item's way to the page)."""

    def __init__(self, broker_url: str, exchange_name: str) -> None:
        self.broker_url = broker_url
        self.publisher = PooledPublisher(broker_url, live_exchange(exchange_name), confirm=False, persistent=False)

    def publish(self, items: Iterable) -> None:
        entries = [{"user_id": item.user_id, "notification": present(item)} for item in items]
        if not entries:
            return
        if is_memory(self.broker_url):
            for entry in entries:
                hub.deliver(entry["user_id"], entry["notification"])
            return
        body = json.dumps({"items": entries})
        for attempt in (1, 2):
            try:
                self.publisher.publish(body)
                return
            except Exception as exc:  # noqa: BLE001 - a dropped connection: once more on a new one
                if attempt == 2:
                    log.warning("live announcement lost", extra={"error": repr(exc)[:200], "items": len(entries)})

    def close(self) -> None:
        self.publisher.close()


class LiveListener:
    """A web process's side: a queue of its own on the fanout exchange, started with the first stream."""

    def __init__(self, broker_url: str, exchange_name: str) -> None:
        self.broker_url = broker_url
        self.exchange = live_exchange(exchange_name)
        self.ready = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def ensure_started(self, timeout: float = 5.0) -> bool:
        with self._lock:
            # After a fork (gunicorn) the parent's thread is not ours: start one in this process.
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self.ready.clear()
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="notifications-live", daemon=True)
                self._thread.start()
        return self.ready.wait(timeout)

    def _run(self) -> None:
        name = f"{self.exchange.name}.{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:6]}"
        own_queue = Queue(name, exchange=self.exchange, exclusive=True, auto_delete=True, durable=False)
        while True:
            try:
                with Connection(self.broker_url, heartbeat=30, connect_timeout=5) as connection:
                    with Consumer(connection, queues=[own_queue], callbacks=[self._on_message], accept=["json"],
                                  no_ack=True):
                        self.ready.set()
                        while True:
                            try:
                                connection.drain_events(timeout=5)
                            except TimeoutError:
                                connection.heartbeat_check()
            except Exception as exc:  # noqa: BLE001 - reconnect after any broker trouble
                self.ready.clear()
                log.warning("live listener reconnecting", extra={"error": repr(exc)[:200]})
                threading.Event().wait(1.0)

    def _on_message(self, body, _message) -> None:
        payload = json.loads(body) if isinstance(body, (str, bytes)) else body
        for entry in payload.get("items", []):
            hub.deliver(int(entry["user_id"]), entry["notification"])


def sse(item: dict) -> str:
    return f"id: {item['id']}\nevent: notification\ndata: {json.dumps(item, separators=(',', ':'))}\n\n"
