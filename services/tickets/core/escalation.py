"""Escalations: a customer asks for the senior tier or a department, the ticket moves to that
group (and is assigned round robin within it), and a specialist of the group accepts it."""
from __future__ import annotations

from services.tickets.core.models import Escalation, Ticket
from services.tickets.core.workflow import (
    add_system_message,
    assign,
    auto_assign,
    ensure_not_closed,
    event_data,
    set_status,
)
from services.tickets.sla import clocks as sla_clocks
from shared import clock
from shared.errors import ApiError
from shared.events import EventType
from shared.internal_auth import Caller


def pending_escalation(ticket: Ticket) -> Escalation | None:
    return ticket.escalations.where(Escalation.status == "pending").first()


def latest_escalation(ticket: Ticket) -> Escalation | None:
    return ticket.escalations.order_by(Escalation.requested_at.desc(), Escalation.id.desc()).first()


def escalate(outbox, ticket: Ticket, reason: str, department: str | None, window_days: int) -> Escalation:
    ensure_not_closed(ticket, window_days)
    if pending_escalation(ticket) is not None:
        raise ApiError(409, "escalation_pending", "An escalation of this ticket is already pending.",
                       {"ticket_number": ticket.number})
    tier = None if department else "senior"
    escalation = Escalation.create(ticket=ticket, reason=reason.strip(), tier=tier, department=department,
                                   requested_at=clock.now())
    if department:
        ticket.department = department
    else:
        ticket.tier = "senior"
    ticket.updated_at = clock.now()
    ticket.save()
    sla_clocks.ticket_moved(ticket)
    auto_assign(outbox, ticket)
    target = f"the {department} department" if department else "the senior support tier"
    add_system_message(ticket, f"The customer asked to escalate this ticket to {target}: {reason.strip()}")
    outbox.add(EventType.TICKET_ESCALATED,
               event_data(ticket, escalation_id=escalation.id, tier=tier, department=department))
    if ticket.status == "resolved":
        set_status(outbox, ticket, "open", "The escalation reopened the ticket.")
    return escalation


def accept_escalation(outbox, ticket: Ticket, agent: Caller) -> Escalation:
    escalation = pending_escalation(ticket)
    if escalation is None:
        raise ApiError(409, "no_pending_escalation", "This ticket has no pending escalation.")
    escalation.status = "accepted"
    escalation.accepted_at = clock.now()
    escalation.accepted_by = agent.user_id
    escalation.save()
    ticket.updated_at = clock.now()
    assign(outbox, ticket, agent.user_id)
    ticket.save()
    add_system_message(ticket, "A specialist accepted the escalation and is now handling this ticket.")
    outbox.add(EventType.TICKET_ESCALATION_ACCEPTED,
               event_data(ticket, escalation_id=escalation.id, tier=escalation.tier,
                          department=escalation.department))
    return escalation
