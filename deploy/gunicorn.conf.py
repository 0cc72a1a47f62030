"""Gunicorn settings for every service, one environment variable each.

    gunicorn -c deploy/gunicorn.conf.py 'services.<name>.app:create_app()'
    SERVICE_NAME=<name> gunicorn -c deploy/gunicorn.conf.py     # what the images run

`gthread` workers by default: the gateway relays the notifications stream and the
notifications service serves it (`text/event-stream`), tickets' live chats stream
too, and each open stream holds one thread for as long as the page stays open, so a
sync worker would be taken by the first stream. Those three get more threads by
default; size `GUNICORN_THREADS` for the streams you expect per replica.
"""
from __future__ import annotations

import gc
import logging
import os
import shutil
import tempfile

from gunicorn import glogging

from services.registry import BY_NAME


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _str(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


service = _str("SERVICE_NAME", "")
# The app, unless the command line names one: the image's command names none.
wsgi_app = f"services.{service}.app:create_app()" if service else None
bind = _str("GUNICORN_BIND", f"{_str('HOST', '0.0.0.0')}:{_int('PORT', 8000)}")
workers = _int("GUNICORN_WORKERS", 2)
threads = _int("GUNICORN_THREADS", BY_NAME[service].threads if service in BY_NAME else 8)  # services/registry.py
worker_class = _str("GUNICORN_WORKER_CLASS", "gthread")
# The app is made once in the master and its workers are forked from it, sharing its pages (its code,
# its imported libraries) copy-on-write: with two workers a service takes about half the memory
# (issue 23). `pre_fork` below closes the master's pooled connections and freezes its objects first.
preload_app = _str("GUNICORN_PRELOAD", "true").lower() in {"1", "true", "yes", "on"}
# The worker heartbeat: a thread stuck this long gets its worker restarted. Open
# streams do not count (gthread beats from its own loop), slow upstream calls do.
timeout = _int("GUNICORN_TIMEOUT", 60)
# SIGTERM lets requests in flight finish for this long; Kubernetes' grace period is longer.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 25)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 500)
# The heartbeat files live in memory: the container's root file system is read-only.
worker_tmp_dir = _str("GUNICORN_WORKER_TMP_DIR", "/dev/shm" if os.path.isdir("/dev/shm") else "") or None
# Each process writes its metric values to files here and a scrape of any process sums them (shared/metrics.py).
# Emptied when gunicorn starts; a worker's files are retired when it exits (child_exit below).
metrics_dir = _str("PROMETHEUS_MULTIPROC_DIR",
                   os.path.join(worker_tmp_dir or tempfile.gettempdir(), f"prometheus-{service or 'support'}-{os.getpid()}"))
os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir  # before any worker imports prometheus_client
# The control socket would default to one path under $HOME for every gunicorn on the machine.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
# Behind the ingress or the compose network; ProxyFix in the gateway trusts only TRUSTED_PROXY_COUNT hops.
forwarded_allow_ips = _str("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = service or "support"
loglevel = _str("LOG_LEVEL", "info").lower()
errorlog = "-"
accesslog = "-" if _str("GUNICORN_ACCESS_LOG", "true").lower() in {"1", "true", "yes", "on"} else None

# Probes hit these every few seconds; a log line each would drown the rest.
QUIET_PATHS = {"/healthz", "/readyz"}


class JsonLogger(glogging.Logger):
    """Gunicorn's own logs as JSON lines, like the services' (`shared.logs`).

    The access line names the path without its query string, which may carry a
    guest link's token.
    """

    def setup(self, cfg) -> None:
        super().setup(cfg)
        from shared.logs import RedactSecrets, json_formatter

        for logger in (self.error_log, self.access_log):
            for handler in logger.handlers:
                handler.setFormatter(json_formatter())
                if not any(isinstance(f, RedactSecrets) for f in handler.filters):
                    handler.addFilter(RedactSecrets())

    def access(self, resp, req, environ, request_time) -> None:
        if not self.access_log_enabled:
            return
        path = environ.get("PATH_INFO", "")
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        status = int(status)
        if path in QUIET_PATHS and status < 400:
            return
        duration_ms = request_time.seconds * 1000 + request_time.microseconds / 1000
        self.access_log.log(logging.INFO, "request", extra={
            "method": environ.get("REQUEST_METHOD"), "path": path, "status": status,
            "duration_ms": round(duration_ms, 1), "bytes": getattr(resp, "sent", None),
            "remote": environ.get("REMOTE_ADDR"), "request_id": environ.get("HTTP_X_REQUEST_ID"),
            "pid": os.getpid()})


logger_class = JsonLogger


def on_starting(_server) -> None:
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, exist_ok=True)


def when_ready(server) -> None:
    """In the master, once the preloaded app is made and before the first worker is forked: one request
    to `/healthz` through it. A Flask app builds much of what serves a request (its URL matcher, the
    request and response machinery, the lazily imported modules) at its first request: built here, it
    is shared by the workers instead of built again in each (issue 23: about 5 MB less per worker)."""
    if preload_app:
        warm_up(server.app.wsgi(), server.log)


def warm_up(app, log) -> None:
    from werkzeug.test import Client

    try:
        response = Client(app).get("/healthz")
        response.close()
    except Exception as exc:  # noqa: BLE001 - a warm-up that fails costs memory, not service
        log.warning("warm-up request failed: %s", str(exc)[:200])
        return
    if response.status_code != 200:
        log.warning("warm-up request answered %s", response.status_code)


def pre_fork(_server, _worker) -> None:
    """In the master, before each worker is forked from the preloaded app: no connection of its pool
    may be shared by two processes, and the objects made so far go to the garbage collector's
    permanent generation, so that its collections do not write to (and so copy) the shared pages."""
    if preload_app:
        from shared.db import close_pooled_connections

        close_pooled_connections()
        gc.collect()
        gc.freeze()


def child_exit(_server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, metrics_dir)
