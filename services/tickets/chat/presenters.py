"""A chat as the API shows it: the helper's part from the chat's own messages, then,
after the handover, the ticket's public messages; its status read from the ticket. A ticket
merged into another goes on there, and so does its chat (`live_ticket`)."""
from __future__ import annotations

import json
import re

from services.tickets.chat.models import Chat, ChatMessage
from services.tickets.core import presenters, workflow
from services.tickets.core.merge_links import history_ticket_ids, merged_target
from services.tickets.core.models import Attachment, Message, Ticket
from shared import clock
from shared.errors import ApiError

# A message's id: `c<n>` for the chat's own messages, `t<n>` for the ticket's after the handover.
MESSAGE_ID = re.compile(r"^([ct])(\d{1,18})$")


def live_ticket(chat: Chat) -> Ticket | None:
    """The ticket a handed-over chat goes on in: its own, or the one that was merged into (not closed
    with it: the conversation continues there, and the chat follows)."""
    return merged_target(chat.ticket) if chat.ticket_id is not None else None


def status_of(chat: Chat, window_days: int) -> str:
    """bot, waiting_agent, with_agent (an agent has answered) or closed (also once the ticket is solved)."""
    if chat.status != "waiting_agent":
        return chat.status
    ticket = live_ticket(chat)
    if ticket is None or ticket.status == "resolved" or workflow.is_closed(ticket, window_days):
        return "closed"
    answered = (Message.select().where(Message.ticket.in_(history_ticket_ids(ticket))
                                       & (Message.id > chat.transcript_end)
                                       & (Message.author_role == "agent") & (Message.kind != "note")).exists())
    return "with_agent" if answered else "waiting_agent"


def parse_cursor(value: str | None) -> tuple[str, int] | None:
    """A message id (`c12`, `t34`) to continue after; None for the whole chat."""
    if not value:
        return None
    match = MESSAGE_ID.match(value.strip())
    if match is None:
        raise ApiError(400, "invalid_cursor", "Not a message id of this chat.", {"fields": {"after": ["Not valid."]}})
    return match.group(1), int(match.group(2))


def messages_of(chat: Chat, after: tuple[str, int] | None = None) -> list[dict]:
    """The chat's messages in order: its own until the handover, then the ticket's public ones."""
    items = []
    if after is None or after[0] == "c":
        query = chat.messages.order_by(ChatMessage.id)
        if after is not None:
            query = query.where(ChatMessage.id > after[1])
        items = [chat_message_dict(m) for m in query]
    if chat.ticket_id is not None and chat.transcript_end is not None:
        since = max(chat.transcript_end, after[1] if after and after[0] == "t" else 0)
        tickets = history_ticket_ids(live_ticket(chat))
        rows = list(Message.select().where(Message.ticket.in_(tickets) & (Message.id > since)
                                           & (Message.kind != "note")).order_by(Message.id))
        files: dict[int, list[Attachment]] = {}
        if rows:
            for attachment in Attachment.select().where(Attachment.message.in_([m.id for m in rows])):
                files.setdefault(attachment.message_id, []).append(attachment)
        items += [dict(presenters.message_dict(m, files.get(m.id, [])), id=f"t{m.id}", articles=[],
                       answer=None, article=None, quick_replies=[]) for m in rows]
    return items


def chat_message_dict(message: ChatMessage) -> dict:
    articles = json.loads(message.articles)
    return {"id": f"c{message.id}", "author": {"role": message.author_role, "name": message.author_name},
            "kind": "reply", "body": message.body, "attachments": [], "articles": articles,
            "answer": message.answer, "article": articles[0] if message.answer and articles else None,
            "quick_replies": json.loads(message.quick_replies or "[]"),
            "created_at": clock.isoformat(message.created_at)}


def chat_dict(chat: Chat, window_days: int) -> dict:
    return {"id": chat.id, "status": status_of(chat, window_days), "locale": chat.locale,
            "ticket_number": ticket_number(chat),
            "created_at": clock.isoformat(chat.created_at), "updated_at": clock.isoformat(chat.updated_at),
            "messages": messages_of(chat)}


def ticket_number(chat: Chat) -> str | None:
    """The number of the ticket the chat goes on in (the merge target's, after a merge)."""
    ticket = live_ticket(chat)
    return ticket.number if ticket is not None else None
