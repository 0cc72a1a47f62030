"""The embedded default: the gateway, every service and every worker in one process.

    python -m services run

Each service keeps its own port, database file and worker, exactly as when it is
deployed alone; only the process is shared, which lets the in-process bus stand
in for RabbitMQ when `AMQP_URL` does not reach one.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import threading
from urllib.parse import urlparse

from werkzeug.serving import WSGIRequestHandler, make_server

from services import registry
from shared.bus import resolve_broker_url
from shared.config import amqp_url, data_dir, listen_host, log_level, service_url
from shared.logs import configure_logging

log = logging.getLogger("services")


class QuietRequestHandler(WSGIRequestHandler):
    """werkzeug's request handler without its `Server: Werkzeug/... Python/...` header:
    the answers need not tell anyone which software and versions to try."""

    def send_response(self, code, message=None):
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())


class Product:
    """Everything `make run` starts, and stops."""

    def __init__(self) -> None:
        self.servers = []
        self.workers = []
        self.extras = []
        self.stopped = threading.Event()

    def serve(self, name: str, app, port: int, host: str = "127.0.0.1") -> None:
        server = make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)
        thread = threading.Thread(target=server.serve_forever, name=f"http-{name}", daemon=True)
        thread.start()
        self.servers.append(server)
        log.info("service listening", extra={"service": name, "url": f"http://{host}:{port}"})

    def start(self) -> None:
        # Every app and worker of this process gets the same bus: RabbitMQ, or the in-process one.
        broker = resolve_broker_url(amqp_url(), fall_back=True)
        for service in registry.BACKENDS:
            if not service.installed():
                continue
            app_module = service.app_module()
            hook = getattr(app_module, "before_embedded_start", None)
            if hook is not None:
                self.extras.append(hook())
            app = app_module.create_app({"AMQP_URL": broker})
            self.serve(service.name, app, urlparse(service_url(service.name, service.port)).port)
            self.start_worker(service, app)
        gateway = registry.GATEWAY.app_module().create_app({"AMQP_URL": broker})
        self.extras.append(importlib.import_module("services.gateway.integrations").embedded_notice())
        self.serve("gateway", gateway, gateway.config["PORT"], listen_host("127.0.0.1"))
        self.start_worker(registry.GATEWAY, gateway)
        public = gateway.config["PUBLIC_URL"]
        print(f"\n  Support platform running at {public}\n"
              f"  API reference: {public}/api/docs\n"
              f"  Message bus: {'RabbitMQ' if broker.startswith('amqp') else 'in-process'}; "
              f"data in {data_dir()}\n", flush=True)
        for extra in self.extras:
            if extra:
                print(f"  {extra}", flush=True)

    def start_worker(self, service: registry.Service, app) -> None:
        """The service's worker on this process's threads, with its app's settings (so its bus)."""
        if service.has_worker():
            worker = service.worker_module().create_worker(dict(app.config), app.extensions.get("outbox"))
            self.workers.append(worker.start())

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
        for worker in self.workers:
            worker.stop(timeout=10)
        self.stopped.set()


def run() -> None:
    configure_logging(log_level())
    product = Product()
    product.start()

    def _stop(signum, _frame):
        log.info("stopping", extra={"signal": signum})
        threading.Thread(target=product.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    product.stopped.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services")
    parser.add_argument("command", choices=["run"])
    parser.parse_args(argv)
    run()


if __name__ == "__main__":
    sys.exit(main())
