"""A RabbitMQ node of the test's own, on another port, that a test may kill without
disturbing anything else using the machine's broker."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path


class PrivateBroker:
    def __init__(self, base: Path, port: int, dist_port: int) -> None:
        self.base = base
        self.port = port
        self.dist_port = dist_port
        self.name = f"test{port}@localhost"
        self.process: subprocess.Popen | None = None
        for sub in ("mnesia", "log"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        (base / "plugins").write_text("[].\n")
        (base / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{port}\nloopback_users = none\n")
        base.chmod(0o755)
        shutil.chown(base, "rabbitmq", "rabbitmq")
        for path in base.rglob("*"):
            shutil.chown(path, "rabbitmq", "rabbitmq")

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def env(self) -> dict:
        env = dict(os.environ)
        env.update(
            RABBITMQ_CONFIG_FILE=str(self.base / "rabbitmq.conf"), RABBITMQ_NODENAME=self.name,
            RABBITMQ_NODE_PORT=str(self.port), RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=str(self.base / "mnesia"), RABBITMQ_LOG_BASE=str(self.base / "log"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.base / "plugins"), RABBITMQ_PID_FILE=str(self.base / "pid"),
            RABBITMQ_FEATURE_FLAGS_FILE=str(self.base / "feature_flags"),
            RABBITMQ_QUORUM_DIR=str(self.base / "quorum"), RABBITMQ_STREAM_DIR=str(self.base / "stream"),
        )
        return env

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def start(self, timeout: float = 90.0) -> None:
        with open(self.base / "server.out", "ab") as out:
            self.process = subprocess.Popen(["rabbitmq-server"], env=self.env(), stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.answers():
                return
            if self.process.poll() is not None:
                tail = (self.base / "server.out").read_text(errors="replace")[-3000:]
                raise RuntimeError("the private RabbitMQ node exited while starting:\n" + tail)
            time.sleep(0.25)
        raise RuntimeError("the private RabbitMQ node did not start")

    def kill(self) -> None:
        """SIGKILL the whole node, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        # The node's name is in its environment, not its command line.
        marker = f"RABBITMQ_NODENAME={self.name}".encode()
        for proc in Path("/proc").iterdir():
            try:
                if proc.name.isdigit() and marker in (proc / "environ").read_bytes().split(b"\0"):
                    os.kill(int(proc.name), signal.SIGKILL)
            except (OSError, ProcessLookupError):
                continue
        deadline = time.monotonic() + 10
        while self.answers() and time.monotonic() < deadline:
            time.sleep(0.1)


def rabbitmq_available() -> bool:
    return shutil.which("rabbitmq-server") is not None and os.geteuid() == 0
