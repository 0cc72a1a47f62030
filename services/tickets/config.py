"""The tickets service's settings, one environment variable each."""
from services.registry import GATEWAY
from shared.config import common_settings, data_dir, env_int, env_str

SERVICE = "tickets"
MIB = 1024 * 1024


def settings() -> dict:
    values = common_settings(SERVICE, token_issuer=GATEWAY.name)
    values.update(
        ATTACHMENT_DIR=env_str("ATTACHMENT_DIR", str(data_dir() / "attachments")),
        MAX_ATTACHMENT_BYTES=env_int("MAX_ATTACHMENT_BYTES", 10 * MIB),
        MAX_ATTACHMENTS_PER_MESSAGE=env_int("MAX_ATTACHMENTS_PER_MESSAGE", 5),
        REOPEN_WINDOW_DAYS=env_int("REOPEN_WINDOW_DAYS", 14),
        PAGE_SIZE=env_int("TICKETS_PAGE_SIZE", 20),
    )
    # The largest body a message with five full attachments can make, and some room for fields.
    values["MAX_CONTENT_LENGTH"] = values["MAX_ATTACHMENT_BYTES"] * values["MAX_ATTACHMENTS_PER_MESSAGE"] + MIB
    return values
