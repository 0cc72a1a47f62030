"""The ticket part of every `ticket.*` event's data (TicketRef in shared/event_schemas.py)."""
from __future__ import annotations

from services.tickets.core.models import Ticket


def event_data(ticket: Ticket, **extra) -> dict:
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "category": ticket.category,
        "status": ticket.status,
        "requester": {"kind": ticket.requester_kind, "user_id": ticket.requester_user_id,
                      "email": ticket.requester_email, "locale": ticket.locale},
        "assignee_id": ticket.assignee_id,
        "tier": ticket.tier,
        "department": ticket.department,
        # A merged ticket's closing names where it continues (`ticket.merged.v1` tells the requester).
        **({"merged_into": ticket.merged_into} if ticket.merged_into else {}),
        **extra,
    }
