"""The live chat's endpoints: the person's (a customer, or a guest with the chat's
token) and the agents' read-only view; both can follow a chat live as a
`text/event-stream`. Agents answer a handed-over chat through its ticket."""
from __future__ import annotations

import base64
import datetime as dt
import json
import time

from flask import Response, current_app, request
from flask.views import MethodView

from services.tickets import chat as chats
from services.tickets.agent_api import visible_to
from services.tickets.chat_models import Chat
from services.tickets.extensions import attachment_store, outbox, window_days
from services.tickets.help_schemas import (
    AgentChatPageOut,
    AgentChatQuery,
    ChatCreatedOut,
    ChatCreateSchema,
    ChatEnvelopeOut,
    ChatMessageCreateSchema,
    ChatOut,
)
from services.tickets.models import Ticket, db
from services.tickets.secret_guard import refuse_wallet_secrets
from shared.errors import ApiError
from shared.web import Blueprint, current_caller, load_body, load_query

blp = Blueprint("chats", __name__, url_prefix="/api/v1/chats", description="Live chat")
agent_blp = Blueprint("agent_chats", __name__, url_prefix="/api/v1/agent/chats",
                      description="Agents: handed-over chats (answer them through their tickets)")

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
        body = {"chat": chats.chat_dict(chat, window_days()), "chat_token": None}
        if chat.requester_kind == "guest":
            body["guest_grant"] = {"email": chat.requester_email, "scope": {"chat": chat.id},
                                   "ttl_seconds": GUEST_CHAT_TTL, "field": "chat_token", "cookie": False}
        return body


@blp.route("/<string:chat_id>")
class ChatDetail(MethodView):
    @blp.response(200, ChatOut)
    def get(self, chat_id):
        """The chat: the helper's part, then the ticket's public messages once an agent has it."""
        return chats.chat_dict(chats.chat_for(current_caller(), chat_id), window_days())


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
        return {"chat": chats.chat_dict(Chat.get_by_id(chat.id), window_days())}


@blp.route("/<string:chat_id>/handover")
class Handover(MethodView):
    @blp.response(200, ChatEnvelopeOut)
    def post(self, chat_id):
        """Talk to an agent: the chat becomes a ticket in the agents' queue, with the whole transcript."""
        chat = chats.chat_for(current_caller(), chat_id)
        with db.atomic():
            chats.handover(outbox(), attachment_store(), chats.locked(chat))
        return {"chat": chats.chat_dict(Chat.get_by_id(chat.id), window_days())}


@blp.route("/<string:chat_id>/close")
class Close(MethodView):
    @blp.response(200, ChatEnvelopeOut)
    def post(self, chat_id):
        """End the chat. A handed-over chat's ticket stays open; the person keeps it."""
        chat = chats.chat_for(current_caller(), chat_id)
        with db.atomic():
            chats.close(chats.locked(chat))
        return {"chat": chats.chat_dict(Chat.get_by_id(chat.id), window_days())}


@blp.route("/<string:chat_id>/stream")
class ChatStream(MethodView):
    @blp.response(200, description="`text/event-stream`: `message` and `status` events", content_type="text/event-stream")
    @blp.doc(parameters=[{"in": "query", "name": "after", "schema": {"type": "string"},
                          "description": "continue after this message id (or send Last-Event-ID)"}])
    def get(self, chat_id):
        """The chat live: every message (after `after` or `Last-Event-ID`, else all) and each status change."""
        chat = chats.chat_for(current_caller(), chat_id)
        return event_stream(chat.id, request.headers.get("Last-Event-ID") or request.args.get("after"))


# -- the agents' view ------------------------------------------------------------------------------

@agent_blp.before_request
def _agents_only():
    if not current_caller().is_agent:
        raise ApiError(403, "forbidden", "This is for support agents.")


@agent_blp.route("")
class AgentChats(MethodView):
    @agent_blp.response(200, AgentChatPageOut)
    @agent_blp.doc(parameters=[{"in": "query", "schema": AgentChatQuery}])
    def get(self):
        """Handed-over chats whose tickets the agent may see, latest handover first (`ticket_number` finds one)."""
        args = load_query(AgentChatQuery())
        query = (Chat.select(Chat, Ticket).join(Ticket)
                 .where(Chat.handed_over_at.is_null(False) & visible_to(current_caller())))
        if args["ticket_number"]:
            query = query.where(Ticket.number == args["ticket_number"])
        if args["cursor"]:
            stamp, chat_id = decode_cursor(args["cursor"])
            query = query.where((Chat.handed_over_at < stamp) | ((Chat.handed_over_at == stamp) & (Chat.id < chat_id)))
        rows = list(query.order_by(Chat.handed_over_at.desc(), Chat.id.desc()).limit(args["limit"] + 1))
        more = len(rows) > args["limit"]
        rows = rows[:args["limit"]]
        return {"items": [chats.chat_dict(chat, window_days()) for chat in rows],
                "next_cursor": encode_cursor(rows[-1]) if more else None}


@agent_blp.route("/<string:chat_id>")
class AgentChat(MethodView):
    @agent_blp.response(200, ChatOut)
    def get(self, chat_id):
        """A handed-over chat, as the person sees it."""
        return chats.chat_dict(chats.agent_chat(current_caller(), chat_id), window_days())


@agent_blp.route("/<string:chat_id>/stream")
class AgentChatStream(MethodView):
    @agent_blp.response(200, description="`text/event-stream`", content_type="text/event-stream")
    def get(self, chat_id):
        """A handed-over chat live, so the person's messages reach the agent as they are written."""
        chat = chats.agent_chat(current_caller(), chat_id)
        return event_stream(chat.id, request.headers.get("Last-Event-ID") or request.args.get("after"))


def encode_cursor(chat: Chat) -> str:
    return base64.urlsafe_b64encode(f"{chat.handed_over_at.isoformat()}|{chat.id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, str]:
    try:
        stamp, chat_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
        return dt.datetime.fromisoformat(stamp), chat_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "invalid_cursor", "The cursor is not valid.", {"fields": {"cursor": ["Not valid."]}}) from exc


# -- the live stream -------------------------------------------------------------------------------

def sse(event: str, data: dict, event_id: str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def event_stream(chat_id: str, after: str | None) -> Response:
    """Poll the chat and send what is new; bounded in time (clients reconnect with Last-Event-ID),
    with a comment line as heartbeat so that proxies keep the connection."""
    cursor = chats.parse_cursor(after)
    config = current_app.config
    days, seconds = window_days(), config["CHAT_STREAM_SECONDS"]
    poll, heartbeat = config["CHAT_STREAM_POLL_SECONDS"], config["CHAT_STREAM_HEARTBEAT_SECONDS"]

    def generate():
        nonlocal cursor
        status = None
        started = last_sent = time.monotonic()
        yield "retry: 2000\n\n"
        while True:
            # A connection per poll: a long stream must not hold one from the pool.
            with db.connection_context():
                chat = Chat.get_by_id(chat_id)
                messages = chats.messages_of(chat, cursor)
                current = chats.status_of(chat, days)
                number = chat.ticket.number if chat.ticket_id else None
            out = [sse("message", message, message["id"]) for message in messages]
            if messages:
                cursor = chats.parse_cursor(messages[-1]["id"])
            if current != status:
                out.append(sse("status", {"status": current, "ticket_number": number}))
                status = current
            now = time.monotonic()
            if out:
                yield "".join(out)
                last_sent = now
            elif now - last_sent >= heartbeat:
                yield ": keep-alive\n\n"
                last_sent = now
            if chat.status == "closed" or now - started >= seconds:
                return
            time.sleep(poll)

    return Response(generate(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
