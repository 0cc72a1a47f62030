"""The referrals service's settings, one environment variable each."""
from services.registry import GATEWAY
from shared.config import common_settings, env_float, env_int, env_list, env_str, secret

SERVICE = "referrals"
DEFAULT_PRIZE_TABLE = "2026-01"


def settings() -> dict:
    values = common_settings(SERVICE, token_issuer=GATEWAY.name)
    values.update(
        # Region codes (ISO 3166 alpha-2) where the program is unavailable.
        REFERRAL_RESTRICTED_REGIONS=[region.upper() for region in env_list("REFERRAL_RESTRICTED_REGIONS")],
        # Keys the permutation that turns account ids into referral codes; changing it changes every code.
        REFERRAL_CODE_SECRET=secret("REFERRAL_CODE_SECRET"),
        # A version name of a table in services/referrals/prize_tables/, or a path to a JSON table.
        REFERRAL_PRIZE_TABLE=env_str("REFERRAL_PRIZE_TABLE", DEFAULT_PRIZE_TABLE),
        REFERRAL_PRICE_SOURCE=env_str("REFERRAL_PRICE_SOURCE", "static"),
        # USDT per unit, for the static price source.
        REFERRAL_STATIC_PRICES=env_str("REFERRAL_STATIC_PRICES", "BTC=65000,ETH=3200,DOT=6.5"),
        # How often the worker credits pending ledger entries.
        REFERRAL_CREDIT_INTERVAL_SECONDS=env_float("REFERRAL_CREDIT_INTERVAL_SECONDS", 1.0),
        REFERRAL_CREDIT_BATCH=env_int("REFERRAL_CREDIT_BATCH", 100),
    )
    return values
