"""Who may see a ticket: its customer, the guest whose email and scope name it, and
the agents of its tier or department (a ticket one may not see is 404, never 403)."""
from __future__ import annotations

from services.tickets.core.models import Ticket
from shared.errors import not_found
from shared.internal_auth import Caller


def agent_may_see(agent: Caller, ticket: Ticket) -> bool:
    """Escalated tickets belong to their tier or department. A senior agent without a
    department supervises every queue, so no escalation is left where nobody sees it."""
    if agent.tier == "senior":
        return agent.department is None or ticket.department in (None, agent.department)
    if ticket.department is not None:
        return agent.department == ticket.department
    return ticket.tier == "standard"


def customer_ticket(caller: Caller, number: str) -> Ticket:
    """The ticket if this customer or guest may see it; 404 otherwise, whichever it is."""
    ticket = Ticket.get_or_none(Ticket.number == number)
    if ticket is None:
        raise not_found("ticket")
    if caller.is_guest:
        if caller.scope.get("ticket") == number and ticket.requester_kind == "guest" \
                and ticket.requester_email == (caller.email or "").lower():
            return ticket
        raise not_found("ticket")
    if caller.kind == "user" and ticket.requester_kind == "user" and ticket.requester_user_id == caller.user_id:
        return ticket
    raise not_found("ticket")


def agent_ticket(agent: Caller, number: str) -> Ticket:
    ticket = Ticket.get_or_none(Ticket.number == number)
    if ticket is None or not agent_may_see(agent, ticket):
        raise not_found("ticket")
    return ticket


def visible_to(agent: Caller):
    """The SQL form of agent_may_see."""
    if agent.tier == "senior":
        if agent.department:
            return Ticket.department.is_null() | (Ticket.department == agent.department)
        return Ticket.id.is_null(False)
    if agent.department:
        return (Ticket.department == agent.department) | (
            Ticket.department.is_null() & (Ticket.tier == "standard"))
    return Ticket.department.is_null() & (Ticket.tier == "standard")
