"""Configuration from environment variables, one variable per setting."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    """A required setting is missing or malformed."""


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        if required:
            raise ConfigError(f"environment variable {name} is required")
        return default
    return value


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"environment variable {name} must be an integer, got {raw!r}") from exc


def env_float(name: str, default: float) -> float:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"environment variable {name} must be a number, got {raw!r}") from exc


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: tuple[str, ...] = ()) -> list[str]:
    raw = env_str(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def data_dir() -> Path:
    """The folder that holds the embedded default's SQLite files and attachments."""
    path = Path(env_str("DATA_DIR", "./data")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url(service: str) -> str:
    """`<SERVICE>_DATABASE_URL`, else `DATABASE_URL`, else a SQLite file under DATA_DIR."""
    return (
        env_str(f"{service.upper()}_DATABASE_URL")
        or env_str("DATABASE_URL")
        or f"sqlite:///{data_dir() / (service + '.db')}"
    )


def secret(name: str) -> str:
    """A secret from the environment; the embedded default makes one per data folder.

    A made secret is written once under DATA_DIR so that every process of a local
    run (and a restart) agrees on it. Deployments always set the variable.
    """
    value = env_str(name)
    if value:
        return value
    path = data_dir() / "secrets" / name.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written whole under a temporary name, then linked into place: a process that
        # starts at the same moment reads either nothing or the full secret, never half.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def service_url(service: str, default_port: int) -> str:
    """The base URL of a peer service (`TICKETS_URL`, ...)."""
    return env_str(f"{service.upper()}_URL", f"http://127.0.0.1:{default_port}").rstrip("/")


def amqp_url() -> str | None:
    return env_str("AMQP_URL")


def event_exchange_name() -> str:
    """The topic exchange of the domain events."""
    return env_str("EVENT_EXCHANGE", "support.events")


def queue_prefix() -> str:
    """Prefixes every queue name, so that tests (or two products on one broker) never share queues."""
    return env_str("QUEUE_PREFIX", "")


def outbox_poll_seconds() -> float:
    """How often an outbox relay looks for unsent rows when no commit woke it."""
    return env_float("OUTBOX_POLL_SECONDS", 0.1)


def log_level() -> str:
    return env_str("LOG_LEVEL", "INFO")


def listen_host(default: str) -> str:
    """The address a web process listens on (`HOST`)."""
    return env_str("HOST", default)


def embedded_process_per_service() -> bool:
    """`make run` on a broker: each service in a process of its own (`service`, the default), or all in one
    (`EMBEDDED_PROCESSES=one`). The in-process bus, without a broker, cannot cross processes: one there."""
    return env_str("EMBEDDED_PROCESSES", "service").lower() == "service"


def environment_with(**values: str) -> dict:
    """This process's environment with `values` set: what a child process it starts gets."""
    return {**os.environ, **values}


def common_settings(service: str, *, token_issuer: str) -> dict:
    """Settings every service reads the same way; `token_issuer` signs the internal tokens it accepts."""
    return {
        "SERVICE_NAME": service,
        "DATABASE_URL": database_url(service),
        "AMQP_URL": amqp_url(),
        "INTERNAL_TOKEN_ISSUER": token_issuer,
        "INTERNAL_TOKEN_SECRET": secret("INTERNAL_TOKEN_SECRET"),
        # During a rotation, tokens signed with the previous secret stay good for their 60 s.
        "INTERNAL_TOKEN_PREVIOUS_SECRET": env_str("INTERNAL_TOKEN_PREVIOUS_SECRET"),
        "GUEST_LINK_SECRET": secret("GUEST_LINK_SECRET"),
        "PUBLIC_URL": env_str("PUBLIC_URL", f"http://127.0.0.1:{env_int('PORT', 8000)}").rstrip("/"),
        "EVENT_EXCHANGE": event_exchange_name(),
        "QUEUE_PREFIX": queue_prefix(),
        "RUN_MIGRATIONS": env_bool("RUN_MIGRATIONS", True),
        # Traces go to this OTLP/HTTP collector; none are made without it (shared/tracing.py).
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_endpoint(),
    }


def metrics_multiproc_dir() -> str | None:
    """Where gunicorn's processes write their metric values (prometheus_client reads it too)."""
    return env_str("PROMETHEUS_MULTIPROC_DIR")


def worker_metrics_port(worker: str) -> int:
    """`<WORKER>_WORKER_METRICS_PORT`: the port of a worker's own `/metrics`; 0 (the default) serves none."""
    return env_int(f"{worker.upper()}_WORKER_METRICS_PORT", 0)


def otlp_endpoint() -> str | None:
    """OpenTelemetry's standard variable: the collector the spans go to (OTLP over HTTP)."""
    return env_str("OTEL_EXPORTER_OTLP_ENDPOINT")


def queue_type() -> str:
    """`QUEUE_TYPE`: classic (the default) or quorum, for every service's event queue."""
    value = (env_str("QUEUE_TYPE", "classic") or "classic").strip().lower()
    if value not in ("classic", "quorum"):
        raise ConfigError(f"QUEUE_TYPE must be classic or quorum, got {value!r}")
    return value


def queue_delivery_limit() -> int:
    """With quorum queues: deliveries without an ack before a message is dead-lettered."""
    return env_int("QUEUE_DELIVERY_LIMIT", 20)
