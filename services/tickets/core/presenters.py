"""Tickets and messages as the API shows them. Internal notes appear only in the agents' view."""
from __future__ import annotations

from services.tickets.core.attachments import safe_filename
from services.tickets.core.escalation import latest_escalation
from services.tickets.core.merge_links import merged_sources
from services.tickets.core.models import Attachment, Escalation, Message, Ticket
from services.tickets.core.workflow import is_closed
from services.tickets.extensions import window_days
from services.tickets.search.tags import tags_of
from services.tickets.sla.clocks import due_keys, sla_dict
from services.tickets.sla.satisfaction import satisfaction_dict
from services.tickets.workspace.agents import names as agent_names
from shared import clock


def attachment_dict(attachment: Attachment) -> dict:
    return {"id": attachment.id, "filename": safe_filename(attachment.filename, attachment.content_type),
            "content_type": attachment.content_type,
            "size": attachment.size, "url": f"/api/v1/attachments/{attachment.id}"}


def message_dict(message: Message, attachments: list[Attachment], *, agent_view: bool = False,
                 from_ticket: str | None = None) -> dict:
    data = {"id": message.id, "author": {"role": message.author_role, "name": message.author_name},
            "kind": message.kind, "body": message.body,
            "attachments": [attachment_dict(a) for a in attachments],
            "created_at": clock.isoformat(message.created_at),
            "redacted": message.redacted_at is not None}
    if from_ticket is not None:  # a message of a ticket merged into the one shown
        data["from_ticket"] = from_ticket
    if agent_view and message.redacted_at is not None:
        # Why is for agents only; the customer sees that it happened.
        data["redaction"] = {"at": clock.isoformat(message.redacted_at), "reason": message.redaction_reason,
                             "by": {"id": message.redacted_by, "name": message.redacted_by_name}}
    return data


def new_message_dict(message: Message, had_files: bool) -> dict:
    """A message made in this request: its attachments are looked up only if files came with it."""
    return message_dict(message, list(message.attachments) if had_files else [])


_UNSET = object()


def latest_escalations(tickets: list[Ticket]) -> dict[int, Escalation]:
    """The latest escalation of each ticket of a page, in one query."""
    latest: dict[int, Escalation] = {}
    if tickets:
        for escalation in (Escalation.select().where(Escalation.ticket.in_([t.id for t in tickets]))
                           .order_by(Escalation.requested_at, Escalation.id)):
            latest[escalation.ticket_id] = escalation
    return latest


def escalation_dict(ticket: Ticket, escalation=_UNSET) -> dict | None:
    if escalation is _UNSET:
        escalation = latest_escalation(ticket)
    if escalation is None:
        return None
    return {"status": escalation.status, "reason": escalation.reason, "tier": escalation.tier,
            "department": escalation.department, "requested_at": clock.isoformat(escalation.requested_at),
            "accepted_at": clock.isoformat(escalation.accepted_at)}


def ticket_dict(ticket: Ticket, *, with_messages: bool = True, include_notes: bool = False,
                agent_view: bool = False, escalation=_UNSET, assignees: dict | None = None,
                tags=_UNSET, messages: list[tuple[Message, list[Attachment]]] | None = None) -> dict:
    """The ticket as the API shows it. `messages` (with their attachments) are those of a ticket
    created in this request, which has no merged tickets or rating to look up yet."""
    data = {
        "number": ticket.number, "subject": ticket.subject, "category": ticket.category,
        "status": "closed" if is_closed(ticket, window_days()) else ticket.status, "description": ticket.description, "txid": ticket.txid,
        "order_id": ticket.order_id, "occurred_at": clock.isoformat(ticket.occurred_at),
        "channel": ticket.channel, "locale": ticket.locale,
        "created_at": clock.isoformat(ticket.created_at), "updated_at": clock.isoformat(ticket.updated_at),
        "escalation": escalation_dict(ticket, escalation), "merged_into": ticket.merged_into,
    }
    if with_messages:
        created = messages is not None
        sources = {} if created else merged_sources(ticket)  # merged tickets' messages show here, marked
        if not created:
            messages = _stored_messages(ticket, sources, include_notes)
        data["messages"] = [message_dict(m, attachments, agent_view=agent_view, from_ticket=sources.get(m.ticket_id))
                            for m, attachments in messages]
        data["satisfaction"] = None if created else satisfaction_dict(ticket)
        if agent_view:
            data["sla"] = sla_dict(ticket)
    if agent_view:
        if assignees is None:
            assignees = agent_names([ticket.assignee_id])
        assignee = None if ticket.assignee_id is None else {"id": ticket.assignee_id,
                                                            "name": assignees.get(ticket.assignee_id)}
        data.update(tier=ticket.tier, department=ticket.department, assignee_id=ticket.assignee_id, assignee=assignee,
                    requester={"kind": ticket.requester_kind, "user_id": ticket.requester_user_id,
                               "email": ticket.requester_email, "name": ticket.requester_name},
                    age_seconds=int((clock.now() - ticket.created_at).total_seconds()),
                    tags=tags_of([ticket.id]).get(ticket.id, []) if tags is _UNSET else tags)
    return data


def _stored_messages(ticket: Ticket, sources: dict[int, str],
                     include_notes: bool) -> list[tuple[Message, list[Attachment]]]:
    """The ticket's messages (and its merged tickets') in order, each with its attachments: two queries."""
    query = Message.select().where(Message.ticket.in_([ticket.id, *sources])).order_by(Message.created_at, Message.id)
    if not include_notes:
        query = query.where(Message.kind != "note")
    messages = list(query)
    by_message: dict[int, list[Attachment]] = {}
    if messages:
        for attachment in (Attachment.select()
                           .where(Attachment.message.in_([m.id for m in messages]))
                           .order_by(Attachment.created_at)):
            by_message.setdefault(attachment.message_id, []).append(attachment)
    return [(m, by_message.get(m.id, [])) for m in messages]


def ticket_list(tickets: list[Ticket], *, agent_view: bool = False) -> list[dict]:
    escalations = latest_escalations(tickets)
    assignees = agent_names([t.assignee_id for t in tickets]) if agent_view else None
    tags = tags_of([t.id for t in tickets]) if agent_view else {}
    items = [ticket_dict(t, with_messages=False, agent_view=agent_view, escalation=escalations.get(t.id),
                         assignees=assignees, tags=tags.get(t.id, []))
             for t in tickets]
    if agent_view:
        due = due_keys([t.id for t in tickets])
        for ticket, item in zip(tickets, items, strict=True):
            item["sla_due_at"] = clock.isoformat(due.get(ticket.id))
    return items
