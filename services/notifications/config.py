"""The notifications service's settings, one environment variable each: the only module of the
service that reads the environment (`create_app` and `create_worker` read it once, through
`settings()`)."""
from __future__ import annotations

from urllib.parse import urlparse

from services.registry import BY_NAME, GATEWAY
from shared.config import (
    common_settings,
    data_dir,
    env_float,
    env_int,
    env_list,
    env_str,
    secret,
    service_url,
)

SERVICE = "notifications"

# The queues of the worker, one per channel; each has its own `.retry` and `.dlq`.
INBOX_QUEUE = "notifications.events"
EMAIL_QUEUE = "notifications.email"
PUSH_QUEUE = "notifications.push"
CHANNELS = ("inbox", "email", "push")


def mail_from(settings: dict) -> str:
    """MAIL_FROM, else no-reply at PUBLIC_URL's host."""
    return settings.get("MAIL_FROM") or f"no-reply@{urlparse(settings['PUBLIC_URL']).hostname or 'localhost'}"


def vapid_subject(settings: dict) -> str:
    return settings.get("VAPID_SUBJECT") or f"mailto:{mail_from(settings)}"


def live_exchange_name(settings: dict) -> str:
    """The fanout exchange of live inbox items, beside the event exchange."""
    return f"{settings['EVENT_EXCHANGE']}.notifications.live"


def mail_settings() -> dict:
    """How email leaves: a real SMTP server when SMTP_HOST is set; otherwise `.eml` files in MAIL_DIR.
    Also read on its own by the embedded default, to start its catcher before the app exists."""
    values = dict(
        # smtp | folder | console | null (senders.py); unset: smtp when SMTP_HOST is set, else folder (MAIL_DIR).
        EMAIL_BACKEND=env_str("EMAIL_BACKEND"),
        SMTP_HOST=env_str("SMTP_HOST"),
        SMTP_PORT=env_int("SMTP_PORT", 25),
        SMTP_TLS=(env_str("SMTP_TLS", "") or "").lower(),  # "", "starttls" or "ssl"
        SMTP_USERNAME=env_str("SMTP_USERNAME"),
        SMTP_PASSWORD=env_str("SMTP_PASSWORD"),
        SMTP_TIMEOUT=env_float("SMTP_TIMEOUT", 10.0),
        MAIL_FROM=env_str("MAIL_FROM"),  # see mail_from()
        MAIL_FROM_NAME=env_str("MAIL_FROM_NAME", "Support"),
        MAIL_DIR=env_str("MAIL_DIR") or str(data_dir() / "mail"),
        # The embedded default's catcher (app.before_embedded_start): its SMTP port (another when taken),
        # and where its page is listed. When it runs, it sets SMTP_* and MAIL_CATCHER_DIR in the settings
        # create_app makes (GET /mail then lists the folder).
        MAIL_CATCHER_PORT=env_int("MAIL_CATCHER_PORT", 8025),
        MAIL_CATCHER_DIR=env_str("MAIL_CATCHER_DIR"),
        MAIL_PAGE_URL=service_url(SERVICE, BY_NAME[SERVICE].port) + "/mail",  # NOTIFICATIONS_URL's /mail
    )
    if values["SMTP_TLS"] in ("1", "true", "yes", "on"):
        values["SMTP_TLS"] = "starttls"
    return values


def settings() -> dict:
    values = common_settings(SERVICE, token_issuer=GATEWAY.name)
    values.update(mail_settings())
    values.update(
        # Web Push (VAPID). Without keys in the environment one pair is made per DATA_DIR.
        VAPID_PRIVATE_KEY=secret("VAPID_PRIVATE_KEY"),  # raw 32-byte P-256 scalar, base64url
        VAPID_PUBLIC_KEY=env_str("VAPID_PUBLIC_KEY"),
        VAPID_SUBJECT=env_str("VAPID_SUBJECT"),  # see vapid_subject()
        PUSH_BACKEND=env_str("PUSH_BACKEND", "webpush"),  # webpush | null (senders.py)
        PUSH_TTL_SECONDS=env_int("PUSH_TTL_SECONDS", 24 * 3600),
        PUSH_TIMEOUT=env_float("PUSH_TIMEOUT", 10.0),
        # Push services are public HTTPS hosts (push_safety.py). `host:port` (or `host`) entries exempt from
        # that, plain HTTP allowed: a local push receiver in tests and demos only. Empty: none.
        PUSH_ALLOWED_HOSTS=env_list("PUSH_ALLOWED_HOSTS"),
        # Sends to one browser that fail in a row (unreachable, refused, 5xx) before it is unsubscribed.
        PUSH_MAX_FAILURES=env_int("PUSH_MAX_FAILURES", 5),
        MAX_PUSH_SUBSCRIPTIONS=env_int("MAX_PUSH_SUBSCRIPTIONS", 20),
        # The worker: which channels this process consumes (a deployment per channel scales each on its queue).
        WORKER_CHANNELS=env_list("NOTIFICATIONS_CHANNELS", CHANNELS),
        INBOX_PREFETCH=env_int("NOTIFICATIONS_PREFETCH", 1000),  # four batches: the one handled, the next arriving
        INBOX_BATCH_SIZE=env_int("NOTIFICATIONS_BATCH_SIZE", 250),
        # Messages an email sender holds: each a chunk of up to EMAIL_BATCH_SIZE jobs (about 200 jobs in all).
        DELIVERY_PREFETCH=env_int("NOTIFICATIONS_DELIVERY_PREFETCH", 4),
        EMAIL_SENDERS=env_int("NOTIFICATIONS_EMAIL_SENDERS", 2),
        # Jobs per message on the email and push queues, and per email batch. Emails are sent one by one; what a
        # larger chunk saves is the inbox worker's publishing and the broker's work per message (two inbox
        # workers 1.25-1.37x one with chunks of ten, 1.39-1.44x with fifty: docs/performance.md).
        EMAIL_BATCH_SIZE=env_int("NOTIFICATIONS_EMAIL_BATCH_SIZE", 50),
        MAX_RETRIES=env_int("NOTIFICATIONS_MAX_RETRIES", 8),
        # 1, 2, 4 ... 60 s: eight tries span about three minutes of an SMTP outage.
        BACKOFF_BASE=env_float("NOTIFICATIONS_BACKOFF_BASE", 1.0),
        # How often the email and push workers deliver what quiet hours held, once they are over.
        RELEASE_SECONDS=env_float("NOTIFICATIONS_RELEASE_SECONDS", 30.0),
        # attention.py: how long the email of an inbox item waits while a page of the person is open, and the
        # email digest's window (shorter in tests).
        READ_WAIT_SECONDS=env_float("NOTIFICATIONS_READ_WAIT_SECONDS", 120.0),
        DIGEST_SECONDS=env_float("NOTIFICATIONS_DIGEST_SECONDS", 300.0),
        # The live stream.
        STREAM_HEARTBEAT_SECONDS=env_float("STREAM_HEARTBEAT_SECONDS", 15.0),
        STREAM_MAX_SECONDS=env_float("STREAM_MAX_SECONDS", 900.0),
        PAGE_SIZE=env_int("NOTIFICATIONS_PAGE_SIZE", 20),
    )
    return values
