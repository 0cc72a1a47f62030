"""The notifications service: the inbox and its unread count, a live stream, preferences,
Web Push subscriptions. Its worker (`worker.py`) turns events into inbox items, emails
and Web Push messages."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from services.notifications import config
from services.notifications.models import db
from services.notifications.push import load_vapid
from services.notifications.stream import LiveListener
from shared.bus import is_memory, resolve_broker_url
from shared.config import data_dir, env_int, env_str
from shared.db import bind_to_app, open_service_database, readiness_check
from shared.web import create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"

_catcher = None  # the embedded default's SMTP catcher, kept alive with the process


def init_database(url: str, migrate: bool = True):
    return open_service_database(db, url, config.SERVICE, MIGRATIONS, migrate)


def before_embedded_start() -> str | None:
    """`make run` without SMTP_HOST: start a mail catcher and point the worker at it."""
    global _catcher
    if env_str("SMTP_HOST"):
        return None
    from services.notifications.mail_catcher import start_catcher

    folder = Path(env_str("MAIL_DIR") or data_dir() / "mail")
    _catcher, port = start_catcher(folder, env_int("MAIL_CATCHER_PORT", 8025))
    os.environ.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), SMTP_TLS="", MAIL_CATCHER_DIR=str(folder))
    page = (env_str("NOTIFICATIONS_URL") or "http://127.0.0.1:8102").rstrip("/") + "/mail"
    return f"Mail catcher: SMTP on 127.0.0.1:{port}; every email is kept in {folder} and listed at {page}"


def create_app(test_config: dict | None = None) -> Flask:
    settings = config.settings()
    if test_config:
        settings.update(test_config)

    app, api = create_service_app(config.SERVICE, settings, title="Notifications service", readiness=readiness_check(db))
    database = init_database(app.config["DATABASE_URL"], app.config["RUN_MIGRATIONS"])
    bind_to_app(app, database)
    app.extensions["vapid"] = load_vapid(app.config)
    broker = resolve_broker_url(app.config["AMQP_URL"])
    # On the in-process bus the worker shares this process and hands items to the streams directly.
    app.extensions["live_listener"] = None if is_memory(broker) else LiveListener(broker, config.live_exchange_name(app.config))

    from services.notifications.api import blp

    api.register_blueprint(blp)
    if app.config.get("MAIL_CATCHER_DIR"):
        from services.notifications.mail_catcher import mail_page

        app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/mail": mail_page(app.config["MAIL_CATCHER_DIR"])})
    return app
