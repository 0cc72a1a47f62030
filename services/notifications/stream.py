"""The live stream: new inbox items reach every open page of their user within a second.

The worker publishes each committed batch of items to a fanout exchange (a broadcast,
shared/broadcast.py: a live item missed is still in the inbox); every web process listens
on it with a queue of its own and hands the items to the streams it holds for those users.
On the in-process bus (one process runs everything) the worker hands them over directly.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Iterable

from shared.broadcast import BroadcastListener, broadcast_exchange
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


class LivePublisher:
    """The worker's side: announces committed inbox items (best effort; the inbox is the record), through the
    shared pooled publisher: transient messages, no confirms (an announcement is worth no round trip on the
    item's way to the page)."""

    def __init__(self, broker_url: str, exchange_name: str) -> None:
        self.broker_url = broker_url
        self.publisher = PooledPublisher(broker_url, broadcast_exchange(exchange_name), confirm=False, persistent=False)

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


def deliver_items(payload: dict) -> None:
    """A web process's side: the worker's announcement, to this process's open streams of each user. It
    listens through the shared broadcast listener (`live_listener`), a queue of its own on the fanout exchange
    started with the first stream."""
    for entry in payload.get("items", []):
        hub.deliver(int(entry["user_id"]), entry["notification"])


def live_listener(broker_url: str, exchange_name: str) -> BroadcastListener:
    return BroadcastListener(broker_url, exchange_name, deliver_items, name="notifications-live")


def sse(item: dict) -> str:
    return f"id: {item['id']}\nevent: notification\ndata: {json.dumps(item, separators=(',', ':'))}\n\n"
