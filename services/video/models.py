"""The video service's tables. Datetimes are naive UTC."""
from __future__ import annotations

from pathlib import Path

import peewee

from services.video import config
from shared import clock
from shared.db import open_service_database
from shared.outbox import make_outbox_model

db = peewee.DatabaseProxy()

MIGRATIONS = Path(__file__).parent / "migrations"


def init_database(url: str, migrate: bool = True):
    """Point `db` at the service's database and migrate it: here, not in app.py, so the worker
    process opens it without importing Flask and the web stack (issue 23: its memory)."""
    return open_service_database(db, url, config.SERVICE, MIGRATIONS, migrate)

STATUSES = ("proposed", "booked", "completed", "cancelled", "no_show")
OPEN_STATUSES = ("proposed", "booked")
OUTCOMES = ("verified", "not_verified", "no_show")
MAX_ID = 2**31 - 1  # an id beyond a PostgreSQL integer names no call


class BaseModel(peewee.Model):
    class Meta:
        database = db


class VideoCall(BaseModel):
    """A call on a ticket, for the ticket's requester, in the slots an agent offered."""

    ticket_number = peewee.CharField(max_length=20, index=True)
    requester_kind = peewee.CharField(max_length=10)  # user | guest
    requester_user_id = peewee.IntegerField(null=True)
    requester_email = peewee.CharField(max_length=254)
    requester_name = peewee.CharField(max_length=120, null=True)
    requester_locale = peewee.CharField(max_length=10, default="en")
    agent_id = peewee.IntegerField(null=True)
    agent_name = peewee.CharField(max_length=120, null=True)
    status = peewee.CharField(max_length=20, default="proposed")
    booked_start = peewee.DateTimeField(null=True)
    booked_end = peewee.DateTimeField(null=True)
    # Bumped whenever the booking is made, moved, cleared or cancelled: a reminder belongs to one version.
    booking_version = peewee.IntegerField(default=0)
    room_name = peewee.CharField(max_length=64, unique=True)
    translate_from = peewee.CharField(max_length=10, null=True)
    translate_to = peewee.CharField(max_length=10, null=True)
    outcome = peewee.CharField(max_length=20, null=True)
    outcome_note = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=clock.now)
    updated_at = peewee.DateTimeField(default=clock.now)
    booked_at = peewee.DateTimeField(null=True)
    finished_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = (
            (("requester_user_id", "id"), False),
            (("requester_email", "status"), False),
            (("status", "booked_start"), False),
        )


# At most one open call per ticket, even when two agents propose at once.
VideoCall.add_index(VideoCall.index(VideoCall.ticket_number, unique=True, name="videocall_one_open_per_ticket",
                                    where=VideoCall.status.in_(OPEN_STATUSES)))


class Slot(BaseModel):
    """A time the agent offered; withdrawn when new slots replace it."""

    call = peewee.ForeignKeyField(VideoCall, backref="slots", on_delete="CASCADE")
    start = peewee.DateTimeField()
    end = peewee.DateTimeField()
    withdrawn_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("call", "start"), False),)


class Reminder(BaseModel):
    """One row per booking that got its reminder: the UNIQUE key makes it once per booking."""

    call = peewee.ForeignKeyField(VideoCall, backref="reminders", on_delete="CASCADE")
    booking_version = peewee.IntegerField()
    slot_start = peewee.DateTimeField()
    sent_at = peewee.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("call", "booking_version"), True),)


class GuestVerification(BaseModel):
    """One row per email address of logged-out video joining, locked while a code for it is
    sent or checked, so that concurrent requests count one by one.

    `wrong_tries` and `locked_until` are no longer used (tries are counted per code); they
    stay until a later migration drops them, for the processes of the previous release.
    """

    email = peewee.CharField(max_length=254, unique=True)
    wrong_tries = peewee.IntegerField(default=0)
    locked_until = peewee.DateTimeField(null=True)


class VerificationCode(BaseModel):
    """A code sent to an address with calls; only its keyed hash is kept."""

    email = peewee.CharField(max_length=254)
    code_hash = peewee.CharField(max_length=64)
    created_at = peewee.DateTimeField(default=clock.now)
    expires_at = peewee.DateTimeField()
    used_at = peewee.DateTimeField(null=True)
    wrong_tries = peewee.IntegerField(default=0)  # the fifth spends the code

    class Meta:
        indexes = ((("email", "created_at"), False),)


OutboxMessage = make_outbox_model(db)

MODELS = [VideoCall, Slot, Reminder, GuestVerification, VerificationCode, OutboxMessage]
