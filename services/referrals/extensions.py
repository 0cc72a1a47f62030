"""What the referrals service's request code uses, made once by `create_app`: the outbox,
the prize table and its price source, and the regions where the program is closed."""
from __future__ import annotations

from flask import Flask, current_app

from services.referrals import config
from services.referrals.models import OutboxMessage
from services.referrals.prices import PriceSource, make_price_source
from services.referrals.prizes import REBATE_CARD, PrizeTable
from shared.outbox import Outbox


def init_app(app: Flask) -> None:
    app.extensions["outbox"] = Outbox(OutboxMessage, producer=config.SERVICE)
    app.extensions["prize_table"], app.extensions["price_source"] = load_prizes(app.config)


def load_prizes(settings: dict) -> tuple[PrizeTable, PriceSource]:
    """The prize table and price source; fails at start if a coin in the table has no price."""
    table = PrizeTable.load(settings["REFERRAL_PRIZE_TABLE"])
    prices = make_price_source(settings)
    for prize in table.prizes:
        if prize.kind != REBATE_CARD:
            prices.usdt_price(prize.kind)
    return table, prices


def outbox() -> Outbox:
    return current_app.extensions["outbox"]


def prize_table() -> PrizeTable:
    return current_app.extensions["prize_table"]


def price_source() -> PriceSource:
    return current_app.extensions["price_source"]


def restricted_regions() -> frozenset[str]:
    return frozenset(current_app.config["REFERRAL_RESTRICTED_REGIONS"])
