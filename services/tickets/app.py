"""The tickets service: tickets, messages, attachments, guest verification, the help
center and the live chat."""
from __future__ import annotations

from flask import Flask

from services.tickets import config, extensions
from services.tickets.chat.agent_api import agent_blp as agent_chat_blp
from services.tickets.chat.api import blp as chat_blp
from services.tickets.core.agent_api import blp as agent_blp
from services.tickets.core.api import blp as customer_blp
from services.tickets.core.collab_api import blp as agent_collab_blp
from services.tickets.customers.api import blp as agent_context_blp
from services.tickets.guest.api import blp as guest_blp
from services.tickets.help_center.api import blp as help_blp
from services.tickets.help_center.editor_api import blp as help_editor_blp
from services.tickets.help_center.notices_api import blp as help_notices_blp
from services.tickets.help_center.seed import seed_missing_articles
from services.tickets.models import MIGRATIONS, db, init_database  # noqa: F401 (services.migrate reads MIGRATIONS here)
from services.tickets.search.api import blp as agent_search_blp
from services.tickets.sla.api import admin_blp as sla_admin_blp
from services.tickets.sla.api import rating_blp
from services.tickets.sla.api import reports_blp as sla_reports_blp
from services.tickets.workspace.agents import remember_caller
from services.tickets.workspace.agents_api import blp as agent_directory_blp
from services.tickets.workspace.macros_api import blp as agent_macros_blp
from shared.web import build_service


def create_app(test_config: dict | None = None) -> Flask:
    app, _api, database = build_service(
        config.SERVICE, config.settings(), test_config, title="Tickets service", database=db,
        init_database=init_database, init_extensions=extensions.init_app,
        blueprints=[customer_blp, agent_blp, agent_collab_blp, guest_blp, help_blp, help_editor_blp, help_notices_blp,
                    chat_blp, agent_chat_blp, agent_directory_blp, agent_macros_blp, agent_search_blp,
                    agent_context_blp, sla_admin_blp, sla_reports_blp, rating_blp])
    # An agent's claims keep its row of the agent directory current (the event may come later).
    app.before_request(remember_caller)
    if app.config["HELP_SEED_ARTICLES"]:
        # Every start brings in the shipped articles the database lacks, so the help center is never empty.
        with database.connection_context():
            seed_missing_articles()
    return app
