"""The referrals service: codes and links, milestones, mystery boxes, and the
funding account's capital-flows ledger."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from services.referrals import config
from services.referrals.models import OutboxMessage, db
from services.referrals.prices import PriceSource, make_price_source
from services.referrals.prizes import REBATE_CARD, PrizeTable
from shared.db import bind_to_app, open_service_database, readiness_check
from shared.outbox import Outbox
from shared.web import create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def init_database(url: str, migrate: bool = True):
    return open_service_database(db, url, config.SERVICE, MIGRATIONS, migrate)


def load_prizes(settings: dict) -> tuple[PrizeTable, PriceSource]:
    """The prize table and price source; fails at start if a coin in the table has no price."""
    table = PrizeTable.load(settings["REFERRAL_PRIZE_TABLE"])
    prices = make_price_source(settings)
    for prize in table.prizes:
        if prize.kind != REBATE_CARD:
            prices.usdt_price(prize.kind)
    return table, prices


def create_app(test_config: dict | None = None) -> Flask:
    settings = config.settings()
    if test_config:
        settings.update(test_config)

    app, api = create_service_app(config.SERVICE, settings, title="Referrals service", readiness=readiness_check(db))
    database = init_database(app.config["DATABASE_URL"], app.config["RUN_MIGRATIONS"])
    bind_to_app(app, database)
    app.extensions["outbox"] = Outbox(OutboxMessage, producer=config.SERVICE)
    app.extensions["prize_table"], app.extensions["price_source"] = load_prizes(app.config)

    from services.referrals.api import blp

    api.register_blueprint(blp)
    return app


def prize_table() -> PrizeTable:
    return current_app.extensions["prize_table"]


def price_source() -> PriceSource:
    return current_app.extensions["price_source"]


def restricted_regions() -> frozenset[str]:
    return frozenset(current_app.config["REFERRAL_RESTRICTED_REGIONS"])
