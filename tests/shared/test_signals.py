"""shared/signals.py: SIGTERM and SIGINT noted by their handler, acted on by the main thread; a burst of
signals, some landing while the main thread waits on an Event or while the handler runs, still ends the wait."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from shared.signals import StopSignals
from tests.support import sigterm_burst

ROOT = Path(__file__).resolve().parents[2]
WAITER = """
import sys, threading
from shared.signals import StopSignals
signals = StopSignals().install()
print("ready", flush=True)
print(signals.wait(until=threading.Event()), flush=True)
"""


def test_a_burst_of_sigterms_ends_the_main_threads_wait_with_the_signal():
    for _ in range(5):
        waiter = subprocess.Popen([sys.executable, "-c", WAITER], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            assert waiter.stdout.readline().strip() == "ready"
            sigterm_burst(waiter)
            output, _ = waiter.communicate(timeout=15)
            assert output.split() == [str(int(signal.SIGTERM))]
            assert waiter.returncode in (0, -signal.SIGTERM)  # a signal after its answer may end its exit
        finally:
            if waiter.poll() is None:
                waiter.kill()
                waiter.wait(5)


def test_the_wait_ends_without_a_signal_when_its_event_is_set():
    signals = StopSignals()  # not installed: the test's own handlers stay
    done = threading.Event()
    threading.Timer(0.2, done.set).start()
    started = time.monotonic()
    assert signals.wait(until=done) is None
    assert time.monotonic() - started < 10
    started = time.monotonic()
    assert signals.wait(until=threading.Event(), timeout=0.3) is None  # nothing came: the timeout ends it
    assert time.monotonic() - started >= 0.3
    signals._note(signal.SIGINT, None)
    signals._note(signal.SIGTERM, None)
    assert signals.wait(until=threading.Event()) == signal.SIGINT  # the first signal is the one kept
