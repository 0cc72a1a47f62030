"""The referrals service's tables. Datetimes are naive UTC; amounts are exact decimals.

Amounts are stored as canonical decimal strings: SQLite has no exact decimal type
(its NUMERIC affinity turns `0.00012345` into a float), and a string compares
exactly in the ledger's append-only triggers on both databases.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import peewee

from services.referrals import config
from shared import clock
from shared.consumer import make_processed_event_model
from shared.db import open_service_database
from shared.outbox import make_outbox_model

db = peewee.DatabaseProxy()

MIGRATIONS = Path(__file__).parent / "migrations"


def init_database(url: str, migrate: bool = True):
    """Point `db` at the service's database and migrate it: here, not in app.py, so the worker
    process opens it without importing Flask and the web stack (issue 23: its memory)."""
    return open_service_database(db, url, config.SERVICE, MIGRATIONS, migrate)

MILESTONES = ("app_installed", "deposit_50")
ROLES = ("inviter", "invitee")
ACTIVITY_KINDS = ("app_installed", "deposit", "buy")
BOX_STATUSES = ("unopened", "opened")
ENTRY_STATUSES = ("pending", "credited")


def format_amount(value: Decimal) -> str:
    """A Decimal as plain positional text (no exponent, no trailing zeros beyond the value's own)."""
    return format(value, "f")


class AmountField(peewee.CharField):
    """A `Decimal` kept exactly, as text."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(*args, **kwargs)

    def db_value(self, value):
        if value is None:
            return None
        return format_amount(Decimal(value))

    def python_value(self, value):
        return None if value is None else Decimal(value)


class BaseModel(peewee.Model):
    class Meta:
        database = db


class Member(BaseModel):
    """An account as `user.registered.v1` described it: what the rules need, no more."""

    user_id = peewee.IntegerField(primary_key=True)
    region = peewee.CharField(max_length=8, null=True)
    parent_id = peewee.IntegerField(null=True)
    referral_code = peewee.CharField(max_length=32, null=True)  # the code it registered with
    inviter_id = peewee.IntegerField(null=True, index=True)  # whose code that is
    registered_at = peewee.DateTimeField()
    recorded_at = peewee.DateTimeField(default=clock.now)


class Activity(BaseModel):
    """A fact that a milestone is judged from: an app install, a deposit or a buy."""

    user_id = peewee.IntegerField()
    kind = peewee.CharField(max_length=20)  # app_installed | deposit | buy
    occurred_at = peewee.DateTimeField()
    usdt_value = AmountField(null=True)
    # The transaction id (hashed, as ids have no fixed length) when the reporter gives one: the
    # same deposit reported twice is one fact. Otherwise the event id.
    source_key = peewee.CharField(max_length=200, unique=True)
    event_id = peewee.CharField(max_length=36)
    recorded_at = peewee.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("user_id", "kind"), False),)


class MysteryBox(BaseModel):
    user_id = peewee.IntegerField()
    invitee_id = peewee.IntegerField()
    role = peewee.CharField(max_length=10)  # inviter | invitee
    milestone = peewee.CharField(max_length=20)  # app_installed | deposit_50
    status = peewee.CharField(max_length=10, default="unopened")
    granted_at = peewee.DateTimeField(default=clock.now)
    opened_at = peewee.DateTimeField(null=True)
    reward_kind = peewee.CharField(max_length=20, null=True)  # BTC | ETH | DOT | fee_rebate_card
    reward_amount = AmountField(null=True)
    reward_usdt_value = AmountField(null=True)
    price_used = AmountField(null=True)  # USDT per unit of the reward's asset at the draw
    prize_table_version = peewee.CharField(max_length=40, null=True)

    class Meta:
        table_name = "mystery_box"
        indexes = (
            # A milestone pays once per invitee, to each side: the database says so, not only the code.
            (("invitee_id", "milestone", "role"), True),
            (("user_id", "id"), False),
        )


class LedgerEntry(BaseModel):
    """One line of the funding account's capital flows: appended, then credited, never edited."""

    user_id = peewee.IntegerField()
    account = peewee.CharField(max_length=20, default="funding")
    type = peewee.CharField(max_length=30)  # mystery_box_reward | fee_rebate_card
    asset = peewee.CharField(max_length=20)
    amount = AmountField()
    status = peewee.CharField(max_length=10, default="pending")  # pending | credited
    reference = peewee.CharField(max_length=64, unique=True)  # e.g. mystery_box:42: one entry per box
    created_at = peewee.DateTimeField(default=clock.now)
    credited_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "ledger_entry"
        indexes = (
            (("user_id", "id"), False),
            (("status", "id"), False),
        )


OutboxMessage = make_outbox_model(db)
ProcessedEvent = make_processed_event_model(db)

MODELS = [Member, Activity, MysteryBox, LedgerEntry, OutboxMessage, ProcessedEvent]
