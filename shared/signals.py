"""SIGTERM and SIGINT noted by their handler and acted on by the main thread.

Python runs a signal handler in the main thread between two of its bytecodes: maybe while that thread
holds a lock (an Event's, inside its `wait`), maybe inside the handler itself when a second signal comes
(a process group's SIGTERM, then the same from a parent). A handler that takes a lock can then wait for
itself forever, and one that logs can re-enter the stream it was writing. So the handler here only notes
the signal, and the main thread, which waits in short steps, does the rest.
"""
from __future__ import annotations

import signal
import threading
import time

POLL = 0.1  # seconds: how soon a waiting main thread sees a signal


class StopSignals:
    def __init__(self) -> None:
        self.received: int | None = None

    def install(self) -> StopSignals:
        signal.signal(signal.SIGTERM, self._note)
        signal.signal(signal.SIGINT, self._note)
        return self

    def _note(self, signum: int, _frame) -> None:
        if self.received is None:
            self.received = signum

    def wait(self, until: threading.Event, timeout: float | None = None) -> int | None:
        """Until a signal comes (its number), `until` is set or `timeout` seconds pass (None, unless a signal
        came too)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.received is None:
            step = POLL if deadline is None else min(POLL, deadline - time.monotonic())
            if step <= 0 or until.wait(step):
                break
        return self.received
