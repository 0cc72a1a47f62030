"""Merging a duplicate ticket into another of the same requester.

The source becomes `closed` with `merged_into` set to the target's number; its own
rows stay where they are (messages, attachments, escalations, its SLA and report
figures), and the target's history shows them, each message marked with the source's
number (presenters, through merge_links). Old links lead to the target: a customer's
or guest's request for the source answers with the target (access.customer_ticket).
"""
from __future__ import annotations

from services.tickets.core import workflow
from services.tickets.core.access import agent_may_see
from services.tickets.core.models import Ticket
from services.tickets.models import db
from shared import clock
from shared.db import for_update
from shared.errors import ApiError, not_found
from shared.events import EventType
from shared.internal_auth import Caller


def same_requester(a: Ticket, b: Ticket) -> bool:
    if a.requester_kind != b.requester_kind:
        return False
    if a.requester_kind == "user":
        return a.requester_user_id is not None and a.requester_user_id == b.requester_user_id
    return a.requester_email.lower() == b.requester_email.lower()


def _locked(*ids: int) -> dict[int, Ticket]:
    """Both tickets, locked in id order (on PostgreSQL), so two merges of one pair cannot cross."""
    query = Ticket.select().where(Ticket.id.in_(sorted(ids))).order_by(Ticket.id)
    return {ticket.id: ticket for ticket in for_update(query, db.obj, skip_locked=False)}


def merge(outbox, source: Ticket, into: str, agent: Caller, window_days: int) -> Ticket:
    """Merge `source` into the ticket numbered `into`; runs inside the caller's transaction.

    400 merging into itself; 404 a target that is absent or not the agent's to see;
    409 `already_merged` when either ticket is already merged, `different_requester`,
    or `ticket_closed` when the target is closed (the conversation could not continue).
    """
    if into == source.number:
        raise ApiError(400, "validation_error", "Some fields are missing or invalid.",
                       {"fields": {"into": ["A ticket cannot be merged into itself."]}})
    target = Ticket.get_or_none(Ticket.number == into)
    if target is None or not agent_may_see(agent, target):
        raise not_found("ticket")
    rows = _locked(source.id, target.id)
    source, target = rows[source.id], rows[target.id]
    if source.merged_into:
        raise ApiError(409, "already_merged", f"This ticket was already merged into ticket {source.merged_into}.",
                       {"ticket_number": source.number, "merged_into": source.merged_into})
    if target.merged_into:
        raise ApiError(409, "already_merged",
                       f"Ticket {target.number} was itself merged into ticket {target.merged_into}; "
                       "merge into that one.", {"ticket_number": target.number, "merged_into": target.merged_into})
    if not same_requester(source, target):
        raise ApiError(409, "different_requester", "Only tickets of the same requester can be merged.",
                       {"ticket_number": source.number, "into": target.number})
    if workflow.is_closed(target, window_days):
        raise ApiError(409, "ticket_closed", f"Ticket {target.number} is closed; the conversation cannot continue "
                       "there.", {"ticket_number": target.number})
    source.merged_into = target.number
    note = (f"This ticket was merged into ticket {target.number} ({target.subject}); "
            "the conversation continues there.")
    if source.status != "closed":
        workflow.set_status(outbox, source, "closed", note)
    else:
        source.save()
        workflow.add_system_message(source, note)
    workflow.add_system_message(target, f"Ticket {source.number} ({source.subject}) was merged into this ticket; "
                                        "its messages appear in this history.")
    target.updated_at = clock.now()
    target.save()
    outbox.add(EventType.TICKET_MERGED,
               workflow.event_data(source, into_number=target.number, into_subject=target.subject))
    return source
