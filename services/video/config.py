"""The video service's settings, one environment variable each."""
from services.registry import BY_NAME, GATEWAY
from shared.config import common_settings, env_float, env_int, env_str, secret, service_url

SERVICE = "video"
PROVIDERS = ("simulated", "jitsi", "livekit")
# Where each provider's rooms live unless VIDEO_ROOM_BASE_URL says; the simulated rooms are pages of
# the product itself, at its PUBLIC_URL.
DEFAULT_ROOM_BASE_URLS = {"jitsi": "https://meet.example.com", "livekit": "https://livekit.example.com"}


def settings() -> dict:
    values = common_settings(SERVICE, token_issuer=GATEWAY.name)
    provider = (env_str("VIDEO_PROVIDER", "simulated") or "simulated").lower()
    values.update(
        TICKETS_URL=service_url("tickets", BY_NAME["tickets"].port),
        TICKETS_TIMEOUT_SECONDS=env_float("VIDEO_TICKETS_TIMEOUT_SECONDS", 5.0),
        # The room provider: which JWT the join endpoint signs, and where the room lives.
        VIDEO_PROVIDER=provider,
        VIDEO_APP_ID=env_str("VIDEO_APP_ID", "support"),
        VIDEO_APP_SECRET=secret("VIDEO_APP_SECRET"),
        VIDEO_ROOM_BASE_URL=env_str("VIDEO_ROOM_BASE_URL",
                                    DEFAULT_ROOM_BASE_URLS.get(provider, values["PUBLIC_URL"])),
        VIDEO_TOKEN_MARGIN_SECONDS=env_int("VIDEO_TOKEN_MARGIN_SECONDS", 15 * 60),
        VIDEO_TOKEN_MAX_SECONDS=env_int("VIDEO_TOKEN_MAX_SECONDS", 2 * 3600),
        # The join window opens this many minutes before the booked start and closes at the slot's end.
        VIDEO_JOIN_EARLY_MINUTES=env_int("VIDEO_JOIN_EARLY_MINUTES", 5),
        VIDEO_REMINDER_LEAD_MINUTES=env_int("VIDEO_REMINDER_LEAD_MINUTES", 60),
        VIDEO_REMINDER_INTERVAL_SECONDS=env_float("VIDEO_REMINDER_INTERVAL_SECONDS", 10.0),
        VIDEO_MAX_SLOTS=env_int("VIDEO_MAX_SLOTS", 10),
        VIDEO_SLOT_MIN_MINUTES=env_int("VIDEO_SLOT_MIN_MINUTES", 5),
        VIDEO_SLOT_MAX_MINUTES=env_int("VIDEO_SLOT_MAX_MINUTES", 120),
        VIDEO_SLOT_MAX_DAYS_AHEAD=env_int("VIDEO_SLOT_MAX_DAYS_AHEAD", 90),
        VIDEO_CODE_SECRET=secret("VIDEO_CODE_SECRET"),
        VIDEO_GUEST_SESSION_SECONDS=env_int("VIDEO_GUEST_SESSION_SECONDS", 24 * 3600),
    )
    return values
