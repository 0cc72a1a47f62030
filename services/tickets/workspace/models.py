"""The agent workspace's tables: the directory of agents (from `agent.profile_changed.v1` and the
claims of agents calling this service) and the macros, canned messages in three languages."""
from __future__ import annotations

import peewee

from services.tickets.models import BaseModel
from shared import clock

AGENT_STATUSES = ("available", "away")
MACRO_KINDS = ("reply", "info_request", "note")


class Agent(BaseModel):
    user_id = peewee.IntegerField(primary_key=True)  # the gateway's account id
    email = peewee.CharField(max_length=254)
    name = peewee.CharField(max_length=120)
    tier = peewee.CharField(max_length=20, default="standard")
    department = peewee.CharField(max_length=50, null=True)
    roles = peewee.CharField(max_length=200, default="")  # comma-separated: editor, supervisor
    locale = peewee.CharField(max_length=10, null=True)
    status = peewee.CharField(max_length=10, default="available")  # available | away
    active = peewee.BooleanField(default=True)
    # Round robin: the agent whose last automatic assignment is the oldest comes first. The sequence
    # orders them even when the clock stands still; the time is for people.
    assign_seq = peewee.BigIntegerField(default=0)
    last_assigned_at = peewee.DateTimeField(null=True)
    updated_at = peewee.DateTimeField(default=clock.now)

    class Meta:
        table_name = "agent"
        indexes = ((("department", "tier", "status"), False),)

    @property
    def role_list(self) -> list[str]:
        return [role for role in (self.roles or "").split(",") if role]


class Macro(BaseModel):
    title = peewee.CharField(max_length=120)
    kind = peewee.CharField(max_length=20)  # reply | info_request | note
    resolve = peewee.BooleanField(default=False)
    body_en = peewee.TextField()
    body_es = peewee.TextField(null=True)
    body_zh_hant = peewee.TextField(null=True)
    created_by = peewee.IntegerField(null=True)
    created_at = peewee.DateTimeField(default=clock.now)
    updated_at = peewee.DateTimeField(default=clock.now)

    class Meta:
        table_name = "macro"
