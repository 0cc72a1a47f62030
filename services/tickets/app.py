"""The tickets service: tickets, messages, attachments (and, later, guest
verification and the help center)."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from services.tickets import config
from services.tickets.attachments import AttachmentStore
from services.tickets.models import OutboxMessage, db
from shared.db import bind_to_app, open_service_database, readiness_check
from shared.outbox import Outbox
from shared.web import create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def init_database(url: str, migrate: bool = True):
    return open_service_database(db, url, config.SERVICE, MIGRATIONS, migrate)


def create_app(test_config: dict | None = None) -> Flask:
    settings = config.settings()
    if test_config:
        settings.update(test_config)

    app, api = create_service_app(config.SERVICE, settings, title="Tickets service", readiness=readiness_check(db))
    database = init_database(app.config["DATABASE_URL"], app.config["RUN_MIGRATIONS"])
    bind_to_app(app, database)
    app.extensions["outbox"] = Outbox(OutboxMessage, producer=config.SERVICE)
    app.extensions["attachment_store"] = AttachmentStore(app.config["ATTACHMENT_DIR"])

    from services.tickets.agent_api import blp as agent_blp
    from services.tickets.api import blp as customer_blp
    from services.tickets.chat_api import agent_blp as agent_chat_blp
    from services.tickets.chat_api import blp as chat_blp
    from services.tickets.guest_api import blp as guest_blp
    from services.tickets.help_api import blp as help_blp
    from services.tickets.help_editor_api import blp as help_editor_blp

    api.register_blueprint(customer_blp)
    api.register_blueprint(agent_blp)
    api.register_blueprint(guest_blp)
    api.register_blueprint(help_blp)
    api.register_blueprint(help_editor_blp)
    api.register_blueprint(chat_blp)
    api.register_blueprint(agent_chat_blp)
    return app


def outbox() -> Outbox:
    return current_app.extensions["outbox"]


def attachment_store() -> AttachmentStore:
    return current_app.extensions["attachment_store"]
