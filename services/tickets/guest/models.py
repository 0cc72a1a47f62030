"""Guest verification's tables: a guest ticket's wrong tries and lock, and its emailed codes."""
from __future__ import annotations

import peewee

from services.tickets.core.models import Ticket
from services.tickets.models import BaseModel
from shared import clock


class GuestVerification(BaseModel):
    """A guest ticket's email verification: wrong tries and the lock, one row per ticket."""

    ticket = peewee.ForeignKeyField(Ticket, unique=True, backref="guest_verifications", on_delete="CASCADE")
    wrong_tries = peewee.IntegerField(default=0)
    locked_until = peewee.DateTimeField(null=True)
    verified_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "guest_verification"


class GuestCode(BaseModel):
    """One emailed code, kept only as its keyed hash; the latest unused one is the one that counts."""

    ticket = peewee.ForeignKeyField(Ticket, backref="guest_codes", on_delete="CASCADE")
    code_hash = peewee.CharField(max_length=64)
    created_at = peewee.DateTimeField(default=clock.now)
    expires_at = peewee.DateTimeField()
    used_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "guest_code"
        indexes = ((("ticket", "created_at"), False),)
