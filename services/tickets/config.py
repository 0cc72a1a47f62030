"""The tickets service's settings, one environment variable each, read once by `create_app`
(and by the worker): nothing else in the service reads the environment."""
from services.registry import GATEWAY
from shared.config import common_settings, data_dir, env_bool, env_float, env_int, env_str, secret

SERVICE = "tickets"
MIB = 1024 * 1024


def settings() -> dict:
    values = common_settings(SERVICE, token_issuer=GATEWAY.name)
    values.update(
        ATTACHMENT_DIR=env_str("ATTACHMENT_DIR", str(data_dir() / "attachments")),
        MAX_ATTACHMENT_BYTES=env_int("MAX_ATTACHMENT_BYTES", 10 * MIB),
        MAX_ATTACHMENTS_PER_MESSAGE=env_int("MAX_ATTACHMENTS_PER_MESSAGE", 5),
        REOPEN_WINDOW_DAYS=env_int("REOPEN_WINDOW_DAYS", 14),
        # How often the worker looks for SLA clocks past their due time (ticket.sla_breached.v1).
        SLA_BREACH_INTERVAL_SECONDS=env_float("SLA_BREACH_INTERVAL_SECONDS", 10.0),
        # The key of the guests' one-time code hashes, and how long a verified guest's session lasts.
        GUEST_CODE_PEPPER=secret("GUEST_CODE_PEPPER"),
        GUEST_SESSION_TTL_SECONDS=env_int("GUEST_SESSION_TTL_SECONDS", 24 * 3600),
        # Every start inserts the shipped help articles that the database lacks.
        HELP_SEED_ARTICLES=env_bool("HELP_SEED_ARTICLES", True),
        # A chat's stream ends after this long and the client reconnects with Last-Event-ID; the heartbeat
        # keeps proxies (the gateway gives up after a quiet minute) from closing it before.
        # Round-robin assignment gives an agent no more tickets while it holds this many open ones.
        AGENT_MAX_OPEN=env_int("AGENT_MAX_OPEN", 20),
        CHAT_STREAM_SECONDS=env_int("CHAT_STREAM_SECONDS", 300),
        CHAT_STREAM_POLL_SECONDS=env_float("CHAT_STREAM_POLL_SECONDS", 0.5),
        CHAT_STREAM_HEARTBEAT_SECONDS=env_float("CHAT_STREAM_HEARTBEAT_SECONDS", 15.0),
    )
    # The largest body a message with five full attachments can make, and some room for fields.
    values["MAX_CONTENT_LENGTH"] = values["MAX_ATTACHMENT_BYTES"] * values["MAX_ATTACHMENTS_PER_MESSAGE"] + MIB
    return values
