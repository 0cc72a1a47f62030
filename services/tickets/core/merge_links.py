"""Where merged tickets lead: a merged ticket (`merged_into` set) points at the ticket its
conversation continues in, and that ticket's history holds the merged tickets' messages.

Merging into a ticket that is itself merged is refused, but the target may be merged
later, so a pointer may lead on; every walk here is bounded.
"""
from __future__ import annotations

from collections.abc import Iterable

from services.tickets.core.models import ACTIVE_STATUSES, Ticket
from shared.errors import ApiError

MAX_HOPS = 20


def merged_target(ticket: Ticket) -> Ticket:
    """The ticket whose conversation this one continues in: itself when it is not merged."""
    seen = {ticket.id}
    while ticket.merged_into and len(seen) <= MAX_HOPS:
        following = Ticket.get_or_none(Ticket.number == ticket.merged_into)
        if following is None or following.id in seen:
            break
        seen.add(following.id)
        ticket = following
    return ticket


def merged_sources(ticket: Ticket) -> dict[int, str]:
    """The tickets merged into this one, directly or through another: id -> number."""
    found: dict[int, str] = {}
    frontier = [ticket.number]
    while frontier and len(found) < 50 * MAX_HOPS:
        rows = list(Ticket.select(Ticket.id, Ticket.number)
                    .where(Ticket.merged_into.in_(frontier) & (Ticket.id != ticket.id)))
        frontier = [row.number for row in rows if row.id not in found]
        found.update({row.id: row.number for row in rows})
    return found


def history_ticket_ids(ticket: Ticket) -> list[int]:
    """The tickets whose messages make this ticket's history: itself and those merged into it."""
    return [ticket.id, *merged_sources(ticket)]


def first_open(candidates: Iterable[Ticket]) -> Ticket | None:
    """The first candidate still open or awaiting the user, a merged one standing for its target."""
    for candidate in candidates:
        target = merged_target(candidate)
        if target.status in ACTIVE_STATUSES:
            return target
    return None


def ensure_not_merged(ticket: Ticket) -> None:
    """Nobody answers a merged ticket: 409 `ticket_closed`, naming the ticket it continues in."""
    if ticket.merged_into:
        raise ApiError(409, "ticket_closed",
                       f"This ticket was merged into ticket {ticket.merged_into}; please continue there.",
                       {"ticket_number": ticket.number, "merged_into": ticket.merged_into})
