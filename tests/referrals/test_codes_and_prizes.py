"""Referral codes, the prize table and the draw: pure functions, no database."""
import random
from decimal import Decimal
from unittest import mock

import pytest

from services.referrals import codes
from services.referrals.prices import PriceUnavailable, StaticPriceSource
from services.referrals.prizes import KINDS, PrizeTable
from shared.config import ConfigError

SECRET = "code-key"
PRICES = StaticPriceSource.parse("BTC=65000,ETH=3200,DOT=6.5")


def test_every_account_has_its_own_code_that_turns_back_into_it():
    ids = [1, 2, 3, 999, 2**31 - 1, 2**40 - 1] + random.Random(7).sample(range(1, 2**40), 3000)
    made = {codes.code_for(user_id, SECRET): user_id for user_id in ids}
    assert len(made) == len(ids)
    for code, user_id in made.items():
        assert len(code) == 8 and set(code) <= set(codes.ALPHABET)
        assert codes.user_for(code, SECRET) == user_id
        assert codes.user_for(code.lower(), SECRET) == user_id


def test_codes_depend_on_the_key_and_reject_malformed_input():
    assert codes.code_for(42, SECRET) != codes.code_for(42, "another key")
    for bad in (None, "", "ABC", "ABCDEFGHI", "ABCD-EFG", "ÄBCDEFGH", "UUUUUUUU"):
        assert codes.user_for(bad, SECRET) is None
    # Crockford reading: O is 0, I and L are 1.
    code = codes.code_for(77, SECRET)
    typo = code.replace("0", "O").replace("1", "I")
    assert codes.user_for(typo, SECRET) == 77
    with pytest.raises(ValueError):
        codes.code_for(0, SECRET)


def test_draws_stay_within_the_cap_use_every_kind_and_record_the_price():
    table = PrizeTable.load("2026-01")
    seen = set()
    for _ in range(3000):
        reward = table.draw(PRICES)
        seen.add(reward.kind)
        assert reward.kind in KINDS and reward.table_version == "2026-01"
        assert reward.amount > 0
        assert reward.amount * reward.price <= Decimal(50)
        assert Decimal(0) < reward.usdt_value <= Decimal(50)
        expected_price = Decimal(1) if reward.kind == "fee_rebate_card" else PRICES.usdt_price(reward.kind)
        assert reward.price == expected_price
        assert reward.asset == ("USDT" if reward.kind == "fee_rebate_card" else reward.kind)
    assert seen == set(KINDS)


def test_the_cap_holds_whatever_the_price():
    table = PrizeTable.load("2026-01")
    for prices in ("BTC=0.5,ETH=0.01,DOT=0.0001", "BTC=900000000,ETH=50000000,DOT=1000"):
        source = StaticPriceSource.parse(prices)
        for _ in range(500):
            reward = table.draw(source)
            assert reward.amount * reward.price <= Decimal(50)


def test_the_draw_uses_the_secrets_module():
    table = PrizeTable.load("2026-01")
    with mock.patch("services.referrals.prizes.secrets.randbelow", return_value=0) as randbelow:
        reward = table.draw(PRICES)
    assert randbelow.call_count == 2
    assert (reward.kind, reward.usdt_value) == ("BTC", Decimal("0.99"))  # 1.00 USDT of BTC, rounded down


@pytest.mark.parametrize("change", [
    {"max_usdt_value": "50.01"},
    {"prizes": [{"kind": "DOGE", "weight": 1, "min_usdt": "1", "max_usdt": "2", "decimals": 2}]},
    {"prizes": [{"kind": "BTC", "weight": 0, "min_usdt": "1", "max_usdt": "2", "decimals": 8}]},
    {"prizes": [{"kind": "BTC", "weight": 1, "min_usdt": "1", "max_usdt": "60", "decimals": 8}]},
    {"prizes": [{"kind": "BTC", "weight": 1, "min_usdt": "3", "max_usdt": "2", "decimals": 8}]},
    {"prizes": []},
    {"version": None, "prizes": "x"},
])
def test_a_bad_prize_table_is_refused_at_start(change):
    raw = {"version": "x", "max_usdt_value": "50",
           "prizes": [{"kind": "BTC", "weight": 1, "min_usdt": "1", "max_usdt": "2", "decimals": 8}]}
    raw.update(change)
    with pytest.raises(ConfigError):
        PrizeTable.from_dict(raw)


def test_static_prices_parse_and_refuse_nonsense():
    assert PRICES.usdt_price("btc") == Decimal("65000")
    with pytest.raises(PriceUnavailable):
        PRICES.usdt_price("SOL")
    for bad in ("BTC", "BTC=abc", "BTC=-1", "=5", "BTC=NaN"):
        with pytest.raises(ConfigError):
            StaticPriceSource.parse(bad)
