"""The prize table and the draw.

A table is versioned JSON: for each kind of reward a weight and a range of value
in USDT. Ranges are in USDT rather than in coins so that the cap (50 USDT) holds
whatever the price does; the amount of a coin follows from the price at the draw,
rounded down, so its value never exceeds the drawn value. The draw uses `secrets`.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from pathlib import Path

from services.referrals.prices import PriceSource
from shared.config import ConfigError

TABLES = Path(__file__).parent / "prize_tables"
KINDS = ("BTC", "ETH", "DOT", "fee_rebate_card")
REBATE_CARD = "fee_rebate_card"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Prize:
    kind: str
    weight: int
    min_usdt: Decimal
    max_usdt: Decimal
    decimals: int

    @property
    def asset(self) -> str:
        """What the ledger credits: the coin, or USDT for a rebate card's face value."""
        return "USDT" if self.kind == REBATE_CARD else self.kind


@dataclass(frozen=True)
class Reward:
    kind: str
    asset: str
    amount: Decimal
    usdt_value: Decimal
    price: Decimal
    table_version: str


@dataclass(frozen=True)
class PrizeTable:
    version: str
    max_usdt_value: Decimal
    prizes: tuple[Prize, ...]

    @classmethod
    def load(cls, name: str) -> PrizeTable:
        """A table by version name (in prize_tables/) or by path to a JSON file."""
        path = Path(name) if name.endswith(".json") else TABLES / f"{name}.json"
        try:
            raw = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"REFERRAL_PRIZE_TABLE: cannot read {path}: {exc}") from exc
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: dict) -> PrizeTable:
        try:
            table = cls(
                version=str(raw["version"]),
                max_usdt_value=Decimal(str(raw["max_usdt_value"])),
                prizes=tuple(Prize(kind=p["kind"], weight=int(p["weight"]), min_usdt=Decimal(str(p["min_usdt"])),
                                   max_usdt=Decimal(str(p["max_usdt"])), decimals=int(p["decimals"]))
                             for p in raw["prizes"]),
            )
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise ConfigError(f"prize table is malformed: {exc!r}") from exc
        table.check()
        return table

    def check(self) -> None:
        if not self.prizes or not self.version:
            raise ConfigError("a prize table needs a version and at least one prize")
        if not Decimal(0) < self.max_usdt_value <= Decimal(50):
            raise ConfigError("a prize table's max_usdt_value must be in (0, 50]")
        for prize in self.prizes:
            if prize.kind not in KINDS:
                raise ConfigError(f"prize kind {prize.kind!r} is not one of {KINDS}")
            if prize.weight <= 0 or not 0 <= prize.decimals <= 18:
                raise ConfigError(f"prize {prize.kind}: weight must be positive, decimals 0-18")
            if not CENT <= prize.min_usdt <= prize.max_usdt <= self.max_usdt_value:
                raise ConfigError(f"prize {prize.kind}: need 0.01 <= min_usdt <= max_usdt <= max_usdt_value")

    def draw(self, prices: PriceSource) -> Reward:
        """One reward, drawn with a cryptographically secure source at the current price."""
        prize = self._pick()
        steps = int((prize.max_usdt - prize.min_usdt) / CENT)
        value = prize.min_usdt + CENT * secrets.randbelow(steps + 1)
        price = Decimal(1) if prize.kind == REBATE_CARD else prices.usdt_price(prize.kind)
        unit = Decimal(1).scaleb(-prize.decimals)
        amount = (value / price).quantize(unit, rounding=ROUND_DOWN)
        if amount <= 0:
            amount = unit  # a coin so dear that the drawn value buys less than its smallest unit
        usdt_value = (amount * price).quantize(CENT, rounding=ROUND_DOWN)
        if amount * price > self.max_usdt_value:
            # Only reachable when one smallest unit is worth more than the cap: never pay over it.
            raise ValueError(f"{prize.kind} at {price} cannot be paid within {self.max_usdt_value} USDT")
        return Reward(kind=prize.kind, asset=prize.asset, amount=amount, usdt_value=usdt_value, price=price,
                      table_version=self.version)

    def _pick(self) -> Prize:
        roll = secrets.randbelow(sum(p.weight for p in self.prizes))
        for prize in self.prizes:
            if roll < prize.weight:
                return prize
            roll -= prize.weight
        raise AssertionError("unreachable: the roll is below the total weight")
