"""Structured JSON logs to stdout, with secrets kept out."""
from __future__ import annotations

import logging
import re
import sys

from pythonjsonlogger.json import JsonFormatter

_SECRET_KEYS = re.compile(r"(password|secret|token|code|authorization|cookie|signature)", re.I)
_configured = False
_fields: dict = {}


class RedactSecrets(logging.Filter):
    """Blank out any extra field whose name says it holds a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in list(record.__dict__.items()):
            if isinstance(value, str) and _SECRET_KEYS.search(key) and key not in {"msg", "message"}:
                record.__dict__[key] = "[redacted]"
        return True


def json_formatter() -> JsonFormatter:
    """One JSON object per record, with the process's fields (`configure_logging(fields=...)`) in each; gunicorn's
    own logger (deploy/gunicorn.conf.py) uses it too."""
    return JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                         rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                         static_fields=dict(_fields))


def configure_logging(level: str = "INFO", fields: dict | None = None) -> None:
    """Send every log record to stdout as one JSON object per line, with `fields` in each."""
    global _configured
    if _configured:
        return
    _fields.update(fields or {})
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(json_formatter())
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("werkzeug", "amqp", "kombu", "pika", "urllib3", "peewee"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _configured = True
