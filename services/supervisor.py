"""`make run` with a broker: each service (its app and its worker) as a child process of one parent.

In one process every service and worker shares one GIL: at 100 agent replies a second the reply's
inbox item reached the customer's stream at p99 120 ms, against 25 ms with a process per service
(issue 23). When the bus crosses processes (RabbitMQ answers at `AMQP_URL`), unless
`EMBEDDED_PROCESSES=one` asks for one process, the parent starts `python -m services run --service NAME`
for each service instead, on the ports and data files the one-process run uses, and watches them:

- SIGTERM or SIGINT (Ctrl-C) to the parent stops every child (SIGTERM, then SIGKILL after
  `STOP_TIMEOUT`); each child also gets SIGTERM from the kernel if the parent dies without
  passing it on (Linux's parent-death signal), so none is left behind;
- a child that dies is logged and started again, after a back-off; one that dies while the
  product is still starting stops the whole run (a port in use, a broken setting), as the
  one-process run would.
"""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from shared.config import environment_with
from shared.signals import StopSignals

log = logging.getLogger("services")

STOP_TIMEOUT = 15.0
RESTART_DELAY = 1.0
RESTART_MAX_DELAY = 30.0
STABLE_AFTER = 30.0  # a child that ran this long starts again without waiting longer than RESTART_DELAY
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int):
    """In the child, before exec: SIGTERM when the parent goes (Linux; elsewhere the parent's stop does it).

    Until the exec the child still has the parent's Python handler for SIGTERM, which would only note
    the signal, so the default action comes back first. A parent that died between the fork and the
    `prctl` sends no signal: the child then finds it has another parent already and ends."""
    def arm() -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            return
        if os.getppid() != parent:
            os._exit(1)
    return arm


@dataclass
class Child:
    name: str
    process: subprocess.Popen | None = None
    started: float = 0.0
    delay: float = RESTART_DELAY
    restarts: int = field(default=0)


class Supervisor:
    """Starts, watches and stops one child process per service."""

    def __init__(self, names: list[str], env: dict, ready_after: float = 0.0, command=None,
                 signals: StopSignals | None = None) -> None:
        self.children = [Child(name) for name in names]
        self.env = env
        self.command = command or self.service_command
        self.stopping = threading.Event()
        self.signals = signals or StopSignals()  # SIGTERM or SIGINT, noted by their handler once installed
        self.failed: str | None = None
        self.ready_after = ready_after  # until then a child's death fails the run instead of a restart

    @staticmethod
    def service_command(name: str) -> list[str]:
        return [sys.executable, "-m", "services", "run", "--service", name]

    def spawn(self, child: Child) -> None:
        child.process = subprocess.Popen(self.command(child.name), env=self.env, preexec_fn=die_with_parent(os.getpid()))
        child.started = time.monotonic()
        log.info("service process started", extra={"service": child.name, "pid": child.process.pid})

    def start(self) -> None:
        for child in self.children:
            self.spawn(child)

    def stop_noted(self) -> bool:
        """Whether the run is stopping: a signal its handler noted makes it so, here in the main thread."""
        if self.signals.received is not None and not self.stopping.is_set():
            log.info("stopping", extra={"signal": self.signals.received})
            self.stopping.set()
        return self.stopping.is_set()

    def pause(self, seconds: float) -> bool:
        """Wait up to `seconds`, seeing a signal within `shared.signals.POLL`; whether the run is stopping."""
        self.signals.wait(until=self.stopping, timeout=seconds)
        return self.stop_noted()

    def watch(self, poll: float = 0.2) -> int:
        """Until stopped: restart what dies. Returns the run's exit status."""
        while not self.pause(poll):
            for child in self.children:
                code = child.process.poll() if child.process else None
                if code is None or self.stop_noted():  # a child that got the same Ctrl-C is not restarted
                    continue
                if time.monotonic() < self.ready_after:
                    log.error("service process exited while starting; stopping",
                              extra={"service": child.name, "returncode": code})
                    self.failed = child.name
                    self.stop()
                    return 1
                self.restart(child, code)
        return 1 if self.failed else 0

    def restart(self, child: Child, code: int) -> None:
        if time.monotonic() - child.started >= STABLE_AFTER:
            child.delay = RESTART_DELAY
        log.warning("service process exited; starting it again",
                    extra={"service": child.name, "returncode": code, "restart_in": child.delay})
        if self.pause(child.delay):
            return
        child.delay = min(child.delay * 2, RESTART_MAX_DELAY)
        child.restarts += 1
        self.spawn(child)

    def stop(self, _signum=None, _frame=None) -> None:
        """Every child: SIGTERM, then SIGKILL for one still running after STOP_TIMEOUT."""
        self.stopping.set()
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            try:
                process.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def supervise(names: list[str], broker: str, startup_grace: float = 20.0, command=None) -> int:
    """Run each service in `names` as its own process on `broker`, until SIGTERM or SIGINT.
    `command(name)`: the child's command line (tests give their own)."""
    env = environment_with(AMQP_URL=broker)
    supervisor = Supervisor(names, env, ready_after=time.monotonic() + startup_grace, command=command,
                            signals=StopSignals().install())
    supervisor.start()
    code = supervisor.watch()
    supervisor.stop()
    return code
