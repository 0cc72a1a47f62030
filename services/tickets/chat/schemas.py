"""Request and response schemas of the live chat."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from services.tickets.chat.presenters import MESSAGE_ID
from services.tickets.core.schemas import MessageOut, StrictSchema
from services.tickets.help_center.schemas import Locale
from shared.openapi import NOT_BLANK_PATTERN
from shared.pagination import cursor_field, limit_field

MAX_CHAT_MESSAGE = 4000


def not_blank(value: str) -> None:
    if not value.strip():
        raise ma.ValidationError("Write a message.")


class ChatCreateSchema(StrictSchema):
    message = fields.String(required=True, validate=[validate.Length(max=MAX_CHAT_MESSAGE), not_blank],
                            metadata={"pattern": NOT_BLANK_PATTERN})
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    locale = Locale(load_default=None)


class ChatMessageCreateSchema(StrictSchema):
    body = fields.String(required=True, validate=[validate.Length(max=MAX_CHAT_MESSAGE), not_blank],
                         metadata={"pattern": NOT_BLANK_PATTERN})


class ArticleLinkOut(ma.Schema):
    slug = fields.String()
    title = fields.String()


class QuickReplyOut(ma.Schema):
    label = fields.String()
    message = fields.String(metadata={"description": "What to send as the person's next message"})
    kind = fields.String(metadata={"description": "agent (hands the chat over) or article"})
    slug = fields.String(metadata={"description": "The article's, for `kind` article"})


class ChatMessageOut(MessageOut):
    id = fields.String(metadata={"description": "`c<n>` before the handover, `t<n>` for the ticket's messages"})
    articles = fields.List(fields.Nested(ArticleLinkOut), metadata={
        "description": "The article the helper quotes, or the two a clarifying question offers"})
    answer = fields.String(allow_none=True, metadata={
        "description": "The passage of the best article that answers the question, quoted by the helper"})
    article = fields.Nested(ArticleLinkOut, allow_none=True, metadata={"description": "The article `answer` quotes"})
    quick_replies = fields.List(fields.Nested(QuickReplyOut), metadata={
        "description": "Replies the person may send with one tap: talk to an agent, other articles"})


class ChatOut(ma.Schema):
    id = fields.String()
    status = fields.String(metadata={"description": "bot, waiting_agent, with_agent or closed"})
    locale = fields.String()
    ticket_number = fields.String(allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()
    messages = fields.List(fields.Nested(ChatMessageOut))


class ChatCreatedOut(ma.Schema):
    chat = fields.Nested(ChatOut)
    chat_token = fields.String(allow_none=True, metadata={
        "description": "For a guest: the bearer token of this chat's later calls (set by the gateway)"})
    guest_grant = fields.Dict(data_key="_guest_grant", metadata={
        "description": "Internal: the gateway turns it into `chat_token`"})


class ChatEnvelopeOut(ma.Schema):
    chat = fields.Nested(ChatOut)


class AgentChatQuery(ma.Schema):
    ticket_number = fields.String(load_default=None, validate=validate.Regexp(r"^\d{1,12}$"))
    limit = limit_field()
    cursor = cursor_field(2)


class StreamQuery(ma.Schema):
    after = fields.String(load_default=None, validate=validate.Regexp(MESSAGE_ID, error="Not a message id of this chat."),
                          metadata={"description": "Continue after this message id (or send `Last-Event-ID`)."})


class AgentChatPageOut(ma.Schema):
    items = fields.List(fields.Nested(ChatOut))
    next_cursor = fields.String(allow_none=True)
