"""The video service: calls on tickets, slots and bookings, the join window and
room tokens, reminders, and logged-out joining through an email code."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from services.video import config, extensions
from services.video.agent_api import blp as agent_blp
from services.video.api import blp as customer_blp
from services.video.guest_api import blp as guest_blp
from services.video.models import db
from shared.db import bind_to_app, open_service_database, readiness_check
from shared.web import create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def init_database(url: str, migrate: bool = True):
    return open_service_database(db, url, config.SERVICE, MIGRATIONS, migrate)


def create_app(test_config: dict | None = None) -> Flask:
    settings = config.settings()
    if test_config:
        settings.update(test_config)

    app, api = create_service_app(config.SERVICE, settings, title="Video service", readiness=readiness_check(db))
    database = init_database(app.config["DATABASE_URL"], app.config["RUN_MIGRATIONS"])
    bind_to_app(app, database)
    extensions.init_app(app)
    api.register_blueprint(customer_blp)
    api.register_blueprint(agent_blp)
    api.register_blueprint(guest_blp)
    return app
