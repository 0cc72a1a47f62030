"""Satisfaction ratings: after a resolution the requester rates it good or bad, with an optional
comment; the rating may change within 7 days of the resolution, then it is locked."""
from __future__ import annotations

import datetime as dt

from services.tickets.core.models import Ticket
from services.tickets.core.workflow import event_data, is_closed
from services.tickets.sla.models import Satisfaction, TicketSla
from shared import clock
from shared.errors import ApiError
from shared.events import EventType

CHANGE_WINDOW = dt.timedelta(days=7)


def rate(outbox, ticket: Ticket, rating: str, comment: str | None, window_days: int) -> tuple[Satisfaction, bool]:
    """Record the rating; True when it is the first. 409 `not_resolved` or `rating_locked`."""
    resolved = ticket.status == "resolved" or (ticket.status == "closed" and ticket.resolved_at is not None)
    if not resolved or ticket.resolved_at is None:
        raise ApiError(409, "not_resolved", "A ticket can be rated once support has resolved it.",
                       {"ticket_number": ticket.number})
    now = clock.now()
    comment = (comment or "").strip() or None
    existing = Satisfaction.get_or_none(Satisfaction.ticket == ticket.id)
    if existing is None:
        satisfaction = Satisfaction.create(ticket=ticket, rating=rating, comment=comment, rated_at=now,
                                           first_rated_at=now)
    else:
        if now > ticket.resolved_at + CHANGE_WINDOW:
            raise ApiError(409, "rating_locked", "This rating can no longer be changed: 7 days have passed "
                           "since the ticket was resolved.", {"ticket_number": ticket.number})
        existing.rating, existing.comment, existing.rated_at = rating, comment, now
        existing.save()
        satisfaction = existing
    TicketSla.update(rating=rating, rated_at=now).where(TicketSla.ticket == ticket.id).execute()  # for the reports
    status = "closed" if is_closed(ticket, window_days) else ticket.status
    outbox.add(EventType.TICKET_RATED, {**event_data(ticket), "status": status, "rating": rating,
                                        "comment": comment, "changed": existing is not None})
    return satisfaction, existing is None


def satisfaction_dict(ticket: Ticket, satisfaction: Satisfaction | None = None) -> dict | None:
    """`{rating, comment, rated_at, changeable_until, locked}`, or None before any rating."""
    if satisfaction is None:
        satisfaction = Satisfaction.get_or_none(Satisfaction.ticket == ticket.id)
    if satisfaction is None:
        return None
    until = ticket.resolved_at + CHANGE_WINDOW if ticket.resolved_at else None
    return {"rating": satisfaction.rating, "comment": satisfaction.comment,
            "rated_at": clock.isoformat(satisfaction.rated_at), "changeable_until": clock.isoformat(until),
            "locked": until is None or clock.now() > until}
