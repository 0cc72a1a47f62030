"""The agents' endpoints: queues, the ticket with internal notes, replies, requests
for details, notes, resolution, assignment and escalations."""
from __future__ import annotations

import datetime as dt

import marshmallow as ma
from flask.views import MethodView

from services.tickets.core import escalation as escalation_flow
from services.tickets.core import presence, presenters, redaction, schemas, workflow
from services.tickets.core.access import agent_ticket, agents_only, visible_to
from services.tickets.core.models import Escalation, Ticket
from services.tickets.core.secret_guard import refuse_wallet_secrets
from services.tickets.core.stale_guard import check_not_changed
from services.tickets.extensions import attachment_rules, attachment_store, outbox, window_days
from services.tickets.models import db
from services.tickets.search.tags import tagged
from services.tickets.sla import queue as sla_queue
from shared import clock
from shared.errors import ApiError
from shared.pagination import keyset_page
from shared.web import Blueprint, current_caller, load_body

blp = Blueprint("agent_tickets", __name__, url_prefix="/api/v1/agent", description="Agents' queues and tickets")


blp.before_request(agents_only)


@blp.route("/tickets")
class Queue(MethodView):
    @blp.arguments(schemas.AgentQueueQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, schemas.AgentTicketPageOut)
    def get(self, args):
        """The queue, oldest activity first, filtered by status, tier, department, assignee, age and tag."""
        agent = current_caller()
        query = Ticket.select().where(visible_to(agent))
        if args["status"]:
            query = query.where(Ticket.status.in_(args["status"].split(",")))
        if args["tier"]:
            query = query.where(Ticket.tier == args["tier"])
        if args["department"]:
            query = query.where(Ticket.department == args["department"])
        assignee = args["assignee"]
        if assignee == "me":
            query = query.where(Ticket.assignee_id == agent.user_id)
        elif assignee == "none":
            query = query.where(Ticket.assignee_id.is_null())
        elif assignee:
            query = query.where(Ticket.assignee_id == int(assignee))
        if args["min_age_hours"] is not None:
            query = query.where(Ticket.created_at <= clock.now() - dt.timedelta(hours=args["min_age_hours"]))
        if args["escalated"] is not None:
            pending = Escalation.select(Escalation.ticket).where(Escalation.status == "pending")
            query = query.where(Ticket.id.in_(pending) if args["escalated"] else Ticket.id.not_in(pending))
        if args["tag"]:
            query = query.where(tagged(args["tag"]))
        if args["sort"] == "sla":
            rows, next_cursor = sla_queue.page(query, args["limit"], args["cursor"])
        else:
            rows, next_cursor = keyset_page(query, [Ticket.updated_at, Ticket.id], args["limit"], args["cursor"],
                                            descending=False)
        return {"items": presenters.ticket_list(rows, agent_view=True),
                "next_cursor": next_cursor}


@blp.route("/tickets/<string:number>")
class AgentTicket(MethodView):
    @blp.response(200, schemas.AgentTicketOut)
    def get(self, number):
        """The ticket with its whole history, internal notes included, and the other agents on it now."""
        agent = current_caller()
        ticket = agent_ticket(agent, number)
        return {**presenters.ticket_dict(ticket, include_notes=True, agent_view=True),
                "viewers": presence.viewers(ticket, agent.user_id)}


@blp.route("/tickets/<string:number>/messages")
class AgentMessages(MethodView):
    @blp.doc(requestBody={"content": {
        "application/json": {"schema": schemas.AgentMessageCreateSchema},
        "multipart/form-data": {"schema": schemas.AgentMessageCreateSchema}}})
    @blp.response(201, schemas.MessageCreatedOut)
    def post(self, number):
        """A public reply, a request for details (sets `awaiting_user`), or an internal note.

        With `seen_message_id`, a reply or request for details is refused with 409
        `ticket_changed` (`details.new_messages`) when a newer public message arrived,
        unless `force` is true.
        """
        agent = current_caller()
        agent_ticket(agent, number)
        fields, files = load_body(schemas.AgentMessageCreateSchema())
        checked = attachment_rules().check(files)
        refuse_wallet_secrets({"body": fields["body"]}, checked)
        with db.atomic():
            ticket = agent_ticket(agent, number)
            check_not_changed(ticket, fields["kind"], fields["seen_message_id"], fields["force"])
            message = workflow.add_message(outbox(), attachment_store(), ticket, workflow.Author.of(agent),
                                           fields["kind"], fields["body"], checked, window_days=window_days())
        return {"message": presenters.new_message_dict(message, bool(checked))}


@blp.route("/tickets/<string:number>/messages/<int:message_id>/redaction")
class Redaction(MethodView):
    @blp.arguments(schemas.RedactionCreateSchema)
    @blp.response(200, schemas.RedactedOut)
    def post(self, fields, number, message_id):
        """Redact a message: its body reads `[redacted]` for everyone and its files are deleted.

        The history shows who redacted a message; the reason (1-500 characters) is
        for agents only (an internal note, and `redaction.reason` on the message).
        A message already redacted: 409 `already_redacted`, nothing changes.
        """
        agent = current_caller()
        refuse_wallet_secrets({"reason": fields["reason"]})
        with db.atomic():
            ticket = agent_ticket(agent, number)
            message = redaction.redact_message(attachment_store(), ticket, message_id, agent, fields["reason"])
        return {"message": presenters.message_dict(message, [], agent_view=True), "ticket_number": ticket.number}


@blp.route("/tickets/<string:number>/resolve")
class Resolve(MethodView):
    @blp.response(200, schemas.AgentTicketOut)
    def post(self, number):
        """Confirm that the problem is solved."""
        with db.atomic():
            ticket = agent_ticket(current_caller(), number)
            workflow.resolve(outbox(), ticket, window_days())
        return presenters.ticket_dict(Ticket.get_by_id(ticket.id), include_notes=True, agent_view=True)


@blp.route("/tickets/<string:number>/assign")
class Assign(MethodView):
    @blp.arguments(schemas.AssignSchema)
    @blp.response(200, schemas.AgentTicketOut)
    def post(self, fields, number):
        """Give the ticket to an agent (or `null` to put it back in the queue); `ticket.assigned.v1` tells them.

        Any agent id is taken, also one the directory does not list yet (it learns agents from events).
        """
        with db.atomic():
            ticket = agent_ticket(current_caller(), number)
            workflow.assign(outbox(), ticket, fields["agent_id"], "agent")
        return presenters.ticket_dict(Ticket.get_by_id(ticket.id), include_notes=True, agent_view=True)


@blp.route("/tickets/<string:number>/escalation/accept")
class AcceptEscalation(MethodView):
    @blp.response(200, schemas.AgentTicketOut)
    def post(self, number):
        """A senior agent or the named department takes the escalated ticket."""
        agent = current_caller()
        with db.atomic():
            ticket = agent_ticket(agent, number)
            escalation = escalation_flow.pending_escalation(ticket)
            if escalation is not None and not _may_accept(agent, escalation):
                raise ApiError(403, "forbidden", "Only the senior tier or the named department accepts this escalation.")
            escalation_flow.accept_escalation(outbox(), ticket, agent)
        return presenters.ticket_dict(Ticket.get_by_id(ticket.id), include_notes=True, agent_view=True)


def _may_accept(agent, escalation: Escalation) -> bool:
    if escalation.department:
        return agent.department == escalation.department
    return agent.tier == "senior"
