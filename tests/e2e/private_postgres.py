"""A PostgreSQL server of a test's own, on a free port, from the cluster binaries (never the machine's own
server): it can be stopped hard and started again. The server runs as the postgres user (initdb refuses root)."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else None


def postgres_binaries_available() -> bool:
    return _bin("initdb") is not None and (os.geteuid() != 0 or shutil.which("runuser") is not None)


class PrivatePostgres:
    def __init__(self, port: int) -> None:
        self.port = port
        # The server's user must reach its folder: not pytest's private tmp folders.
        self.base = Path(tempfile.mkdtemp(prefix="pg-", dir="/tmp"))
        self.data = self.base / "data"
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)

    def init(self) -> None:
        self._run(_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-w", "-t", "60", "-l", str(self.base / "server.log"),
                  "-o", f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self, mode: str = "immediate") -> None:
        """`immediate`: no shutdown checkpoint, connections cut, as a crash would (WAL replays at start)."""
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-w", "-m", mode, "stop")

    def remove(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.base, ignore_errors=True)
