"""The gateway's tables: identity (accounts, sessions, devices) and its outbox."""
from __future__ import annotations

import peewee

from shared import clock
from shared.consumer import make_processed_event_model
from shared.outbox import make_outbox_model

db = peewee.DatabaseProxy()

ROLES = ("customer", "agent")
LOCALES = ("en", "es", "zh-Hant")


class BaseModel(peewee.Model):
    class Meta:
        database = db


class Account(BaseModel):
    email = peewee.CharField(max_length=254, unique=True)
    password_hash = peewee.CharField(max_length=255)
    display_name = peewee.CharField(max_length=120, null=True)
    role = peewee.CharField(max_length=20, default="customer")
    tier = peewee.CharField(max_length=20, null=True)  # agents: standard | senior
    department = peewee.CharField(max_length=50, null=True)
    locale = peewee.CharField(max_length=10, default="en")
    region = peewee.CharField(max_length=2, null=True)
    referral_code = peewee.CharField(max_length=32, null=True)  # the code it registered with
    parent = peewee.ForeignKeyField("self", null=True, backref="sub_accounts", on_delete="CASCADE")
    roles = peewee.CharField(max_length=200, default="")  # extra agent roles, comma-separated: "editor"
    created_at = peewee.DateTimeField(default=clock.now)


class Session(BaseModel):
    token_hash = peewee.CharField(max_length=64, unique=True)
    account = peewee.ForeignKeyField(Account, backref="sessions", on_delete="CASCADE")
    csrf_token = peewee.CharField(max_length=64)
    created_at = peewee.DateTimeField(default=clock.now)
    expires_at = peewee.DateTimeField(index=True)
    revoked_at = peewee.DateTimeField(null=True)


class Device(BaseModel):
    account = peewee.ForeignKeyField(Account, backref="devices", on_delete="CASCADE")
    platform = peewee.CharField(max_length=10)
    device_id = peewee.CharField(max_length=200)
    created_at = peewee.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("account", "device_id"), True),)


OutboxMessage = make_outbox_model(db)
ProcessedEvent = make_processed_event_model(db)

MODELS = [Account, Session, Device, OutboxMessage, ProcessedEvent]
