"""The product's services, in one place: their names, the ports they take in the
embedded default, and where their app and worker live.

The launcher (`python -m services run`), the migrations command and the gateway's
routing defaults read this table; `shared/` never names a service.
"""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Service:
    name: str
    port: int  # in the embedded default; deployments set <NAME>_URL / PORT
    # Requests served at once by a process (gunicorn's threads per worker, `make run`'s per service): an open
    # text/event-stream holds one for as long as its page stays open, hence more for those that stream.
    threads: int = 8

    @property
    def package(self) -> str:
        return f"services.{self.name}"

    def installed(self) -> bool:
        """Whether its package is here: an image holds only its own service's."""
        return importlib.util.find_spec(self.package) is not None

    def has_worker(self) -> bool:
        return self.installed() and importlib.util.find_spec(f"{self.package}.worker") is not None

    def app_module(self) -> ModuleType:
        """`services.<name>.app`: `create_app`, `init_database` and `MIGRATIONS`."""
        return importlib.import_module(f"{self.package}.app")

    def worker_module(self) -> ModuleType:
        """`services.<name>.worker`: `create_worker`."""
        return importlib.import_module(f"{self.package}.worker")


# The services behind the gateway, in start order; the gateway starts last, on PORT.
BACKENDS = (
    Service("tickets", 8101, threads=32),  # live chats
    Service("notifications", 8102, threads=64),  # the notifications stream
    Service("video", 8103),
    Service("referrals", 8104),
)
GATEWAY = Service("gateway", 8000, threads=32)  # relays both
ALL = (GATEWAY, *BACKENDS)
BY_NAME = {service.name: service for service in ALL}
DEFAULT_PORTS = {service.name: service.port for service in BACKENDS}
