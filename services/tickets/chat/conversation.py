"""What happens in a live chat: the person writes, the helper answers from the help
center, and a request for an agent (or two answers that found nothing) hands the
chat over as a ticket of channel `chat` holding the whole transcript. From then on
the person's messages are replies on that ticket and the chat shows the ticket's
public messages, so agents answer with the ticket's own endpoints."""
from __future__ import annotations

import json
import re
import secrets

from services.tickets.chat import helper as chat_helper
from services.tickets.chat.models import Chat, ChatMessage
from services.tickets.core import access, workflow
from services.tickets.core.merge_links import merged_target
from services.tickets.core.models import Message
from services.tickets.help_center.models import HelpArticle
from services.tickets.help_center.text import guess_locale, normalize_locale
from services.tickets.models import db
from shared import clock
from shared.db import for_update
from shared.errors import ApiError, not_found
from shared.internal_auth import Caller

MISSES_BEFORE_HANDOVER = 2
CHAT_ID = re.compile(r"^[0-9a-f]{32}$")
HANDOVER_NOTE = "The live chat was handed over to support; the conversation with the help assistant is above."


def new_chat_id() -> str:
    return secrets.token_hex(16)


def chat_closed(chat: Chat) -> ApiError:
    return ApiError(409, "chat_closed", "This chat has ended; start a new one.", {"chat_id": chat.id})


# -- who may see a chat ----------------------------------------------------------------------------

def chat_for(caller: Caller, chat_id: str) -> Chat:
    """The chat if this customer or guest started it; 404 otherwise, whichever it is."""
    if caller.kind not in ("user", "guest"):
        raise ApiError(401, "not_authenticated", "Log in, or use the chat_token of your chat.")
    chat = Chat.get_or_none(Chat.id == chat_id) if CHAT_ID.match(chat_id) else None
    if chat is None:
        raise not_found("chat")
    if caller.is_guest:
        if caller.scope.get("chat") == chat.id and chat.requester_kind == "guest" \
                and chat.requester_email == (caller.email or "").lower():
            return chat
    elif caller.is_customer and chat.requester_kind == "user" and chat.requester_user_id == caller.user_id:
        return chat
    raise not_found("chat")


def agent_chat(agent: Caller, chat_id: str) -> Chat:
    """A handed-over chat whose ticket this agent may see."""
    chat = Chat.get_or_none(Chat.id == chat_id) if CHAT_ID.match(chat_id) else None
    if chat is None or chat.ticket is None or not access.agent_may_see(agent, chat.ticket):
        raise not_found("chat")
    return chat


def locked(chat: Chat) -> Chat:
    """The chat again, its row locked until the transaction ends (one handover, never two)."""
    return for_update(Chat.select().where(Chat.id == chat.id), db.obj, skip_locked=False).get()


# -- the conversation ------------------------------------------------------------------------------

def start_chat(outbox, store, caller: Caller, fields: dict, window_days: int) -> Chat:
    """A new chat with the person's first message and the helper's answer."""
    if caller.is_agent:
        raise ApiError(403, "forbidden", "Agents answer chats through their tickets.")
    if caller.is_customer:
        kind, email, user_id, name = "user", caller.email, caller.user_id, caller.name
    else:
        if not fields.get("email"):
            raise ApiError(400, "validation_error", "Some fields are missing or invalid.",
                           {"fields": {"email": ["Your email, so that support can reach you (or log in)."]}})
        kind, email, user_id, name = "guest", fields["email"], None, fields["email"].split("@")[0]
    fallback = normalize_locale(caller.locale) or "en"
    now = clock.now()
    chat = Chat.create(id=new_chat_id(), requester_kind=kind, requester_user_id=user_id,
                       requester_email=email.lower(), requester_name=name,
                       locale=fields.get("locale") or guess_locale(fields["message"], fallback),
                       created_at=now, updated_at=now)
    converse(outbox, store, chat, fields["message"], window_days)
    return chat


def person(chat: Chat) -> workflow.Author:
    role = "customer" if chat.requester_kind == "user" else "guest"
    return workflow.Author(role, chat.requester_name or chat.requester_email.split("@")[0], chat.requester_user_id)


def add_chat_message(chat: Chat, author: workflow.Author, body: str, articles: list | None = None, *,
                     answer: str | None = None, quick_replies: list | None = None) -> ChatMessage:
    return ChatMessage.create(chat=chat, author_role=author.role, author_name=author.name, body=body,
                              articles=json.dumps(articles or [], ensure_ascii=False), answer=answer,
                              quick_replies=json.dumps(quick_replies or [], ensure_ascii=False),
                              created_at=clock.now())


def helper(locale: str) -> workflow.Author:
    return workflow.Author("bot", chat_helper.text(locale, "name"))


def converse(outbox, store, chat: Chat, body: str, window_days: int) -> None:
    """The person's message; while the helper has the chat, its answer (or the handover)."""
    if chat.status == "closed" or (chat.status == "waiting_agent" and chat.ticket is None):
        raise chat_closed(chat)
    if chat.status == "waiting_agent":
        # A merged ticket's conversation goes on in the ticket it was merged into; so does the chat's.
        workflow.add_message(outbox, store, merged_target(chat.ticket), person(chat), "reply", body, [],
                             window_days=window_days)
        touch(chat)
        return
    add_chat_message(chat, person(chat), body.strip())
    locale = guess_locale(body, chat.locale)
    if chat_helper.wants_agent(body):
        handover(outbox, store, chat, locale)
        return
    reply = chat_helper.answer(body, locale)
    if not reply.answered:
        chat.misses += 1
        if chat.misses >= MISSES_BEFORE_HANDOVER:
            handover(outbox, store, chat, locale, after_misses=True)
            return
    add_chat_message(chat, helper(locale), reply.body, reply.articles, answer=reply.passage,
                     quick_replies=reply.quick_replies)
    touch(chat)


def touch(chat: Chat) -> None:
    chat.updated_at = clock.now()
    chat.save()


def handover(outbox, store, chat: Chat, locale: str | None = None, *, after_misses: bool = False) -> Chat:
    """Hand the chat to the agents' queue: a ticket of channel `chat` holding the whole transcript."""
    if chat.status == "waiting_agent":
        return chat
    if chat.status == "closed":
        raise chat_closed(chat)
    locale = locale or chat.locale
    transcript = list(chat.messages.order_by(ChatMessage.id))
    first, rest = transcript[0], transcript[1:]
    requester = workflow.Requester(chat.requester_kind, chat.requester_email, chat.requester_user_id,
                                   chat.requester_name, chat.locale)
    subject = " ".join(f"Live chat: {first.body}".split())
    ticket = workflow.create_ticket(outbox, store, requester, {
        "subject": subject if len(subject) <= 200 else subject[:199] + "…",
        "category": ticket_category(transcript), "description": first.body, "locale": chat.locale,
    }, [], channel="chat").ticket
    rest.append(add_chat_message(chat, helper(locale), chat_helper.text(
        locale, "handover_missed" if after_misses else "handover", number=ticket.number)))
    # The transcript is history, not new activity: copied without events, at the times it was written.
    Message.update(created_at=first.created_at).where(Message.ticket == ticket).execute()
    for message in rest:
        Message.create(ticket=ticket, author_role=message.author_role, author_name=message.author_name,
                       author_id=chat.requester_user_id if message.author_role == "customer" else None,
                       kind="reply", body=message.body, created_at=message.created_at)
    end = workflow.add_system_message(ticket, HANDOVER_NOTE)
    now = clock.now()
    chat.status, chat.ticket, chat.transcript_end = "waiting_agent", ticket, end.id
    chat.handed_over_at = chat.updated_at = now
    chat.save()
    return chat


def ticket_category(transcript: list[ChatMessage]) -> str:
    """The category of the last article the helper offered, else `other`."""
    for message in reversed(transcript):
        slugs = [link["slug"] for link in json.loads(message.articles or "[]")]
        if slugs:
            article = HelpArticle.get_or_none(HelpArticle.slug == slugs[0])
            if article is not None:
                return chat_helper.TICKET_CATEGORY[article.category]
    return "other"


def close(chat: Chat) -> Chat:
    """End the chat; a handed-over chat's ticket goes on, and the person keeps it."""
    if chat.status != "closed":
        chat.status = "closed"
        chat.closed_at = chat.updated_at = clock.now()
        chat.save()
    return chat
