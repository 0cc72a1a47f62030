"""The video service: calls on tickets, slots and bookings, the join window and
room tokens, reminders, and logged-out joining through an email code."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from services.video import config
from services.video.calls import Rules
from services.video.models import OutboxMessage, db
from services.video.providers import VideoProvider, make_provider
from services.video.tickets_client import TicketsClient
from shared.db import bind_to_app, open_service_database, readiness_check
from shared.outbox import Outbox
from shared.web import create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def init_database(url: str, migrate: bool = True):
    return open_service_database(db, url, config.SERVICE, MIGRATIONS, migrate)


def provider_from(settings: dict) -> VideoProvider:
    return make_provider(settings["VIDEO_PROVIDER"], settings["VIDEO_APP_ID"], settings["VIDEO_APP_SECRET"],
                         settings["VIDEO_ROOM_BASE_URL"] or config.DEFAULT_ROOM_BASE_URLS.get(
                             settings["VIDEO_PROVIDER"], ""))


def create_app(test_config: dict | None = None) -> Flask:
    settings = config.settings()
    if test_config:
        settings.update(test_config)

    app, api = create_service_app(config.SERVICE, settings, title="Video service", readiness=readiness_check(db))
    database = init_database(app.config["DATABASE_URL"], app.config["RUN_MIGRATIONS"])
    bind_to_app(app, database)
    app.extensions["outbox"] = Outbox(OutboxMessage, producer=config.SERVICE)
    app.extensions["video_rules"] = Rules.from_settings(app.config)
    app.extensions["video_provider"] = provider_from(app.config)
    app.extensions["tickets_client"] = TicketsClient(app.config["TICKETS_URL"], app.config["INTERNAL_TOKEN_SECRET"],
                                                     app.config["TICKETS_TIMEOUT_SECONDS"])

    from services.video.agent_api import blp as agent_blp
    from services.video.api import blp as customer_blp
    from services.video.guest_api import blp as guest_blp

    api.register_blueprint(customer_blp)
    api.register_blueprint(agent_blp)
    api.register_blueprint(guest_blp)
    return app


def outbox() -> Outbox:
    return current_app.extensions["outbox"]


def rules() -> Rules:
    return current_app.extensions["video_rules"]


def provider() -> VideoProvider:
    return current_app.extensions["video_provider"]


def tickets_client() -> TicketsClient:
    return current_app.extensions["tickets_client"]
