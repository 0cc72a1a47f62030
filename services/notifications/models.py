"""The notifications service's tables. Datetimes are naive UTC."""
from __future__ import annotations

from pathlib import Path

import peewee

from services.notifications import config
from shared import clock
from shared.consumer import make_processed_event_model
from shared.db import open_service_database

db = peewee.DatabaseProxy()

MIGRATIONS = Path(__file__).parent / "migrations"


def init_database(url: str, migrate: bool = True):
    """Point `db` at the service's database and migrate it: here, not in app.py, so the worker
    process opens it without importing Flask and the web stack (issue 23: its memory)."""
    return open_service_database(db, url, config.SERVICE, MIGRATIONS, migrate)

KINDS = ("ticket_updates", "video_calls", "rewards")
# An agent's kinds: the tickets they hold (customers' replies, escalations, assignments), their ratings, and
# service-level breaches (their tickets', or, for a supervisor, the unassigned ones'). Email is off by default.
AGENT_KINDS = ("assigned_tickets", "satisfaction", "sla_breaches")
ALL_KINDS = KINDS + AGENT_KINDS


class BaseModel(peewee.Model):
    class Meta:
        database = db


class Contact(BaseModel):
    """The address book: what `user.registered.v1` told us about an account, and its anti-phishing code.

    A code may come before the registration: its row then has an empty email and locale
    (unknown) until `user.registered.v1` fills them in."""

    user_id = peewee.IntegerField(primary_key=True)
    email = peewee.CharField(max_length=254)
    locale = peewee.CharField(max_length=16, default="en")
    updated_at = peewee.DateTimeField(default=clock.now)
    # Shown in every email to the account; a secret of the account, never logged.
    anti_phishing_code = peewee.CharField(max_length=20, null=True)
    # When the code in force was set (its event's occurred_at): an older change arriving late is ignored.
    anti_phishing_code_at = peewee.DateTimeField(null=True)
    # When the account chose its language (user.profile_changed.v1): the registration's is not taken after it.
    locale_changed_at = peewee.DateTimeField(null=True)


class Notification(BaseModel):
    """An inbox item. One per event and user: the unique index backs up the processed-events table."""

    user_id = peewee.IntegerField()
    event_id = peewee.CharField(max_length=36)
    kind = peewee.CharField(max_length=20)  # one of ALL_KINDS
    topic = peewee.CharField(max_length=40)  # what happened, e.g. ticket_reply
    title = peewee.CharField(max_length=200)
    body = peewee.TextField()
    link = peewee.CharField(max_length=500)
    created_at = peewee.DateTimeField(default=clock.now)
    read_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = (
            (("event_id", "user_id"), True),
            # The inbox, newest first, and its unread count.
            (("user_id", "id"), False),
            (("user_id", "read_at"), False),
        )


class Preference(BaseModel):
    """Which kinds a user gets by push (inbox, live stream, Web Push) and by email. No row: all on."""

    user_id = peewee.IntegerField(primary_key=True)
    push_ticket_updates = peewee.BooleanField(default=True)
    push_video_calls = peewee.BooleanField(default=True)
    push_rewards = peewee.BooleanField(default=True)
    email_ticket_updates = peewee.BooleanField(default=True)
    email_video_calls = peewee.BooleanField(default=True)
    email_rewards = peewee.BooleanField(default=True)
    push_assigned_tickets = peewee.BooleanField(default=True)
    push_satisfaction = peewee.BooleanField(default=True)
    push_sla_breaches = peewee.BooleanField(default=True)
    email_assigned_tickets = peewee.BooleanField(default=False)
    email_satisfaction = peewee.BooleanField(default=False)
    email_sla_breaches = peewee.BooleanField(default=False)
    # Quiet hours (quiet_hours.py): "HH:MM" to "HH:MM" in an IANA time zone; all three or none.
    quiet_start = peewee.CharField(max_length=5, null=True)
    quiet_end = peewee.CharField(max_length=5, null=True)
    quiet_timezone = peewee.CharField(max_length=64, null=True)
    # Several ticket updates within the digest window (NOTIFICATIONS_DIGEST_SECONDS) as one email.
    email_digest = peewee.BooleanField(default=False)
    updated_at = peewee.DateTimeField(default=clock.now)


class Agent(BaseModel):
    """The agents the service notifies, as `agent.profile_changed.v1` describes them (their address and
    language are in the address book, `Contact`)."""

    user_id = peewee.IntegerField(primary_key=True)
    name = peewee.CharField(max_length=200)
    department = peewee.CharField(max_length=64, null=True)
    supervisor = peewee.BooleanField(default=False)
    active = peewee.BooleanField(default=True)
    # The change in force (its event's occurred_at): an older one arriving late is ignored.
    changed_at = peewee.DateTimeField()


class PushSubscription(BaseModel):
    """A browser's Web Push subscription; the endpoint names the browser, so it is unique."""

    user_id = peewee.IntegerField(index=True)
    endpoint = peewee.CharField(max_length=1024, unique=True)
    p256dh = peewee.CharField(max_length=128)
    auth = peewee.CharField(max_length=64)
    created_at = peewee.DateTimeField(default=clock.now)
    last_sent_at = peewee.DateTimeField(null=True)
    failures = peewee.IntegerField(default=0)  # sends that failed in a row: PUSH_MAX_FAILURES unsubscribes it


class Delivery(BaseModel):
    """An email or a Web Push message that left the service: at most one per event, channel and recipient."""

    event_id = peewee.CharField(max_length=36)
    channel = peewee.CharField(max_length=10)  # email | push
    recipient = peewee.CharField(max_length=254)  # an email address, or `subscription:<id>`
    topic = peewee.CharField(max_length=40)
    message_id = peewee.CharField(max_length=200, null=True)
    sent_at = peewee.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("event_id", "channel", "recipient"), True),)


class Held(BaseModel):
    """A notice a channel holds for its person's quiet hours, the event as it came, until `release_at`."""

    event_id = peewee.CharField(max_length=36)
    channel = peewee.CharField(max_length=10)  # email | push
    user_id = peewee.IntegerField()
    body = peewee.TextField()
    release_at = peewee.DateTimeField(index=True)
    unless_read = peewee.BooleanField(default=False)  # dropped if its inbox item was read by then

    class Meta:
        indexes = ((("event_id", "channel", "user_id"), True),)


class StreamPresence(BaseModel):
    """When a live stream of the person last said it was open (at connecting and at each heartbeat)."""

    user_id = peewee.IntegerField(primary_key=True)
    seen_at = peewee.DateTimeField()


ProcessedEvent = make_processed_event_model(db)

MODELS = [Contact, Notification, Preference, Agent, Held, StreamPresence, PushSubscription, Delivery,
          ProcessedEvent]
