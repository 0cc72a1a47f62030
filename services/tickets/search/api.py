"""The agents' search over tickets, and tickets' tags."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from services.tickets.core import presenters
from services.tickets.core.access import agent_ticket, agents_only
from services.tickets.core.models import Ticket
from services.tickets.core.schemas import AgentTicketOut
from services.tickets.models import db
from services.tickets.search import finder, schemas
from services.tickets.search.tags import set_tags
from shared.web import Blueprint, current_caller

blp = Blueprint("agent_search", __name__, url_prefix="/api/v1/agent", description="Agents' search and tags")


blp.before_request(agents_only)


@blp.route("/search")
class Search(MethodView):
    @blp.arguments(schemas.SearchQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, schemas.SearchResultOut)
    def get(self, args):
        """Tickets by number, TXID, order number, requester email (exact, any case), tag, or words.

        Identifiers come first (each looked up by its index), then the tickets whose subject
        or messages (internal notes included, redacted messages not) hold every word of `q`,
        best first. Only tickets the agent may see; at most `limit` (no further pages:
        `next_cursor` is always null). An empty `q` is a 400 `validation_error` naming `q`.
        """
        tickets = finder.search(current_caller(), args["q"], args["limit"])
        return {"items": presenters.ticket_list(tickets, agent_view=True), "next_cursor": None}


@blp.route("/tickets/<string:number>/tags")
class Tags(MethodView):
    @blp.arguments(schemas.TagsSchema)
    @blp.response(200, AgentTicketOut)
    def put(self, fields, number):
        """Replace the ticket's tags; the queue filters by one with `?tag=`, and the search finds them."""
        with db.atomic():
            ticket = agent_ticket(current_caller(), number)
            set_tags(ticket, fields["tags"])
        return presenters.ticket_dict(Ticket.get_by_id(ticket.id), include_notes=True, agent_view=True)
