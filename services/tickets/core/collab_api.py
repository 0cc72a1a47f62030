"""Agents working side by side: presence on a ticket (who else is viewing or typing),
and merging a duplicate ticket into another of the same requester."""
from __future__ import annotations

from flask.views import MethodView

from services.tickets.core import presence, presenters, schemas
from services.tickets.core.access import agent_ticket, agents_only
from services.tickets.core.collab_schemas import MergeSchema, PresenceOut, PresenceSchema
from services.tickets.core.merge import merge
from services.tickets.core.merge_links import history_ticket_ids
from services.tickets.core.models import Message, Ticket
from services.tickets.core.stale_guard import PUBLIC_KINDS
from services.tickets.core.workflow import is_closed
from services.tickets.extensions import outbox, window_days
from services.tickets.models import db
from shared.web import Blueprint, current_caller

blp = Blueprint("agent_collab", __name__, url_prefix="/api/v1/agent",
                description="Agents side by side: presence on a ticket, and merging duplicates")


blp.before_request(agents_only)


@blp.route("/tickets/<string:number>/presence")
class Presence(MethodView):
    @blp.arguments(PresenceSchema)
    @blp.response(204)
    def post(self, fields, number):
        """A heartbeat of the agent's ticket page: `viewing` or `typing`.

        The agent counts as a viewer of the ticket for 30 seconds after the last one
        (send one every 5-10 seconds); other agents see them in `viewers`.
        """
        agent = current_caller()
        with db.atomic():
            presence.heartbeat(agent_ticket(agent, number), agent, fields["state"])

    @blp.response(200, PresenceOut)
    def get(self, number):
        """What a ticket page polls every few seconds, without loading the whole ticket:
        the other agents on it, and the newest public message's id."""
        agent = current_caller()
        ticket = agent_ticket(agent, number)
        newest = (Message.select(Message.id)
                  .where(Message.ticket.in_(history_ticket_ids(ticket)) & Message.kind.in_(PUBLIC_KINDS))
                  .order_by(Message.id.desc()).first())
        return {"viewers": presence.viewers(ticket, agent.user_id),
                "last_public_message_id": newest.id if newest else None,
                "status": "closed" if is_closed(ticket, window_days()) else ticket.status,
                "merged_into": ticket.merged_into}


@blp.route("/tickets/<string:number>/merge")
class Merge(MethodView):
    @blp.arguments(MergeSchema)
    @blp.response(200, schemas.AgentTicketOut)
    def post(self, fields, number):
        """Merge this ticket into another of the same requester (`into`).

        This ticket becomes `closed` with `merged_into`; its messages show in the
        target's history (each with `from_ticket`), both histories say what happened,
        and the requester is told (`ticket.merged.v1`). The answer is this ticket,
        now merged. 409 `different_requester`, `already_merged` (this ticket, or the
        target, is merged already) or `ticket_closed` (the target is closed); 404 an
        unknown target; 400 merging a ticket into itself.
        """
        agent = current_caller()
        with db.atomic():
            source = merge(outbox(), agent_ticket(agent, number), fields["into"], agent, window_days())
        return presenters.ticket_dict(Ticket.get_by_id(source.id), include_notes=True, agent_view=True)
