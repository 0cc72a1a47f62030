"""`make run-services`' workers: each service's worker its own process, all forked from one parent.

    python -m deploy.workers [NAME ...]      # the services whose workers to run; default: all of them

In compose and Kubernetes each worker is its own container running `python -m services.<name>.worker`,
and nothing can be shared between them. On one machine five such interpreters each held their own copy
of the same libraries (kombu, peewee, psycopg2, marshmallow, prometheus_client, `shared/`): about
27 MiB PSS apiece (issue 23). Here the parent imports every worker's module once, freezes what it made
(`gc.freeze`, as gunicorn's `pre_fork` does for the web workers) and forks one child per worker, which
then builds its worker, opens its own connections and runs `main()`: the imported code and data stay in
memory once, copy-on-write. The parent opens no connection and starts no thread.

Like deploy/respawn.py, a child that dies (a crash, an operator's `kill -9`) is forked again after
`RESPAWN_DELAY` seconds, doubling on each quick failure up to `RESPAWN_MAX_DELAY`; each start prints one
JSON line `{"logger": "respawn", "message": "process started", "process": "<name>-worker", "pid": ...}`,
and each child's own log lines carry `"process": "<name>-worker"`, since they share honcho's prefix.
SIGTERM or SIGINT stops every child (SIGTERM, SIGKILL after `STOP_TIMEOUT`), then the parent; a child
also gets SIGTERM from the kernel if the parent dies without passing it on.
"""
from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from deploy.respawn import Backoff, log
from services.registry import ALL, BY_NAME
from services.supervisor import die_with_parent
from shared.logs import configure_logging

STOP_TIMEOUT = 15.0
POLL = 0.2


@dataclass
class Worker:
    service: str
    backoff: Backoff
    pid: int = 0
    started: float = 0.0
    due: float = 0.0  # when to fork it (again)

    @property
    def name(self) -> str:
        return f"{self.service}-worker"


def run_child(worker: Worker, parent: int) -> None:
    """In the forked child: the service's worker, then exit without returning into the parent's loop."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # the worker sets its own; until then, the default
        die_with_parent(parent)()  # SIGTERM's default too
        with contextlib.suppress(OSError):  # `top` and psutil's name(): the kernel keeps 15 bytes of it
            Path("/proc/self/comm").write_text(worker.name[:15])
        configure_logging(fields={"process": worker.name})
        BY_NAME[worker.service].worker_module().main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # noqa: BLE001 - whatever ends the child is printed, then the parent forks it again
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


class Workers:
    def __init__(self, services: list[str], delay: float, max_delay: float) -> None:
        self.workers = [Worker(service, Backoff(delay, max_delay)) for service in services]
        self.stopping = False

    def fork(self, worker: Worker) -> None:
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            run_child(worker, parent)
        worker.pid, worker.started = pid, time.monotonic()
        log("process started", process=worker.name, pid=pid)

    def reap(self) -> None:
        """Note each child that exited, and when to fork it again."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            for worker in self.workers:
                if worker.pid == pid:
                    worker.pid = 0
                    if self.stopping:
                        continue
                    delay = worker.backoff.after_exit(worker.started)
                    worker.due = time.monotonic() + delay
                    log("process exited; starting it again", process=worker.name,
                        returncode=os.waitstatus_to_exitcode(status), restart_in=delay)

    def stop(self, _signum=None, _frame=None) -> None:
        self.stopping = True
        for worker in self.workers:
            if worker.pid:
                try:
                    os.kill(worker.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass

    def run(self) -> int:
        """Until SIGTERM or SIGINT: fork each worker when it is due. Then wait for the children."""
        for worker in self.workers:
            self.fork(worker)
        while not self.stopping:
            time.sleep(POLL)
            self.reap()
            for worker in self.workers:
                if not worker.pid and not self.stopping and time.monotonic() >= worker.due:
                    self.fork(worker)
        deadline = time.monotonic() + STOP_TIMEOUT
        while any(w.pid for w in self.workers) and time.monotonic() < deadline:
            time.sleep(POLL / 2)
            self.reap()
        for worker in self.workers:
            if worker.pid:
                os.kill(worker.pid, signal.SIGKILL)
        log("process stopped", process="workers", returncode=0)
        return 0


def main(argv: list[str]) -> int:
    services = argv or [service.name for service in ALL if service.has_worker()]
    unknown = [name for name in services if name not in BY_NAME or not BY_NAME[name].has_worker()]
    if unknown:
        print(f"usage: python -m deploy.workers [NAME ...]; no such worker: {' '.join(unknown)}", file=sys.stderr)
        return 2
    for name in services:  # imported once, here, and shared by every child
        BY_NAME[name].worker_module()
    gc.collect()
    gc.freeze()
    workers = Workers(services, float(os.environ.get("RESPAWN_DELAY", "1")),
                      float(os.environ.get("RESPAWN_MAX_DELAY", "30")))
    signal.signal(signal.SIGTERM, workers.stop)
    signal.signal(signal.SIGINT, workers.stop)
    return workers.run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
