"""Who may see a ticket: its customer, the guest whose email and scope name it, and
the agents of its tier or department (a ticket one may not see is 404, never 403)."""
from __future__ import annotations

from services.tickets.core.merge_links import merged_target
from services.tickets.core.models import Ticket
from shared.errors import ApiError, not_found
from shared.internal_auth import Caller
from shared.prepared import Prepared
from shared.web import current_caller


def agents_only() -> None:
    """The agents' blueprints' `before_request`: 403 for everyone but agents."""
    if not current_caller().is_agent:
        raise ApiError(403, "forbidden", "This is for support agents.")


def require_role(role: str, refusal: str) -> Caller:
    """The caller, an agent holding `role` (editor, supervisor); 403 `forbidden` saying `refusal` otherwise."""
    caller = current_caller()
    if not caller.is_agent or role not in caller.roles:
        raise ApiError(403, "forbidden", refusal)
    return caller


def agent_may_see(agent: Caller, ticket: Ticket) -> bool:
    """Escalated tickets belong to their tier or department. A senior agent without a
    department supervises every queue, so no escalation is left where nobody sees it."""
    if agent.tier == "senior":
        return agent.department is None or ticket.department in (None, agent.department)
    if ticket.department is not None:
        return agent.department == ticket.department
    return ticket.tier == "standard"


_BY_NUMBER = Prepared(lambda number: Ticket.select().where(Ticket.number == number).limit(1))


def ticket_by_number(number: str) -> Ticket | None:
    """The ticket of this number, or None (every request about a ticket starts here: its SQL is made once)."""
    return _BY_NUMBER.first(str(number))


def customer_ticket(caller: Caller, number: str) -> Ticket:
    """The ticket if this customer or guest may see it; 404 otherwise, whichever it is.

    A merged ticket leads to the ticket its conversation continues in: that one is
    returned (same requester, by the merge's rule), so old links, and a guest session
    for the merged ticket, read and answer the target.
    """
    ticket = ticket_by_number(number)
    if ticket is None:
        raise not_found("ticket")
    ticket = merged_target(ticket)
    if caller.is_guest:
        if _guest_scope_leads_to(caller, number, ticket) and ticket.requester_kind == "guest" \
                and ticket.requester_email == (caller.email or "").lower():
            return ticket
        raise not_found("ticket")
    if caller.kind == "user" and ticket.requester_kind == "user" and ticket.requester_user_id == caller.user_id:
        return ticket
    raise not_found("ticket")


def _guest_scope_leads_to(caller: Caller, number: str, ticket: Ticket) -> bool:
    """A guest session opens its one ticket, and the ticket that one was merged into."""
    scoped = caller.scope.get("ticket")
    if not scoped:
        return False
    if scoped in (number, ticket.number):
        return True
    scoped_ticket = ticket_by_number(scoped)
    return scoped_ticket is not None and merged_target(scoped_ticket).id == ticket.id


def agent_may_open(agent: Caller, ticket: Ticket) -> bool:
    """The ticket, or the one it was merged into (whose history shows it), is the agent's to see."""
    return agent_may_see(agent, ticket) or (ticket.merged_into is not None
                                             and agent_may_see(agent, merged_target(ticket)))


def agent_ticket(agent: Caller, number: str) -> Ticket:
    ticket = ticket_by_number(number)
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
