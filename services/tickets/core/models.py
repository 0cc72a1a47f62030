"""Tickets' tables: the ticket, its messages, their attachments, and escalations."""
from __future__ import annotations

import peewee

from services.tickets.models import BaseModel
from shared import clock

STATUSES = ("open", "awaiting_user", "resolved", "closed")
CATEGORIES = ("account_security", "deposit_withdrawal", "trading_fees_limits", "wallet",
              "referral_rewards", "video_verification", "other")
ACTIVE_STATUSES = ("open", "awaiting_user")


class Ticket(BaseModel):
    number = peewee.CharField(max_length=12, unique=True)
    requester_kind = peewee.CharField(max_length=10)  # user | guest
    requester_user_id = peewee.IntegerField(null=True)
    requester_email = peewee.CharField(max_length=254)
    requester_name = peewee.CharField(max_length=120, null=True)
    locale = peewee.CharField(max_length=10, default="en")
    channel = peewee.CharField(max_length=10, default="web")
    subject = peewee.CharField(max_length=200)
    category = peewee.CharField(max_length=40)
    description = peewee.TextField()
    txid = peewee.CharField(max_length=128, null=True, index=True)
    order_id = peewee.CharField(max_length=64, null=True, index=True)
    occurred_at = peewee.DateTimeField(null=True)
    status = peewee.CharField(max_length=20, default="open")
    tier = peewee.CharField(max_length=20, default="standard")
    department = peewee.CharField(max_length=50, null=True)
    assignee_id = peewee.IntegerField(null=True)
    created_at = peewee.DateTimeField(default=clock.now)
    updated_at = peewee.DateTimeField(default=clock.now)  # the last activity
    resolved_at = peewee.DateTimeField(null=True)
    closed_at = peewee.DateTimeField(null=True)
    merged_into = peewee.CharField(max_length=12, null=True, index=True)  # the number it continues in

    class Meta:
        indexes = (
            # A customer's list, newest activity first, paged by (updated_at, id).
            (("requester_user_id", "updated_at", "id"), False),
            (("requester_email", "requester_kind", "status"), False),
            (("status", "tier", "department", "updated_at"), False),
            (("status", "resolved_at"), False),
            (("assignee_id", "status"), False),  # an agent's open tickets, counted by assignment
        )


class Message(BaseModel):
    ticket = peewee.ForeignKeyField(Ticket, backref="messages", on_delete="CASCADE")
    author_role = peewee.CharField(max_length=10)  # customer | guest | agent | system | bot
    author_id = peewee.IntegerField(null=True)
    author_name = peewee.CharField(max_length=120)
    kind = peewee.CharField(max_length=20)  # reply | info_request | note | event
    body = peewee.TextField()
    created_at = peewee.DateTimeField(default=clock.now)
    # An agent's redaction: the body is overwritten, and these say when, by whom and why.
    redacted_at = peewee.DateTimeField(null=True)
    redacted_by = peewee.IntegerField(null=True)
    redacted_by_name = peewee.CharField(max_length=120, null=True)
    redaction_reason = peewee.TextField(null=True)

    class Meta:
        indexes = ((("ticket", "created_at"), False),)


class Attachment(BaseModel):
    id = peewee.CharField(max_length=36, primary_key=True)
    ticket = peewee.ForeignKeyField(Ticket, backref="attachments", on_delete="CASCADE")
    message = peewee.ForeignKeyField(Message, backref="attachments", on_delete="CASCADE")
    filename = peewee.CharField(max_length=255)
    content_type = peewee.CharField(max_length=100)
    size = peewee.IntegerField()
    sha256 = peewee.CharField(max_length=64)
    storage_name = peewee.CharField(max_length=64)
    created_at = peewee.DateTimeField(default=clock.now)


class Escalation(BaseModel):
    ticket = peewee.ForeignKeyField(Ticket, backref="escalations", on_delete="CASCADE")
    reason = peewee.TextField()
    tier = peewee.CharField(max_length=20, null=True)
    department = peewee.CharField(max_length=50, null=True)
    status = peewee.CharField(max_length=20, default="pending")  # pending | accepted
    requested_at = peewee.DateTimeField(default=clock.now)
    accepted_at = peewee.DateTimeField(null=True)
    accepted_by = peewee.IntegerField(null=True)

    class Meta:
        indexes = ((("ticket", "status"), False),)

