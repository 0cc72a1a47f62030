"""Guest ticket creation at the gateway: anyone may open one without credentials,
so it is rate limited per client address and per email before it is forwarded."""
from __future__ import annotations

from flask import Blueprint, current_app, request

from services.gateway.extensions import limiter
from services.gateway.upstream import find_route, forward

blp = Blueprint("guest_tickets", __name__)
PATH = "/api/v1/guest/tickets"


def guest_email_key() -> str | None:
    """The rate-limit key of the email typed in the form (JSON or multipart); None without
    one (the tickets service refuses that, and only the per-address limit applies).

    The body is read once into the request's cache, so it is still there when the
    request is forwarded.
    """
    request.get_data(cache=True)
    if request.mimetype == "application/json":
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    else:
        email = request.form.get("email")
    return f"guest-ticket-email:{str(email).strip().lower()[:254]}" if email else None


@blp.post(PATH)
@limiter.limit(lambda: current_app.config["RATE_LIMIT_GUEST_TICKETS"])
@limiter.limit(lambda: current_app.config["RATE_LIMIT_GUEST_TICKETS_PER_EMAIL"], key_func=guest_email_key)
def create_guest_ticket():
    """Forward to the tickets service as an anonymous caller.

    Credentials are ignored on purpose: a guest ticket belongs to the email in
    the form, and a stale guest cookie must not stand in the way.
    """
    return forward(find_route(PATH), None)
