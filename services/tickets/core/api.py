"""The customers' and guests' ticket endpoints."""
from __future__ import annotations

import marshmallow as ma
from flask import send_file
from flask.views import MethodView

from services.tickets.core import escalation, presenters, schemas, workflow
from services.tickets.core.access import agent_may_open, customer_ticket
from services.tickets.core.attachments import content_disposition, safe_filename
from services.tickets.core.models import Attachment, Ticket
from services.tickets.core.secret_guard import refuse_wallet_secrets, ticket_texts
from services.tickets.extensions import attachment_rules, attachment_store, outbox, window_days
from services.tickets.models import db
from shared.errors import ApiError, not_found
from shared.pagination import keyset_page
from shared.web import Blueprint, current_caller, load_body

blp = Blueprint("tickets", __name__, url_prefix="/api/v1", description="Customers' and guests' tickets")


def requester_of_caller() -> workflow.Requester:
    caller = current_caller()
    if not caller.is_customer:
        raise ApiError(403, "forbidden", "Only customers open tickets here; guests use /api/v1/guest/tickets.")
    return workflow.Requester("user", caller.email, caller.user_id, caller.name, caller.locale or "en")


@blp.route("/tickets")
class Tickets(MethodView):
    @blp.doc(requestBody={"content": {
        "application/json": {"schema": schemas.TicketCreateSchema},
        "multipart/form-data": {"schema": schemas.TicketCreateSchema}}})
    @blp.response(201, schemas.TicketCreatedOut)
    def post(self):
        """Open a ticket (JSON, or multipart with up to five `files`)."""
        requester = requester_of_caller()
        fields, files = load_body(schemas.TicketCreateSchema())
        checked = attachment_rules().check(files)
        refuse_wallet_secrets(ticket_texts(fields), checked)
        similar = workflow.similar_open_tickets(requester, fields["category"])
        with db.atomic():
            ticket, messages = workflow.create_ticket(outbox(), attachment_store(), requester, fields, checked)
        # A new ticket has no escalation, merged tickets or rating yet, and its messages are known.
        return {"ticket": presenters.ticket_dict(ticket, escalation=None, messages=messages),
                "similar_open_tickets": [{"number": t.number, "subject": t.subject, "status": t.status,
                                          "category": t.category} for t in similar]}

    @blp.arguments(schemas.TicketListQuery, location="query", unknown=ma.RAISE)
    @blp.response(200, schemas.TicketPageOut)
    def get(self, args):
        """The caller's tickets, open and closed, newest activity first."""
        caller = current_caller()
        if caller.is_guest:
            raise ApiError(403, "forbidden", "A guest session opens one ticket only; log in to see a list.")
        if not caller.is_customer:
            raise ApiError(403, "forbidden", "Agents use /api/v1/agent/tickets.")
        query = Ticket.select().where((Ticket.requester_kind == "user") & (Ticket.requester_user_id == caller.user_id))
        if args["status"]:
            query = query.where(Ticket.status.in_(args["status"].split(",")))
        rows, next_cursor = keyset_page(query, [Ticket.updated_at, Ticket.id], args["limit"], args["cursor"])
        return {"items": presenters.ticket_list(rows),
                "next_cursor": next_cursor}


@blp.route("/tickets/limits")
class Limits(MethodView):
    @blp.response(200, schemas.LimitsOut)
    def get(self):
        """What a message may carry, as this service is configured: for anyone's page to show and check
        before uploading (the service checks again, by content)."""
        return {"attachments": attachment_rules().public()}


@blp.route("/tickets/<string:number>")
class TicketDetail(MethodView):
    @blp.response(200, schemas.TicketOut)
    def get(self, number):
        """The ticket with its whole history (internal notes left out)."""
        return presenters.ticket_dict(customer_ticket(current_caller(), number))


@blp.route("/tickets/<string:number>/messages")
class TicketMessages(MethodView):
    @blp.doc(requestBody={"content": {
        "application/json": {"schema": schemas.MessageCreateSchema},
        "multipart/form-data": {"schema": schemas.MessageCreateSchema}}})
    @blp.response(201, schemas.MessageCreatedOut)
    def post(self, number):
        """Reply with text and attachments; a reply on a resolved ticket reopens it."""
        caller = current_caller()
        customer_ticket(caller, number)  # 404 before reading any upload
        fields, files = load_body(schemas.MessageCreateSchema())
        checked = attachment_rules().check(files)
        refuse_wallet_secrets({"body": fields["body"]}, checked)
        with db.atomic():
            ticket = customer_ticket(caller, number)
            message = workflow.add_message(outbox(), attachment_store(), ticket, workflow.Author.of(caller),
                                           "reply", fields["body"], checked, window_days=window_days())
        return {"message": presenters.new_message_dict(message, bool(checked))}


@blp.route("/tickets/<string:number>/escalation")
class TicketEscalation(MethodView):
    @blp.arguments(schemas.EscalationCreateSchema)
    @blp.response(201, schemas.TicketOut)
    def post(self, fields, number):
        """Ask for the senior tier (or a named department) to take the ticket."""
        caller = current_caller()
        if caller.is_guest:
            raise not_found("ticket")
        refuse_wallet_secrets({"reason": fields["reason"]})
        with db.atomic():
            ticket = customer_ticket(caller, number)
            escalation.escalate(outbox(), ticket, fields["reason"], fields["department"], window_days())
        return presenters.ticket_dict(Ticket.get_by_id(ticket.id))


@blp.route("/attachments/<string:attachment_id>")
class AttachmentDownload(MethodView):
    @blp.response(200, description="The file")
    def get(self, attachment_id):
        """The file, to those who may see its ticket (notes' files to agents only)."""
        caller = current_caller()
        attachment = Attachment.get_or_none(Attachment.id == attachment_id)
        if attachment is None:
            raise not_found("attachment")
        ticket = attachment.ticket
        try:
            if caller.is_agent:
                if not agent_may_open(caller, ticket):
                    raise not_found("attachment")
            else:
                customer_ticket(caller, ticket.number)
                if attachment.message.kind == "note":
                    raise not_found("attachment")
        except ApiError:
            raise not_found("attachment") from None
        path = attachment_store().path(attachment.storage_name)
        if not path.exists():
            raise not_found("attachment")
        response = send_file(path, mimetype=attachment.content_type, max_age=0)
        response.headers["Content-Disposition"] = content_disposition(
            safe_filename(attachment.filename, attachment.content_type))
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response.headers["Cache-Control"] = "private, no-store"
        return response
