"""The audit log: who did what to which ticket, from where; append-only.

Every staff access to a ticket or attachment, every change an agent makes, every
sign-in and every failed second factor is one row. The database refuses UPDATE,
DELETE (and TRUNCATE on PostgreSQL) on the table (migration 0003), as the referral
ledger does, so a row once written stays as written.
"""
from __future__ import annotations

import json

import peewee
from flask import has_request_context, request

from services.gateway.models import BaseModel
from shared import clock


class AuditEvent(BaseModel):
    at = peewee.DateTimeField(default=clock.now, index=True)
    actor_id = peewee.IntegerField(null=True, index=True)
    actor_role = peewee.CharField(max_length=20, null=True)  # customer | agent | guest | anonymous
    actor_email = peewee.CharField(max_length=254, null=True)
    action = peewee.CharField(max_length=50, index=True)  # e.g. auth.login, ticket.viewed, message.redacted
    target_type = peewee.CharField(max_length=30, null=True)  # account | ticket | attachment | macro | ...
    target_id = peewee.CharField(max_length=100, null=True)
    ticket_number = peewee.CharField(max_length=20, null=True, index=True)
    ip = peewee.CharField(max_length=45, null=True)
    details = peewee.TextField(default="{}")

    class Meta:
        table_name = "audit_event"


def client_ip() -> str | None:
    """The caller's address as the gateway sees it (ProxyFix applies `TRUSTED_PROXY_COUNT`)."""
    return request.remote_addr if has_request_context() else None


def record(action: str, *, actor_id: int | None = None, actor_role: str | None = None,
           actor_email: str | None = None, target_type: str | None = None, target_id: str | int | None = None,
           ticket_number: str | None = None, details: dict | None = None, ip: str | None = None) -> AuditEvent:
    """Append one audit row (in the caller's transaction, if any). `details` must hold no secret."""
    return AuditEvent.create(
        action=action, actor_id=actor_id, actor_role=actor_role, actor_email=actor_email,
        target_type=target_type, target_id=None if target_id is None else str(target_id)[:100],
        ticket_number=ticket_number, ip=ip if ip is not None else client_ip(),
        details=json.dumps(details or {}, separators=(",", ":"), default=str))


def to_dict(event: AuditEvent) -> dict:
    return {
        "id": event.id, "at": clock.isoformat(event.at), "action": event.action,
        "actor": {"id": event.actor_id, "role": event.actor_role, "email": event.actor_email},
        "target": {"type": event.target_type, "id": event.target_id, "ticket_number": event.ticket_number},
        "ip": event.ip, "details": json.loads(event.details or "{}"),
    }
