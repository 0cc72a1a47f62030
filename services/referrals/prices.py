"""Where the price of a reward's asset comes from, in USDT per unit.

`PriceSource` is the interface; `StaticPriceSource` (a table from configuration) is
the default. A market feed would implement the same one method.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Protocol

from shared.config import ConfigError


class PriceUnavailable(RuntimeError):
    """The source has no usable price for an asset right now."""


class PriceSource(Protocol):
    def usdt_price(self, asset: str) -> Decimal:
        """USDT per one unit of `asset`; raises PriceUnavailable."""


class StaticPriceSource:
    """Fixed prices, e.g. `BTC=65000,ETH=3200,DOT=6.5`."""

    def __init__(self, prices: dict[str, Decimal]) -> None:
        self.prices = {asset.upper(): price for asset, price in prices.items()}

    @classmethod
    def parse(cls, text: str) -> StaticPriceSource:
        prices = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            asset, _, raw = item.partition("=")
            try:
                price = Decimal(raw.strip())
            except InvalidOperation:
                raise ConfigError(f"REFERRAL_STATIC_PRICES: {item!r} is not ASSET=PRICE") from None
            if not asset.strip() or not price.is_finite() or price <= 0:
                raise ConfigError(f"REFERRAL_STATIC_PRICES: {item!r} needs an asset and a positive price")
            prices[asset.strip()] = price
        return cls(prices)

    def usdt_price(self, asset: str) -> Decimal:
        try:
            return self.prices[asset.upper()]
        except KeyError:
            raise PriceUnavailable(f"no price for {asset}") from None


def make_price_source(settings: dict) -> PriceSource:
    kind = settings["REFERRAL_PRICE_SOURCE"]
    if kind == "static":
        return StaticPriceSource.parse(settings["REFERRAL_STATIC_PRICES"])
    raise ConfigError(f"REFERRAL_PRICE_SOURCE={kind!r} is not known; use 'static'")
