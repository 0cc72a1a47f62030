"""`make run-services`' processes: each service's gunicorn and each service's worker, all forked from one parent.

    python -m deploy.processes [NAME ...]    # gateway, tickets, ..., tickets-worker, ...; default: all of them

In compose and Kubernetes each of them is its own container, and nothing can be shared between them. On
one machine ten interpreters each held their own copy of the same libraries (Flask, werkzeug, marshmallow,
peewee, psycopg2, kombu, prometheus_client, `shared/`) and of each service's own code (issue 23). Here the
parent imports every process's modules once (each service's app and worker, and gunicorn), freezes what it
made (`gc.freeze`) and forks one child per process: a gunicorn master that then makes its app and forks its
own workers (deploy/gunicorn.conf.py, as `gunicorn -c deploy/gunicorn.conf.py` would), or a service's worker
that builds itself and opens its own connections. The imported code and data stay in memory once,
copy-on-write. The parent opens no connection and starts no thread.

A child that dies (a crash, an operator's `kill -9`) is forked again after `RESPAWN_DELAY` seconds, doubling
on each quick failure up to `RESPAWN_MAX_DELAY` (deploy/respawn.py's rule); each start prints one JSON line
`{"logger": "respawn", "message": "process started", "process": NAME, "pid": ...}`, and each child's own
lines (a gunicorn's workers' too) carry `"process": NAME`: they all write JSON lines to the same stdout, each
line in one write. A child leads its own process group: a signal meant for a gunicorn reaches its workers and nothing else. SIGTERM or SIGINT
stops every child (SIGTERM, SIGKILL after `STOP_TIMEOUT`), then the parent; a child also gets SIGTERM from
the kernel if the parent dies without passing it on.

Each web process listens on `<NAME>_PORT`. The gateway, notifications, video and referrals wait on their
peers, database and streams more than they compute: one gunicorn worker each (its threads serve) unless
`<NAME>_GUNICORN_WORKERS` says otherwise; tickets takes `GUNICORN_WORKERS`. Each takes its threads from
services/registry.py unless `<NAME>_GUNICORN_THREADS` says otherwise: an open text/event-stream
(notifications, live chats, and the gateway relaying them) holds one, so those three take more. Metric values go to `PROMETHEUS_MULTIPROC_DIR/<NAME>` (a directory of
the parent's own when unset), one per process, as each container has its own. A file named by
`RUN_SERVICES_ENV_FILE` (`.env.services`), when present, sets more variables; its values win.
"""
from __future__ import annotations

import contextlib
import gc
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from deploy.respawn import Backoff, log

ROOT = Path(__file__).resolve().parent.parent
STOP_TIMEOUT = 15.0
POLL = 0.2
# A web process's gunicorn workers unless <NAME>_GUNICORN_WORKERS says otherwise; None: GUNICORN_WORKERS's.
WEB = {"gateway": 1, "tickets": None, "notifications": 1, "video": 1, "referrals": 1}


@dataclass
class Child:
    name: str  # a service (its gunicorn) or "<service>-worker"
    backoff: Backoff
    pid: int = 0
    started: float = 0.0
    due: float = 0.0  # when to fork it (again)

    @property
    def service(self) -> str:
        return self.name.removesuffix("-worker")

    @property
    def is_worker(self) -> bool:
        return self.name.endswith("-worker")


def every_process() -> list[str]:
    from services.registry import ALL

    return ([s.name for s in ALL if s.installed()] + [f"{s.name}-worker" for s in ALL if s.has_worker()])


def run_web(service: str) -> None:
    """gunicorn's master for `service`, as `gunicorn -c deploy/gunicorn.conf.py` runs it."""
    from gunicorn.app.wsgiapp import WSGIApplication

    from services.registry import BY_NAME

    prefix = service.upper()
    os.environ.update(SERVICE_NAME=service, PORT=os.environ[f"{prefix}_PORT"],
                      GUNICORN_THREADS=os.environ.get(f"{prefix}_GUNICORN_THREADS") or str(BY_NAME[service].threads))
    if workers := os.environ.get(f"{prefix}_GUNICORN_WORKERS") or WEB[service]:
        os.environ["GUNICORN_WORKERS"] = str(workers)
    sys.argv = ["gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")]
    WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()


def run_child(child: Child, parent: int, metrics_dir: str) -> None:
    """In the forked child: its gunicorn or its worker, then exit without returning into the parent's loop."""
    code = 1
    try:
        from services.registry import BY_NAME
        from services.supervisor import die_with_parent
        from shared.logs import configure_logging

        signal.signal(signal.SIGINT, signal.SIG_DFL)  # gunicorn and the worker set their own; until then, the default
        die_with_parent(parent)()  # SIGTERM's default too
        os.setpgid(0, 0)
        with contextlib.suppress(OSError):  # `top` and psutil's name(): the kernel keeps 15 bytes of it
            Path("/proc/self/comm").write_text(child.name[:15])
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = own = os.path.join(metrics_dir, child.name)
        shutil.rmtree(own, ignore_errors=True)  # a process forked again starts its counters again, like a container
        os.makedirs(own)
        configure_logging(fields={"process": child.name})
        if child.is_worker:
            BY_NAME[child.service].worker_module().main()
        else:
            run_web(child.service)
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # noqa: BLE001 - whatever ends the child is printed, then the parent forks it again
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


class Processes:
    def __init__(self, names: list[str], metrics_dir: str, delay: float, max_delay: float) -> None:
        self.children = [Child(name, Backoff(delay, max_delay)) for name in names]
        self.metrics_dir = metrics_dir
        self.stopping = False

    def fork(self, child: Child) -> None:
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            run_child(child, parent, self.metrics_dir)
        child.pid, child.started = pid, time.monotonic()
        log("process started", process=child.name, pid=pid)

    def reap(self) -> None:
        """Note each child that exited, and when to fork it again."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            for child in self.children:
                if child.pid == pid:
                    child.pid = 0
                    if self.stopping:
                        continue
                    delay = child.backoff.after_exit(child.started)
                    child.due = time.monotonic() + delay
                    log("process exited; starting it again", process=child.name,
                        returncode=os.waitstatus_to_exitcode(status), restart_in=delay)

    def stop(self, _signum=None, _frame=None) -> None:
        """SIGTERM to each child; as the signal handler it takes no lock (shared/signals.py says why)."""
        self.stopping = True
        for child in self.children:
            if child.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGTERM)

    def run(self) -> int:
        """Until SIGTERM or SIGINT: fork each child when it is due. Then wait for them."""
        for child in self.children:
            self.fork(child)
        while not self.stopping:
            time.sleep(POLL)
            self.reap()
            for child in self.children:
                if not child.pid and not self.stopping and time.monotonic() >= child.due:
                    self.fork(child)
        self.stop()  # again from here: a child forked while the handler ran got no signal from it
        deadline = time.monotonic() + STOP_TIMEOUT
        while any(c.pid for c in self.children) and time.monotonic() < deadline:
            time.sleep(POLL / 2)
            self.reap()
        for child in self.children:
            if child.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
        log("process stopped", process="processes", returncode=0)
        return 0


def preload(children: list[Child]) -> None:
    """Import, once and here, what the children run: each service's app or worker, and gunicorn."""
    from services.registry import BY_NAME

    for child in children:
        service = BY_NAME[child.service]
        if child.is_worker:
            service.worker_module()
        else:
            service.app_module()
    if any(not child.is_worker for child in children):
        import gunicorn.app.wsgiapp  # noqa: F401
        import gunicorn.arbiter  # noqa: F401
        import gunicorn.workers.gthread  # noqa: F401
    gc.collect()
    gc.freeze()


def main(argv: list[str]) -> int:
    from dotenv import load_dotenv

    load_dotenv(os.environ.get("RUN_SERVICES_ENV_FILE") or ".env.services", override=True)
    known = every_process()
    names = argv or known
    unknown = [name for name in names if name not in known]
    if unknown:
        print(f"usage: python -m deploy.processes [NAME ...]; no such process: {' '.join(unknown)}; "
              f"known: {' '.join(known)}", file=sys.stderr)
        return 2
    if unset := [f"{name.upper()}_PORT" for name in names if name in WEB and not os.environ.get(f"{name.upper()}_PORT")]:
        print(f"deploy.processes: set {' '.join(unset)}", file=sys.stderr)
        return 2
    # Before prometheus_client is first imported: it picks its multi-process mode then, once for every child.
    own_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="prometheus-run-services-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    processes = Processes(names, metrics_dir, float(os.environ.get("RESPAWN_DELAY", "1")),
                          float(os.environ.get("RESPAWN_MAX_DELAY", "30")))
    preload(processes.children)
    signal.signal(signal.SIGTERM, processes.stop)
    signal.signal(signal.SIGINT, processes.stop)
    try:
        return processes.run()
    finally:
        if own_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
