"""An agent's redaction of a message that holds what it must not (a card number, a
password): its text is overwritten with `[redacted]` wherever it was kept (the ticket's
description for a first message, a live chat's own copy of its transcript), its files
are deleted from storage, and the history says so: publicly who did it, and in an
internal note why."""
from __future__ import annotations

from services.tickets.chat.models import Chat, ChatMessage
from services.tickets.core import workflow
from services.tickets.core.attachments import AttachmentStore
from services.tickets.core.merge_links import history_ticket_ids
from services.tickets.core.models import Attachment, Message, Ticket
from shared import clock
from shared.errors import ApiError, not_found
from shared.internal_auth import Caller

REDACTED = "[redacted]"
MAX_MESSAGE_ID = 2**31 - 1  # the column's range: a larger id is no message, not a database error


def redact_message(store: AttachmentStore, ticket: Ticket, message_id: int, agent: Caller, reason: str) -> Message:
    """Redact one message of `ticket`'s history; 404 if it is not there, 409 `already_redacted` the second time.

    Runs in the caller's transaction. The files are removed last, so a failed commit
    leaves the message unredacted with its files gone: downloads answer 404, and the
    redaction can simply be made again.
    """
    message = None
    if 0 < message_id <= MAX_MESSAGE_ID:
        # A merged ticket's messages show in the target's history: they are redacted from there too.
        message = Message.get_or_none((Message.id == message_id) & Message.ticket.in_(history_ticket_ids(ticket)))
    if message is None:
        raise not_found("message")
    original = message.body
    author = workflow.Author.of(agent)
    now = clock.now()
    # One statement that only an unredacted message passes: two agents at once redact it once.
    changed = (Message.update(body=REDACTED, redacted_at=now, redacted_by=agent.user_id,
                              redacted_by_name=author.name, redaction_reason=reason.strip())
               .where((Message.id == message.id) & Message.redacted_at.is_null()).execute())
    if not changed:
        raise ApiError(409, "already_redacted", "This message is already redacted.",
                       {"message_id": message.id, "ticket_number": ticket.number})
    files = list(Attachment.select().where(Attachment.message == message))
    Attachment.delete().where(Attachment.message == message).execute()
    _redact_copies(message.ticket, message, original)
    event = workflow.add_system_message(ticket, f"{author.name} redacted a message.")
    Message.create(ticket=ticket, author_role=workflow.SYSTEM.role, author_name=workflow.SYSTEM.name, kind="note",
                   body=f"{author.name} redacted message {message.id}. Reason: {reason.strip()}",
                   created_at=event.created_at)
    for attachment in files:
        store.delete(attachment.storage_name)
    return Message.get_by_id(message.id)


def _redact_copies(ticket: Ticket, message: Message, original: str) -> None:
    """The same text kept elsewhere: the ticket's description (and a chat ticket's subject,
    made from it) for the first message; the chat's own messages for a transcript's."""
    first = Message.select(Message.id).where(Message.ticket == ticket).order_by(Message.id).first()
    if first is not None and first.id == message.id:
        changes = {Ticket.description: REDACTED}
        if ticket.channel == "chat":
            changes[Ticket.subject] = f"Live chat: {REDACTED}"
        Ticket.update(changes).where(Ticket.id == ticket.id).execute()
    for chat in Chat.select().where(Chat.ticket == ticket):
        if chat.transcript_end is None or message.id > chat.transcript_end:
            continue  # after the handover the chat shows the ticket's own message
        # The transcript was copied as written: same author, time and text.
        (ChatMessage.update(body=REDACTED)
         .where((ChatMessage.chat == chat) & (ChatMessage.author_role == message.author_role)
                & (ChatMessage.created_at == message.created_at) & (ChatMessage.body == original))
         .execute())
