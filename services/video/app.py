"""The video service: calls on tickets, slots and bookings, the join window and
room tokens, reminders, and logged-out joining through an email code."""
from __future__ import annotations

from flask import Flask

from services.video import config, extensions
from services.video.agent_api import blp as agent_blp
from services.video.api import blp as customer_blp
from services.video.guest_api import blp as guest_blp
from services.video.models import MIGRATIONS, db, init_database  # noqa: F401 (services.migrate reads them here)
from shared.web import build_service


def create_app(test_config: dict | None = None) -> Flask:
    app, _api, _database = build_service(
        config.SERVICE, config.settings(), test_config, title="Video service", database=db,
        init_database=init_database, init_extensions=extensions.init_app,
        blueprints=[customer_blp, agent_blp, guest_blp])
    return app
