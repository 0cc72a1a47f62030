"""Starting a live chat needs no account, and each chat can become a ticket and an
email: it is rate limited per client address, and per account or email, before it is forwarded."""
from __future__ import annotations

from flask import Blueprint, current_app, request

from services.gateway import identity
from services.gateway.extensions import limiter
from services.gateway.proxy import proxy
from shared.errors import ApiError

blp = Blueprint("chats", __name__)


def chat_email_key() -> str | None:
    """A logged-in customer's own bucket, else the email typed in; without either, only the
    per-address limit applies (a shared bucket for "no email" would let anyone fill it)."""
    try:
        caller = identity.resolve_identity().caller
    except ApiError:
        caller = None  # the forwarding answers the bad credentials
    if caller is not None and caller.kind == "user":
        return f"chat-user:{caller.user_id}"
    body = request.get_json(silent=True, cache=True)
    email = body.get("email") if isinstance(body, dict) else None
    return f"chat-email:{str(email).strip().lower()[:254]}" if email else None


@blp.post("/api/v1/chats")
@limiter.limit(lambda: current_app.config["RATE_LIMIT_CHATS"])
@limiter.limit(lambda: current_app.config["RATE_LIMIT_CHATS_PER_EMAIL"], key_func=chat_email_key)
def start_chat():
    """Forwarded like any other path once the limits allow it."""
    return proxy("chats")
