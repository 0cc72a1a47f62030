"""The gateway's process-wide helpers: the rate limiter and the outbox accessor."""
from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from shared.outbox import Outbox

limiter = Limiter(key_func=get_remote_address, headers_enabled=True, default_limits=[])


def outbox() -> Outbox:
    return current_app.extensions["outbox"]
