"""Broadcasts: best-effort messages every process of a kind hears (a fanout exchange, a queue of each
listener's own), for what is worth a moment and recorded elsewhere (a live page's news).

A publisher sends through the pooled publisher (shared/bus.py: `PooledPublisher(url, broadcast_exchange(name),
confirm=False, persistent=False)`). A `BroadcastListener` declares what it listens to and a function to call
with each message; the listening itself (a thread of its own, started with the first use in each process,
a gunicorn fork too, reconnecting after broker trouble) is here, not in the service.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable

from kombu import Consumer, Exchange, Queue

from shared.bus import broker_connection

log = logging.getLogger(__name__)


def broadcast_exchange(name: str) -> Exchange:
    # Transient: a broadcast missed while nobody listens is recorded elsewhere.
    return Exchange(name, type="fanout", durable=False, auto_delete=False)


class BroadcastListener:
    """Calls `on_message(payload)` with each broadcast on `exchange_name` (JSON decoded), on a thread of its own."""

    def __init__(self, broker_url: str, exchange_name: str, on_message: Callable[[dict], None], *,
                 name: str = "broadcast-listener") -> None:
        self.broker_url = broker_url
        self.exchange = broadcast_exchange(exchange_name)
        self.on_message = on_message
        self.name = name
        self.ready = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def ensure_started(self, timeout: float = 5.0) -> bool:
        """Listening in this process (started now if not yet); False if not ready within `timeout`."""
        with self._lock:
            # After a fork (gunicorn) the parent's thread is not ours: start one in this process.
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self.ready.clear()
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
        return self.ready.wait(timeout)

    def _run(self) -> None:
        name = f"{self.exchange.name}.{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:6]}"
        own_queue = Queue(name, exchange=self.exchange, exclusive=True, auto_delete=True, durable=False)
        while True:
            try:
                with broker_connection(self.broker_url, heartbeat=30, connect_timeout=5) as connection:
                    with Consumer(connection, queues=[own_queue], callbacks=[self._received], accept=["json"],
                                  no_ack=True):
                        self.ready.set()
                        while True:
                            try:
                                connection.drain_events(timeout=5)
                            except TimeoutError:
                                connection.heartbeat_check()
            except Exception as exc:  # noqa: BLE001 - reconnect after any broker trouble
                self.ready.clear()
                log.warning("broadcast listener reconnecting", extra={"listener": self.name,
                                                                       "error": repr(exc)[:200]})
                threading.Event().wait(1.0)

    def _received(self, body, _message) -> None:
        try:
            self.on_message(json.loads(body) if isinstance(body, (str, bytes)) else body)
        except Exception:  # noqa: BLE001 - one bad broadcast must not stop the listening
            log.exception("broadcast not handled", extra={"listener": self.name})
