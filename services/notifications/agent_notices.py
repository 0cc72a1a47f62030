"""What the ticket events tell agents: a pure function of the event, like `notices.compose`.

The agent who holds the ticket (the event's `assignee_id`) hears of every reply of its customer
or guest, every escalation and every rating, and of a ticket given to them (`ticket.assigned.v1`,
by auto-assignment or by someone else). A service-level breach tells the holder, or, while nobody
holds the ticket, the supervisors (a group `recipients.py` names from the agent directory). Each
notice links to the agent's ticket page.
"""
from __future__ import annotations

from services.notifications.notices import AGENT_TYPES, Audience, Notice
from shared.events import Envelope, EventType

SUPERVISORS = "supervisors"
CUSTOMER_ROLES = {"customer", "guest"}
SLA_TOPICS = {"first_response": "agent_sla_first_response", "next_response": "agent_sla_next_response",
              "resolution": "agent_sla_resolution"}


def agent_ticket_page(number: str) -> str:
    return f"/agent/tickets/{number}"


def _topic_and_kind(envelope: Envelope) -> tuple[str, str] | None:
    data, event_type = envelope.data, envelope.type
    if event_type == EventType.TICKET_MESSAGE_ADDED:
        return ("agent_ticket_reply", "assigned_tickets") if data["author_role"] in CUSTOMER_ROLES else None
    if event_type == EventType.TICKET_ESCALATED:
        return "agent_ticket_escalated", "assigned_tickets"
    if event_type == EventType.TICKET_ASSIGNED:
        # An agent who took the ticket themselves needs no notice (`assigned_by_id`, when the producer sends it).
        if data.get("assigned_by_id") is not None and data.get("assigned_by_id") == data.get("assignee_id"):
            return None
        return "agent_ticket_assigned", "assigned_tickets"
    if event_type == EventType.TICKET_RATED:
        return f"agent_ticket_rated_{data['rating']}", "satisfaction"
    return SLA_TOPICS[data["metric"]], "sla_breaches"


def compose_for_agents(envelope: Envelope) -> list[Notice]:
    """The notices the event gives agents: none, the assignee's, or the supervisors' (a group)."""
    if envelope.type not in AGENT_TYPES:
        return []
    found = _topic_and_kind(envelope)
    if found is None:
        return []
    topic, kind = found
    data = envelope.data
    assignee_id = data.get("assignee_id")
    if assignee_id is not None:
        audience = Audience(int(assignee_id), None, None)
    elif envelope.type == EventType.TICKET_SLA_BREACHED:
        audience = Audience(None, None, None, group=SUPERVISORS, department=data.get("department"))
    else:
        return []
    return [Notice(topic, kind, audience, {"number": data["number"]}, agent_ticket_page(data["number"]))]
