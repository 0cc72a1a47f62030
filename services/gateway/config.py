"""The gateway's settings, one environment variable each."""
from services.registry import DEFAULT_PORTS  # where each service listens in the embedded default
from shared.config import common_settings, env_bool, env_float, env_int, env_str, secret, service_url

SERVICE = "gateway"
MIB = 1024 * 1024


def settings() -> dict:
    values = common_settings(SERVICE, token_issuer=SERVICE)  # the gateway signs the internal tokens
    values.update(
        PORT=env_int("PORT", 8000),
        SERVICE_URLS={name: service_url(name, port) for name, port in DEFAULT_PORTS.items()},
        UPSTREAM_CONNECT_TIMEOUT=env_float("UPSTREAM_CONNECT_TIMEOUT", 2.0),
        UPSTREAM_READ_TIMEOUT=env_float("UPSTREAM_READ_TIMEOUT", 15.0),
        SESSION_TTL_SECONDS=env_int("SESSION_TTL_SECONDS", 24 * 3600),
        SESSION_COOKIE_SECURE=env_bool("SESSION_COOKIE_SECURE", False),
        GUEST_TOKEN_SECRET=secret("GUEST_TOKEN_SECRET"),
        RATELIMIT_STORAGE_URI=env_str("RATELIMIT_STORAGE_URI", "memory://"),
        RATE_LIMIT_LOGIN=env_str("RATE_LIMIT_LOGIN", "20/minute"),
        RATE_LIMIT_LOGIN_PER_EMAIL=env_str("RATE_LIMIT_LOGIN_PER_EMAIL", "10/minute"),
        RATE_LIMIT_REGISTER=env_str("RATE_LIMIT_REGISTER", "30/minute"),
        # Anyone may start a chat or open a guest ticket: per client address, and per account or email.
        RATE_LIMIT_CHATS=env_str("RATE_LIMIT_CHATS", "30/hour"),
        RATE_LIMIT_CHATS_PER_EMAIL=env_str("RATE_LIMIT_CHATS_PER_EMAIL", "10/hour"),
        RATE_LIMIT_GUEST_TICKETS=env_str("RATE_LIMIT_GUEST_TICKETS", "30/hour"),
        RATE_LIMIT_GUEST_TICKETS_PER_EMAIL=env_str("RATE_LIMIT_GUEST_TICKETS_PER_EMAIL", "5/hour"),
        PASSWORD_HASH_MEMORY_KIB=env_int("PASSWORD_HASH_MEMORY_KIB", 65536),
        PASSWORD_HASH_TIME_COST=env_int("PASSWORD_HASH_TIME_COST", 3),
        TRUSTED_PROXY_COUNT=env_int("TRUSTED_PROXY_COUNT", 0),
        # Strict-Transport-Security's max-age; 0 sends none (turn it on where HTTPS is served).
        HSTS_SECONDS=env_int("HSTS_SECONDS", 0),
        MAX_CONTENT_LENGTH=env_int("MAX_REQUEST_BYTES", 52 * MIB),
        # Agents may touch no ticket before they sign in with a TOTP second factor.
        AGENT_MFA_REQUIRED=env_bool("AGENT_MFA_REQUIRED", True),
        MFA_ISSUER=env_str("MFA_ISSUER", "Support"),  # the name authenticator apps show
        # Encrypts the stored TOTP secrets and keys the recovery codes' HMAC.
        MFA_SECRET_KEY=secret("MFA_SECRET_KEY"),
        MFA_TOKEN_TTL_SECONDS=env_int("MFA_TOKEN_TTL_SECONDS", 300),
        # The HMAC key of the integration webhook; the embedded default makes one (and prints it).
        INTEGRATION_WEBHOOK_SECRET=secret("INTEGRATION_WEBHOOK_SECRET"),
    )
    return values


def embedded_webhook_notice() -> str | None:
    """The line `make run` prints: the webhook's HMAC key when the embedded default made it."""
    if env_str("INTEGRATION_WEBHOOK_SECRET"):
        return None
    return f"Integration webhook secret (INTEGRATION_WEBHOOK_SECRET): {secret('INTEGRATION_WEBHOOK_SECRET')}"
