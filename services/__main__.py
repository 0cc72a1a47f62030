"""The embedded default: the gateway, every service and every worker.

    python -m services run                     # what `make run` starts
    python -m services run --service tickets   # one service and its worker (what the parent starts)

Each service keeps its own port, database file and worker, exactly as when it is
deployed alone. When a broker answers at `AMQP_URL`, each service runs as a child process
of this one (services/supervisor.py), so they do not share a GIL; without one, every service
shares this process, and the in-process bus stands in for RabbitMQ (`EMBEDDED_PROCESSES=one`
keeps one process on a broker too).
"""
from __future__ import annotations

import argparse
import importlib
import logging
import socket
import sys
import threading
import time
from urllib.parse import urlparse

from waitress.server import create_server

from services import registry
from shared.bus import resolve_broker_url
from shared.config import amqp_url, data_dir, embedded_process_per_service, listen_host, log_level, service_url
from shared.logs import configure_logging
from shared.signals import StopSignals

log = logging.getLogger("services")


class Product:
    """Everything `make run` starts, and stops."""

    def __init__(self) -> None:
        self.servers = []
        self.workers = []
        self.extras = []
        self.stopped = threading.Event()

    def serve(self, name: str, app, port: int, host: str = "127.0.0.1") -> None:
        """The app on waitress: kept-alive connections, and as many threads as the service takes deployed
        (services/registry.py). No `Server` header (it would tell anyone which software to try), and the
        `X-Forwarded-*` headers left to the app (the gateway's ProxyFix trusts TRUSTED_PROXY_COUNT hops)."""
        server = create_server(app, host=host, port=port, threads=registry.BY_NAME[name].threads, ident="",
                               clear_untrusted_proxy_headers=False, connection_limit=1000, asyncore_use_poll=True)
        thread = threading.Thread(target=server.run, name=f"http-{name}", daemon=True)
        thread.start()
        self.servers.append(server)
        log.info("service listening", extra={"service": name, "url": f"http://{host}:{port}"})

    def start(self, broker: str, only: str | None = None) -> None:
        """Every service (or `only` the one named) with its worker; every app and worker of this
        process gets the same bus: RabbitMQ, or the in-process one."""
        for service in registry.BACKENDS:
            if not service.installed() or only not in (None, service.name):
                continue
            app_module = service.app_module()
            hook = getattr(app_module, "before_embedded_start", None)
            if hook is not None:
                self.extras.append(hook())
            app = app_module.create_app({"AMQP_URL": broker})
            self.serve(service.name, app, urlparse(service_url(service.name, service.port)).port)
            self.start_worker(service, app)
        if only in (None, registry.GATEWAY.name):
            self.start_gateway(broker, wait_for_backends=only is not None)
        for extra in self.extras:
            if extra:
                print(f"  {extra}", flush=True)

    def start_gateway(self, broker: str, wait_for_backends: bool = False) -> None:
        gateway = registry.GATEWAY.app_module().create_app({"AMQP_URL": broker})
        self.extras.append(importlib.import_module("services.gateway.integrations").embedded_notice())
        if wait_for_backends:  # its own process: it answers (and says it runs) once the services behind it do
            for service in registry.BACKENDS:
                if service.installed():
                    wait_until_listening(service_url(service.name, service.port))
        self.serve("gateway", gateway, gateway.config["PORT"], listen_host("127.0.0.1"))
        self.start_worker(registry.GATEWAY, gateway)
        public = gateway.config["PUBLIC_URL"]
        print(f"\n  Support platform running at {public}\n"
              f"  API reference: {public}/api/docs\n"
              f"  Message bus: {'RabbitMQ' if broker.startswith('amqp') else 'in-process'}; "
              f"data in {data_dir()}\n", flush=True)

    def start_worker(self, service: registry.Service, app) -> None:
        """The service's worker on this process's threads, with its app's settings (so its bus)."""
        if service.has_worker():
            worker = service.worker_module().create_worker(dict(app.config), app.extensions.get("outbox"))
            self.workers.append(worker.start())

    def stop(self) -> None:
        """Everything is told to stop at once, then waited for: each server's loop and each
        worker's threads take up to a poll interval to notice, and need not take turns."""
        for worker in self.workers:
            worker.request_stop()
        closing = [threading.Thread(target=stop_server, args=(server,), daemon=True) for server in self.servers]
        for thread in closing:
            thread.start()
        for thread in closing:
            thread.join(10)
        for worker in self.workers:
            worker.stop(timeout=10)
        self.stopped.set()


def stop_server(server) -> None:
    """No new connection, then the requests in hand finished (an open stream is left after 5 s)."""
    server.close()
    server.task_dispatcher.shutdown(timeout=5)


def wait_until_listening(url: str, timeout: float = 120.0) -> bool:
    """Until something accepts connections at `url`'s port (a service binds it once its app is made)."""
    parsed = urlparse(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((parsed.hostname, parsed.port), timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    log.warning("service not listening", extra={"url": url})
    return False


def run(only: str | None = None) -> int:
    configure_logging(log_level())
    broker = resolve_broker_url(amqp_url(), fall_back=True)
    if only is None and not broker.startswith("memory") and embedded_process_per_service():
        from services.supervisor import supervise

        return supervise([s.name for s in registry.BACKENDS if s.installed()] + [registry.GATEWAY.name], broker)
    product = Product()
    product.start(broker, only)

    signals = StopSignals().install()
    if (signum := signals.wait(until=product.stopped)) is not None:
        log.info("stopping", extra={"signal": signum})
        product.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services")
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--service", choices=[s.name for s in registry.ALL],
                        help="only this service and its worker (the parent of `run` starts one per service)")
    args = parser.parse_args(argv)
    return run(args.service)


if __name__ == "__main__":
    sys.exit(main())
