"""The referrals service: codes and links, milestones, mystery boxes, and the
funding account's capital-flows ledger."""
from __future__ import annotations

from flask import Flask

from services.referrals import config, extensions
from services.referrals.api import blp
from services.referrals.models import MIGRATIONS, db, init_database  # noqa: F401 (services.migrate reads them here)
from shared.web import build_service


def create_app(test_config: dict | None = None) -> Flask:
    app, _api, _database = build_service(
        config.SERVICE, config.settings(), test_config, title="Referrals service", database=db,
        init_database=init_database, init_extensions=extensions.init_app, blueprints=[blp])
    return app

