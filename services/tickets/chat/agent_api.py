"""The agents' read-only view of handed-over chats, live as a `text/event-stream` too;
agents answer through the chat's ticket."""
from __future__ import annotations

import marshmallow as ma
from flask import request
from flask.views import MethodView

from services.tickets.chat import conversation as chats
from services.tickets.chat.models import Chat
from services.tickets.chat.presenters import chat_dict
from services.tickets.chat.schemas import AgentChatPageOut, AgentChatQuery, ChatOut, StreamQuery
from services.tickets.chat.stream import event_stream
from services.tickets.core.access import agents_only, visible_to
from services.tickets.core.models import Ticket
from services.tickets.extensions import window_days
from shared.pagination import keyset_page
from shared.web import Blueprint, current_caller

agent_blp = Blueprint("agent_chats", __name__, url_prefix="/api/v1/agent/chats",
                      description="Agents: handed-over chats (answer them through their tickets)")


agent_blp.before_request(agents_only)


@agent_blp.route("")
class AgentChats(MethodView):
    @agent_blp.arguments(AgentChatQuery, location="query", unknown=ma.RAISE)
    @agent_blp.response(200, AgentChatPageOut)
    def get(self, args):
        """Handed-over chats whose tickets the agent may see, latest handover first (`ticket_number` finds one)."""
        query = (Chat.select(Chat, Ticket).join(Ticket)
                 .where(Chat.handed_over_at.is_null(False) & visible_to(current_caller())))
        if args["ticket_number"]:
            query = query.where(Ticket.number == args["ticket_number"])
        rows, next_cursor = keyset_page(query, [Chat.handed_over_at, Chat.id], args["limit"], args["cursor"])
        return {"items": [chat_dict(chat, window_days()) for chat in rows], "next_cursor": next_cursor}


@agent_blp.route("/<string:chat_id>")
class AgentChat(MethodView):
    @agent_blp.response(200, ChatOut)
    def get(self, chat_id):
        """A handed-over chat, as the person sees it."""
        return chat_dict(chats.agent_chat(current_caller(), chat_id), window_days())


@agent_blp.route("/<string:chat_id>/stream")
class AgentChatStream(MethodView):
    @agent_blp.arguments(StreamQuery, location="query", unknown=ma.RAISE)
    @agent_blp.response(200, description="`text/event-stream`", content_type="text/event-stream")
    def get(self, args, chat_id):
        """A handed-over chat live, so the person's messages reach the agent as they are written."""
        chat = chats.agent_chat(current_caller(), chat_id)
        return event_stream(chat.id, request.headers.get("Last-Event-ID") or args["after"])
