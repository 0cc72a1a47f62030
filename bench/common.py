"""Helpers for the benchmarks: processes on free ports, a keep-alive load generator, percentiles."""
from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


def cpu_seconds(database) -> float:
    """CPU time of this process and of the PostgreSQL backends of `database`'s pooled connections (if any):
    what a request costs whatever else the machine runs."""
    spent = time.process_time()
    pooled = [conn for _, _, conn in getattr(database, "_connections", [])]
    pooled += [entry.connection for entry in getattr(database, "_in_use", {}).values()]
    for conn in pooled:
        if hasattr(conn, "get_backend_pid"):
            # /proc/<pid>/stat after the command's ")": utime and stime are the 12th and 13th fields.
            fields = Path(f"/proc/{conn.get_backend_pid()}/stat").read_text().rsplit(")", 1)[1].split()
            spent += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return spent


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process `pid` and its descendants so far."""
    total = 0.0
    root = psutil.Process(pid)
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn(app: str, port: int, env: dict, workers: int, threads: int, log: Path,
             worker_class: str = "gthread") -> subprocess.Popen:
    args = [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--threads", str(threads), "--worker-class", worker_class, "--keep-alive", "30", "--log-level", "warning",
            "--graceful-timeout", "10"]  # within the 20 s a benchmark waits before it kills: no orphaned workers
    if os.path.isdir("/dev/shm"):  # as deploy/gunicorn.conf.py: the heartbeat file touched at every request, in memory
        args += ["--worker-tmp-dir", "/dev/shm"]
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)


def wait_ready(port: int, path: str = "/readyz", timeout: float = 30.0, headers: dict | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", path, headers=headers or {})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"port {port} did not become ready")


def load(port: int, path: str, headers: Callable[[], dict], requests: int, concurrency: int) -> dict:
    """`requests` GETs over `concurrency` keep-alive connections; returns rps and latency percentiles (ms)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    per_thread = requests // concurrency

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for _ in range(per_thread):
            started = time.perf_counter()
            conn.request("GET", path, headers=headers())
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                errors[0] += 1
        with lock:
            latencies.extend(mine)

    elapsed = run_threads([threading.Thread(target=worker) for _ in range(concurrency)])
    latencies.sort()
    return {"requests": len(latencies), "errors": errors[0], "rps": len(latencies) / elapsed,
            "p50": statistics.median(latencies), "p99": latencies[int(len(latencies) * 0.99) - 1]}


def run_threads(threads: list[threading.Thread]) -> float:
    """Start them all, wait for them all; the seconds it took."""
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def stop_process_group(process: subprocess.Popen, grace: float = 40.0) -> None:
    """SIGTERM to the process group `process` leads (started with `start_new_session`), SIGKILL after
    `grace` seconds."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def stop_tree(process: subprocess.Popen, settle: float = 30.0) -> None:
    """`stop_process_group`, then up to `settle` seconds for what it started to stop too (`make run-services`'
    make exits at once, and deploy/processes.py's children lead process groups of their own); what is left
    is said, not hidden (a stop that did not reach it is a fault to find), and killed."""
    try:
        tree = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        tree = []
    stop_process_group(process)
    _, left = psutil.wait_procs(tree, timeout=settle)
    if left:
        print(f"left running after the stop: {[p.pid for p in left]}; killed", file=sys.stderr)
    for leftover in left:
        with contextlib.suppress(psutil.Error):
            leftover.kill()


def base_env(data_dir: Path) -> dict:
    env = dict(os.environ)
    for key in [k for k in env if k.endswith("DATABASE_URL") or k == "AMQP_URL"]:
        env.pop(key)
    env.update(DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT), INTERNAL_TOKEN_SECRET="bench-secret-" + "x" * 20,
               LOG_LEVEL="WARNING", PASSWORD_HASH_MEMORY_KIB="1024", PASSWORD_HASH_TIME_COST="1")
    return env
