"""Keep a process alive, as compose and Kubernetes do (`make run-services` runs deploy/processes.py under it).

    python deploy/respawn.py NAME -- COMMAND [ARG ...]

A process that dies (a crash, an out-of-memory kill, an operator's `kill -9`) is
started again after `RESPAWN_DELAY` seconds (doubling on each quick failure up to
`RESPAWN_MAX_DELAY`); deploy/processes.py keeps the same rule for each process it forks. SIGTERM or SIGINT is passed on to the child, which then stops for good.

The child runs in its own process group, so a signal meant for it (and its gunicorn
workers) reaches all of them and nothing else. Each start prints one JSON line:
`{"message": "process started", "process": NAME, "pid": ...}`.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

STABLE_AFTER = 30.0  # a child that ran this long resets the back-off
POLL = 0.1  # seconds: how soon a back-off's wait sees a stop


class Backoff:
    """How long to wait before starting a process that exited: `first`, doubling on each quick failure up to
    `most`; a process that ran `STABLE_AFTER` seconds waits `first` again."""

    def __init__(self, first: float, most: float) -> None:
        self.first = self.next = first
        self.most = most

    def after_exit(self, started: float) -> float:
        """The wait before the next start of a process started at `started` (time.monotonic) that exited now."""
        if time.monotonic() - started >= STABLE_AFTER:
            self.next = self.first
        delay, self.next = self.next, min(self.next * 2, self.most)
        return delay


def log(message: str, **fields) -> None:
    print(json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "level": "INFO",
                      "logger": "respawn", "message": message, **fields}), flush=True)


class Respawner:
    def __init__(self, name: str, command: list[str], delay: float, max_delay: float) -> None:
        self.name = name
        self.command = command
        self.backoff = Backoff(delay, max_delay)
        self.stopping = False
        self.child: subprocess.Popen | None = None

    def stop(self, signum: int, _frame=None) -> None:
        """The signal handler: it notes the stop and passes the signal on, and takes no lock. It runs between
        two bytecodes of the main thread, maybe inside itself: `make`'s process group gets SIGTERM and make
        sends it again, and a second handler waiting for a lock the first one held hung the respawner."""
        self.stopping = True
        child = self.child
        if child is not None and child.returncode is None:
            try:
                os.killpg(child.pid, signum)
            except ProcessLookupError:
                pass

    def run(self) -> int:
        returncode = 0
        while not self.stopping:
            started = time.monotonic()
            self.child = subprocess.Popen(self.command, start_new_session=True)
            log("process started", process=self.name, pid=self.child.pid)
            if self.stopping:  # a signal that came while it was being started
                self.stop(signal.SIGTERM)
            returncode = self.child.wait()
            if self.stopping:
                break
            delay = self.backoff.after_exit(started)
            log("process exited; starting it again", process=self.name, returncode=returncode,
                restart_in=delay)
            deadline = time.monotonic() + delay
            while not self.stopping and time.monotonic() < deadline:
                time.sleep(min(POLL, deadline - time.monotonic()))
            if self.stopping:
                break
        log("process stopped", process=self.name, returncode=returncode)
        return 0 if returncode in (0, -signal.SIGTERM, -signal.SIGINT) else returncode


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        print("usage: respawn.py NAME -- COMMAND [ARG ...]", file=sys.stderr)
        return 2
    respawner = Respawner(argv[1], argv[3:], float(os.environ.get("RESPAWN_DELAY", "1")),
                          float(os.environ.get("RESPAWN_MAX_DELAY", "30")))
    signal.signal(signal.SIGTERM, respawner.stop)
    signal.signal(signal.SIGINT, respawner.stop)
    return respawner.run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
