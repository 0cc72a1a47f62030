"""No two agents answer past each other: a reply or request for details sent with
`seen_message_id` (the newest message the agent's page has shown) is refused with 409
`ticket_changed` when a public message newer than that one has arrived since, unless
the agent confirms with `force`.

Public messages are what the customer sees as the conversation: replies and requests
for details, from anyone (customer, guest, agent, the chat's helper), in this ticket
and in the tickets merged into it. System events (status changes, video calls) and
internal notes do not count, and an internal note is never refused: it answers nobody.
"""
from __future__ import annotations

from services.tickets.core import presenters
from services.tickets.core.merge_links import history_ticket_ids
from services.tickets.core.models import Attachment, Message, Ticket
from services.tickets.models import db
from shared.db import for_update
from shared.errors import ApiError

PUBLIC_KINDS = ("reply", "info_request")


def check_not_changed(ticket: Ticket, kind: str, seen_message_id: int | None, force: bool) -> None:
    """Raise 409 `ticket_changed` with `details.new_messages` (as the agents' view shows them).

    Runs inside the reply's transaction, after locking the ticket's row, so two agents
    sending at once on the same `seen_message_id` cannot both pass: a reply updates
    the row, and the second check then sees the first reply.
    """
    if seen_message_id is None or force or kind not in PUBLIC_KINDS:
        return
    for_update(Ticket.select().where(Ticket.id == ticket.id), db.obj, skip_locked=False).get()
    in_history = Message.ticket.in_(history_ticket_ids(ticket))
    if not Message.select().where(in_history & (Message.id == seen_message_id)).exists():
        raise ApiError(400, "validation_error", "Some fields are missing or invalid.",
                       {"fields": {"seen_message_id": ["Not a message of this ticket."]}})
    newer = list(Message.select()
                 .where(in_history & (Message.id > seen_message_id) & Message.kind.in_(PUBLIC_KINDS))
                 .order_by(Message.created_at, Message.id))
    if not newer:
        return
    files: dict[int, list[Attachment]] = {}
    for attachment in (Attachment.select().where(Attachment.message.in_([m.id for m in newer]))
                       .order_by(Attachment.created_at)):
        files.setdefault(attachment.message_id, []).append(attachment)
    raise ApiError(409, "ticket_changed",
                   "New messages arrived on this ticket since you opened it. Read them, then send again "
                   "(or send anyway with `force`).",
                   {"ticket_number": ticket.number,
                    "new_messages": [presenters.message_dict(m, files.get(m.id, []), agent_view=True)
                                     for m in newer]})
