"""The live chat's tables. Before the handover a chat keeps its own messages; from
the handover on, the conversation is a ticket of channel `chat` and the chat reads
the ticket's public messages (those after `transcript_end`)."""
from __future__ import annotations

import peewee

from services.tickets.core.models import Ticket
from services.tickets.models import BaseModel
from shared import clock

STATUSES = ("bot", "waiting_agent", "with_agent", "closed")
STORED_STATUSES = ("bot", "waiting_agent", "closed")  # with_agent is read from the ticket


class Chat(BaseModel):
    id = peewee.CharField(max_length=32, primary_key=True)  # random: a chat's id reveals nothing
    requester_kind = peewee.CharField(max_length=10)  # user | guest
    requester_user_id = peewee.IntegerField(null=True)
    requester_email = peewee.CharField(max_length=254)
    requester_name = peewee.CharField(max_length=120, null=True)
    locale = peewee.CharField(max_length=10, default="en")
    status = peewee.CharField(max_length=20, default="bot")
    misses = peewee.IntegerField(default=0)  # the helper's answers that found nothing
    ticket = peewee.ForeignKeyField(Ticket, null=True, backref="chats", on_delete="SET NULL")
    transcript_end = peewee.IntegerField(null=True)  # the last ticket message copied from the chat
    created_at = peewee.DateTimeField(default=clock.now)
    updated_at = peewee.DateTimeField(default=clock.now)
    handed_over_at = peewee.DateTimeField(null=True)
    closed_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "chat"
        indexes = ((("requester_user_id", "created_at"), False), (("status", "handed_over_at"), False))


class ChatMessage(BaseModel):
    chat = peewee.ForeignKeyField(Chat, backref="messages", on_delete="CASCADE")
    author_role = peewee.CharField(max_length=10)  # customer | guest | bot | system
    author_name = peewee.CharField(max_length=120)
    body = peewee.TextField()
    articles = peewee.TextField(default="[]")  # JSON [{slug, title}] on the helper's answers
    answer = peewee.TextField(null=True)  # the passage of the article the helper quotes
    quick_replies = peewee.TextField(default="[]")  # JSON [{label, message, kind, slug?}]
    created_at = peewee.DateTimeField(default=clock.now)

    class Meta:
        table_name = "chat_message"
        indexes = ((("chat", "id"), False),)
