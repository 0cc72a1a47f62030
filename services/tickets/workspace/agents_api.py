"""The agent directory: every agent with its status and load, and an agent's own status."""
from __future__ import annotations

from flask.views import MethodView

from services.tickets.core.access import agents_only
from services.tickets.models import db
from services.tickets.workspace import agents, schemas
from shared.web import Blueprint, current_caller

blp = Blueprint("agent_directory", __name__, url_prefix="/api/v1/agent", description="Agents: the directory")


blp.before_request(agents_only)


@blp.route("/agents")
class Agents(MethodView):
    @blp.response(200, schemas.AgentListOut)
    def get(self):
        """The active agents by name: tier, department, roles, `available` or `away`, and `open_assigned`,
        the tickets open or awaiting the customer that each holds."""
        return {"items": agents.directory(), "next_cursor": None}


@blp.route("/me/status")
class MyStatus(MethodView):
    @blp.arguments(schemas.StatusSchema)
    @blp.response(200, schemas.AgentOut)
    def put(self, fields):
        """`available` (gets tickets by auto-assignment) or `away` (keeps its tickets, gets no new ones)."""
        with db.atomic():
            return agents.set_status(current_caller(), fields["status"])
