"""The notifications service: the inbox and its unread count, a live stream, preferences,
Web Push subscriptions. Its worker (`worker.py`) turns events into inbox items, emails
and Web Push messages."""
from __future__ import annotations

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from services.notifications import config, extensions
from services.notifications.models import MIGRATIONS, db, init_database  # noqa: F401 (services.migrate reads them here)
from shared.web import build_service

_catcher = None  # the embedded default's mail catcher (mail_catcher.EmbeddedCatcher), kept with the process


def before_embedded_start() -> str | None:
    """`make run` without SMTP_HOST: start a mail catcher; the apps made from now on (and the workers made
    from their settings) send to it, and serve its page at /mail."""
    global _catcher
    from services.notifications.mail_catcher import start_embedded_catcher

    _catcher = start_embedded_catcher(config.mail_settings())
    return _catcher.notice if _catcher else None


def create_app(test_config: dict | None = None) -> Flask:
    settings = config.settings()
    if _catcher is not None:
        settings.update(_catcher.settings)
    if test_config:
        settings.update(test_config)

    from services.notifications.api import blp

    app, _api, _database = build_service(
        config.SERVICE, settings, title="Notifications service", database=db, init_database=init_database,
        init_extensions=extensions.init_app, blueprints=[blp])
    if app.config.get("MAIL_CATCHER_DIR"):
        from services.notifications.mail_catcher import mail_page

        app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/mail": mail_page(app.config["MAIL_CATCHER_DIR"])})
    return app
