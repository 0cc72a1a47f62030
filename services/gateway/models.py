"""The gateway's tables: identity (accounts, sessions, devices, second factors) and its outbox."""
from __future__ import annotations

from pathlib import Path

import peewee

from services.gateway import config
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

ROLES = ("customer", "agent")


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
    # Two-factor sign-in (mfa.py): the TOTP secrets are stored encrypted, never in the clear.
    totp_secret = peewee.TextField(null=True)  # the confirmed one: 2FA is on
    totp_pending_secret = peewee.TextField(null=True)  # offered by enrolment, not yet confirmed
    totp_enabled_at = peewee.DateTimeField(null=True)
    totp_last_step = peewee.BigIntegerField(null=True)  # the last time step accepted: no replay
    anti_phishing_code = peewee.CharField(max_length=20, null=True)  # shown in every email to the account

    @property
    def mfa_enabled(self) -> bool:
        return self.totp_enabled_at is not None


class Session(BaseModel):
    token_hash = peewee.CharField(max_length=64, unique=True)
    account = peewee.ForeignKeyField(Account, backref="sessions", on_delete="CASCADE")
    csrf_token = peewee.CharField(max_length=64)
    created_at = peewee.DateTimeField(default=clock.now)
    expires_at = peewee.DateTimeField(index=True)
    revoked_at = peewee.DateTimeField(null=True)
    mfa_at = peewee.DateTimeField(null=True)  # when this session passed the second factor


class Device(BaseModel):
    account = peewee.ForeignKeyField(Account, backref="devices", on_delete="CASCADE")
    platform = peewee.CharField(max_length=10)
    device_id = peewee.CharField(max_length=200)
    created_at = peewee.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("account", "device_id"), True),)


class RecoveryCode(BaseModel):
    """One of an account's ten single-use recovery codes, as an HMAC (the codes are shown once)."""

    account = peewee.ForeignKeyField(Account, backref="recovery_codes", on_delete="CASCADE")
    code_hash = peewee.CharField(max_length=64)
    used_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "recovery_code"
        indexes = ((("account", "code_hash"), True),)


class MfaChallenge(BaseModel):
    """A login whose password was right and whose second factor is awaited (the `mfa_token`)."""

    token_hash = peewee.CharField(max_length=64, unique=True)
    account = peewee.ForeignKeyField(Account, backref="mfa_challenges", on_delete="CASCADE")
    created_at = peewee.DateTimeField(default=clock.now)
    expires_at = peewee.DateTimeField(index=True)
    attempts = peewee.IntegerField(default=0)  # codes tried
    ended_at = peewee.DateTimeField(null=True)  # spent by a login, or by too many wrong codes

    class Meta:
        table_name = "mfa_challenge"


OutboxMessage = make_outbox_model(db)
ProcessedEvent = make_processed_event_model(db)

MODELS = [Account, Session, Device, RecoveryCode, MfaChallenge, OutboxMessage, ProcessedEvent]
