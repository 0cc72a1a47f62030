"""The guests' endpoints: open a ticket without an account, then open it again from
the emailed link with a one-time code sent to the email the link is bound to."""
from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView

from services.tickets.core import workflow
from services.tickets.core.secret_guard import refuse_wallet_secrets, ticket_texts
from services.tickets.extensions import attachment_rules, attachment_store, outbox
from services.tickets.guest import verification
from services.tickets.guest.schemas import (
    CodeSentOut,
    GuestSessionOut,
    GuestTicketCreatedOut,
    GuestTicketCreateSchema,
    LinkSchema,
    SessionSchema,
)
from services.tickets.models import db
from shared import otp
from shared.locales import DEFAULT_LOCALE, from_accept_language
from shared.web import Blueprint, load_body

blp = Blueprint("guest_tickets", __name__, url_prefix="/api/v1/guest",
                description="Guests: tickets without an account, opened from an emailed link with a one-time code")


def guest_locale(fields_: dict) -> str:
    """The language of the guest's emails: the form's choice, else the browser's."""
    return fields_.get("locale") or from_accept_language(request.accept_languages.values()) or DEFAULT_LOCALE


def pepper() -> str:
    return current_app.config["GUEST_CODE_PEPPER"]


def linked_ticket(number: str, token: str):
    return verification.linked_ticket(number, token, current_app.config["GUEST_LINK_SECRET"])


@blp.route("/tickets")
class GuestTickets(MethodView):
    @blp.doc(requestBody={"content": {
        "application/json": {"schema": GuestTicketCreateSchema},
        "multipart/form-data": {"schema": GuestTicketCreateSchema}}})
    @blp.response(201, GuestTicketCreatedOut)
    def post(self):
        """Open a ticket as a guest; an email with the ticket's link goes to `email`.

        Same fields, validation and duplicate rule as a customer's ticket. The
        answer names no other ticket, since anyone may type any email here.
        """
        fields_, files = load_body(GuestTicketCreateSchema())
        checked = attachment_rules().check(files)
        refuse_wallet_secrets(ticket_texts(fields_), checked)
        requester = workflow.Requester("guest", fields_["email"].strip().lower(), locale=guest_locale(fields_))
        with db.atomic():
            ticket = workflow.create_ticket(outbox(), attachment_store(), requester, fields_, checked).ticket
        return {"number": ticket.number, "status": ticket.status}


@blp.route("/tickets/<string:number>/verification-code")
class VerificationCode(MethodView):
    @blp.arguments(LinkSchema)
    @blp.response(202, CodeSentOut)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(410, response="GONE")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, fields_, number):
        """Email a 6-digit code to the address the link `t` is bound to (never to another).

        403 `invalid_link`, 410 `link_expired`; 429 `code_recently_sent` (one a
        minute), `too_many_codes` (five an hour) or `verification_locked`.
        """
        with db.atomic():
            ticket = linked_ticket(number, fields_["t"])
            verification.request_code(outbox(), ticket, pepper())
        return {"expires_in": int(otp.CODE_LIFETIME.total_seconds()), "resend_after": 60}


@blp.route("/tickets/<string:number>/session")
class GuestSession(MethodView):
    @blp.arguments(SessionSchema)
    @blp.response(200, GuestSessionOut)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(410, response="GONE")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, fields_, number):
        """Trade the link and a right code for a guest session on this one ticket (24 hours).

        400 `invalid_code` with `details.attempts_left`; after five wrong tries 429
        `verification_locked` for 15 minutes, even with the right code.
        """
        with db.atomic():
            ticket = linked_ticket(number, fields_["t"])
            result = verification.check_code(ticket, fields_["code"], pepper())
        # A wrong try is committed above before it is reported, so it counts.
        if not result.verified:
            raise otp.wrong_code_error(result.attempts_left)
        ttl = current_app.config["GUEST_SESSION_TTL_SECONDS"]
        return {"ticket_number": ticket.number, "guest_grant": verification.session_grant(ticket, ttl)}
