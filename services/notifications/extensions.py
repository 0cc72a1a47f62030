"""What the API's requests use beyond the database, made once per app by `create_app` (`init_app`):
the VAPID keys browsers subscribe with, and the listener that brings the worker's live items to
this process's streams."""
from __future__ import annotations

from flask import Flask, current_app

from services.notifications import config
from services.notifications.stream import live_listener as make_live_listener
from services.notifications.webpush import VapidKeys, load_vapid
from shared.broadcast import BroadcastListener
from shared.bus import is_memory, resolve_broker_url


def init_app(app: Flask) -> None:
    app.extensions["vapid"] = load_vapid(app.config)
    broker = resolve_broker_url(app.config["AMQP_URL"])
    # On the in-process bus the worker shares this process and hands items to the streams directly.
    app.extensions["live_listener"] = (None if is_memory(broker)
                                       else make_live_listener(broker, config.live_exchange_name(app.config)))


def vapid_keys() -> VapidKeys:
    return current_app.extensions["vapid"]


def live_listener() -> BroadcastListener | None:
    """None on the in-process bus."""
    return current_app.extensions["live_listener"]
