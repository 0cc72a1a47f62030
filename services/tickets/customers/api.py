"""The requester's context beside a ticket, for agents."""
from __future__ import annotations

from flask.views import MethodView

from services.tickets.core.access import agent_ticket, agents_only
from services.tickets.customers import schemas
from services.tickets.customers.context import context
from shared.web import Blueprint, current_caller

blp = Blueprint("agent_customer_context", __name__, url_prefix="/api/v1/agent",
                description="The requester's context beside a ticket")


blp.before_request(agents_only)


@blp.route("/tickets/<string:number>/context")
class Context(MethodView):
    @blp.response(200, schemas.ContextOut)
    def get(self, number):
        """Who the ticket's requester is: the account's facts, their tickets, video calls and referral standing.

        Gathered from the events other services publish (`user.registered.v1`,
        `user.profile_changed.v1`, `video.call_*.v1`, `referral.*`), never read from their
        databases; facts not reported yet are null (`referral.eligible` null, `reason: unknown`).
        `tickets` counts all the requester's tickets; `recent` lists the latest others the agent
        may see. A guest's ticket: `{guest: true, email, tickets, video_calls}`.
        """
        agent = current_caller()
        return context(agent, agent_ticket(agent, number))
