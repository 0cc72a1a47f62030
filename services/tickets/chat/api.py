"""The live chat's endpoints for the person chatting: a customer, or a guest with the
chat's token. Agents answer a handed-over chat through its ticket."""
from __future__ import annotations

import marshmallow as ma
from flask import request
from flask.views import MethodView

from services.tickets.chat import conversation as chats
from services.tickets.chat.models import Chat
from services.tickets.chat.presenters import chat_dict
from services.tickets.chat.schemas import (
    ChatCreatedOut,
    ChatCreateSchema,
    ChatEnvelopeOut,
    ChatMessageCreateSchema,
    ChatOut,
    StreamQuery,
)
from services.tickets.chat.stream import event_stream
from services.tickets.core.secret_guard import refuse_wallet_secrets
from services.tickets.extensions import attachment_store, outbox, window_days
from services.tickets.models import db
from shared.web import Blueprint, current_caller, load_body

blp = Blueprint("chats", __name__, url_prefix="/api/v1/chats", description="Live chat")

GUEST_CHAT_TTL = 24 * 3600


@blp.route("")
class Chats(MethodView):
    @blp.doc(requestBody={"content": {"application/json": {"schema": ChatCreateSchema}}})
    @blp.response(201, ChatCreatedOut)
    def post(self):
        """Start a chat (a customer, or anyone with `email`); the helper's answer is among the messages."""
        fields, _ = load_body(ChatCreateSchema(), allow_multipart=False)
        refuse_wallet_secrets({"message": fields["message"]})
        with db.atomic():
            chat = chats.start_chat(outbox(), attachment_store(), current_caller(), fields, window_days())
        body = {"chat": chat_dict(chat, window_days()), "chat_token": None}
        if chat.requester_kind == "guest":
            body["guest_grant"] = {"email": chat.requester_email, "scope": {"chat": chat.id},
                                   "ttl_seconds": GUEST_CHAT_TTL, "field": "chat_token", "cookie": False}
        return body


@blp.route("/<string:chat_id>")
class ChatDetail(MethodView):
    @blp.response(200, ChatOut)
    def get(self, chat_id):
        """The chat: the helper's part, then the ticket's public messages once an agent has it."""
        return chat_dict(chats.chat_for(current_caller(), chat_id), window_days())


@blp.route("/<string:chat_id>/messages")
class ChatMessages(MethodView):
    @blp.doc(requestBody={"content": {"application/json": {"schema": ChatMessageCreateSchema}}})
    @blp.response(201, ChatEnvelopeOut)
    def post(self, chat_id):
        """Write in the chat: the helper answers while it has the chat; after the handover it is a ticket reply."""
        chat = chats.chat_for(current_caller(), chat_id)
        fields, _ = load_body(ChatMessageCreateSchema(), allow_multipart=False)
        refuse_wallet_secrets({"body": fields["body"]})
        with db.atomic():
            chat = chats.locked(chat)
            chats.converse(outbox(), attachment_store(), chat, fields["body"], window_days())
        return {"chat": chat_dict(Chat.get_by_id(chat.id), window_days())}


@blp.route("/<string:chat_id>/handover")
class Handover(MethodView):
    @blp.response(200, ChatEnvelopeOut)
    def post(self, chat_id):
        """Talk to an agent: the chat becomes a ticket in the agents' queue, with the whole transcript."""
        chat = chats.chat_for(current_caller(), chat_id)
        with db.atomic():
            chats.handover(outbox(), attachment_store(), chats.locked(chat))
        return {"chat": chat_dict(Chat.get_by_id(chat.id), window_days())}


@blp.route("/<string:chat_id>/close")
class Close(MethodView):
    @blp.response(200, ChatEnvelopeOut)
    def post(self, chat_id):
        """End the chat. A handed-over chat's ticket stays open; the person keeps it."""
        chat = chats.chat_for(current_caller(), chat_id)
        with db.atomic():
            chats.close(chats.locked(chat))
        return {"chat": chat_dict(Chat.get_by_id(chat.id), window_days())}


@blp.route("/<string:chat_id>/stream")
class ChatStream(MethodView):
    @blp.arguments(StreamQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, description="`text/event-stream`: `message` and `status` events", content_type="text/event-stream")
    def get(self, args, chat_id):
        """The chat live: every message (after `after` or `Last-Event-ID`, else all) and each status change."""
        chat = chats.chat_for(current_caller(), chat_id)
        return event_stream(chat.id, request.headers.get("Last-Event-ID") or args["after"])
