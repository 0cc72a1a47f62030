"""`make run` with a broker runs each service as a child of one parent (services/supervisor.py):
the children stop with the parent, however the parent stops, and a child that dies is started again.

The children here are stand-ins (a sleeping Python) so the test checks the supervision alone."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap

import psutil
import pytest

from tests.e2e.harness import ROOT, wait_for

PARENT = textwrap.dedent("""
    import sys
    from services.supervisor import supervise
    from shared.logs import configure_logging

    configure_logging("INFO")
    child = [sys.executable, "-c", "import time; time.sleep(300)"]
    sys.exit(supervise(["tickets", "gateway"], "amqp://unused", startup_grace=0, command=lambda name: child))
""")


@pytest.fixture
def parent(tmp_path):
    log = open(tmp_path / "parent.log", "w+")
    process = subprocess.Popen([sys.executable, "-c", PARENT], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                               env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    process.log_path = tmp_path / "parent.log"
    yield process
    for child in _children(process):
        child.kill()
    if process.poll() is None:
        process.kill()
        process.wait(10)


def _children(process: subprocess.Popen) -> list[psutil.Process]:
    try:
        return psutil.Process(process.pid).children()
    except psutil.NoSuchProcess:
        return []


def _two_children(parent) -> list[psutil.Process]:
    return wait_for(lambda: (lambda found: found if len(found) == 2 else None)(_children(parent)),
                    timeout=20, message="the parent's two children")


def _all_gone(processes: list[psutil.Process]) -> bool:
    return not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in processes)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_the_parent_stops_every_child_and_the_parent(parent, signum):
    children = _two_children(parent)
    parent.send_signal(signum)
    assert parent.wait(30) == 0
    wait_for(lambda: _all_gone(children), timeout=10, message="the children to stop")


def test_the_children_stop_when_the_parent_is_killed_without_a_word(parent):
    children = _two_children(parent)
    parent.kill()
    parent.wait(10)
    wait_for(lambda: _all_gone(children), timeout=10, message="the orphaned children to stop")


def test_a_child_that_dies_is_logged_and_started_again(parent):
    first, second = _two_children(parent)
    first.kill()
    replaced = wait_for(lambda: (lambda now: now if len(now) == 2 and first.pid not in {c.pid for c in now}
                                 else None)(_children(parent)), timeout=20, message="a new child")
    assert second.pid in {c.pid for c in replaced}
    lines = [json.loads(line) for line in parent.log_path.read_text().splitlines() if line.startswith("{")]
    name = next(line["service"] for line in lines
                if line["message"] == "service process started" and line["pid"] == first.pid)
    exits = [line for line in lines if line["message"] == "service process exited; starting it again"]
    assert [(e["service"], e["returncode"]) for e in exits] == [(name, -signal.SIGKILL)]
